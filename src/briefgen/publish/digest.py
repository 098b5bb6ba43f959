"""The parts of an input digest that are not in the brief itself: tool versions, and files.

A render job's digest (model.RenderJob.digest) is the hash of the job, which holds the brief's
Markdown, metadata, cited entries, style and figures. What a worker reads by path, the templates
and fonts, enters it through `tree_digest`; the versions of everything that renders through
`tool_versions`, so that any upgrade invalidates every output.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import __version__
from briefgen.tools import pandoc
from briefgen.tools import typst as typst_pdf

if TYPE_CHECKING:
    from briefgen.load.project import Project


def _feed(digest: Any, label: str, data: bytes) -> None:
    # Length-prefixed, labelled parts: no two different input sets can hash the same stream.
    digest.update(f"{label}:{len(data)}:".encode())
    digest.update(data)


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of everything that renders; any upgrade invalidates every output."""
    versions = {"briefgen": __version__, "pandoc": pandoc.version(), "typst": typst_pdf.version()}
    # briefgen's own code, so that an edit to an editable install is an input like any other.
    here = Path(__file__).parent.parent  # the whole package, every stage
    code = hashlib.sha256()
    for source in sorted(here.rglob("*.py")):
        _feed(code, source.relative_to(here).as_posix(), source.read_bytes())
    versions["briefgen-code"] = code.hexdigest()
    # The font packages are named by version, not hashed: 40 MB a build for no information.
    packages = ("matplotlib", "noto-cjk-sans-otc", "weblate-fonts", "Jinja2", "markdown-it-py")
    installed = _installed()
    for package in (*packages, "Babel", "fonttools"):
        versions[package] = installed.get(_normalized(package)) or _version(package)
    return versions


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _installed() -> dict[str, str]:
    """Installed distributions' versions by normalized name, from the names of the .dist-info
    folders on sys.path (the first of a name wins, as for imports). This is what
    importlib.metadata finds too, without importing it: 20 to 40 ms, every command."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem = name.removesuffix(".dist-info")
            if stem != name and stem.count("-") == 1:  # "jinja2-3.1.6"
                package, version = stem.split("-")
                found.setdefault(_normalized(package), version)
    return found


def _version(package: str) -> str:
    """A version importlib.metadata finds where the folder names do not say (an egg, say)."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def tree_digest(folders: Iterable[Path]) -> str:
    """One digest over every file below these folders (path and bytes), in sorted order."""
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            _feed(digest, path.relative_to(folder).as_posix(), path.read_bytes())
    return digest.hexdigest()


# Every file a build reads from the project: what `load` reads, and the templates and fonts.
BUILD_INPUTS = ("briefgen.yaml", "bibliography.bib", "content", "data", "briefs", "templates",
                "styles", "fonts", "translations")  # fmt: skip


def build_key(project: Project, request: str) -> str:
    """One digest over every input file of a project, the tools and the request: when it is
    the same as at the last build and the outputs are intact, nothing can have changed."""
    root = project.root
    value = hashlib.sha256()
    _feed(value, "versions", repr(sorted(tool_versions().items())).encode())
    _feed(value, "request", request.encode())
    for name in BUILD_INPUTS:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            _feed(value, file.relative_to(root).as_posix(), file.read_bytes())
    # The logo briefgen.yaml's `branding:` names may lie outside BUILD_INPUTS.
    logo = root / project.branding.logo
    if project.branding.logo and logo.is_file():
        _feed(value, "branding logo", logo.read_bytes())
    return value.hexdigest()
