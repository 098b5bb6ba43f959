"""Cut a field into translation segments, and put translated segments back into it.

A Markdown field becomes one segment per paragraph, list item paragraph, block quote paragraph,
heading and table cell, found with markdown-it-py. Everything around the segments (list markers,
`>`, table pipes, blank lines, indentation, code blocks, link reference definitions) is the
skeleton: it is never shown to translators and is always taken from the current source, so a
rebuilt field differs from its source only inside the segments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from briefgen.errors import BriefgenError
from briefgen.i18n.exchange.inline import Inline
from briefgen.i18n.exchange.scanner import scan_markdown, scan_plain

# Pandoc reads pipe tables too; CommonMark alone would leave them as paragraphs of pipes.
_parser = MarkdownIt("commonmark").enable("table")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# What may stand on a line before a segment's text: indentation, `>`, list markers, `#`s.
PREFIX = re.compile(r"[ \t>*+\-#.)0-9]*")
# What may follow it on its last line: spaces, and an ATX heading's closing `#`s.
LINE_REST = re.compile(r"(?:[ \t]+#+)?[ \t]*")
FOOTNOTE_LABEL = re.compile(r"\[\^[^\]\s]+\]:[ \t]*")
CONTAINER_ROLES = {"th_open": "table header cell", "td_open": "table cell"}


class ExportError(BriefgenError):
    """Content that cannot go into an exchange file; the message says which and why."""


@dataclass(frozen=True)
class Segment:
    """One unit of translation: its place in the field's source, and its inline pieces."""

    number: int
    role: str  # "paragraph", "list item", "block quote", "heading", "table cell", ... or "text"
    start: int
    end: int
    joins: tuple[str, ...]  # what stands between its lines in the source: line end and prefix
    next_line: str  # the join for lines a translation adds
    inline: Inline

    @property
    def single_line(self) -> bool:
        """An ATX heading or a table cell ends at its line's end; a setext heading may not."""
        return self.role in ("heading", "table cell", "table header cell") and not self.joins

    def place(self, translation: str) -> str:
        """The translated text as it stands in the field: each line after the first prefixed."""
        lines = translation.split("\n")
        out = [lines[0]]
        for index, line in enumerate(lines[1:]):
            out.append(self.joins[index] if index < len(self.joins) else self.next_line)
            out.append(line)
        return "".join(out)


@dataclass(frozen=True)
class Field:
    """A field's source text and its segments."""

    name: str
    source: str
    markdown: bool
    segments: tuple[Segment, ...]
    references: frozenset[str] = frozenset()  # its link reference labels, normalized

    def rebuild(self, translations: Mapping[int, str]) -> str:
        """The source with segment n replaced by `translations[n]` (placed), where given."""
        out = []
        position = 0
        for segment in self.segments:
            out.append(self.source[position : segment.start])
            if segment.number in translations:
                out.append(segment.place(translations[segment.number]))
            else:
                out.append(self.source[segment.start : segment.end])
            position = segment.end
        out.append(self.source[position:])
        return "".join(out)


def segment_field(name: str, source: str, markdown: bool) -> Field:
    """The segments of one field: Markdown ones by structure, plain text as one unit."""
    if not markdown:
        return Field(name, source, markdown, _plain(source))
    # markdown-it-py reads NUL as U+FFFD (as CommonMark says); one character for one, so the
    # offsets it gives hold for the source too.
    readable = source.replace("\0", "\ufffd")
    references = _references(readable)
    return Field(name, source, markdown, _markdown(readable, references), references)


def scan_segment(field: Field, text: str) -> Inline:
    """The pieces of `text` read as a segment of `field` (a rebuilt translation, say)."""
    return scan_markdown(text, field.references) if field.markdown else scan_plain(text)


def structure(text: str) -> list[tuple[str, str, str]]:
    """The block structure of Markdown, without its text: what a translation must not change."""
    return [
        (token.type, token.tag, token.markup if token.type != "inline" else "")
        for token in _parser.parse(text)
    ]


def _plain(source: str) -> tuple[Segment, ...]:
    text = source.strip()
    if not text:
        return ()
    start = len(source) - len(source.lstrip())
    return (Segment(1, "text", start, start + len(text), (), "\n", scan_plain(text)),)


@dataclass(frozen=True)
class _Lines:
    """The source's lines with their offsets; line ends may be LF, CRLF or CR."""

    starts: tuple[int, ...]
    texts: tuple[str, ...]

    @classmethod
    def of(cls, source: str) -> _Lines:
        starts, texts, position = [], [], 0
        for match in LINE_BREAK.finditer(source):
            starts.append(position)
            texts.append(source[position : match.start()])
            position = match.end()
        starts.append(position)
        texts.append(source[position:])
        return cls(tuple(starts), tuple(texts))


def _references(source: str) -> frozenset[str]:
    env: dict[str, object] = {}
    _parser.parse(source, env)
    references = env.get("references", {})
    return frozenset(references) if isinstance(references, dict) else frozenset()


def _markdown(source: str, references: frozenset[str]) -> tuple[Segment, ...]:
    tokens = _parser.parse(source)
    lines = _Lines.of(source)
    segments: list[Segment] = []
    open_types: list[str] = []
    cells: list[tuple[int, int]] = []
    for token in tokens:
        if token.nesting == 1:
            open_types.append(token.type)
        elif token.nesting == -1:
            open_types.pop()
        if token.type == "tr_open" and token.map:
            cells = _cells(lines, token.map[0], open_types.count("blockquote_open"))
        if token.type != "inline":
            continue
        number = len(segments) + 1
        role = _role(open_types)
        if open_types[-1] in CONTAINER_ROLES:
            cell = _cell_segment(source, token, cells, number, role, references)
            if cell is not None:
                segments.append(cell)
        elif token.content.strip():
            segments.append(_line_segment(source, lines, token, number, role, references))
    return tuple(segments)


def _role(open_types: list[str]) -> str:
    innermost = open_types[-1]
    if innermost in CONTAINER_ROLES:
        return CONTAINER_ROLES[innermost]
    if innermost == "heading_open":
        return "heading"
    if "list_item_open" in open_types:
        return "list item"
    if "blockquote_open" in open_types:
        return "block quote"
    return "paragraph"


def _line_segment(
    source: str, lines: _Lines, token: Token, number: int, role: str, references: frozenset[str]
) -> Segment:
    assert token.map is not None
    first = token.map[0]
    contents = token.content.split("\n")
    starts: list[int] = []
    texts: list[str] = []
    for index, content in enumerate(contents):
        line_number = first + index
        if line_number >= len(lines.texts):
            raise _misplaced(line_number, content)
        line = lines.texts[line_number]
        wanted = content.lstrip(" \t")
        last = index == len(contents) - 1
        column = _column(line, wanted, last)
        if column < 0:
            raise _misplaced(line_number, content)
        starts.append(lines.starts[line_number] + column)
        texts.append(wanted)
    label = FOOTNOTE_LABEL.match(texts[0]) if role == "paragraph" else None
    if label and label.end() < len(
        texts[0]
    ):  # a pandoc footnote definition: its label is skeleton, its text translatable
        starts[0] += label.end()
        texts[0] = texts[0][label.end() :]
        role = "footnote"
    start, end = starts[0], starts[-1] + len(texts[-1])
    joins = tuple(
        source[starts[index] + len(texts[index]) : starts[index + 1]]
        for index in range(len(texts) - 1)
    )
    first_prefix = source[lines.starts[first] : start]
    line_end_at = lines.starts[first] + len(lines.texts[first])
    line_end = (
        source[line_end_at : lines.starts[first + 1]] if first + 1 < len(lines.starts) else ""
    )
    # A line the translation adds continues the paragraph in the same container: `>` stays,
    # a list marker becomes the spaces it takes up.
    next_line = joins[-1] if joins else (line_end or "\n") + re.sub(r"[^ \t>]", " ", first_prefix)
    text = "\n".join(texts)
    return Segment(number, role, start, end, joins, next_line, scan_markdown(text, references))


def _column(line: str, wanted: str, last: bool) -> int:
    """Where a segment's text starts on its line: after the prefix, before what may follow."""
    if not last:  # a line inside the segment: the text runs to the end of the line
        column = len(line) - len(wanted)
        ok = line.endswith(wanted) and PREFIX.fullmatch(line[:column]) is not None
        return column if ok else -1
    column = line.find(wanted)
    while column >= 0:
        if PREFIX.fullmatch(line[:column]) and LINE_REST.fullmatch(line[column + len(wanted) :]):
            return column
        column = line.find(wanted, column + 1)
    return -1


def _cells(lines: _Lines, row: int, quotes: int) -> list[tuple[int, int]]:
    """Source offsets of a table row's cells, trimmed, split as markdown-it-py splits them."""
    line = lines.texts[row]
    prefix = re.match(rf"(?:[ \t]*>[ \t]?){{{quotes}}}[ \t]*", line) if quotes else None
    position = prefix.end() if prefix else len(line) - len(line.lstrip(" \t"))
    stop = len(line.rstrip(" \t"))
    if position < stop and line[position] == "|":
        position += 1
    bounds: list[tuple[int, int]] = []
    cell_start = position
    for index in range(position, stop):
        if line[index] == "|" and (index == 0 or line[index - 1] != "\\"):
            bounds.append((cell_start, index))
            cell_start = index + 1
    if cell_start < stop:
        bounds.append((cell_start, stop))
    offset = lines.starts[row]
    cells = []
    for start, end in bounds:
        cell = line[start:end]
        trimmed_start = start + len(cell) - len(cell.lstrip(" \t"))
        trimmed_end = start + len(cell.rstrip(" \t"))
        cells.append((offset + trimmed_start, offset + max(trimmed_start, trimmed_end)))
    return cells


def _cell_segment(
    source: str,
    token: Token,
    cells: list[tuple[int, int]],
    number: int,
    role: str,
    references: frozenset[str],
) -> Segment | None:
    """The segment of a table cell, taking its place from `cells`; None for an empty cell."""
    assert token.map is not None
    if not cells:
        if token.content.strip():
            raise _misplaced(token.map[0], token.content)
        return None  # a cell markdown-it-py added to a short row
    start, end = cells.pop(0)
    text = source[start:end]
    # markdown-it-py hands the cell's text over with `\|` unescaped; the source keeps it.
    if text.replace("\\|", "|") != token.content.strip():
        raise _misplaced(token.map[0], token.content)
    if not text:
        return None
    return Segment(number, role, start, end, (), "\n", scan_markdown(text, references))


def _misplaced(line: int, content: str) -> ExportError:
    return ExportError(
        f'line {line + 1}: could not find the text "{content[:60]}" in the source; '
        "please report this as a briefgen bug, with the field's text."
    )
