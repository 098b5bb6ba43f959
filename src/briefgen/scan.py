"""Read a block's Markdown without rendering it: its citations, and anything it must not contain.

markdown-it-py gives us the document structure with line numbers, so citations inside code are
ignored and every finding points at the line where it stands.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefgen.model import Citation

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# Pandoc's citation key: starts with a letter, digit or _, then alphanumerics and single internal
# punctuation from :.#$%&-+?<>~/ ; or any text in braces, @{like this}. An @ right after a word
# character (an e-mail address) is not a citation. https://pandoc.org/MANUAL.html#citation-syntax
CITATION = re.compile(
    r"(?<![\w@])@(?:\{(?P<braced>[^{}\s]+)\}|(?P<key>[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*))"
)
RAW_ATTRIBUTE = re.compile(r"^\{=[^}]*\}")
# Pandoc attributes ({#id .class key=value}) on links, spans, divs and headings: event handlers
# and inline styles would reach the HTML as real attributes.
EVENT_ATTRIBUTE = re.compile(r"\{[^{}]*?\b(on[a-z]+|style|srcdoc|formaction)\s*=", re.IGNORECASE)
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
# A brief's title, sections and block titles are headings of levels 1 to 3; blocks start below.
BLOCK_HEADING_LEVEL = 4


@dataclass(frozen=True)
class Finding:
    line: int
    message: str


@dataclass(frozen=True)
class BodyScan:
    citations: tuple[Citation, ...]
    findings: tuple[Finding, ...]
    words: int


@functools.cache
def _parser() -> MarkdownIt:
    # Made, and markdown-it imported, on the first block parsed: a run that finds every block
    # in the parse cache needs neither.
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": True})
    # markdown-it drops javascript: links to plain text, but pandoc would still make them
    # links: let every link through so that the check below sees it.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


def find_citations(text: str, first_line: int = 1) -> list[Citation]:
    """Citation keys in plain text, with the line each stands on."""
    found = []
    for match in CITATION.finditer(text):
        key = match.group("braced") or match.group("key")
        found.append(Citation(key, first_line + text.count("\n", 0, match.start())))
    return found


# Text with none of these can hold no markup that the full scan looks for (HTML, code, images,
# links, attributes, headings, escapes, fences): its citations are all it has, found by regex.
_MARKUP = re.compile(r"[<`{}!\\#~]|\]\(|^(?: {4}|\t)", re.MULTILINE)


def scan_body(body: str, first_line: int) -> BodyScan:
    """Scan a block body that starts at `first_line` of its file."""
    if not _MARKUP.search(body):
        # Plain prose, the common case: the same result as parsing it, without the parse.
        return BodyScan(tuple(find_citations(body, first_line)), (), len(body.split()))
    return _scan_parsed(body, first_line)


def _scan_parsed(body: str, first_line: int) -> BodyScan:
    """The full scan, on markdown-it's parse of the body."""
    citations: list[Citation] = []
    findings: list[Finding] = []
    tokens = _parser().parse(body)
    for token in tokens:
        line = first_line + (token.map[0] if token.map else 0)
        if token.type == "html_block":
            snippet = token.content.strip().splitlines()[0][:60] if token.content.strip() else ""
            findings.append(
                Finding(
                    line, f'raw HTML "{snippet}" is not allowed in a block; write Markdown instead.'
                )
            )
        elif token.type == "fence" and token.info.strip().startswith("{="):
            findings.append(
                Finding(
                    line,
                    f'a raw "{token.info.strip()}" block is not allowed in '
                    "a block; write Markdown.",
                )
            )
        elif token.type == "heading_open" and int(token.tag[1]) < BLOCK_HEADING_LEVEL:
            findings.append(
                Finding(
                    line,
                    f"a level-{token.tag[1]} heading is not allowed in a block "
                    "(the brief uses levels 1-3); use #### or lower.",
                )
            )
        elif token.type == "inline":
            _scan_inline(token, line, citations, findings)
    for number, text in enumerate(body.splitlines(), start=first_line):
        match = EVENT_ATTRIBUTE.search(text)
        if match:
            findings.append(
                Finding(
                    number,
                    f'the attribute "{match.group(1)}=" is not allowed in '
                    "a block: event handlers and styles could run or "
                    "restyle the published page; remove it.",
                )
            )
    return BodyScan(tuple(citations), tuple(findings), len(body.split()))


def _scan_inline(
    token: Token, line: int, citations: list[Citation], findings: list[Finding]
) -> None:
    children = token.children or []
    for index, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "text":
            citations.extend(find_citations(child.content, line))
            line += child.content.count("\n")
        elif child.type == "html_inline":
            findings.append(
                Finding(
                    line,
                    f'raw HTML "{child.content}" is not allowed in a '
                    "block; write Markdown instead.",
                )
            )
        elif child.type == "code_inline":
            following = children[index + 1] if index + 1 < len(children) else None
            if (
                following is not None
                and following.type == "text"
                and RAW_ATTRIBUTE.match(following.content)
            ):
                findings.append(
                    Finding(line, "raw inline content (`...`{=format}) is not allowed in a block.")
                )
        elif child.type == "image":
            findings.append(
                Finding(
                    line,
                    f'the image "{child.attrGet("src")}" is not allowed in a '
                    "block's text (pandoc would fetch or embed the file); "
                    "give the block a figure in its front matter instead.",
                )
            )
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if href.strip().lower().startswith(UNSAFE_SCHEMES):
                findings.append(
                    Finding(
                        line,
                        f'the link "{href}" is not allowed in a block; link '
                        "to an http(s) address instead.",
                    )
                )


# A link reference definition: up to three spaces, [label]: destination (CommonMark 4.7).
_DEFINITION = re.compile(r"^( {0,3})\[((?:[^\]\\]|\\.)+)\]:", re.MULTILINE)
_FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)")


def _normalize_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def scope_link_references(body: str, scope: str) -> str:
    """Make a block's reference links its own: `[text][foo]` and `[foo]: url` become
    `[text][scope--foo]` and `[scope--foo]: url`.

    In one pandoc document, two blocks that define the same label clash ("Duplicate link
    reference"), and a block could silently use another's definition. Scoping the labels to the
    block id keeps each block's references to itself. Text inside code fences is left alone.
    """
    body = _scope_footnotes(body, scope)
    labels = {
        _normalize_label(m.group(2))
        for m in _DEFINITION.finditer(body)
        if not m.group(2).startswith("^")  # footnotes, scoped above
    }
    if not labels:
        return body

    def scoped(label: str) -> str:
        return f"{scope}--{label}"

    # [text][label], [label][] and [label] (a shortcut reference), where label is defined here.
    usage = re.compile(r"(\[(?:[^\]\\]|\\.)*\])(?:\[((?:[^\]\\]|\\.)*)\])?(?![(:\[])")
    lines = body.split("\n")
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE_LINE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        definition = _DEFINITION.match(line)
        if definition and _normalize_label(definition.group(2)) in labels:
            label = _normalize_label(definition.group(2))
            line = f"{definition.group(1)}[{scoped(label)}]:" + line[definition.end() :]
            lines[index] = line
            continue

        def replace(match: re.Match[str]) -> str:
            text, reference = match.group(1), match.group(2)
            label = _normalize_label(reference if reference else text[1:-1])
            if label not in labels:
                return match.group(0)
            return f"{text}[{scoped(label)}]"

        lines[index] = usage.sub(replace, line)
    return "\n".join(lines)


_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")


def _scope_footnotes(body: str, scope: str) -> str:
    """Footnotes clash across blocks the same way: `[^1]` becomes `[^scope--1]`."""
    defined = {m.group(2)[1:] for m in _DEFINITION.finditer(body) if m.group(2).startswith("^")}
    if not defined:
        return body
    return _FOOTNOTE.sub(
        lambda m: f"[^{scope}--{m.group(1)}]" if m.group(1) in defined else m.group(0), body
    )
