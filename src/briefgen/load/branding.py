"""Read and check briefgen.yaml's `branding:` into one Branding value (model.py).

Every problem names the line of the key it is about and says how to fix it: an unknown key gets
the nearest known one, a colour too light for text gets a darker one of the same hue, a font
Typst cannot find gets the families it can, a logo must be a readable PNG or SVG with alt text.
"""

from __future__ import annotations

import colorsys
import difflib
import re
from pathlib import Path
from typing import Any

from briefgen.assemble.charts import image_decodes
from briefgen.load.fields import Report, ReportLine, per_locale, unknown_keys
from briefgen.model import HEX_COLOUR, Branding
from briefgen.tools import typst as typst_pdf

BRANDING_KEYS = {
    "organisation": "who prepared the briefs (text, or locale to text)",
    "contact": "a contact line printed on every brief (text, or locale to text)",
    "logo": "file: a PNG or SVG in the project; alt: what it shows (text, or locale to text)",
    "accent": 'the accent colour, "#rrggbb"',
    "fonts": "body and heading: font family names",
}
LOGO_KEYS = ("file", "alt")
FONT_KEYS = ("body", "heading")
# WCAG AA for body-size text: headings and links are set in the accent, on white.
TEXT_CONTRAST = 4.5
# A family name goes into CSS strings and Typst's font list: no quotes, brackets or markup.
FONT_NAME = re.compile(r"^[^\W_][\w .\-]*$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_branding(value: Any, line: int, root: Path, source: str, report: ReportLine) -> Branding:
    """`branding:` (found at `line`), checked; a bad value is reported and left at its default."""
    if value is None:
        return Branding(source_locale=source)
    if not isinstance(value, dict):
        report(line, f'"branding" must be a mapping ({", ".join(BRANDING_KEYS)}).')
        return Branding(source_locale=source)
    unknown_keys(value, BRANDING_KEYS, _at_key(value, line, report), "key", "branding.")
    organisation = _texts(value, "organisation", line, source, report)
    contact = _texts(value, "contact", line, source, report)
    logo, logo_alt = _logo(
        value.get("logo"), _line(value, "logo", line), root, source, report, organisation
    )
    body_font, heading_font = _fonts(value.get("fonts"), _line(value, "fonts", line), root, report)
    return Branding(
        organisation=organisation,
        contact=contact,
        logo=logo,
        logo_alt=logo_alt,
        accent=_accent(value.get("accent", Branding.accent), _line(value, "accent", line), report),
        body_font=body_font,
        heading_font=heading_font,
        source_locale=source,
    )


def _line(mapping: Any, key: str, default: int) -> int:
    """The line of `key` in a mapping read from YAML (yamlfile.LineDict), else `default`."""
    line_of = getattr(mapping, "line_of", None)
    return int(line_of(key)) if line_of else default


def _at_key(mapping: Any, default: int, report: ReportLine) -> Report:
    """`report`, placing each message at the line of the key it is about."""
    return lambda key, message: report(_line(mapping, key, default), message)


def _texts(
    mapping: dict[str, Any], key: str, line: int, source: str, report: ReportLine
) -> dict[str, str]:
    """A text, or a mapping of locale to text, as locale -> text."""
    if key not in mapping:
        return {}
    value = mapping[key]
    where = _line(mapping, key, line)
    texts = per_locale(value, source, f"branding.{key}", lambda message: report(where, message))
    # A locale given an empty text falls back to the source's (Branding._text).
    return {locale: text for locale, text in texts.items() if text or not isinstance(value, dict)}


def _accent(value: Any, line: int, report: ReportLine) -> str:
    accent = str(value).strip()
    if not HEX_COLOUR.match(accent):
        report(line, f'"branding.accent" must be a colour like "#1f4e79", not "{accent}".')
        return Branding.accent
    ratio = contrast_on_white(accent)
    if ratio < TEXT_CONTRAST:
        report(
            line,
            f'"branding.accent" {accent} is too light for text on white ({ratio:.1f}:1; headings '
            f'and links need {TEXT_CONTRAST}:1): use a darker shade such as "{darkened(accent)}".',
        )
        return Branding.accent
    return accent.lower()


def _luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(colour: str) -> float:
    return 1.05 / (_luminance(colour) + 0.05)


def darkened(colour: str) -> str:
    """The lightest shade of `colour`'s hue and saturation that text on white can use."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    while lightness > 0:
        lightness = max(0.0, lightness - 0.01)
        rgb = colorsys.hls_to_rgb(hue, lightness, saturation)
        shade = "#" + "".join(f"{round(c * 255):02x}" for c in rgb)
        if contrast_on_white(shade) >= TEXT_CONTRAST:
            return shade
    return "#000000"


def _fonts(value: Any, line: int, root: Path, report: ReportLine) -> tuple[str, str]:
    """The body and heading families; each must be a family Typst can set the PDF in."""
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        report(line, '"branding.fonts" must be a mapping with body and heading font names.')
        return "", ""
    unknown_keys(value, FONT_KEYS, _at_key(value, line, report), "key", "branding.fonts.")
    chosen = {key: str(value.get(key) or "").strip() for key in FONT_KEYS}
    families: tuple[str, ...] = ()
    for key, name in chosen.items():
        if not name:
            continue
        where = _line(value, key, line)
        if not FONT_NAME.match(name):
            report(
                where,
                f'"branding.fonts.{key}" "{name}" is not a font family name (letters, digits, '
                "spaces, dots and hyphens).",
            )
            chosen[key] = ""
            continue
        families = families or typst_pdf.font_families(typst_pdf.font_folders(root))
        known = {family.lower(): family for family in families}
        if name.lower() not in known:
            close = difflib.get_close_matches(name, families, n=1, cutoff=0.6)
            report(
                where,
                f'the font "{name}" (branding.fonts.{key}) is not one Typst can find'
                + (f' (did you mean "{close[0]}"?)' if close else "")
                + f": add its font files to {typst_pdf.FONTS_DIR}/, or use one of: "
                + ", ".join(families)
                + ".",
            )
            chosen[key] = ""
        else:
            chosen[key] = known[name.lower()]
    return chosen["body"], chosen["heading"]


def _logo(
    value: Any, line: int, root: Path, source: str, report: ReportLine, organisation: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """The logo's project-relative path and its alt text per locale; a logo needs alt text,
    its own or, without one, the organisation's name (which it then follows)."""
    if value is None:
        return "", {}
    if not isinstance(value, dict) or "file" not in value:
        report(
            line,
            '"branding.logo" must be a mapping with "file" (a PNG or SVG) and "alt" (its text).',
        )
        return "", {}
    unknown_keys(value, LOGO_KEYS, _at_key(value, line, report), "key", "branding.logo.")
    name = str(value["file"])
    where = _line(value, "file", line)
    path = (root / name).resolve()
    if path.suffix.lower() not in (".png", ".svg"):
        report(where, f'the logo "{name}" must be a .png or .svg file.')
        return "", {}
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        report(where, f'the logo "{name}" is not a file inside the project.')
        return "", {}
    unreadable = image_problem(path)
    if unreadable:
        report(where, f'the logo "{name}" {unreadable}.')
        return "", {}
    alt = _texts(value, "alt", line, source, report)
    if not alt.get(source) and not organisation.get(source):
        report(
            line,
            f'the logo "{name}" has no alt text and the branding no organisation to name it '
            'by: add "alt:" saying what it shows, so screen readers and PDF/UA can describe it.',
        )
    return path.relative_to(root.resolve()).as_posix(), alt


def image_problem(path: Path) -> str:
    """Why `path` is not a PNG or SVG image a renderer can read ("" if it is)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".png":
        if not data.startswith(PNG_SIGNATURE):
            return "is not a PNG image (its first bytes are not a PNG's)"
        return "" if image_decodes(path) else "is not a readable PNG image (it does not decode)"
    return svg_problem(data)


def logo_bytes(root: Path, branding: Branding) -> bytes:
    """The logo as every output carries it: a PNG as it is; an SVG with each `currentColor`
    (fill, stroke, stop-color) set to the accent, so that a logo drawn that way takes the
    brand's colour wherever it is shown, a browser, Typst or the Word file's raster."""
    data = (root / branding.logo).read_bytes()
    if not branding.logo.lower().endswith(".svg") or b"currentcolor" not in data.lower():
        return data
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.fromstring(data, parser)
    for node in tree.iter():
        for name, value in node.attrib.items():
            if value.strip().lower() == "currentcolor":
                node.set(name, branding.accent)
    return bytes(etree.tostring(tree, xml_declaration=False, encoding="utf-8"))


SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
# What a logo may be drawn with: shapes, text, groups, gradients, clipping. No script, style,
# foreignObject, image, animation or link, so a logo can neither run nor fetch anything where
# it is shown (HTML pages, EPUBs). Anything else is refused, not cleaned: `check` and the build
# say the same, and the file published is the file the user wrote.
SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line",
        "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop",
        "clipPath", "mask", "symbol", "use",
    }
)  # fmt: skip
SVG_ATTRIBUTES = frozenset(
    {
        "id", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
        "rx", "ry", "d", "points", "fill", "fill-opacity", "fill-rule", "stroke",
        "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "stroke-dasharray", "opacity", "transform", "font-family",
        "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline", "offset",
        "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
        "fx", "fy", "clip-path", "clip-rule", "mask", "maskUnits", "preserveAspectRatio",
        "version", "role", "aria-label", "href", "{http://www.w3.org/1999/xlink}href",
        "{http://www.w3.org/XML/1998/namespace}space",
    }
)  # fmt: skip
_REFERENCE = re.compile(r"url\(\s*['\"]?(?P<target>[^)'\"]*)", re.IGNORECASE)


def svg_problem(data: bytes) -> str:
    """Why an SVG logo is refused ("" if it is kept): it must parse as SVG and use only the
    elements and attributes above, with references only to places inside itself (#id)."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        return f"cannot be read as SVG: {error.msg} (line {error.lineno})"
    if root.getroottree().docinfo.doctype:
        return "has a DOCTYPE; remove it (a logo needs no entities or DTD)"
    if root.tag != f"{{{SVG}}}svg":
        return f'is not an SVG image: its root element is "{root.tag!s}", not "svg"'
    for node in root.iter():
        if not isinstance(node.tag, str):
            if isinstance(node, etree._Comment):
                continue
            return f"has a processing instruction at line {node.sourceline}; remove it"
        namespace, _, name = node.tag.rpartition("}")
        if namespace != "{" + SVG or name not in SVG_ELEMENTS:
            return (
                f"has a <{name}> element at line {node.sourceline}, which a logo may not use "
                f"(allowed: {', '.join(sorted(SVG_ELEMENTS))})"
            )
        for attribute, value in node.attrib.items():
            if attribute not in SVG_ATTRIBUTES:
                shown = attribute.rpartition("}")[2]
                return (
                    f'has the attribute "{shown}" on <{name}> at line {node.sourceline}, '
                    "which a logo may not use (no scripts, styles or event handlers)"
                )
            if "\\" in value or "&" in value:
                return (
                    f'has an escape in "{attribute.rpartition("}")[2]}" on <{name}> at line '
                    f"{node.sourceline}; write the value plainly"
                )
            targets = [m.group("target") for m in _REFERENCE.finditer(value)]
            if attribute.endswith("href"):
                targets.append(value)
            for target in targets:
                if not target.strip().startswith("#"):
                    return (
                        f'refers to "{target.strip()[:60]}" on <{name}> at line '
                        f"{node.sourceline}; a logo may refer only to its own parts (#id)"
                    )
    return ""


# A web address in a branding text (the contact line), to show as a link: URL characters up to a
# space or any other character (Chinese punctuation ends it too); a final full stop is the
# sentence's.
_WEB_ADDRESS = re.compile(r"https?://[\w\-.~:/?#\[\]@!$&'()*+,;=%]+", re.ASCII)
_SENTENCE_END = ".,;:!?)'"


def web_address_parts(text: str) -> tuple[tuple[str, bool], ...]:
    """`text` cut into (piece, is a web address) pairs, in order."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for found in _WEB_ADDRESS.finditer(text):
        address = found.group(0).rstrip(_SENTENCE_END)
        if found.start() > position:
            parts.append((text[position : found.start()], False))
        parts.append((address, True))
        position = found.start() + len(address)
    if position < len(text):
        parts.append((text[position:], False))
    return tuple(parts)
