"""What a composition asks for and what it gives: the request, the parts of a composed brief,
the candidate blocks, and the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from briefgen.errors import BriefgenError
from briefgen.model import Block, Recipe

DEFAULT_PAGES = 2
# A composed brief goes to one reader, printed or edited: PDF and Word, unless asked for more
# (a project build writes every format, model.DEFAULT_FORMATS).
COMPOSE_FORMATS = ("pdf", "docx")
# Beside build/, not in it: `briefgen verify build/` reports any file its manifest does not list.
DEFAULT_OUT = Path("build-compose")


@dataclass(frozen=True)
class Part:
    """A section of a composed brief: the kinds it takes and the string that titles it."""

    key: str
    kinds: tuple[str, ...]
    title: str  # the interface string
    required: str = ""  # what the part is called in messages, when the brief cannot do without
    show_titles: bool = True
    preferred: str = ""  # a part whose best block goes in first after the required, if it fits


PARTS = (
    Part("opening", ("framing", "summary"), "compose_opening", "the opening"),
    Part("evidence", ("evidence", "finding"), "compose_evidence", "the key evidence"),
    Part("background", ("context", "method"), "compose_background"),
    # The project's quality bar: a brief names the rights at stake. Not required (a short
    # budget may leave no room), but its best block is tried first after the required parts.
    Part("stakes", ("analysis",), "compose_stakes", preferred="the rights at stake"),
    Part("law", ("legal",), "compose_law"),
    # One request under a heading that says what it is: the block's own title would repeat it.
    Part("ask", ("recommendation",), "compose_ask", "what is asked", show_titles=False),
)
# The kind a part's required block must have (the opening's is a framing, not a summary).
REQUIRED_KINDS = {"opening": ("framing",), "evidence": ("evidence", "finding")}
TITLE_STRINGS = ("compose_title", "compose_subtitle", "compose_subtitle_rights")


@dataclass(frozen=True)
class ComposeRequest:
    """What the user asked for on the command line."""

    root: Path
    audience: str
    use_cases: tuple[str, ...]
    rights: tuple[str, ...] = ()
    words: int | None = None
    pages: int | None = None
    locale: str = ""  # "": the project's source locale
    formats: tuple[str, ...] = COMPOSE_FORMATS
    title: str = ""
    out: Path | None = None  # None: build-compose/ in the project
    save_recipe: Path | None = None
    jobs: int = 1
    prepared_for: str = ""  # the "Prepared for" line; "": the audience's name
    date: dt.date | None = None  # the date printed; None: today
    include: tuple[str, ...] = ()  # block ids pinned in, before anything else
    exclude: tuple[str, ...] = ()  # block ids never used
    untranslated: str = "fallback"  # or refuse: stop when a chosen block is not translated
    order: tuple[str, ...] = ()  # block ids in the order wanted within their sections

    @property
    def budget(self) -> str:
        if self.words is not None:
            return f"--words {self.words}"
        return f"--pages {self.pages or DEFAULT_PAGES}"

    def command(self) -> str:
        """The command line that asks for this brief, for the saved recipe's header."""
        parts = ["briefgen compose", f"--audience {self.audience}"]
        parts += [f"--use-case {u}" for u in self.use_cases]
        parts += [f"--right {r}" for r in self.rights]
        parts.append(self.budget)
        if self.locale:
            parts.append(f"--locale {self.locale}")
        parts.append(f"--format {','.join(self.formats)}")
        if self.title:
            parts.append(f"--title {quoted(self.title)}")
        if self.prepared_for:
            parts.append(f"--prepared-for {quoted(self.prepared_for)}")
        if self.date is not None:
            parts.append(f"--date {self.date.isoformat()}")
        parts += [f"--include {i}" for i in self.include]
        parts += [f"--exclude {e}" for e in self.exclude]
        if self.order:
            parts.append(f"--order {','.join(self.order)}")
        if self.untranslated != "fallback":
            parts.append(f"--untranslated {self.untranslated}")
        return " ".join(parts)


@dataclass(frozen=True)
class Candidate:
    """A block the brief could use, with its part, its length and its place in the ranking."""

    block: Block  # in the source locale
    part: str
    words: int  # as the reader gets it: the translation, or the source shown in its place
    # (tier, untranslated, priority, -relevance, file path, id): in a target language a block
    # with a current translation ranks before one that would stay in the source language.
    rank: tuple[int, int, int, Fraction, str, str]
    required: str = ""  # the required part it fills, if it is that part's choice
    preferred: str = ""  # the preferred part it fills, if it is that part's best block
    pinned: bool = False  # asked for with --include: goes in first
    translated: bool = True  # current in the brief's language (always, in the source)

    @property
    def fixed(self) -> bool:
        """Goes in before anything else and is never taken out to fit."""
        return bool(self.required) or self.pinned


def why_chosen(candidate: Candidate) -> str:
    """Why a block went in, when it is more than its rank: "" for the rest."""
    if candidate.required and candidate.pinned:
        return f"pinned (--include), as {candidate.required}"
    if candidate.required:
        return f"required: {candidate.required}"
    if candidate.pinned:
        return "pinned (--include)"
    if candidate.preferred:
        return f"first after them: {candidate.preferred}"
    return ""


@dataclass(frozen=True)
class LeftOut:
    candidate: Candidate
    reason: str


@dataclass(frozen=True)
class Render:
    """One fitting step of a page budget: how many blocks, how many pages."""

    blocks: int
    words: int
    pages: int


@dataclass(frozen=True)
class Composed:
    """What compose built: the recipe, what went in and what stayed out, and the files."""

    recipe: Recipe
    locale: str
    sections: tuple[tuple[str, tuple[Candidate, ...]], ...]  # localised title, blocks
    left_out: tuple[LeftOut, ...]
    words: int  # the body without references, in English-word equivalents
    characters: int  # CJK characters in the body (Chinese: what the words are counted from)
    pages: int | None  # the real PDF's pages, when a PDF was rendered
    renders: tuple[Render, ...]
    written: tuple[Path, ...]
    saved: Path | None
    fallback_blocks: tuple[str, ...]
    request: ComposeRequest  # as composed: the date resolved
    untranslated_words: int = 0  # the chosen blocks' words that stay in the source language


Notice = Callable[[str], None]


def parse_date(text: str) -> dt.date | None:
    """--date: YYYY-MM-DD, or today (None: compose dates it when it runs)."""
    if text.strip().lower() in ("", "today"):
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BriefgenError(
            f'--date: "{text}" is not a date; give YYYY-MM-DD (e.g. 2026-12-10) or today.'
        ) from None


def quoted(text: str) -> str:
    """A value in a shell command line as a user would type it, in double quotes."""
    return '"' + text.replace('"', '\\"') + '"'
