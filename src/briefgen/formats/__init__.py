"""Output formats: what each does around pandoc, one module a format, listed in registry.py.

A format is a `Writer`: pandoc's writer and its options, and hooks that the renderer
(render/convert.py) calls in this order on a `Writing`, the brief being written in that format:

    reads(job)         what `prepare` changes or reads inside the body's top-level blocks
                       (pandoc.lazily parses only the blocks holding one of these)
    prepare(writing)   changes the AST, adds pandoc arguments (after the writer's options) and
                       any file written beside the brief (`extra`)
    to_pandoc(json)    the AST's JSON as pandoc is given it
    finish(writing, output)  pandoc's output as the file readers get

Pandoc's --toc (with --toc-depth=2) follows the arguments `prepare` adds when the recipe asks
for contents and the writer's `toc` says pandoc writes them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.model import Artifact, RenderJob
from briefgen.tools import pandoc


@dataclass
class Writing:
    """One brief being written in one format: what the hooks change and read."""

    job: RenderJob
    tree: dict[str, Any]  # pandoc's AST, changed in place
    media: dict[str, bytes]  # the brief's image files by name (its figures, the logo)
    folder: Path  # where pandoc runs: the image files, and files written for pandoc
    args: list[str]  # pandoc's arguments so far
    extra: list[Artifact] = field(default_factory=list)  # files beside the brief
    reference: bytes = b""  # Word and ODT: the reference document, as pandoc is given it


def _nothing(job: RenderJob) -> tuple[bytes, ...]:
    return ()


def _unchanged(writing: Writing) -> None:
    return None


def _as_is(written: bytes) -> bytes:
    return written


def _as_written(writing: Writing, output: bytes) -> bytes:
    return output


@dataclass(frozen=True)
class Writer:
    """One format as pandoc writes it (model.FORMATS has its extension and label)."""

    name: str
    writer: str  # pandoc's writer
    options: tuple[str, ...] = ()  # paths relative to the templates folder ({templates})
    toc: bool = True  # pandoc writes the contents (the PDF's template writes its own)
    reads: Callable[[RenderJob], tuple[bytes, ...]] = _nothing
    prepare: Callable[[Writing], None] = _unchanged
    to_pandoc: Callable[[bytes], bytes] = _as_is
    finish: Callable[[Writing, bytes], bytes] = _as_written


def figure_images(job: RenderJob) -> tuple[bytes, ...]:
    """`reads` of a format that changes the images of a brief with figures."""
    return (pandoc.element("Image"),) if job.figures else ()


MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


def data_uri(name: str, data: bytes) -> str:
    media_type = MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def embed_images(writing: Writing) -> None:
    """Point each figure's image at its own bytes, for a format that carries its images inside
    the file. Pandoc runs sandboxed and reads no file an image names, so briefgen hands it each
    figure's bytes as a data: URI (TOOLCHAIN.md); the sanitizer kept no other image."""
    if not writing.job.figures:
        return
    blocks = writing.tree["blocks"]
    for image in pandoc.elements(pandoc.holding(blocks, "Image"), "Image"):
        target = image["c"][2]
        if target[0] in writing.media:
            target[0] = data_uri(target[0], writing.media[target[0]])
