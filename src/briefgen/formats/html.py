"""The web page: one HTML file with its images, logo and stylesheet inside it.

Also what the EPUB shares with it (an EPUB is web pages in a package): the logo in the
metadata, the branding as the pages' style variables, the templates' stylesheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from briefgen.formats import Writer, Writing, data_uri, embed_images, figure_images
from briefgen.model import RenderJob, meta_text
from briefgen.render.jobs import style_variables
from briefgen.render.sanitize import clean_page


def with_logo(job: RenderJob, tree: Any) -> None:
    """The logo as an image in the metadata (`logo-image`) for the HTML and EPUB templates:
    pandoc embeds it in the page and packs it into the EPUB like any figure."""
    if not job.logo_file:
        return
    alt = meta_text(tree["meta"], "logo-alt")
    target = data_uri(job.logo_file, job.logo)
    image = [["", ["logo"], []], [{"t": "Str", "c": alt}], [target, ""]]
    tree["meta"]["logo-image"] = {"t": "MetaInlines", "c": [{"t": "Image", "c": image}]}


def stylesheet(job: RenderJob, format_name: str) -> bytes:
    """The templates' stylesheet of a format (templates/<format>/brief.css)."""
    return (Path(job.templates) / format_name / "brief.css").read_bytes()


def _prepare(writing: Writing) -> None:
    embed_images(writing)
    with_logo(writing.job, writing.tree)
    writing.args += style_variables(writing.job)
    # The page's style inline: the sandboxed pandoc reads no stylesheet file.
    writing.args += ["-V", f"brief-css={stylesheet(writing.job, 'html').decode('utf-8')}"]


def _finish(writing: Writing, output: bytes) -> bytes:
    return clean_page(output)


WRITER = Writer(
    "html",
    "html5",
    ("--template={templates}/html/brief.html", "--embed-resources", "--section-divs"),
    reads=figure_images,
    prepare=_prepare,
    finish=_finish,
)
