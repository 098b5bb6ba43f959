"""The one door to Typst: compile the Typst source pandoc wrote into a PDF, in-process.

Fonts come only from Typst's embedded set and the folders we name, never from the system, so a
PDF is the same on every machine. The creation timestamp is fixed for the same reason: typst-py
does not read SOURCE_DATE_EPOCH.

Every PDF is built to PDF/UA-1 (tagged, with a language, a title and alt text): Typst refuses
what fails the standard, and `Refusal` says why in a sentence, with the source line it
stopped at so that the caller can point at the block.
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path
from typing import Final

import typst

from briefgen.errors import ToolError


@functools.cache
def version() -> str:
    """The typst-py package version (it embeds the matching Typst compiler), as the package
    says it; importlib.metadata says the same, but costs 20 ms to import, so only if not."""
    stated = getattr(typst, "__version__", None)
    if stated:
        return str(stated)
    from importlib import metadata

    return metadata.version("typst")


STANDARD: Final = "ua-1"


class Refusal(Exception):
    """Typst would not make the PDF meet PDF/UA-1: why, in a sentence, and the Typst source
    line it stopped at; `skipped` holds (from, to) when a heading skipped levels."""

    def __init__(self, reason: str, source_line: str, skipped: tuple[int, int] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.source_line = source_line
        self.skipped = skipped


def compile_pdf(
    source: str,
    *,
    root: Path,
    font_paths: tuple[Path, ...],
    timestamp: int,
    what: str,
    inputs: dict[str, str] | None = None,
) -> bytes:
    """Compile Typst markup to PDF/UA-1 bytes; `inputs` become the document's sys.inputs.

    Raise Refusal when the document cannot meet PDF/UA-1, ToolError for any other failure.
    """
    try:
        with warnings.catch_warnings():
            # Typst warnings (e.g. a font lacking a glyph) are reported by tests, not printed here.
            warnings.simplefilter("ignore")
            compiler = typst.Compiler(
                root=str(root),
                font_paths=fonts(font_paths),
                ignore_system_fonts=True,
                sys_inputs=dict(inputs or {}),
            )
            pdf = compiler.compile(
                input=source.encode("utf-8"),
                format="pdf",
                timestamp=timestamp,
                pdf_standards=STANDARD,
            )
    except typst.TypstError as error:
        if error.message.startswith(_UA_PREFIX):
            raise refusal(error.message, _source_line(source, error)) from None
        detail = error.message
        if error.hints:
            detail += " (hint: " + "; ".join(error.hints) + ")"
        raise ToolError(f"typst ({what})", detail) from None
    except RuntimeError as error:
        raise ToolError(f"typst ({what})", str(error)) from None
    if not isinstance(pdf, bytes):
        raise ToolError(f"typst ({what})", "the compiler returned no PDF")
    return pdf


_UA_PREFIX = "PDF/UA-1 error: "
_SKIPPED = re.compile(r"skipped from heading level (\d+) to (\d+)")
_POSITION = re.compile(r"\.typ:(\d+):\d+")


def refusal(message: str, source_line: str) -> Refusal:
    """Typst's PDF/UA-1 message as a sentence a content author can act on."""
    detail = message.removeprefix(_UA_PREFIX).strip()
    skipped = _SKIPPED.search(detail)
    if skipped:
        above, level = (int(n) for n in skipped.groups())
        reason = (
            f"a level-{level} heading follows a level-{above} heading, and headings must go "
            "down one level at a time"
        )
        return Refusal(reason, source_line, (above, level))
    reason = _REASONS.get(detail, f"Typst reports: {detail}")
    return Refusal(reason, source_line)


_REASONS = {
    "heading title is empty": 'a heading has no text: write its text after the "#" marks, '
    "or remove the line",
    "missing alt text": "an image has no alt text: give the figure an alt text (figure.alt)",
    "missing document title": "the brief has no title: give its recipe a title",
}


def _source_line(source: str, error: typst.TypstError) -> str:
    """The line of `source` a Typst diagnostic points at ("" if it names none)."""
    found = _POSITION.search(error.diagnostic or "")
    lines = source.splitlines()
    if found and 0 < int(found.group(1)) <= len(lines):
        return lines[int(found.group(1)) - 1]
    return ""


FONTS_DIR = "fonts"


def font_folders(root: Path) -> tuple[Path, ...]:
    """The project's own fonts/ folder, then the CJK faces installed from PyPI: Noto Sans CJK
    (Regular) and Kurinto Sans SC (Regular and a real Bold, for Chinese headings and bold).

    Typst's embedded fonts have no CJK glyphs, and Chinese set without a CJK font turns silently
    into empty boxes, so the CJK fonts are dependencies, not options.
    """
    import noto_cjk_sans_otc
    import weblate_fonts

    kurinto = Path(weblate_fonts.__file__).parent / "static/weblate_fonts/kurinto/ttf"
    folders = [root_fonts(root), Path(str(noto_cjk_sans_otc.FONT_PATH)).parent, kurinto]
    return tuple(folder for folder in folders if folder.is_dir())


def root_fonts(root: Path) -> Path:
    """The project's own fonts; the packaged ones are covered by their versions (digest.py)."""
    return root / FONTS_DIR


@functools.lru_cache(maxsize=4)
def fonts(font_paths: tuple[Path, ...]) -> typst.Fonts:
    """Typst's embedded fonts and those in `font_paths`, never the system's: found once a
    process (scanning the folders took 25-40 ms, a PDF's compile as little as 10 ms)."""
    return typst.Fonts(include_system_fonts=False, font_paths=[str(p) for p in font_paths])


def font_families(font_paths: tuple[Path, ...]) -> tuple[str, ...]:
    """Every font family Typst can set a brief in: its embedded fonts and those in `font_paths`."""
    return tuple(sorted(set(fonts(font_paths).families())))


def svg_to_png(svg: bytes, *, height_px: int) -> bytes:
    """An SVG image drawn as a PNG `height_px` high, on a transparent page of its own size
    (for formats that embed PNG: the Word and OpenDocument logo)."""
    import tempfile

    points = 72
    source = (
        "#set page(width: auto, height: auto, margin: 0pt, fill: none)\n"
        f'#image("image.svg", height: {points}pt)\n'
    )
    with tempfile.TemporaryDirectory(prefix="briefgen-svg-") as folder:
        (Path(folder) / "image.svg").write_bytes(svg)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compiler = typst.Compiler(root=folder, ignore_system_fonts=True)
                png = compiler.compile(
                    input=source.encode("utf-8"), format="png", ppi=height_px / points * 72
                )
        except (typst.TypstError, RuntimeError) as error:
            raise ToolError("typst (drawing the logo as PNG)", str(error)) from None
    if not isinstance(png, bytes):
        raise ToolError("typst (drawing the logo as PNG)", "the compiler returned no image")
    return png


# The faces CJK briefs are set in (templates/typst/brief.typ): Chinese text in any other font
# would fall back silently to boxes, so every character must be in one of these.
CJK_FACES = ("Kurinto Sans SC", "Noto Sans CJK SC")


@functools.lru_cache(maxsize=4)
def _coverage(font_paths: tuple[Path, ...]) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    covered: set[int] = set()
    for folder in font_paths:
        for path in sorted(folder.glob("*")):
            suffix = path.suffix.lower()
            if suffix in (".ttc", ".otc"):
                faces = list(TTCollection(str(path), lazy=True).fonts)
            elif suffix in (".ttf", ".otf"):
                faces = [TTFont(str(path), lazy=True)]
            else:
                continue
            for face in faces:
                family = str(face["name"].getDebugName(1) or "")
                if family in CJK_FACES:
                    covered.update(face.getBestCmap() or {})
    return frozenset(covered)


def missing_glyphs(text: str, font_paths: tuple[Path, ...]) -> list[str]:
    """Characters of `text` that no CJK face the project ships can draw, in order of use."""
    covered = _coverage(font_paths)
    return [
        char
        for char in dict.fromkeys(text)  # each character once, in order of first use
        if not (char.isspace() or ord(char) < 0x20 or ord(char) in covered)
    ]
