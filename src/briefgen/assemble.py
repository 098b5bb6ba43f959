"""Assemble a brief: choose its blocks from a recipe, then write the whole document as Markdown.

Selection rules (docs/recipes.md): a section's `blocks` lists ids in order; a section's `select`
takes every public block that matches all its rules, in file-path order. A block appears once in a
brief, in the first section that takes it. Blocks are text: the Jinja2 template places them, it
never evaluates them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel.dates
import jinja2
import jinja2.sandbox
from jinja2.exceptions import SecurityError

from briefgen.content import Block, Content
from briefgen.errors import Problem, ProblemsError, display_path, problem
from briefgen.project import Project
from briefgen.recipes import Recipe, Selector, localized
from briefgen.yamlfile import load_yaml_mapping

TEMPLATES_DIR = "templates"
DOCUMENT_TEMPLATE = "brief.md.j2"
STRINGS_DIR = "strings"


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    show_titles: bool


@dataclass(frozen=True)
class Brief:
    """A brief in one locale, with its blocks chosen: everything needed to write it."""

    recipe: Recipe
    locale: str
    title: str
    subtitle: str
    audience_label: str
    use_case_labels: tuple[str, ...]
    date: dt.date
    sections: tuple[Section, ...]
    fallback_blocks: tuple[str, ...]  # ids taken from the source locale for lack of a translation

    @property
    def id(self) -> str:
        return self.recipe.id

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(b for s in self.sections for b in s.blocks)

    @property
    def cited_keys(self) -> tuple[str, ...]:
        return tuple(sorted({key for b in self.blocks for key in b.cited_keys}))


def matches(block: Block, selector: Selector, recipe: Recipe) -> bool:
    """Whether a block satisfies every rule of a selector within a recipe."""
    audiences = selector.audiences
    if audiences is None:
        audiences = None if recipe.audience == "all" else frozenset({recipe.audience})
    use_cases = recipe.use_cases if selector.use_cases is None else selector.use_cases
    max_priority = recipe.max_priority if selector.max_priority is None else selector.max_priority
    return (
        block.visibility == "public"
        and (not selector.kinds or block.kind in selector.kinds)
        and (audiences is None or bool(block.audiences & audiences))
        and bool(block.use_cases & use_cases)
        and (not selector.rights or bool(block.rights & selector.rights))
        and (not selector.under or block.order.startswith(selector.under + "/"))
        and block.priority <= max_priority
    )


def select_blocks(
    recipe: Recipe, blocks: dict[str, Block]
) -> tuple[list[tuple[str, list[Block], bool]], list[Problem]]:
    """The blocks of each section, chosen from the source locale's blocks."""
    problems: list[Problem] = []
    placed: set[str] = set()
    ordered = sorted(blocks.values(), key=lambda b: b.order)
    chosen: list[tuple[str, list[Block], bool]] = []
    for spec in recipe.sections:
        title = next(iter(spec.title.values()), "")
        picked: list[Block] = []
        for block_id, line in spec.block_ids:
            block = blocks.get(block_id)
            if block is None:
                from briefgen.errors import did_you_mean

                problems.append(
                    Problem(
                        recipe.path,
                        line,
                        f'the section "{title}" names the block '
                        f'"{block_id}", which does not exist'
                        f"{did_you_mean(block_id, blocks)}.",
                    )
                )
            elif block.visibility != "public":
                problems.append(
                    Problem(
                        recipe.path,
                        line,
                        f'the block "{block_id}" is internal and cannot go into a public brief.',
                    )
                )
            elif block_id not in placed:
                picked.append(block)
                placed.add(block_id)
        if spec.selector is not None:
            for block in ordered:
                if block.id not in placed and matches(block, spec.selector, recipe):
                    picked.append(block)
                    placed.add(block.id)
        if not picked and not problems:
            problems.append(
                Problem(
                    recipe.path,
                    spec.line,
                    f'the section "{title}" selects no blocks: loosen its rules or list block ids.',
                )
            )
        chosen.append((spec.title.get(recipe_source(blocks), title), picked, spec.show_titles))
    return chosen, problems


def recipe_source(blocks: dict[str, Block]) -> str:
    return next(iter(blocks.values())).locale if blocks else ""


def assemble(project: Project, recipe: Recipe, content: Content, locale: str) -> Brief:
    """Choose the brief's blocks (from the source locale) and swap in `locale`'s translations."""
    source = content.locale(project.source_locale)
    chosen, problems = select_blocks(recipe, source)
    if problems:
        raise ProblemsError(problems)
    translated = content.locale(locale)
    fallback: list[str] = []
    sections = []
    for spec, (_, picked, show_titles) in zip(recipe.sections, chosen, strict=True):
        blocks = []
        for block in picked:
            if block.id in translated:
                blocks.append(translated[block.id])
            else:
                fallback.append(block.id)
                blocks.append(block)
        sections.append(
            Section(
                localized(spec.title, locale, project.source_locale), tuple(blocks), show_titles
            )
        )
    audience = recipe.audience
    return Brief(
        recipe=recipe,
        locale=locale,
        title=localized(recipe.title, locale, project.source_locale),
        subtitle=localized(recipe.subtitle, locale, project.source_locale),
        audience_label="" if audience == "all" else project.label("audiences", audience),
        use_case_labels=tuple(project.label("use_cases", u) for u in sorted(recipe.use_cases)),
        date=project.build_date,
        sections=tuple(sections),
        fallback_blocks=tuple(sorted(fallback)) if locale != project.source_locale else (),
    )


class DocumentWriter:
    """Writes a brief's Markdown from the project's Jinja2 template, in a sandbox."""

    def __init__(self, project: Project) -> None:
        self.project = project
        folder = project.root / TEMPLATES_DIR
        self.env = jinja2.sandbox.ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(folder),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # the output is Markdown; pandoc escapes for each format
            keep_trailing_newline=True,
        )
        self.env.filters["anchor"] = heading_anchor
        self._strings: dict[str, dict[str, str]] = {}

    def strings(self, locale: str) -> dict[str, str]:
        """UI words for a locale (templates/strings/<locale>.yaml over the source locale's)."""
        if locale not in self._strings:
            merged: dict[str, str] = {}
            for code in dict.fromkeys([self.project.source_locale, locale]):
                path = self.project.root / TEMPLATES_DIR / STRINGS_DIR / f"{code}.yaml"
                if path.is_file():
                    data, _ = load_yaml_mapping(path, self.project.root)
                    merged.update({str(k): str(v) for k, v in data.items()})
            self._strings[locale] = merged
        return self._strings[locale]

    def write(self, brief: Brief) -> str:
        """The brief as one Markdown document (front matter goes to pandoc separately)."""
        context: dict[str, Any] = {
            "brief": brief,
            "sections": brief.sections,
            "strings": self.strings(brief.locale),
            "date": format_date(brief.date, brief.locale),
            "has_citations": bool(brief.cited_keys),
        }
        path = self.project.root / TEMPLATES_DIR / DOCUMENT_TEMPLATE
        try:
            return self.env.get_template(DOCUMENT_TEMPLATE).render(context)
        except jinja2.TemplateSyntaxError as error:
            where = Path(error.filename) if error.filename else path
            raise ProblemsError(
                [
                    problem(
                        where, error.lineno, f"template error: {error.message}.", self.project.root
                    )
                ]
            ) from None
        except jinja2.TemplateNotFound as error:
            raise ProblemsError(
                [problem(path, 0, f"template not found: {error.name}.", self.project.root)]
            ) from None
        except (jinja2.UndefinedError, SecurityError) as error:
            raise ProblemsError(
                [Problem(display_path(path, self.project.root), 0, f"template error: {error}.")]
            ) from None


def format_date(date: dt.date, locale: str) -> str:
    """A long date in the reader's language, e.g. '15 January 2021' or '2021年1月15日'."""
    return babel.dates.format_date(date, format="long", locale=locale.replace("-", "_"))


def heading_anchor(block_id: str) -> str:
    """Pandoc's heading attribute for a stable id; block ids are slugs, so nothing to escape."""
    return "{#" + block_id + "}"
