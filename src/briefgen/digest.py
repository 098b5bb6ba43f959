"""Input digests: one sha256 over everything that can change an output file.

A rebuild skips an output whose recorded digest matches and whose file is intact, so the digest
must cover every input: the brief's Markdown (its blocks, recipe, data tables and template), its
metadata, the bibliography entries it cites, the citation style, every template and font file, its
figures' inputs, the build timestamp, and the versions of briefgen, pandoc, typst and matplotlib.
Leaving one out would let the cache serve a stale file, so when in doubt, a thing goes in.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from briefgen import __version__, pandoc, typst_pdf
from briefgen.assemble import Brief
from briefgen.datasets import Data


def _feed(digest: Any, label: str, data: bytes) -> None:
    # Length-prefixed, labelled parts: no two different input sets can hash the same stream.
    digest.update(f"{label}:{len(data)}:".encode())
    digest.update(data)


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of everything that renders; any upgrade invalidates every output."""
    versions = {"briefgen": __version__, "pandoc": pandoc.version(), "typst": typst_pdf.version()}
    for package in ("matplotlib", "noto-cjk-sans-otc", "Jinja2", "markdown-it-py", "Babel"):
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


def data_digest(data: Data) -> str:
    """Digest of a locale's structured data, as charts and tables read it."""
    payload = {
        "companies": [asdict(c) for c in data.companies],
        "kinds": data.data_kinds,
        "terms": [asdict(t) for t in data.terms],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=sorted).encode()).hexdigest()


def brief_digest(
    brief: Brief,
    *,
    markdown: str,
    metadata: dict[str, Any],
    references: list[dict[str, Any]],
    csl: bytes,
    shared: str,
    data: Data,
    root: Path,
    timestamp: int,
) -> str:
    """Digest of one brief in one locale; `shared` covers templates, styles and fonts."""
    digest = hashlib.sha256()
    _feed(digest, "versions", json.dumps(tool_versions(), sort_keys=True).encode())
    _feed(digest, "markdown", markdown.encode())
    _feed(digest, "metadata", json.dumps(metadata, sort_keys=True).encode())
    _feed(digest, "references", json.dumps(references, sort_keys=True).encode())
    _feed(digest, "csl", csl)
    _feed(digest, "shared", shared.encode())
    _feed(digest, "timestamp", str(timestamp).encode())
    recipe = brief.recipe
    _feed(digest, "recipe", f"{recipe.toc}:{recipe.compact}".encode())
    for block in brief.blocks:
        if block.figure is None:
            continue
        _feed(digest, f"figure:{block.id}", json.dumps(asdict(block.figure)).encode())
        if block.figure.chart:
            _feed(digest, "chart-data", data_digest(data).encode())
        else:
            _feed(digest, "image", (root / block.figure.image).read_bytes())
    return digest.hexdigest()


def artifact_digest(brief_digest_value: str, format_name: str) -> str:
    """Digest of one output file: its brief's digest and its format."""
    return hashlib.sha256(f"{brief_digest_value}:{format_name}".encode()).hexdigest()
