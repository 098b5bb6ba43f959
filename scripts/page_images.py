"""Regenerate the page images in docs/images/ from a fresh build of the shipped briefs.

    make page-images        (or: .venv/bin/python scripts/page_images.py)

Builds every brief into a temporary folder, renders a few PDF pages with poppler's pdftoppm, and
screenshots the library page and a web brief in Chromium (with the CJK fonts briefgen ships, so
Chinese titles show). Each image is reduced to a 64-colour palette: the same build gives the
same bytes, and each file stays well under 200 KB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

from PIL import Image

from briefgen.tools.typst import font_folders

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs/images"
RESOLUTION = 60  # pixels per inch: an A4 page is 496 x 702
COLOURS = 64
LIMIT = 200 * 1024
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--font-render-hinting=none",
]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="briefgen-page-images-") as tmp:
        scratch = Path(tmp)
        build = scratch / "build"
        command = ["-m", "briefgen", "--project", str(ROOT), "build", "--out", str(build), "-q"]
        # A fixed release name on the library page: the images do not change with each commit.
        environment = {**os.environ, "BRIEFGEN_CONTENT_VERSION": "example"}
        subprocess.run([sys.executable, *command], check=True, env=environment)
        IMAGES.mkdir(parents=True, exist_ok=True)
        pdf_page(build / "en/government.pdf", 1, "government-page-1.png", scratch)
        table = page_with(build / "en/education.pdf", "Table 1: Companies offering")
        pdf_page(build / "en/education.pdf", table, "education-table.png", scratch)
        pdf_page(build / "en/summary.pdf", 1, "summary.png", scratch)
        pdf_page(build / "zh-Hans/government.pdf", 1, "government-zh-Hans-page-1.png", scratch)
        screenshots(build, scratch)
    for image in sorted(IMAGES.glob("*.png")):
        size = image.stat().st_size
        print(f"{image.relative_to(ROOT)}: {size // 1024} KB")
        if size > LIMIT:
            sys.exit(f"{image.name} is over {LIMIT // 1024} KB")


def page_with(pdf: Path, text: str) -> int:
    """The number of the first page of `pdf` that holds `text`."""
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    return next(number for number, page in enumerate(pages, 1) if text in page)


def pdf_page(pdf: Path, number: int, name: str, scratch: Path) -> None:
    stem = scratch / Path(name).stem
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(number), "-l", str(number),
         "-singlefile", str(pdf), str(stem)],
        check=True,
    )  # fmt: skip
    save(stem.with_suffix(".png"), IMAGES / name)


def save(source: Path, target: Path) -> None:
    """A palette PNG of `source`: a fraction of the size, and the same bytes every time."""
    with Image.open(source) as image:
        palette = image.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
        palette.save(target, optimize=True)


def fontconfig(scratch: Path) -> Path:
    """A fontconfig file: the system's fonts plus the CJK fonts briefgen ships (pip packages)."""
    config = ElementTree.Element("fontconfig")
    system = ElementTree.SubElement(config, "include", {"ignore_missing": "yes"})
    system.text = "/etc/fonts/fonts.conf"
    for folder in font_folders(ROOT):
        ElementTree.SubElement(config, "dir").text = str(folder)
    ElementTree.SubElement(config, "cachedir").text = str(scratch / "fontconfig-cache")
    path = scratch / "fonts.conf"
    ElementTree.ElementTree(config).write(path, encoding="utf-8", xml_declaration=True)
    return path


def screenshots(build: Path, scratch: Path) -> None:
    from playwright.sync_api import sync_playwright

    environment = {**os.environ, "FONTCONFIG_FILE": str(fontconfig(scratch))}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS, env=environment
        )
        for page_path, width, height, name in (
            ("index.html", 1280, 900, "library.png"),
            ("en/education.html", 375, 800, "education-phone.png"),
        ):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto((build / page_path).as_uri())
            page.screenshot(path=scratch / name, animations="disabled", caret="hide")
            save(scratch / name, IMAGES / name)
            page.close()
        studio_screenshot(browser, scratch)
        browser.close()


# The studio with the composition of README's campaigner example, dated so the picture does
# not change with the day it is made.
STUDIO_COMPOSITION = (
    "/compose?audience=government&use_case=education&pages=2"
    "&prepared_for=Ministry%20of%20Education&date=2026-12-10&pin=edu-hangzhou-no11"
)


def studio_screenshot(browser: Any, scratch: Path) -> None:
    """The studio (briefgen studio) in the browser, composing the Thursday brief."""
    import threading

    from briefgen.preview.studio import make_studio_server

    server, _ = make_studio_server(ROOT, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{server.server_address[1]}{STUDIO_COMPOSITION}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=scratch / "studio.png", animations="disabled", caret="hide")
        save(scratch / "studio.png", IMAGES / "studio.png")
        page.close()
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
