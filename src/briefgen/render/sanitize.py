"""Keep only what is known to be safe in a pandoc document: the allowlist every output passes.

Content, translations and branding are untrusted. Rather than look for what is dangerous (a
blocklist misses the next trick: a control character before a scheme, an attribute pandoc
passes through, a link defined in another block), this module walks pandoc's AST by its
structure and keeps only known element kinds, attributes, classes and URL schemes, the way
Ammonia and bleach treat HTML. What it does not know, it drops, and says what it dropped.

The build runs it on each brief's whole document after pandoc has resolved every link
reference and citation; `check` runs the same function on each block's own reading
(content.py), so the two give the same verdicts: what `check` accepts, the build keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# URL schemes a link may use; anything else (javascript:, data:, file:, vbscript:, a relative
# path that a writer might resolve against the disk) is dropped. "#..." is a place in the brief.
LINK_SCHEMES = ("http", "https", "mailto")
# Classes a block may write: they change only how text looks.
AUTHOR_CLASSES = frozenset({"smallcaps", "underline", "mark", "unnumbered", "unlisted"})
# Classes briefgen's templates and pandoc's citeproc put into every brief.
BRIEFGEN_CLASSES = frozenset(
    {
        "untranslated-note",
        "since-report",
        "uri",
        "references",
        "csl-bib-body",
        "csl-entry",
        "hanging-indent",
        "csl-left-margin",
        "csl-right-inline",
        "csl-block",
        "csl-indent",
    }
)
ALLOWED_CLASSES = AUTHOR_CLASSES | BRIEFGEN_CLASSES
# Key-value attributes, each with the values it may take.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
_KEY_VALUES: dict[str, re.Pattern[str]] = {
    "lang": LANGUAGE_TAG,
    "width": re.compile(r"\d{1,3}%"),  # a figure's width (document.figure_markdown)
    "entry-spacing": re.compile(r"\d{1,2}"),  # citeproc's bibliography
    "line-spacing": re.compile(r"\d{1,2}"),
}
# Pandoc's identifiers: its own (sec-1, ref-key, auto-identifiers of headings, which keep
# Chinese letters) and an author's {#id}; printed escaped, as an attribute value.
IDENTIFIER = re.compile(r"\w[\w.:/-]{0,199}")
# Browsers drop C0 controls and spaces around a URL, and tabs and newlines inside it, before
# they read its scheme: "\x01javascript:" runs as javascript:. Drop them all first, as they do.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")

BLOCK_KINDS = frozenset(
    {
        "Plain",
        "Para",
        "LineBlock",
        "CodeBlock",
        "BlockQuote",
        "OrderedList",
        "BulletList",
        "DefinitionList",
        "Header",
        "HorizontalRule",
        "Table",
        "Figure",
        "Div",
    }
)
_LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak"})
_STYLED = frozenset(
    {"Emph", "Underline", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps"}
)


def normalized_url(url: str) -> str:
    """A URL as a browser reads it: without the control characters and spaces it ignores."""
    return _URL_NOISE.sub("", url)


def safe_link(url: str) -> bool:
    """Whether a link target may stand in an output: http(s), mailto, or a place in the brief."""
    url = normalized_url(url)
    if url.startswith("#"):
        return len(url) > 1
    scheme = _SCHEME.match(url)
    return (
        scheme is not None and scheme.group(1).lower() in LINK_SCHEMES and len(url) > scheme.end()
    )


@dataclass(frozen=True)
class Dropped:
    """Something the allowlist did not keep: what it was, and the text that shows where."""

    what: str
    value: str  # the attribute, class, URL or element as written, to find its line


@dataclass
class Sanitizer:
    """One pass over a document. `images` are the only image targets kept (a brief's own
    figures); `classes` the classes allowed (authors may write fewer than briefgen does)."""

    images: frozenset[str] = frozenset()
    classes: frozenset[str] = ALLOWED_CLASSES
    dropped: list[Dropped] = field(default_factory=list)

    def _drop(self, what: str, value: str) -> None:
        self.dropped.append(Dropped(what, value))

    # -- attributes ----------------------------------------------------------------------
    def attr(self, attr: list[Any]) -> list[Any]:
        identifier, classes, pairs = attr
        if identifier and not IDENTIFIER.fullmatch(identifier):
            self._drop(f'the identifier "{identifier}"', identifier)
            identifier = ""
        kept_classes = []
        for name in classes:
            if name in self.classes:
                kept_classes.append(name)
            else:
                self._drop(f'the class ".{name}"', name)
        kept_pairs = []
        for key, value in pairs:
            pattern = _KEY_VALUES.get(key)
            if pattern is not None and pattern.fullmatch(value):
                kept_pairs.append([key, value])
            else:
                self._drop(f'the attribute "{key}="', key)
        return [identifier, kept_classes, kept_pairs]

    # -- blocks --------------------------------------------------------------------------
    def blocks(self, blocks: list[Any]) -> list[Any]:
        kept = []
        for block in blocks:
            cleaned = self.block(block)
            if cleaned is not None:
                kept.append(cleaned)
        return kept

    def block(self, node: Any) -> Any:
        kind = node.get("t") if isinstance(node, dict) else None
        if kind not in BLOCK_KINDS:
            self._drop(_element(kind), _raw_text(node))
            return None
        content = node.get("c")
        handler = _BLOCK_HANDLERS.get(kind)
        return {"t": kind, "c": handler(self, content)} if handler else {"t": kind}

    # -- inlines -------------------------------------------------------------------------
    def inlines(self, inlines: list[Any]) -> list[Any]:
        kept: list[Any] = []
        for node in inlines:
            kind = node.get("t") if isinstance(node, dict) else None
            if kind in _LEAVES:
                kept.append(node)
            elif kind in _STYLED:
                kept.append({"t": kind, "c": self.inlines(node["c"])})
            elif kind == "Quoted":
                kept.append(
                    {"t": kind, "c": [_quote_type(node["c"][0]), self.inlines(node["c"][1])]}
                )
            elif kind == "Cite":
                kept.append(
                    {"t": kind, "c": [self.citations(node["c"][0]), self.inlines(node["c"][1])]}
                )
            elif kind == "Code":
                kept.append({"t": kind, "c": [self.attr(node["c"][0]), str(node["c"][1])]})
            elif kind == "Span":
                kept.append({"t": kind, "c": [self.attr(node["c"][0]), self.inlines(node["c"][1])]})
            elif kind == "Note":
                kept.append({"t": kind, "c": self.blocks(node["c"])})
            elif kind == "Link":
                kept.extend(self.link(node["c"]))
            elif kind == "Image":
                kept.extend(self.image(node["c"]))
            else:  # RawInline, Math, or anything pandoc may add later
                self._drop(_element(kind), _raw_text(node))
        return kept

    def link(self, content: list[Any]) -> list[Any]:
        attr, text, (url, title) = content
        attr, text = self.attr(attr), self.inlines(text)
        if not safe_link(url):
            self._drop(f'the link "{shown(url)}"', url)
            return text  # the words stay, the link goes
        return [{"t": "Link", "c": [attr, text, [normalized_url(url), str(title)]]}]

    def image(self, content: list[Any]) -> list[Any]:
        attr, alt, (url, title) = content
        attr, alt = self.attr(attr), self.inlines(alt)
        if url not in self.images:
            self._drop(f'the image "{shown(url)}"', url)
            return alt
        return [{"t": "Image", "c": [attr, alt, [url, str(title)]]}]

    def citations(self, citations: list[Any]) -> list[Any]:
        return [
            {
                **citation,
                "citationPrefix": self.inlines(citation.get("citationPrefix", [])),
                "citationSuffix": self.inlines(citation.get("citationSuffix", [])),
            }
            for citation in citations
        ]

    # -- structures ----------------------------------------------------------------------
    def caption(self, caption: list[Any]) -> list[Any]:
        short, long = caption
        return [None if short is None else self.inlines(short), self.blocks(long)]

    def rows(self, rows: list[Any]) -> list[Any]:
        return [[self.attr(attr), [self.cell(cell) for cell in cells]] for attr, cells in rows]

    def cell(self, cell: list[Any]) -> list[Any]:
        attr, alignment, rowspan, colspan, blocks = cell
        return [
            self.attr(attr),
            _alignment(alignment),
            int(rowspan),
            int(colspan),
            self.blocks(blocks),
        ]

    def table(self, content: list[Any]) -> list[Any]:
        attr, caption, specs, head, bodies, foot = content
        return [
            self.attr(attr),
            self.caption(caption),
            [[_alignment(a), _col_width(w)] for a, w in specs],
            [self.attr(head[0]), self.rows(head[1])],
            [[self.attr(b[0]), int(b[1]), self.rows(b[2]), self.rows(b[3])] for b in bodies],
            [self.attr(foot[0]), self.rows(foot[1])],
        ]


_BLOCK_HANDLERS: dict[str, Callable[[Sanitizer, Any], Any]] = {
    "Plain": lambda s, c: s.inlines(c),
    "Para": lambda s, c: s.inlines(c),
    "LineBlock": lambda s, c: [s.inlines(line) for line in c],
    "CodeBlock": lambda s, c: [s.attr(c[0]), str(c[1])],
    "BlockQuote": lambda s, c: s.blocks(c),
    "OrderedList": lambda s, c: [_list_attributes(c[0]), [s.blocks(item) for item in c[1]]],
    "BulletList": lambda s, c: [s.blocks(item) for item in c],
    "DefinitionList": lambda s, c: [
        [s.inlines(term), [s.blocks(d) for d in definitions]] for term, definitions in c
    ],
    "Header": lambda s, c: [int(c[0]), s.attr(c[1]), s.inlines(c[2])],
    "Table": lambda s, c: s.table(c),
    "Figure": lambda s, c: [s.attr(c[0]), s.caption(c[1]), s.blocks(c[2])],
    "Div": lambda s, c: [s.attr(c[0]), s.blocks(c[1])],
}
_QUOTE_TYPES = frozenset({"SingleQuote", "DoubleQuote"})
_ALIGNMENTS = frozenset({"AlignLeft", "AlignRight", "AlignCenter", "AlignDefault"})
_NUMBER_STYLES = frozenset(
    {"DefaultStyle", "Example", "Decimal", "LowerRoman", "UpperRoman", "LowerAlpha", "UpperAlpha"}
)
_DELIMITERS = frozenset({"DefaultDelim", "Period", "OneParen", "TwoParens"})


def _quote_type(value: Any) -> dict[str, str]:
    return {"t": value["t"] if value.get("t") in _QUOTE_TYPES else "DoubleQuote"}


def _alignment(value: Any) -> dict[str, str]:
    return {"t": value["t"] if value.get("t") in _ALIGNMENTS else "AlignDefault"}


def _col_width(value: Any) -> Any:
    if value.get("t") == "ColWidth" and isinstance(value.get("c"), int | float):
        return {"t": "ColWidth", "c": float(value["c"])}
    return {"t": "ColWidthDefault"}


def _list_attributes(value: list[Any]) -> list[Any]:
    start, style, delimiter = value
    return [
        int(start),
        {"t": style["t"] if style.get("t") in _NUMBER_STYLES else "DefaultStyle"},
        {"t": delimiter["t"] if delimiter.get("t") in _DELIMITERS else "DefaultDelim"},
    ]


def _element(kind: Any) -> str:
    if kind in ("RawBlock", "RawInline"):
        return "raw content"
    return f"a {kind} element" if kind else "an unknown element"


def _raw_text(node: Any) -> str:
    """The text of a dropped raw element, to find where it stands in the source."""
    if isinstance(node, dict) and node.get("t") in ("RawBlock", "RawInline"):
        return str(node["c"][1])[:60]
    return ""


def shown(url: str) -> str:
    """A URL as an error message may print it: no control characters, not too long."""
    visible = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in url)
    return visible if len(visible) <= 80 else visible[:77] + "..."


def sanitize_blocks(
    blocks: list[Any],
    images: frozenset[str] = frozenset(),
    classes: frozenset[str] = ALLOWED_CLASSES,
) -> tuple[list[Any], list[Dropped]]:
    """The blocks with only what the allowlist keeps, and what it dropped."""
    sanitizer = Sanitizer(images=images, classes=classes)
    kept = sanitizer.blocks(blocks)
    return kept, sanitizer.dropped


# --- the second layer: Ammonia (nh3) over the HTML page ------------------------------------
# The tree above is the allowlist; nh3 applies one of its own to the page pandoc wrote, so that
# a bug in either (or in pandoc's writer) still leaves no script, handler or foreign URL in a
# page. What a brief's body may hold, as pandoc's HTML writer and briefgen's template write it.
PAGE_TAGS = frozenset(
    {
        "a", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div", "dl",
        "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "img", "li", "main", "mark", "nav", "ol", "p", "pre", "section", "span",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
        "u", "ul",
    }
)  # fmt: skip
_COMMON = {"id", "class", "lang", "role", "aria-label", "aria-hidden", "dir"}
PAGE_ATTRIBUTES = {
    "*": _COMMON,
    "a": {"href", "title"},
    "img": {"src", "alt", "style", "width", "height"},
    "col": {"style", "span"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan", "scope"},
    "ol": {"type", "start"},
    "div": {"data-entry-spacing", "data-line-spacing"},
    "span": {"data-cites"},
    "time": {"datetime"},
}
PAGE_STYLES = {"width", "height", "text-align"}


def _page_attribute(tag: str, name: str, value: str) -> str | None:
    """Images only from the brief itself (data: URIs briefgen put there); no data: links."""
    url = normalized_url(value).lower()
    if name == "src" and not url.startswith("data:image/"):
        return None
    if name == "href" and url.startswith("data:"):
        return None
    return value


def clean_page(page: bytes) -> bytes:
    """An HTML page whose body has passed Ammonia's allowlist (the head is briefgen's own)."""
    import nh3

    text = page.decode("utf-8")
    start = text.find("<body")
    end = text.rfind("</body>")
    if start < 0 or end < 0:
        return page
    opening = text.index(">", start) + 1
    body = nh3.clean(
        text[opening:end],
        tags=set(PAGE_TAGS),
        attributes={k: set(v) for k, v in PAGE_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=_page_attribute,
        filter_style_properties=set(PAGE_STYLES),
        link_rel=None,
        strip_comments=True,
    )
    return (text[:opening] + body + text[end:]).encode("utf-8")
