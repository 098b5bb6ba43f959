"""What Word (docx.py) and OpenDocument (odt.py) share: the reference document, a project's
branding on it, the title block's lines and the body's runs of columns.

Pandoc takes every style of a DOCX or ODT brief from a reference document: templates/reference.docx
(reference-internal.docx for internal builds) and templates/reference.odt, designed by
scripts/make_reference_docs.py to match the PDF. At build time the project's `branding:` is
applied to a copy of that file, once per locale and build (the cache below), never per brief:

- the accent colour replaces the design's accent (DESIGN_ACCENT) wherever a style uses it:
  title, headings, links, the rule under the title block, the table header;
- the body and heading fonts replace the design's in the body and heading styles;
- the organisation and contact line go into the footer of every page, before the page number;
- the logo goes into the first page's header, with its alt text as the picture's description.

A setting the project leaves out leaves the reference document as designed, so restyling the
reference document in Word or LibreOffice restyles every brief.

Around pandoc, what a reference document cannot do alone: before, `prepare_document` asks for
the styles pandoc applies only on request (Prepared For, Table Text, ...); after, each format's
`finish` fills the header's fields, indents lists, styles ODT table cells, fills in the table of
contents and sets the body in the PDF's two columns, with the title block and the sections
holding a table or a chart across the page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from briefgen.formats import Writing
from briefgen.formats.package import Logo, logo_image
from briefgen.i18n.locales import is_cjk
from briefgen.model import Branding, meta_text

DESIGN_ACCENT = Branding.accent  # the accent the shipped reference documents are drawn in
# The faces of the design (scripts/make_reference_docs.py): Times New Roman has metric twins
# (Liberation Serif, Tinos) everywhere LibreOffice runs, so a page breaks where Word breaks it.
DESIGN_BODY_FONT = "Times New Roman"
DESIGN_HEADING_FONT = "Times New Roman"
DESIGN_CJK_FONT = "Noto Sans CJK SC"
# Pandoc's custom-style names for the line under the title saying whom a brief is for, and for
# the internal marker in headers and footers. ODF style names cannot hold a space: LibreOffice
# writes a space in a name as _20_ and shows the display name.
PREPARED_FOR = {"docx": "Prepared For", "odt": "Prepared_20_For"}
TABLE_TEXT = "Table Text"  # the paragraph style of DOCX table cells
# The note above a part shown in the source language because it is not translated.
UNTRANSLATED_NOTE = {"docx": "Untranslated Note", "odt": "Untranslated_20_Note"}
INTERNAL_MARKER_STYLE = {"docx": "Internal Marker", "odt": "Internal_20_Marker"}
# The body is set in two columns with a 7 mm gap, as the PDF's: about 55 characters a line at
# 10.5 pt. The reference DOCX's section says so (scripts/make_reference_docs.py); the ODT's
# column sections are written by odt.py's `finish` with these numbers.
BODY_COLUMNS = 2
COLUMN_GAP_CM = 0.7
# A CJK face's line box is taller than a Latin face's (Noto Sans CJK: 1.45 em, Times New Roman:
# 1.15 em), and line spacing multiplies it: CJK briefs take this share of each multiple, for
# lines about 1.35 em apart, as the PDF sets Chinese.
CJK_LINE_FACTOR = 0.86
# Compact: the PDF's summary sets 9.5 pt type where other briefs set 10.5 pt.
COMPACT_SCALE = 9.5 / 10.5


# --- what a build asks of a reference document ------------------------------------------------


@dataclass(frozen=True)
class Look:
    """Everything that makes one reference document differ from the file in templates/."""

    branding: Branding
    logo: Logo | None
    logo_alt: str  # as the brief's metadata has it (render/convert.py: branding_metadata)
    locale: str
    internal_marker: str  # "" for a public build
    compact: bool  # the one-page summary: smaller type and margins, as the PDF's

    @property
    def organisation(self) -> str:
        return self.branding.organisation_for(self.locale)

    @property
    def contact(self) -> str:
        return self.branding.contact_for(self.locale)

    @property
    def footer_text(self) -> str:
        return " · ".join(part for part in (self.organisation, self.contact) if part)

    @property
    def cjk(self) -> bool:
        return is_cjk(self.locale)

    def key(self, format_name: str, template: bytes) -> str:
        value = hashlib.sha256()
        described = asdict(self.branding)
        described["logo"] = hashlib.sha256(self.logo.png if self.logo else b"").hexdigest()
        described.update(
            locale=self.locale,
            marker=self.internal_marker,
            compact=self.compact,
            logo_alt=self.logo_alt,
        )
        for part in (
            format_name.encode(),
            template,
            json.dumps(described, sort_keys=True).encode(),
        ):
            value.update(f"{len(part)}:".encode())
            value.update(part)
        return value.hexdigest()


_CACHE: dict[str, bytes] = {}
Branded = Callable[[bytes, "Look"], bytes]  # a format's reference document with a look applied


def reference_document(format_name: str, template: bytes, look: Look, apply: Branded) -> bytes:
    """The reference document a brief is written with: `template` with `look` applied.

    Built once per process for each distinct look (a build has one per locale), then reused.
    """
    key = look.key(format_name, template)
    if key not in _CACHE:
        _CACHE[key] = apply(template, look)
    return _CACHE[key]


def use_reference(writing: Writing, template_name: str, apply: Branded) -> None:
    """Write the brief with its reference document: the templates' `template_name` with the
    project's branding applied (`apply`), handed to pandoc and kept for `finish`."""
    job = writing.job
    format_name = Path(template_name).suffix.lstrip(".")
    look = Look(
        branding=job.metadata.branding,
        logo=logo_image(job.logo),
        logo_alt=job.metadata.logo_alt,
        locale=job.locale,
        internal_marker=job.internal_marker,
        compact=job.metadata.compact,
    )
    template = (Path(job.templates) / template_name).read_bytes()
    writing.reference = reference_document(format_name, template, look, apply)
    path = writing.folder / f".reference.{format_name}"
    path.write_bytes(writing.reference)
    writing.args.append(f"--reference-doc={path}")


def customised(look: Look) -> bool:
    branding = look.branding
    return bool(
        branding.accent != DESIGN_ACCENT
        or branding.body_font
        or branding.heading_font
        or look.footer_text
        or look.logo
        or look.internal_marker
        or look.compact
        or look.cjk
    )


def recolour(root: etree._Element, design: str, accent: str) -> None:
    """Every attribute naming the design accent ("1F4E79" in Word, "#1f4e79" or "1pt solid
    #1f4e79" in OpenDocument) names the brand accent instead, in the same case."""
    if accent.lower() == design.lower():
        return
    old = re.compile(re.escape(design.lstrip("#")), re.IGNORECASE)
    new = accent.lstrip("#")
    for element in root.iter(etree.Element):
        for name, value in element.attrib.items():
            if old.search(value):
                element.set(name, old.sub(new.lower() if "#" in value else new.upper(), value))


# --- before pandoc: styles pandoc applies only when a paragraph asks for them ----------------


FULLWIDTH_COLON = "\uff1a"


def prepared_for_line(meta: dict[str, Any]) -> str:
    """The title block's line saying whom a brief is for, from the label and the audience the
    metadata carries: "Prepared for the Chinese government"; Chinese puts a full-width colon
    between them. A brief for every audience (the summary) has no such line."""
    return _labelled_line(meta, "prepared-for-label", "prepared-for-named")


def prepared_by_line(meta: dict[str, Any]) -> str:
    """ "Prepared by" and the organisation of the branding, if it names one."""
    return _labelled_line(meta, "prepared-by-label", "organisation")


def _labelled_line(meta: dict[str, Any], label_key: str, value_key: str) -> str:
    label, value, locale = (meta_text(meta, k) for k in (label_key, value_key, "lang"))
    if not value:
        return ""
    return f"{label}{FULLWIDTH_COLON}{value}" if is_cjk(locale) else f"{label} {value}"


def prepare_document(tree: Any, format_name: str) -> None:
    """A brief's pandoc JSON, ready for the DOCX or ODT writer.

    The end of the title block, under pandoc's title and subtitle: "Prepared for ..." in the
    reference document's Prepared For style, then the date and "Prepared by ..." in its Date
    style (which draws the rule that closes the title block). Pandoc would print the
    date before anything the body starts with, so the date moves out of the metadata into
    these paragraphs. The notes above untranslated parts take their own style.
    Changes `tree` in place; docx.py and odt.py then style what is their own."""
    meta = tree["meta"]
    date = meta.pop("date", {}).get("c", "")  # taken out: pandoc would print it first
    # On the date's line, not a line of its own: a one-page brief stays on one page.
    dated = " · ".join(part for part in (date, prepared_by_line(meta)) if part)
    lines = [
        (PREPARED_FOR[format_name], prepared_for_line(meta)),
        ("Date", dated),
    ]
    block = [_styled_para(style, text) for style, text in lines if text]
    tree["blocks"][0:0] = block
    _style_notes(tree["blocks"], UNTRANSLATED_NOTE[format_name])


def _styled_para(style: str, text: str) -> dict[str, Any]:
    words: list[dict[str, Any]] = []
    for word in text.split(" "):
        words += [{"t": "Space"}, {"t": "Str", "c": word}]
    para = {"t": "Para", "c": words[1:]}
    return {"t": "Div", "c": [["", [], [["custom-style", style]]], [para]]}


def _style_notes(node: Any, style: str) -> None:
    """The note above a part shown in the source language, in its own style (as the HTML and
    EPUB set it apart), not as one more paragraph of the brief."""
    if isinstance(node, list):
        for item in node:
            _style_notes(item, style)
    elif isinstance(node, dict) and node.get("t") == "Div":
        attr = node["c"][0]
        if "untranslated-note" in attr[1]:
            attr[2] = [*attr[2], ["custom-style", style]]
        _style_notes(node["c"][1], style)


# --- after pandoc: what a reference document cannot say by itself ---------------------------


# Lists: pandoc writes its own list indents (1.27 cm a level, in neither reference document);
# the PDF indents a list by about the width of its bullet and a space (0.2 em, the bullet,
# 0.5 em: about 0.4 cm), which a column's narrow lines need.
LIST_INDENT_CM = 0.4


# The table of contents. Pandoc puts it right after its own title block, that is above the
# "Prepared for" and date lines, and leaves it empty until Word or LibreOffice updates it: it
# moves under the date and lists the sections (linked, with their page numbers as fields
# that both programs compute), so every reader sees it and a page count includes it (each
# format's `finish` does it).
TOC_DEPTH = 2


# Columns, as the PDF sets them (pdf.in_columns): the title block (with the contents) spans
# the page; so does a section (a level-2 heading to the next) holding a table or a chart, which
# a column is too narrow for; every other section is set in the body's columns.
BlockTest = Callable[[etree._Element], bool]


def column_runs(
    blocks: list[etree._Element], title: BlockTest, section: BlockTest, wide: BlockTest
) -> list[tuple[bool, list[etree._Element]]]:
    """The body's blocks in runs of (in columns?, blocks): the leading title block, then each
    section, full width if it holds a table or a picture; neighbours of one kind are joined."""
    start = 0
    while start < len(blocks) and title(blocks[start]):
        start += 1
    sections: list[list[etree._Element]] = [blocks[:start], []]
    for block in blocks[start:]:
        if section(block) and sections[-1]:
            sections.append([])
        sections[-1].append(block)
    runs: list[tuple[bool, list[etree._Element]]] = []
    for index, part in enumerate(sections):
        if not part:
            continue
        columns = index > 0 and not any(wide(block) for block in part)
        if runs and runs[-1][0] == columns:
            runs[-1][1].extend(part)
        else:
            runs.append((columns, list(part)))
    return runs
