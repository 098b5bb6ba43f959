"""The build manifest, build/manifest.json: read, write, verify and merge (model.Manifest).

{"manifest_version": 2, "briefgen": ..., "pandoc": ..., "typst": ..., "content_version": ...,
 "matrix": [every path the full build produces], "shard": "K/N" or null,
 "artifacts": [{"path", "kind", "brief", "title", "subtitle", "audience", "use_cases", "locale",
                "format", "size", "sha256", "input_digest", "blocks", "citations",
                "fallback_blocks", "media"}, ...],
 "library": [{"path", "size", "sha256"}, ...]}
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from briefgen.errors import BriefgenError, Problem, ProblemsError
from briefgen.model import FileEntry, Manifest, ManifestEntry
from briefgen.publish.output import write_files

MANIFEST = "manifest.json"
VERSION_KEYS = ("briefgen", "pandoc", "typst", "content_version")


def content_version(root: Path) -> str:
    """BRIEFGEN_CONTENT_VERSION, else `git describe` of the project, else "unversioned"."""
    override = os.environ.get("BRIEFGEN_CONTENT_VERSION", "").strip()
    if override:
        return override
    try:
        completed = subprocess.run(
            ["git", "describe", "--tags", "--always", "--dirty"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unversioned"
    return completed.stdout.strip() if completed.returncode == 0 else "unversioned"


def manifest_bytes(manifest: Manifest) -> bytes:
    """Stable JSON: sorted keys, fixed indentation, trailing newline."""
    return (
        json.dumps(manifest.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode()


def write_manifest(out: Path, manifest: Manifest) -> None:
    write_files(out, [(MANIFEST, manifest_bytes(manifest))])


def read_manifest(path: Path) -> Manifest | None:
    """A manifest file (or the one in a folder); None if there is none."""
    if path.is_dir():
        path = path / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise BriefgenError(f"{path} cannot be read as a manifest: {error}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("artifacts", []), list):
        raise BriefgenError(f"{path} is not a briefgen manifest.")
    try:
        return Manifest.from_json(data)
    except (TypeError, KeyError, ValueError) as error:
        raise BriefgenError(f"{path} is not a briefgen manifest ({error}).") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def intact(out: Path, entry: ManifestEntry | FileEntry) -> bool:
    """Whether an entry's file exists with the recorded size and hash."""
    path = out / entry.path
    return (
        path.is_file() and path.stat().st_size == entry.size and file_sha256(path) == entry.sha256
    )


def verify(out: Path, internal: bool = False) -> list[str]:
    """Every difference between a build folder and its manifest, as sentences. A folder of
    internal briefs is one too, unless `internal` says that is what is being verified: a
    folder that verifies is fit to publish."""
    manifest = read_manifest(out)
    if manifest is None:
        raise BriefgenError(f"{out} has no {MANIFEST}: nothing to verify.")
    problems = []
    if manifest.internal and not internal:
        problems.append(
            f"{MANIFEST}: the folder holds internal briefs, not for publishing "
            "(verify --internal checks an internal folder's files)."
        )
    listed: dict[str, ManifestEntry | FileEntry] = {e.path: e for e in manifest.artifacts}
    listed.update((f.path, f) for f in manifest.library)
    for path, entry in sorted(listed.items()):
        target = out / path
        if not target.is_file():
            problems.append(f"{path}: listed in the manifest but missing.")
        elif target.stat().st_size != entry.size:
            problems.append(
                f"{path}: size {target.stat().st_size} bytes, manifest says {entry.size}."
            )
        elif file_sha256(target) != entry.sha256:
            problems.append(f"{path}: sha256 differs from the manifest (the file was changed).")
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    ignored = {MANIFEST}
    for extra in sorted(present - set(listed) - ignored):
        if not extra.startswith(("release/", ".")) and "/." not in extra:
            problems.append(f"{extra}: present but not in the manifest.")
    return problems


def merge(manifests: Iterable[tuple[str, Manifest]]) -> Manifest:
    """Join shard manifests into one; every path of the matrix exactly once, same versions."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    artifacts: list[ManifestEntry] = []
    items = list(manifests)
    if not items:
        raise BriefgenError("no manifests to merge.")
    first_name, first = items[0]
    for name, manifest in items:
        if manifest.internal:
            problems.append(
                Problem(
                    name,
                    0,
                    "this shard holds internal briefs (its manifest says so); a release is "
                    "merged from public shards only.",
                )
            )
        for key in (*VERSION_KEYS, "matrix", "internal"):
            if getattr(manifest, key) != getattr(first, key):
                problems.append(
                    Problem(
                        name,
                        0,
                        f'"{key}" differs from {first_name}; shards '
                        "must come from the same commit and tools.",
                    )
                )
        for entry in manifest.artifacts:
            if entry.path in seen:
                problems.append(Problem(name, 0, f"{entry.path} is also in {seen[entry.path]}."))
                continue
            seen[entry.path] = name
            artifacts.append(entry)
    matrix = set(first.matrix)
    for missing in sorted(matrix - set(seen)):
        problems.append(Problem("merge", 0, f"{missing} is in the matrix but in no shard."))
    for stray in sorted({e.path for e in artifacts if e.kind == "brief"} - matrix):
        problems.append(Problem(seen[stray], 0, f"{stray} is not in the matrix."))
    if problems:
        raise ProblemsError(problems)
    return replace(
        first,
        shard=None,
        artifacts=tuple(sorted(artifacts, key=lambda e: e.path)),
        library=(),
    )


def merge_files(paths: Iterable[Path], out: Path) -> Manifest:
    """Read shard manifests, merge them and write the result to `out` (a file)."""
    loaded = []
    for path in paths:
        manifest = read_manifest(path)
        if manifest is None:
            raise BriefgenError(f"{path} is not a manifest file.")
        loaded.append((str(path), manifest))
    merged = merge(loaded)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_files(out.parent, [(out.name, manifest_bytes(merged))])
    return merged
