"""The parts of an input digest that are not in the brief itself: tool versions, and files.

A render job's digest (model.RenderJob.digest) is the hash of the job, which holds the brief's
Markdown, metadata, cited entries, style and figures. What a worker reads by path, the templates
and fonts, enters it through `tree_digest`; the versions of everything that renders through
`tool_versions`, so that any upgrade invalidates every output.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from briefgen import __version__, pandoc, typst_pdf


def _feed(digest: Any, label: str, data: bytes) -> None:
    # Length-prefixed, labelled parts: no two different input sets can hash the same stream.
    digest.update(f"{label}:{len(data)}:".encode())
    digest.update(data)


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of everything that renders; any upgrade invalidates every output."""
    versions = {"briefgen": __version__, "pandoc": pandoc.version(), "typst": typst_pdf.version()}
    # The font packages are named by version, not hashed: 40 MB a build for no information.
    packages = ("matplotlib", "noto-cjk-sans-otc", "weblate-fonts", "Jinja2", "markdown-it-py")
    for package in (*packages, "Babel", "fonttools"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def tree_digest(folders: Iterable[Path]) -> str:
    """One digest over every file below these folders (path and bytes), in sorted order."""
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            _feed(digest, path.relative_to(folder).as_posix(), path.read_bytes())
    return digest.hexdigest()
