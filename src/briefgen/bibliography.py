"""Load `bibliography.bib` with bibtexparser 2, and check a project's citations against it.

Pandoc alone is not a safe judge: it stops on a malformed file, silently keeps the last of two
duplicate keys, and renders an unknown key as "(missing?)" with exit code 0. So the file is
validated here first, and pandoc only ever sees the entries a brief cites, as CSL JSON.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

from briefgen import pandoc
from briefgen.content import Block
from briefgen.errors import Problem, ProblemsError, did_you_mean, display_path, problem
from briefgen.yamlfile import read_text

BIBLIOGRAPHY_FILE = "bibliography.bib"
# bibtexparser logs each broken entry itself; briefgen reports them as located problems instead.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False


@dataclass(frozen=True)
class BibEntry:
    key: str
    entry_type: str
    line: int


@dataclass(frozen=True)
class Bibliography:
    """The project's sources: BibTeX entries by key, and their CSL JSON form for pandoc."""

    path: str
    entries: dict[str, BibEntry]
    csl: dict[str, dict[str, Any]] = field(hash=False, repr=False)

    def csl_items(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """CSL JSON items for these keys, in key order (so output does not depend on cite order)."""
        return [self.csl[key] for key in sorted(set(keys))]


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
    if problems:
        raise ProblemsError(problems)
    entries = {
        e.key: BibEntry(e.key, e.entry_type.lower(), (e.start_line or 0) + 1)
        for e in library.entries
    }
    csl: dict[str, dict[str, Any]] = {}
    if entries:
        items = json.loads(
            pandoc.run(
                ["-f", "biblatex", "-t", "csljson"], text.encode("utf-8"), what=f"reading {rel}"
            )
        )
        csl = {item["id"]: item for item in items}
    return Bibliography(rel, entries, csl)


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
