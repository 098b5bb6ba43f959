"""Load `bibliography.bib` with bibtexparser 2, and check a project's citations against it.

Pandoc alone is not a safe judge: it stops on a malformed file, silently keeps the last of two
duplicate keys, and renders an unknown key as "(missing?)" with exit code 0. So the file is
validated here first, and pandoc only ever sees the entries a brief cites, as CSL JSON.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.errors import Problem, ProblemsError, ToolError, did_you_mean, display_path, problem
from briefgen.load.parsecache import (
    ParseCache,
    bibliography_cache,
    kept_or_made,
    reading_key,
    readings_folder,
)
from briefgen.load.yamlfile import read_text
from briefgen.model import Block
from briefgen.tools import pandoc

BIBLIOGRAPHY_FILE = "bibliography.bib"
# bibtexparser logs each broken entry itself; briefgen reports them as located problems instead.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False


@dataclass(frozen=True)
class BibEntry:
    key: str
    entry_type: str
    line: int


# Entries that refer to others (macros, cross-references) can only be converted with the whole file.
_SHARED_SYNTAX = re.compile(r"@string\b|\bcrossref\s*=|\bxdata\s*=|\bxref\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class Bibliography:
    """The project's sources: BibTeX entries by key, and their CSL JSON form for pandoc.

    The CSL form is made on demand, for the entries briefs cite: converting a 5,000-entry file
    costs pandoc seconds, and most builds cite a few dozen. An entry converts to the same CSL on
    its own as within the file, unless the file uses @string macros or cross-references, in
    which case the whole file is converted once.
    """

    path: str
    entries: dict[str, BibEntry]
    raw: dict[str, str] = field(default_factory=dict, hash=False, repr=False)
    whole: str = field(default="", hash=False, repr=False)  # the file, when entries share syntax
    _csl: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False, repr=False)

    def csl_items(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """CSL JSON items for these keys, in key order (so output does not depend on cite order)."""
        wanted = sorted(set(keys))
        missing = [k for k in wanted if k not in self._csl and k in self.entries]
        if missing:
            text = self.whole or "\n\n".join(self.raw[k] for k in missing)
            self._csl.update({item["id"]: item for item in _to_csl(text, self.path)})
        return [self._csl[key] for key in wanted]


def _to_csl(text: str, path: str) -> list[dict[str, Any]]:
    """BibLaTeX entries as CSL JSON items: pandoc's conversion, kept between runs by its exact
    inputs (the entries' text, the pandoc binary and its version) like a brief's reading."""
    args, binary = ["-f", "biblatex", "-t", "csljson"], pandoc.executable()
    parts = (binary, pandoc.version(), json.dumps(args), text)
    key = reading_key(*(part.encode("utf-8") for part in parts))

    def convert() -> bytes:
        return pandoc.run(args, text.encode("utf-8"), what=f"reading {path}", binary=binary)

    try:
        return kept_or_made(readings_folder(), key, convert, _csl_items)
    except ValueError:  # what pandoc printed just now is not CSL JSON: the tool is broken
        raise ToolError(
            f"pandoc (reading {path})",
            f"{binary} printed something that is not CSL JSON; reinstall pypandoc-binary.",
        ) from None


def _csl_items(data: bytes) -> list[dict[str, Any]]:
    """CSL JSON as items; ValueError if it is not a list of them (a damaged kept reading)."""
    items = json.loads(data)
    if not (isinstance(items, list) and all(isinstance(i, dict) and "id" in i for i in items)):
        raise ValueError("not CSL JSON items")
    return items


def load_bibliography(root: Path) -> Bibliography:
    """Parse and validate bibliography.bib; raise ProblemsError listing every broken entry."""
    path = root / BIBLIOGRAPHY_FILE
    rel = display_path(path, root)
    if not path.is_file():
        raise ProblemsError(
            [
                problem(
                    path,
                    0,
                    "file not found: the project needs a bibliography (it may be empty).",
                    root,
                )
            ]
        )
    text = read_text(path, root)
    cache = bibliography_cache(root)
    key = cache.key(rel, text)
    cached = _cached_entries(cache, key)
    if cached is None:
        cached = _parse_entries(text, rel)
        cache.put(key, [[e.key, e.entry_type, e.line, raw] for e, raw in cached])
    cache.save()
    entries = {e.key: e for e, _ in cached}
    raw = {e.key: source for e, source in cached}
    whole = text if _SHARED_SYNTAX.search(text) else ""
    return Bibliography(rel, entries, raw, whole)


def _cached_entries(cache: ParseCache, key: str) -> list[tuple[BibEntry, str]] | None:
    stored = cache.get(key)
    if stored is None:
        return None
    try:
        return [(BibEntry(str(k), str(t), int(n)), str(raw)) for k, t, n, raw in stored]
    except (TypeError, ValueError):  # a damaged entry: parse the file again
        cache.forget(key)
        return None


def _parse_entries(text: str, rel: str) -> list[tuple[BibEntry, str]]:
    """Every entry of the file with its BibTeX source; raise ProblemsError for broken ones."""
    # Imported here: a run that finds the file in the parse cache never needs the parser.
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    library = bibtexparser.parse_string(text)  # type: ignore[attr-defined]
    problems: list[Problem] = []
    for failed in library.failed_blocks:
        line = (failed.start_line or 0) + 1
        if isinstance(failed, DuplicateBlockKeyBlock):
            first = next(e for e in library.entries if e.key == failed.key)
            problems.append(
                Problem(
                    rel,
                    line,
                    f'the key "{failed.key}" is used twice (first at '
                    f"line {(first.start_line or 0) + 1}); keys must be unique.",
                )
            )
        elif isinstance(failed, DuplicateFieldKeyBlock):
            names = ", ".join(sorted(failed.duplicate_keys))
            problems.append(
                Problem(rel, line, f"an entry has the field(s) {names} twice; keep one.")
            )
        else:
            problems.append(
                Problem(
                    rel,
                    line,
                    "this entry cannot be parsed: check for unbalanced "
                    "braces, a missing comma between fields, or a missing key.",
                )
            )
    problems += _reference_loops(library.entries, rel)
    if problems:
        raise ProblemsError(problems)
    return [
        (BibEntry(e.key, e.entry_type.lower(), (e.start_line or 0) + 1), e.raw or "")
        for e in library.entries
    ]


_REFERENCE_FIELDS = ("crossref", "xdata", "xref")


def _reference_loops(entries: list[Any], rel: str) -> list[Problem]:
    """Entries that refer, through crossref, xdata or xref, back to themselves: pandoc would
    follow such a loop until it runs out of memory."""
    refers: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for entry in entries:
        lines[entry.key.lower()] = (entry.start_line or 0) + 1
        targets = []
        for name in _REFERENCE_FIELDS:
            field_ = entry.fields_dict.get(name)
            if field_ is not None:
                targets += [t.strip().lower() for t in str(field_.value).split(",") if t.strip()]
        refers[entry.key.lower()] = targets
    problems = []
    done: set[str] = set()
    for start in sorted(refers):
        # Depth first, one path at a time: a key met again on the current path closes a loop.
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            key, depth = stack.pop()
            del path[depth:]
            if key in path:
                loop = [*path[path.index(key) :], key]
                if not done & set(loop):
                    problems.append(
                        Problem(
                            rel,
                            lines.get(loop[0], 0),
                            f"these entries refer to each other in a loop ({' -> '.join(loop)}); "
                            "remove one crossref, xdata or xref.",
                        )
                    )
                    done |= set(loop)
                continue
            if key in done:
                continue
            path.append(key)
            stack += [(target, depth + 1) for target in reversed(refers.get(key, []))]
        done.add(start)
    return problems


def check_citations(
    blocks: Iterable[Block], bibliography: Bibliography, also_used: Iterable[str] = ()
) -> tuple[list[Problem], list[Problem]]:
    """Errors for unknown keys (every place each occurs), warnings for entries nobody cites.

    `also_used` are keys cited outside blocks (data sources), checked where they are loaded.
    """
    errors: list[Problem] = []
    used: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for block in blocks:
        for citation in block.citations:
            used[citation.key].append((block.path, citation.line))
    for key in sorted(set(used) - set(bibliography.entries)):
        hint = did_you_mean(key, bibliography.entries) if bibliography.entries else ""
        if hint.startswith(" (expected"):
            hint = ""
        for path, line in used[key]:
            errors.append(
                Problem(
                    path,
                    line,
                    f'unknown citation key "@{key}": it is not in {bibliography.path}{hint}.',
                )
            )
    cited_elsewhere = set(also_used)
    warnings = [
        Problem(bibliography.path, entry.line, f'the entry "{key}" is not cited by any block.')
        for key, entry in sorted(bibliography.entries.items())
        if key not in used and key not in cited_elsewhere
    ]
    return errors, warnings
