"""Markdown (GitHub's): the brief as text, its figures as image files beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from briefgen.formats import Writer, Writing, figure_images
from briefgen.model import Artifact
from briefgen.tools import pandoc


def _prepare(writing: Writing) -> None:
    """Markdown can't embed images, so it gets them as files beside it, under media/."""
    if writing.job.figures:
        writing.extra += _media_files(writing)


def _media_files(writing: Writing) -> list[Artifact]:
    """Point the document's images at media/<brief>-<file> and return those files."""
    job = writing.job
    files: dict[str, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Image":
                target = node["c"][2]
                name = files.setdefault(target[0], f"media/{job.brief_id}-{target[0]}")
                target[0] = name
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(pandoc.holding(writing.tree["blocks"], "Image"))
    return [
        Artifact(
            job.brief_id,
            job.locale,
            Path(name).suffix.lstrip("."),
            f"{job.locale}/{name}",
            (writing.folder / source).read_bytes(),
            kind="media",
        )
        for source, name in sorted(files.items())
    ]


WRITER = Writer(
    "md",
    "gfm-raw_html",
    ("--template={templates}/md/brief.md", "--wrap=none"),
    reads=figure_images,
    prepare=_prepare,
)
