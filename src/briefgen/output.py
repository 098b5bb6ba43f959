"""Write artifacts and the manifest: each file appears whole or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from briefgen.errors import BriefgenError


@dataclass(frozen=True)
class Written:
    relpath: str
    size: int
    sha256: str


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, flush it to disk (if `durable`), then rename it
    into place: a reader sees the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
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


def _same_content(path: Path, data: bytes) -> bool:
    """Whether `path` already holds exactly `data` (then it is left alone, mtime and all)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


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
            if not _same_content(target, data):
                write_atomic(target, data)
        except OSError as error:
            raise BriefgenError(f"cannot write {target}: {error.strerror}.") from None
        written.append(Written(relpath, len(data), sha256(data)))
    return written
