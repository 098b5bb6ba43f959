"""Word (DOCX) and OpenDocument (ODT) reference documents, and a project's branding on them.

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
the styles pandoc applies only on request (Prepared For, Table Text, ...); after, `finish` fills
the header's fields, indents lists, styles ODT table cells, fills in the table of contents and
sets the body in the PDF's two columns, with the title block and the sections holding a table
or a chart across the page.
Documents are zip packages, rewritten with sorted entries and fixed dates: the same inputs give
the same bytes.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree

from briefgen.i18n.locales import is_cjk
from briefgen.model import Branding, meta_text
from briefgen.tools import pandoc
from briefgen.tools import typst as typst_pdf

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
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
# The body is set in two columns with a 7 mm gap, as the PDF's: about 55 characters a line at
# 10.5 pt. The reference DOCX's section says so (scripts/make_reference_docs.py); the ODT's
# column sections are written by `finish` with these numbers.
BODY_COLUMNS = 2
COLUMN_GAP_CM = 0.7

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS = {
    "w": W,
    "r": R,
    "wp": WP,
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
}


def qn(name: str) -> str:
    """'w:val' -> '{namespace}val'."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


# --- packages: zip files with fixed dates and a fixed order ---------------------------------


def read_package(data: bytes) -> dict[str, bytes]:
    """Every entry of a zip package, by name, in the package's order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_package(parts: dict[str, bytes]) -> bytes:
    """A zip package from its entries: sorted names, fixed dates and permissions.

    An OpenDocument package must begin with its `mimetype` entry, stored uncompressed
    (ODF 1.3 part 2, 3.3); every other entry is compressed.
    """
    buffer = io.BytesIO()
    names = sorted(parts, key=lambda name: (name != "mimetype", name))
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3  # unix, so the permissions below mean the same everywhere
            info.external_attr = 0o644 << 16
            stored = name == "mimetype"
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, parts[name], compresslevel=None if stored else 9)
    return buffer.getvalue()


def parse_xml(data: bytes) -> etree._Element:
    # No entity expansion and no network: a reference document is a file a user may replace.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(data, parser)


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- what a build asks of a reference document ------------------------------------------------


@dataclass(frozen=True)
class Logo:
    """A logo as Word and OpenDocument embed it: PNG bytes and their size in pixels."""

    png: bytes
    width: int
    height: int


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGO_RASTER_HEIGHT_PX = 360  # an SVG logo 1.2 cm high is drawn at about 750 dpi


@functools.lru_cache(maxsize=4)
def logo_image(data: bytes) -> Logo | None:
    """The branding logo as PNG: a PNG as it is, an SVG drawn by Typst (Word before 2016 and
    some readers show no SVG, and a PNG keeps one code path for both formats)."""
    if not data:
        return None
    if not data.startswith(PNG_SIGNATURE):
        data = typst_pdf.svg_to_png(data, height_px=LOGO_RASTER_HEIGHT_PX)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk, first in every PNG
    return Logo(data, width, height)


@dataclass(frozen=True)
class Look:
    """Everything that makes one reference document differ from the file in templates/."""

    branding: Branding
    logo: Logo | None
    logo_alt: str  # as the brief's metadata has it (render.branding_metadata)
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


def reference_document(format_name: str, template: bytes, look: Look) -> bytes:
    """The reference document a brief is written with: `template` with `look` applied.

    Built once per process for each distinct look (a build has one per locale), then reused.
    """
    key = look.key(format_name, template)
    if key not in _CACHE:
        if format_name == "docx":
            _CACHE[key] = _docx_reference(template, look)
        else:
            _CACHE[key] = _odt_reference(template, look)
    return _CACHE[key]


def _customised(look: Look) -> bool:
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


# --- DOCX ------------------------------------------------------------------------------------

# Styles whose face is the heading font; every other style with a face of its own is body text.
DOCX_HEADING_STYLES = frozenset(
    {"Title", "Subtitle", "TOCHeading", *(f"Heading{level}" for level in range(1, 10))}
)
# A CJK face's line box is taller than a Latin face's (Noto Sans CJK: 1.45 em, Times New Roman:
# 1.15 em), and line spacing multiplies it: CJK briefs take this share of each multiple, for
# lines about 1.35 em apart, as the PDF sets Chinese.
CJK_LINE_FACTOR = 0.86
# Compact: the PDF's summary sets 9.5 pt type where other briefs set 10.5 pt.
COMPACT_SCALE = 9.5 / 10.5
COMPACT_MARGINS_TWIPS = {"left": 1020, "right": 1020, "top": 1077, "bottom": 964}
COMPACT_EDGES_TWIPS = {"header": 510, "footer": 454}


def _docx_reference(template: bytes, look: Look) -> bytes:
    if not _customised(look):
        return template
    parts = read_package(template)
    styles = parse_xml(parts["word/styles.xml"])
    _recolour(styles, DESIGN_ACCENT, look.branding.accent)
    _docx_fonts(styles, look.branding)
    if look.compact:
        _docx_scale(styles, COMPACT_SCALE)
    if look.cjk:
        _docx_line_spacing(styles, CJK_LINE_FACTOR)
    parts["word/styles.xml"] = xml_bytes(styles)
    document = parse_xml(parts["word/document.xml"])
    if look.compact:
        _docx_compact_page(document)
    parts["word/document.xml"] = xml_bytes(document)
    headers = _docx_section_parts(parts, document, "header")
    footers = _docx_section_parts(parts, document, "footer")
    for name in footers.values():
        footer = parse_xml(parts[name])
        _recolour(footer, DESIGN_ACCENT, look.branding.accent)
        if look.footer_text:
            _docx_prepend_text(footer, look.footer_text)
        _docx_set_marker(footer, look.internal_marker)
        parts[name] = xml_bytes(footer)
    for kind, name in headers.items():
        header = parse_xml(parts[name])
        _recolour(header, DESIGN_ACCENT, look.branding.accent)
        _docx_set_marker(header, look.internal_marker)
        if kind == "first" and look.logo:
            _docx_add_logo(parts, name, header, look.logo, look.logo_alt)
        parts[name] = xml_bytes(header)
    return write_package(parts)


def _recolour(root: etree._Element, design: str, accent: str) -> None:
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


def _docx_fonts(styles: etree._Element, branding: Branding) -> None:
    """The brand's body and heading faces where the design names its own (Latin text only:
    East Asian text keeps its CJK face)."""
    if not branding.body_font and not branding.heading_font:
        return
    for fonts in styles.iter(qn("w:rFonts")):
        style = fonts.getparent()
        while style is not None and style.tag != qn("w:style"):
            style = style.getparent()
        style_id = style.get(qn("w:styleId")) if style is not None else ""
        face = branding.heading_font if style_id in DOCX_HEADING_STYLES else branding.body_font
        if not face:
            continue
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            if fonts.get(qn(attribute)) is not None:
                fonts.set(qn(attribute), face)


def _docx_scale(styles: etree._Element, factor: float) -> None:
    """Scale every type size and paragraph spacing of the styles (the compact variant)."""
    for tag in ("w:sz", "w:szCs"):
        for size in styles.iter(qn(tag)):
            size.set(qn("w:val"), str(max(2, round(int(size.get(qn("w:val"), "0")) * factor))))
    for spacing in styles.iter(qn("w:spacing")):
        for attribute in ("w:before", "w:after"):
            value = spacing.get(qn(attribute))
            if value is not None:
                spacing.set(qn(attribute), str(round(int(value) * factor)))


def _docx_line_spacing(styles: etree._Element, factor: float) -> None:
    """Scale every proportional line spacing ("multiple"; exact and at-least stay)."""
    for spacing in styles.iter(qn("w:spacing")):
        line = spacing.get(qn("w:line"))
        if line is not None and spacing.get(qn("w:lineRule"), "auto") == "auto":
            spacing.set(qn("w:line"), str(round(int(line) * factor)))


def _docx_compact_page(document: etree._Element) -> None:
    for margins in document.iter(qn("w:pgMar")):
        for side, twips in (COMPACT_MARGINS_TWIPS | COMPACT_EDGES_TWIPS).items():
            margins.set(qn(f"w:{side}"), str(twips))


def _docx_section_parts(
    parts: dict[str, bytes], document: etree._Element, kind: str
) -> dict[str, str]:
    """The header (or footer) parts the document's last section uses, by type (default,
    first, even): the section pandoc copies into every brief."""
    rels = parse_xml(parts["word/_rels/document.xml.rels"])
    targets = {r.get("Id"): r.get("Target") for r in rels}
    sections = document.findall(f".//{qn('w:sectPr')}")
    if not sections:
        return {}
    found = {}
    for reference in sections[-1].findall(qn(f"w:{kind}Reference")):
        target = targets.get(reference.get(qn("r:id")))
        if target:
            found[reference.get(qn("w:type"), "default")] = f"word/{target}"
    return found


def _docx_prepend_text(part: etree._Element, text: str) -> None:
    """Put `text` at the start of the first paragraph that is not the internal marker."""
    for paragraph in part.findall(qn("w:p")):
        if _docx_style(paragraph) == _style_id(INTERNAL_MARKER_STYLE["docx"]):
            continue
        run = etree.Element(qn("w:r"))
        etree.SubElement(
            run, qn("w:t"), {"{http://www.w3.org/XML/1998/namespace}space": "preserve"}
        ).text = text
        properties = paragraph.find(qn("w:pPr"))
        if properties is None:
            paragraph.insert(0, run)
        else:
            properties.addnext(run)
        return


def _docx_style(paragraph: etree._Element) -> str:
    style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style.get(qn("w:val"), "") if style is not None else ""


def _style_id(name: str) -> str:
    return name.replace(" ", "")


def _docx_set_marker(part: etree._Element, marker: str) -> None:
    """The internal marker's paragraphs say the marker in the brief's language."""
    if not marker:
        return
    for paragraph in part.findall(qn("w:p")):
        if _docx_style(paragraph) != _style_id(INTERNAL_MARKER_STYLE["docx"]):
            continue
        texts = paragraph.findall(f".//{qn('w:t')}")
        if texts:
            texts[0].text = marker
            for extra in texts[1:]:
                extra.text = ""


LOGO_HEIGHT_EMU = 432000  # 1.2 cm: about the height of the title's first line


def _docx_add_logo(
    parts: dict[str, bytes], name: str, header: etree._Element, logo: Logo, alt: str
) -> None:
    """The logo, right-aligned in the first page's header, described by its alt text."""
    media = "media/briefgen-logo.png"
    rels_name = name.replace("word/", "word/_rels/") + ".rels"
    rels = (
        parse_xml(parts[rels_name])
        if rels_name in parts
        else etree.Element(f"{{{PACKAGE_RELS}}}Relationships", nsmap={None: PACKAGE_RELS})
    )
    rel_id = "rIdBriefgenLogo"
    etree.SubElement(
        rels,
        f"{{{PACKAGE_RELS}}}Relationship",
        Id=rel_id,
        Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image",
        Target=media,
    )
    parts[rels_name] = xml_bytes(rels)
    parts[f"word/{media}"] = logo.png
    _docx_content_type(parts, "png", "image/png")
    height = LOGO_HEIGHT_EMU
    width = round(height * logo.width / max(1, logo.height))
    paragraph = header.find(qn("w:p"))
    if paragraph is None:
        paragraph = etree.SubElement(header, qn("w:p"))
    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        properties = etree.Element(qn("w:pPr"))
        paragraph.insert(0, properties)
    justification = properties.find(qn("w:jc"))
    if justification is None:
        justification = etree.SubElement(properties, qn("w:jc"))
    justification.set(qn("w:val"), "right")
    paragraph.append(_docx_picture(rel_id, width, height, alt))


def _docx_picture(rel_id: str, width: int, height: int, alt: str) -> etree._Element:
    a, pic = NS["a"], NS["pic"]
    run = etree.Element(qn("w:r"))
    drawing = etree.SubElement(run, qn("w:drawing"))
    inline = etree.SubElement(
        drawing, f"{{{WP}}}inline", distT="0", distB="0", distL="0", distR="0"
    )
    etree.SubElement(inline, f"{{{WP}}}extent", cx=str(width), cy=str(height))
    etree.SubElement(inline, f"{{{WP}}}docPr", id="9001", name="Logo", descr=alt)
    graphic = etree.SubElement(inline, f"{{{a}}}graphic", nsmap={"a": a})
    data = etree.SubElement(graphic, f"{{{a}}}graphicData", uri=pic)
    picture = etree.SubElement(data, f"{{{pic}}}pic", nsmap={"pic": pic})
    non_visual = etree.SubElement(picture, f"{{{pic}}}nvPicPr")
    etree.SubElement(non_visual, f"{{{pic}}}cNvPr", id="0", name="logo.png", descr=alt)
    etree.SubElement(non_visual, f"{{{pic}}}cNvPicPr")
    fill = etree.SubElement(picture, f"{{{pic}}}blipFill")
    etree.SubElement(fill, f"{{{a}}}blip", {qn("r:embed"): rel_id})
    stretch = etree.SubElement(fill, f"{{{a}}}stretch")
    etree.SubElement(stretch, f"{{{a}}}fillRect")
    shape = etree.SubElement(picture, f"{{{pic}}}spPr")
    frame = etree.SubElement(shape, f"{{{a}}}xfrm")
    etree.SubElement(frame, f"{{{a}}}off", x="0", y="0")
    etree.SubElement(frame, f"{{{a}}}ext", cx=str(width), cy=str(height))
    geometry = etree.SubElement(shape, f"{{{a}}}prstGeom", prst="rect")
    etree.SubElement(geometry, f"{{{a}}}avLst")
    return run


def _docx_content_type(parts: dict[str, bytes], extension: str, media_type: str) -> None:
    types_ns = "http://schemas.openxmlformats.org/package/2006/content-types"
    types = parse_xml(parts["[Content_Types].xml"])
    if not any(d.get("Extension") == extension for d in types.findall(f"{{{types_ns}}}Default")):
        etree.SubElement(
            types, f"{{{types_ns}}}Default", Extension=extension, ContentType=media_type
        )
        parts["[Content_Types].xml"] = xml_bytes(types)


# --- ODT --------------------------------------------------------------------------------------

ODT_HEADING_STYLES = frozenset(
    {"Heading", "Title", "Subtitle", *(f"Heading_20_{level}" for level in range(1, 11))}
)


def _odt_reference(template: bytes, look: Look) -> bytes:
    if not _customised(look):
        return template
    parts = read_package(template)
    styles = parse_xml(parts["styles.xml"])
    _recolour(styles, DESIGN_ACCENT, look.branding.accent)
    _odt_fonts(styles, look.branding)
    if look.compact:
        _odt_compact(styles)
    if look.cjk:
        _odt_line_spacing(styles, CJK_LINE_FACTOR)
    for footer in styles.iter(qn("style:footer")):
        if look.footer_text:
            _odt_prepend_text(footer, look.footer_text)
    if look.internal_marker:
        for kind in ("style:header", "style:footer"):
            for part in styles.iter(qn(kind)):
                _odt_add_marker(part, look.internal_marker)
    if look.logo:
        _odt_add_logo(parts, styles, look.logo, look.logo_alt)
    parts["styles.xml"] = xml_bytes(styles)
    return write_package(parts)


def _odt_fonts(styles: etree._Element, branding: Branding) -> None:
    if not branding.body_font and not branding.heading_font:
        return
    for face in {branding.body_font, branding.heading_font} - {""}:
        _odt_declare_font(styles, face)
    for properties in styles.iter(qn("style:text-properties")):
        if properties.get(qn("style:font-name")) is None:
            continue
        style = properties.getparent()
        name = style.get(qn("style:name"), "") if style is not None else ""
        face = branding.heading_font if name in ODT_HEADING_STYLES else branding.body_font
        if face:
            properties.set(qn("style:font-name"), face)


def _odt_declare_font(styles: etree._Element, face: str) -> None:
    declarations = styles.find(qn("office:font-face-decls"))
    if declarations is None:
        declarations = etree.Element(qn("office:font-face-decls"))
        styles.insert(0, declarations)
    if any(d.get(qn("style:name")) == face for d in declarations):
        return
    etree.SubElement(
        declarations,
        qn("style:font-face"),
        {qn("style:name"): face, qn("svg:font-family"): f"'{face}'"},
    )


def _odt_compact(styles: etree._Element) -> None:
    """The summary's smaller type, spacing and margins (see COMPACT_SCALE)."""
    for element in styles.iter(qn("style:text-properties"), qn("style:paragraph-properties")):
        for name in ("fo:font-size", "style:font-size-asian", "style:font-size-complex",
                     "fo:margin-top", "fo:margin-bottom"):  # fmt: skip
            value = element.get(qn(name))
            if value:
                element.set(qn(name), _scale_length(value, COMPACT_SCALE))
    for layout in styles.iter(qn("style:page-layout-properties")):
        layout.set(qn("fo:margin-left"), "1.8cm")
        layout.set(qn("fo:margin-right"), "1.8cm")
        layout.set(qn("fo:margin-top"), "0.9cm")
        layout.set(qn("fo:margin-bottom"), "0.8cm")


def _odt_line_spacing(styles: etree._Element, factor: float) -> None:
    for element in styles.iter(qn("style:paragraph-properties")):
        value = element.get(qn("fo:line-height"), "")
        if value.endswith("%"):
            element.set(qn("fo:line-height"), f"{round(float(value[:-1]) * factor)}%")


_LENGTH = re.compile(r"^(-?[0-9.]+)(pt|cm|mm|in)$")


def _scale_length(value: str, factor: float) -> str:
    match = _LENGTH.match(value)
    if not match:
        return value  # a percentage or a keyword: relative already
    number = float(match.group(1)) * factor
    return f"{number:.3f}".rstrip("0").rstrip(".") + match.group(2)


def _odt_prepend_text(part: etree._Element, text: str) -> None:
    for paragraph in part.findall(qn("text:p")):
        if paragraph.get(qn("text:style-name")) == INTERNAL_MARKER_STYLE["odt"]:
            continue
        tail = paragraph.text or ""
        paragraph.text = text + tail
        return


def _odt_add_marker(part: etree._Element, marker: str) -> None:
    paragraph = etree.Element(qn("text:p"), {qn("text:style-name"): INTERNAL_MARKER_STYLE["odt"]})
    paragraph.text = marker
    part.insert(0, paragraph)


ODT_LOGO_HEIGHT_CM = 1.2


def _odt_add_logo(parts: dict[str, bytes], styles: etree._Element, logo: Logo, alt: str) -> None:
    """The logo, right-aligned in the first page's header, with its alt text as the frame's
    title and description (what screen readers announce)."""
    media = "Pictures/briefgen-logo.png"
    parts[media] = logo.png
    manifest = parse_xml(parts["META-INF/manifest.xml"])
    entry = etree.SubElement(manifest, qn("manifest:file-entry"))
    entry.set(qn("manifest:full-path"), media)
    entry.set(qn("manifest:media-type"), "image/png")
    parts["META-INF/manifest.xml"] = xml_bytes(manifest)
    first = next(
        (
            page
            for page in styles.iter(qn("style:master-page"))
            if page.get(qn("style:name")) == "First_20_Page"
        ),
        None,
    )
    if first is None:
        return
    header = first.find(qn("style:header"))
    if header is None:
        header = etree.SubElement(first, qn("style:header"))
    paragraph = next(
        (
            p
            for p in header.findall(qn("text:p"))
            if p.get(qn("text:style-name")) != INTERNAL_MARKER_STYLE["odt"]
        ),
        None,
    )
    if paragraph is None:
        paragraph = etree.SubElement(header, qn("text:p"))
    paragraph.set(qn("text:style-name"), "Header_20_Logo")
    width = ODT_LOGO_HEIGHT_CM * logo.width / max(1, logo.height)
    frame = etree.SubElement(
        paragraph,
        qn("draw:frame"),
        {
            qn("draw:name"): "Logo",
            qn("text:anchor-type"): "as-char",
            qn("svg:width"): f"{width:.3f}cm",
            qn("svg:height"): f"{ODT_LOGO_HEIGHT_CM}cm",
        },
    )
    etree.SubElement(
        frame,
        qn("draw:image"),
        {
            qn("xlink:href"): media,
            qn("xlink:type"): "simple",
            qn("xlink:show"): "embed",
            qn("xlink:actuate"): "onLoad",
        },
    )
    etree.SubElement(frame, qn("svg:title")).text = alt
    etree.SubElement(frame, qn("svg:desc")).text = alt


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


# What prepare_document changes inside the top-level blocks (pandoc.lazily): the notes above
# untranslated parts; DOCX table cells; the ODT references (the Div "refs").
PREPARE_CHANGES = {
    "docx": (pandoc.quoted("untranslated-note"), pandoc.element("Table")),
    "odt": (pandoc.quoted("untranslated-note"), pandoc.quoted("refs")),
}


def prepare_document(tree: Any, format_name: str) -> None:
    """A brief's pandoc JSON, ready for the DOCX or ODT writer.

    The end of the title block, under pandoc's title and subtitle: "Prepared for ..." in the
    reference document's Prepared For style, then the date and "Prepared by ..." in its Date
    style (which draws the rule that closes the title block). Pandoc would print the
    date before anything the body starts with, so the date moves out of the metadata into
    these paragraphs.
    ODT references get the Bibliography style too (pandoc's DOCX writer has its own).
    Changes `tree` in place."""
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
    if format_name == "odt":
        _style_references(tree["blocks"])
    else:
        _style_table_cells(pandoc.holding(tree["blocks"], "Table"))


def _style_table_cells(node: Any) -> None:
    """Table cells in the reference document's Table Text style. Pandoc sets them in Compact,
    the style of tight lists too, and LibreOffice ignores a table style's type size. Pandoc
    gives a custom style to paragraphs only, not to a cell's plain text: it becomes one."""
    if isinstance(node, list):
        for item in node:
            _style_table_cells(item)
    elif isinstance(node, dict):
        if node.get("t") == "Table":
            _, _, _, head, bodies, foot = node["c"]
            rows = [*head[1], *(row for body in bodies for row in (*body[2], *body[3])), *foot[1]]
            for row in rows:
                for cell in row[1]:
                    style = [["custom-style", TABLE_TEXT]]
                    blocks = [
                        {"t": "Para", "c": b["c"]} if b["t"] == "Plain" else b for b in cell[4]
                    ]
                    cell[4] = [{"t": "Div", "c": [["", [], style], blocks]}]
            return
        for value in node.values():
            _style_table_cells(value)


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


def _style_references(blocks: list[Any]) -> None:
    """Each entry of the references (a Div inside the Div #refs) in the Bibliography style:
    pandoc's ODT writer styles a Div's own paragraphs, not those of the Divs inside it."""
    for block in blocks:
        if pandoc.kind(block) == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                if entry.get("t") == "Div":
                    entry["c"][0][2] = [*entry["c"][0][2], ["custom-style", "Bibliography"]]


# --- after pandoc: what a reference document cannot say by itself ---------------------------


# Lists: pandoc writes its own list indents (1.27 cm a level, in neither reference document);
# the PDF indents a list by about the width of its bullet and a space (0.2 em, the bullet,
# 0.5 em: about 0.4 cm), which a column's narrow lines need.
LIST_INDENT_CM = 0.4


def finish(format_name: str, output: bytes, reference: bytes) -> bytes:
    """Pandoc's DOCX or ODT, completed where a reference document cannot reach: the header's
    fields show this brief's values, lists are indented as in the PDF, and (ODT) table cells
    take the reference document's cell styles, which pandoc does not copy."""
    parts = read_package(output)
    if format_name == "docx":
        _docx_fill_fields(parts)
        _docx_list_indents(parts)
        document = parse_xml(parts["word/document.xml"])
        _docx_contents(document)
        _docx_picture_names(document)
        _docx_columns(document)
        parts["word/document.xml"] = xml_bytes(document)
    else:
        _odt_fill_fields(parts)
        content = parse_xml(parts["content.xml"])
        _odt_cell_styles(content, reference)
        _odt_list_indents(content)
        _odt_list_paragraphs(content)
        _odt_contents(content)
        _odt_columns(content)
        parts["content.xml"] = xml_bytes(content)
    return write_package(parts)


# Columns, as the PDF sets them (pdf.in_columns): the title block (with the contents) spans
# the page; so does a section (a level-2 heading to the next) holding a table or a chart, which
# a column is too narrow for; every other section is set in the body's columns.
DOCX_TITLE_STYLES = frozenset(
    {"Title", "Subtitle", "Author", "Date", "Abstract", _style_id(PREPARED_FOR["docx"])}
)
ODT_TITLE_STYLES = frozenset(
    {"Title", "Subtitle", "Author", "Date", "Abstract", PREPARED_FOR["odt"]}
)


BlockTest = Callable[[etree._Element], bool]


def _runs(
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


def _docx_columns(document: etree._Element) -> None:
    """Section breaks around the runs set in columns. The reference document's last section
    (pandoc copies it into the brief) gives the page, headers, footers and the columns; each
    earlier run ends in a copy of it that says its own columns, with different first page
    headers for the first section only (the first page's header holds the logo)."""
    body = document.find(qn("w:body"))
    final = body.find(qn("w:sectPr")) if body is not None else None
    design = final.find(qn("w:cols")) if final is not None else None
    if body is None or final is None or design is None or int(design.get(qn("w:num"), "1")) < 2:
        return
    blocks = [b for b in body if b.tag != qn("w:sectPr")]

    def title(block: etree._Element) -> bool:
        if block.tag == qn("w:sdt"):  # the table of contents (_docx_contents put it there)
            return True
        return block.tag == qn("w:p") and _docx_style(block) in DOCX_TITLE_STYLES

    def section(block: etree._Element) -> bool:
        return block.tag == qn("w:p") and _docx_style(block) == "Heading2"

    def wide(block: etree._Element) -> bool:
        return block.tag == qn("w:tbl") or block.find(f".//{qn('w:drawing')}") is not None

    runs = _runs(blocks, title, section, wide)
    for index, (columns, run) in enumerate(runs):
        properties = copy.deepcopy(final)
        _docx_section_columns(properties, design, columns)
        if index > 0:
            for child in properties.findall(qn("w:titlePg")):
                properties.remove(child)
            kind = etree.Element(qn("w:type"), {qn("w:val"): "continuous"})
            _docx_before_page(properties).addprevious(kind)
        if index == len(runs) - 1:
            body.replace(final, properties)
            continue
        last = run[-1]
        if last.tag != qn("w:p") or last.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            # A section ends with a paragraph: after a table, an empty one, one point high.
            last = etree.Element(qn("w:p"))
            spacing = {"before": "0", "after": "0", "line": "20", "lineRule": "exact"}
            etree.SubElement(
                etree.SubElement(last, qn("w:pPr")),
                qn("w:spacing"),
                {qn(f"w:{name}"): value for name, value in spacing.items()},
            )
            run[-1].addnext(last)
        found = last.find(qn("w:pPr"))
        paragraph = found if found is not None else etree.Element(qn("w:pPr"))
        if found is None:
            last.insert(0, paragraph)
        # sectPr comes after everything of a paragraph's properties but rPr and pPrChange.
        anchor = paragraph.find(qn("w:rPr"))
        if anchor is not None:
            anchor.addprevious(properties)
        else:
            paragraph.append(properties)


def _docx_section_columns(
    properties: etree._Element, design: etree._Element, columns: bool
) -> None:
    cols = properties.find(qn("w:cols"))
    if cols is None:
        return
    if not columns:
        cols.attrib.clear()
        cols.set(qn("w:space"), design.get(qn("w:space"), "720"))


def _docx_before_page(properties: etree._Element) -> etree._Element:
    """The element a section's w:type goes before (the schema's order: after the header and
    footer references and notes' settings, before the page's size)."""
    size = properties.find(qn("w:pgSz"))
    return size if size is not None else properties[-1]


def _odt_columns(content: etree._Element) -> None:
    """The runs set in columns, each inside a section of the body's columns (the title block,
    and the sections holding a table or a chart, span the page)."""
    text = content.find(f"{qn('office:body')}/{qn('office:text')}")
    automatic = content.find(qn("office:automatic-styles"))
    if text is None or automatic is None:
        return
    leading = [b for b in text if b.tag in (qn("text:sequence-decls"), qn("office:forms"))]
    blocks = [b for b in text if b not in leading]

    def title(block: etree._Element) -> bool:
        if block.tag == qn("text:table-of-content"):
            return True
        return block.tag == qn("text:p") and _odt_style_of(block, automatic) in ODT_TITLE_STYLES

    def section(block: etree._Element) -> bool:
        return block.tag == qn("text:h") and block.get(qn("text:outline-level")) == "2"

    def wide(block: etree._Element) -> bool:
        return block.tag == qn("table:table") or block.find(f".//{qn('draw:frame')}") is not None

    runs = _runs(blocks, title, section, wide)
    if not any(columns for columns, _ in runs):
        return
    style = etree.SubElement(
        automatic,
        qn("style:style"),
        {qn("style:name"): "Body_Columns", qn("style:family"): "section"},
    )
    properties = etree.SubElement(style, qn("style:section-properties"))
    etree.SubElement(
        properties,
        qn("style:columns"),
        {qn("fo:column-count"): str(BODY_COLUMNS), qn("fo:column-gap"): f"{COLUMN_GAP_CM}cm"},
    )
    for number, (columns, run) in enumerate(runs, start=1):
        if not columns:
            continue
        run = [inner for block in run for inner in _odt_unwrap_sections(block)]
        holder = etree.Element(
            qn("text:section"),
            {qn("text:style-name"): "Body_Columns", qn("text:name"): f"Columns{number}"},
        )
        run[0].addprevious(holder)
        for block in run:
            holder.append(block)


def _odt_unwrap_sections(block: etree._Element) -> list[etree._Element]:
    """`block`, or what it holds if it is a section (pandoc writes a Div with an identifier as
    one: the references and each entry): LibreOffice sets a section inside a column section
    across the page, after the columns. The section's name, the target of links (a citation
    links to its entry), becomes a bookmark at its first paragraph."""
    if block.tag != qn("text:section"):
        return [block]
    name = block.get(qn("text:name"), "")
    first = next(block.iter(qn("text:p"), qn("text:h")), None)
    if name and first is not None:
        mark = etree.Element(qn("text:bookmark"), {qn("text:name"): name})
        mark.tail, first.text = first.text, None
        first.insert(0, mark)
    children = list(block)
    for child in children:
        block.addprevious(child)
    parent = block.getparent()
    if parent is not None:
        parent.remove(block)
    return [inner for child in children for inner in _odt_unwrap_sections(child)]


def _odt_style_of(paragraph: etree._Element, automatic: etree._Element) -> str:
    """A paragraph's style, or the style its automatic style is derived from."""
    name = paragraph.get(qn("text:style-name"), "")
    for style in automatic.findall(qn("style:style")):
        if style.get(qn("style:name")) == name:
            return style.get(qn("style:parent-style-name"), name)
    return name


def _docx_picture_names(document: etree._Element) -> None:
    """Pandoc names a picture by its source, here a data: URI (render.embed_images) that would
    store the image twice: the picture is named by its file name instead."""
    for picture in document.iter(qn("pic:cNvPr")):
        if picture.get("descr", "").startswith("data:"):
            media_type = picture.get("descr", "")[5:].split(";")[0]
            picture.set("descr", "figure." + media_type.rpartition("/")[2])


# The table of contents. Pandoc puts it right after its own title block, that is above the
# "Prepared for" and date lines, and leaves it empty until Word or LibreOffice updates it: it
# moves under the date here and lists the sections (linked, with their page numbers as fields
# that both programs compute), so every reader sees it and a page count includes it.
TOC_DEPTH = 2


def _docx_contents(document: etree._Element) -> None:
    body = document.find(qn("w:body"))
    toc = _docx_toc(body) if body is not None else None
    content = toc.find(qn("w:sdtContent")) if toc is not None else None
    if body is None or toc is None or content is None:
        return
    dates = [p for p in body.findall(qn("w:p")) if _docx_style(p) == "Date"]
    if dates:
        dates[0].addnext(toc)
    field = next((p for p in content if p.find(f".//{qn('w:instrText')}") is not None), None)
    entries = _docx_headings(body)
    if field is None or not entries:
        return
    instruction = field.find(f".//{qn('w:instrText')}")
    if instruction is None:
        return
    index = list(content).index(field)
    content.remove(field)
    paragraphs = [_docx_toc_entry(level, anchor, text) for level, anchor, text in entries]
    # The field's result is the entries: it begins in the first and ends after the last.
    opening = etree.Element(qn("w:r"))
    etree.SubElement(
        opening, qn("w:fldChar"), {qn("w:fldCharType"): "begin", qn("w:dirty"): "true"}
    )
    opening.append(copy.deepcopy(instruction))
    etree.SubElement(opening, qn("w:fldChar"), {qn("w:fldCharType"): "separate"})
    paragraphs[0].insert(1, opening)
    closing = _docx_toc_entry(TOC_DEPTH, "", "")
    etree.SubElement(
        etree.SubElement(closing, qn("w:r")), qn("w:fldChar"), {qn("w:fldCharType"): "end"}
    )
    for offset, paragraph in enumerate([*paragraphs, closing]):
        content.insert(index + offset, paragraph)


def _docx_toc(body: etree._Element) -> etree._Element | None:
    """Pandoc's table of contents: a content control of the "Table of Contents" gallery."""
    gallery = f".//{qn('w:docPartGallery')}[@{qn('w:val')}='Table of Contents']"
    return next((sdt for sdt in body.findall(qn("w:sdt")) if sdt.find(gallery) is not None), None)


def _docx_toc_entry(level: int, anchor: str, text: str) -> etree._Element:
    """One line of the contents: the heading's text, linked, and its page as a PAGEREF field
    (empty for the paragraph that closes the field)."""
    paragraph = etree.Element(qn("w:p"))
    properties = etree.SubElement(paragraph, qn("w:pPr"))
    etree.SubElement(properties, qn("w:pStyle"), {qn("w:val"): f"TOC{level}"})
    if not anchor:
        return paragraph
    link = etree.SubElement(paragraph, qn("w:hyperlink"), {qn("w:anchor"): anchor})
    etree.SubElement(
        etree.SubElement(link, qn("w:r")), qn("w:t"), {_XML_SPACE: "preserve"}
    ).text = text
    etree.SubElement(etree.SubElement(link, qn("w:r")), qn("w:tab"))
    page = etree.SubElement(link, qn("w:fldSimple"), {qn("w:instr"): f" PAGEREF {anchor} \\h "})
    etree.SubElement(etree.SubElement(page, qn("w:r")), qn("w:t")).text = ""
    return paragraph


_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _docx_headings(body: etree._Element) -> list[tuple[int, str, str]]:
    """(level, bookmark, text) of each heading down to TOC_DEPTH, in order; each gets a
    bookmark of its own around its text, as Word's own contents do (LibreOffice loses a
    section bookmark of pandoc's that follows a table)."""
    found: list[tuple[int, str, str]] = []
    for paragraph in body.iter(qn("w:p")):
        style = _docx_style(paragraph)
        if not style.startswith("Heading") or not style[7:].isdigit():
            continue
        level = int(style[7:])
        if level > TOC_DEPTH:
            continue
        number = len(found) + 1
        name = f"_Toc{number:06d}"
        identifier = str(TOC_BOOKMARK_IDS + number)
        start = etree.Element(qn("w:bookmarkStart"), {qn("w:id"): identifier, qn("w:name"): name})
        properties = paragraph.find(qn("w:pPr"))
        if properties is not None:
            properties.addnext(start)
        else:
            paragraph.insert(0, start)
        paragraph.append(etree.Element(qn("w:bookmarkEnd"), {qn("w:id"): identifier}))
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        found.append((level, name, text))
    return found


TOC_BOOKMARK_IDS = 900000  # above any bookmark id pandoc gives


def _odt_contents(content: etree._Element) -> None:
    text = content.find(f"{qn('office:body')}/{qn('office:text')}")
    toc = text.find(qn("text:table-of-content")) if text is not None else None
    if text is None or toc is None:
        return
    dates = [p for p in text.findall(qn("text:p")) if p.get(qn("text:style-name")) == "Date"]
    if dates:
        dates[0].addnext(toc)
    source = toc.find(qn("text:table-of-content-source"))
    template = source.find(qn("text:index-title-template")) if source is not None else None
    body = etree.SubElement(toc, qn("text:index-body"))
    title = etree.SubElement(body, qn("text:index-title"), {qn("text:name"): "Contents"})
    heading = etree.SubElement(title, qn("text:p"), {qn("text:style-name"): "Contents_20_Heading"})
    heading.text = template.text if template is not None else ""
    for element in text.iter(qn("text:h")):
        level = int(element.get(qn("text:outline-level"), "1"))
        mark = element.find(qn("text:bookmark-start"))
        if level > TOC_DEPTH or mark is None:
            continue
        name = mark.get(qn("text:name"), "")
        entry = etree.SubElement(
            body, qn("text:p"), {qn("text:style-name"): f"Contents_20_{level}"}
        )
        link = etree.SubElement(
            entry, qn("text:a"), {qn("xlink:type"): "simple", qn("xlink:href"): f"#{name}"}
        )
        link.text = "".join(element.itertext())
        etree.SubElement(link, qn("text:tab"))
        page = etree.SubElement(
            link,
            qn("text:bookmark-ref"),
            {qn("text:reference-format"): "page", qn("text:ref-name"): name},
        )
        page.text = ""


def _docx_list_indents(parts: dict[str, bytes]) -> None:
    if "word/numbering.xml" not in parts:
        return
    numbering = parse_xml(parts["word/numbering.xml"])
    step = round(LIST_INDENT_CM / 2.54 * 1440)
    for level in numbering.iter(qn("w:lvl")):
        depth = int(level.get(qn("w:ilvl"), "0")) + 1
        for indent in level.iter(qn("w:ind")):
            indent.set(qn("w:left"), str(step * depth))
            indent.set(qn("w:hanging"), str(step))
    parts["word/numbering.xml"] = xml_bytes(numbering)


def _odt_list_paragraphs(content: etree._Element) -> None:
    """List items in the reference document's Compact style, as pandoc's DOCX writer sets
    tight lists (its ODT writer gives them the body text's spacing)."""
    automatic = content.find(qn("office:automatic-styles"))
    for style in automatic if automatic is not None else ():
        if (
            style.get(qn("style:family")) == "paragraph"
            and style.get(qn("style:list-style-name"))
            and style.get(qn("style:parent-style-name")) == "Text_20_body"
        ):
            style.set(qn("style:parent-style-name"), "Compact")


def _odt_list_indents(content: etree._Element) -> None:
    for level in content.iter(
        qn("text:list-level-style-bullet"), qn("text:list-level-style-number")
    ):
        alignment = level.find(f".//{qn('style:list-level-label-alignment')}")
        if alignment is None:
            continue
        depth = int(level.get(qn("text:level"), "1"))
        position = f"{LIST_INDENT_CM * depth:.2f}cm"
        alignment.set(qn("text:list-tab-stop-position"), position)
        alignment.set(qn("fo:margin-left"), position)
        alignment.set(qn("fo:text-indent"), f"-{LIST_INDENT_CM:.2f}cm")


def _docx_fill_fields(parts: dict[str, bytes]) -> None:
    """DOCPROPERTY fields in headers and footers show the document's property values.

    Word shows a field's last result until it is updated, so the result is written here from
    docProps/custom.xml (pandoc writes every metadata field there: running-title, publisher).
    """
    if "docProps/custom.xml" not in parts:
        return
    properties = {
        p.get("name"): "".join(p.itertext())
        for p in parse_xml(parts["docProps/custom.xml"]).findall(qn("cp:property"))
    }
    for name in sorted(parts):
        if not re.fullmatch(r"word/(header|footer)\d*\.xml", name):
            continue
        root = parse_xml(parts[name])
        touched = False
        for field in root.iter(qn("w:fldSimple")):
            words = field.get(qn("w:instr"), "").split()
            if len(words) >= 2 and words[0].upper() == "DOCPROPERTY":
                value = properties.get(words[1].strip('"'), "")
                texts = field.findall(f".//{qn('w:t')}")
                if texts:
                    texts[0].text = value
                    for extra in texts[1:]:
                        extra.text = ""
                    touched = True
        if touched:
            parts[name] = xml_bytes(root)


def _odt_fill_fields(parts: dict[str, bytes]) -> None:
    """User-defined fields in headers and footers show the document's meta values now, not
    the reference document's placeholders (pandoc writes metadata as meta:user-defined)."""
    meta = parse_xml(parts["meta.xml"])
    values = {
        m.get(qn("meta:name")): "".join(m.itertext()) for m in meta.iter(qn("meta:user-defined"))
    }
    styles = parse_xml(parts["styles.xml"])
    touched = False
    for field in styles.iter(qn("text:user-defined")):
        field.text = values.get(field.get(qn("text:name")), "")
        touched = True
    if touched:
        parts["styles.xml"] = xml_bytes(styles)


ODT_CELL_STYLES = ("TableHeaderRowCell", "TableRowCell")


def _odt_cell_styles(content: etree._Element, reference: bytes) -> None:
    """Pandoc gives every table cell an automatic style with no border; the reference
    document's common cell styles of the same names (borders, padding, header fill) replace
    those properties."""
    designed = _odt_designed_cells(reference)
    automatic = content.find(qn("office:automatic-styles"))
    if not designed or automatic is None:
        return
    for style in automatic.findall(qn("style:style")):
        name = style.get(qn("style:name"))
        if name in designed:
            for child in list(style):
                style.remove(child)
            for child in designed[name]:
                style.append(copy.deepcopy(child))


@functools.lru_cache(maxsize=8)
def _odt_designed_cells(reference: bytes) -> dict[str, tuple[etree._Element, ...]]:
    styles = parse_xml(read_package(reference)["styles.xml"])
    found: dict[str, tuple[etree._Element, ...]] = {}
    for style in styles.iter(qn("style:style")):
        name = style.get(qn("style:name"))
        if style.get(qn("style:family")) == "table-cell" and name in ODT_CELL_STYLES:
            found[str(name)] = tuple(style)
    return found
