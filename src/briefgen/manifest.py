"""The build manifest: what every output file is, what went into it, and how to check it.

{"briefgen": ..., "pandoc": ..., "typst": ..., "content_version": ...,
 "matrix": [every path the full build produces], "shard": "K/N" or null,
 "artifacts": [{"path", "kind", "brief", "audience", "use_cases", "locale", "format", "size",
                "sha256", "input_digest", "blocks", "citations", "fallback_blocks"}, ...],
 "library": [{"path", "size", "sha256"}, ...]}
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from briefgen.errors import BriefgenError, Problem, ProblemsError

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


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """Stable JSON: sorted keys, fixed indentation, trailing newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest file (or the one in a folder); {} if there is none."""
    if path.is_dir():
        path = path / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise BriefgenError(f"{path} cannot be read as a manifest: {error}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("artifacts", []), list):
        raise BriefgenError(f"{path} is not a briefgen manifest.")
    return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def intact(out: Path, entry: dict[str, Any]) -> bool:
    """Whether an entry's file exists with the recorded size and hash."""
    path = out / entry["path"]
    return (
        path.is_file()
        and path.stat().st_size == entry.get("size")
        and file_sha256(path) == entry.get("sha256")
    )


def verify(out: Path) -> list[str]:
    """Every difference between a build folder and its manifest, as sentences."""
    manifest = read_manifest(out)
    if not manifest:
        raise BriefgenError(f"{out} has no {MANIFEST}: nothing to verify.")
    problems = []
    listed = {e["path"]: e for e in [*manifest["artifacts"], *manifest.get("library", [])]}
    for path, entry in sorted(listed.items()):
        target = out / path
        if not target.is_file():
            problems.append(f"{path}: listed in the manifest but missing.")
        elif target.stat().st_size != entry["size"]:
            problems.append(
                f"{path}: size {target.stat().st_size} bytes, manifest says {entry['size']}."
            )
        elif file_sha256(target) != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest (the file was changed).")
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    ignored = {MANIFEST}
    for extra in sorted(present - set(listed) - ignored):
        if not extra.startswith(("release/", ".")) and "/." not in extra:
            problems.append(f"{extra}: present but not in the manifest.")
    return problems


def merge(manifests: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Join shard manifests into one; every path of the matrix exactly once, same versions."""
    problems: list[Problem] = []
    merged: dict[str, Any] = {}
    seen: dict[str, str] = {}
    artifacts: list[dict[str, Any]] = []
    items = list(manifests)
    if not items:
        raise BriefgenError("no manifests to merge.")
    first_name, first = items[0]
    for name, manifest in items:
        for key in (*VERSION_KEYS, "matrix", "internal"):
            if manifest.get(key) != first.get(key):
                problems.append(
                    Problem(
                        name,
                        0,
                        f'"{key}" differs from {first_name}; shards '
                        "must come from the same commit and tools.",
                    )
                )
        for entry in manifest.get("artifacts", []):
            if entry["path"] in seen:
                problems.append(
                    Problem(name, 0, f"{entry['path']} is also in {seen[entry['path']]}.")
                )
                continue
            seen[entry["path"]] = name
            artifacts.append(entry)
    matrix = set(first.get("matrix", []))
    for missing in sorted(matrix - set(seen)):
        problems.append(Problem("merge", 0, f"{missing} is in the matrix but in no shard."))
    for stray in sorted({e["path"] for e in artifacts if e.get("kind") == "brief"} - matrix):
        problems.append(Problem(seen[stray], 0, f"{stray} is not in the matrix."))
    if problems:
        raise ProblemsError(problems)
    merged.update({key: first.get(key) for key in (*VERSION_KEYS, "matrix", "project", "internal")})
    merged["shard"] = None
    merged["artifacts"] = sorted(artifacts, key=lambda e: e["path"])
    merged["library"] = []
    return merged
