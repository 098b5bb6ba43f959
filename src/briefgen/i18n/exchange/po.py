"""PO (gettext): an entry per segment, msgctxt = unit id, `<1>…</1>` and `<2/>` for markup."""

from __future__ import annotations

import re
from collections.abc import Sequence

import polib

from briefgen.i18n.exchange.inline import from_po, to_po
from briefgen.i18n.exchange.model import (
    FileContent,
    FileUnit,
    ItemUnits,
    Unit,
    copied_source,
    unit_note,
)

HASH_PREFIX = "source_hash: "
_HASH_WORDS = re.compile(r"(?:[\w.-]+=[0-9a-f]+\s*)+")
WRAP = 78  # polib's default, fixed here: the same items give the same bytes
# The flag that marks a msgstr meant to read like its msgid (a name): without it such a msgstr
# is untranslated. Weblate reads the same flag as "do not warn that it is unchanged".
SAME_FLAG = "ignore-same"


def write_po(planned: Sequence[ItemUnits], source_locale: str, target_locale: str) -> bytes:
    po = polib.POFile(wrapwidth=WRAP)
    po.header = (
        f"briefgen content for translation from {source_locale} to {target_locale}.\n"
        "Translate each msgstr. Placeholders stand for markup: keep each exactly once; move\n"
        "them where the sentence needs them. <1>...</1> surrounds text that stays translatable\n"
        "(bold, italic, link text); <2/> stands for something that is never translated (a\n"
        "citation, code). The comment above each entry says what each placeholder is."
    )
    # No dates: the same content gives the same bytes. The fields a translator's tool fills in
    # are there but empty, which `msgfmt --check` accepts without a warning.
    po.metadata = {
        "Project-Id-Version": "briefgen",
        "PO-Revision-Date": "",
        "Last-Translator": "",
        "Language-Team": "",
        "Language": target_locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Source-Language": source_locale,
        "X-Generator": "briefgen",
    }
    for item_units in planned:
        for unit in item_units.units:
            po.append(_entry(unit, item_units))
    return str(po).encode("utf-8")


def _entry(unit: Unit, item_units: ItemUnits) -> polib.POEntry:
    item = item_units.item
    comments = [HASH_PREFIX + item.source_hash, unit_note(unit, item, _tag_form)]
    path = item.context.get("path")
    source = unit.segment.inline.pieces
    same = unit.target is not None and copied_source(unit.target, source)
    entry = polib.POEntry(
        msgctxt=unit.id,
        msgid=to_po(source),
        msgstr=to_po(unit.target) if unit.target is not None else "",
        comment="\n".join(comments),
        occurrences=[(path, "")] if path else [],
        flags=[SAME_FLAG] if same else [],
    )
    if unit.repeat_of:  # the same source, translated elsewhere: a proposal, not a translation
        entry.flags.append("fuzzy")
        entry.comment += f"\nthe same source is translated so in {unit.repeat_of}; review it"
    previous = unit.previous
    if previous is not None:
        # gettext's own way to show what changed: the source the translation was made from
        # (`#| msgid`, which PO editors show as a diff), and the old translation marked fuzzy.
        entry.previous_msgctxt = unit.id
        entry.previous_msgid = to_po(previous.source.pieces)
        if unit.target is not None:
            entry.flags.append("fuzzy")
        else:  # its placeholders no longer fit: shown, for the translator to start from
            entry.comment += f"\nprevious translation: {previous.target_text}"
    return entry


def _tag_form(number: int, paired: bool) -> str:
    return f"<{number}>…</{number}>" if paired else f"<{number}/>"


def read_po(data: bytes, filename: str) -> FileContent:
    """The units of a PO file, or the problems that keep it from being read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _unreadable(
            f"{filename}: the file is not UTF-8 ({error.reason} at byte {error.start + 1})."
        )
    # polib takes a string without a line break for a file name: such a string is no PO file.
    if "\n" not in text or "msgid" not in text:
        return _unreadable(f"{filename}: the file is neither XLIFF 1.2 nor PO (it has no msgid).")
    syntax = syntax_problems(text.removeprefix("\ufeff"), filename)
    if syntax:
        return FileContent("PO", "", (), tuple(syntax))
    try:
        po = polib.pofile(text.removeprefix("\ufeff"), encoding="utf-8")
    except (OSError, ValueError) as error:
        return _unreadable(f"{filename}: the file is not a valid PO file: {error}.")
    problems = []
    locale = po.metadata.get("Language", "").strip()
    if not locale:
        problems.append(f"{filename}: the PO header has no Language; it names the target locale.")
    units = tuple(_read_entry(entry, filename) for entry in po if not entry.obsolete)
    return FileContent("PO", locale, units, tuple(problems))


# What gettext itself accepts (GNU gettext's po-lex.c): a keyword, then one string; or a string
# that continues the one above. polib is lenient (an unterminated string loses its last
# character, \q passes as q), so every line is checked first, and nothing is guessed.
_KEYWORD = re.compile(r"^(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)[ \t]+(?=\")")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"[ \t]*$')
_ESCAPE = re.compile(r"\\(.)")
_KNOWN_ESCAPES = set('\\"ntrabfv01234567x')
MAX_PROBLEMS = 20


def syntax_problems(text: str, filename: str) -> list[str]:
    """Every line of a PO file that GNU gettext would not read as written, at its line."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if "\x00" in line:
            problems.append(f"{filename}:{number}: the line holds a NUL character; remove it.")
        elif not stripped or stripped.startswith("#"):
            continue
        else:
            keyword = _KEYWORD.match(stripped)
            rest = stripped[keyword.end() :] if keyword else stripped
            match = _STRING.match(rest)
            if not rest.startswith('"'):
                problems.append(
                    f"{filename}:{number}: this line is not a PO keyword and string "
                    "(msgctxt, msgid, msgstr, or a quoted continuation)."
                )
            elif match is None:
                problems.append(
                    f"{filename}:{number}: the string is not closed with a quotation mark "
                    '(or a " inside it is not written \\").'
                )
            else:
                for escape in _ESCAPE.finditer(match.group(1)):
                    if escape.group(1) not in _KNOWN_ESCAPES:
                        problems.append(
                            f"{filename}:{number}: unknown escape \\{escape.group(1)} in the "
                            'string (known: \\n \\t \\" \\\\ and the C escapes).'
                        )
        if len(problems) >= MAX_PROBLEMS:
            problems.append(f"{filename}: more problems follow; fix these first.")
            break
    return problems


def _unreadable(problem: str) -> FileContent:
    return FileContent("PO", "", (), (problem,))


def _read_entry(entry: polib.POEntry, filename: str) -> FileUnit:
    unit_id = entry.msgctxt or ""
    line = entry.linenum or 0
    source_hash = None
    # polib wraps a long comment at WRAP columns: a block with a figure has four field hashes,
    # which run on to the next comment lines. Those lines are `field=hash` words alone.
    lines = iter(entry.comment.splitlines())
    for comment in lines:
        if comment.startswith(HASH_PREFIX):
            words = comment.removeprefix(HASH_PREFIX).split()
            for more in lines:
                if not _HASH_WORDS.fullmatch(more.strip()):
                    break
                words += more.split()
            source_hash = " ".join(words)
            break
    if entry.msgid_plural:
        problem = f"{filename}:{line}: unit {unit_id}: has plural forms; briefgen writes none."
        return FileUnit(unit_id, line, source_hash, "translated", problems=(problem,))
    if not entry.msgstr.strip():
        return FileUnit(unit_id, line, source_hash, "untranslated")
    status = "skipped" if entry.fuzzy else "translated"
    return FileUnit(
        unit_id,
        line,
        source_hash,
        status,
        tuple(from_po(entry.msgstr)),
        same_on_purpose=SAME_FLAG in entry.flags,
    )
