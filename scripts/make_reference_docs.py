#!/usr/bin/env python3
"""Draw the Word and OpenDocument reference documents every DOCX and ODT brief is styled from.

    .venv/bin/python scripts/make_reference_docs.py [--out DIR]

Writes templates/reference.docx, templates/reference-internal.docx and templates/reference.odt
(or the same three files into DIR). It starts from pandoc's own default reference documents
(the pandoc bundled with briefgen, so the result depends only on versions pinned in
constraints.txt) and sets the design below, which follows the PDF (templates/typst/brief.typ):
A4, the PDF's margins (1.7 cm left and right, 2.1 cm top, 2.0 cm bottom), the body in the PDF's
two columns 7 mm apart, 10.5 pt body type with lines 13.2 pt apart and 3 pt between paragraphs,
headings in the accent colour at the PDF's sizes, tables in 8.5 pt with a header row, captions,
references with a hanging indent, and a running header and page numbers. The same inputs give
the same bytes: a test rebuilds the three files and compares them with the committed ones.

Why two columns. The recipes' page budgets are the PDF's, and the PDF sets its body in two
columns of about 55 characters. Word and OpenDocument briefs set in one column 16.4 cm wide
(2.3 cm margins) ran 10-20 % past those budgets in French, and a single column as wide as the
PDF's whole text area would carry about 110 characters a line, too long to read comfortably;
smaller type (below about 10 pt) would make a ministry's reader pay for the layout. So the
design takes the PDF's measure: its margins, its two columns, its type size, line pitch and
paragraph spacing. As in the PDF, the title block (with the full report's contents) spans the
page, and so does a section holding a table or a chart, which a column is too narrow for
(src/briefgen/formats/docx.py and odt.py write those section breaks). Word is asked to
hyphenate, as the PDF does, so that a justified narrow column has no wide gaps; LibreOffice
hyphenates where its dictionaries are installed (the page budgets are met without them).

Restyle by editing the numbers here and running the script again, or by editing the files in
Word or LibreOffice (keep the style names). The project's `branding:` is applied on top at build
time (src/briefgen/formats/office.py).
"""

from __future__ import annotations

import argparse
import copy
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn as wqn
from docx.shared import Pt, RGBColor, Twips
from docx.styles.style import BaseStyle
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from briefgen.formats import office, package  # noqa: E402
from briefgen.formats.package import qn  # noqa: E402
from briefgen.tools import pandoc  # noqa: E402

ACCENT = office.DESIGN_ACCENT.lstrip("#").upper()
BODY_FONT = office.DESIGN_BODY_FONT
HEADING_FONT = office.DESIGN_HEADING_FONT
CJK_FONT = office.DESIGN_CJK_FONT
# Word falls back to this face where the CJK face is not installed (Windows has it).
CJK_FALLBACK = "Microsoft YaHei"
TEXT = "000000"
SUBTLE = "3C3C3C"  # the PDF's luma(60): subtitle, captions
QUIET = "5A5A5A"  # luma(90): header, footer, the date line
RULE = "AAAAAA"  # luma(170): the header's rule
TABLE_RULE = "B4B4B4"  # luma(180): table borders
QUOTE_RULE = "C8C8C8"  # luma(200): the bar beside a quotation
INTERNAL = "8B0000"
NOTE = "5A3A1A"  # the HTML's colour for the note above an untranslated part
NOTE_RULE = "C55A11"
INTERNAL_MARKER = "INTERNAL — NOT FOR PUBLICATION"
OOO = "http://openoffice.org/2004/office"

# A4 and the PDF's margins, in twentieths of a point.
PAGE_TWIPS = (11906, 16838)
MARGINS_TWIPS = {"left": 964, "right": 964, "top": 1191, "bottom": 1134}  # 1.7, 2.1, 2.0 cm
HEADER_TWIPS, FOOTER_TWIPS = 624, 567  # 1.1 and 1.0 cm from the page's edge
TEXT_WIDTH_TWIPS = PAGE_TWIPS[0] - MARGINS_TWIPS["left"] - MARGINS_TWIPS["right"]
# The body's two columns and the gap between them, as the PDF's (office.BODY_COLUMNS): about
# 55 characters a line. The reference's section says it; docx.py and odt.py keep the title block
# and the sections holding a table or a chart at the page's full width.
COLUMNS, COLUMN_GAP_TWIPS = office.BODY_COLUMNS, round(office.COLUMN_GAP_CM / 2.54 * 1440)
# Lines 13.2 pt apart at 10.5 pt, as the PDF sets them (measured in its text): Word's single
# line of Times New Roman is 1.149 em, so 1.096 lines (240 = single). LibreOffice's 110 % of
# its Times twin's 1.107 em comes to 12.8 pt in the ODT.
LINE = 263


@dataclass(frozen=True)
class Para:
    """One paragraph style of the design: sizes in points, spacing in points."""

    size: float | None = None
    bold: bool | None = None
    italic: bool | None = None
    colour: str | None = None
    font: str | None = None
    before: float | None = None
    after: float | None = None
    align: str | None = None  # left, center, both
    keep_next: bool = False
    indent_left: float | None = None
    hanging: float | None = None
    line: float | None = None  # line spacing as a multiple of single (the default: LINE)


# Sizes follow templates/typst/brief.typ: body 10.5 pt, a section's heading (H2) 13, a block's
# (H3) 10.5, H4 10 italic, title 22, subtitle 13, the date line 9.5, captions and references 9,
# tables 8.5.
PARAGRAPHS: dict[str, Para] = {
    "Normal": Para(),
    "Body Text": Para(before=0, after=3, align="both"),  # the PDF's 0.9 em less its 0.6 em leading
    "First Paragraph": Para(),
    "Compact": Para(before=0, after=0),  # tight list items, as the PDF sets them
    "Title": Para(22, True, False, ACCENT, HEADING_FONT, 0, 4, "left", True),
    "Subtitle": Para(13, False, False, SUBTLE, HEADING_FONT, 0, 8, "left", True),
    "Author": Para(9.5, False, False, QUIET, BODY_FONT, 0, 0, "left", True),
    "Prepared For": Para(9.5, False, False, QUIET, BODY_FONT, 0, 1, "left", True),
    "Date": Para(9.5, False, False, QUIET, BODY_FONT, 0, 14, "left", True),
    "Abstract": Para(9.5, before=6, after=6, align="both"),
    "Heading 1": Para(17, True, False, ACCENT, HEADING_FONT, 16, 4, "left", True),
    "Heading 2": Para(13, True, False, ACCENT, HEADING_FONT, 13, 4, "left", True),
    "Heading 3": Para(10.5, True, False, ACCENT, HEADING_FONT, 8, 2, "left", True),
    "Heading 4": Para(10, True, True, ACCENT, HEADING_FONT, 6, 1, "left", True),
    "Block Text": Para(before=2, after=6, indent_left=14),
    "Caption": Para(9, False, False, SUBTLE, None, 4, 8, "center"),
    office.TABLE_TEXT: Para(8.5, before=0, after=0, align="left", indent_left=0, line=1.0),
    "Table Caption": Para(keep_next=True, before=6, after=3),
    "Image Caption": Para(),
    "Figure": Para(align="center", before=4, after=2, keep_next=True),
    "Captioned Figure": Para(keep_next=True),
    "Bibliography": Para(9, after=2, align="left", indent_left=14, hanging=14, line=1.0),
    "Footnote Text": Para(9, after=2, align="both"),
    "Definition Term": Para(bold=True, before=4, after=0, keep_next=True),
    "Definition": Para(after=4, indent_left=16, align="both"),
    "TOC Heading": Para(14, True, False, ACCENT, HEADING_FONT, 0, 6, "left", True),
    "TOC 1": Para(after=1, align="left"),
    "TOC 2": Para(after=1, align="left"),
    "Header": Para(8.5, colour=QUIET, after=0, align="left"),
    "Footer": Para(8.5, colour=QUIET, after=0, align="left"),
    # Set apart as the HTML sets it: small, italic, brown, with a bar in the margin.
    office.UNTRANSLATED_NOTE["docx"]: Para(
        9, False, True, NOTE, None, 2, 2, "left", True, indent_left=0, line=1.0
    ),
    office.INTERNAL_MARKER_STYLE["docx"]: Para(8.5, True, colour=INTERNAL, after=2, align="center"),
}
# Heading levels below 4 are not used by briefs; they keep pandoc's relation to Normal and get
# the accent and heading face like the rest.
for _level in range(5, 10):
    PARAGRAPHS[f"Heading {_level}"] = Para(
        10.5, True, True, ACCENT, HEADING_FONT, 6, 2, "left", True
    )
BASED_ON = {
    "Prepared For": "Normal",
    office.UNTRANSLATED_NOTE["docx"]: "Normal",
    office.TABLE_TEXT: "Normal",
    office.INTERNAL_MARKER_STYLE["docx"]: "Header",
}


# --- DOCX --------------------------------------------------------------------------------------


def make_docx(internal: bool) -> bytes:
    default = pandoc.run(["--print-default-data-file", "reference.docx"], b"", what="reference")
    document = docx.Document(io.BytesIO(default))
    _defaults(document)
    for name, design in PARAGRAPHS.items():
        style = _paragraph_style(document, name)
        _apply(style, design)
    _hyperlink(document)
    _table_style(document)
    _quote_bar(document)
    _note_bar(document)
    _title_rule(document)
    _page(document, internal)
    _sample_text(document)
    _fonts_table(document)
    _hyphenation(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return package.write_package(package.read_package(buffer.getvalue()))


def _defaults(document: docx.document.Document) -> None:
    """Document defaults: the body face (with the CJK face for Chinese), 10.5 pt, 1.1 lines."""
    styles = document.styles.element
    defaults = styles.find(wqn("w:docDefaults"))
    run = defaults.find(f"{wqn('w:rPrDefault')}/{wqn('w:rPr')}")
    _fonts(run, BODY_FONT, CJK_FONT)
    _size(run, 10.5)
    paragraph = defaults.find(f"{wqn('w:pPrDefault')}/{wqn('w:pPr')}")
    spacing = paragraph.find(wqn("w:spacing"))
    spacing.set(wqn("w:before"), "0")
    spacing.set(wqn("w:after"), "0")
    spacing.set(wqn("w:line"), str(LINE))
    spacing.set(wqn("w:lineRule"), "auto")


def _fonts(properties: etree._Element, latin: str, east_asian: str | None = None) -> None:
    """Name the faces outright: a theme face (asciiTheme) would win over a named one."""
    fonts = properties.find(wqn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme") or attribute.endswith("theme"):
            del fonts.attrib[attribute]
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(wqn(attribute), latin)
    if east_asian:
        fonts.set(wqn("w:eastAsia"), east_asian)


def _size(properties: etree._Element, points: float) -> None:
    for tag in ("w:sz", "w:szCs"):
        element = properties.find(wqn(tag))
        if element is None:
            element = OxmlElement(tag)
            properties.append(element)
        element.set(wqn("w:val"), str(round(points * 2)))
    _order(properties)


# The order of w:rPr children the schema requires (ECMA-376 17.3.2.28), for what we set.
RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "color",
             "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect",
             "bdr", "shd", "vertAlign", "lang"]  # fmt: skip


def _order(properties: etree._Element) -> None:
    if properties.tag != wqn("w:rPr"):
        return
    rank = {wqn(f"w:{name}"): index for index, name in enumerate(RPR_ORDER)}
    children = sorted(properties, key=lambda e: rank.get(e.tag, len(rank)))
    for child in children:
        properties.append(child)


def _paragraph_style(document: docx.document.Document, name: str) -> BaseStyle:
    styles = document.styles
    for style in styles:
        if style.name == name:
            return style
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[BASED_ON.get(name, "Normal")]
    style.quick_style = True
    if name.startswith("TOC ") and name[-1].isdigit():
        # Word knows its built-in styles by their lower-case names; "toc 2" is the one its
        # table of contents fills in, shown as "TOC 2".
        style.element.name_val = name.lower()
    return style


def _apply(style: BaseStyle, design: Para) -> None:  # noqa: C901 (one branch per style property the design sets)
    font = style.font
    if design.size is not None:
        font.size = Pt(design.size)
    if design.bold is not None:
        font.bold = design.bold
    if design.italic is not None:
        font.italic = design.italic
    if design.colour is not None:
        font.color.rgb = RGBColor.from_string(design.colour)
    if design.font is not None:
        _fonts(style.element.get_or_add_rPr(), design.font)
    rpr = style.element.rPr
    if rpr is not None:
        tracking = rpr.find(wqn("w:spacing"))  # pandoc's Subtitle is letter-spaced
        if tracking is not None:
            rpr.remove(tracking)
        _order(rpr)
    paragraph = style.paragraph_format
    if design.before is not None:
        paragraph.space_before = Pt(design.before)
    if design.after is not None:
        paragraph.space_after = Pt(design.after)
    alignments = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "both": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }
    if design.align is not None:
        paragraph.alignment = alignments[design.align]
    if design.keep_next:
        paragraph.keep_with_next = True
        paragraph.keep_together = True
    if design.indent_left is not None:
        paragraph.left_indent = Pt(design.indent_left)
    if design.hanging is not None:
        paragraph.first_line_indent = Pt(-design.hanging)
    if design.line is not None:
        paragraph.line_spacing = design.line
    ppr = style.element.pPr
    if ppr is not None:
        numbering = ppr.find(wqn("w:numPr"))  # pandoc's Subtitle carries a stray list level
        if numbering is not None:
            ppr.remove(numbering)
        if style.name in ("Header", "Footer", "header", "footer"):
            paragraph.tab_stops.add_tab_stop(Twips(TEXT_WIDTH_TWIPS), WD_TAB_ALIGNMENT.RIGHT)
        if style.name.lower().startswith("toc ") and style.name[-1].isdigit():
            paragraph.tab_stops.add_tab_stop(
                Twips(TEXT_WIDTH_TWIPS), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
            )


def _hyperlink(document: docx.document.Document) -> None:
    """Links in the accent colour, as in the PDF (citations are links to the references)."""
    style = document.styles["Hyperlink"]
    style.font.color.rgb = RGBColor.from_string(ACCENT)
    style.font.underline = False


def _table_style(document: docx.document.Document) -> None:
    """Tables: thin grey rules, 5 pt padding, a header row in the accent colour with white
    bold text, repeated on every page. Cell text is in the Table Text paragraph style."""
    style = document.styles["Table"].element
    for child in list(style):
        if child.tag in (
            wqn("w:pPr"),
            wqn("w:rPr"),
            wqn("w:tblPr"),
            wqn("w:tblStylePr"),
            wqn("w:tcPr"),
        ):
            style.remove(child)
    borders = "".join(
        f"<w:{side} w:val='single' w:sz='4' w:space='0' w:color='{TABLE_RULE}'/>"
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    style.append(
        _xml(
            "<w:tblPr><w:tblInd w:w='0' w:type='dxa'/>"
            f"<w:tblBorders>{borders}</w:tblBorders>"
            "<w:tblCellMar><w:top w:w='60' w:type='dxa'/><w:left w:w='100' w:type='dxa'/>"
            "<w:bottom w:w='60' w:type='dxa'/><w:right w:w='100' w:type='dxa'/></w:tblCellMar>"
            "</w:tblPr>"
        )
    )
    style.append(
        _xml(
            "<w:tblStylePr w:type='firstRow'>"
            "<w:rPr><w:b/><w:bCs/><w:color w:val='FFFFFF'/></w:rPr>"
            "<w:trPr><w:tblHeader/></w:trPr>"
            f"<w:tcPr><w:shd w:val='clear' w:color='auto' w:fill='{ACCENT}'/></w:tcPr>"
            "</w:tblStylePr>"
        )
    )


def _xml(fragment: str) -> etree._Element:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    tag_end = fragment.index(">")
    if fragment[tag_end - 1] == "/":
        tag_end -= 1
    return parse_xml(fragment[:tag_end] + f" {nsdecls('w')}" + fragment[tag_end:])


def _quote_bar(document: docx.document.Document) -> None:
    """A quotation stands aside with a grey bar on its left, as in the PDF."""
    _border(document.styles["Block Text"].element.get_or_add_pPr(), "left", 16, 8, QUOTE_RULE)


def _note_bar(document: docx.document.Document) -> None:
    """The note above an untranslated part has a bar in the margin, as in the HTML."""
    style = document.styles[office.UNTRANSLATED_NOTE["docx"]]
    _border(style.element.get_or_add_pPr(), "left", 18, 6, NOTE_RULE)


def _title_rule(document: docx.document.Document) -> None:
    """The rule in the accent colour that closes the title block (under the date)."""
    _border(document.styles["Date"].element.get_or_add_pPr(), "bottom", 8, 6, ACCENT)


def _border(properties: etree._Element, side: str, eighths: int, space: int, colour: str) -> None:
    """A paragraph rule: `eighths` of a point wide, `space` points from the text."""
    rule = f"<w:{side} w:val='single' w:sz='{eighths}' w:space='{space}' w:color='{colour}'/>"
    properties.append(_xml(f"<w:pBdr>{rule}</w:pBdr>"))
    _order_ppr(properties)


PPR_ORDER = ["pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
             "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
             "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
             "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
             "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
             "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
             "sectPr", "pPrChange"]  # fmt: skip


def _order_ppr(properties: etree._Element) -> None:
    rank = {wqn(f"w:{name}"): index for index, name in enumerate(PPR_ORDER)}
    for child in sorted(properties, key=lambda e: rank.get(e.tag, len(rank))):
        properties.append(child)


def _page(document: docx.document.Document, internal: bool) -> None:
    """A4 with the PDF's margins. Pages after the first carry the brief's short title and the
    publisher in the header; every page carries the page number in the footer ("3 / 8").
    The first page's header stays empty for the logo (formats/docx.py adds it from the branding)."""
    section = document.sections[0]
    section.page_width, section.page_height = (Twips(v) for v in PAGE_TWIPS)
    section.left_margin = Twips(MARGINS_TWIPS["left"])
    section.right_margin = Twips(MARGINS_TWIPS["right"])
    section.top_margin = Twips(MARGINS_TWIPS["top"])
    section.bottom_margin = Twips(MARGINS_TWIPS["bottom"])
    section.header_distance = Twips(HEADER_TWIPS)
    section.footer_distance = Twips(FOOTER_TWIPS)
    section.different_first_page_header_footer = True
    columns = section._sectPr.find(wqn("w:cols"))
    if columns is None:
        columns = OxmlElement("w:cols")
        section._sectPr.find(wqn("w:pgMar")).addnext(columns)
    columns.set(wqn("w:num"), str(COLUMNS))
    columns.set(wqn("w:space"), str(COLUMN_GAP_TWIPS))
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.style = document.styles["Header"]
    _field(paragraph, 'DOCPROPERTY "running-title"', "Short title")
    paragraph.add_run("\t")
    _field(paragraph, 'DOCPROPERTY "publisher"', "Publisher")
    _border(paragraph._p.get_or_add_pPr(), "bottom", 4, 4, RULE)
    first = section.first_page_header
    first.is_linked_to_previous = False
    first.paragraphs[0].style = document.styles["Header"]
    for footer in (section.footer, section.first_page_footer):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = document.styles["Footer"]
        paragraph.add_run("\t")
        _field(paragraph, "PAGE", "1")
        paragraph.add_run(" / ")
        _field(paragraph, "NUMPAGES", "1")
    if internal:
        marker = document.styles[office.INTERNAL_MARKER_STYLE["docx"]]
        for part in (
            section.header,
            section.first_page_header,
            section.footer,
            section.first_page_footer,
        ):
            first_paragraph = part.paragraphs[0]
            first_paragraph.insert_paragraph_before(INTERNAL_MARKER, marker)


def _field(paragraph: docx.text.paragraph.Paragraph, instruction: str, result: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(wqn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = result
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _sample_text(document: docx.document.Document) -> None:
    """Pandoc's sample text shows each style to whoever restyles the file; add ours."""
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Date":
            sample = copy.deepcopy(paragraph._p)
            paragraph._p.addprevious(sample)
            new = docx.text.paragraph.Paragraph(sample, paragraph._parent)
            new.style = document.styles["Prepared For"]
            for run in new.runs[1:]:
                run._r.getparent().remove(run._r)
            new.runs[0].text = "Prepared for"
            return


def _hyphenation(document: docx.document.Document) -> None:
    """Word hyphenates, as the PDF does: justified lines of a narrow column without it leave
    wide gaps between words (LibreOffice hyphenates too where its dictionaries are installed)."""
    settings = document.settings.element
    if settings.find(wqn("w:autoHyphenation")) is None:
        settings.find(wqn("w:defaultTabStop")).addnext(_xml("<w:autoHyphenation/>"))


def _fonts_table(document: docx.document.Document) -> None:
    """Tell Word which installed face stands in for the CJK face where it is missing."""
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            table = etree.fromstring(rel.target_part.blob)
            names = {f.get(wqn("w:name")) for f in table.findall(wqn("w:font"))}
            if CJK_FONT not in names:
                table.append(
                    _xml(
                        f"<w:font w:name='{CJK_FONT}'><w:altName w:val='{CJK_FALLBACK}'/>"
                        "<w:charset w:val='86'/><w:family w:val='swiss'/>"
                        "<w:pitch w:val='variable'/></w:font>"
                    )
                )
            rel.target_part._blob = etree.tostring(
                table, xml_declaration=True, encoding="UTF-8", standalone=True
            )


# --- ODT ---------------------------------------------------------------------------------------


def make_odt() -> bytes:
    default = pandoc.run(["--print-default-data-file", "reference.odt"], b"", what="reference")
    parts = package.read_package(default)
    styles = package.parse_xml(parts["styles.xml"])
    _odt_fonts(styles)
    _odt_defaults(styles)
    for name, design in PARAGRAPHS.items():
        odt_name = ODT_NAMES.get(name)
        if odt_name:
            _odt_paragraph(styles, odt_name, name, design)
    _odt_extras(styles)
    _odt_page(styles)
    parts["styles.xml"] = package.xml_bytes(styles)
    parts["settings.xml"] = _odt_settings()
    manifest = package.parse_xml(parts["META-INF/manifest.xml"])
    entry = etree.SubElement(manifest, qn("manifest:file-entry"))
    entry.set(qn("manifest:full-path"), "settings.xml")
    entry.set(qn("manifest:media-type"), "text/xml")
    parts["META-INF/manifest.xml"] = package.xml_bytes(manifest)
    return package.write_package(parts)


def _odt_settings() -> bytes:
    """Space between two paragraphs is the larger of the first's space after and the second's
    space before, as in Word (LibreOffice's own default adds the two): one design, one layout
    in both formats."""
    config = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
    # LibreOffice reads the set's name "ooo:configuration-settings" as a qualified name: without
    # the ooo namespace declared it ignores the whole set.
    namespaces = {"office": package.NS["office"], "config": config, "ooo": OOO}
    root = etree.Element(qn("office:document-settings"), nsmap=namespaces)
    root.set(qn("office:version"), "1.3")
    settings = etree.SubElement(root, qn("office:settings"))
    group = etree.SubElement(
        settings,
        f"{{{config}}}config-item-set",
        {f"{{{config}}}name": "ooo:configuration-settings"},
    )
    for name, value in (("AddParaTableSpacing", "false"), ("AddParaTableSpacingAtStart", "true")):
        item = etree.SubElement(
            group,
            f"{{{config}}}config-item",
            {f"{{{config}}}name": name, f"{{{config}}}type": "boolean"},
        )
        item.text = value
    return package.xml_bytes(root)


# Word style -> the ODT style pandoc's ODT writer uses for the same thing.
ODT_NAMES = {
    "Body Text": "Text_20_body",
    "First Paragraph": "First_20_paragraph",
    "Compact": "Compact",
    "Title": "Title",
    "Subtitle": "Subtitle",
    "Author": "Author",
    "Date": "Date",
    "Prepared For": office.PREPARED_FOR["odt"],
    "Abstract": "Abstract",
    "Heading 1": "Heading_20_1",
    "Heading 2": "Heading_20_2",
    "Heading 3": "Heading_20_3",
    "Heading 4": "Heading_20_4",
    "Block Text": "Quotations",
    "Caption": "Caption",
    "Table Caption": "TableCaption",
    "Image Caption": "FigureCaption",
    "Figure": "Figure",
    "Captioned Figure": "FigureWithCaption",
    "Bibliography": "Bibliography",
    "Footnote Text": "Footnote",
    "Definition Term": "Definition_20_Term",
    "Definition": "Definition_20_Definition",
    "Header": "Header",
    "Footer": "Footer",
    "TOC Heading": "Contents_20_Heading",
    "TOC 1": "Contents_20_1",
    "TOC 2": "Contents_20_2",
    office.TABLE_TEXT: "Table_20_Contents",
    office.UNTRANSLATED_NOTE["docx"]: office.UNTRANSLATED_NOTE["odt"],
    office.INTERNAL_MARKER_STYLE["docx"]: office.INTERNAL_MARKER_STYLE["odt"],
}
ODT_PARENTS = {
    "Text_20_body": "Standard",
    "First_20_paragraph": "Text_20_body",
    "Compact": "Text_20_body",
    "Title": "Heading",
    "Subtitle": "Heading",
    "Author": "Standard",
    "Date": "Standard",
    office.PREPARED_FOR["odt"]: "Standard",
    "Quotations": "Text_20_body",
    "Bibliography": "Text_20_body",
    "Header": "Standard",
    "Footer": "Standard",
    office.INTERNAL_MARKER_STYLE["odt"]: "Header",
    office.UNTRANSLATED_NOTE["odt"]: "Standard",
}
ODT_DISPLAY = {
    "Text_20_body": "Text body",
    "First_20_paragraph": "First paragraph",
    office.PREPARED_FOR["odt"]: "Prepared For",
    office.INTERNAL_MARKER_STYLE["odt"]: "Internal Marker",
    office.UNTRANSLATED_NOTE["odt"]: "Untranslated Note",
    **{f"Heading_20_{n}": f"Heading {n}" for n in range(1, 10)},
    "Contents_20_Heading": "Contents Heading",
    "Contents_20_1": "Contents 1",
    "Contents_20_2": "Contents 2",
    "Definition_20_Term": "Definition Term",
    "Definition_20_Definition": "Definition Definition",
}


def _odt_fonts(styles: etree._Element) -> None:
    declarations = styles.find(qn("office:font-face-decls"))
    known = {d.get(qn("style:name")) for d in declarations}
    for face, generic in ((BODY_FONT, "roman"), (HEADING_FONT, "roman"), (CJK_FONT, "swiss")):
        if face not in known:
            etree.SubElement(
                declarations,
                qn("style:font-face"),
                {
                    qn("style:name"): face,
                    qn("svg:font-family"): f"'{face}'",
                    qn("style:font-family-generic"): generic,
                    qn("style:font-pitch"): "variable",
                },
            )
            known.add(face)


def _odt_defaults(styles: etree._Element) -> None:
    for default in styles.iter(qn("style:default-style")):
        if default.get(qn("style:family")) != "paragraph":
            continue
        text = default.find(qn("style:text-properties"))
        text.set(qn("style:font-name"), BODY_FONT)
        text.set(qn("style:font-name-asian"), CJK_FONT)
        for attribute in ("fo:font-size", "style:font-size-asian", "style:font-size-complex"):
            text.set(qn(attribute), "10.5pt")
        paragraph = default.find(qn("style:paragraph-properties"))
        paragraph.set(qn("fo:line-height"), f"{round(LINE / 240 * 100)}%")
        paragraph.set(qn("fo:hyphenate"), "true")  # as Word is asked to (see _hyphenation)


def _odt_style(
    styles: etree._Element, name: str, family: str, parent: str | None = None
) -> etree._Element:
    container = styles.find(qn("office:styles"))
    for style in container.findall(qn("style:style")):
        if style.get(qn("style:name")) == name and style.get(qn("style:family")) == family:
            return style
    style = etree.SubElement(container, qn("style:style"))
    style.set(qn("style:name"), name)
    style.set(qn("style:family"), family)
    if name in ODT_DISPLAY:
        style.set(qn("style:display-name"), ODT_DISPLAY[name])
    if parent:
        style.set(qn("style:parent-style-name"), parent)
    return style


def _properties(style: etree._Element, kind: str) -> etree._Element:
    element = style.find(qn(f"style:{kind}-properties"))
    if element is None:
        element = etree.SubElement(style, qn(f"style:{kind}-properties"))
        if kind == "paragraph":  # paragraph properties come before text properties
            style.remove(element)
            style.insert(0, element)
    return element


def _odt_paragraph(styles: etree._Element, name: str, word: str, design: Para) -> None:  # noqa: C901 (one branch per style property the design sets)
    style = _odt_style(styles, name, "paragraph", ODT_PARENTS.get(name, "Standard"))
    if name in ODT_PARENTS:
        style.set(qn("style:parent-style-name"), ODT_PARENTS[name])
    paragraph = _properties(style, "paragraph")
    text = _properties(style, "text")
    if design.size is not None:
        for attribute in ("fo:font-size", "style:font-size-asian", "style:font-size-complex"):
            text.set(qn(attribute), f"{design.size}pt")
    if design.bold is not None:
        weight = "bold" if design.bold else "normal"
        for attribute in ("fo:font-weight", "style:font-weight-asian", "style:font-weight-complex"):
            text.set(qn(attribute), weight)
    if design.italic is not None:
        posture = "italic" if design.italic else "normal"
        for attribute in ("fo:font-style", "style:font-style-asian", "style:font-style-complex"):
            text.set(qn(attribute), posture)
    if design.colour is not None:
        text.set(qn("fo:color"), f"#{design.colour.lower()}")
    if design.font is not None:
        text.set(qn("style:font-name"), design.font)
        text.set(qn("style:font-name-asian"), CJK_FONT)
    if design.before is not None:
        paragraph.set(qn("fo:margin-top"), f"{design.before}pt")
    if design.after is not None:
        paragraph.set(qn("fo:margin-bottom"), f"{design.after}pt")
    aligns = {"left": "start", "center": "center", "both": "justify"}
    if design.align is not None:
        paragraph.set(qn("fo:text-align"), aligns[design.align])
    if design.keep_next:
        paragraph.set(qn("fo:keep-with-next"), "always")
        paragraph.set(qn("fo:keep-together"), "always")
    if design.indent_left is not None:
        paragraph.set(qn("fo:margin-left"), f"{design.indent_left}pt")
        paragraph.set(qn("fo:margin-right"), "0pt")
    if design.hanging is not None:
        paragraph.set(qn("fo:text-indent"), f"-{design.hanging}pt")
    if design.line is not None:
        paragraph.set(qn("fo:line-height"), f"{round(design.line * 100)}%")
    if word in ("Header", "Footer", "TOC 1", "TOC 2"):
        for stop in paragraph.findall(qn("style:tab-stops")):
            paragraph.remove(stop)
        stops = etree.SubElement(paragraph, qn("style:tab-stops"))
        tab = etree.SubElement(
            stops,
            qn("style:tab-stop"),
            {qn("style:position"): f"{TEXT_WIDTH_TWIPS / 20}pt", qn("style:type"): "right"},
        )
        if word.startswith("TOC"):
            tab.set(qn("style:leader-style"), "dotted")
            tab.set(qn("style:leader-text"), ".")
    if not text.attrib:
        style.remove(text)


def _odt_extras(styles: etree._Element) -> None:
    """What has no Word twin above: the title block's rule, the quotation's bar, links, table
    cells and text, and the header's rule."""
    rule = _properties(_odt_style(styles, "Date", "paragraph"), "paragraph")
    rule.set(qn("fo:border-bottom"), f"1pt solid #{ACCENT.lower()}")
    rule.set(qn("fo:padding-bottom"), "6pt")
    note_style = _odt_style(styles, office.UNTRANSLATED_NOTE["odt"], "paragraph")
    note = _properties(note_style, "paragraph")
    note.set(qn("fo:border-left"), f"2.25pt solid #{NOTE_RULE.lower()}")
    note.set(qn("fo:padding-left"), "6pt")
    bar = _properties(_odt_style(styles, "Quotations", "paragraph"), "paragraph")
    bar.set(qn("fo:border-left"), f"2pt solid #{QUOTE_RULE.lower()}")
    bar.set(qn("fo:padding-left"), "8pt")
    header = _properties(_odt_style(styles, "Header", "paragraph"), "paragraph")
    header.set(qn("fo:border-bottom"), f"0.5pt solid #{RULE.lower()}")
    header.set(qn("fo:padding-bottom"), "4pt")
    logo = _odt_style(styles, "Header_20_Logo", "paragraph", "Header")
    logo.set(qn("style:display-name"), "Header Logo")
    _properties(logo, "paragraph").set(qn("fo:text-align"), "end")
    _properties(logo, "paragraph").set(qn("fo:border-bottom"), "none")
    link = _properties(_odt_style(styles, "Internet_20_link", "text"), "text")
    link.set(qn("fo:color"), f"#{ACCENT.lower()}")
    link.set(qn("style:text-underline-style"), "none")
    heading = _odt_style(styles, "Table_20_Heading", "paragraph")
    _properties(heading, "paragraph").set(qn("fo:margin-left"), "0pt")
    _properties(heading, "paragraph").set(qn("fo:margin-right"), "0pt")
    _properties(heading, "text").set(qn("fo:color"), "#ffffff")
    border = f"0.5pt solid #{TABLE_RULE.lower()}"
    for name, fill in (("TableRowCell", None), ("TableHeaderRowCell", ACCENT)):
        cell = _properties(_odt_style(styles, name, "table-cell"), "table-cell")
        cell.set(qn("fo:border"), border)
        cell.set(qn("fo:padding-top"), "3pt")
        cell.set(qn("fo:padding-bottom"), "3pt")
        cell.set(qn("fo:padding-left"), "5pt")
        cell.set(qn("fo:padding-right"), "5pt")
        if fill:
            cell.set(qn("fo:background-color"), f"#{fill.lower()}")
    title = _odt_style(styles, "Title", "paragraph")
    title.set(qn("style:master-page-name"), "First_20_Page")


def _odt_page(styles: etree._Element) -> None:
    """A4 with the PDF's margins. ODF puts the header inside the top margin's space, so the
    page margin is the header's distance from the edge, and header height plus spacing make
    up the rest: the body starts 2.1 cm down and ends 2.0 cm from the bottom, as in the PDF
    and in Word. The columns are the body's sections' (odt.py's finish), not the page's: the
    title block spans the page."""
    automatic = styles.find(qn("office:automatic-styles"))
    layout = next(
        s for s in automatic.findall(qn("style:page-layout")) if s.get(qn("style:name")) == "Mpm1"
    )
    properties = layout.find(qn("style:page-layout-properties"))
    properties.set(qn("fo:page-width"), "21cm")
    properties.set(qn("fo:page-height"), "29.7cm")
    properties.set(qn("fo:margin-left"), "1.7cm")
    properties.set(qn("fo:margin-right"), "1.7cm")
    properties.set(qn("fo:margin-top"), "1.1cm")
    properties.set(qn("fo:margin-bottom"), "1.0cm")
    for kind, spacing in (("header", "fo:margin-bottom"), ("footer", "fo:margin-top")):
        holder = layout.find(qn(f"style:{kind}-style"))
        for child in list(holder):
            holder.remove(child)
        etree.SubElement(
            holder,
            qn("style:header-footer-properties"),
            {
                qn("fo:min-height"): "0.6cm",
                qn(spacing): "0.4cm",
                qn("fo:margin-left"): "0cm",
                qn("fo:margin-right"): "0cm",
                qn("style:dynamic-spacing"): "false",
            },
        )
    masters = styles.find(qn("office:master-styles"))
    for child in list(masters):
        masters.remove(child)
    standard = etree.SubElement(
        masters,
        qn("style:master-page"),
        {qn("style:name"): "Standard", qn("style:page-layout-name"): "Mpm1"},
    )
    header = etree.SubElement(standard, qn("style:header"))
    line = etree.SubElement(header, qn("text:p"), {qn("text:style-name"): "Header"})
    _odt_field(line, "running-title", "Short title")
    etree.SubElement(line, qn("text:tab"))
    _odt_field(line, "publisher", "Publisher")
    first = etree.SubElement(
        masters,
        qn("style:master-page"),
        {
            qn("style:name"): "First_20_Page",
            qn("style:display-name"): "First Page",
            qn("style:page-layout-name"): "Mpm1",
            qn("style:next-style-name"): "Standard",
        },
    )
    first_header = etree.SubElement(first, qn("style:header"))
    etree.SubElement(first_header, qn("text:p"), {qn("text:style-name"): "Header_20_Logo"})
    for page in (standard, first):
        footer = etree.SubElement(page, qn("style:footer"))
        line = etree.SubElement(footer, qn("text:p"), {qn("text:style-name"): "Footer"})
        etree.SubElement(line, qn("text:tab"))
        number = etree.SubElement(line, qn("text:page-number"), {qn("text:select-page"): "current"})
        number.text = "1"
        number.tail = " / "
        count = etree.SubElement(line, qn("text:page-count"))
        count.text = "1"


def _odt_field(paragraph: etree._Element, name: str, placeholder: str) -> None:
    field = etree.SubElement(paragraph, qn("text:user-defined"), {qn("text:name"): name})
    field.text = placeholder


# --- main --------------------------------------------------------------------------------------


def build() -> dict[str, bytes]:
    return {
        "reference.docx": make_docx(internal=False),
        "reference-internal.docx": make_docx(internal=True),
        "reference.odt": make_odt(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "templates", help="folder to write to")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (args.out / name).write_bytes(data)
        print(f"{args.out / name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
