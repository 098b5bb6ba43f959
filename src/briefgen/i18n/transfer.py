"""Files for translators' CAT tools, and their return.

export   the units to translate as XLIFF 1.2 or PO (exchange/), for a locale or one brief; the
         locale's translation memory as TMX; the glossary and company names as a TBX term base
import   validate the files, then write translated blocks, data entries and strings, with
         the source hashes they were translated from; a file with any problem writes nothing
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel
import yaml

from briefgen.errors import BriefgenError, Problem, ProblemsError
from briefgen.i18n.edits import recipe_file
from briefgen.i18n.exchange import ImportResult, SourceItem, export_po, export_xliff, import_file
from briefgen.i18n.exchange.model import item_fields, unit_id
from briefgen.i18n.items import (
    block_item,
    brief_block_ids,
    brief_data_keys,
    brief_in,
    check_brief,
    check_locale,
    combined_hash,
    entry_item,
    recipe_titles_item,
    string_item,
)
from briefgen.i18n.locales import (
    STRINGS_DIR,
    TRANSLATABLE,
    catalog_bytes,
    field_texts,
    locale_states,
    qa_problems,
    source_hashes,
)
from briefgen.i18n.memory import (
    Remembered,
    memory_bytes,
    memory_path,
    read_memory,
    replace_items,
    same_text,
)
from briefgen.load.datasets import DATA_DIR, TRANSLATED_FIELDS, entry_texts
from briefgen.load.loader import Loaded, load
from briefgen.model import Block
from briefgen.publish.output import write_files

EXCHANGE_FORMATS = ("xliff", "po", "tmx", "tbx")


# --- export ------------------------------------------------------------------------------


def _previous(item: SourceItem, memory: Mapping[str, Remembered]) -> dict[str, tuple[str, str]]:
    """The units of a stale item that the memory says were translated from another source."""
    previous = {}
    for field in item_fields(item):
        for segment in field.segments:
            ident = unit_id(item.key, field.name, segment.number)
            remembered = memory.get(ident)
            now = segment.inline.render(segment.inline.pieces)
            if remembered is not None and not same_text(remembered.source, now):
                previous[ident] = (remembered.source, remembered.target)
    return previous


def _repeats(
    item: SourceItem,
    memory: Mapping[str, Remembered],
    by_source: Mapping[str, tuple[str, str]],
) -> dict[str, tuple[str, str]]:
    """Units with no translation of their own whose source was translated in another unit."""
    repeats = {}
    for field in item_fields(item):
        for segment in field.segments:
            ident = unit_id(item.key, field.name, segment.number)
            if ident in memory or ident in item.previous:
                continue
            text = " ".join(segment.inline.render(segment.inline.pieces).split())
            if text in by_source and by_source[text][0] != ident:
                repeats[ident] = by_source[text]
    return repeats


def _split(combined: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in combined.split() if "=" in part)


def _items(loaded: Loaded, locale: str, brief: str | None, stale_only: bool) -> list[SourceItem]:  # noqa: C901 (one branch per kind of item a locale translates)
    project = loaded.project
    source = loaded.content.locale(project.source_locale)
    translated = loaded.content.locale(locale)
    states = locale_states(loaded.content, project, locale)
    recipe_ids = [brief] if brief else sorted(loaded.recipes)
    uses: dict[str, set[str]] = {}
    data_keys: list[str] = []
    for recipe_id in recipe_ids:
        for block_id in brief_block_ids(loaded, recipe_id):
            uses.setdefault(block_id, set()).add(recipe_id)
        if brief:
            data_keys += brief_data_keys(brief_in(loaded, recipe_id, locale))
    block_ids = (
        list(uses) if brief else [b.id for b in sorted(source.values(), key=lambda b: b.order)]
    )
    items = []
    memory = read_memory(project.root, locale)
    by_source = {" ".join(m.source.split()): (key, m.target) for key, m in sorted(memory.items())}
    for block_id in block_ids:
        if stale_only and states[block_id].state == "current":
            continue
        item = block_item(source[block_id], translated.get(block_id), uses.get(block_id, ()))
        if states[block_id].state == "stale":
            item = dataclasses.replace(item, previous=_previous(item, memory))
        if states[block_id].state != "current":
            item = dataclasses.replace(item, repeats=_repeats(item, memory, by_source))
        items.append(item)
    data_states = loaded.data_for(locale).states
    source_data = loaded.data_for(project.source_locale)
    target_data = loaded.data_for(locale)
    for kind, entries, targets in (
        ("companies", source_data.companies, {c.id: c for c in target_data.companies}),
        ("terms", source_data.terms, {t.id: t for t in target_data.terms}),
    ):
        name = "glossary" if kind == "terms" else "companies"
        for entry in entries:
            key = f"{name}/{entry.id}"
            if brief and key not in data_keys:
                continue
            state = data_states.get(key, "missing")
            if stale_only and state == "current":
                continue
            items.append(entry_item(kind, entry, targets[entry.id] if state != "missing" else None))
    for recipe_id in recipe_ids:
        recipe_item = recipe_titles_item(loaded.recipes[recipe_id], project.source_locale, locale)
        missing = recipe_item is not None and set(recipe_item.fields) - set(
            recipe_item.translation or {}
        )
        if recipe_item is not None and (missing or not stale_only):
            items.append(recipe_item)
    strings = loaded.strings
    have = strings.by_locale.get(locale, {})
    for key, text in sorted(strings.source.items()):
        if stale_only and key in have:
            continue
        items.append(string_item(locale, key, text, have.get(key)))
    return items


def export(
    root: Path,
    locale: str,
    fmt: str,
    out: Path,
    brief: str | None = None,
    stale_only: bool = False,
) -> tuple[Path, int]:
    """Write the file a translator needs; return its path and the number of items in it."""
    loaded = load(root)
    check_locale(loaded, locale)
    if brief:
        check_brief(loaded, brief)
    if fmt not in EXCHANGE_FORMATS:
        raise BriefgenError(f'--format must be xliff, po, tmx or tbx, not "{fmt}".')
    project = loaded.project
    if fmt == "tmx":  # the whole memory: a CAT tool matches on it, whatever is sent to translate
        memory = read_memory(project.root, locale)
        name = f"{locale}.tmx"
        write_files(out, [(name, memory_bytes(project.source_locale, locale, memory))])
        return out / name, len(memory)
    if fmt == "tbx":  # the glossary and the company names, for a CAT tool's term base
        name = f"{locale}.tbx"
        data, count = termbase_bytes(loaded, locale)
        write_files(out, [(name, data)])
        return out / name, count
    items = _items(loaded, locale, brief, stale_only)
    name = f"{brief or 'all'}.{locale}.{'xlf' if fmt == 'xliff' else 'po'}"
    if fmt == "xliff":
        data = export_xliff(items, project.source_locale, locale, original=brief or "all")
    else:
        data = export_po(items, project.source_locale, locale)
    write_files(out, [(name, data)])
    return out / name, len(items)


def termbase_bytes(loaded: Loaded, locale: str) -> tuple[bytes, int]:
    """TBX (written with translate-toolkit): each glossary term and company name in the source
    language, with its definition; the locale's term where it is translated and current (a
    CAT tool then proposes it; an entry without one tells the translator a term is to be set)."""
    from translate.storage import tbx

    source_locale = loaded.project.source_locale
    source, target = loaded.data_for(source_locale), loaded.data_for(locale)
    translated = {key for key, state in target.states.items() if state == "current"}
    terms = {t.id: t for t in target.terms}
    companies = {c.id: c for c in target.companies}
    base = tbx.tbxfile()
    base.setsourcelanguage(source_locale)
    base.settargetlanguage(locale)
    count = 0
    for term in sorted(source.terms, key=lambda t: t.id):
        unit = base.addsourceunit(term.term)  # type: ignore[no-untyped-call]
        if f"glossary/{term.id}" in translated:
            unit.target = terms[term.id].term
        unit.addnote(term.definition, origin="definition")
        unit.setid(f"glossary/{term.id}")
        count += 1
    for company in sorted(source.companies, key=lambda c: c.id):
        unit = base.addsourceunit(company.name)  # type: ignore[no-untyped-call]
        name = companies[company.id].name if f"companies/{company.id}" in translated else ""
        if locale.startswith("zh") and company.name_zh:
            name = company.name_zh  # the Chinese name the sources give
        if name:
            unit.target = name
        unit.setid(f"companies/{company.id}")
        count += 1
    return bytes(base), count


# --- import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    written: tuple[str, ...]  # project files written
    stale: tuple[str, ...]  # items whose source changed since the file was exported
    skipped: tuple[str, ...]  # units not imported (fuzzy, needs review)


MAX_IMPORT_BYTES = 20 * 1024 * 1024  # far above any real export; refuses a wrong file early
MAX_IMPORT_PROBLEMS = 100  # the first hundred, then a count: fix these and run again
_EXCHANGE_NAME = re.compile(r"\.([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\.(?:xlf|xliff|po)$")
_LOCATED = re.compile(r"(?P<line>\d+): (?P<message>.*)", re.DOTALL)


def import_files(root: Path, files: Sequence[Path]) -> Imported:  # noqa: C901 (the import's checks, all before anything is written)
    """Validate every file, then write what they translate; nothing is written on a problem."""
    loaded = load(root)
    project = loaded.project
    all_items: dict[str, dict[str, SourceItem]] = {}
    problems: list[Problem] = []
    results = []
    for path in files:
        name = str(path)
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            problems.append(
                Problem(
                    name,
                    0,
                    f"is {size / 1024 / 1024:.0f} MB, over the {MAX_IMPORT_BYTES // 1024 // 1024} "
                    "MB an exchange file can be; import the file briefgen exported.",
                )
            )
            continue
        data = path.read_bytes()
        locale = _peek_locale(data)
        if not locale:
            problems.append(
                Problem(
                    name,
                    0,
                    "is neither an XLIFF 1.2 nor a PO file from briefgen i18n export "
                    "(it names no target language).",
                )
            )
            continue
        if locale not in project.locales or locale == project.source_locale:
            problems.append(
                Problem(
                    name, 0, f'the file is for "{locale}", not a translated locale of this project.'
                )
            )
            continue
        named = _EXCHANGE_NAME.search(path.name)
        in_name = named.group(1).replace("_", "-") if named else ""
        if in_name in project.locales and in_name != locale:
            problems.append(
                Problem(
                    name,
                    0,
                    f'its name says {in_name} but the file declares "{locale}" as its target '
                    "language; a file exported for one locale is imported into that locale only.",
                )
            )
            continue
        if locale not in all_items:
            all_items[locale] = {i.key: i for i in _items(loaded, locale, None, False)}
        result = import_file(
            data, name, all_items[locale], _own_script(locale), copies_untranslated=True
        )
        problems.extend(_located(name, message) for message in result.problems)
        problems.extend(_qa_at_import(loaded, name, result))
        results.append((path, result))
    if problems:
        raise _capped(problems)
    files_out: dict[str, bytes] = {}
    stale: list[str] = []
    skipped: list[str] = []
    data_updates: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    string_updates: dict[str, dict[str, str]] = {}
    recipe_updates: dict[str, dict[str, dict[str, str]]] = {}
    remembered: dict[str, list[SourceItem]] = {}
    for _, result in results:
        locale = result.target_locale
        stale.extend(result.stale)
        skipped.extend(result.skipped)
        for key, fields in sorted(result.translations.items()):
            item = all_items[locale][key]
            remembered.setdefault(locale, []).append(
                dataclasses.replace(item, translation=fields, previous={})
            )
            kind, _, ident = key.partition("/")
            if kind == "block":
                existing = loaded.content.locale(locale).get(ident)
                if existing is not None and _unchanged(existing, fields, item):
                    continue  # the same translation of the same source: no byte changes
                target, text = _block_file(loaded, locale, ident, fields, item)
                files_out[target] = text
            elif kind == "data":
                name, _, entry_id = ident.partition("/")
                data_updates.setdefault((locale, name), {})[entry_id] = {
                    **fields,
                    "source_hash": item.source_hash,
                }
            elif kind == "string":
                string_updates.setdefault(locale, {})[ident] = fields["text"]
            elif kind == "recipe":
                recipe_updates.setdefault(ident, {}).update({locale: fields})
    for recipe_id, by_locale in sorted(recipe_updates.items()):
        for locale, fields in sorted(by_locale.items()):
            # A second locale's edit starts from the first one's text.
            rel = loaded.recipes[recipe_id].path
            before = files_out[rel].decode() if rel in files_out else None
            edited = recipe_file(loaded, locale, recipe_id, fields, before)
            if edited is not None:
                files_out[rel] = edited
    for (locale, name), entries in sorted(data_updates.items()):
        target, text = _data_file(loaded, locale, name, entries)
        files_out[target] = text
    for locale, texts in sorted(string_updates.items()):
        current = loaded.strings.by_locale.get(locale, {})
        merged = {**current, **texts}
        if merged == current:
            continue  # the same strings: the catalog is left as it is
        files_out[f"{STRINGS_DIR}/{locale}.po"] = catalog_bytes(
            locale, loaded.strings.source, merged
        )
    changed = {
        path: data
        for path, data in files_out.items()
        if not (root / path).is_file() or (root / path).read_bytes() != data
    }
    for locale, items in sorted(remembered.items()):
        # A file imported back unchanged, into a project with no memory yet, changes no byte:
        # the memory starts with the first import that changes a translation.
        if not (root / memory_path(locale)).is_file() and not any(
            path.startswith((f"content/{locale}/", f"{DATA_DIR}/{locale}/"))
            or path == f"{STRINGS_DIR}/{locale}.po"
            for path in changed
        ):
            continue
        memory = replace_items(read_memory(root, locale), items)
        data = memory_bytes(project.source_locale, locale, memory)
        rel = memory_path(locale)
        if not (root / rel).is_file() or (root / rel).read_bytes() != data:
            changed[rel] = data
    written = write_files(root, sorted(changed.items()))
    return Imported(tuple(w.relpath for w in written), tuple(stale), tuple(skipped))


def _located(filename: str, message: str) -> Problem:
    """A problem the exchange module wrote as `file:line: message`, as a Problem at that line
    (sorted by its number, and the file named once)."""
    rest = message.removeprefix(filename).removeprefix(":").lstrip()
    if rest == message.lstrip():
        return Problem(filename, 0, message)
    located = _LOCATED.fullmatch(rest)
    if located:
        return Problem(filename, int(located["line"]), located["message"])
    return Problem(filename, 0, rest)


def _capped(problems: list[Problem]) -> ProblemsError:
    """The first MAX_IMPORT_PROBLEMS problems, and a note (printed after them) of the rest."""
    ordered = sorted(set(problems))
    if len(ordered) <= MAX_IMPORT_PROBLEMS:
        return ProblemsError(ordered)
    rest = ordered[MAX_IMPORT_PROBLEMS:]
    note = Problem(
        rest[0].path,
        rest[0].line,
        f"and {len(rest)} more problem(s) from here on, {len(ordered)} in all; fix those shown "
        "and run again.",
        "note",
    )
    return ProblemsError(ordered[:MAX_IMPORT_PROBLEMS], [note])


def _own_script(locale: str) -> str:
    """The locale's script when it is not Latin (zh-Hans -> Hans, ja -> Jpan), else ""."""
    parsed = babel.Locale.parse(locale, sep="-")
    script = parsed.script
    if not script:
        likely = babel.core.get_global("likely_subtags").get(parsed.language, "")
        script = babel.Locale.parse(likely).script if likely else None
    return "" if script in (None, "Latn") else str(script)


def _qa_at_import(loaded: Loaded, filename: str, result: ImportResult) -> list[Problem]:
    """What `check` would find in each block this file translates (citations, links, numbers),
    found now: an import that passes leaves a project that checks."""
    from briefgen.load.content import read_block

    project = loaded.project
    source = loaded.content.locale(project.source_locale)
    found: list[Problem] = []
    for key, fields in sorted(result.translations.items()):
        kind, _, block_id = key.partition("/")
        if kind != "block" or block_id not in source:
            continue
        item_hash = combined_hash(source_hashes(source[block_id]))
        item = SourceItem(key, {}, frozenset(), item_hash, {})
        rel, data = _block_file(loaded, result.target_locale, block_id, fields, item)
        locale_dir = project.root / "content" / result.target_locale
        try:
            block, read = read_block(
                project, result.target_locale, project.root / rel, locale_dir, data.decode()
            )
        except ProblemsError as error:
            block, read = None, list(error.problems)
        found.extend(Problem(filename, 0, f"{key}: {p.message}") for p in read)
        if block is None:
            continue
        translation = dataclasses.replace(block, translation_of=block_id)
        for problem in qa_problems(source[block_id], translation):
            found.append(Problem(filename, 0, f"{key}: {problem.message}"))
    return found


def _unchanged(existing: Block, fields: dict[str, str], item: SourceItem) -> bool:
    texts = field_texts(existing)
    same_text = all(texts.get(name, "").strip() == value.strip() for name, value in fields.items())
    return same_text and dict(existing.source_hash) == _split(item.source_hash)


def _peek_locale(data: bytes) -> str:
    """The target locale a file says it is for (XLIFF target-language, PO Language)."""
    import re

    text = data[:4096].decode("utf-8", "replace")
    match = re.search(r'target-language="([^"]+)"', text) or re.search(
        r'"Language: ([^\\"]+)\\n"', text
    )
    return match.group(1).strip().replace("_", "-") if match else ""


def _block_file(
    loaded: Loaded, locale: str, block_id: str, fields: dict[str, str], item: SourceItem
) -> tuple[str, bytes]:
    """A translated block file: front matter written with PyYAML, then the body."""
    project = loaded.project
    source = loaded.content.locale(project.source_locale)[block_id]
    existing = loaded.content.locale(locale).get(block_id)
    meta: dict[str, Any] = {"translation_of": block_id, "title": fields.get("title", "")}
    if "figure.caption" in fields or "figure.alt" in fields:
        meta["figure"] = {
            "caption": fields.get("figure.caption", ""),
            "alt": fields.get("figure.alt", ""),
        }
    recorded = _split(item.source_hash)  # in the order of the fields, as mark-current writes
    meta["source_hash"] = {name: recorded[name] for name in TRANSLATABLE if name in recorded}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    body = fields.get("body", "").strip("\n") + "\n"
    path = existing.path if existing else f"content/{locale}/{source.order}"
    return path, f"---\n{front}---\n{body}".encode()


def _data_file(
    loaded: Loaded, locale: str, name: str, entries: dict[str, dict[str, Any]]
) -> tuple[str, bytes]:
    """data/<locale>/<name>.yaml with these entries merged in by id (others kept)."""
    path = loaded.project.root / DATA_DIR / locale / f"{name}.yaml"
    current: dict[str, Any] = {}
    if path.is_file():
        current = yaml.safe_load(path.read_text("utf-8")) or {}
    key = "terms" if name == "glossary" else "companies"
    kind = "terms" if name == "glossary" else "companies"
    listed = {str(e.get("id")): e for e in current.get(key, []) if isinstance(e, dict)}
    source_data = loaded.data_for(loaded.project.source_locale)
    originals = {e.id: e for e in (source_data.terms if kind == "terms" else source_data.companies)}
    for entry_id, fields in entries.items():
        entry: dict[str, Any] = {"id": entry_id}
        source_texts = entry_texts(kind, originals[entry_id])
        for field_name in TRANSLATED_FIELDS[kind]:
            value = fields.get(field_name, "")
            if not value.strip():
                continue  # nothing to translate there
            if field_name == "name" and value == source_texts["name"]:
                continue  # a name kept as it is comes from the source
            if field_name in ("claimed_uses", "partners", "match"):
                entry[field_name] = [v for v in value.split("\n") if v.strip()]
            else:
                entry[field_name] = value
        entry["source_hash"] = fields["source_hash"]
        old = listed.get(entry_id)
        if old is not None and {k: v for k, v in old.items()} == entry:
            continue
        listed[entry_id] = entry
    current[key] = [listed[i] for i in sorted(listed)]
    text = yaml.safe_dump(current, allow_unicode=True, sort_keys=False, width=100)
    return f"{DATA_DIR}/{locale}/{name}.yaml", text.encode()
