"""Find the markup in a segment: what pandoc's Markdown would read as citations, code, math,
links, spans, footnotes and emphasis, with the exact source characters of each.

Protected constructs follow pandoc's Markdown; emphasis follows CommonMark's delimiter rules as
markdown-it-py implements them (pandoc's differ only in corner cases), so that the segments and
the emphasis agree with the parser that cut the field into segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace, normalizeReference

from briefgen.i18n.exchange.inline import PLACEHOLDER_LIKE, Inline, Piece, Placeholder, Tag, TagRole
from briefgen.load.scan import CITATION

AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9.+-]{1,31}:[^<>\s]*|[^<>\s@]+@[^<>\s@]+)>")
HTML_TAG = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?|!--.*?--)>", re.DOTALL)
FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\]")
# Pandoc's `@key [p. 33]`: a locator in brackets right after an author-in-text citation.
CITATION_SUFFIX = re.compile(r" ?\[[^\[\]@]*\](?![(\[{])")
SPECIAL = re.compile(r"[\\`$<@!^\[*_]")


@dataclass
class _Mark:
    start: int
    end: int
    role: TagRole
    ctype: str
    pair: int = -1  # shared by the open and close marks of one pair


@dataclass
class _Delimiter:
    start: int
    length: int
    char: str
    can_open: bool
    can_close: bool
    # A run closes with its leftmost characters and opens with its rightmost, and may do both.
    closed: int = 0
    opened: int = 0

    @property
    def remaining(self) -> int:
        return self.length - self.closed - self.opened


class _Scanner:
    def __init__(self, text: str, references: frozenset[str]) -> None:
        self.text = text
        self.references = references
        self.marks: list[_Mark] = []
        self.pairs = 0

    def pair(self, ctype: str, opening: tuple[int, int], closing: tuple[int, int]) -> None:
        self.pairs += 1
        self.marks.append(_Mark(*opening, "open", ctype, self.pairs))
        self.marks.append(_Mark(*closing, "close", ctype, self.pairs))

    def scan(self, start: int, end: int) -> None:
        """Find the markup between `start` and `end`; emphasis is matched within this level."""
        text = self.text
        delimiters: list[_Delimiter] = []
        i = start
        while i < end:
            found = SPECIAL.search(text, i, end)
            if found is None:
                break
            i = found.start()
            char = text[i]
            if char == "\\":
                i += 2  # an escaped character is text (and so is a backslash line break)
            elif char == "`":
                i = self._code(i, end)
            elif char == "$":
                i = self._math(i, end)
            elif char == "<":
                i = self._angle(i, end)
            elif char == "@":
                i = self._citation(i, end)
            elif char in "!^" and i + 1 < end and text[i + 1] == "[":
                i = self._bang_or_caret(i, end)
            elif char == "[":
                i = self._bracket(i, end)
            elif char in "*_":
                run = i
                while run < end and text[run] == char:
                    run += 1
                delimiters.append(self._delimiter(i, run, end))
                i = run
            else:
                i += 1
        self._emphasis(delimiters)

    # Standalone markup ------------------------------------------------------------------------

    def _atom(self, start: int, end: int, ctype: str) -> int:
        self.marks.append(_Mark(start, end, "atom", ctype))
        return end

    def _code(self, i: int, end: int) -> int:
        run = _run_end(self.text, i, end, "`")
        close = _code_close(self.text, run, end, run - i)
        if close < 0:
            return run  # an unmatched backtick run is text
        close_end = close + (run - i)
        return self._atom(i, _attributes_end(self.text, close_end, end), "x-code")

    def _math(self, i: int, end: int) -> int:
        text = self.text
        if text.startswith("$$", i):
            close = text.find("$$", i + 2, end)
            if close > i + 2:
                return self._atom(i, close + 2, "x-math")
            return i + 2
        # Pandoc's tex_math_dollars: no space inside either dollar, no digit right after the
        # closing one, so "$5 and $10" stays text.
        if i + 1 >= end or text[i + 1].isspace():
            return i + 1
        j = i + 1
        while j < end:
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == "$":
                after = text[j + 1] if j + 1 < end else " "
                if not text[j - 1].isspace() and not after.isdigit():
                    return self._atom(i, j + 1, "x-math")
            j += 1
        return i + 1

    def _angle(self, i: int, end: int) -> int:
        for pattern, ctype in (
            (PLACEHOLDER_LIKE, "x-literal"),
            (AUTOLINK, "x-link"),
            (HTML_TAG, "x-html"),
        ):
            match = pattern.match(self.text, i, end)
            if match:
                return self._atom(i, match.end(), ctype)
        return i + 1

    def _citation(self, i: int, end: int) -> int:
        match = CITATION.match(self.text, i, end)
        if match is None:
            return i + 1
        suffix = CITATION_SUFFIX.match(self.text, match.end(), end)
        return self._atom(i, suffix.end() if suffix else match.end(), "x-citation")

    # Paired markup ------------------------------------------------------------------------------

    def _bang_or_caret(self, i: int, end: int) -> int:
        close = _bracket_close(self.text, i + 2, end)
        if close < 0:
            return i + 1
        if self.text[i] == "^":  # ^[an inline footnote]
            self.pair("x-footnote", (i, i + 2), (close, close + 1))
            self.scan(i + 2, close)
            return close + 1
        tail = self._link_tail(close, end)
        if tail < 0:
            return i + 1
        self.pair("x-image", (i, i + 2), (close, tail))
        self.scan(i + 2, close)
        return tail

    def _bracket(self, i: int, end: int) -> int:
        text = self.text
        footnote = FOOTNOTE_REF.match(text, i, end)
        if footnote:
            return self._atom(i, footnote.end(), "x-footnote-ref")
        close = _bracket_close(text, i + 1, end)
        if close < 0:
            return i + 1
        if text.startswith("[]", close + 1, end):
            # A collapsed reference link `[text][]`: its text is its label, so it cannot change.
            return self._atom(i, close + 3, "x-link")
        tail = self._link_tail(close, end)
        if tail > 0:
            self.pair("link", (i, i + 1), (close, tail))
            self.scan(i + 1, close)
            return tail
        if close + 1 < end and text[close + 1] == "{":
            attributes = _attributes_end(text, close + 1, end)
            if attributes > close + 1:
                self.pair("x-span", (i, i + 1), (close, attributes))
                self.scan(i + 1, close)
                return attributes
        label = text[i + 1 : close]
        if CITATION.search(label):
            return self._atom(i, close + 1, "x-citation")
        if normalizeReference(label) in self.references:
            # A shortcut reference link `[text]`: the same.
            return self._atom(i, close + 1, "x-link")
        return i + 1  # plain brackets: text, and what is inside them is scanned as usual

    def _link_tail(self, close: int, end: int) -> int:
        """The end of `](destination "title")` or `][label]` after the `]` at `close`, or -1."""
        text = self.text
        after = close + 1
        if after < end and text[after] == "(":
            tail = _inline_destination_end(text, after, end)
        elif after < end and text[after] == "[":
            label_end = text.find("]", after + 1, end)
            tail = label_end + 1 if label_end > 0 else -1
        else:
            return -1
        return _attributes_end(text, tail, end) if tail > 0 else -1

    # Emphasis -----------------------------------------------------------------------------------

    def _delimiter(self, start: int, run_end: int, end: int) -> _Delimiter:
        # As markdown-it-py's StateInline.scanDelims: the start of the segment and the end of the
        # level count as whitespace.
        text = self.text
        before = text[start - 1] if start > 0 else " "
        after = text[run_end] if run_end < end else " "
        before_punct = isMdAsciiPunct(ord(before)) or isPunctChar(before)
        after_punct = isMdAsciiPunct(ord(after)) or isPunctChar(after)
        before_space = isWhiteSpace(ord(before))
        after_space = isWhiteSpace(ord(after))
        left = not (after_space or (after_punct and not (before_space or before_punct)))
        right = not (before_space or (before_punct and not (after_space or after_punct)))
        char = text[start]
        if char == "*":
            can_open, can_close = left, right
        else:
            can_open = left and (not right or before_punct)
            can_close = right and (not left or after_punct)
        length = run_end - start
        return _Delimiter(start, length, char, can_open, can_close)

    def _emphasis(self, delimiters: list[_Delimiter]) -> None:
        """CommonMark's "process emphasis" over one level's delimiter runs."""
        active = list(delimiters)
        index = 0
        while index < len(active):
            closer = active[index]
            if not closer.can_close or closer.remaining == 0:
                index += 1
                continue
            opener_index = self._find_opener(active, index)
            if opener_index < 0:
                if not closer.can_open:
                    del active[index]
                else:
                    index += 1
                continue
            opener = active[opener_index]
            used = 2 if opener.remaining >= 2 and closer.remaining >= 2 else 1
            opening_end = opener.start + opener.length - opener.opened
            closing_start = closer.start + closer.closed
            self.pair(
                "bold" if used == 2 else "italic",
                (opening_end - used, opening_end),
                (closing_start, closing_start + used),
            )
            opener.opened += used
            closer.closed += used
            # Delimiters between the two can no longer match anything.
            del active[opener_index + 1 : index]
            index = opener_index + 1
            if opener.remaining == 0:
                del active[opener_index]
                index -= 1
            if closer.remaining == 0:
                del active[index]

    @staticmethod
    def _find_opener(active: list[_Delimiter], index: int) -> int:
        closer = active[index]
        for candidate in range(index - 1, -1, -1):
            opener = active[candidate]
            if opener.char != closer.char or not opener.can_open or opener.remaining == 0:
                continue
            # CommonMark's "rule of 3" for runs that can both open and close.
            both = opener.can_close or closer.can_open
            if (
                both
                and (opener.length + closer.length) % 3 == 0
                and not (opener.length % 3 == 0 and closer.length % 3 == 0)
            ):
                continue
            return candidate
        return -1


def _run_end(text: str, i: int, end: int, char: str) -> int:
    while i < end and text[i] == char:
        i += 1
    return i


def _code_close(text: str, i: int, end: int, length: int) -> int:
    """Where a backtick run of exactly `length` starts at or after `i`, or -1."""
    while i < end:
        found = text.find("`", i, end)
        if found < 0:
            return -1
        run = _run_end(text, found, end, "`")
        if run - found == length:
            return found
        i = run
    return -1


def _bracket_close(text: str, i: int, end: int) -> int:
    """The `]` matching a `[` just before `i` (skipping escapes and code), or -1."""
    depth = 0
    while i < end:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            run = _run_end(text, i, end, "`")
            close = _code_close(text, run, end, run - i)
            i = close + (run - i) if close >= 0 else run
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _inline_destination_end(text: str, i: int, end: int) -> int:
    """The end of `(destination "title")` starting at the `(` at `i`, or -1."""
    j = _skip_space(text, i + 1, end)
    if j < end and text[j] == "<":
        close = text.find(">", j, end)
        if close < 0 or "\n" in text[j:close]:
            return -1
        j = close + 1
    else:
        depth = 0
        while j < end:
            char = text[j]
            if char == "\\":
                j += 2
                continue
            if char.isspace():
                break
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
    j = _skip_space(text, j, end)
    if j < end and text[j] in "\"'(":
        quote = ")" if text[j] == "(" else text[j]
        j += 1
        while j < end and text[j] != quote:
            j += 2 if text[j] == "\\" else 1
        j = _skip_space(text, j + 1, end)
    return j + 1 if j < end and text[j] == ")" else -1


def _attributes_end(text: str, i: int, end: int) -> int:
    """After pandoc attributes `{...}` at `i` if there are some, else `i`."""
    if i < end and text[i] == "{":
        close = text.find("}", i, end)
        if close > 0 and "\n" not in text[i:close]:
            return close + 1
    return i


def _skip_space(text: str, i: int, end: int) -> int:
    while i < end and text[i] in " \t\n":
        i += 1
    return i


def _pieces(text: str, marks: list[_Mark]) -> Inline:
    """Cut `text` at the marks, numbering placeholders in the order they open."""
    marks.sort(key=lambda mark: mark.start)
    pieces: list[Piece] = []
    placeholders: dict[int, Placeholder] = {}
    number_of_pair: dict[int, int] = {}
    openings: dict[int, str] = {}
    position = count = 0
    for mark in marks:
        if mark.start > position:
            pieces.append(text[position : mark.start])
        markup = text[mark.start : mark.end]
        if mark.role == "close":
            number = number_of_pair[mark.pair]
            placeholders[number] = Placeholder(number, mark.ctype, True, openings[number], markup)
        else:
            count += 1
            number = count
            if mark.role == "open":
                number_of_pair[mark.pair] = number
                openings[number] = markup
            else:
                placeholders[number] = Placeholder(number, mark.ctype, False, markup)
        pieces.append(Tag(mark.role, number))
        position = mark.end
    if position < len(text):
        pieces.append(text[position:])
    return Inline(tuple(pieces), dict(sorted(placeholders.items())))


def scan_markdown(text: str, references: frozenset[str] = frozenset()) -> Inline:
    """The pieces of one Markdown segment; `references` are the field's link reference labels."""
    scanner = _Scanner(text, references)
    scanner.scan(0, len(text))
    return _pieces(text, scanner.marks)


def scan_plain(text: str) -> Inline:
    """The pieces of plain text: only text that looks like a placeholder is protected."""
    marks = [
        _Mark(match.start(), match.end(), "atom", "x-literal")
        for match in PLACEHOLDER_LIKE.finditer(text)
    ]
    return _pieces(text, marks)
