"""Golden outputs: every successful scenario's text, per locale and format, byte for byte.

A scenario is successful when it has no expected-errors.txt. Each is built once for this module,
in every format. Golden files live in tests/expected/<scenario>/<locale>/: the Markdown and HTML
as <brief>.md and <brief>.html; of the packaged formats, the text each is made of, as a reviewer
reads a diff of it, in a folder named after the output:
    <brief>.epub/EPUB/...       the package (OPF), the nav and every XHTML page, as written
    <brief>.docx/word/...       document.xml and the headers and footers, pretty-printed
    <brief>.odt/content.xml     pretty-printed
    <brief>.pdf/brief.typ       the Typst source briefgen hands to the compiler, and
    <brief>.pdf/inputs.json     the values it hands the template with it (sys.inputs)
A missing golden file fails. After an intended change to templates or rendering, write them all
with
    BRIEFGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
and review the diff like any other change.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from briefgen.formats import pdf
from briefgen.model import RenderJob
from briefgen.tools import typst
from tests.conftest import REPO, SCENARIOS, copy_project, run_cli

GOLDEN = REPO / "tests/expected"
SUCCESSFUL = sorted(
    p.name for p in SCENARIOS.iterdir() if p.is_dir() and not (p / "expected-errors.txt").exists()
)
FORMATS = ("md", "html", "epub", "docx", "odt", "pdf")
# The parts of each package a golden file is kept of: the text a brief's content and the
# renderer's passes end up in (not the stylesheets, styles and themes copied from templates/).
PARTS = {
    ".epub": re.compile(r"EPUB/(content\.opf|.*\.xhtml)"),
    ".docx": re.compile(r"word/(document|header\d*|footer\d*)\.xml"),
    ".odt": re.compile(r"content\.xml"),
}
# Word and OpenDocument write each part on one line: indented, a change shows as a few lines.
PRETTY = (".docx", ".odt")
TYPST_SOURCE, TYPST_INPUTS = "brief.typ", "inputs.json"


@dataclass(frozen=True)
class Build:
    """A scenario's build folder, and what Typst was handed for each PDF in it (the golden
    texts of the PDF), by the PDF's path."""

    out: Path
    typst_texts: dict[Path, dict[str, bytes]]


def recording_typst(texts: dict[Path, dict[str, bytes]]) -> Callable[..., bytes]:
    """pdf.compile_brief, keeping the source it compiles and the template's inputs in `texts`
    under the PDF's path."""
    compile_brief, compile_pdf = pdf.compile_brief, typst.compile_pdf

    def compile_recorded(job: RenderJob, typst_source: bytes, media: Path) -> bytes:
        def record(source: str, **options: Any) -> bytes:
            inputs = {k: json.loads(v) for k, v in (options.get("inputs") or {}).items()}
            texts[Path(job.locale, f"{job.brief_id}.pdf")] = {
                TYPST_SOURCE: source.encode("utf-8"),
                TYPST_INPUTS: (json.dumps(inputs, indent=2, ensure_ascii=False) + "\n").encode(),
            }
            return compile_pdf(source, **options)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(typst, "compile_pdf", record)
            return compile_brief(job, typst_source, media)

    return compile_recorded


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Build]:
    """scenario name -> its build, built on first use, once for the module. One job at a time
    renders in this process, where the PDF's Typst source can be read on its way to Typst."""
    cache: dict[str, Build] = {}

    def build(name: str) -> Build:
        if name not in cache:
            project = copy_project(SCENARIOS / name, tmp_path_factory.mktemp(name) / name)
            formats = [arg for f in FORMATS for arg in ("--format", f)]
            typst_texts: dict[Path, dict[str, bytes]] = {}
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(pdf, "compile_brief", recording_typst(typst_texts))
                result = run_cli("--project", project, "build", "-q", "-j", "1", *formats)
            assert result.exit_code == 0, result.stderr
            cache[name] = Build(project / "build", typst_texts)
        return cache[name]

    return build


def pretty_xml(data: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def golden_texts(build: Build) -> dict[Path, bytes]:
    """Every golden text of a build, by its path under the scenario's golden folder."""
    texts: dict[Path, bytes] = {}
    for path in sorted(build.out.rglob("*")):
        if path.parent == build.out or not path.is_file():
            continue  # the library's pages and the manifest are another test's
        relative = path.relative_to(build.out)
        if path.suffix in (".md", ".html"):
            texts[relative] = path.read_bytes()
        elif path.suffix in PARTS:
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as package:
                for part in sorted(package.namelist()):
                    if PARTS[path.suffix].fullmatch(part):
                        data = package.read(part)
                        pretty = path.suffix in PRETTY
                        texts[relative / part] = pretty_xml(data) if pretty else data
        elif path.suffix == ".pdf":
            assert relative in build.typst_texts, f"{relative} was compiled from no source"
            for name, text in build.typst_texts[relative].items():
                texts[relative / name] = text
    return texts


@pytest.mark.parametrize("name", SUCCESSFUL)
def test_scenario_outputs_match_the_golden_files(built: Callable[[str], Build], name: str) -> None:
    texts = golden_texts(built(name))
    produced = {path.parts[1].rsplit(".", 1)[-1] for path in texts}
    assert produced == set(FORMATS), f"{name} built only {sorted(produced)}"
    update = bool(os.environ.get("BRIEFGEN_UPDATE_GOLDEN"))
    for relative, text in texts.items():
        golden = GOLDEN / name / relative
        if update:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(text)
        # A missing golden file fails: writing it here would let any output pass once.
        assert golden.exists(), f"no golden file {golden}: run with BRIEFGEN_UPDATE_GOLDEN=1"
        assert text == golden.read_bytes(), f"{name}/{relative} differs from {golden}"
    listed = sorted(p.relative_to(GOLDEN / name) for p in (GOLDEN / name).rglob("*") if p.is_file())
    assert listed == sorted(texts), "golden files without an output"


def test_link_references_and_notes_belong_to_their_block(built: Callable[[str], Build]) -> None:
    markdown = (built("link-references").out / "en/schools.md").read_text()
    assert "[report](https://www.article19.org/resources/" in markdown
    assert "[study](https://doi.org/10.1145/3306618.3314284)" in markdown
    assert "[^1]: The first block\u2019s note." in markdown
    assert "[^2]: The second block\u2019s note." in markdown
