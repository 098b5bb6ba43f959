#!/usr/bin/env python3
"""List runs of words that content blocks share with the report, outside quotation marks.

    python scripts/report_overlap.py [--min-words N] [--report FILE] [BLOCK.md ...]

Blocks are written in the project's own words: a run of 15 or more words identical to the report
belongs inside quotation marks (see docs/sources.md). With no files it reads every block under
content/en/. Exit 1 when any run of at least --min-words (default 15) is found.

Matching ignores case, punctuation, line breaks and the report's end-of-line hyphenation; text in
quotation marks (curly or straight double quotes, curly single quotes, > block quotes),
citations and YAML front matter is
left out, and a run never crosses a quotation.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REPORT = REPO.parent / "shared/source/emotional-entanglement.txt"

LSQUO, RSQUO, LDQUO, RDQUO = "\u2018", "\u2019", "\u201c", "\u201d"
_WORD = re.compile(r"[0-9a-z]+(?:'[a-z]+)?")
# A right single quote is also the apostrophe, so single-quoted spans count only when they open
# after a non-word character and close before one.
_QUOTED = re.compile(
    rf"{LDQUO}[^{RDQUO}]*{RDQUO}|\"[^\"\n]*\"|(?<![\w]){LSQUO}[^{RSQUO}]*{RSQUO}(?![\w])"
)
_CITATION = re.compile(r"\[[^\]]*@[^\]]*\]")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace(RSQUO, "'"))


def report_words(text: str) -> list[str]:
    # The report breaks words across lines with a hyphen ("power-\nholders"): join them back.
    joined = re.sub(r"(\w)-\n\s*(\w)", r"\1\2", text)
    return words(joined)


def unquoted_segments(markdown: str) -> list[str]:
    """The block's own prose: the text between quotations, one segment per gap."""
    body = _FRONT_MATTER.sub("", markdown)
    body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))
    body = _CITATION.sub(" ", body)
    return _QUOTED.split(body)


@dataclass(frozen=True)
class Run:
    length: int
    text: str


class Report:
    """The report as a set of n-word shingles, for finding shared runs quickly."""

    def __init__(self, text: str, shingle: int = 8) -> None:
        self.shingle = shingle
        tokens = report_words(text)
        self.shingles = {tuple(tokens[i : i + shingle]) for i in range(len(tokens) - shingle + 1)}

    def shared_runs(self, segment: str, min_words: int) -> Iterator[Run]:
        tokens = words(segment)
        n = self.shingle
        hits = [tuple(tokens[i : i + n]) in self.shingles for i in range(len(tokens) - n + 1)]
        i = 0
        while i < len(hits):
            if not hits[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(hits) and hits[j + 1]:
                j += 1
            length = j - i + n
            if length >= min_words:
                yield Run(length, " ".join(tokens[i : j + n]))
            i = j + 1


def overlaps(report: Report, markdown: str, min_words: int) -> list[Run]:
    found: list[Run] = []
    for segment in unquoted_segments(markdown):
        found.extend(report.shared_runs(segment, min_words))
    return found


def block_files(root: Path) -> Iterable[Path]:
    return sorted((root / "content/en").rglob("*.md"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--min-words", type=int, default=15)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)
    if not args.report.is_file():
        print(f"report text not found at {args.report}", file=sys.stderr)
        return 2
    report = Report(args.report.read_text(encoding="utf-8"), min(8, args.min_words))
    total = 0
    for path in args.files or block_files(REPO):
        for run in overlaps(report, path.read_text(encoding="utf-8"), args.min_words):
            total += 1
            print(f"{path}: {run.length} words shared with the report: {run.text!r}")
    print(f"{total} runs of {args.min_words} or more words", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
