"""Parsed inputs kept between runs, by content: a block file (or the bibliography) whose text,
path and project settings are as they were at the last run is not parsed and validated again.

A cache must never change a result, so an entry's key is everything the parse's result depends
on: the file's text and path, for a block its locale and the project settings validation reads
(source locale, locales, vocabularies), and briefgen's own version and the code that parses.
Reading the file (links, size, encoding) still happens every run; only parsing it is skipped.
Entries are plain JSON, read back field by field into Blocks, Problems and bibliography entries:
nothing in the cache is ever executed. A file that cannot be parsed at all is never cached.

The cache is a file per project and kind under $XDG_CACHE_HOME/briefgen (~/.cache/briefgen),
never in the project itself; pandoc's readings of briefs (below) are a file each, shared.
BRIEFGEN_CACHE names another folder, or "off" for none. A cache that cannot be read is ignored,
and one that cannot be written is not written: either way the run parses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from briefgen import __version__
from briefgen.errors import Problem
from briefgen.load.project import Project
from briefgen.model import Block, Citation, Figure
from briefgen.publish.output import write_atomic

FORMAT = 1

T = TypeVar("T")


@dataclass
class ParseCache:
    """One project's cached parses of one kind, and the entries this run used or added."""

    path: Path | None
    context: str
    entries: dict[str, Any]
    used: dict[str, Any] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def open(cls, root: Path, kind: str, context: str) -> ParseCache:
        folder = cache_folder()
        if folder is None:
            return cls(None, context, {})
        name = hashlib.sha256(str(root).encode()).hexdigest()[:24]
        path = folder / f"{name}.{kind}.json"
        try:
            stored = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            stored = {}
        fresh = isinstance(stored, dict) and stored.get("format") == FORMAT
        entries = stored.get("entries", {}) if fresh and stored.get("context") == context else {}
        return cls(path, context, entries if isinstance(entries, dict) else {})

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def get(self, key: str) -> Any:
        """The entry stored under `key` (None if there is none); kept for the next run."""
        entry = self.entries.get(key)
        if entry is not None:
            self.used[key] = entry
        return entry

    def put(self, key: str, entry: Any) -> None:
        self.used[key] = entry
        self.changed = True

    def forget(self, key: str) -> None:
        """Drop an entry that could not be read back (damaged): it is parsed again."""
        self.used.pop(key, None)
        self.changed = True

    def save(self) -> None:
        """Keep exactly this run's entries (a deleted file's entry goes), if they changed."""
        if self.path is None or (not self.changed and self.used.keys() == self.entries.keys()):
            return
        payload = {"format": FORMAT, "context": self.context, "entries": self.used}
        with contextlib.suppress(OSError):
            # Not flushed to disk: a cache lost in a crash is only parsed again.
            write_atomic(self.path, orjson.dumps(payload), durable=False)


def cache_folder() -> Path | None:
    setting = os.environ.get("BRIEFGEN_CACHE", "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefgen"


@functools.cache
def _package_code() -> bytes:
    """The digest of briefgen's own code, every module of the package: what a kept entry was
    made by. Keyed by the whole package, not a list of module names, so that moving or adding
    a module can neither break the cache nor leave it stale (reading it costs a few ms)."""
    here = Path(__file__).parent.parent  # the whole package, every stage
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(here.rglob("*.py")):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.digest()


def _code_digest() -> hashlib._Hash:
    return hashlib.sha256(_package_code())


def block_cache(project: Project) -> ParseCache:
    digest = _code_digest()
    settings = [project.source_locale, sorted(project.locales), project.vocabularies]
    digest.update(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode())
    return ParseCache.open(project.root, "blocks", digest.hexdigest())


def bibliography_cache(root: Path) -> ParseCache:
    return ParseCache.open(root, "bibliography", _code_digest().hexdigest())


def translation_checks_cache(root: Path) -> ParseCache:
    """What the checks of a translation against its source found (i18n.qa_problems), by the
    two blocks as parsed: the numbers, links and citations of every pair are compared again
    only when one of the two changed."""
    return ParseCache.open(root, "translation-checks", _code_digest().hexdigest())


def translation_checks(
    cache: ParseCache,
    source: Block,
    translation: Block,
    check: Callable[[Block, Block], list[Problem]],
) -> list[Problem]:
    """The problems `check` finds in this pair: kept from an earlier run, else found now."""
    key = cache.key(orjson.dumps([_to_json(source, []), _to_json(translation, [])]).decode())
    stored = cache.get(key)
    if isinstance(stored, list):
        try:
            return [Problem(str(p), int(n), str(m), str(s)) for p, n, m, s in stored]
        except (TypeError, ValueError):
            cache.forget(key)
    problems = check(source, translation)
    cache.put(key, [[p.path, p.line, p.message, p.severity] for p in problems])
    return problems


def read_block_entry(cache: ParseCache, key: str) -> tuple[Block | None, list[Problem]] | None:
    """A block and its problems from the cache, or None (not there, or damaged)."""
    entry = cache.get(key)
    if entry is None:
        return None
    try:
        return _from_json(entry)
    except (KeyError, TypeError, ValueError):
        cache.forget(key)
        return None


def put_block_entry(
    cache: ParseCache, key: str, block: Block | None, problems: list[Problem]
) -> None:
    cache.put(key, _to_json(block, problems))


def _same(value: Any) -> Any:
    return value


# How a Block field of each type is written as JSON and read back, by the type as Block
# declares it. Every field of Block is kept: a field of a type not listed here fails at import,
# so that adding one to Block cannot leave it out of the cache.
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "str": (_same, str),
    "int": (_same, int),
    "bool": (_same, bool),
    "frozenset[str]": (sorted, frozenset),
    "tuple[Citation, ...]": (
        lambda citations: [[c.key, c.line] for c in citations],
        lambda items: tuple(Citation(str(key), int(line)) for key, line in items),
    ),
    "Figure | None": (
        lambda figure: None if figure is None else list(dataclasses.astuple(figure)),
        lambda items: None if items is None else Figure(*items),
    ),
    "dt.date | None": (
        lambda date: date.isoformat() if date else None,
        lambda text: dt.date.fromisoformat(text) if text else None,
    ),
    "tuple[tuple[str, str], ...]": (
        lambda pairs: [list(pair) for pair in pairs],
        lambda items: tuple((str(a), str(b)) for a, b in items),
    ),
    "tuple[tuple[str, str, int], ...]": (
        lambda triples: [list(triple) for triple in triples],
        lambda items: tuple((str(k), str(v), int(n)) for k, v, n in items),
    ),
}
_BLOCK_FIELDS = tuple((f.name, _CODECS[str(f.type)]) for f in dataclasses.fields(Block))


def _to_json(block: Block | None, problems: list[Problem]) -> dict[str, Any]:
    found = [[p.path, p.line, p.message, p.severity] for p in problems]
    if block is None:
        return {"block": None, "problems": found}
    fields = {name: encode(getattr(block, name)) for name, (encode, _) in _BLOCK_FIELDS}
    return {"block": fields, "problems": found}


def _from_json(entry: dict[str, Any]) -> tuple[Block | None, list[Problem]]:
    problems = [Problem(str(p), int(n), str(m), str(s)) for p, n, m, s in entry["problems"]]
    data = entry["block"]
    if data is None:
        return None, problems
    return Block(**{name: decode(data[name]) for name, (_, decode) in _BLOCK_FIELDS}), problems


# Pandoc's reading of a brief (Markdown -> JSON with citations resolved), kept by its exact
# inputs: the slowest step of a small build, and the same for every format of a brief and for
# every locale a change did not touch. Unlike the block caches it is shared by all projects, a
# file per reading, and bounded: past READINGS_BYTES the least recently used go.
READINGS_FOLDER = "readings"
READINGS_BYTES = 64 * 1024 * 1024  # the shipped release's 27 readings are 9 MB


def readings_folder() -> str:
    """Where render jobs keep pandoc's readings ("" for nowhere: the cache is off)."""
    folder = cache_folder()
    return "" if folder is None else str(folder / READINGS_FOLDER)


def reading_key(*parts: bytes) -> str:
    digest = hashlib.sha256(f"readings:{FORMAT}".encode())
    for part in parts:
        # Length-prefixed: no two different sets of inputs hash the same stream.
        digest.update(f"{len(part)}:".encode())
        digest.update(part)
    return digest.hexdigest()


def kept_or_made(
    folder: str, key: str, make: Callable[[], bytes], parse: Callable[[bytes], T]
) -> T:
    """`parse` of the reading kept under `key`; else of `make()`, kept for the next run. A kept
    reading that `parse` rejects with ValueError (damaged) is made again."""
    kept = read_reading(folder, key)
    if kept is not None:
        with contextlib.suppress(ValueError):
            return parse(kept)
    data = make()
    keep_reading(folder, key, data)
    return parse(data)


def read_reading(folder: str, key: str) -> bytes | None:
    """The reading kept under `key`, or None (none kept, or unreadable)."""
    if not folder:
        return None
    path = Path(folder) / f"{key}.json"
    try:
        data = path.read_bytes()
        os.utime(path)  # recently used: kept the longest
    except OSError:
        return None
    return data


def keep_reading(folder: str, key: str, data: bytes) -> None:
    """Keep a reading for the next run; a folder that can't be written is left alone."""
    if not folder:
        return
    with contextlib.suppress(OSError):
        write_atomic(Path(folder) / f"{key}.json", data, durable=False)
        _prune(Path(folder))


def _prune(folder: Path, limit: int = READINGS_BYTES) -> None:
    """Remove the least recently used readings until the rest fit in `limit` bytes."""
    entries = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".json"):
            with contextlib.suppress(FileNotFoundError):  # another worker's prune took it
                info = entry.stat()
                entries.append((info.st_mtime_ns, entry.name, info.st_size))
    total = sum(size for _, _, size in entries)
    for _, name, size in sorted(entries):
        if total <= limit:
            break
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)
        total -= size
