"""The translators' workflow: what is left to translate, files for CAT tools, and their return.

status   every block, data entry and interface string of a locale: current, stale, missing
export   the units to translate as XLIFF 1.2 or PO (exchange/), for a locale or one brief
import   validate the files, then write translated blocks, data entries and strings, with
         the source hashes they were translated from; a file with any problem writes nothing
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel
import yaml

from briefgen.assemble.select import Audience, assemble, select_blocks
from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean
from briefgen.i18n.exchange import ImportResult, SourceItem, export_po, export_xliff, import_file
from briefgen.i18n.exchange.model import item_fields, unit_id
from briefgen.i18n.locales import (
    STRINGS_DIR,
    TRANSLATABLE,
    BlockState,
    LocaleStatus,
    Scope,
    catalog_bytes,
    count_words,
    field_hash,
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
from briefgen.load.datasets import DATA_DIR, TRANSLATED_FIELDS, entry_hash, entry_texts
from briefgen.load.loader import Loaded, load
from briefgen.model import Block, Brief, Company, Recipe, Term
from briefgen.publish.output import write_files

EXCHANGE_FORMATS = ("xliff", "po", "tmx", "tbx")


def _check_locale(loaded: Loaded, locale: str) -> None:
    project = loaded.project
    if locale not in project.locales or locale == project.source_locale:
        others = [code for code in project.locales if code != project.source_locale]
        raise ProblemsError(
            [
                Problem(
                    "briefgen.yaml",
                    0,
                    f'"{locale}" is not a translated locale of this project'
                    f"{did_you_mean(locale, others)}.",
                )
            ]
        )


def _check_brief(loaded: Loaded, brief: str) -> None:
    if brief not in loaded.recipes:
        raise ProblemsError(
            [
                Problem(
                    "briefs/",
                    0,
                    f'there is no brief "{brief}"{did_you_mean(brief, loaded.recipes)}.',
                )
            ]
        )


def _brief_in(loaded: Loaded, recipe_id: str, locale: str) -> Brief:
    """A brief as it would be built in `locale`, falling back for anything untranslated."""
    return assemble(
        loaded.project,
        loaded.recipes[recipe_id],
        loaded.content,
        locale,
        loaded.data_for(locale),
        strings=loaded.strings.for_locale(locale),
        untranslated="fallback",
    )


def _brief_block_ids(loaded: Loaded, recipe_id: str) -> list[str]:
    project = loaded.project
    chosen, _ = select_blocks(
        loaded.recipes[recipe_id],
        loaded.content.locale(project.source_locale),
        Audience(project.build_date),
    )
    return [b.id for section in chosen for b in section]


def _data_keys(brief: Brief) -> list[str]:
    return [f"companies/{c.id}" for c in brief.companies] + [
        f"glossary/{t.id}" for t in brief.terms
    ]


def status(
    root: Path, locales: Sequence[str] = (), briefs: Sequence[str] = ()
) -> tuple[list[LocaleStatus], str, tuple[Problem, ...]]:
    """The translation state of each locale (and of each brief in it), the source locale, and
    what translation QA found in current translations (reported, not raised)."""
    loaded = load(root, qa_apart=True)
    project = loaded.project
    for locale in locales:
        _check_locale(loaded, locale)
    for brief in briefs:
        _check_brief(loaded, brief)
    targets = list(locales) or [c for c in project.locales if c != project.source_locale]
    report = []
    for locale in targets:
        states = _unit_states(loaded, locale, locale_states(loaded.content, project, locale))
        data = loaded.data_for(locale).states
        missing_strings = tuple(loaded.strings.missing(locale))
        recipe_ids = list(briefs) or [
            r.id for r in loaded.recipes.values() if r.visibility == "public"
        ]
        parts = []
        for recipe_id in recipe_ids:
            ids = _brief_block_ids(loaded, recipe_id)
            keys = _data_keys(_brief_in(loaded, recipe_id, locale))
            parts.append(
                (
                    recipe_id,
                    Scope(
                        tuple(states[i] for i in ids),
                        tuple((k, data.get(k, "current")) for k in keys),
                        missing_strings,
                    ),
                )
            )
        if briefs:  # the locale's figures cover just these briefs
            ids = list(dict.fromkeys(s.block_id for _, p in parts for s in p.states))
            keys = list(dict.fromkeys(k for _, p in parts for k, _ in p.data))
            scope = Scope(
                tuple(states[i] for i in ids),
                tuple((k, data.get(k, "current")) for k in keys),
                missing_strings,
            )
        else:
            scope = Scope(
                tuple(states.values()),
                tuple(sorted(data.items())),
                missing_strings,
                _titles_missing(loaded, locale),
            )
        report.append(LocaleStatus(locale, scope, tuple(parts)))
    return report, project.source_locale, loaded.qa


def _titles_missing(loaded: Loaded, locale: str) -> tuple[str, ...]:
    """The titles a locale has no text for: recipes' titles, subtitles and section titles, and
    the project's name and publisher (briefs print them in the source language)."""
    project = loaded.project
    missing = []
    # A name given as plain text is the same in every locale; a mapping is translated.
    if len(project.names) > 1 and locale not in project.names:
        missing.append("briefgen.yaml: name")
    if len(project.publishers) > 1 and locale not in project.publishers:
        missing.append("briefgen.yaml: publisher")
    for recipe in sorted(loaded.recipes.values(), key=lambda r: r.path):
        texts = [("title", recipe.title), ("subtitle", recipe.subtitle)]
        texts += [(f"section {n} title", s.title) for n, s in enumerate(recipe.sections, 1)]
        missing += [f"{recipe.path}: {what}" for what, text in texts if text and locale not in text]
    return tuple(missing)


def _unit_states(
    loaded: Loaded, locale: str, states: dict[str, BlockState]
) -> dict[str, BlockState]:
    """Stale blocks narrowed to the units whose source changed, where the translation memory
    says what each unit was translated from: their words are what is left to translate."""
    memory = read_memory(loaded.project.root, locale)
    source = loaded.content.locale(loaded.project.source_locale)
    translated = loaded.content.locale(locale)
    narrowed = dict(states)
    for block_id, state in states.items():
        if state.state != "stale" or state.untracked:
            continue
        item = _block_item(source[block_id], translated.get(block_id), ())
        if not any(key.startswith(f"{item.key}/") for key in memory):
            continue
        units, words = [], 0
        for field in item_fields(item):
            for segment in field.segments:
                ident = unit_id(item.key, field.name, segment.number)
                remembered = memory.get(ident)
                text = segment.inline.render(segment.inline.pieces)
                if remembered is None or not same_text(remembered.source, text):
                    units.append(ident.removeprefix(f"{item.key}/"))
                    words += count_words(text)
        narrowed[block_id] = dataclasses.replace(state, units=tuple(units), words=words)
    return narrowed


# --- export ------------------------------------------------------------------------------


def _block_item(block: Block, translation: Block | None, briefs: Iterable[str]) -> SourceItem:
    texts = field_texts(block)
    current = None
    if translation is not None:
        current = field_texts(translation)
    return SourceItem(
        key=f"block/{block.id}",
        fields=texts,
        markdown_fields=frozenset({"body"}),
        source_hash=_combined(source_hashes(block)),
        context={
            "block": block.id,
            "title": block.title,
            "kind": block.kind,
            "audiences": ", ".join(sorted(block.audiences)),
            "briefs": ", ".join(sorted(briefs)),
            "path": block.path,
        },
        translation=current,
    )


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


def _combined(hashes: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(hashes.items()))


def _split(combined: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in combined.split() if "=" in part)


def _entry_item(kind: str, entry: Company | Term, translated: Company | Term | None) -> SourceItem:
    name = "glossary" if kind == "terms" else "companies"
    return SourceItem(
        key=f"data/{name}/{entry.id}",
        fields=entry_texts(kind, entry),
        markdown_fields=frozenset(),
        source_hash=entry_hash(kind, entry),
        context={"entry": entry.id, "path": f"{DATA_DIR}/<locale>/{name}.yaml"},
        translation=entry_texts(kind, translated) if translated is not None else None,
    )


def _items(loaded: Loaded, locale: str, brief: str | None, stale_only: bool) -> list[SourceItem]:
    project = loaded.project
    source = loaded.content.locale(project.source_locale)
    translated = loaded.content.locale(locale)
    states = locale_states(loaded.content, project, locale)
    recipe_ids = [brief] if brief else sorted(loaded.recipes)
    uses: dict[str, set[str]] = {}
    data_keys: list[str] = []
    for recipe_id in recipe_ids:
        for block_id in _brief_block_ids(loaded, recipe_id):
            uses.setdefault(block_id, set()).add(recipe_id)
        if brief:
            data_keys += _data_keys(_brief_in(loaded, recipe_id, locale))
    block_ids = (
        list(uses) if brief else [b.id for b in sorted(source.values(), key=lambda b: b.order)]
    )
    items = []
    memory = read_memory(project.root, locale)
    by_source = {" ".join(m.source.split()): (key, m.target) for key, m in sorted(memory.items())}
    for block_id in block_ids:
        if stale_only and states[block_id].state == "current":
            continue
        item = _block_item(source[block_id], translated.get(block_id), uses.get(block_id, ()))
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
            items.append(
                _entry_item(kind, entry, targets[entry.id] if state != "missing" else None)
            )
    for recipe_id in recipe_ids:
        recipe_item = _recipe_item(loaded.recipes[recipe_id], project.source_locale, locale)
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
        items.append(_string_item(locale, key, text, have.get(key)))
    return items


def _string_item(locale: str, key: str, text: str, translation: str | None) -> SourceItem:
    return SourceItem(
        key=f"string/{key}",
        fields={"text": text},
        markdown_fields=frozenset(),
        source_hash=_combined({"text": field_hash(text)}),
        context={"string": key, "path": f"{STRINGS_DIR}/{locale}.po"},
        translation={"text": translation} if translation is not None else None,
    )


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
    _check_locale(loaded, locale)
    if brief:
        _check_brief(loaded, brief)
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


def import_files(root: Path, files: Sequence[Path]) -> Imported:
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
            edited = _recipe_file(loaded, locale, recipe_id, fields, before)
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
        item_hash = _combined(source_hashes(source[block_id]))
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


def mark_current(
    root: Path, locale: str, keys: Sequence[str], everything: bool = False
) -> list[str]:
    """Record in each named translation the hashes of its source as it is now, and its units
    in the locale's translation memory.

    For a translator who updated a block or a data entry by hand (import records hashes
    itself): it becomes current. Keys are block ids, or `companies/<id>` and `glossary/<id>`
    for data entries; `everything` takes every translation the locale has. Only `source_hash`
    fields change (a file whose hashes are already right is left as it is).
    """
    loaded = load(root)
    _check_locale(loaded, locale)
    translated = loaded.content.locale(locale)
    data = loaded.data_for(locale)
    known_data = {k for k, state in data.states.items() if state != "missing"}
    wanted = list(keys)
    if everything:
        wanted = sorted(translated) + sorted(known_data)
    problems = []
    for key in wanted:
        if key not in translated and key not in known_data:
            problems.append(
                Problem(
                    f"content/{locale}/",
                    0,
                    f'"{key}" has no translation in {locale}'
                    f"{did_you_mean(key, [*translated, *known_data])}.",
                )
            )
    if problems:
        raise ProblemsError(problems)
    files = _marked_files(loaded, locale, wanted, strings=everything)
    return [w.relpath for w in write_files(root, files)]


def _marked_files(
    loaded: Loaded, locale: str, wanted: Sequence[str], strings: bool = False
) -> list[tuple[str, bytes]]:
    """The files that record these translations as current: their source_hash, and the memory
    (with every interface string and recipe title the locale translates, if `strings`)."""
    root = loaded.project.root
    project = loaded.project
    source = loaded.content.locale(project.source_locale)
    translated = loaded.content.locale(locale)
    files = []
    items: list[SourceItem] = []
    if strings:
        have = loaded.strings.by_locale.get(locale, {})
        items += [
            _string_item(locale, key, text, have[key])
            for key, text in sorted(loaded.strings.source.items())
            if key in have
        ]
        for recipe_id in sorted(loaded.recipes):
            recipe_item = _recipe_item(loaded.recipes[recipe_id], project.source_locale, locale)
            if recipe_item is not None and recipe_item.translation:
                items.append(recipe_item)
    for key in wanted:
        if key not in translated:
            continue
        block = translated[key]
        items.append(_block_item(source[key], block, ()))
        if dict(block.source_hash) == source_hashes(source[key]):
            continue
        text = (root / block.path).read_text("utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front) or {}
        meta["source_hash"] = source_hashes(source[key])
        dumped = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
        files.append((block.path, f"---\n{dumped}---\n{body}".encode()))
    source_data = loaded.data_for(project.source_locale)
    target_data = loaded.data_for(locale)
    for name, kind, entries, targets in (
        (
            "companies",
            "companies",
            {c.id: c for c in source_data.companies},
            {c.id: c for c in target_data.companies},
        ),
        (
            "glossary",
            "terms",
            {t.id: t for t in source_data.terms},
            {t.id: t for t in target_data.terms},
        ),
    ):
        ids = {k.split("/", 1)[1] for k in wanted if k.startswith(f"{name}/")}
        if not ids:
            continue
        for entry_id in sorted(ids):
            if entry_id in entries and entry_id in targets:
                items.append(_entry_item(kind, entries[entry_id], targets[entry_id]))
        rel = f"{DATA_DIR}/{locale}/{name}.yaml"
        current = yaml.safe_load((root / rel).read_text("utf-8")) or {}
        changed = False
        for entry in current.get(kind, []):
            if isinstance(entry, dict) and entry.get("id") in ids:
                recorded = entry_hash(kind, entries[entry["id"]])
                changed = changed or entry.get("source_hash") != recorded
                entry["source_hash"] = recorded
        if changed:
            dumped = yaml.safe_dump(current, allow_unicode=True, sort_keys=False, width=100)
            files.append((rel, dumped.encode()))
    memory = replace_items(read_memory(root, locale), items)
    files.append((memory_path(locale), memory_bytes(project.source_locale, locale, memory)))
    return files


def mark_minor(root: Path, block_ids: Sequence[str]) -> list[str]:
    """Record that the source edits of these blocks change no meaning (a typo, punctuation):
    every locale's translation of them stays current. Each translation's source_hash and the
    memory's source segments take today's source; the translation itself is not touched.

    Refused for a translation that would then fail translation QA (a number, a citation or a
    link of the source it lacks): such an edit changes what the translation must say.
    """
    loaded = load(root)
    project = loaded.project
    source = loaded.content.locale(project.source_locale)
    problems = []
    for block_id in block_ids:
        if block_id not in source:
            problems.append(
                Problem(
                    f"content/{project.source_locale}/",
                    0,
                    f'there is no block "{block_id}"{did_you_mean(block_id, source)}.',
                )
            )
    if problems:
        raise ProblemsError(problems)
    files: list[tuple[str, bytes]] = []
    for locale in project.locales:
        if locale == project.source_locale:
            continue
        translated = loaded.content.locale(locale)
        ids = [block_id for block_id in block_ids if block_id in translated]
        for block_id in ids:
            for problem in qa_problems(source[block_id], translated[block_id]):
                problems.append(
                    Problem(
                        problem.path,
                        problem.line,
                        f"{problem.message} The edit of {block_id} is not minor: translate it "
                        f"again (briefgen i18n export --locale {locale} --stale-only).",
                    )
                )
        if ids:
            files += _marked_files(loaded, locale, ids)
    if problems:
        raise ProblemsError(problems)
    return [w.relpath for w in write_files(root, files)]


# --- a new locale --------------------------------------------------------------------------

_AVAILABLE_FLOW = re.compile(r"(\bavailable:\s*\[)([^\]\n]*?)(\s*\])")
_AVAILABLE_BLOCK = re.compile(r"^(?P<indent>\s+)available:\s*(#.*)?$")


def add_locale(root: Path, locale: str) -> list[str]:
    """Add `locale` to briefgen.yaml's locales.available and start its interface-string
    catalog (every source string, msgstr empty). Everything is checked before anything is
    written. Its blocks, data and titles are then missing, which `status` and `export` list.
    """
    from briefgen.load.project import PROJECT_FILE

    try:
        parsed = babel.Locale.parse(locale, sep="-")
    except (ValueError, babel.UnknownLocaleError) as error:
        raise BriefgenError(
            f'"{locale}" is not a language tag Babel (CLDR) knows ({error}); write one such as '
            "de, pt-BR or zh-Hant."
        ) from None
    canonical = "-".join(
        part for part in (parsed.language, parsed.script, parsed.territory) if part
    )
    if canonical != locale:
        raise BriefgenError(f'write the language tag "{locale}" as "{canonical}".')
    loaded = load(root)
    project = loaded.project
    if locale in project.locales:
        raise BriefgenError(f'"{locale}" is already a locale of this project (briefgen.yaml).')
    path = root / PROJECT_FILE
    text = path.read_text("utf-8")
    edited = _with_locale(text, locale)
    # The edit is a line edit (comments and layout kept); it must read back as the same file
    # with one locale more, or nothing is written.
    before = yaml.safe_load(text)
    expected = {
        **before,
        "locales": {**before["locales"], "available": [*before["locales"]["available"], locale]},
    }
    if edited is None or yaml.safe_load(edited) != expected:
        raise BriefgenError(
            f"cannot find where to add {locale} in {PROJECT_FILE}: add it to "
            "locales.available by hand, then run this again to start its catalog."
        )
    catalog = f"{STRINGS_DIR}/{locale}.po"
    files = [(PROJECT_FILE, edited.encode())]
    if not (root / catalog).exists():
        files.append((catalog, catalog_bytes(locale, loaded.strings.source, {})))
    return [w.relpath for w in write_files(root, files)]


def _with_locale(text: str, locale: str) -> str | None:
    """briefgen.yaml with `locale` appended to locales.available (`available: [en, fr]`, in a
    block or a flow mapping, or a block list under `available:`), or None if not found. The
    caller checks the result by parsing it."""
    flows = list(_AVAILABLE_FLOW.finditer(text))
    if len(flows) == 1:
        match = flows[0]
        items = match.group(2).strip()
        joined = f"{match.group(2)}, {locale}" if items else locale
        return text[: match.start(2)] + joined + text[match.end(2) :]
    lines = text.split("\n")
    in_locales = False
    for index, line in enumerate(lines):
        if re.match(r"^locales:\s*(#.*)?$", line):
            in_locales = True
            continue
        if in_locales and line and not line[0].isspace() and not line.startswith("#"):
            return None  # the next top-level key: available was not found
        if not in_locales or not _AVAILABLE_BLOCK.match(line):
            continue
        last = index
        for later in range(index + 1, len(lines)):
            if re.match(r"^\s+-\s", lines[later]):
                last = later
            elif lines[later].strip() and not lines[later].strip().startswith("#"):
                break
        dash = re.match(r"^(\s+-\s+)", lines[last])
        if dash is None:
            return None
        lines.insert(last + 1, f"{dash.group(1)}{locale}")
        return "\n".join(lines)
    return None


# --- recipe titles -------------------------------------------------------------------------


def _recipe_texts(recipe: Recipe) -> dict[str, dict[str, str]]:
    """A recipe's translatable titles by exchange field: title, subtitle, short_title and
    section-<n> (n counting from 1), each a mapping of locale to text."""
    texts = {"title": recipe.title, "subtitle": recipe.subtitle, "short_title": recipe.short_title}
    texts.update({f"section-{n}": s.title for n, s in enumerate(recipe.sections, 1)})
    return {name: text for name, text in texts.items() if text}


def _recipe_item(recipe: Recipe, source_locale: str, locale: str) -> SourceItem | None:
    texts = _recipe_texts(recipe)
    fields = {name: text[source_locale] for name, text in texts.items() if text.get(source_locale)}
    if not fields:
        return None
    have = {name: texts[name][locale] for name in fields if texts[name].get(locale)}
    return SourceItem(
        key=f"recipe/{recipe.id}",
        fields=fields,
        markdown_fields=frozenset(),
        source_hash=_combined({name: field_hash(text) for name, text in fields.items()}),
        context={"brief": recipe.id, "path": recipe.path},
        translation=have or None,
    )


def _recipe_file(
    loaded: Loaded,
    locale: str,
    recipe_id: str,
    fields: Mapping[str, str],
    text: str | None = None,
) -> bytes | None:
    """briefs/<id>.yaml with the locale's text of each title set, by a text edit at the
    places yaml's parser reports (comments and layout kept), checked by parsing the result;
    None when nothing changes."""
    recipe = loaded.recipes[recipe_id]
    if text is None:
        text = (loaded.project.root / recipe.path).read_text("utf-8")
    expected = yaml.safe_load(text)
    edits: list[tuple[int, int, str]] = []
    document = yaml.compose(text)
    for name, value in sorted(fields.items()):
        if name.startswith("section-"):
            index = int(name.removeprefix("section-")) - 1
            holder = expected["sections"][index]
            node = _mapping_value(_sequence_item(_mapping_value(document, "sections"), index))
        else:
            holder, node = expected, _mapping_value(document, name)
        key = "title" if name.startswith("section-") else name
        if not isinstance(holder[key], dict):
            raise BriefgenError(
                f"{recipe.path}: {name} is plain text; write it as a mapping of locale to text "
                f"(en: ...) to add its {locale} text."
            )
        if holder[key].get(locale) == value:
            continue
        holder[key][locale] = value
        edits.append(_locale_edit(text, node, locale, value))
    if not edits:
        return None
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    if yaml.safe_load(text) != expected:
        raise BriefgenError(
            f"{recipe.path}: cannot add the {locale} titles without changing something else; "
            f"add them by hand ({', '.join(sorted(fields))})."
        )
    return text.encode()


def _mapping_value(node: Any, key: str = "title") -> Any:
    for key_node, value_node in node.value:
        if key_node.value == key:
            return value_node
    raise BriefgenError(f'no "{key}" where the recipe should have one.')


def _sequence_item(node: Any, index: int) -> Any:
    return node.value[index]


def _locale_edit(text: str, node: Any, locale: str, value: str) -> tuple[int, int, str]:
    """The (start, end, replacement) that gives a locale-to-text mapping node `locale: value`."""
    import json

    quoted = json.dumps(value, ensure_ascii=False)  # a YAML double-quoted scalar
    for key_node, value_node in node.value:
        if key_node.value == locale:
            return value_node.start_mark.index, value_node.end_mark.index, quoted
    last_key, last_value = node.value[-1]
    if node.flow_style:
        end = last_value.end_mark.index
        return end, end, f", {locale}: {quoted}"
    indent = " " * last_key.start_mark.column
    line_end = text.find("\n", last_value.end_mark.index)
    line_end = len(text) if line_end < 0 else line_end
    return line_end, line_end, f"\n{indent}{locale}: {quoted}"
