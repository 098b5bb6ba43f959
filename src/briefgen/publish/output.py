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
    os.replace(_staged(path, data, durable), path)


def _staged(path: Path, data: bytes, durable: bool = True) -> str:
    """`data` in a new temporary file of its own beside `path`, on disk; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


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


def describe(relpath: str, data: bytes) -> Written:
    """What a file will be once written (for a manifest made before the writing)."""
    return Written(relpath, len(data), sha256(data))


def write_files(out: Path, files: Iterable[tuple[str, bytes]]) -> list[Written]:
    """Write every (relative path, bytes) under `out`, all or nothing; refuse paths that leave it.

    Every file is written to a temporary name first; only when all are on disk are they renamed
    into place (a rename needs no space). A full disk or any other failure leaves the folder as
    it was, and removes what was staged.
    """
    written = []
    staged: list[tuple[str, Path]] = []
    root = out.resolve()
    try:
        for relpath, data in files:
            target = (root / relpath).resolve()
            if not target.is_relative_to(root):
                raise BriefgenError(f"refusing to write {relpath}: it is outside {out}.")
            try:
                if not _same_content(target, data):
                    staged.append((_staged(target, data), target))
            except OSError as error:
                raise BriefgenError(f"cannot write {target}: {error.strerror}.") from None
            written.append(describe(relpath, data))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return written
