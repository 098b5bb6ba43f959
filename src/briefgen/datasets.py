"""Load structured data: `data/<locale>/companies.yaml` and `data/<locale>/glossary.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.content import check_terms
from briefgen.errors import Problem, ProblemsError, did_you_mean, display_path
from briefgen.project import SLUG, Project
from briefgen.yamlfile import LineDict, load_yaml_mapping

DATA_DIR = "data"
DATASETS = ("companies", "glossary")
COMPANY_KEYS = {
    "id": "a unique slug",
    "name": "the company's name",
    "name_zh": "its Chinese name, where the source gives it",
    "use_cases": "the use cases it sells into",
    "products": "its products and methods, in a sentence or two",
    "data_kinds": "kinds of data it claims to collect (keys of data_kinds)",
    "claimed_uses": "the uses it claims or suggests",
    "partners": "partners the source names",
    "sources": "citation keys",
}
TERM_KEYS = {
    "id": "a unique slug",
    "term": "the term as printed",
    "definition": "what it means",
    "match": "lower-case phrases whose presence in a brief means the term is used",
}


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    name_zh: str
    use_cases: frozenset[str]
    products: str
    data_kinds: tuple[str, ...]
    claimed_uses: tuple[str, ...]
    partners: tuple[str, ...]
    sources: tuple[str, ...]
    path: str
    line: int


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    definition: str
    match: tuple[str, ...]

    def used_in(self, text: str) -> bool:
        """Whether any match phrase occurs in `text` as whole words (case-insensitive)."""
        lowered = text.lower()
        # A plain substring test first: the word-boundary regex runs only on likely hits.
        return any(
            m in lowered and re.search(rf"(?<!\w){re.escape(m)}(?!\w)", lowered) for m in self.match
        )


@dataclass(frozen=True)
class Data:
    """One locale's structured data."""

    companies: tuple[Company, ...]
    data_kinds: dict[str, str]
    terms: tuple[Term, ...]

    @property
    def cited_keys(self) -> tuple[str, ...]:
        return tuple(sorted({key for c in self.companies for key in c.sources}))


def load_data(project: Project) -> dict[str, Data]:
    """Data for every locale that has a data/<locale>/ folder; all problems reported together."""
    problems: list[Problem] = []
    result: dict[str, Data] = {}
    for locale in project.locales:
        folder = project.root / DATA_DIR / locale
        if not folder.is_dir():
            continue
        try:
            result[locale] = _load_locale(project, folder)
        except ProblemsError as error:
            problems.extend(error.problems)
    if problems:
        raise ProblemsError(problems)
    return result


def _load_locale(project: Project, folder: Path) -> Data:
    problems: list[Problem] = []
    companies: tuple[Company, ...] = ()
    kinds: dict[str, str] = {}
    terms: tuple[Term, ...] = ()
    path = folder / "companies.yaml"
    if path.is_file():
        data, _ = load_yaml_mapping(path, project.root)
        kinds = {str(k): str(v) for k, v in (data.get("data_kinds") or {}).items()}
        companies = tuple(_companies(project, path, data, kinds, problems))
    path = folder / "glossary.yaml"
    if path.is_file():
        data, _ = load_yaml_mapping(path, project.root)
        terms = tuple(_terms(project, path, data, problems))
    if problems:
        raise ProblemsError(problems)
    return Data(companies, kinds, terms)


def _entries(
    path: Path, data: LineDict, key: str, root: Path, problems: list[Problem]
) -> list[Any]:
    items = data.get(key)
    if not isinstance(items, list):
        problems.append(
            Problem(
                display_path(path, root), data.line_of(key), f'"{key}" must be a list of entries.'
            )
        )
        return []
    return items


def _common(
    entry: Any,
    known: dict[str, str],
    required: tuple[str, ...],
    rel: str,
    seen: set[str],
    problems: list[Problem],
) -> bool:
    """Check an entry's shape, keys, required fields and id; False when it is unusable."""
    if not isinstance(entry, LineDict):
        problems.append(Problem(rel, 0, "every entry must be a mapping of fields."))
        return False
    ok = True
    for key in sorted(set(entry) - set(known)):
        problems.append(
            Problem(
                rel, entry.line_of(key), f'unknown field "{key}"{did_you_mean(str(key), known)}.'
            )
        )
    for key in required:
        if not entry.get(key):
            problems.append(Problem(rel, entry.line, f'the entry lacks the field "{key}".'))
            ok = False
    entry_id = str(entry.get("id", ""))
    if entry_id and not SLUG.match(entry_id):
        problems.append(Problem(rel, entry.line_of("id"), f'the id "{entry_id}" is not a slug.'))
    if entry_id in seen:
        problems.append(Problem(rel, entry.line_of("id"), f'the id "{entry_id}" is used twice.'))
    seen.add(entry_id)
    return ok


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),)
    return tuple(str(v).strip() for v in value or ())


def _companies(
    project: Project, path: Path, data: LineDict, kinds: dict[str, str], problems: list[Problem]
) -> list[Company]:
    rel = display_path(path, project.root)
    seen: set[str] = set()
    companies = []
    for entry in _entries(path, data, "companies", project.root, problems):
        if not _common(
            entry,
            COMPANY_KEYS,
            ("id", "name", "use_cases", "products", "sources"),
            rel,
            seen,
            problems,
        ):
            continue

        def report(message: str, key: str = "use_cases", entry: LineDict = entry) -> None:
            problems.append(Problem(rel, entry.line_of(key), message))

        use_cases = check_terms(
            _strings(entry["use_cases"]), "use_cases", project.vocabularies["use_cases"], report
        )
        data_kinds = _strings(entry.get("data_kinds"))
        for kind in data_kinds:
            if kind not in kinds:
                report(f'unknown data kind "{kind}"{did_you_mean(kind, kinds)}.', "data_kinds")
        companies.append(
            Company(
                id=str(entry["id"]),
                name=str(entry["name"]),
                name_zh=str(entry.get("name_zh", "")),
                use_cases=frozenset(use_cases),
                products=" ".join(str(entry["products"]).split()),
                data_kinds=data_kinds,
                claimed_uses=_strings(entry.get("claimed_uses")),
                partners=_strings(entry.get("partners")),
                sources=_strings(entry["sources"]),
                path=rel,
                line=entry.line_of("sources"),
            )
        )
    return sorted(companies, key=lambda c: c.name.lower())


def _terms(project: Project, path: Path, data: LineDict, problems: list[Problem]) -> list[Term]:
    rel = display_path(path, project.root)
    seen: set[str] = set()
    terms = []
    for entry in _entries(path, data, "terms", project.root, problems):
        if not _common(
            entry, TERM_KEYS, ("id", "term", "definition", "match"), rel, seen, problems
        ):
            continue
        terms.append(
            Term(
                str(entry["id"]),
                str(entry["term"]).strip(),
                " ".join(str(entry["definition"]).split()),
                tuple(m.lower() for m in _strings(entry["match"])),
            )
        )
    return sorted(terms, key=lambda t: t.term.lower())
