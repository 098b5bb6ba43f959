"""Load a whole project and validate it: every problem in every file, found in one pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from briefgen.assemble import DOCUMENT_TEMPLATE, TEMPLATES_DIR, select_blocks
from briefgen.bibliography import Bibliography, check_citations, load_bibliography
from briefgen.content import Content, load_content
from briefgen.errors import Problem, ProblemsError
from briefgen.project import Project, load_project
from briefgen.recipes import Recipe, load_recipes
from briefgen.render import resolve_csl

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


def load(root: Path) -> Loaded:
    """Load and validate the project at `root`; raise ProblemsError carrying all errors found."""
    project = load_project(root)
    errors: list[Problem] = []

    def attempt(step: Callable[[], T], fallback: T) -> T:
        try:
            return step()
        except ProblemsError as error:
            errors.extend(error.problems)
            return fallback

    content = attempt(lambda: load_content(project), Content({}))
    recipes: dict[str, Recipe] = attempt(lambda: load_recipes(project), {})
    bibliography = attempt(
        lambda: load_bibliography(root), Bibliography("bibliography.bib", {}, {})
    )
    warnings: list[Problem] = []

    blocks = content.all_blocks()
    if bibliography.entries or not any(p.path == bibliography.path for p in errors):
        citation_errors, unused = check_citations(blocks, bibliography)
        # With blocks that failed to load, "not cited" would be a guess: say it only when sure.
        if not errors:
            warnings.extend(unused)
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
    for recipe in recipes.values():
        if source_blocks:
            errors.extend(select_blocks(recipe, source_blocks)[1])
        try:
            resolve_csl(project, recipe.csl, recipe.path)
        except ProblemsError as error:
            errors.extend(error.problems)
    if not (root / TEMPLATES_DIR / DOCUMENT_TEMPLATE).is_file():
        errors.append(
            Problem(f"{TEMPLATES_DIR}/{DOCUMENT_TEMPLATE}", 0, "the brief template is missing.")
        )
    if errors:
        raise ProblemsError(errors, warnings)
    return Loaded(project, content, recipes, bibliography, tuple(sorted(set(warnings))))
