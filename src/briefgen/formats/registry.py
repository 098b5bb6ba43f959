"""Every format briefgen writes, by name: adding a format is a module and a line here (and its
extension and label in model.FORMATS)."""

from __future__ import annotations

from briefgen.formats import Writer, docx, epub, html, md, odt, pdf

WRITERS: dict[str, Writer] = {
    w.name: w for w in (pdf.WRITER, docx.WRITER, odt.WRITER, epub.WRITER, html.WRITER, md.WRITER)
}
