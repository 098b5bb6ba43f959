"""Word (DOCX): the reference document with the project's branding, what the brief asks of
pandoc's writer, and what the written document still needs (office.py has what ODT shares)."""

from __future__ import annotations

import copy
import re
from typing import Any

from lxml import etree

from briefgen.formats import Writer, Writing, embed_images, figure_images
from briefgen.formats.office import (
    CJK_LINE_FACTOR,
    COMPACT_SCALE,
    DESIGN_ACCENT,
    INTERNAL_MARKER_STYLE,
    LIST_INDENT_CM,
    PREPARED_FOR,
    TABLE_TEXT,
    TOC_DEPTH,
    Look,
    column_runs,
    customised,
    prepare_document,
    recolour,
    use_reference,
)
from briefgen.formats.package import (
    NS,
    PACKAGE_RELS,
    WP,
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
    {"Title", "Subtitle", "TOCHeading", *(f"Heading{level}" for level in range(1, 10))}
)
# Compact (the one-page summary): the page's margins and its header's and footer's distance
# from the edge, as the PDF's summary.
COMPACT_MARGINS_TWIPS = {"left": 1020, "right": 1020, "top": 1077, "bottom": 964}
COMPACT_EDGES_TWIPS = {"header": 510, "footer": 454}


def _reference(template: bytes, look: Look) -> bytes:
    if not customised(look):
        return template
    parts = read_package(template)
    styles = parse_xml(parts["word/styles.xml"])
    recolour(styles, DESIGN_ACCENT, look.branding.accent)
    _fonts(styles, look.branding)
    if look.compact:
        _scale(styles, COMPACT_SCALE)
    if look.cjk:
        _line_spacing(styles, CJK_LINE_FACTOR)
    parts["word/styles.xml"] = xml_bytes(styles)
    document = parse_xml(parts["word/document.xml"])
    if look.compact:
        _compact_page(document)
    parts["word/document.xml"] = xml_bytes(document)
    headers = _section_parts(parts, document, "header")
    footers = _section_parts(parts, document, "footer")
    for name in footers.values():
        footer = parse_xml(parts[name])
        recolour(footer, DESIGN_ACCENT, look.branding.accent)
        if look.footer_text:
            _prepend_text(footer, look.footer_text)
        _set_marker(footer, look.internal_marker)
        parts[name] = xml_bytes(footer)
    for kind, name in headers.items():
        header = parse_xml(parts[name])
        recolour(header, DESIGN_ACCENT, look.branding.accent)
        _set_marker(header, look.internal_marker)
        if kind == "first" and look.logo:
            _add_logo(parts, name, header, look.logo, look.logo_alt)
        parts[name] = xml_bytes(header)
    return write_package(parts)


def _fonts(styles: etree._Element, branding: Branding) -> None:
    """The brand's body and heading faces where the design names its own (Latin text only:
    East Asian text keeps its CJK face)."""
    if not branding.body_font and not branding.heading_font:
        return
    for fonts in styles.iter(qn("w:rFonts")):
        style = fonts.getparent()
        while style is not None and style.tag != qn("w:style"):
            style = style.getparent()
        style_id = style.get(qn("w:styleId")) if style is not None else ""
        face = branding.heading_font if style_id in HEADING_STYLES else branding.body_font
        if not face:
            continue
        for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
            if fonts.get(qn(attribute)) is not None:
                fonts.set(qn(attribute), face)


def _scale(styles: etree._Element, factor: float) -> None:
    """Scale every type size and paragraph spacing of the styles (the compact variant)."""
    for tag in ("w:sz", "w:szCs"):
        for size in styles.iter(qn(tag)):
            size.set(qn("w:val"), str(max(2, round(int(size.get(qn("w:val"), "0")) * factor))))
    for spacing in styles.iter(qn("w:spacing")):
        for attribute in ("w:before", "w:after"):
            value = spacing.get(qn(attribute))
            if value is not None:
                spacing.set(qn(attribute), str(round(int(value) * factor)))


def _line_spacing(styles: etree._Element, factor: float) -> None:
    """Scale every proportional line spacing ("multiple"; exact and at-least stay)."""
    for spacing in styles.iter(qn("w:spacing")):
        line = spacing.get(qn("w:line"))
        if line is not None and spacing.get(qn("w:lineRule"), "auto") == "auto":
            spacing.set(qn("w:line"), str(round(int(line) * factor)))


def _compact_page(document: etree._Element) -> None:
    for margins in document.iter(qn("w:pgMar")):
        for side, twips in (COMPACT_MARGINS_TWIPS | COMPACT_EDGES_TWIPS).items():
            margins.set(qn(f"w:{side}"), str(twips))


def _section_parts(parts: dict[str, bytes], document: etree._Element, kind: str) -> dict[str, str]:
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


def _prepend_text(part: etree._Element, text: str) -> None:
    """Put `text` at the start of the first paragraph that is not the internal marker."""
    for paragraph in part.findall(qn("w:p")):
        if _style(paragraph) == _style_id(INTERNAL_MARKER_STYLE["docx"]):
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


def _style(paragraph: etree._Element) -> str:
    style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style.get(qn("w:val"), "") if style is not None else ""


def _style_id(name: str) -> str:
    return name.replace(" ", "")


def _set_marker(part: etree._Element, marker: str) -> None:
    """The internal marker's paragraphs say the marker in the brief's language."""
    if not marker:
        return
    for paragraph in part.findall(qn("w:p")):
        if _style(paragraph) != _style_id(INTERNAL_MARKER_STYLE["docx"]):
            continue
        texts = paragraph.findall(f".//{qn('w:t')}")
        if texts:
            texts[0].text = marker
            for extra in texts[1:]:
                extra.text = ""


LOGO_HEIGHT_EMU = 432000  # 1.2 cm: about the height of the title's first line


def _add_logo(
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
    _content_type(parts, "png", "image/png")
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
    paragraph.append(_picture(rel_id, width, height, alt))


def _picture(rel_id: str, width: int, height: int, alt: str) -> etree._Element:
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


def _content_type(parts: dict[str, bytes], extension: str, media_type: str) -> None:
    types_ns = "http://schemas.openxmlformats.org/package/2006/content-types"
    types = parse_xml(parts["[Content_Types].xml"])
    if not any(d.get("Extension") == extension for d in types.findall(f"{{{types_ns}}}Default")):
        etree.SubElement(
            types, f"{{{types_ns}}}Default", Extension=extension, ContentType=media_type
        )
        parts["[Content_Types].xml"] = xml_bytes(types)


# --- before pandoc ----------------------------------------------------------------------------

# What _prepare changes inside the top-level blocks (pandoc.lazily): the notes above
# untranslated parts; table cells.
PREPARE_CHANGES = (pandoc.quoted("untranslated-note"), pandoc.element("Table"))


def _reads(job: RenderJob) -> tuple[bytes, ...]:
    return PREPARE_CHANGES + figure_images(job)


def _prepare(writing: Writing) -> None:
    embed_images(writing)
    # An internal brief's header and footer carry the marker.
    template = "reference-internal.docx" if writing.job.internal_marker else "reference.docx"
    use_reference(writing, template, _reference)
    prepare_document(writing.tree, "docx")
    _style_table_cells(pandoc.holding(writing.tree["blocks"], "Table"))


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


# --- after pandoc -----------------------------------------------------------------------------


def _finish(writing: Writing, output: bytes) -> bytes:
    """Pandoc's DOCX, completed where a reference document cannot reach: the header's fields
    show this brief's values, lists are indented as in the PDF, the contents are filled in
    and the body is set in columns."""
    parts = read_package(output)
    _fill_fields(parts)
    _list_indents(parts)
    document = parse_xml(parts["word/document.xml"])
    _contents(document)
    _picture_names(document)
    _columns(document)
    parts["word/document.xml"] = xml_bytes(document)
    return write_package(parts)


# The title block's paragraph styles: it spans the page (office.column_runs).
TITLE_STYLES = frozenset(
    {"Title", "Subtitle", "Author", "Date", "Abstract", _style_id(PREPARED_FOR["docx"])}
)


def _columns(document: etree._Element) -> None:
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
        if block.tag == qn("w:sdt"):  # the table of contents (_contents put it there)
            return True
        return block.tag == qn("w:p") and _style(block) in TITLE_STYLES

    def section(block: etree._Element) -> bool:
        return block.tag == qn("w:p") and _style(block) == "Heading2"

    def wide(block: etree._Element) -> bool:
        return block.tag == qn("w:tbl") or block.find(f".//{qn('w:drawing')}") is not None

    runs = column_runs(blocks, title, section, wide)
    for index, (columns, run) in enumerate(runs):
        properties = copy.deepcopy(final)
        _section_columns(properties, design, columns)
        if index > 0:
            for child in properties.findall(qn("w:titlePg")):
                properties.remove(child)
            kind = etree.Element(qn("w:type"), {qn("w:val"): "continuous"})
            _before_page(properties).addprevious(kind)
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


def _section_columns(properties: etree._Element, design: etree._Element, columns: bool) -> None:
    cols = properties.find(qn("w:cols"))
    if cols is None:
        return
    if not columns:
        cols.attrib.clear()
        cols.set(qn("w:space"), design.get(qn("w:space"), "720"))


def _before_page(properties: etree._Element) -> etree._Element:
    """The element a section's w:type goes before (the schema's order: after the header and
    footer references and notes' settings, before the page's size)."""
    size = properties.find(qn("w:pgSz"))
    return size if size is not None else properties[-1]


def _picture_names(document: etree._Element) -> None:
    """Pandoc names a picture by its source, here a data: URI (formats.embed_images) that would
    store the image twice: the picture is named by its file name instead."""
    for picture in document.iter(qn("pic:cNvPr")):
        if picture.get("descr", "").startswith("data:"):
            media_type = picture.get("descr", "")[5:].split(";")[0]
            picture.set("descr", "figure." + media_type.rpartition("/")[2])


def _contents(document: etree._Element) -> None:
    body = document.find(qn("w:body"))
    toc = _toc(body) if body is not None else None
    content = toc.find(qn("w:sdtContent")) if toc is not None else None
    if body is None or toc is None or content is None:
        return
    dates = [p for p in body.findall(qn("w:p")) if _style(p) == "Date"]
    if dates:
        dates[0].addnext(toc)
    field = next((p for p in content if p.find(f".//{qn('w:instrText')}") is not None), None)
    entries = _headings(body)
    if field is None or not entries:
        return
    instruction = field.find(f".//{qn('w:instrText')}")
    if instruction is None:
        return
    index = list(content).index(field)
    content.remove(field)
    paragraphs = [_toc_entry(level, anchor, text) for level, anchor, text in entries]
    # The field's result is the entries: it begins in the first and ends after the last.
    opening = etree.Element(qn("w:r"))
    etree.SubElement(
        opening, qn("w:fldChar"), {qn("w:fldCharType"): "begin", qn("w:dirty"): "true"}
    )
    opening.append(copy.deepcopy(instruction))
    etree.SubElement(opening, qn("w:fldChar"), {qn("w:fldCharType"): "separate"})
    paragraphs[0].insert(1, opening)
    closing = _toc_entry(TOC_DEPTH, "", "")
    etree.SubElement(
        etree.SubElement(closing, qn("w:r")), qn("w:fldChar"), {qn("w:fldCharType"): "end"}
    )
    for offset, paragraph in enumerate([*paragraphs, closing]):
        content.insert(index + offset, paragraph)


def _toc(body: etree._Element) -> etree._Element | None:
    """Pandoc's table of contents: a content control of the "Table of Contents" gallery."""
    gallery = f".//{qn('w:docPartGallery')}[@{qn('w:val')}='Table of Contents']"
    return next((sdt for sdt in body.findall(qn("w:sdt")) if sdt.find(gallery) is not None), None)


def _toc_entry(level: int, anchor: str, text: str) -> etree._Element:
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


def _headings(body: etree._Element) -> list[tuple[int, str, str]]:
    """(level, bookmark, text) of each heading down to TOC_DEPTH, in order; each gets a
    bookmark of its own around its text, as Word's own contents do (LibreOffice loses a
    section bookmark of pandoc's that follows a table)."""
    found: list[tuple[int, str, str]] = []
    for paragraph in body.iter(qn("w:p")):
        style = _style(paragraph)
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


def _list_indents(parts: dict[str, bytes]) -> None:
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


def _fill_fields(parts: dict[str, bytes]) -> None:
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


WRITER = Writer("docx", "docx", reads=_reads, prepare=_prepare, finish=_finish)
