"""The values that pass between the stages of a build, in one place.

    load     -> Block, Recipe, Data, Bibliography     (content, recipes, datasets, bibliography)
    assemble -> Brief                                 (assemble)
    prepare  -> RenderJob: everything a worker needs to render one brief in one locale
    render   -> Artifact: one rendered file, not yet written
    write    -> Manifest / ManifestEntry: what was written, and from what

Later stages import their nouns from here, not from the stage that makes them. Every value is a
frozen dataclass; the format registry, the render job and the manifest also have a JSON form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import PurePosixPath
from typing import Any

MANIFEST_VERSION = 2
# CJK ideographs, kana and hangul: where Chinese, Japanese or Korean text is.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# Where pandoc says a problem is: "at line 6 column 1" (pandoc 3) or "(line 6, column 1)".
_PANDOC_POSITION = re.compile(r"\bline (\d+),? column \d+")


# --- load: what the project files hold ----------------------------------------------------------


@dataclass(frozen=True)
class Branding:
    """How an organisation's briefs look, from briefgen.yaml's `branding:`: applied by every
    renderer (PDF, HTML, EPUB, DOCX, ODT) and the library page, never by editing templates.

    Texts are per locale (locale -> text); a locale without its own text uses the source's.
    """

    organisation: dict[str, str] = field(default_factory=dict, hash=False)
    contact: dict[str, str] = field(default_factory=dict, hash=False)
    logo: str = ""  # a PNG or SVG file, relative to the project root; "" for none
    logo_alt: dict[str, str] = field(default_factory=dict, hash=False)
    accent: str = "#1f4e79"  # "#rrggbb": headings, rules, links, the title area
    body_font: str = ""  # a font family name; "" keeps each renderer's default
    heading_font: str = ""
    source_locale: str = "en"

    def _text(self, texts: dict[str, str], locale: str) -> str:
        return texts.get(locale) or texts.get(self.source_locale, "")

    def organisation_for(self, locale: str) -> str:
        return self._text(self.organisation, locale)

    def contact_for(self, locale: str) -> str:
        return self._text(self.contact, locale)

    def logo_alt_for(self, locale: str, strings: Mapping[str, str] | None = None) -> str:
        """The logo's alt text; without one of its own, "Logo: <organisation>" in the
        reader's language (the `logo_of` string), so that it follows the organisation."""
        own = self._text(self.logo_alt, locale)
        if own or not self.organisation_for(locale):
            return own
        pattern = (strings or {}).get("logo_of") or "Logo: {organisation}"
        return pattern.replace("{organisation}", self.organisation_for(locale))


# The one form a colour takes in branding (briefgen.yaml's accent, and a manifest's record).
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LOGO_SUFFIXES = ("", ".png", ".svg")
_MAX_BRANDING_TEXT = 2000


def branding_from_json(data: Any) -> Branding | None:
    """A Branding a manifest recorded, or None if it is not exactly one: a manifest is a file
    on disk like any other, so every value is checked for the type and shape branding.py
    allows (what the library page puts in its style sheet and text), never trusted."""

    def texts(value: Any) -> dict[str, str] | None:
        if not isinstance(value, dict) or len(value) > 50:
            return None
        if not all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= _MAX_BRANDING_TEXT
            for k, v in value.items()
        ):
            return None
        return dict(value)

    if not isinstance(data, dict) or set(data) != {f.name for f in fields(Branding)}:
        return None
    strings = ("logo", "accent", "body_font", "heading_font", "source_locale")
    if not all(isinstance(data[k], str) and len(data[k]) <= 200 for k in strings):
        return None
    organisation, contact, logo_alt = (
        texts(data[k]) for k in ("organisation", "contact", "logo_alt")
    )
    if organisation is None or contact is None or logo_alt is None:
        return None
    if not HEX_COLOUR.fullmatch(data["accent"]):
        return None
    if PurePosixPath(data["logo"]).suffix.lower() not in _LOGO_SUFFIXES:
        return None
    return Branding(
        organisation=organisation,
        contact=contact,
        logo=data["logo"],
        logo_alt=logo_alt,
        accent=data["accent"],
        body_font=data["body_font"],
        heading_font=data["heading_font"],
        source_locale=data["source_locale"],
    )


@dataclass(frozen=True)
class Citation:
    key: str
    line: int


@dataclass(frozen=True)
class Figure:
    """A block's figure: a chart by name, or an image file inside the project."""

    caption: str
    alt: str
    chart: str = ""
    image: str = ""  # relative to the project root
    line: int = 0


@dataclass(frozen=True)
class Block:
    """One content block in one locale."""

    id: str
    locale: str
    path: str  # relative to the project root, POSIX separators
    order: str  # path inside the locale folder: blocks selected together appear in this order
    title: str
    kind: str
    audiences: frozenset[str]
    use_cases: frozenset[str]
    rights: frozenset[str]
    priority: int
    visibility: str
    body: str
    body_line: int
    citations: tuple[Citation, ...]
    figure: Figure | None = None
    embargo: dt.date | None = None
    # A block on developments after the report: printed under a "Since the report" label.
    since_report: bool = False
    # A translation names its source block and records the hashes of the source fields it was
    # translated from; its metadata is inherited from the source (content.py).
    translation_of: str = ""
    source_hash: tuple[tuple[str, str], ...] = ()
    # Inherited fields a translation states anyway, as (field, value, line): checked against
    # its source, never used.
    declared: tuple[tuple[str, str, int], ...] = field(default=(), compare=False)

    def is_public(self, on: dt.date) -> bool:
        """Whether a public build dated `on` may show this block."""
        return self.visibility == "public" and (self.embargo is None or self.embargo <= on)

    @property
    def cited_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key for c in self.citations))


@dataclass(frozen=True)
class Content:
    """Every block of the project, by locale and id."""

    blocks: dict[str, dict[str, Block]]
    # Locales with a block file that could not be used: what recipes select there is a guess.
    incomplete: frozenset[str] = frozenset()

    def locale(self, locale: str) -> dict[str, Block]:
        return self.blocks.get(locale, {})

    def all_blocks(self) -> list[Block]:
        return [b for locale in sorted(self.blocks) for b in self.blocks[locale].values()]


@dataclass(frozen=True)
class Company:
    id: str
    name: str
    name_zh: str
    use_cases: frozenset[str]
    products: str
    data_kinds: tuple[str, ...]
    claimed_uses: tuple[str, ...]
    partners: tuple[str, ...]
    sources: tuple[str, ...]
    path: str
    line: int


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    definition: str
    match: tuple[str, ...]

    def used_in(self, text: str) -> bool:
        """Whether any match phrase occurs in `text` as whole words (case-insensitive)."""
        lowered = text.lower()
        # A plain substring test first: the word-boundary regex runs only on likely hits.
        # Chinese has no spaces between words, so a phrase with CJK characters matches as is.
        return any(
            m in lowered and (CJK.search(m) or re.search(rf"(?<!\w){re.escape(m)}(?!\w)", lowered))
            for m in self.match
        )


@dataclass(frozen=True)
class Data:
    """One locale's structured data."""

    companies: tuple[Company, ...]
    data_kinds: dict[str, str]
    terms: tuple[Term, ...]
    # In a translated locale: each entry's state ("companies/<id>" -> current, stale, missing),
    # and the fields a stale entry's source changed in.
    states: dict[str, str] = field(default_factory=dict, hash=False)
    # Bibliography entries as this locale names them (data/<locale>/references.yaml): key ->
    # the CSL fields it replaces (author, title, publisher).
    references: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)

    def untranslated(self) -> tuple[str, ...]:
        return tuple(sorted(k for k, v in self.states.items() if v != "current"))

    @property
    def cited_keys(self) -> tuple[str, ...]:
        return tuple(sorted({key for c in self.companies for key in c.sources}))


@dataclass(frozen=True)
class Selector:
    """A rule that picks blocks; empty fields do not restrict."""

    kinds: frozenset[str] = frozenset()
    audiences: frozenset[str] | None = None
    use_cases: frozenset[str] | None = None
    rights: frozenset[str] = frozenset()
    under: tuple[str, ...] = ()
    max_priority: int | None = None


@dataclass(frozen=True)
class SectionSpec:
    title: dict[str, str]
    block_ids: tuple[tuple[str, int], ...]  # (id, line in the recipe)
    selector: Selector | None
    show_titles: bool
    line: int
    data: str = ""  # "companies" or "glossary": a section built from data/<locale>/
    use_cases: frozenset[str] | None = None  # a companies section's own use cases


@dataclass(frozen=True)
class Recipe:
    """A brief's definition, validated against the project's vocabularies."""

    id: str
    path: str
    title: dict[str, str]
    subtitle: dict[str, str]
    short_title: dict[str, str]
    audience: str  # an audience id, or "all"
    use_cases: frozenset[str]
    formats: tuple[str, ...]
    csl: str
    toc: bool
    compact: bool
    max_priority: int
    sections: tuple[SectionSpec, ...]
    visibility: str = "public"
    pages: int | None = None  # the PDF's page budget, if the recipe sets one
    untranslated: str = ""  # refuse or fallback; "" follows the project
    # The body's word budget (without references), counted in the source locale, CJK
    # characters at 1.7 a word; `check` and `build` report a brief over it at `words_line`.
    words: int | None = None
    words_line: int = field(default=0, compare=False)
    # A composed brief's own "Prepared for" line and date; a shipped recipe leaves them to the
    # audience's name and briefgen.yaml's date (a release stays reproducible).
    prepared_for: str = ""
    date: dt.date | None = None

    def csl_for(self, default: str) -> str:
        """The recipe's citation style, else `default` (the locale's, from briefgen.yaml)."""
        return self.csl or default


def localized(text: dict[str, str], locale: str, source: str) -> str:
    """The text in `locale`, else in the source locale."""
    return text.get(locale) or text.get(source) or next(iter(text.values()), "")


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    show_titles: bool
    data: str = ""  # "companies" or "glossary": filled from the brief's data, not from blocks
    use_cases: tuple[str, ...] = ()  # a companies section's use cases, sorted
    companies: tuple[Company, ...] = ()  # a companies section's firms


@dataclass(frozen=True)
class Brief:
    """A brief in one locale, with its blocks chosen: everything needed to write it."""

    recipe: Recipe
    locale: str
    title: str
    subtitle: str
    audience_label: str
    use_case_labels: tuple[str, ...]
    date: dt.date
    sections: tuple[Section, ...]
    fallback_blocks: tuple[str, ...]  # ids taken from the source locale for lack of a translation
    terms: tuple[Term, ...] = ()
    # Of those, the stale ones shown translated where their paragraphs' English is unchanged
    # (the others in the source language, each marked): partly translated, not replaced.
    partial_blocks: tuple[str, ...] = ()  # for a glossary section: the terms the brief's text uses
    data_kinds: dict[str, str] = field(default_factory=dict, hash=False)
    use_case_names: dict[str, str] = field(default_factory=dict, hash=False)
    internal: bool = False

    def use_case_label(self, use_case: str) -> str:
        return self.use_case_names.get(use_case, use_case)

    @property
    def id(self) -> str:
        return self.recipe.id

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(b for s in self.sections for b in s.blocks)

    @property
    def companies(self) -> tuple[Company, ...]:
        return tuple(dict.fromkeys(c for s in self.sections for c in s.companies))

    @property
    def cited_keys(self) -> tuple[str, ...]:
        keys = {key for b in self.blocks for key in b.cited_keys}
        keys.update(key for c in self.companies for key in c.sources)
        return tuple(sorted(keys))


# --- render: formats, jobs, artifacts ----------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """One output format as readers meet it: its file extension and its label. What pandoc and
    briefgen do to write it is its module's in formats/ (formats/registry.py lists them)."""

    name: str
    extension: str
    label: str


# The only list of formats. Order is the order readers see them in (the library lists PDF
# first).
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("pdf", "pdf", "PDF"),
        Format("docx", "docx", "Word"),
        Format("odt", "odt", "OpenDocument"),
        Format("epub", "epub", "EPUB"),
        Format("html", "html", "Web page"),
        Format("md", "md", "Markdown"),
    )
}
# The default build order of a project that names none (briefgen.yaml `defaults.formats`).
DEFAULT_FORMATS = ("html", "pdf", "docx", "odt", "epub", "md")


def artifact_path(brief_id: str, locale: str, format_name: str) -> str:
    """Where a brief's file goes inside the output folder."""
    return f"{locale}/{brief_id}.{FORMATS[format_name].extension}"


@dataclass(frozen=True)
class ChartData:
    """The numbers a chart draws, already counted: the worker needs no project data."""

    chart: str
    kinds: tuple[str, ...]  # row labels, top to bottom
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (use case label, one count per kind)
    axis_label: str


@dataclass(frozen=True)
class FigureInput:
    """One figure of a brief: its file name, and either chart numbers or image bytes."""

    block_id: str
    filename: str
    alt: str
    chart: ChartData | None = None
    image: bytes = b""


@dataclass(frozen=True)
class Span:
    """Where one block's text stands in an assembled document, to point messages at the block."""

    first_line: int  # in the assembled Markdown, 1-based
    lines: int
    path: str  # the block file
    body_line: int  # the file line its text starts on
    block_id: str = ""  # its link and note labels carry this prefix in the document

    def locate(self, line: int) -> str | None:
        """`path:line` for a line of the assembled document inside this block, else None."""
        position = self.position(line)
        return f"{position[0]}:{position[1]}" if position else None

    def position(self, line: int) -> tuple[str, int] | None:
        """(block file, its line) for a line of the assembled document inside this block."""
        if self.first_line <= line <= self.first_line + self.lines:
            return self.path, self.body_line + line - self.first_line
        return None


def meta_text(meta: dict[str, Any], key: str) -> str:
    """A text value of pandoc metadata (a MetaString's "c"); "" if the key is absent or holds
    something else (inlines, a list, a boolean)."""
    value = meta.get(key, {}).get("c", "")
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class BriefMetadata:
    """What the templates print of a brief beyond its body, typed: it becomes pandoc metadata
    only for pandoc and the digest (render/jobs.py); the formats read their fields here."""

    texts: tuple[tuple[str, str], ...]  # template texts by pandoc name: title, date, labels...
    iso_date: str  # the EPUB's dc:date (the printed date is in the reader's language)
    logo_alt: str  # "" without a logo
    compact: bool
    branding: Branding  # its texts in the brief's locale, its colour and fonts
    visual: bool  # the brief has images (figures or the logo): the EPUB says so
    epub_summary: str  # the EPUB's accessibility summary


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker needs to render one brief in one locale, and nothing it must load.

    Its digest is the hash of the job itself, so the cache key is correct by construction: an
    input that is not in the job cannot change the output. Two things are given by path, the
    templates folder and the font folders; `shared_digest` covers every byte of their files, and
    the paths themselves stay out of the digest so that two checkouts agree on it.
    """

    brief_id: str
    locale: str
    markdown: str  # the assembled pandoc Markdown
    metadata: BriefMetadata
    references: str  # the CSL JSON items the brief cites, canonical JSON ("[]" for none)
    csl: bytes  # the citation style
    csl_locale: str  # the CSL locale of citation terms (and, et al., accessed)
    formats: tuple[str, ...]
    figures: tuple[FigureInput, ...]
    internal_marker: str  # "" for a public brief
    toc: bool
    typst_lang: str
    typst_region: str  # zh-Hans -> CN: Typst's rules for punctuation and line breaks
    cjk: bool  # set in the CJK face, and every character checked against the fonts shipped
    timestamp: int
    tool_versions: str  # canonical JSON of briefgen, pandoc, typst, matplotlib, ... versions
    shared_digest: str  # templates and fonts
    spans: tuple[Span, ...] = ()  # where each block stands in `markdown`
    # The branding's logo by value, like figures: a changed file is a changed job.
    logo: bytes = b""
    logo_file: str = ""  # its name beside the figures, e.g. "brand-logo.svg"
    templates: str = field(default="", compare=False)
    font_paths: tuple[str, ...] = field(default=(), compare=False)
    pandoc: str = field(default="", compare=False)  # the binary (its version is in tool_versions)
    # Where pandoc's readings are kept between runs ("" for nowhere): by their exact inputs,
    # so where they are kept cannot change an output.
    readings: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        return f"{self.brief_id} ({self.locale})"

    @property
    def size(self) -> int:
        """A measure of how long the job takes, to start the longest first."""
        return len(self.markdown) * len(self.formats)

    def explain(self, message: str) -> str:
        """A pandoc message in the user's terms: block file and line, the block's own labels."""
        message = _PANDOC_POSITION.sub(lambda m: self.locate(int(m.group(1))), message)
        for span in self.spans:
            if span.block_id:
                # scan.scope_link_references: the block's id and a private-use mark.
                message = message.replace(f"{span.block_id}\ue000", "")
        return message

    def locate(self, line: int) -> str:
        """A line of the assembled document as the block file and line it came from."""
        for span in self.spans:
            where = span.locate(line)
            if where:
                return where
        return f"line {line} of the assembled brief (outside any block: see the template)"

    def position(self, line: int) -> tuple[str, int] | None:
        """(block file, its line) for a line of the assembled document; None outside blocks."""
        return next((p for s in self.spans if (p := s.position(line))), None)

    def digest(self) -> str:
        # Worked out once per job (the job is frozen): a build asks for it for every format,
        # when it plans and again for the manifest, and each time hashes about 300 kB.
        known: str | None = self.__dict__.get("_digest")
        if known is not None:
            return known
        value = hashlib.sha256()
        for name, part in sorted(self._digest_parts().items()):
            # Length-prefixed, labelled parts: no two different jobs hash the same stream.
            value.update(f"{name}:{len(part)}:".encode())
            value.update(part)
        known = self.__dict__["_digest"] = value.hexdigest()
        return known

    def _digest_parts(self) -> dict[str, bytes]:
        parts: dict[str, bytes] = {}
        for name in (f.name for f in fields(self)):
            item = getattr(self, name)
            if name in ("templates", "font_paths", "spans", "pandoc", "readings"):
                continue
            if isinstance(item, bytes):
                parts[name] = item
            elif name == "metadata":
                typed = asdict(self.metadata)
                parts[name] = json.dumps(typed, sort_keys=True, ensure_ascii=False).encode()
            elif name == "figures":
                for index, figure in enumerate(self.figures):
                    parts[f"figure:{index}:image"] = figure.image
                    described = asdict(figure)
                    described.pop("image")
                    parts[f"figure:{index}"] = json.dumps(described, sort_keys=True).encode()
            else:
                parts[name] = json.dumps(item, sort_keys=True, ensure_ascii=False).encode()
        return parts

    def format_digest(self, format_name: str) -> str:
        """The digest of one output file: its job's digest and its format."""
        return hashlib.sha256(f"{self.digest()}:{format_name}".encode()).hexdigest()


@dataclass(frozen=True)
class Artifact:
    """One rendered file, not yet written."""

    brief_id: str
    locale: str
    format: str
    relpath: str  # inside the output folder
    data: bytes
    kind: str = "brief"  # or "media": an image file beside a Markdown brief


@dataclass(frozen=True)
class FileEntry:
    """A file of the library page: path, size and hash."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ManifestEntry:
    """One output file, what it is, and what went into it."""

    path: str
    kind: str  # "brief" or "media"
    brief: str
    title: str
    subtitle: str
    audience: str
    use_cases: tuple[str, ...]
    locale: str
    format: str
    size: int
    sha256: str
    input_digest: str = ""
    blocks: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    fallback_blocks: tuple[str, ...] = ()
    media: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every block is in the brief's own language (no source-language fallback)."""
        return not self.fallback_blocks

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.kind != "brief":  # media files carry no inputs of their own
            for key in ("input_digest", "blocks", "citations", "fallback_blocks", "media"):
                data.pop(key)
        else:
            data["complete"] = self.complete
            if not self.media:
                data.pop("media")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestEntry:
        known = {f for f in cls.__dataclass_fields__}
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known
        }
        values.setdefault("kind", "brief")
        values.setdefault("subtitle", "")
        return cls(**values)


@dataclass(frozen=True)
class Manifest:
    """build/manifest.json: every output, the versions that made it, and the whole matrix."""

    briefgen: str
    pandoc: str
    typst: str
    content_version: str
    project: str
    matrix: tuple[str, ...]
    shard: str | None
    internal: bool
    artifacts: tuple[ManifestEntry, ...]
    library: tuple[FileEntry, ...] = ()
    version: int = MANIFEST_VERSION
    # The branding the library page was drawn in: a build of some briefs keeps it (library.py).
    library_branding: Branding | None = None

    def entry(self, path: str) -> ManifestEntry | None:
        return next((e for e in self.artifacts if e.path == path), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "manifest_version": self.version,
            "briefgen": self.briefgen,
            "pandoc": self.pandoc,
            "typst": self.typst,
            "content_version": self.content_version,
            "project": self.project,
            "matrix": list(self.matrix),
            "shard": self.shard,
            "internal": self.internal,
            "artifacts": [e.to_json() for e in self.artifacts],
            "library": [asdict(f) for f in self.library],
            **(
                {"library_branding": asdict(self.library_branding)}
                if self.library_branding is not None
                else {}
            ),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            briefgen=str(data.get("briefgen", "")),
            pandoc=str(data.get("pandoc", "")),
            typst=str(data.get("typst", "")),
            content_version=str(data.get("content_version", "")),
            project=str(data.get("project", "")),
            matrix=tuple(data.get("matrix", [])),
            shard=data.get("shard"),
            internal=bool(data.get("internal", False)),
            artifacts=tuple(ManifestEntry.from_json(e) for e in data.get("artifacts", [])),
            library=tuple(FileEntry(**f) for f in data.get("library", [])),
            version=int(data.get("manifest_version", 1)),
            library_branding=branding_from_json(data.get("library_branding")),
        )

    @classmethod
    def empty(cls) -> Manifest:
        return cls("", "", "", "", "", (), None, False, ())
