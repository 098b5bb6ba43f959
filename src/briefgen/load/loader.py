"""Load a whole project and validate it: every problem in every file, found in one pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from briefgen.assemble.charts import CHARTS, IMAGE_SUFFIXES, image_decodes
from briefgen.assemble.markdown import DOCUMENT_TEMPLATE, TEMPLATES_DIR
from briefgen.assemble.select import Audience, select_blocks
from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.i18n.locales import (
    BlockState,
    Strings,
    block_state,
    block_words,
    load_strings,
    qa_problems,
)
from briefgen.load.bibliography import Bibliography, check_citations, load_bibliography
from briefgen.load.content import read_content
from briefgen.load.datasets import load_data
from briefgen.load.parsecache import translation_checks, translation_checks_cache
from briefgen.load.project import Project, load_project
from briefgen.load.recipes import load_recipes
from briefgen.load.yamlfile import inside
from briefgen.model import Block, Content, Data, Recipe

MUST_CITE = ("evidence", "finding")
T = TypeVar("T")


@dataclass(frozen=True)
class Loaded:
    """Everything a build needs, validated."""

    project: Project
    content: Content
    recipes: dict[str, Recipe]
    bibliography: Bibliography
    warnings: tuple[Problem, ...]
    data: dict[str, Data]
    strings: Strings = field(default_factory=lambda: Strings({}, {}))
    # With load(qa_apart=True): what translation QA found in current translations (for
    # `i18n status`, which reports them rather than stopping on them).
    qa: tuple[Problem, ...] = ()
    # Each translation's state against its source (locale -> block id -> state), worked out
    # once here: every brief of the locale reads it (assemble), none hashes the fields again.
    states: dict[str, dict[str, BlockState]] = field(default_factory=dict)

    def data_for(self, locale: str) -> Data:
        """A locale's structured data, else the source locale's."""
        empty = Data((), {}, ())
        return self.data.get(locale) or self.data.get(self.project.source_locale) or empty


def load(root: Path, qa_apart: bool = False, project: Project | None = None) -> Loaded:  # noqa: C901 (the load's stages in order, every problem collected)
    """Load and validate the project at `root`; raise ProblemsError carrying all errors found.

    With `qa_apart`, what translation QA finds is returned in `Loaded.qa` instead of raised.
    `project`: briefgen.yaml as the caller has just read it (load_project), not read again.
    """
    project = project or load_project(root)
    errors: list[Problem] = []

    def attempt(step: Callable[[], T], fallback: T) -> T:
        try:
            return step()
        except ProblemsError as error:
            errors.extend(error.problems)
            return fallback

    warnings: list[Problem] = []
    qa: list[Problem] = []
    content, content_problems = read_content(project)
    errors.extend(content_problems)
    recipes: dict[str, Recipe] = attempt(lambda: load_recipes(project), {})
    bibliography = attempt(lambda: load_bibliography(root), Bibliography("bibliography.bib", {}))
    data: dict[str, Data] = attempt(lambda: load_data(project), {})
    strings = attempt(lambda: load_strings(project), Strings({}, {}))
    errors.extend(strings.problems)
    # A string no translation has yet prints in the source language, as an untitled section
    # does: a warning, so that a new string or a new locale never stops another locale's build.
    warnings.extend(strings.gaps)

    blocks = content.all_blocks()
    errors.extend(_figure_problems(project, blocks))
    for locale_data in data.values():
        for company in locale_data.companies:
            for key in company.sources:
                if bibliography.entries and key not in bibliography.entries:
                    errors.append(
                        Problem(
                            company.path,
                            company.line,
                            f"unknown citation key "
                            f'"@{key}" for {company.name}: it is not in '
                            f"{bibliography.path}.",
                        )
                    )
    for locale, locale_data in sorted(data.items()):
        for key in sorted(set(locale_data.references) - set(bibliography.entries)):
            if bibliography.entries:
                errors.append(
                    Problem(
                        f"data/{locale}/references.yaml",
                        0,
                        f'"{key}" is not a key of {bibliography.path}'
                        f"{did_you_mean(key, bibliography.entries)}.",
                    )
                )
    if bibliography.entries or not any(p.path == bibliography.path for p in errors):
        data_keys = {key for d in data.values() for key in d.cited_keys}
        citation_errors, unused = check_citations(blocks, bibliography, data_keys)
        # With blocks that failed to load, "not cited" would be a guess: say it only when sure.
        if not errors:
            warnings.extend(Problem(u.path, u.line, u.message, "warning") for u in unused)
        errors.extend(citation_errors)
    for block in blocks:
        if block.kind in MUST_CITE and not block.citations:
            errors.append(
                Problem(
                    block.path,
                    block.body_line,
                    f'the block "{block.id}" is '
                    f"{block.kind} and must cite at least one source ([@key]).",
                )
            )
    source_blocks = content.locale(project.source_locale)
    warnings.extend(_untitled(project, recipes))
    checked = translation_checks_cache(root)
    states: dict[str, dict[str, BlockState]] = {}
    for locale in sorted(content.blocks):
        if locale == project.source_locale:
            continue
        for translation in content.locale(locale).values():
            original = source_blocks.get(translation.translation_of)
            if original is None:
                continue
            # A translation is compared with the source it was made from, never with a newer
            # one: a stale translation is a state to report (its locale's briefs show the
            # source text instead), not an error that stops every other locale's build.
            state = block_state(original, translation)
            states.setdefault(locale, {})[original.id] = state
            if state.state == "current":
                found = translation_checks(checked, original, translation, qa_problems)
                (qa if qa_apart else errors).extend(found)
            else:
                warnings.append(_stale_warning(state, translation))
    checked.save()
    for recipe in recipes.values():
        # With a source block unreadable, "selects no blocks" or "does not exist" would be a
        # guess: those checks wait until every block loads.
        if source_blocks and project.source_locale not in content.incomplete:
            audience = Audience(project.build_date, internal=recipe.visibility == "internal")
            chosen, found = select_blocks(recipe, source_blocks, audience)
            errors.extend(found)
            errors.extend(_over_budget(project, recipe, chosen))
    for folder in ("templates", "styles", "fonts"):
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
            if not inside(path, root):
                errors.append(
                    Problem(
                        path.relative_to(root).as_posix(),
                        0,
                        "is a link to "
                        f"{path.resolve()}, outside the project; copy the file "
                        "into the project instead.",
                    )
                )
    if not (root / TEMPLATES_DIR / DOCUMENT_TEMPLATE).is_file():
        errors.append(
            Problem(f"{TEMPLATES_DIR}/{DOCUMENT_TEMPLATE}", 0, "the brief template is missing.")
        )
    if errors:
        raise ProblemsError(errors, warnings)
    return Loaded(
        project,
        content,
        recipes,
        bibliography,
        tuple(sorted(set(warnings))),
        data,
        strings,
        tuple(sorted(set(qa))),
        states,
    )


def _stale_warning(state: BlockState, translation: Block) -> Problem:
    return Problem(
        translation.path,
        1,
        f'the {translation.locale} translation of "{state.block_id}" is stale: {state.reason}; '
        f"its briefs show the source text until it is translated again (briefgen i18n export "
        f"--locale {translation.locale} --stale-only) or, for an edit that changes no meaning, "
        f"marked so (briefgen i18n mark-minor {state.block_id}).",
        "warning",
    )


def _over_budget(project: Project, recipe: Recipe, chosen: list[list[Block]]) -> list[Problem]:
    """A recipe's `words:` budget, held against its body in the source locale (the blocks it
    selects; references and data tables are not counted)."""
    if recipe.words is None:
        return []
    words = sum(
        block_words(block, spec.show_titles)
        for spec, blocks in zip(recipe.sections, chosen, strict=True)
        for block in blocks
    )
    if words <= recipe.words:
        return []
    return [
        Problem(
            recipe.path,
            recipe.words_line,
            f'the brief "{recipe.id}" runs to {words:,} words (its body in '
            f"{project.source_locale}, without references), over its budget of {recipe.words}: "
            f"take blocks out, lower max_priority, or raise words: to {words} or more.",
        )
    ]


def _untitled(project: Project, recipes: dict[str, Recipe]) -> list[Problem]:
    """Titles a locale lacks: its briefs would print them in the source language."""
    found = []
    for recipe in recipes.values():
        texts = [("title", recipe.title), ("subtitle", recipe.subtitle)]
        texts += [("section title", s.title) for s in recipe.sections]
        for what, text in texts:
            for locale in project.locales:
                if text and locale not in text:
                    source = text.get(project.source_locale, "")
                    found.append(
                        Problem(
                            recipe.path,
                            0,
                            f'the {what} "{source}" has no {locale} text; {locale} briefs print '
                            "it in the source language.",
                            "warning",
                        )
                    )
    return found


def _figure_problems(project: Project, blocks: list[Block]) -> list[Problem]:
    """Charts must exist; images must be PNG or JPEG files inside the project."""
    problems = []
    root = project.root.resolve()
    for block in blocks:
        figure = block.figure
        if figure is None:
            continue
        where = (block.path, figure.line)
        if figure.chart and figure.chart not in CHARTS:
            problems.append(
                Problem(
                    *where, f'unknown chart "{figure.chart}"{did_you_mean(figure.chart, CHARTS)}.'
                )
            )
        if figure.image.strip():
            path = (root / figure.image).resolve()
            if not path.is_relative_to(root):
                message = "is outside the project; keep images inside it"
            elif not path.is_file():
                message = "does not exist"
            elif path.suffix.lower() not in IMAGE_SUFFIXES:
                message = "must be a PNG or JPEG file"
            elif not _bytes_match(path):
                message = (
                    f"is not a readable {path.suffix.lstrip('.').upper()} image; save it again "
                    "in that format"
                )
            else:
                continue
            problems.append(Problem(*where, f'the image "{figure.image}" {message}.'))
    return problems


IMAGE_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


def _bytes_match(path: Path) -> bool:
    """Whether a file is an image of the format its name says, decoded whole (a PNG signature
    followed by anything else would stop Typst in the middle of a build)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    return head.startswith(IMAGE_SIGNATURES.get(path.suffix.lower(), (b"",))) and image_decodes(
        path
    )
