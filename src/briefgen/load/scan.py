"""Read a block's Markdown without rendering it: its citations, and anything it must not contain.

markdown-it-py gives us the document structure with line numbers, so citations inside code are
ignored and every finding points at the line where it stands.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefgen.errors import ToolError
from briefgen.model import Citation
from briefgen.render.sanitize import AUTHOR_CLASSES, safe_link, sanitize_blocks, shown

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
# Only a hint for the line: the verdict on attributes is the sanitizer's (check_with_pandoc).
ATTRIBUTE_KEY = re.compile(r"\b([A-Za-z_][\w:.-]*)\s*=")
# Characters no block needs: C0 and C1 controls (but tab and line ends), and the private-use
# area, which briefgen keeps for the labels that scope a block's link references to it.
FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
SCOPE_MARK = "\ue000"
# Bounds on what pandoc's reader must untangle: unmatched brackets and deep nesting cost it
# time that grows much faster than the text (10,000 "[" ran for minutes).
MAX_BRACKETS = 1000
MAX_NESTING_LEVEL = 14  # markdown-it token levels: about 6 nested lists or quotations
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
    # False when the text breaks a limit (characters, brackets, nesting) that keeps pandoc's
    # reading of it short: then pandoc is not asked for its verdict (pandoc_findings).
    bounded: bool = True


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
_MARKUP = re.compile(
    r"[<`{}!\\#~\x00-\x08\x0b-\x1f\x7f-\x9f\ue000-\uf8ff]|\][(\[:]|\[\^"
    r"|^ *:::|^(?: {4}|\t| *>| *[-+*]\s| *\d+[.)]\s)",
    re.MULTILINE,
)
# Text that pandoc could read as a link, an image, an attribute, a div or raw content: such a
# body is also read by pandoc and put through the sanitizer (content.check_with_pandoc).
_PANDOC_MARKUP = re.compile(r"[<`{}!\\]|\][(\[:]|^ *:::", re.MULTILINE)


def has_markup(body: str) -> bool:
    """Whether a body holds anything but prose and citations (then it is parsed)."""
    return bool(_MARKUP.search(body))


def needs_pandoc(body: str) -> bool:
    """Whether a body could carry a link, image, attribute, div or raw content in pandoc."""
    return bool(_PANDOC_MARKUP.search(body))


def scan_body(body: str, first_line: int) -> BodyScan:
    """Scan a block body that starts at `first_line` of its file."""
    findings = _limits(body, first_line)
    bounded = not findings
    findings += _unclosed_fences(body, first_line)
    if not has_markup(body):
        # Plain prose, the common case: the same result as parsing it, without the parse.
        citations = tuple(find_citations(body, first_line))
        return BodyScan(citations, tuple(findings), bounded)
    scanned = _scan_parsed(body, first_line)
    return BodyScan(
        scanned.citations,
        (*findings, *scanned.findings),
        bounded and scanned.bounded,
    )


# Characters whose runs pandoc's reader untangles in more than linear time.
_BOUNDED_MARKS = (("[", "square brackets"), ("<", 'angle brackets "<"'), ("`", "backticks"))


def _limits(body: str, first_line: int) -> list[Finding]:
    """Characters and sizes no block may have, found before anything parses the text."""
    findings = []
    for match in FORBIDDEN_CHARACTER.finditer(body):
        character = match.group(0)
        findings.append(
            Finding(
                first_line + body.count("\n", 0, match.start()),
                f"the character U+{ord(character):04X} ({_character_kind(character)}) is not "
                "allowed in a block; delete it.",
            )
        )
        if len(findings) >= 10:
            break
    for mark, name in _BOUNDED_MARKS:
        if body.count(mark) > MAX_BRACKETS:
            position = _nth(body, mark, MAX_BRACKETS + 1)
            findings.append(
                Finding(
                    first_line + body.count("\n", 0, position),
                    f"the block has {body.count(mark):,} {name}; more than {MAX_BRACKETS:,} are "
                    "refused (pandoc's reading of them would take minutes). Split the block or "
                    "remove them.",
                )
            )
    return findings


_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _unclosed_fences(body: str, first_line: int) -> list[Finding]:
    """A code fence left open would swallow the next block of the brief (and could turn that
    block's code into live links): every fence a block opens, it closes."""
    fence = ""
    opened = 0
    for number, line in enumerate(body.split("\n")):
        match = _FENCE_OPEN.match(line)
        if not match:
            continue
        run = match.group(1)
        if not fence:
            fence, opened = run, number
        elif run[0] == fence[0] and len(run) >= len(fence) and not line.strip()[len(run) :]:
            fence = ""
    if fence:
        return [
            Finding(
                first_line + opened,
                f'the code fence "{fence}" opened here is never closed; close it in this block.',
            )
        ]
    return []


def _character_kind(character: str) -> str:
    return "private use" if "\ue000" <= character <= "\uf8ff" else "a control character"


def _nth(text: str, needle: str, n: int) -> int:
    position = -1
    for _ in range(n):
        position = text.find(needle, position + 1)
    return position


def _scan_parsed(body: str, first_line: int) -> BodyScan:
    """The full scan, on markdown-it's parse of the body."""
    citations: list[Citation] = []
    findings: list[Finding] = []
    env: dict[str, object] = {}
    tokens = _parser().parse(body, env)
    deepest = max((t.level for t in tokens), default=0)
    if deepest >= MAX_NESTING_LEVEL:
        token = next(t for t in tokens if t.level >= MAX_NESTING_LEVEL)
        findings.append(
            Finding(
                first_line + (token.map[0] if token.map else 0),
                "lists or quotations are nested too deeply here (more than about 6 levels); "
                "flatten them.",
            )
        )
    findings.extend(_definitions(env, body, first_line))
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
    bounded = deepest < MAX_NESTING_LEVEL
    return BodyScan(tuple(citations), tuple(findings), bounded)


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
            findings.append(Finding(line, image_message(str(child.attrGet("src")))))
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if not safe_link(href):
                findings.append(Finding(line, unsafe_link_message(href)))


IMAGE_ADVICE = "give the block a figure in its front matter instead."
LINK_ADVICE = "link to an http(s) or mailto: address, or to a place in the brief (#...)."


def unsafe_link_message(url: str) -> str:
    return f'the link "{shown(url)}" is not allowed in a block; {LINK_ADVICE}'


def image_message(url: str) -> str:
    return f'the image "{shown(url)}" is not allowed in a block; {IMAGE_ADVICE}'


def _definitions(env: dict[str, object], body: str, first_line: int) -> list[Finding]:
    """Link reference definitions, used or not: another block could otherwise reach one."""
    references = env.get("references")
    findings = []
    if isinstance(references, dict):
        for label, definition in sorted(references.items()):
            href = str(definition.get("href", "")) if isinstance(definition, dict) else ""
            if not safe_link(href):
                position = body.casefold().find(f"[{label.casefold()}]:")
                line = first_line + (body.count("\n", 0, position) if position >= 0 else 0)
                findings.append(Finding(line, unsafe_link_message(href)))
    return findings


# A link reference definition: up to three spaces, [label]: destination (CommonMark 4.7).
# Also inside quotations and list items, at any indentation: pandoc reads a definition there as
# one of the whole document's, so it must be scoped to its block like any other.
_DEFINITION = re.compile(
    r"^([ \t]*(?:>[ \t]?)*[ \t]*(?:(?:[-+*]|\d+[.)])[ \t]+)?)\[((?:[^\]\\]|\\.)+)\]:",
    re.MULTILINE,
)
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
        # The private-use mark cannot stand in a block (FORBIDDEN_CHARACTER): no block can
        # write another's scoped label and so use its definitions.
        return f"{scope}{SCOPE_MARK}{label}"

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
        lambda m: f"[^{scope}{SCOPE_MARK}{m.group(1)}]" if m.group(1) in defined else m.group(0),
        body,
    )


_PANDOC_WARNING = re.compile(r"\[WARNING\] (.+?) at line (\d+),? column \d+")
_UNLOCATED_WARNING = re.compile(
    r"\[WARNING\] (.+?)(?: at \S+ line \d+,? column \d+)?$", re.MULTILINE
)
# How a process ended by its CPU limit shows: SIGXCPU or SIGKILL (negative: killed by signal).
_OUT_OF_TIME = (-24, -9, 128 + 24, 128 + 9)
# Pandoc's verdict on one block takes a fraction of a second; more means input built to stall.
# CPU seconds (the kernel's limit): a loaded machine gives the same verdict as a quiet one.
VERDICT_SECONDS = 10


def pandoc_findings(body: str, first_line: int, block_id: str) -> list[Finding]:
    """What the build's sanitizer would drop from this block, read by pandoc as the build
    reads it: the same allowlist, so `check` and the build give the same verdict. Explicit
    identifiers must start with the block's id, so that no two blocks (nor a block and the
    template's sec-N, fig-... and ref-... anchors) can share one."""
    from briefgen.tools import pandoc  # the only scan that runs a tool: imported when needed

    args = ["-f", f"{pandoc.MARKDOWN_READER}-auto_identifiers", "-t", "json"]
    try:
        reading = pandoc.run(
            args,
            body.encode("utf-8"),
            what=f"reading block {block_id}",
            timeout=VERDICT_SECONDS * 3,  # the CPU limit decides; this only if starved
            cpu_seconds=VERDICT_SECONDS,
        )
    except ToolError as error:
        if "no answer" in error.detail or error.exit_code in _OUT_OF_TIME:
            return [
                Finding(
                    first_line,
                    f"pandoc could not read this block in {VERDICT_SECONDS} s of CPU; simplify its "
                    "markup (brackets, emphasis, nesting).",
                )
            ]
        warnings = [
            Finding(first_line + int(m.group(2)) - 1, f"pandoc warns: {m.group(1)}.")
            for m in _PANDOC_WARNING.finditer(error.detail)
        ]
        # A warning from inside a quotation or a list names no line of the block: it is
        # still the block's problem, said at its first line.
        warnings += [
            Finding(first_line, f"pandoc warns: {m.group(1)}.")
            for m in _UNLOCATED_WARNING.finditer(error.detail)
            if not _PANDOC_WARNING.match(m.group(0))
        ]
        if not warnings:
            raise
        return warnings
    try:
        tree = pandoc.read_ast(reading)
    except ValueError:
        raise ToolError(
            f"pandoc (reading block {block_id})",
            "it printed something that is not a pandoc document; reinstall pypandoc-binary.",
        ) from None
    if not isinstance(tree, dict):
        raise ToolError(f"pandoc (reading block {block_id})", "it printed no pandoc document.")
    kept, dropped = sanitize_blocks(tree.get("blocks", []), classes=AUTHOR_CLASSES)
    lines = body.split("\n")
    findings = [
        Finding(
            _line_of(lines, item.value, first_line),
            f"{item.what} is not allowed in a block; {_advice(item.what)}",
        )
        for item in dropped
    ]
    for identifier in _identifiers(kept):
        # Block ids have single hyphens only (project.SLUG), and so do the template's anchors
        # (sec-1, fig-<block>, ref-<key>): "<block id>--" is a namespace no one else uses.
        if not identifier.startswith(f"{block_id}--") or identifier == f"{block_id}--":
            findings.append(
                Finding(
                    _line_of(lines, f"#{identifier}", first_line),
                    f'the identifier "#{identifier}" must start with the block\'s id and two '
                    f'hyphens ("#{block_id}--..."), so that it is unique in every brief.',
                )
            )
    return findings


def _advice(what: str) -> str:
    if what.startswith("the link"):
        return LINK_ADVICE
    if what.startswith("the image"):
        return IMAGE_ADVICE
    if what.startswith("the class"):
        return f"the classes a block may use are {', '.join(sorted(AUTHOR_CLASSES))}."
    if what.startswith("the attribute"):
        return "the only attribute a block may set is lang= (a language tag)."
    return "write Markdown text, links and emphasis only."


def _line_of(lines: list[str], value: str, first_line: int) -> int:
    if value:
        for number, text in enumerate(lines):
            if value in text:
                return first_line + number
    return first_line


def _identifiers(node: object) -> list[str]:
    """Every explicit identifier in a sanitized pandoc tree (Attr values)."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if (
                len(item) == 3
                and isinstance(item[0], str)
                and isinstance(item[1], list)
                and isinstance(item[2], list)
                and item[0]
            ):
                found.append(item[0])
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return sorted(set(found))
