"""Word and OpenDocument briefs: the designed reference documents, branding, and LibreOffice.

LibreOffice (headless) opens every DOCX and ODT brief of the shipped project in every locale and
lays it out as a reader's office suite would; its page counts are held to each recipe's budget.
The faces are the design's (Times New Roman, whose metric twin Liberation Serif LibreOffice
uses, and Noto Sans CJK SC from the project's own font packages), so a page breaks where it
breaks in Word.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from docx.oxml.ns import qn as wqn
from docx.shared import Pt
from lxml import etree
from pypdf import PdfReader

from briefgen.formats.package import qn
from briefgen.load.loader import load
from briefgen.tools.typst import font_folders
from tests.conftest import REPO, SCENARIOS, copy_project, run_cli, tree_digest

pytestmark = pytest.mark.office

LOADED = load(REPO)
BUDGETS = {r.id: r.pages for r in LOADED.recipes.values()}
LOCALES = ("en", "fr", "zh-Hans")
ACCENT = "1F4E79"
SOFFICE = shutil.which("soffice")


def _needs_soffice() -> None:
    """`make test` installs LibreOffice (scripts/install-system-deps): there it must be found.
    Elsewhere a missing LibreOffice skips these tests with the command that installs it."""
    if SOFFICE:
        return
    if os.environ.get("MAKELEVEL") or os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is missing: scripts/install-system-deps installs it.")
    pytest.skip("LibreOffice (soffice) is missing: run scripts/install-system-deps.")


def _fonts_conf(folder: Path) -> Path:
    """A fontconfig file: the system's fonts plus the CJK faces briefgen installs from PyPI."""
    root = etree.Element("fontconfig")
    include = etree.SubElement(root, "include", ignore_missing="yes")
    include.text = "/etc/fonts/fonts.conf"
    for fonts in font_folders(REPO):
        etree.SubElement(root, "dir").text = str(fonts)
    etree.SubElement(root, "cachedir").text = str(folder / "fontconfig-cache")
    path = folder / "fonts.conf"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


def to_pdf(files: list[Path], work: Path, processes: int = 2) -> Path:
    """Convert every file to PDF in `processes` LibreOffice runs at once, each with a profile of
    its own (two instances sharing one profile would collide); returns the PDF folder."""
    _needs_soffice()
    assert SOFFICE is not None
    out = work / "pdf"
    environment = dict(os.environ, FONTCONFIG_FILE=str(_fonts_conf(work)))
    runs = []
    for index in range(processes):
        share = files[index::processes]
        if not share:
            continue
        profile = (work / f"profile-{index}").as_uri()
        command = [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--norestore"]
        command += ["--convert-to", "pdf", "--outdir", str(out), *map(str, share)]
        runs.append(subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL))
    for run in runs:
        assert run.wait(timeout=900) == 0
    return out


@pytest.fixture(scope="module")
def office_pdfs(shipped_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Page counts of every shipped DOCX and ODT as LibreOffice lays them out, by
    "<locale>/<brief>.<format>" (the session's build of the shipped project is reused)."""
    work = tmp_path_factory.mktemp("office")
    staged = []
    for locale in LOCALES:
        for source in sorted((shipped_build / locale).glob("*")):
            if source.suffix in (".docx", ".odt"):
                # One folder of inputs, so that every name is unique: <locale>__<brief>.<ext>
                copy = work / "in" / f"{locale}__{source.stem}__{source.suffix[1:]}{source.suffix}"
                copy.parent.mkdir(exist_ok=True)
                shutil.copy(source, copy)
                staged.append(copy)
    pdfs = to_pdf(staged, work)
    counts = {}
    for source in staged:
        locale, brief, format_name = source.stem.split("__")
        pdf = pdfs / f"{source.stem}.pdf"
        counts[f"{locale}/{brief}.{format_name}"] = (
            len(PdfReader(pdf).pages) if pdf.is_file() else 0
        )
    return counts


def test_libreoffice_opens_every_docx_and_odt_in_every_locale(office_pdfs: dict[str, int]) -> None:
    expected = {f"{lo}/{b}.{f}" for lo in LOCALES for b in BUDGETS for f in ("docx", "odt")}
    assert set(office_pdfs) == expected
    assert [name for name, pages in office_pdfs.items() if pages == 0] == []


def test_every_docx_and_odt_fits_its_page_budget(
    office_pdfs: dict[str, int], shipped_build: Path
) -> None:
    """The rule the PDFs follow: in every language a brief is complete in (English fallbacks,
    each with a note above it, make a brief longer than its budget allows)."""
    manifest = json.loads((shipped_build / "manifest.json").read_text())
    complete = {
        f"{e['locale']}/{e['brief']}.{e['format']}"
        for e in manifest["artifacts"]
        if e["format"] in ("docx", "odt") and not e["fallback_blocks"]
    }
    assert {f"zh-Hans/{b}.docx" for b in BUDGETS} <= complete
    assert {"fr/summary.odt", "fr/civil-society.docx", "fr/international.odt"} <= complete
    over = {
        name: (pages, BUDGETS[name.split("/")[1].split(".")[0]])
        for name, pages in office_pdfs.items()
        if name in complete and pages > (BUDGETS[name.split("/")[1].split(".")[0]] or pages)
    }
    assert over == {}


def test_the_summary_is_one_page_in_word_and_opendocument_in_every_locale(
    office_pdfs: dict[str, int],
) -> None:
    pages = {
        f"{lo}/summary.{f}": office_pdfs[f"{lo}/summary.{f}"]
        for lo in LOCALES
        for f in ("docx", "odt")
    }
    assert set(pages.values()) == {1}, pages


# --- the designed reference documents ----------------------------------------------------------


def test_the_reference_docx_has_the_designed_styles() -> None:
    document = docx.Document(str(REPO / "templates/reference.docx"))
    styles = {s.name: s for s in document.styles}
    for name in ("Title", "Subtitle", "Prepared For", "Author", "Date", "Body Text",
                 "First Paragraph", "Compact", "Block Text", "Caption", "Table Caption",
                 "Image Caption", "Bibliography", "Hyperlink", "Table", "Table Text",
                 "Heading 1", "Heading 2", "Heading 3", "toc 2"):  # fmt: skip
        assert name in styles, name
    defaults = document.styles.element.find(wqn("w:docDefaults"))
    fonts = defaults.find(f".//{wqn('w:rFonts')}")
    assert fonts.get(wqn("w:ascii")) == "Times New Roman"
    assert fonts.get(wqn("w:eastAsia")) == "Noto Sans CJK SC"
    assert defaults.find(f".//{wqn('w:sz')}").get(wqn("w:val")) == "21"  # 10.5 pt
    sizes = {"Title": 22, "Heading 1": 17, "Heading 2": 13, "Heading 3": 10.5, "Table Text": 8.5}
    for name, points in sizes.items():
        assert styles[name].font.size == Pt(points), name
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        assert str(styles[name].font.color.rgb) == ACCENT, name
        assert styles[name].font.bold, name
    assert styles["Bibliography"].paragraph_format.first_line_indent < 0  # a hanging indent
    assert styles["Block Text"].element.find(f".//{wqn('w:pBdr')}/{wqn('w:left')}") is not None
    table = styles["Table"].element
    assert table.find(f".//{wqn('w:tblBorders')}/{wqn('w:insideH')}") is not None
    header = table.find(f"{wqn('w:tblStylePr')}[@{wqn('w:type')}='firstRow']")
    assert header.find(f".//{wqn('w:shd')}").get(wqn("w:fill")) == ACCENT
    section = document.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.1)
    assert section.left_margin.cm == pytest.approx(1.7, abs=0.01)  # the PDF's margins
    assert section.top_margin.cm == pytest.approx(2.1, abs=0.01)
    columns = section._sectPr.find(wqn("w:cols"))  # the body in the PDF's two columns
    assert (columns.get(wqn("w:num")), columns.get(wqn("w:space"))) == ("2", "397")  # 7 mm


def test_the_body_is_set_in_columns_and_tables_and_charts_span_the_page(
    shipped_build: Path,
) -> None:
    """As the PDF: the title block spans the page, sections go in two columns, a section
    holding a table or a chart spans the page (a column is too narrow for either)."""
    document = docx.Document(str(shipped_build / "en/full-report.docx"))
    body = document.element.body
    sections = body.findall(f".//{wqn('w:sectPr')}")
    columns = [int(s.find(wqn("w:cols")).get(wqn("w:num"), "1")) for s in sections]
    assert columns[0] == 1 and 2 in columns and len(sections) >= 5
    assert [s.find(wqn("w:titlePg")) is not None for s in sections].count(True) == 1
    for table in document.tables:  # each table's section (the next sectPr) is one column
        following = table._tbl.getnext()
        while following is not None and following.find(f".//{wqn('w:sectPr')}") is None:
            following = following.getnext()
        properties = following.find(f".//{wqn('w:sectPr')}") if following is not None else None
        final = body.find(wqn("w:sectPr"))
        cols = (properties if properties is not None else final).find(wqn("w:cols"))
        assert cols.get(wqn("w:num"), "1") == "1"
    with zipfile.ZipFile(shipped_build / "en/full-report.odt") as odt:
        content = etree.fromstring(odt.read("content.xml"))
    text = content.find(f"{qn('office:body')}/{qn('office:text')}")
    runs = text.findall(qn("text:section"))
    assert runs and all(r.get(qn("text:style-name")) == "Body_Columns" for r in runs)
    assert [s for r in runs for s in r.iter(qn("text:section")) if s is not r] == []
    assert [t for r in runs for t in r.iter(qn("table:table"))] == []
    assert text.find(qn("table:table")) is not None
    marks = {m.get(qn("text:name")) for m in text.iter(qn("text:bookmark"))}
    assert "refs" in marks or any(m.startswith("ref-") for m in marks)  # citations' targets


def test_the_reference_odt_has_the_designed_styles() -> None:
    with zipfile.ZipFile(REPO / "templates/reference.odt") as odt:
        styles = etree.fromstring(odt.read("styles.xml"))
    named = {s.get(qn("style:name")): s for s in styles.iter(qn("style:style"))}
    for name in ("Title", "Subtitle", "Prepared_20_For", "Date", "Text_20_body",
                 "First_20_paragraph", "Compact", "Quotations", "Caption", "TableCaption",
                 "FigureCaption", "Bibliography", "Internet_20_link", "Table_20_Contents",
                 "Table_20_Heading", "TableRowCell", "TableHeaderRowCell", "Heading_20_1",
                 "Heading_20_2", "Heading_20_3", "Contents_20_2"):  # fmt: skip
        assert name in named, name

    def text(name: str, attribute: str) -> str | None:
        return named[name].find(qn("style:text-properties")).get(qn(attribute))

    assert text("Title", "fo:font-size") == "22pt"
    assert text("Heading_20_2", "fo:font-size") == "13pt"
    assert text("Heading_20_2", "fo:color") == f"#{ACCENT.lower()}"
    assert text("Table_20_Contents", "fo:font-size") == "8.5pt"
    header_cell = named["TableHeaderRowCell"].find(qn("style:table-cell-properties"))
    assert header_cell.get(qn("fo:background-color")) == f"#{ACCENT.lower()}"
    layout = styles.find(f".//{qn('style:page-layout-properties')}")
    assert (layout.get(qn("fo:page-width")), layout.get(qn("fo:page-height"))) == ("21cm", "29.7cm")


def test_the_generator_reproduces_the_committed_reference_documents(tmp_path: Path) -> None:
    script = REPO / "scripts/make_reference_docs.py"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for name in ("reference.docx", "reference-internal.docx", "reference.odt"):
        assert (tmp_path / name).read_bytes() == (REPO / "templates" / name).read_bytes(), name


# --- what every brief's title block, header and footer say ------------------------------------

PREPARED_FOR = {
    "en": "Prepared for the Chinese government",
    "fr": "Préparé pour le gouvernement chinois",
    "zh-Hans": "呈送对象：中国政府",
}
PREPARED_BY = {
    "en": "Prepared by The Emotional Entanglement briefs project",
    "fr": "Préparé par Le projet de notes «\u00a0Emotional Entanglement\u202f»",  # typography
    "zh-Hans": "编写单位：《情感纠缠》简报项目组",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_title_block_says_whom_the_brief_is_prepared_for(
    shipped_build: Path, locale: str
) -> None:
    document = docx.Document(str(shipped_build / f"{locale}/government.docx"))
    lines = [(p.style.name, p.text) for p in document.paragraphs[:4]]
    assert lines[2] == ("Prepared For", PREPARED_FOR[locale])
    assert lines[3][0] == "Date" and lines[3][1].endswith(f" · {PREPARED_BY[locale]}")
    with zipfile.ZipFile(shipped_build / f"{locale}/government.odt") as odt:
        content = etree.fromstring(odt.read("content.xml"))
    prepared = [
        "".join(p.itertext())
        for p in content.iter(qn("text:p"))
        if p.get(qn("text:style-name")) == "Prepared_20_For"
    ]
    assert prepared == [PREPARED_FOR[locale]]


def test_headers_and_footers_carry_the_short_title_and_page_numbers(shipped_build: Path) -> None:
    recipe = LOADED.recipes["government"]
    short_title = recipe.short_title.get("en") or recipe.title["en"]
    document = docx.Document(str(shipped_build / "en/government.docx"))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    for footer in (section.footer, section.first_page_footer):
        fields = [
            f.get(wqn("w:instr")).split()[0] for f in footer._element.iter(wqn("w:fldSimple"))
        ]
        assert fields == ["PAGE", "NUMPAGES"]
    header = "".join(t.text or "" for t in section.header._element.iter(wqn("w:t")))
    assert header.startswith(short_title)  # the field's result, filled in from the metadata
    with zipfile.ZipFile(shipped_build / "en/government.odt") as odt:
        styles = etree.fromstring(odt.read("styles.xml"))
    footers = list(styles.iter(qn("style:footer")))
    assert footers and all(f.find(f".//{qn('text:page-number')}") is not None for f in footers)
    titles = [f.text for f in styles.iter(qn("text:user-defined"))
              if f.get(qn("text:name")) == "running-title"]  # fmt: skip
    assert titles == [short_title]


def test_the_table_of_contents_follows_the_title_block_and_lists_the_sections(
    shipped_build: Path,
) -> None:
    document = docx.Document(str(shipped_build / "en/full-report.docx"))
    body = document.element.body
    dates = [p for p in body.iter(wqn("w:p")) if p.find(f".//{wqn('w:pStyle')}") is not None
             and p.find(f".//{wqn('w:pStyle')}").get(wqn("w:val")) == "Date"]  # fmt: skip
    following = dates[0].getnext()
    assert following.tag == wqn("w:sdt")
    entries = [p for p in following.iter(wqn("w:p")) if "PAGEREF" in etree.tostring(p).decode()]
    # Pandoc curls the apostrophes of the recipe's section titles.
    titles = [s.title["en"].replace("'", "\u2019") for s in LOADED.recipes["full-report"].sections]
    assert ["".join(t.text or "" for t in p.iter(wqn("w:t"))) for p in entries] == [
        *titles,
        "References",
    ]


# --- branding -----------------------------------------------------------------------------------

BRAND = "8A1538"


@pytest.fixture
def branded(scenario) -> Path:
    project = scenario("branded")
    result = run_cli("--project", project, "build", "--quiet")
    assert result.exit_code == 0, result.stderr
    return project


def _styles_docx(path: Path) -> dict[str, docx.styles.style.BaseStyle]:
    return {s.name: s for s in docx.Document(str(path)).styles}


def test_branding_reaches_the_word_brief(branded: Path) -> None:
    path = branded / "build/en/schools.docx"
    styles = _styles_docx(path)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Hyperlink"):
        assert str(styles[name].font.color.rgb) == BRAND, name
    assert styles["Heading 2"].font.name == "Kurinto Sans"
    document = docx.Document(str(path))
    defaults = document.styles.element.find(f".//{wqn('w:rPrDefault')}//{wqn('w:rFonts')}")
    assert defaults.get(wqn("w:ascii")) == "Libertinus Serif"
    assert defaults.get(wqn("w:eastAsia")) == "Noto Sans CJK SC"  # Chinese keeps its face
    section = document.sections[0]
    assert section.footer.paragraphs[0].text.startswith(
        "Open Rights Lab · press@openrights.example"
    )
    pictures = list(section.first_page_header._element.iter(qn("wp:docPr")))
    assert [p.get("descr") for p in pictures] == ["Open Rights Lab: a red square with a white bar"]
    assert not list(section.header._element.iter(qn("wp:docPr")))  # the first page only
    with zipfile.ZipFile(path) as package:
        assert (
            package.read("word/media/briefgen-logo.png")
            == (branded / "assets/logo.png").read_bytes()
        )


def test_branding_reaches_the_opendocument_brief(branded: Path) -> None:
    with zipfile.ZipFile(branded / "build/en/schools.odt") as odt:
        styles = etree.fromstring(odt.read("styles.xml"))
        assert "Pictures/briefgen-logo.png" in odt.namelist()
    named = {s.get(qn("style:name")): s for s in styles.iter(qn("style:style"))}
    heading = named["Heading_20_2"].find(qn("style:text-properties"))
    assert heading.get(qn("fo:color")) == f"#{BRAND.lower()}"
    assert heading.get(qn("style:font-name")) == "Kurinto Sans"
    footer = "".join(next(styles.iter(qn("style:footer"))).itertext())
    assert footer.startswith("Open Rights Lab · press@openrights.example")
    frames = list(styles.iter(qn("draw:frame")))
    assert [f.findtext(qn("svg:title")) for f in frames] == [
        "Open Rights Lab: a red square with a white bar"
    ]


def test_an_svg_logo_is_drawn_as_png(branded: Path) -> None:
    config = branded / "briefgen.yaml"
    data = yaml.safe_load(config.read_text())
    data["branding"]["logo"]["file"] = "assets/logo.svg"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert run_cli("--project", branded, "build", "--quiet").exit_code == 0
    with zipfile.ZipFile(branded / "build/en/schools.docx") as package:
        png = package.read("word/media/briefgen-logo.png")
    assert png.startswith(b"\x89PNG")
    assert int.from_bytes(png[20:24], "big") == 360  # its height in pixels


def test_a_change_of_branding_or_logo_renders_the_office_briefs_again(branded: Path) -> None:
    before = tree_digest(branded / "build")
    config = branded / "briefgen.yaml"
    config.write_text(config.read_text().replace('"#8a1538"', '"#00695c"'))
    result = run_cli("--project", branded, "build")
    assert "wrote 2 file(s)" in result.stdout, result.stdout
    heading = _styles_docx(branded / "build/en/schools.docx")["Heading 2"]
    assert str(heading.font.color.rgb) == "00695C"
    assert tree_digest(branded / "build") != before
    # The logo lies outside the folders every build reads; a new logo is a new input all the same.
    logo = branded / "assets/logo.png"
    logo.write_bytes(logo.read_bytes() + b"\0")
    result = run_cli("--project", branded, "build")
    assert "wrote 2 file(s)" in result.stdout, result.stdout


def test_an_internal_build_marks_office_pages_in_the_briefs_language(branded: Path) -> None:
    assert run_cli("--project", branded, "build", "--internal", "--quiet").exit_code == 0
    document = docx.Document(str(branded / "build-internal/en/schools.docx"))
    section = document.sections[0]
    for part in (section.header, section.first_page_header, section.footer):
        assert part.paragraphs[0].text == "INTERNAL — NOT FOR PUBLICATION"
    with zipfile.ZipFile(branded / "build-internal/en/schools.odt") as odt:
        styles = etree.fromstring(odt.read("styles.xml"))
    marked = [
        p.text
        for p in styles.iter(qn("text:p"))
        if p.get(qn("text:style-name")) == "Internal_20_Marker"
    ]
    assert len(marked) == 4 and set(marked) == {"INTERNAL — NOT FOR PUBLICATION"}


def test_office_briefs_are_reproducible(branded: Path, tmp_path: Path) -> None:
    again = copy_project(SCENARIOS / "branded", tmp_path / "again")
    assert run_cli("--project", again, "build", "--quiet").exit_code == 0
    for name in ("schools.docx", "schools.odt"):
        assert (again / "build/en" / name).read_bytes() == (
            branded / "build/en" / name
        ).read_bytes()


def test_libreoffice_opens_the_branded_briefs(branded: Path, tmp_path: Path) -> None:
    files = [branded / "build/en/schools.docx", branded / "build/en/schools.odt"]
    staged = []
    for source in files:
        copy = tmp_path / "in" / f"{source.suffix[1:]}-{source.name}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(source, copy)
        staged.append(copy)
    pdfs = to_pdf(staged, tmp_path, processes=1)
    for copy in staged:
        pages = PdfReader(pdfs / f"{copy.stem}.pdf").pages
        assert len(pages) == 1
        assert "Open Rights Lab" in pages[0].extract_text()
