"""The shipped briefs, checked with the tools their readers' software would use."""

from __future__ import annotations

import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import REPO, run_cli, tree_digest

BRIEFS = sorted(p.stem for p in (REPO / "briefs").glob("*.yaml"))


def manifest_entry(build: Path, relpath: str) -> dict:
    manifest = json.loads((build / "manifest.json").read_text())
    return next(a for a in manifest["artifacts"] if a["path"] == relpath)


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.html_lang = None
        self.tags: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        if tag == "script":
            self.scripts += 1


@pytest.mark.parametrize("brief", BRIEFS)
def test_pdf_has_title_and_references(shipped_build: Path, brief: str) -> None:
    entry = manifest_entry(shipped_build, f"en/{brief}.pdf")
    reader = PdfReader(shipped_build / entry["path"])
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert " ".join(entry["title"].split()) in flat
    assert "References" in text
    assert "Emotional Entanglement" in flat  # the report itself is cited by every brief
    assert len(reader.pages) >= 1


@pytest.mark.parametrize("brief", BRIEFS)
@pytest.mark.parametrize(("locale", "references"), [("en", "References"), ("zh-Hans", "参考文献")])
def test_docx_has_section_headings(
    shipped_build: Path, brief: str, locale: str, references: str
) -> None:
    document = docx.Document(str(shipped_build / f"{locale}/{brief}.docx"))
    headings = [
        p.text.replace("\u2019", "'")
        for p in document.paragraphs
        if p.style.name.startswith("Heading")
    ]
    recipe = yaml.safe_load((REPO / f"briefs/{brief}.yaml").read_text())
    assert recipe["sections"]
    for section in recipe["sections"]:
        assert section["title"][locale].replace("\u2019", "'") in headings
    assert references in headings


@pytest.mark.parametrize("brief", BRIEFS)
def test_html_parses_with_lang_and_no_script(shipped_build: Path, brief: str) -> None:
    parser = _Structure()
    parser.feed((shipped_build / f"en/{brief}.html").read_text("utf-8"))
    assert parser.html_lang == "en"
    assert {"main", "header", "h1", "h2"} <= set(parser.tags)
    assert parser.scripts == 0


def test_odt_is_a_zip_with_content(shipped_build: Path) -> None:
    for brief in BRIEFS:
        with zipfile.ZipFile(shipped_build / f"en/{brief}.odt") as odt:
            assert "content.xml" in odt.namelist()


def test_two_builds_are_byte_identical(shipped_build: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = run_cli("--project", REPO, "build", "--out", again, "--quiet")
    assert result.exit_code == 0, result.stderr
    first, second = tree_digest(shipped_build), tree_digest(again)
    assert first.keys() == second.keys()
    assert {k for k in first if first[k] != second[k]} == set()
    assert {Path(k).suffix for k in first} >= {".pdf", ".docx", ".odt", ".epub", ".html", ".md"}
