"""Assemble a brief: choose its blocks and data from a recipe, in one locale.

Selection rules (docs/recipes.md): a section's `blocks` lists ids in order; a section's `select`
takes every public block that matches all its rules, in file-path order. A block appears once in a
brief, in the first section that takes it. A `data` section takes the companies of the brief's use
cases, or the glossary terms its text uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from briefgen.content import Block, Content
from briefgen.datasets import Company, Data, Term
from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.project import Project
from briefgen.recipes import Recipe, Selector, localized


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    show_titles: bool
    data: str = ""  # "companies" or "glossary": filled from the brief's data, not from blocks
    use_cases: tuple[str, ...] = ()  # a companies section's use cases, sorted
    companies: tuple[Company, ...] = ()  # a companies section's firms


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
    terms: tuple[Term, ...] = ()  # for a glossary section: the terms the brief's text uses
    data_kinds: dict[str, str] = field(default_factory=dict, hash=False)
    use_case_names: dict[str, str] = field(default_factory=dict, hash=False)
    internal: bool = False

    def use_case_label(self, use_case: str) -> str:
        return self.use_case_names.get(use_case, use_case)

    @property
    def id(self) -> str:
        return self.recipe.id

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(b for s in self.sections for b in s.blocks)

    @property
    def companies(self) -> tuple[Company, ...]:
        return tuple(dict.fromkeys(c for s in self.sections for c in s.companies))

    @property
    def cited_keys(self) -> tuple[str, ...]:
        keys = {key for b in self.blocks for key in b.cited_keys}
        keys.update(key for c in self.companies for key in c.sources)
        return tuple(sorted(keys))


@dataclass(frozen=True)
class Audience:
    """Who a build is for: the public (dated, for embargoes), or the team (internal)."""

    on: dt.date
    internal: bool = False

    def may_show(self, block: Block) -> bool:
        return self.internal or block.is_public(self.on)


def matches(block: Block, selector: Selector, recipe: Recipe, audience: Audience) -> bool:
    """Whether a block satisfies every rule of a selector within a recipe."""
    audiences = selector.audiences
    if audiences is None:
        audiences = None if recipe.audience == "all" else frozenset({recipe.audience})
    use_cases = recipe.use_cases if selector.use_cases is None else selector.use_cases
    max_priority = recipe.max_priority if selector.max_priority is None else selector.max_priority
    return (
        audience.may_show(block)
        and (not selector.kinds or block.kind in selector.kinds)
        and (audiences is None or bool(block.audiences & audiences))
        and bool(block.use_cases & use_cases)
        and (not selector.rights or bool(block.rights & selector.rights))
        and (not selector.under or block.order.startswith(tuple(f"{u}/" for u in selector.under)))
        and block.priority <= max_priority
    )


def select_blocks(
    recipe: Recipe, blocks: dict[str, Block], audience: Audience
) -> tuple[list[list[Block]], list[Problem]]:
    """The blocks of each section, chosen from the source locale's blocks.

    A public build never takes an internal block, nor one under embargo on the build date.
    """
    problems: list[Problem] = []
    placed: set[str] = set()
    ordered = sorted(blocks.values(), key=lambda b: b.order)
    chosen: list[list[Block]] = []
    for spec in recipe.sections:
        title = next(iter(spec.title.values()), "")
        picked: list[Block] = []
        reported = len(problems)
        for block_id, line in spec.block_ids:
            block = blocks.get(block_id)
            if block is None:
                problems.append(
                    Problem(
                        recipe.path,
                        line,
                        f'the section "{title}" names the block '
                        f'"{block_id}", which does not exist'
                        f"{did_you_mean(block_id, blocks)}.",
                    )
                )
            elif not audience.may_show(block):
                why = (
                    "is internal"
                    if block.visibility != "public"
                    else f"is under embargo until {block.embargo}"
                )
                problems.append(
                    Problem(
                        recipe.path,
                        line,
                        f'the block "{block_id}" {why} and '
                        "cannot go into a public brief; build with --internal "
                        "or take it out of the recipe.",
                    )
                )
            elif block_id not in placed:
                picked.append(block)
                placed.add(block_id)
        if spec.selector is not None:
            for block in ordered:
                if block.id not in placed and matches(block, spec.selector, recipe, audience):
                    picked.append(block)
                    placed.add(block.id)
        if not picked and len(problems) == reported and not spec.data:
            problems.append(
                Problem(
                    recipe.path,
                    spec.line,
                    f'the section "{title}" selects no blocks: loosen its rules or list block ids.',
                )
            )
        chosen.append(picked)
    return chosen, problems


def assemble(
    project: Project,
    recipe: Recipe,
    content: Content,
    locale: str,
    data: Data | None = None,
    internal: bool = False,
) -> Brief:
    """Choose the brief's blocks (from the source locale) and swap in `locale`'s translations.

    `data` is the locale's structured data, used by companies and glossary sections; `internal`
    admits internal and embargoed blocks (and marks the brief as internal).
    """
    source = content.locale(project.source_locale)
    chosen, problems = select_blocks(recipe, source, Audience(project.build_date, internal))
    if problems:
        raise ProblemsError(problems)
    translated = content.locale(locale)
    fallback: list[str] = []
    sections = []
    data = data or Data((), {}, ())
    for spec, picked in zip(recipe.sections, chosen, strict=True):
        blocks = []
        for block in picked:
            if block.id in translated:
                blocks.append(translated[block.id])
            else:
                fallback.append(block.id)
                blocks.append(block)
        use_cases = tuple(sorted(spec.use_cases or recipe.use_cases)) if spec.data else ()
        firms: tuple[Company, ...] = ()
        if spec.data == "companies":
            firms = tuple(c for c in data.companies if c.use_cases & set(use_cases))
        sections.append(
            Section(
                localized(spec.title, locale, project.source_locale),
                tuple(blocks),
                spec.show_titles,
                spec.data,
                use_cases,
                firms,
            )
        )
    # A glossary lists the terms the brief's own text uses, tables included, and only those.
    text = "\n".join(
        [f"{b.title}\n{b.body}" for s in sections for b in s.blocks]
        + [
            f"{c.name} {c.products} {' '.join(c.claimed_uses)}"
            for s in sections
            for c in s.companies
        ]
    )
    has_glossary = any(s.data == "glossary" for s in sections)
    text = text.lower()
    terms = tuple(t for t in data.terms if t.used_in(text)) if has_glossary else ()
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
        terms=terms,
        data_kinds=data.data_kinds,
        use_case_names=dict(project.vocabularies["use_cases"]),
        internal=internal,
    )
