"""OpenDocument (ODT): the reference document with the project's branding, what the brief asks
of pandoc's writer, and what the written document still needs (office.py has what Word
shares)."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from lxml import etree

from briefgen.formats import Writer, Writing, embed_images, figure_images
from briefgen.formats.office import (
    BODY_COLUMNS,
    CJK_LINE_FACTOR,
    COLUMN_GAP_CM,
    COMPACT_SCALE,
    DESIGN_ACCENT,
    INTERNAL_MARKER_STYLE,
    LIST_INDENT_CM,
    PREPARED_FOR,
    TOC_DEPTH,
    Look,
    column_runs,
    customised,
    prepare_document,
    recolour,
    use_reference,
)
from briefgen.formats.package import (
    Logo,
    parse_xml,
    qn,
    read_package,
    write_package,
    xml_bytes,
)
from briefgen.model import Branding, RenderJob
from briefgen.tools import pandoc

# --- the reference document -------------------------------------------------------------------

# Styles whose face is the heading font; every other style with a face of its own is body text.
HEADING_STYLES = frozenset(
    {"Heading", "Title", "Subtitle", *(f"Heading_20_{level}" for level in range(1, 11))}
)


def _reference(template: bytes, look: Look) -> bytes:
    if not customised(look):
        return template
    parts = read_package(template)
    styles = parse_xml(parts["styles.xml"])
    recolour(styles, DESIGN_ACCENT, look.branding.accent)
    _fonts(styles, look.branding)
    if look.compact:
        _compact(styles)
    if look.cjk:
        _line_spacing(styles, CJK_LINE_FACTOR)
    for footer in styles.iter(qn("style:footer")):
        if look.footer_text:
            _prepend_text(footer, look.footer_text)
    if look.internal_marker:
        for kind in ("style:header", "style:footer"):
            for part in styles.iter(qn(kind)):
                _add_marker(part, look.internal_marker)
    if look.logo:
        _add_logo(parts, styles, look.logo, look.logo_alt)
    parts["styles.xml"] = xml_bytes(styles)
    return write_package(parts)


def _fonts(styles: etree._Element, branding: Branding) -> None:
    if not branding.body_font and not branding.heading_font:
        return
    for face in {branding.body_font, branding.heading_font} - {""}:
        _declare_font(styles, face)
    for properties in styles.iter(qn("style:text-properties")):
        if properties.get(qn("style:font-name")) is None:
            continue
        style = properties.getparent()
        name = style.get(qn("style:name"), "") if style is not None else ""
        face = branding.heading_font if name in HEADING_STYLES else branding.body_font
        if face:
            properties.set(qn("style:font-name"), face)


def _declare_font(styles: etree._Element, face: str) -> None:
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


def _compact(styles: etree._Element) -> None:
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


def _line_spacing(styles: etree._Element, factor: float) -> None:
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


def _prepend_text(part: etree._Element, text: str) -> None:
    for paragraph in part.findall(qn("text:p")):
        if paragraph.get(qn("text:style-name")) == INTERNAL_MARKER_STYLE["odt"]:
            continue
        tail = paragraph.text or ""
        paragraph.text = text + tail
        return


def _add_marker(part: etree._Element, marker: str) -> None:
    paragraph = etree.Element(qn("text:p"), {qn("text:style-name"): INTERNAL_MARKER_STYLE["odt"]})
    paragraph.text = marker
    part.insert(0, paragraph)


LOGO_HEIGHT_CM = 1.2


def _add_logo(parts: dict[str, bytes], styles: etree._Element, logo: Logo, alt: str) -> None:
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
    width = LOGO_HEIGHT_CM * logo.width / max(1, logo.height)
    frame = etree.SubElement(
        paragraph,
        qn("draw:frame"),
        {
            qn("draw:name"): "Logo",
            qn("text:anchor-type"): "as-char",
            qn("svg:width"): f"{width:.3f}cm",
            qn("svg:height"): f"{LOGO_HEIGHT_CM}cm",
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


# --- before pandoc ----------------------------------------------------------------------------

# What _prepare changes inside the top-level blocks (pandoc.lazily): the notes above
# untranslated parts; the references (the Div "refs").
PREPARE_CHANGES = (pandoc.quoted("untranslated-note"), pandoc.quoted("refs"))


def _reads(job: RenderJob) -> tuple[bytes, ...]:
    return PREPARE_CHANGES + figure_images(job)


def _prepare(writing: Writing) -> None:
    """office.prepare_document; the references get the Bibliography style too (pandoc's DOCX
    writer has its own)."""
    embed_images(writing)
    use_reference(writing, "reference.odt", _reference)
    prepare_document(writing.tree, "odt")
    _style_references(writing.tree["blocks"])


def _style_references(blocks: list[Any]) -> None:
    """Each entry of the references (a Div inside the Div #refs) in the Bibliography style:
    pandoc's ODT writer styles a Div's own paragraphs, not those of the Divs inside it."""
    for block in blocks:
        if pandoc.kind(block) == "Div" and block["c"][0][0] == "refs":
            for entry in block["c"][1]:
                if entry.get("t") == "Div":
                    entry["c"][0][2] = [*entry["c"][0][2], ["custom-style", "Bibliography"]]


# --- after pandoc -----------------------------------------------------------------------------


def _finish(writing: Writing, output: bytes) -> bytes:
    """Pandoc's ODT, completed where a reference document cannot reach: the header's fields
    show this brief's values, table cells take the reference document's cell styles (which
    pandoc does not copy), lists are indented as in the PDF, the contents are filled in and
    the body is set in columns."""
    parts = read_package(output)
    _fill_fields(parts)
    content = parse_xml(parts["content.xml"])
    _cell_styles(content, writing.reference)
    _list_indents(content)
    _list_paragraphs(content)
    _contents(content)
    _columns(content)
    parts["content.xml"] = xml_bytes(content)
    return write_package(parts)


# The title block's paragraph styles: it spans the page (office.column_runs).
TITLE_STYLES = frozenset({"Title", "Subtitle", "Author", "Date", "Abstract", PREPARED_FOR["odt"]})


def _columns(content: etree._Element) -> None:
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
        return block.tag == qn("text:p") and _style_of(block, automatic) in TITLE_STYLES

    def section(block: etree._Element) -> bool:
        return block.tag == qn("text:h") and block.get(qn("text:outline-level")) == "2"

    def wide(block: etree._Element) -> bool:
        return block.tag == qn("table:table") or block.find(f".//{qn('draw:frame')}") is not None

    runs = column_runs(blocks, title, section, wide)
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
        run = [inner for block in run for inner in _unwrap_sections(block)]
        holder = etree.Element(
            qn("text:section"),
            {qn("text:style-name"): "Body_Columns", qn("text:name"): f"Columns{number}"},
        )
        run[0].addprevious(holder)
        for block in run:
            holder.append(block)


def _unwrap_sections(block: etree._Element) -> list[etree._Element]:
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
    return [inner for child in children for inner in _unwrap_sections(child)]


def _style_of(paragraph: etree._Element, automatic: etree._Element) -> str:
    """A paragraph's style, or the style its automatic style is derived from."""
    name = paragraph.get(qn("text:style-name"), "")
    for style in automatic.findall(qn("style:style")):
        if style.get(qn("style:name")) == name:
            return style.get(qn("style:parent-style-name"), name)
    return name


def _contents(content: etree._Element) -> None:
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


def _list_paragraphs(content: etree._Element) -> None:
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


def _list_indents(content: etree._Element) -> None:
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


def _fill_fields(parts: dict[str, bytes]) -> None:
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


CELL_STYLES = ("TableHeaderRowCell", "TableRowCell")


def _cell_styles(content: etree._Element, reference: bytes) -> None:
    """Pandoc gives every table cell an automatic style with no border; the reference
    document's common cell styles of the same names (borders, padding, header fill) replace
    those properties."""
    designed = _designed_cells(reference)
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
def _designed_cells(reference: bytes) -> dict[str, tuple[etree._Element, ...]]:
    styles = parse_xml(read_package(reference)["styles.xml"])
    found: dict[str, tuple[etree._Element, ...]] = {}
    for style in styles.iter(qn("style:style")):
        name = style.get(qn("style:name"))
        if style.get(qn("style:family")) == "table-cell" and name in CELL_STYLES:
            found[str(name)] = tuple(style)
    return found


WRITER = Writer("odt", "odt", reads=_reads, prepare=_prepare, finish=_finish)
