"""The checks every loader makes of the values it reads from YAML, and the callbacks they report
through.

A loader knows the file it reads and how to find a line in it; the checks here know only the
value. So each check is given a report callback, and each loader passes one that places the
message: by the key it is about (`Report`), at a line (`ReportLine`), or at a place the loader
already chose (`ReportHere`). The messages are the ones users see: keep their words.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol

from briefgen.errors import did_you_mean

# The words a message uses for a vocabulary's single value.
SINGULAR = {"audiences": "audience", "use_cases": "use case", "rights": "right"}


class Report(Protocol):
    """Record a problem with the field `key` of the file being read (the loader finds its line)."""

    def __call__(self, key: str, message: str) -> None: ...


class ReportLine(Protocol):
    """Record a problem at `line` of the file being read."""

    def __call__(self, line: int, message: str) -> None: ...


class ReportHere(Protocol):
    """Record a problem at the place the loader chose for this value."""

    def __call__(self, message: str) -> None: ...


def unknown_keys(
    mapping: Mapping[Any, Any],
    known: Collection[str],
    report: Report,
    what: str = "field",
    prefix: str = "",
) -> None:
    """Report each key of `mapping` that is not `known` (sorted), with the nearest known one:
    'unknown <what> "<prefix><key>" (did you mean ...?).'"""
    for key in sorted(set(mapping) - set(known)):
        report(str(key), unknown(what, f"{prefix}{key}", str(key), known))


def unknown(what: str, shown: str, value: str, known: Iterable[str]) -> str:
    """'unknown <what> "<shown>"', with the known value nearest to `value` if one is close."""
    return f'unknown {what} "{shown}"{did_you_mean(value, known)}.'


def per_locale(value: Any, source: str, name: str, report: ReportHere) -> dict[str, str]:
    """A text (the source locale's), or a mapping of locale to text: locale -> text."""
    if isinstance(value, dict):
        return {str(k): str(v).strip() for k, v in value.items()}
    if value is None or isinstance(value, list):
        report(f'"{name}" must be text, or a mapping of locale to text.')
        return {}
    return {source: str(value).strip()}


def terms(
    value: Any,
    name: str,
    vocabulary: dict[str, str],
    report: ReportHere,
    not_a_list: str,
    allow_all: bool,
) -> frozenset[str]:
    """A list of a vocabulary's values (one value alone, or "all" where `allow_all`); reports
    `not_a_list` for anything else, and each unknown value (check_terms)."""
    if allow_all and value == "all":
        return frozenset(vocabulary)
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        report(not_a_list)
        return frozenset()
    return frozenset(check_terms(values, name, vocabulary, report, allow_all))


def check_terms(
    values: Iterable[Any],
    name: str,
    vocabulary: dict[str, str],
    report: ReportHere,
    allow_all: bool = False,
) -> list[str]:
    """Keep the known values; report each unknown one with a suggestion."""
    kept = []
    singular = SINGULAR.get(name, name)
    for value in values:
        if not isinstance(value, str):
            report(f"each {singular} must be a name, not {_kind_of(value)}.")
            continue
        if allow_all and value == "all":
            return list(vocabulary)
        if value in vocabulary:
            kept.append(str(value))
        else:
            report(unknown(singular, value, value, vocabulary))
    return kept


def _kind_of(value: Any) -> str:
    """A YAML value's kind, as a user would name it in an error message."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return f'"{value}"'
