"""The EPUB: pandoc's EPUB 3 with the brief's accessibility metadata, its ISO date and the
templates' stylesheet in the package."""

from __future__ import annotations

from briefgen.formats import Writer, Writing, embed_images, figure_images
from briefgen.formats.html import stylesheet, with_logo
from briefgen.formats.package import read_package, write_package
from briefgen.render.jobs import epub_metadata, style_variables

EPUB_STYLESHEET = "EPUB/styles/stylesheet1.css"


def _prepare(writing: Writing) -> None:
    job, tree = writing.job, writing.tree
    embed_images(writing)
    with_logo(job, tree)
    tree["meta"].update(epub_metadata(job.metadata.visual, job.metadata.epub_summary))
    # The printed date is in the reader's language ("2021年1月15日"), which pandoc cannot
    # parse into the package's dc:date; give it the ISO date explicitly.
    iso = job.metadata.iso_date
    if iso:
        (writing.folder / ".epub-metadata.xml").write_text(f"<dc:date>{iso}</dc:date>\n", "utf-8")
        writing.args.append(f"--epub-metadata={writing.folder / '.epub-metadata.xml'}")
    writing.args += style_variables(job)


def with_epub_stylesheet(epub: bytes, css: bytes) -> bytes:
    """The EPUB with the brief's stylesheet in place of pandoc's default one: the sandboxed
    pandoc reads no --css file, so briefgen puts it into the package itself."""
    parts = read_package(epub)
    parts[EPUB_STYLESHEET] = css
    return write_package(parts)


def _finish(writing: Writing, output: bytes) -> bytes:
    return with_epub_stylesheet(output, stylesheet(writing.job, "epub"))


WRITER = Writer(
    "epub",
    "epub3",
    ("--template={templates}/epub/brief.xhtml", "--split-level=2"),
    reads=figure_images,
    prepare=_prepare,
    finish=_finish,
)
