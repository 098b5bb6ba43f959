"""Which folders a build may write into, and one writer at a time in each.

An output folder is public or internal, and says which in its manifest. An internal build
writes only into an internal folder (new, or made by an internal build), a public build or a
release only into a public one, so internal briefs never reach a library page or an archive
made from a public folder. A folder that is not a briefgen output (the filesystem's root, the
project itself or one of its own folders, any folder with other files in it) is refused
before anything is written, and a lock keeps two builds from writing into one folder at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from briefgen.errors import BriefgenError
from briefgen.publish.manifest import MANIFEST, read_manifest

LOCK = ".briefgen.lock"
STATE = ".briefgen-state.json"  # in the output folder; verify and the archive leave it out
# Files a build leaves in its folder besides the outputs the manifest lists.
BOOKKEEPING = frozenset({MANIFEST, LOCK, STATE})


def is_output_folder(folder: Path, depth: int = 2) -> bool:
    """Whether a folder is missing or empty, or was made by briefgen: it has a manifest, or
    holds only briefgen's bookkeeping and folders that are outputs themselves (build/ holding
    the preview's build/.preview/)."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    children = list(folder.iterdir())
    if any(child.name == MANIFEST for child in children):
        return True
    return all(
        child.name in BOOKKEEPING
        or (depth > 0 and child.is_dir() and is_output_folder(child, depth - 1))
        for child in children
    )


def refuse_unsafe(out: Path, root: Path) -> None:
    """Raise BriefgenError, in the user's terms, if `out` is no place for a build's files."""
    out, root = out.resolve(), root.resolve()
    if out == Path(out.anchor):
        raise BriefgenError(f"refusing to write into {out}: choose a folder of its own.")
    if out == root or root.is_relative_to(out):
        raise BriefgenError(
            f"refusing to write into {out}: it holds the project; choose a folder such as "
            f"{root / 'build'}."
        )
    if out.is_relative_to(root):
        top = root / out.relative_to(root).parts[0]
        if top.exists() and not is_output_folder(top):
            raise BriefgenError(
                f"refusing to write into {out}: {top.name}/ is one of the project's own folders "
                "(not a briefgen output); choose a folder such as build/."
            )
    if not is_output_folder(out):
        raise BriefgenError(
            f"refusing to write into {out}: it holds files that briefgen did not write (it has "
            "no manifest.json); choose a new or empty folder."
        )


def refuse_mixed(out: Path, internal: bool) -> None:
    """An internal build only into an internal folder; a public one only into a public one."""
    manifest = read_manifest(out)
    if manifest is None or not manifest.artifacts or manifest.internal == internal:
        return
    if manifest.internal:
        raise BriefgenError(
            f"{out} holds internal briefs (its manifest says so): a public build or a release "
            "cannot write there, and its files are not for publishing; use another --out."
        )
    raise BriefgenError(
        f"{out} holds public briefs: an internal build cannot write there (its briefs would be "
        "published with them); build internal briefs into build-internal/ or another new folder."
    )


def refuse_internal(out: Path, what: str) -> None:
    """For the steps that publish a folder: the library page, the archive, a merge."""
    manifest = read_manifest(out)
    if manifest is not None and manifest.internal:
        raise BriefgenError(
            f"{out} holds internal briefs (its manifest says so); {what} is for public builds only."
        )


_HELD: dict[Path, int] = {}  # folders this process holds, and how many times (a release builds)


@contextlib.contextmanager
def writing_to(out: Path, root: Path, internal: bool) -> Iterator[None]:
    """Hold `out` for one build: checked, created, locked; released when the build ends."""
    out = out.resolve()
    if _HELD.get(out):
        _HELD[out] += 1
        try:
            yield
        finally:
            _HELD[out] -= 1
        return
    refuse_unsafe(out, root)
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    out.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    finished = False
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BriefgenError(
                f"another briefgen is writing to {out}; wait for it to finish, or choose "
                "another --out."
            ) from None
        refuse_mixed(out, internal)
        _HELD[out] = 1
        yield
        finished = True
    finally:
        _HELD.pop(out, None)
        if not finished and created:  # a failed first build leaves no folder behind
            with contextlib.suppress(OSError):
                (out / LOCK).unlink()
                for folder in created:
                    folder.rmdir()
        os.close(descriptor)  # closing the file releases the lock
