"""Edits of the project's own files that record translations: mark-current and mark-minor (the
source hashes and the translation memory), add-locale (briefgen.yaml and a new catalog) and a
recipe's titles in a locale. A YAML file is edited as text, keeping its comments and layout, and
the result is checked by parsing it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import babel
import yaml

from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean
from briefgen.i18n.exchange import SourceItem
from briefgen.i18n.items import (
    block_item,
    check_locale,
    entry_item,
    recipe_titles_item,
    string_item,
)
from briefgen.i18n.locales import STRINGS_DIR, catalog_bytes, qa_problems, source_hashes
from briefgen.i18n.memory import memory_bytes, memory_path, read_memory, replace_items
from briefgen.load.datasets import DATA_DIR, entry_hash
from briefgen.load.loader import Loaded, load
from briefgen.publish.output import write_files


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
    check_locale(loaded, locale)
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
            string_item(locale, key, text, have[key])
            for key, text in sorted(loaded.strings.source.items())
            if key in have
        ]
        for recipe_id in sorted(loaded.recipes):
            recipe_item = recipe_titles_item(
                loaded.recipes[recipe_id], project.source_locale, locale
            )
            if recipe_item is not None and recipe_item.translation:
                items.append(recipe_item)
    for key in wanted:
        if key not in translated:
            continue
        block = translated[key]
        items.append(block_item(source[key], block, ()))
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
                items.append(entry_item(kind, entries[entry_id], targets[entry_id]))
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


def recipe_file(
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
