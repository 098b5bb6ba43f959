"""Zip packages and their XML, as Word, OpenDocument and EPUB files are: read and written with
sorted entries and fixed dates (the same inputs give the same bytes), XML parsed without
entities or network; and the branding's logo as those documents embed it.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from briefgen.load.branding import logo_bytes
from briefgen.load.project import Project
from briefgen.tools import typst

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS = {
    "w": W,
    "r": R,
    "wp": WP,
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "cp": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
}


def qn(name: str) -> str:
    """'w:val' -> '{namespace}val'."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


# --- packages: zip files with fixed dates and a fixed order ---------------------------------

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def read_package(data: bytes) -> dict[str, bytes]:
    """Every entry of a zip package, by name, in the package's order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_package(parts: dict[str, bytes]) -> bytes:
    """A zip package from its entries: sorted names, fixed dates and permissions.

    An OpenDocument package must begin with its `mimetype` entry, stored uncompressed
    (ODF 1.3 part 2, 3.3); every other entry is compressed.
    """
    buffer = io.BytesIO()
    names = sorted(parts, key=lambda name: (name != "mimetype", name))
    write_zip(buffer, ((name, parts[name]) for name in names), lambda name: name == "mimetype")
    return buffer.getvalue()


def write_zip(
    target: BinaryIO,
    entries: Iterable[tuple[str, bytes]],
    stored: Callable[[str], bool],
    date_time: tuple[int, int, int, int, int, int] = ZIP_DATE,
) -> None:
    """A zip of `entries` in their order, each dated `date_time` with fixed permissions, so the
    same entries give the same bytes; an entry `stored` names is kept uncompressed."""
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3  # unix, so the permissions below mean the same everywhere
            info.external_attr = 0o644 << 16
            keep = stored(name)
            info.compress_type = zipfile.ZIP_STORED if keep else zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=None if keep else 9)


def parse_xml(data: bytes) -> etree._Element:
    # No entity expansion and no network: a reference document is a file a user may replace.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(data, parser)


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- the branding's logo ------------------------------------------------------------------


def brand_logo(project: Project) -> tuple[str, bytes]:
    """The branding's logo as every output carries it: its file name beside a brief's figures
    and among the library's assets ("brand-logo.svg"), and its bytes (load.branding.logo_bytes);
    ("", b"") for a project without one."""
    if not project.branding.logo:
        return "", b""
    suffix = Path(project.branding.logo).suffix.lower()
    return f"brand-logo{suffix}", logo_bytes(project.root, project.branding)


@dataclass(frozen=True)
class Logo:
    """A logo as Word and OpenDocument embed it: PNG bytes and their size in pixels."""

    png: bytes
    width: int
    height: int


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGO_RASTER_HEIGHT_PX = 360  # an SVG logo 1.2 cm high is drawn at about 750 dpi


@functools.lru_cache(maxsize=4)
def logo_image(data: bytes) -> Logo | None:
    """The branding logo as PNG: a PNG as it is, an SVG drawn by Typst (Word before 2016 and
    some readers show no SVG, and a PNG keeps one code path for both formats)."""
    if not data:
        return None
    if not data.startswith(PNG_SIGNATURE):
        data = typst.svg_to_png(data, height_px=LOGO_RASTER_HEIGHT_PX)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk, first in every PNG
    return Logo(data, width, height)
