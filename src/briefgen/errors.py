"""The errors briefgen raises, each a sentence that says where the problem is.

    BriefgenError
    ├── ProblemsError   one or more problems in the user's files, all reported together
    └── ToolError       pandoc or typst failed (carries the command, exit code and stderr)

Low-level errors (YAML, Jinja2, bibtexparser, subprocess, OS) are translated into these at the
boundary where they happen, so the CLI never shows a traceback for a user mistake.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True, order=True)
class Problem:
    """One diagnostic in one place: `path:line: message`, with its severity.

    error: nothing is built; warning: built, but `--strict` fails; note: for information
    (e.g. a block shown in the source language).
    """

    path: str
    line: int
    message: str
    severity: str = "error"

    def as_error(self) -> Problem:
        return Problem(self.path, self.line, self.message)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def problem(path: Path | str, line: int, message: str, root: Path | None = None) -> Problem:
    """Build a Problem whose path is shown relative to the project root."""
    return Problem(display_path(path, root), line, message)


def display_path(path: Path | str, root: Path | None = None) -> str:
    path = Path(path)
    if root is not None:
        # By text first: a project's thousands of block paths all start with its root, and
        # Path.relative_to costs more than the rest of a cached block's load.
        text, base = os.fspath(path), os.path.join(os.fspath(root), "")
        if text.startswith(base):
            return text[len(base) :].replace(os.sep, "/")
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """' (did you mean "x"?)' for a near miss, else a list of what is allowed."""
    known = sorted(known)
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    # A short form ("zh" for "zh-Hans", "gov" for "government") is too short for difflib's
    # ratio, but names one value when exactly one starts with it.
    starting = [k for k in known if value and k.lower().startswith(value.lower())]
    if not close and len(starting) == 1:
        close = starting
    if close:
        return f' (did you mean "{close[0]}"?)'
    return f" (expected one of: {', '.join(known)})" if known else ""


class BriefgenError(Exception):
    """Base of every error briefgen raises on purpose."""


class ProblemsError(BriefgenError):
    """The user's project has problems; all of them are listed, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems = tuple(sorted(set(problems)))
        self.warnings = tuple(sorted(set(warnings)))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:  # survives the trip back from a worker process
        return (ProblemsError, (self.problems, self.warnings))


class ToolError(BriefgenError):
    """An outside tool (pandoc, typst) failed; the message names what it was doing."""

    def __init__(self, what: str, detail: str, command: str = "", exit_code: int | None = None):
        self.what = what
        self.detail = detail.strip()
        self.command = command
        self.exit_code = exit_code
        code = f" (exit code {exit_code})" if exit_code is not None else ""
        super().__init__(f"{what} failed{code}: {self.detail}")

    def __reduce__(self) -> tuple[Any, ...]:  # survives the trip back from a worker process
        return (ToolError, (self.what, self.detail, self.command, self.exit_code))
