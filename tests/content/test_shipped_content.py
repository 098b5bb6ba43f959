"""The shipped content: the report's coverage, the project's rules, and what briefs contain."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from pypdf import PdfReader

from briefgen.load.loader import load
from tests.conftest import REPO

LOADED = load(REPO)
BLOCKS = LOADED.content.locale("en")


def test_shipped_project_passes_strict_check() -> None:
    assert LOADED.warnings == ()


def test_every_evidence_and_finding_block_cites_a_source() -> None:
    uncited = [
        b.id for b in BLOCKS.values() if b.kind in ("evidence", "finding") and not b.citations
    ]
    assert uncited == []


def test_every_content_folder_and_block_is_mapped_in_the_coverage_doc() -> None:
    coverage = (REPO / "docs/coverage.md").read_text()
    folders = {b.order.split("/")[0] for b in BLOCKS.values()}
    assert {f for f in folders if f"`{f}`" not in coverage} == set()
    assert {i for i in BLOCKS if f"`{i}`" not in coverage} == set()


def test_bibliography_holds_no_unverified_source() -> None:
    unverified = {
        "haggard1966micro",
        "hrc_gc32",
        "market_65bn",
        "affectiva_autism",
        "meezao2018",
        "xue2019disconnect",
    }
    assert unverified & set(LOADED.bibliography.entries) == set()
    text = (REPO / "bibliography.bib").read_text()
    assert "GAO-13-608" not in text  # the report's wrong number; the source says GAO-14-159


def test_report_flags_follow_the_sources() -> None:
    text = "\n".join(b.body for b in BLOCKS.values())
    assert "GAO-13-608" not in text
    # The report says 2024; the nearest traceable forecast says 2023: the block gives both.
    market = BLOCKS["intro-market"].body
    assert "by 2024" in market and "by 2023" in market
    assert "GAO-14-159" in text


def test_companies_data_covers_the_tables() -> None:
    data = LOADED.data_for("en")
    counts = {
        u: sum(1 for c in data.companies if u in c.use_cases)
        for u in ("public-security", "education", "driving-safety")
    }
    assert counts["public-security"] == 10
    assert counts["education"] == 11
    assert counts["driving-safety"] >= 6


def test_summary_brief_is_short(shipped_build: Path) -> None:
    text = (shipped_build / "en/summary.md").read_text()
    body = text.split("## References")[0]
    words = len(re.sub(r"\(#ref-[^)]*\)|[#*\[\]]", " ", body).split())
    assert words <= 600
    assert len(PdfReader(shipped_build / "en/summary.pdf").pages) == 1


def test_use_case_briefs_show_only_their_companies(shipped_build: Path) -> None:
    html = (shipped_build / "en/education.html").read_text()
    table = html.split("Companies offering emotion recognition for education (11 firms)")[1]
    table = table.split("</table>")[0]
    assert "Hanwang Education" in table
    assert "Alpha Hawkeye" not in table  # a public security firm
    full = " ".join((shipped_build / "en/full-report.html").read_text().split())
    assert "for public security (10 firms)" in full and "for education (11 firms)" in full


def test_glossary_lists_only_terms_the_brief_uses(shipped_build: Path) -> None:
    data = LOADED.data_for("en")
    for brief in ("driving-safety", "education", "full-report"):
        markdown = (shipped_build / f"en/{brief}.md").read_text()
        body, _, glossary = markdown.partition("## Glossary")
        for term in data.terms:
            listed = re.search(rf"^{re.escape(term.term)} *$", glossary, re.MULTILINE) is not None
            assert listed == term.used_in(body), (brief, term.id)


def test_chart_figure_reaches_every_format(shipped_build: Path) -> None:
    html = (shipped_build / "en/companies.html").read_text()
    assert re.search(r'<img [^>]*src="data:image/png;base64,[^"]+"[^>]*alt="Bar chart ', html)
    assert (shipped_build / "en/media/companies-en-companies-what-firms-collect.png").is_file()
    assert (
        "](media/companies-en-companies-what-firms-collect.png)"
        in (shipped_build / "en/companies.md").read_text()
    )
    assert docx.Document(str(shipped_build / "en/companies.docx")).inline_shapes
    for name in ("companies.epub", "companies.odt"):
        with zipfile.ZipFile(shipped_build / "en" / name) as archive:
            assert any(n.endswith(".png") for n in archive.namelist()), name
    page_images = [page.images for page in PdfReader(shipped_build / "en/companies.pdf").pages]
    assert any(page_images)


def test_docx_tables_fit_the_page(shipped_build: Path) -> None:
    document = docx.Document(str(shipped_build / "en/full-report.docx"))
    section = document.sections[-1]
    text_width_twips = (section.page_width - section.left_margin - section.right_margin) / 635
    assert len(document.tables) == 3
    for table in document.tables:
        width = table._tbl.xpath("./w:tblPr/w:tblW")[0]
        assert width.get(docx.oxml.ns.qn("w:type")) == "pct"
        assert int(width.get(docx.oxml.ns.qn("w:w"))) <= 5000
        grid = sum(
            int(c.get(docx.oxml.ns.qn("w:w"))) for c in table._tbl.xpath("./w:tblGrid/w:gridCol")
        )
        assert grid <= text_width_twips


def test_recipes_are_valid_yaml_with_titles() -> None:
    for path in sorted((REPO / "briefs").glob("*.yaml")):
        recipe = yaml.safe_load(path.read_text())
        assert recipe["title"] and recipe["sections"]


REPORT = REPO.parent / "shared/source/emotional-entanglement.txt"


def _overlap_module():  # scripts/ is not a package: load the checker the writers use
    spec = importlib.util.spec_from_file_location(
        "report_overlap", REPO / "scripts/report_overlap.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_no_block_shares_15_words_with_the_report_outside_quotation_marks() -> None:
    if not REPORT.is_file():
        pytest.skip(f"the report's text is not at {REPORT}: the reuse check needs it")
    overlap = _overlap_module()
    report = overlap.Report(REPORT.read_text(encoding="utf-8"))
    reused = {
        b.path: [run.text for run in overlap.overlaps(report, (REPO / b.path).read_text(), 15)]
        for b in BLOCKS.values()
    }
    assert {path: runs for path, runs in reused.items() if runs} == {}


def test_the_overlap_check_ignores_quotations_and_finds_reused_prose() -> None:
    overlap = _overlap_module()
    words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    report = overlap.Report(words.replace("thirteen", "thir-\nteen") + " fifteen sixteen")
    prose = f"Zero {words} fifteen."
    assert [r.length for r in overlap.overlaps(report, prose, 15)] == [15]
    assert overlap.overlaps(report, f"Zero \u201c{words} fifteen\u201d [@x].", 15) == []
    split = words.replace("eight", "eight,").replace("twelve", "twelve;")
    assert [r.length for r in overlap.overlaps(report, split, 12)] == [14]


COUNT_CLAUSE = re.compile(r"[Oo]f the (\d+) ([a-z -]+?) firms, ([^.]*)")
KIND_WORDS = {  # words a sentence uses for each data kind of data/en/companies.yaml
    "physiological": "physiological",
    "body": "body",
    "facial": "face",
    "vibration": "vibration",
    "behaviour": "behaviour",
    "fatigue": "behaviour",
    "voice": "voice",
    "gaze": "gaze",
}


def test_numbers_about_the_companies_match_the_data() -> None:
    """'Of the 10 public security firms, 8 claim physiological signals, 5 body ...': every
    count in the block and its chart's alt text is the count the data gives."""
    data = LOADED.data_for("en")
    block = BLOCKS["companies-what-firms-collect"]
    assert block.figure is not None
    clauses = COUNT_CLAUSE.findall(f"{block.body}\n{block.figure.alt}")
    assert len(clauses) == 6, clauses  # three use cases, in the text and in the alt text
    for total, name, rest in clauses:
        use_case = name.replace(" ", "-")
        firms = [c for c in data.companies if use_case in c.use_cases]
        assert int(total) == len(firms), name
        for count, words in re.findall(r"(\d+) (?:claim )?([a-z -]+)", rest):
            kind = next(v for w in words.split() for k, v in KIND_WORDS.items() if w.startswith(k))
            claimed = sum(1 for c in firms if kind in c.data_kinds)
            assert int(count) == claimed, (name, words, claimed)


def test_every_brief_fits_its_page_budget(shipped_build: Path) -> None:
    """In every language the brief is complete in (a brief with English fallbacks is longer)."""
    budgets = {r.id: r.pages for r in LOADED.recipes.values()}
    for audience in ("government", "international", "companies", "civil-society"):
        assert budgets[audience] is not None and budgets[audience] <= 8, audience
    manifest = json.loads((shipped_build / "manifest.json").read_text())
    complete = {
        (e["brief"], e["locale"])
        for e in manifest["artifacts"]
        if e["format"] == "pdf" and not e["fallback_blocks"]
    }
    assert {(b, "zh-Hans") for b in budgets} <= complete
    assert {("summary", "fr"), ("civil-society", "fr"), ("international", "fr")} <= complete
    for brief, locale in sorted(complete):
        pages = budgets[brief]
        if pages is not None:
            count = len(PdfReader(shipped_build / f"{locale}/{brief}.pdf").pages)
            assert count <= pages, f"{locale}/{brief}: {count} pages, budget {pages}"


def test_the_chinese_edition_is_complete_and_current() -> None:
    from briefgen.i18n.status import status

    report, _, problems = status(REPO, ["zh-Hans"])
    assert problems == ()
    assert report[0].scope.complete
    assert len(LOADED.content.locale("zh-Hans")) == len(BLOCKS)


def test_the_french_edition_is_complete_and_current(shipped_build: Path) -> None:
    """Issue 23: every block, data entry, title and string in French, so that `refuse` builds
    every French brief and status with --fail-on passes."""
    from tests.conftest import run_cli

    result = run_cli(
        "--project", REPO, "i18n", "status", "--locale", "fr", "--fail-on", "stale,missing"
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    manifest = json.loads((shipped_build / "manifest.json").read_text())
    french = [e for e in manifest["artifacts"] if e["locale"] == "fr" and e["kind"] == "brief"]
    assert french and all(not e["fallback_blocks"] for e in french)


def test_no_apostrophe_prints_as_a_prime(shipped_build: Path) -> None:
    """Typst printed "ARTICLE 19's" with a prime (U+2032) in every PDF; no format or
    locale may show a prime where the text has an apostrophe."""
    primes = {}
    for pdf in sorted(shipped_build.glob("*/*.pdf")):
        text = "".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
        if "\u2032" in text:
            primes[pdf.relative_to(shipped_build).as_posix()] = text.count("\u2032")
    assert primes == {}
    government = "".join(
        p.extract_text() for p in PdfReader(shipped_build / "en/government.pdf").pages
    )
    assert "ARTICLE 19\u2019s" in government


def test_french_briefs_keep_their_marks_on_the_line(shipped_build: Path) -> None:
    """Narrow no-break spaces before ; : ! ? » and a no-break space after «, in every format."""
    html = (shipped_build / "fr/government.html").read_text()
    body = re.sub(r"<[^>]+>", "", html.split("<body", 1)[1]).replace("&nbsp;", "\u00a0")
    assert re.search(r"\u202f[;:!?»]", body) and "«\u00a0" in body
    assert not re.search(r"\w [;!?»]", body)
    with zipfile.ZipFile(shipped_build / "fr/government.docx") as package:
        document = package.read("word/document.xml").decode()
    assert "\u202f;" in document or "\u202f:" in document
