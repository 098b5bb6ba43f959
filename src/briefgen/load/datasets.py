"""Load structured data: `data/<locale>/companies.yaml` and `data/<locale>/glossary.yaml`."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from briefgen.errors import Problem, ProblemsError, did_you_mean, display_path
from briefgen.load.fields import check_terms, unknown_keys
from briefgen.load.project import SLUG, Project
from briefgen.load.yamlfile import LineDict, load_yaml_mapping, parse_yaml, read_text
from briefgen.model import Company, Data, Term

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
REFERENCES_FILE = "references.yaml"
REFERENCE_FIELDS = ("author", "title", "publisher")


# What a translation of an entry gives; the rest (use cases, data kinds, sources) is the source's.
TRANSLATED_FIELDS = {
    "companies": ("name", "products", "claimed_uses", "partners"),
    "terms": ("term", "definition", "match"),
}


def entry_texts(kind: str, entry: Company | Term) -> dict[str, str]:
    """An entry's translatable fields as text, for hashing and for translators."""
    texts = {}
    for name in TRANSLATED_FIELDS[kind]:
        value = getattr(entry, name)
        texts[name] = "\n".join(value) if isinstance(value, tuple) else str(value)
    return texts


def entry_hash(kind: str, entry: Company | Term) -> str:
    """One hash over an entry's translatable source fields: a translation records it."""
    joined = "\n\n".join(f"{k}: {v}" for k, v in sorted(entry_texts(kind, entry).items()))
    return str(hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12])


def load_data(project: Project) -> dict[str, Data]:
    """Data for every locale: the source's from data/<source>/, each other locale's as the
    source's entries with the translated fields of data/<locale>/ merged in by id. Entries a
    locale does not translate keep the source's text and are recorded as missing."""
    problems: list[Problem] = []
    result: dict[str, Data] = {}
    folder = project.root / DATA_DIR / project.source_locale
    if folder.is_dir():
        try:
            result[project.source_locale] = _load_locale(project, folder)
        except ProblemsError as error:
            problems.extend(error.problems)
    source = result.get(project.source_locale)
    for locale in project.locales:
        folder = project.root / DATA_DIR / locale
        if locale == project.source_locale or source is None:
            continue
        try:
            result[locale] = _translated_locale(project, folder, source)
        except ProblemsError as error:
            problems.extend(error.problems)
    if problems:
        raise ProblemsError(problems)
    return result


def _translated_locale(project: Project, folder: Path, source: Data) -> Data:
    problems: list[Problem] = []
    states: dict[str, str] = {}
    kinds = dict(source.data_kinds)
    companies = {c.id: c for c in source.companies}
    terms = {t.id: t for t in source.terms}
    for name, kind in (("companies.yaml", "companies"), ("glossary.yaml", "terms")):
        path = folder / name
        originals: dict[str, Any] = companies if kind == "companies" else terms
        translated: dict[str, LineDict] = {}
        if path.is_file():
            data, _ = load_yaml_mapping(path, project.root)
            if kind == "companies":
                labels = data.get("data_kinds") or {}
                for key in sorted(set(labels) - set(kinds)) if isinstance(labels, dict) else []:
                    problems.append(
                        Problem(
                            display_path(path, project.root),
                            data.line_of("data_kinds"),
                            f'the data kind "{key}" is not in the source data'
                            f"{did_you_mean(str(key), kinds)}.",
                        )
                    )
                if isinstance(labels, dict):
                    kinds.update({str(k): str(v) for k, v in labels.items() if k in kinds})
            translated = _translations(project, path, data, kind, originals, problems)
        for entry_id, original in originals.items():
            entry = translated.get(entry_id)
            key = f"{'glossary' if kind == 'terms' else 'companies'}/{entry_id}"
            if entry is None:
                states[key] = "missing"
                continue
            recorded = str(entry.get("source_hash", ""))
            states[key] = "current" if recorded == entry_hash(kind, original) else "stale"
            originals[entry_id] = _merge(kind, original, entry)
    references = _references(project, folder / REFERENCES_FILE, problems)
    if problems:
        raise ProblemsError(problems)
    return Data(
        tuple(sorted(companies.values(), key=lambda c: c.name.lower())),
        kinds,
        tuple(sorted(terms.values(), key=lambda t: t.term.lower())),
        states,
        references,
    )


def _references(project: Project, path: Path, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """data/<locale>/references.yaml: bibliography entries as this locale's readers name them,
    a list of {id: <key>, author:, title:, publisher:} (each field optional but id)."""
    if not path.is_file():
        return {}
    rel = display_path(path, project.root)
    try:
        data, _ = parse_yaml(read_text(path, project.root), path, project.root)
    except ProblemsError as error:
        problems.extend(error.problems)
        return {}
    if not isinstance(data, list):
        problems.append(Problem(rel, 1, "the file must be a list of entries (- id: <key> ...)."))
        return {}
    found: dict[str, dict[str, str]] = {}
    lines = getattr(data, "lines", [1] * len(data))
    for entry, line in zip(data, lines, strict=False):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            problems.append(Problem(rel, line, "each entry needs an id: the bibliography key."))
            continue
        for key in sorted(set(entry) - {"id", *REFERENCE_FIELDS}):
            problems.append(
                Problem(
                    rel,
                    line,
                    f'unknown field "{key}"{did_you_mean(str(key), REFERENCE_FIELDS)} '
                    f"(known: id, {', '.join(REFERENCE_FIELDS)}).",
                )
            )
        values = {k: entry[k] for k in REFERENCE_FIELDS if k in entry}
        bad = [k for k, v in values.items() if not isinstance(v, str) or not v.strip()]
        for key in bad:
            problems.append(Problem(rel, line, f'"{key}" of {entry["id"]} must be a text.'))
        if entry["id"] in found:
            problems.append(Problem(rel, line, f'the entry "{entry["id"]}" is listed twice.'))
        found[entry["id"]] = {k: str(v).strip() for k, v in values.items() if k not in bad}
    return found


def _translations(
    project: Project,
    path: Path,
    data: LineDict,
    kind: str,
    originals: dict[str, Any],
    problems: list[Problem],
) -> dict[str, LineDict]:
    rel = display_path(path, project.root)
    allowed = {"id": "the id of the source entry", "source_hash": "recorded by briefgen i18n"}
    allowed.update({f: (COMPANY_KEYS | TERM_KEYS)[f] for f in TRANSLATED_FIELDS[kind]})
    found: dict[str, LineDict] = {}
    for entry in _entries(path, data, kind, project.root, problems):
        if not isinstance(entry, LineDict):
            problems.append(Problem(rel, 0, "every entry must be a mapping of fields."))
            continue
        entry_id = str(entry.get("id", ""))
        if entry_id not in originals:
            problems.append(
                Problem(
                    rel,
                    entry.line_of("id"),
                    f'the entry "{entry_id}" is not in the source data'
                    f"{did_you_mean(entry_id, originals)}.",
                )
            )
            continue
        for key in sorted(set(entry) - set(allowed)):
            inherited = key in (COMPANY_KEYS | TERM_KEYS)
            problems.append(
                Problem(
                    rel,
                    entry.line_of(key),
                    f'"{key}" comes from the source entry; leave it out of the translation.'
                    if inherited
                    else f'unknown field "{key}"{did_you_mean(str(key), allowed)}.',
                )
            )
        found[entry_id] = entry
    return found


def _merge(kind: str, original: Any, entry: LineDict) -> Any:
    """The source entry with the translation's fields in place of its own."""
    changes: dict[str, Any] = {}
    for name in TRANSLATED_FIELDS[kind]:
        if name not in entry or entry[name] in (None, "", []):
            continue
        if name in ("claimed_uses", "partners"):
            changes[name] = _strings(entry[name])
        elif name == "match":
            changes[name] = tuple(m.lower() for m in _strings(entry[name]))
        else:
            changes[name] = " ".join(str(entry[name]).split())
    return dataclasses.replace(original, **changes)


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

    def report(key: str, message: str) -> None:
        problems.append(Problem(rel, entry.line_of(key), message))

    unknown_keys(entry, known, report)
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
