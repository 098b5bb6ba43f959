"""Typography a reader's language expects, applied to pandoc's tree, not asked of writers.

French sets a narrow no-break space before ; : ! ? and », and a no-break space after «, so that a
line never starts with the mark. Writers type ordinary spaces; briefgen makes them unbreakable
in every format of a French brief.
"""

from __future__ import annotations

import re
from typing import Any

NARROW_NO_BREAK = "\u202f"
NO_BREAK = "\u00a0"
_BEFORE = frozenset(";:!?»")
_TEXT_BEFORE = re.compile(r"[ \u00a0\u202f]+([;:!?»])")
_TEXT_AFTER = re.compile(r"«[ \u00a0\u202f]+")


def uses_french_spacing(locale: str) -> bool:
    return locale == "fr" or locale.startswith("fr-")


def labelled(label: str, value: str, locale: str) -> str:
    """ "Label: value" as the reader's language writes it: a full-width colon and no space in
    Chinese and Japanese, a space before the colon in French (made unbreakable with the rest of
    the brief's French text), a colon and a space otherwise."""
    if locale.split("-")[0] in ("zh", "ja"):
        return f"{label}\uff1a{value}"
    if uses_french_spacing(locale):
        return f"{label} : {value}"
    return f"{label}: {value}"


def french_text(text: str) -> str:
    """A plain text (a title, a label) with French spaces around its marks."""
    text = _TEXT_BEFORE.sub(lambda m: NARROW_NO_BREAK + m.group(1), text)
    return _TEXT_AFTER.sub("«" + NO_BREAK, text)


def french_inlines(node: Any) -> None:
    """Make the spaces around French marks unbreakable, in place, everywhere in a tree."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k != "t")
        elif isinstance(item, list):
            if item and isinstance(item[0], dict) and "t" in item[0]:
                _respace(item)
            stack.extend(item)


def _respace(inlines: list[Any]) -> None:
    for index, node in enumerate(inlines):
        if not isinstance(node, dict):
            continue
        kind = node.get("t")
        if kind == "Str" and isinstance(node.get("c"), str):
            node["c"] = french_text(node["c"])
        elif kind in ("Space", "SoftBreak"):
            after = inlines[index + 1] if index + 1 < len(inlines) else None
            before = inlines[index - 1] if index > 0 else None
            if _starts_with_mark(after):
                inlines[index] = {"t": "Str", "c": NARROW_NO_BREAK}
            elif _ends_with(before, "«"):
                inlines[index] = {"t": "Str", "c": NO_BREAK}


def _starts_with_mark(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if node.get("t") == "Str":
        text = node.get("c", "")
        return isinstance(text, str) and text[:1] in _BEFORE
    return False


def _ends_with(node: Any, mark: str) -> bool:
    if not isinstance(node, dict) or node.get("t") != "Str":
        return False
    text = node.get("c", "")
    return isinstance(text, str) and text.endswith(mark)
