"""The values the exchange formats carry: what is exported, and what an import gives back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from briefgen.i18n.exchange.inline import NUMBER, Inline, Piece, Placeholder, Tag
from briefgen.i18n.exchange.segments import ExportError, Field, Segment, scan_segment, segment_field


@dataclass(frozen=True)
class SourceItem:
    """One translatable thing: a block, a data entry, or an interface string."""

    key: str  # stable id, e.g. "block/consider-rhue-study", "string/references"
    fields: dict[str, str]  # field name -> source text (pandoc Markdown for "body")
    markdown_fields: frozenset[str]  # fields that are Markdown (segmented); others: plain text
    source_hash: str  # hash of the source fields (the caller computes it)
    context: dict[str, str]  # shown to the translator: block id, title, kind, briefs, path...
    translation: dict[str, str] | None = None  # the current translation, to pre-fill targets
    # Units translated from another source than today's (translation memory): unit id ->
    # (the source segment then, its translation), both Markdown. They are exported for review
    # with the previous source shown, never as translated.
    previous: Mapping[str, tuple[str, str]] = dataclass_field(default_factory=dict)
    # Untranslated units whose source repeats a segment translated elsewhere (translation
    # memory): unit id -> (the unit translated so, its translation as Markdown). Offered
    # pre-filled for review, never as translated.
    repeats: Mapping[str, tuple[str, str]] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    """What a translated file gives back; the caller writes nothing while `problems` is set."""

    translations: dict[str, dict[str, str]]  # item key -> field -> translated text
    target_locale: str
    problems: tuple[str, ...]  # sentences naming the file, line and unit, and what is wrong
    stale: tuple[str, ...]  # items whose source changed since the export: not imported
    # Unit ids a translator or a tool marked as not final (PO `#, fuzzy`; XLIFF state `new` or
    # `needs-*`): never imported. Sphinx can be told to use fuzzy entries
    # (`gettext_allow_fuzzy_translations`); briefgen has no such switch, and lists them here.
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Previous:
    """The source a unit was translated from, and that translation, in their own placeholders."""

    source: Inline
    target: tuple[Piece, ...] | None  # None when the old translation does not fit its source
    target_text: str  # the old translation as Markdown, shown when it fits no placeholders


@dataclass(frozen=True)
class Unit:
    """One segment of one field of one item, as it is exported."""

    id: str  # "<item key>/<field>/<n>"
    field: Field
    segment: Segment
    target: tuple[Piece, ...] | None  # the current translation in the source's placeholders
    # A unit whose source changed since it was translated: `target` (if the old translation
    # fits today's placeholders) is to be reviewed, and what it was translated from is kept.
    previous: Previous | None = None
    repeat_of: str = ""  # the unit whose translation `target` repeats, for review

    @property
    def for_review(self) -> bool:
        return self.previous is not None or bool(self.repeat_of)

    @property
    def placeholders(self) -> Mapping[int, Placeholder]:
        return self.segment.inline.placeholders


def unit_note(unit: Unit, item: SourceItem, tag_form: Callable[[int, bool], str]) -> str:
    """What the translator reads beside a unit: where it stands, its context, its placeholders."""
    segment, where = unit.segment, f"field {unit.field.name}"
    lines = [where if segment.role == "text" else f"{where}, {segment.role} {segment.number}"]
    lines += [f"{key}: {value}" for key, value in item.context.items()]
    lines += [
        f"{tag_form(number, placeholder.paired)} = {placeholder.description}"
        for number, placeholder in unit.placeholders.items()
    ]
    return "\n".join(lines)


def has_text(pieces: Sequence[Piece]) -> bool:
    """Whether a target says anything: whitespace alone counts as untranslated."""
    return any(isinstance(piece, Tag) or piece.strip() for piece in pieces)


def _comparable(pieces: Sequence[Piece]) -> tuple[Piece, ...]:
    """The pieces with their text joined and its runs of whitespace made one space."""
    joined: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and joined and isinstance(joined[-1], str):
            joined[-1] += piece
        else:
            joined.append(piece)
    return tuple(
        " ".join(piece.split()) if isinstance(piece, str) else piece
        for piece in joined
        if not isinstance(piece, str) or piece.strip()
    )


def same_as_source(target: Sequence[Piece], source: Sequence[Piece]) -> bool:
    """Whether a target reads as its source (whitespace aside): a copy, not a translation."""
    return _comparable(target) == _comparable(source)


def has_words(pieces: Sequence[Piece]) -> bool:
    """Whether a segment has letters to translate; one of digits, signs and placeholders alone
    (a table cell "2019", a citation) is its own translation."""
    return any(isinstance(piece, str) and any(c.isalpha() for c in piece) for piece in pieces)


def copied_source(target: Sequence[Piece], source: Sequence[Piece]) -> bool:
    """Whether a target is a copy of a source that has words: such a target is untranslated,
    unless the file marks it as meant to read like its source (a name)."""
    return has_words(source) and same_as_source(target, source)


@dataclass(frozen=True)
class ItemUnits:
    item: SourceItem
    fields: tuple[Field, ...]
    units: tuple[Unit, ...]


def unit_id(key: str, field: str, number: int) -> str:
    return f"{key}/{field}/{number}"


def split_unit_id(value: str) -> tuple[str, str, int] | None:
    """(item key, field, segment number) of a unit id, or None if it is not one."""
    parts = value.rsplit("/", 2)
    if len(parts) != 3 or not parts[0] or not parts[1] or not NUMBER.fullmatch(parts[2]):
        return None
    return parts[0], parts[1], int(parts[2])


def item_fields(item: SourceItem) -> tuple[Field, ...]:
    for name in item.fields:
        if "/" in name:
            raise ExportError(f'item {item.key}: a field name cannot contain "/": "{name}"')
    return tuple(
        segment_field(name, text, name in item.markdown_fields)
        for name, text in item.fields.items()
    )


def plan(items: Sequence[SourceItem]) -> list[ItemUnits]:
    """Every item that has something to translate, by key, with its units and pre-fills."""
    planned = []
    for item in sorted(items, key=lambda item: item.key):
        fields = item_fields(item)
        units = []
        for field in fields:
            targets = _current_targets(field, item.translation)
            for segment in field.segments:
                ident = unit_id(item.key, field.name, segment.number)
                if ident in item.previous:
                    units.append(_review_unit(ident, field, segment, *item.previous[ident]))
                    continue
                target = targets.get(segment.number)
                if target is None and ident in item.repeats:
                    other, text = item.repeats[ident]
                    repeated = _renumber(segment.inline, scan_segment(field, text))
                    if repeated is not None:
                        units.append(Unit(ident, field, segment, repeated, repeat_of=other))
                        continue
                units.append(Unit(ident, field, segment, target))
        if units:
            planned.append(ItemUnits(item, fields, tuple(units)))
    return planned


def _review_unit(ident: str, field: Field, segment: Segment, source: str, target: str) -> Unit:
    """A unit to review: the old translation in today's placeholders where it fits them."""
    old_source = scan_segment(field, source)
    old_target = scan_segment(field, target)
    previous = Previous(old_source, _renumber(old_source, old_target), target)
    return Unit(ident, field, segment, _renumber(segment.inline, old_target), previous)


def _current_targets(
    field: Field, translation: dict[str, str] | None
) -> dict[int, tuple[Piece, ...]]:
    """The current translation of each segment, in the source's placeholder numbers.

    A translation is cut into segments like its source; a field whose segments do not line up
    with the source's (a paragraph more, a list where the source has a table), or a segment
    whose markup differs from the source's, is not pre-filled: there is nothing the translator
    could keep of it without guessing.
    """
    if translation is None or field.name not in translation:
        return {}
    current = segment_field(field.name, translation[field.name], field.markdown)
    if [s.role for s in current.segments] != [s.role for s in field.segments]:
        return {}
    targets = {}
    for source, target in zip(field.segments, current.segments, strict=True):
        pieces = _renumber(source.inline, target.inline)
        if pieces is not None:
            targets[source.number] = pieces
    return targets


def _matching_key(placeholder: Placeholder) -> tuple[bool, str, str]:
    # Emphasis matches emphasis whatever its delimiter; everything else must be the same markup.
    if placeholder.ctype in ("italic", "bold", "x-footnote"):
        return (placeholder.paired, placeholder.ctype, "")
    return (placeholder.paired, placeholder.ctype, placeholder.opening + placeholder.closing)


def _renumber(source: Inline, target: Inline) -> tuple[Piece, ...] | None:
    """`target`'s pieces with the numbers of the source's matching placeholders, or None."""
    free: dict[tuple[bool, str, str], list[int]] = defaultdict(list)
    for number, placeholder in source.placeholders.items():
        free[_matching_key(placeholder)].append(number)
    numbers = {}
    for number, placeholder in target.placeholders.items():
        candidates = free.get(_matching_key(placeholder))
        if not candidates:
            return None
        numbers[number] = candidates.pop(0)
    if any(free.values()):
        return None
    return tuple(
        piece if isinstance(piece, str) else Tag(piece.role, numbers[piece.number])
        for piece in target.pieces
    )


@dataclass(frozen=True)
class FileUnit:
    """A unit as read from a translated file, before it is checked against the source."""

    id: str
    line: int
    source_hash: str | None
    status: str  # "translated", "untranslated" or "skipped"
    pieces: tuple[Piece, ...] = ()
    problems: tuple[str, ...] = ()  # what is wrong with the unit's markup in the file itself
    # The file marks the target as meant to read like its source (a name, "Introduction" in
    # French): XLIFF state="final" or "signed-off", PO flag `ignore-same`. Without the mark a
    # target that copies a source with words is untranslated.
    same_on_purpose: bool = False


@dataclass(frozen=True)
class FileContent:
    """A translated file, read: its target locale and units, or why it could not be read."""

    format: str  # "XLIFF" or "PO"
    target_locale: str
    units: tuple[FileUnit, ...]
    problems: tuple[str, ...]
