"""Write artifacts and the manifest: each file appears whole or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.errors import BriefgenError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Written:
    relpath: str
    size: int
    sha256: str


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_files(out: Path, files: Iterable[tuple[str, bytes]]) -> list[Written]:
    """Write every (relative path, bytes) under `out`; refuse paths that leave it."""
    written = []
    root = out.resolve()
    for relpath, data in files:
        target = (root / relpath).resolve()
        if not target.is_relative_to(root):
            raise BriefgenError(f"refusing to write {relpath}: it is outside {out}.")
        try:
            write_atomic(target, data)
        except OSError as error:
            raise BriefgenError(f"cannot write {target}: {error.strerror}.") from None
        written.append(Written(relpath, len(data), sha256(data)))
    return written


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """Stable JSON: sorted keys, fixed indentation, trailing newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise BriefgenError(f"{path} cannot be read as a manifest: {error}.") from None
    return data if isinstance(data, dict) else {}
