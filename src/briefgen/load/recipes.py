"""Load recipes, `briefs/<id>.yaml`: what a brief is for, and which blocks fill its sections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from briefgen.errors import Problem, ProblemsError, did_you_mean, display_path
from briefgen.load.fields import ReportHere, check_terms, terms, unknown, unknown_keys
from briefgen.load.project import SLUG, Project, parse_formats
from briefgen.load.yamlfile import LineDict, parse_yaml, read_text
from briefgen.model import Recipe, SectionSpec, Selector

RECIPES_DIR = "briefs"
LOCALIZED = "text, or a mapping of locale to text"
RECIPE_KEYS = {
    "title": f"the brief's title ({LOCALIZED})",
    "subtitle": f"a line under the title ({LOCALIZED})",
    "short_title": f"the title in PDF page headers, when the title is long ({LOCALIZED})",
    "audience": "the one audience the brief is written for, or all",
    "use_cases": "the use cases the brief covers (a list, or all)",
    "formats": "the formats built by default (html, pdf, docx, odt, epub, md)",
    "csl": "the citation style: a name from styles/ or a path inside the project",
    "toc": "true to print a table of contents",
    "compact": "true for tighter PDF pages (smaller type and margins), e.g. a one-page summary",
    "max_priority": "leave out blocks whose priority is higher than this (1-3)",
    "pages": "the most A4 pages the PDF may take (a whole number); the test suite holds it",
    "words": "the most words the body may have, without references (check and build hold it)",
    "visibility": "public (default) or internal: an internal brief is built only by --internal",
    "untranslated": "refuse or fallback: what this brief does with blocks not translated",
    "prepared_for": 'the text of the "Prepared for" line (default: the audience\'s name)',
    "date": "the date printed in the brief, e.g. 2026-12-10 (default: briefgen.yaml's date)",
    "sections": "the ordered sections of the brief",
}
SECTION_KEYS = {
    "title": f"the section heading ({LOCALIZED})",
    "blocks": "block ids, in the order they appear",
    "select": "choose blocks by kinds, audiences, use_cases, rights, under, max_priority",
    "show_titles": "false to print the blocks without their own headings",
    "data": "companies (a table per use case) or glossary (the terms the brief uses)",
    "use_cases": "for a companies section: the use cases to show (default: the brief's)",
}
DATA_SECTIONS = ("companies", "glossary")
SELECT_KEYS = {
    "kinds": "block kinds to take",
    "audiences": "override the brief's audience for this section",
    "use_cases": "override the brief's use cases for this section",
    "rights": "take only blocks that speak to one of these rights",
    "under": "take only blocks under this folder (or these folders) of content/<locale>/",
    "max_priority": "leave out blocks whose priority is higher than this",
}

# Where a problem with a key of a mapping in a recipe is reported: at the key's line.
At = Callable[[LineDict, str], ReportHere]


def load_recipes(project: Project) -> dict[str, Recipe]:
    """Load every recipe in briefs/, sorted by id; raise ProblemsError with all problems found."""
    folder = project.root / RECIPES_DIR
    problems: list[Problem] = []
    recipes: dict[str, Recipe] = {}
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    for path in paths:
        try:
            recipe = load_recipe(project, path)
        except ProblemsError as error:
            problems.extend(error.problems)
            continue
        recipes[recipe.id] = recipe
    if problems:
        raise ProblemsError(problems)
    return recipes


def load_recipe(project: Project, path: Path) -> Recipe:  # noqa: C901 (one check per recipe field, in one flat list)
    root = project.root
    rel = display_path(path, root)
    data, _ = parse_yaml(read_text(path, root), path, root)
    if not isinstance(data, LineDict):
        raise ProblemsError(
            [
                Problem(
                    rel,
                    1,
                    "a recipe must be a YAML mapping (title, audience, use_cases, sections).",
                )
            ]
        )
    problems: list[Problem] = []

    def at(mapping: LineDict, key: str) -> ReportHere:
        return lambda message: problems.append(Problem(rel, mapping.line_of(key), message))

    recipe_id = path.stem
    if not SLUG.match(recipe_id):
        problems.append(
            Problem(
                rel,
                1,
                f'the file name "{path.name}" must be a slug (a-z, 0-9, '
                "hyphens): it is the brief's id.",
            )
        )
    _unknown_keys(data, RECIPE_KEYS, "key", at)
    for key in ("title", "audience", "use_cases", "sections"):
        if key not in data:
            problems.append(Problem(rel, 1, f'the required key "{key}" is missing.'))
    title = _localized(data.get("title", ""), project, at(data, "title"))
    subtitle = _localized(data.get("subtitle", ""), project, at(data, "subtitle"))
    short_title = _localized(data.get("short_title", ""), project, at(data, "short_title"))
    audience = str(data.get("audience", "all"))
    if audience != "all" and audience not in project.vocabularies["audiences"]:
        at(data, "audience")(
            unknown("audience", audience, audience, [*project.vocabularies["audiences"], "all"])
        )
    use_cases = _term_set(data.get("use_cases", "all"), "use_cases", project, at(data, "use_cases"))
    formats = parse_formats(data.get("formats", list(project.formats)), at(data, "formats"))
    csl = str(data.get("csl", ""))  # "" : the locale's style (briefgen.yaml), else the default
    for style in {csl} if csl else {project.csl_for(locale) for locale in project.locales}:
        if project.csl_path(style) is None:
            at(data, "csl")(project.csl_problem(style))
    max_priority = _priority(data.get("max_priority", 3), at(data, "max_priority"))
    sections_data = data.get("sections") or []
    if not isinstance(sections_data, list):
        at(data, "sections")("sections must be a list.")
        sections_data = []
    sections = []
    for item in sections_data:
        if not isinstance(item, LineDict):
            at(data, "sections")(
                "each section must be a mapping with a title and blocks or select."
            )
            continue
        sections.append(_section(item, project, at))
    pages = _budget(data, "pages", "a whole number of pages, at least 1", at)
    words = _budget(data, "words", "a whole number of words, at least 1, e.g. 800", at)
    untranslated = str(data.get("untranslated", ""))
    if untranslated and untranslated not in ("refuse", "fallback"):
        at(data, "untranslated")(
            f'untranslated must be refuse or fallback, not "{untranslated}"'
            f"{did_you_mean(untranslated, ('refuse', 'fallback'))}."
        )
        untranslated = ""
    prepared_for = data.get("prepared_for", "")
    if not isinstance(prepared_for, str):
        at(data, "prepared_for")("prepared_for must be text, e.g. the Ministry of Education.")
        prepared_for = ""
    date = data.get("date")
    if date is not None and not isinstance(date, dt.date):
        at(data, "date")(f'date must be a date like 2026-12-10, not "{date}".')
        date = None
    visibility = str(data.get("visibility", "public"))
    if visibility not in ("public", "internal"):
        at(data, "visibility")(f'visibility must be public or internal, not "{visibility}".')
    if problems:
        raise ProblemsError(problems)
    return Recipe(
        id=recipe_id,
        path=rel,
        title=title,
        subtitle=subtitle,
        short_title=short_title,
        audience=audience,
        use_cases=use_cases,
        formats=formats,
        csl=csl,
        toc=bool(data.get("toc", False)),
        compact=bool(data.get("compact", False)),
        max_priority=max_priority,
        sections=tuple(sections),
        visibility=visibility,
        pages=pages,
        untranslated=untranslated,
        words=words,
        words_line=data.line_of("words") if words is not None else 0,
        prepared_for=prepared_for.strip(),
        date=date,
    )


def _section(item: LineDict, project: Project, at: At) -> SectionSpec:
    _unknown_keys(item, SECTION_KEYS, "section key", at)
    if "title" not in item:
        at(item, "title")("a section needs a title.")
    if sum(key in item for key in ("blocks", "select", "data")) != 1:
        at(item, "title")(
            'a section needs one of "blocks" (a list of ids), "select" (rules) or "data" '
            f"({' or '.join(DATA_SECTIONS)})."
        )
    data = str(item.get("data", ""))
    if data and data not in DATA_SECTIONS:
        at(item, "data")(unknown("data", data, data, DATA_SECTIONS))
    block_ids: list[tuple[str, int]] = []
    raw_ids = item.get("blocks", [])
    if not isinstance(raw_ids, list):
        at(item, "blocks")('"blocks" must be a list of block ids.')
        raw_ids = []
    lines = getattr(raw_ids, "lines", [])
    for index, block_id in enumerate(raw_ids):
        line = lines[index] if index < len(lines) else item.line_of("blocks")
        block_ids.append((str(block_id), line))
    selector = None
    if isinstance(item.get("select"), LineDict):
        selector = _selector(item["select"], project, at)
    elif "select" in item:
        at(item, "select")('"select" must be a mapping of rules (kinds, audiences, ...).')
    return SectionSpec(
        title=_localized(item.get("title", ""), project, at(item, "title")),
        block_ids=tuple(block_ids),
        selector=selector,
        show_titles=bool(item.get("show_titles", True)),
        line=item.line,
        data=data if data in DATA_SECTIONS else "",
        use_cases=_term_set(item["use_cases"], "use_cases", project, at(item, "use_cases"))
        if "use_cases" in item
        else None,
    )


def _selector(rules: LineDict, project: Project, at: At) -> Selector:
    _unknown_keys(rules, SELECT_KEYS, "select rule", at)
    kinds = rules.get("kinds", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    kept_kinds = check_terms(
        kinds if isinstance(kinds, list) else [],
        "kinds",
        project.vocabularies["kinds"],
        at(rules, "kinds"),
    )
    raw_under = rules.get("under", [])
    under = tuple(
        str(u).strip("/") for u in ([raw_under] if isinstance(raw_under, str) else raw_under)
    )
    for folder in under:
        if not folder or folder.startswith(".") or ".." in folder.split("/"):
            at(rules, "under")(f'"under: {folder}" must be a folder inside content/<locale>/.')
    return Selector(
        kinds=frozenset(kept_kinds),
        audiences=_term_set(rules["audiences"], "audiences", project, at(rules, "audiences"))
        if "audiences" in rules
        else None,
        use_cases=_term_set(rules["use_cases"], "use_cases", project, at(rules, "use_cases"))
        if "use_cases" in rules
        else None,
        rights=_term_set(rules.get("rights", []), "rights", project, at(rules, "rights")),
        under=under,
        max_priority=_priority(rules["max_priority"], at(rules, "max_priority"))
        if "max_priority" in rules
        else None,
    )


def _unknown_keys(mapping: LineDict, known: dict[str, str], what: str, at: At) -> None:
    unknown_keys(mapping, known, lambda key, message: at(mapping, key)(message), what)


def _term_set(value: Any, name: str, project: Project, report: ReportHere) -> frozenset[str]:
    vocabulary = project.vocabularies[name]
    return terms(value, name, vocabulary, report, f'"{name}" must be a list or "all".', True)


def _budget(data: LineDict, key: str, what: str, at: At) -> int | None:
    """A budget (pages, words): a positive whole number, or None when the recipe sets none."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        at(data, key)(f'{key} must be {what}, not "{value}".')
        return None
    return value


def _priority(value: Any, report: ReportHere) -> int:
    if value in (1, 2, 3) and not isinstance(value, bool):
        return int(value)
    report(f'max_priority must be 1, 2 or 3, not "{value}".')
    return 3


def _localized(value: Any, project: Project, report: ReportHere) -> dict[str, str]:
    if isinstance(value, str):
        return {project.source_locale: value.strip()} if value.strip() else {}
    if isinstance(value, dict):
        for locale in sorted(set(value) - set(project.locales)):
            report(
                f'"{locale}" is not a locale of this project'
                f"{did_you_mean(str(locale), project.locales)}."
            )
        return {str(k): str(v).strip() for k, v in value.items() if k in project.locales}
    report(f"expected {LOCALIZED}.")
    return {}
