"""The one door to Typst: compile the Typst source pandoc wrote into a PDF, in-process.

Fonts come only from Typst's embedded set and the folders we name, never from the system, so a
PDF is the same on every machine. The creation timestamp is fixed for the same reason: typst-py
does not read SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import functools
import warnings
from importlib import metadata
from pathlib import Path

import typst

from briefgen.errors import ToolError


@functools.cache
def version() -> str:
    """The typst-py package version (it embeds the matching Typst compiler)."""
    return metadata.version("typst")


def compile_pdf(
    source: str, *, root: Path, font_paths: tuple[Path, ...], timestamp: int, what: str
) -> bytes:
    """Compile Typst markup to PDF bytes; raise ToolError with Typst's own diagnostic on failure."""
    try:
        with warnings.catch_warnings():
            # Typst warnings (e.g. a font lacking a glyph) are reported by tests, not printed here.
            warnings.simplefilter("ignore")
            compiler = typst.Compiler(
                root=str(root),
                font_paths=[str(p) for p in font_paths],
                ignore_system_fonts=True,
            )
            pdf = compiler.compile(input=source.encode("utf-8"), format="pdf", timestamp=timestamp)
    except typst.TypstError as error:
        detail = error.message
        if error.hints:
            detail += " (hint: " + "; ".join(error.hints) + ")"
        raise ToolError(f"typst ({what})", detail) from None
    except RuntimeError as error:
        raise ToolError(f"typst ({what})", str(error)) from None
    if not isinstance(pdf, bytes):
        raise ToolError(f"typst ({what})", "the compiler returned no PDF")
    return pdf


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
    seen: dict[str, None] = {}
    for char in text:
        drawn = char.isspace() or ord(char) < 0x20 or ord(char) in covered
        if not drawn and char not in seen:
            seen[char] = None
    return list(seen)
