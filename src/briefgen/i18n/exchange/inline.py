"""Inline markup inside one segment, as numbered placeholders around translatable text.

A segment's text is cut into pieces: plain text, which the translator translates, and tags that
stand for markup, which the translator may move but not change. Standalone markup (a citation,
inline code, math, a footnote reference) is an `atom`; paired markup (emphasis, a link, a span)
is an `open` and a `close` tag around text that stays translatable. A placeholder keeps the
exact source characters of its markup, so rendering the source's own pieces gives back the
segment byte for byte. `scanner` finds the markup; this module holds the pieces and the PO form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

TagRole = Literal["open", "close", "atom"]


@dataclass(frozen=True)
class Tag:
    """Where a placeholder stands in a segment: an atom, or one end of a pair."""

    role: TagRole
    number: int


Piece = str | Tag


@dataclass(frozen=True)
class Placeholder:
    """Markup the translator must keep: its XLIFF ctype and its exact source characters."""

    number: int
    ctype: str
    paired: bool
    opening: str  # an atom's whole markup, or a pair's opening markup
    closing: str = ""

    @property
    def description(self) -> str:
        """What the placeholder stands for, in words a translator reads in a comment."""
        if not self.paired:
            return f"{ATOM_WORDS[self.ctype]} {self.opening}"
        if self.ctype == "link":
            if self.closing.startswith("]("):
                return f"a link to {self.closing[2 : self.closing.rfind(')')]}"
            return f"a link ({self.closing[1:]})"
        return PAIR_WORDS[self.ctype]


ATOM_WORDS = {
    "x-citation": "the citation",
    "x-code": "the code",
    "x-math": "the math",
    "x-footnote-ref": "the footnote reference",
    "x-link": "the link",
    "x-html": "the HTML",
    "x-literal": "the literal text",
}
PAIR_WORDS = {
    "italic": "italic text",
    "bold": "bold text",
    "x-image": "an image's text alternative",
    "x-span": "a span of text with attributes",
    "x-footnote": "the text of a footnote",
}


@dataclass(frozen=True)
class Inline:
    """A segment as pieces, and the placeholders its tags name (by number)."""

    pieces: tuple[Piece, ...]
    placeholders: Mapping[int, Placeholder] = field(default_factory=dict)

    def render(self, pieces: Sequence[Piece], asterisks: bool = False) -> str:
        """Markdown for `pieces` (a translation), with this segment's markup at every tag.

        `asterisks` writes `_` emphasis as `*`: intraword `_` is no emphasis, and Chinese has no
        spaces between words.
        """
        out = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            placeholder = self.placeholders[piece.number]
            markup = placeholder.closing if piece.role == "close" else placeholder.opening
            if asterisks and placeholder.ctype in ("italic", "bold"):
                markup = markup.replace("_", "*")
            out.append(markup)
        return "".join(out)

    def signature(self) -> list[tuple[TagRole, str, str]]:
        """The markup in order, without the text: what a rebuilt translation must still have."""
        return [markup_signature(self.placeholders[p.number], p.role) for p in tags(self.pieces)]


def markup_signature(placeholder: Placeholder, role: TagRole) -> tuple[TagRole, str, str]:
    markup = placeholder.closing if role == "close" else placeholder.opening
    if placeholder.ctype in ("italic", "bold"):
        markup = markup.replace("_", "*")  # `_x_` and `*x*` are the same emphasis
    return (role, placeholder.ctype, markup)


def tags(pieces: Iterable[Piece]) -> list[Tag]:
    return [piece for piece in pieces if isinstance(piece, Tag)]


# What the PO form of a placeholder looks like. The same text in a source is protected as an
# atom (see `scanner`), so that a literal "<1>" in a block is never taken for a placeholder.
PLACEHOLDER_LIKE = re.compile(r"<(?P<close>/)?(?P<number>[0-9]+)\s*(?P<atom>/)?>")


# ASCII digits only: str.isdigit() would also take "²", which int() then refuses.
NUMBER = re.compile(r"[0-9]+")


def to_po(pieces: Iterable[Piece]) -> str:
    """`<1>`…`</1>` around paired text, `<2/>` for an atom."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif piece.role == "open":
            out.append(f"<{piece.number}>")
        elif piece.role == "close":
            out.append(f"</{piece.number}>")
        else:
            out.append(f"<{piece.number}/>")
    return "".join(out)


def from_po(text: str) -> list[Piece]:
    """The pieces of a PO string; whether its tags fit the source is checked elsewhere."""
    pieces: list[Piece] = []
    position = 0
    for match in PLACEHOLDER_LIKE.finditer(text):
        if match.start() > position:
            pieces.append(text[position : match.start()])
        number = int(match.group("number"))
        if match.group("close") and match.group("atom"):
            pieces.append(match.group(0))  # "</1/>" is no placeholder; the check reports it
        elif match.group("close"):
            pieces.append(Tag("close", number))
        elif match.group("atom"):
            pieces.append(Tag("atom", number))
        else:
            pieces.append(Tag("open", number))
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    return pieces
