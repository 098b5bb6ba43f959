"""Check a translated file against the current sources, and rebuild the translated fields.

Every check collects sentences; nothing here raises for what a file contains. An item is
returned only when every unit of every field is translated and passes: the source's
placeholders each exactly once and properly nested, nothing a translator typed that turns into
new markup, and a rebuilt field with the same block structure as its source.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from briefgen.errors import BriefgenError, did_you_mean
from briefgen.i18n.exchange.inline import Piece, Placeholder, Tag, TagRole, markup_signature, tags
from briefgen.i18n.exchange.model import (
    FileContent,
    FileUnit,
    ImportResult,
    SourceItem,
    copied_source,
    item_fields,
    split_unit_id,
    unit_id,
)
from briefgen.i18n.exchange.segments import Field, Segment, scan_segment, structure


@dataclass(frozen=True)
class TagForms:
    """How a format writes placeholders, for messages in the translator's own terms."""

    atom: Callable[[int], str]
    open: Callable[[int], str]
    close: Callable[[int], str]
    pair: Callable[[int], str]
    element_ends: bool  # XML: a pair cannot lose its end, nor overlap another

    def tag(self, role: TagRole, number: int) -> str:
        return {"open": self.open, "close": self.close, "atom": self.atom}[role](number)


PO_FORMS = TagForms(
    atom=lambda n: f"<{n}/>",
    open=lambda n: f"<{n}>",
    close=lambda n: f"</{n}>",
    pair=lambda n: f"<{n}>…</{n}>",
    element_ends=False,
)
XLIFF_FORMS = TagForms(
    atom=lambda n: f'<x id="{n}"/>',
    open=lambda n: f'<g id="{n}">',
    close=lambda n: f'the end of <g id="{n}">',
    pair=lambda n: f'<g id="{n}">…</g>',
    element_ends=True,
)


def import_content(
    content: FileContent,
    filename: str,
    items: Mapping[str, SourceItem],
    script: str = "",
    copies_untranslated: bool = False,
) -> ImportResult:
    """Check `content` (a file as read) against `items` and rebuild what it translates.

    `script` is the target locale's own script (ISO 15924, e.g. Hans) when it is not Latin: a
    unit written mostly in Latin words is then refused (a paragraph left in English, or pasted
    from another language's file, is not a translation; see _mostly_latin). With
    `copies_untranslated`, a unit identical to its source is taken as untranslated (see
    _copied_source).
    """
    problems = list(content.problems)
    forms = XLIFF_FORMS if content.format == "XLIFF" else PO_FORMS
    units_of: dict[str, list[FileUnit]] = defaultdict(list)
    seen: set[str] = set()
    for unit in content.units:
        where = f"{filename}:{unit.line}: unit {unit.id}: "
        parsed = split_unit_id(unit.id)
        if not unit.id:
            problems.append(
                f"{filename}:{unit.line}: a unit has no id (the {content.format} file lost the "
                f"{'msgctxt' if content.format == 'PO' else 'id'} briefgen wrote, as "
                "po2xliff and xliff2po do); translate the file briefgen exported."
            )
        elif unit.id in seen:
            problems.append(where + "appears twice in the file; keep one.")
        elif parsed is None:
            problems.append(where + "is not a unit id briefgen wrote (<item>/<field>/<number>).")
        elif parsed[0] not in items:
            problems.append(
                where + f'names the item "{parsed[0]}", which is not in the project'
                f"{did_you_mean(parsed[0], items)}."
            )
        else:
            units_of[parsed[0]].append(unit)
        seen.add(unit.id)
    translations: dict[str, dict[str, str]] = {}
    stale: list[str] = []
    skipped: list[str] = []
    for key, units in units_of.items():
        item = items[key]
        hashes = {unit.source_hash for unit in units}
        if None in hashes:
            unit = next(unit for unit in units if unit.source_hash is None)
            problems.append(
                f"{filename}:{unit.line}: unit {unit.id}: has no source hash, so briefgen cannot "
                "tell whether its source changed; export the file again."
            )
        elif hashes != {item.source_hash}:
            stale.append(key)  # translated from an older source: re-export, and let the TM help
        else:
            fields = _import_item(
                item, units, filename, forms, problems, skipped, script, copies_untranslated
            )
            if fields is not None:
                translations[key] = fields
    return ImportResult(
        translations, content.target_locale, tuple(problems), tuple(stale), tuple(skipped)
    )


def _import_item(
    item: SourceItem,
    units: Sequence[FileUnit],
    filename: str,
    forms: TagForms,
    problems: list[str],
    skipped: list[str],
    script: str = "",
    copies_untranslated: bool = False,
) -> dict[str, str] | None:
    """The item's translated fields if every unit is translated and passes, else None."""
    count = len(problems)
    try:
        fields = {field.name: field for field in item_fields(item)}
    except BriefgenError as error:
        problems.append(f"{filename}: the source of {item.key} cannot be read: {error}")
        return None
    expected = {
        unit_id(item.key, field.name, segment.number): (field, segment)
        for field in fields.values()
        for segment in field.segments
    }
    present = {unit.id for unit in units}
    for unit in units:
        if unit.id not in expected:
            problems.append(_not_in_source(unit, item, fields, filename))
    for missing in (unit for unit in expected if unit not in present):
        problems.append(
            f"{filename}: unit {missing} is missing from the file; it is in the source of "
            f"{item.key}, so export the file again or restore the unit."
        )
    if len(problems) > count:
        return None
    translated: dict[str, dict[int, str]] = defaultdict(dict)
    complete = True
    for unit in units:
        field, segment = expected[unit.id]
        where = f"{filename}:{unit.line}: unit {unit.id}: "
        problems.extend(unit.problems)
        # A copy of the English (a tool's "copy source", or a unit left as exported) is no
        # translation, unless the file marks it as meant to read like its source.
        copied = not unit.same_on_purpose and copied_source(unit.pieces, segment.inline.pieces)
        if unit.status != "translated" or unit.problems or copied:
            complete = False
            if unit.status == "skipped":
                skipped.append(unit.id)
            continue
        if (
            copies_untranslated
            and not unit.same_on_purpose
            and _copied_source(field, segment, unit.pieces)
        ):
            complete = False  # a tool that copies the source into the target: not translated
            continue
        if script and _mostly_latin(unit.pieces):
            problems.append(
                where + f"its text is mostly in Latin letters, not in the script of the "
                f"target language ({script}); translate it, or leave it empty."
            )
            continue
        text, messages = _rebuild_segment(field, segment, unit.pieces, forms)
        problems.extend(where + message for message in messages)
        if not messages:
            translated[field.name][segment.number] = text
    for field in fields.values():
        _check_structure(item.key, field, translated[field.name], units, filename, problems)
    if not complete or len(problems) > count:
        return None
    return {name: field.rebuild(translated[name]) for name, field in fields.items()}


def _plain_text(pieces: Sequence[Piece]) -> str:
    return " ".join("".join(p for p in pieces if isinstance(p, str)).split())


def _copied_source(field: Field, segment: Segment, pieces: Sequence[Piece]) -> bool:
    """A text's unit identical to its source, of four words or more: a copy (what a CAT tool
    puts in an untouched target), not a translation. Names, terms, numbers and short labels
    (a company's name, "PDF", a glossary term) may rightly stay as they are."""
    if not field.markdown:
        return False
    text = _plain_text(pieces)
    same = text == _plain_text(segment.inline.pieces) and list(tags(pieces)) == list(
        tags(segment.inline.pieces)
    )
    return same and len(re.findall(r"[^\W\d_]+", text)) >= MIN_COPIED_WORDS


MIN_COPIED_WORDS = 4


# Latin letters: ASCII, Latin-1, Latin Extended-A and B, and Latin Extended Additional.
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+(?:['\u2019][A-Za-z]+)?")
# A name (Taigusys Computing, EF Children's English) may stay in Latin letters on its own; a
# sentence may not.
MIN_LATIN_WORDS = 4
# Words are compared, not letters: one Chinese character says about as much as 1/1.7 of an
# English word (i18n.CHARACTERS_PER_WORD), and "mostly" leaves room for the names a Chinese
# sentence keeps in Latin letters (Lisa Feldman Barrett, Public Security College).
LATIN_SHARE = 3


def _mostly_latin(pieces: Sequence[Piece]) -> bool:
    """Whether a text is written in Latin words rather than in the target's script."""
    text = _plain_text(pieces)
    latin = len(_LATIN_WORD.findall(text))
    other = sum(1 for c in _LATIN_WORD.sub(" ", text) if c.isalpha())
    return latin >= MIN_LATIN_WORDS and latin > LATIN_SHARE * other / 1.7


def _not_in_source(
    unit: FileUnit, item: SourceItem, fields: Mapping[str, Field], filename: str
) -> str:
    parsed = split_unit_id(unit.id)
    assert parsed is not None
    _, name, _number = parsed
    where = f"{filename}:{unit.line}: unit {unit.id}: "
    if name not in fields:
        return where + f'{item.key} has no field "{name}"{did_you_mean(name, fields)}.'
    count = len(fields[name].segments)
    return where + (
        f"is not in the source: the field {name} of {item.key} has {count} "
        f"segment{'' if count == 1 else 's'}; remove the unit, or export the file again."
    )


def check_tags(
    pieces: Sequence[Piece], placeholders: Mapping[int, Placeholder], forms: TagForms
) -> list[str]:
    """What is wrong with the placeholders of a translation: each a sentence."""
    messages: list[str] = []
    found = tags(pieces)
    counts = Counter((tag.role, tag.number) for tag in found)
    misused: set[int] = set()  # one sentence per misused placeholder, not one per tag
    for tag in found:
        placeholder = placeholders.get(tag.number)
        written = forms.tag(tag.role, tag.number)
        if placeholder is None:
            messages.append(f"{written} is not a placeholder of the source.")
        elif placeholder.paired != (tag.role != "atom") and tag.number not in misused:
            misused.add(tag.number)
            right = forms.pair(tag.number) if placeholder.paired else forms.atom(tag.number)
            messages.append(f"{written} stands for {placeholder.description}, written {right}.")
    for number, placeholder in placeholders.items():
        roles: tuple[TagRole, ...] = ("open", "close") if placeholder.paired else ("atom",)
        for role in () if number in misused else roles[:1] if forms.element_ends else roles:
            times = counts[(role, number)]
            written = forms.tag(role, number)
            if times == 0:
                messages.append(
                    f"{written} ({placeholder.description}) is missing; "
                    "put it back where the sentence needs it."
                )
            elif times > 1:
                messages.append(
                    f"{written} ({placeholder.description}) appears {times} times; keep it once."
                )
    if not messages and not forms.element_ends:
        messages.extend(_nesting(found, forms))
    return list(dict.fromkeys(messages))


def _nesting(found: Sequence[Tag], forms: TagForms) -> list[str]:
    """Pairs must close in the order they open: <1><2></2></1>, never <1><2></1></2>."""
    stack: list[int] = []
    for tag in found:
        if tag.role == "open":
            stack.append(tag.number)
        elif tag.role == "close":
            if tag.number not in stack:
                return [f"{forms.close(tag.number)} comes before {forms.open(tag.number)}."]
            if stack[-1] != tag.number:
                inner = stack[-1]
                return [
                    f"{forms.pair(tag.number)} and {forms.pair(inner)} overlap: "
                    f"close {forms.open(inner)} before {forms.close(tag.number)}."
                ]
            stack.pop()
    return []


def _rebuild_segment(
    field: Field, segment: Segment, pieces: Sequence[Piece], forms: TagForms
) -> tuple[str, list[str]]:
    """The translated segment as Markdown, or the reasons it cannot be."""
    inline = segment.inline
    messages = check_tags(pieces, inline.placeholders, forms)
    if messages:
        return "", messages
    text = inline.render(pieces)
    if text.startswith("\n") or text.endswith("\n"):
        return "", ["starts or ends with a line break; remove it."]
    if segment.single_line and "\n" in text:
        return "", [f"a {segment.role} must stay on one line; remove the line break."]
    if segment.role in ("table cell", "table header cell") and _has_bare_pipe(text):
        return "", ['a table cell cannot contain "|" (it would start a new cell); write "\\|".']
    wanted = [markup_signature(inline.placeholders[tag.number], tag.role) for tag in tags(pieces)]
    for candidate in (text, inline.render(pieces, asterisks=True)):
        if scan_segment(field, candidate).signature() == wanted:
            return candidate, []
    return "", [_markup_message(field, text, wanted)]


def _has_bare_pipe(text: str) -> bool:
    return any(char == "|" and (i == 0 or text[i - 1] != "\\") for i, char in enumerate(text))


def _markup_message(field: Field, text: str, wanted: list[tuple[TagRole, str, str]]) -> str:
    """Why the rebuilt segment reads differently: markup typed as text, or markup merged away."""
    found = Counter(scan_segment(field, text).signature())
    added = ", ".join(f'"{markup}"' for _, _, markup in sorted(found - Counter(wanted)))
    lost = ", ".join(f'"{markup}"' for _, _, markup in sorted(Counter(wanted) - found))
    if added and lost:  # e.g. `@key所说`: the key would swallow the Chinese text after it
        return (
            f"the text next to a placeholder changes its markup: rebuilt, it reads {added} "
            f"where the source has {lost}; put a space between the placeholder and the text."
        )
    if added:
        return (
            f"its text reads as Markdown markup ({added}) that the source does not have; "
            "use the placeholders for markup, or put a backslash before the character."
        )
    return (
        f"the markup of a placeholder ({lost}) would not hold next to the text around it; "
        "put a space or punctuation between the placeholder and the text."
    )


def _check_structure(
    key: str,
    field: Field,
    translated: Mapping[int, str],
    units: Sequence[FileUnit],
    filename: str,
    problems: list[str],
) -> None:
    """The rebuilt field must have its source's blocks: no paragraph, list or cell more or less."""
    if not field.markdown or not translated:
        return
    source = structure(field.source)
    if structure(field.rebuild(translated)) == source:
        return
    lines = {unit.id: unit.line for unit in units}
    culprits = [
        number
        for number in sorted(translated)
        if structure(field.rebuild({number: translated[number]})) != source
    ]
    for number in culprits or sorted(translated)[:1]:
        segment = field.segments[number - 1]
        unit = unit_id(key, field.name, number)
        problems.append(
            f"{filename}:{lines.get(unit, 0)}: unit {unit}: the translation changes the "
            f"structure of the field {field.name} (it makes a new paragraph, list, heading, "
            f"block quote or table row); keep it to one {segment.role}."
        )
