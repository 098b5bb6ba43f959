"""Translation memory: for each locale, the source each translated unit was made from.

translations/<locale>.tmx (TMX 1.4b, read and written with translate-toolkit's
translate.storage.tmx) holds one <tu> per translated unit, with the unit id exchange/model.py
plans (`block/<id>/<field>/<n>`, `data/companies/<id>/<field>/<n>`, `string/<key>/text/1`) as its
tuid, the source segment as the translation was made from it, and the translation. `i18n import`,
`i18n mark-current` and `i18n mark-minor` record it; `i18n export` reads it to show a translator
what changed in a stale unit (the previous source, and the old translation to revise), and
`i18n export --format tmx` hands it to a CAT tool.

Segments are kept as Markdown, whitespace as in the field (a CAT tool matches on the words).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from translate.storage import tmx

from briefgen.errors import Problem, ProblemsError
from briefgen.i18n.exchange import SourceItem
from briefgen.i18n.exchange.model import plan

MEMORY_DIR = Path("translations")


@dataclass(frozen=True)
class Remembered:
    """A translated unit: the source segment it was translated from, and its translation."""

    source: str
    target: str


def memory_path(locale: str) -> str:
    return f"{MEMORY_DIR.as_posix()}/{locale}.tmx"


def read_memory(root: Path, locale: str) -> dict[str, Remembered]:
    """The locale's memory by unit id ({} when there is none yet)."""
    rel = memory_path(locale)
    path = root / rel
    if not path.is_file():
        return {}
    try:
        store = tmx.tmxfile.parsestring(path.read_bytes())  # type: ignore[no-untyped-call]
    except (etree.XMLSyntaxError, ValueError, OSError) as error:
        raise ProblemsError(
            [Problem(rel, 0, f"cannot be read as a TMX translation memory: {error}.")]
        ) from None
    memory = {}
    for unit in store.units:
        unit_id = unit.xmlelement.get("tuid", "")
        if unit_id and unit.source is not None and unit.target is not None:
            memory[unit_id] = Remembered(str(unit.source), str(unit.target))
    return memory


def memory_bytes(source_locale: str, locale: str, memory: Mapping[str, Remembered]) -> bytes:
    """The memory as TMX 1.4b: units sorted by id, and no dates, so the same memory gives the
    same bytes (the file is kept in the project's history)."""
    store = tmx.tmxfile(sourcelanguage=source_locale, targetlanguage=locale)
    for unit_id in sorted(memory):
        entry = memory[unit_id]
        unit = store.addsourceunit(entry.source)  # type: ignore[no-untyped-call]
        unit.target = entry.target
        unit.xmlelement.set("tuid", unit_id)
    header = store.document.getroot().find(store.namespaced("header"))  # type: ignore[no-untyped-call]
    if header is not None:
        header.set("creationtool", "briefgen")
        header.set("creationtoolversion", "1")
        header.set("datatype", "markdown")
    return bytes(store)


def item_memory(item: SourceItem) -> dict[str, Remembered]:
    """The units of an item whose translation lines up with its source, as the memory keeps
    them: the source segment and its translation, both Markdown."""
    remembered = {}
    for item_units in plan([item]):
        for unit in item_units.units:
            if unit.target is None:
                continue
            inline = unit.segment.inline
            remembered[unit.id] = Remembered(
                inline.render(inline.pieces), inline.render(unit.target)
            )
    return remembered


def replace_items(
    memory: Mapping[str, Remembered], items: Iterable[SourceItem]
) -> dict[str, Remembered]:
    """The memory with every unit of these items replaced by what their translation is now."""
    keys = set()
    fresh: dict[str, Remembered] = {}
    for item in items:
        keys.add(item.key)
        fresh.update(item_memory(item))
    kept = {
        unit_id: entry for unit_id, entry in memory.items() if unit_id.rsplit("/", 2)[0] not in keys
    }
    return {**kept, **fresh}


def same_text(a: str, b: str) -> bool:
    """Whether two segments say the same (whitespace aside, as source_hash does)."""
    return a.split() == b.split()


def memory_for(root: Path, locale: str) -> dict[str, Remembered]:
    """read_memory, kept while the file is unchanged (assemble asks once per brief)."""
    path = root / memory_path(locale)
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _memory_at(root, locale, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _memory_at(root: Path, locale: str, mtime: int, size: int) -> dict[str, Remembered]:
    return read_memory(root, locale)


def partly_translated(
    source_body: str, block_id: str, memory: Mapping[str, Remembered], source_locale: str
) -> str | None:
    """A stale translation's body, paragraph by paragraph: each segment whose English is as it
    was when translated keeps its translation (from the memory); each that changed shows the
    English, marked as such ([...]{lang=en}). None when no segment's translation still holds."""
    from briefgen.i18n.exchange.model import unit_id
    from briefgen.i18n.exchange.segments import segment_field

    field = segment_field("body", source_body, markdown=True)
    kept: dict[int, str] = {}
    held = 0
    for segment in field.segments:
        inline = segment.inline
        text = inline.render(inline.pieces)
        remembered = memory.get(unit_id(f"block/{block_id}", "body", segment.number))
        if remembered is not None and same_text(remembered.source, text):
            kept[segment.number] = remembered.target
            held += 1
        else:
            kept[segment.number] = f"[{text}]{{lang={source_locale}}}"
    return field.rebuild(kept) if held else None
