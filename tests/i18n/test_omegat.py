"""OmegaT 3.6, for real, on the files `briefgen i18n export` writes (issue 20).

Each test makes an OmegaT project (omegat.project, source/, target/, tm/, omegat/) around an
exported file and runs OmegaT's console modes: `console-createpseudotranslatetmx` lists every
segment OmegaT sees, `console-translate` writes target/ from the project's memory
(omegat/project_save.tmx, written here with translate-toolkit as a translator's OmegaT would
have kept it). What OmegaT writes is then imported with `briefgen i18n import` and built.

OmegaT's XLIFF filter translates the text of <target> (a unit without one is no segment), keeps
the XLIFF's attributes as they are, and shows <g>/<x> as protected tags (<g0>, <x1/>). Each run
takes 3-4 s. Without `omegat` (Debian package omegat; scripts/install-system-deps) the tests are
skipped, and fail under `make test`, which sets BRIEFGEN_REQUIRE_VALIDATORS.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from lxml import etree
from translate.storage import tmx

from tests.conftest import run_cli

pytestmark = pytest.mark.validators  # OmegaT runs on Java

OMEGAT = shutil.which("omegat")
XLIFF = "urn:oasis:names:tc:xliff:document:1.2"
# OmegaT's own tags for inline markup: <g0>…</g0> for XLIFF's <g>, <x1/> for <x/>; and, with
# the custom-tag pattern below, <1>…</1> and <2/> in PO files.
OMEGAT_TAG = re.compile(r"</?[a-z]*\d+/?>")
PO_PLACEHOLDERS = r"</?[0-9]+/?>"


@pytest.fixture
def omegat() -> str:
    if OMEGAT is None:
        message = "OmegaT is not installed: run scripts/install-system-deps (Debian: omegat)."
        if os.environ.get("BRIEFGEN_REQUIRE_VALIDATORS"):
            pytest.fail(message)
        pytest.skip(message)
    return OMEGAT


METHOD = """\
---
id: method
title: How the study was run
kind: evidence
audiences: [public]
use_cases: [schools]
rights: [privacy]
---
The researchers tested **three** commercial systems [@bryant2019]. Each one misread the \
faces of younger children most often.
"""
# Left out of the translator's memory: OmegaT writes its English copy back.
LEFT = """\
---
id: left
title: A block nobody translated
kind: evidence
audiences: [public]
use_cases: [schools]
rights: [privacy]
---
This paragraph stays in English in OmegaT [@bryant2019].
"""
# English segment text (OmegaT's tags taken out) -> French, with {} for each of the source's
# tags in their order.
FRENCH = {
    "What the study found": "Ce que l’étude a montré",
    "The systems perform poorly on children's faces .": (
        "Les systèmes fonctionnent mal sur les visages d’enfants {}."
    ),
    "How the study was run": "Comment l’étude a été menée",
    (
        "The researchers tested three commercial systems . Each one misread the faces of "
        "younger children most often."
    ): (
        "Les chercheurs ont testé {}trois{} systèmes commerciaux {}. Chacun s’est trompé "
        "le plus souvent sur les visages des plus jeunes enfants."
    ),
}


@pytest.fixture
def project(scenario) -> Path:
    """The `translated` scenario (intro current in French, evidence missing), two blocks more."""
    project = scenario("translated")
    (project / "content/en/030-method.md").write_text(METHOD, encoding="utf-8")
    (project / "content/en/040-left.md").write_text(LEFT, encoding="utf-8")
    return project


def export(project: Path, out: Path, fmt: str) -> Path:
    result = run_cli(
        "--project", project, "i18n", "export", "--locale", "fr", "--format", fmt,
        "--brief", "schools", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return out / f"schools.fr.{'xlf' if fmt == 'xliff' else 'po'}"


def omegat_project(folder: Path, exported: Path) -> Path:
    """A new OmegaT project, as File > New Project makes it: en to fr, segmentation off (each
    unit is one segment: briefgen already cut the blocks), the exported file in source/."""
    for name in ("source", "target", "tm", "glossary", "dictionary", "omegat"):
        (folder / name).mkdir(parents=True)
    shutil.copy(exported, folder / "source" / exported.name)
    root = etree.Element("omegat")
    settings = etree.SubElement(root, "project", version="1.0")
    for name, value in [
        ("source_dir", "__DEFAULT__"),
        ("target_dir", "__DEFAULT__"),
        ("tm_dir", "__DEFAULT__"),
        ("glossary_dir", "__DEFAULT__"),
        ("glossary_file", "__DEFAULT__"),
        ("dictionary_dir", "__DEFAULT__"),
        ("source_lang", "en"),
        ("target_lang", "fr"),
        ("source_tok", "org.omegat.tokenizer.LuceneEnglishTokenizer"),
        ("target_tok", "org.omegat.tokenizer.LuceneFrenchTokenizer"),
        ("sentence_seg", "false"),
        ("support_default_translations", "true"),
        ("remove_tags", "false"),
    ]:
        etree.SubElement(settings, name).text = value
    (folder / "omegat.project").write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )
    return folder


def omegat_config(folder: Path, custom_tags: str = "") -> Path:
    """OmegaT's settings folder (never the user's ~/.omegat); Options > Tag Processing's
    "Regular expression for custom tags" is the preference tagValidation_customPattern."""
    folder.mkdir()
    root = etree.Element("omegat")
    preferences = etree.SubElement(root, "preference", version="1.0")
    if custom_tags:
        etree.SubElement(preferences, "tagValidation_customPattern").text = custom_tags
    (folder / "omegat.prefs").write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    )
    return folder


def run_omegat(omegat: str, project: Path, config: Path, *mode: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [omegat, str(project), f"--config-dir={config}", "--disable-project-locking",
         "--no-team", *mode],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def omegat_segments(omegat: str, project: Path, config: Path, scratch: Path) -> list[str]:
    """The source text of every segment OmegaT sees, in its own tag notation."""
    listing = scratch / "segments.tmx"
    run = run_omegat(
        omegat, project, config, "--mode=console-createpseudotranslatetmx",
        f"--pseudotranslatetmx={listing}", "--pseudotranslatetype=equal",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    # OmegaT writes TMX 1.1 (`lang`, not `xml:lang`), which translate-toolkit reads without
    # its languages: read the first <tuv> of each <tu>, the source, with lxml.
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    units = etree.parse(str(listing), parser).iter("tu")
    return ["".join(unit.find("tuv/seg").itertext()) for unit in units]


def remember(project: Path, segments: list[str], translate: Callable[[str], str | None]) -> None:
    """The project's memory (omegat/project_save.tmx), which console-translate applies: what a
    translator's OmegaT keeps of the segments they translated."""
    memory = tmx.tmxfile(sourcelanguage="en", targetlanguage="fr")
    for segment in segments:
        french = translate(segment)
        if french is not None:
            memory.addtranslation(segment, "en", french, "fr")
    (project / "omegat/project_save.tmx").write_bytes(bytes(memory))


def to_french(segment: str) -> str | None:
    template = FRENCH.get(OMEGAT_TAG.sub("", segment))
    return None if template is None else template.format(*OMEGAT_TAG.findall(segment))


def xliff_targets(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    return [
        etree.tostring(target, encoding=str, with_tail=False)
        for target in root.iter(f"{{{XLIFF}}}target")
    ]


def test_omegat_translates_the_exported_xliff_and_briefgen_imports_it(
    omegat: str, project: Path, tmp_path: Path
) -> None:
    exported = export(project, tmp_path / "exchange", "xliff")
    units = len(list(etree.fromstring(exported.read_bytes()).iter(f"{{{XLIFF}}}trans-unit")))
    workspace = omegat_project(tmp_path / "omegat", exported)
    config = omegat_config(tmp_path / "omegat-config")

    segments = omegat_segments(omegat, workspace, config, tmp_path)
    # One segment per unit: OmegaT lists a text once, so units with the same text count once.
    assert len(segments) == len(set(xliff_targets(exported.read_bytes()))) > 0
    assert units >= len(segments)
    # Inline markup is OmegaT's protected tags; a two-sentence paragraph is one segment.
    assert (
        "The researchers tested <g0>three</g0> commercial systems <x1/>. Each one misread "
        "the faces of younger children most often."
    ) in segments
    assert "This paragraph stays in English in OmegaT <x0/>." in segments
    # A unit already translated is offered with its translation as the text to translate.
    assert "Des caméras installées dans les salles de classe prétendent lire ce que " in (
        " ".join(segments)
    )

    remember(workspace, segments, to_french)
    run = run_omegat(
        omegat, workspace, config, "--mode=console-translate", "--tag-validation=abort"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    translated = workspace / "target" / exported.name
    # OmegaT wrote its translations into the <target>s and kept every attribute.
    assert 'state="needs-translation">Comment l’étude a été menée</target>' in (
        translated.read_text(encoding="utf-8")
    )

    intro = (project / "content/fr/010-intro.md").read_bytes()
    strings = (project / "templates/strings/fr.po").read_bytes()
    result = run_cli("--project", project, "i18n", "import", translated)
    assert result.exit_code == 0, result.stderr
    evidence = (project / "content/fr/020-evidence.md").read_text(encoding="utf-8")
    assert "Les systèmes fonctionnent mal sur les visages d’enfants [@bryant2019]." in evidence
    method = (project / "content/fr/030-method.md").read_text(encoding="utf-8")
    assert "Les chercheurs ont testé **trois** systèmes commerciaux [@bryant2019]. Chacun" in (
        method
    )
    # Nothing English passes for French: the block OmegaT left as English is not written, the
    # current translation ("Introduction" reads the same in both) comes back as it was, and no
    # interface string OmegaT left untranslated enters the French catalogue.
    assert not (project / "content/fr/040-left.md").exists()
    assert (project / "content/fr/010-intro.md").read_bytes() == intro
    assert (project / "templates/strings/fr.po").read_bytes() == strings

    out = tmp_path / "build"
    built = run_cli("--project", project, "build", "--locale", "fr", "--format", "md", "--out", out)
    assert built.exit_code == 0, built.stderr
    (brief,) = out.rglob("*.md")
    text = brief.read_text(encoding="utf-8")
    assert "Ce que l’étude a montré" in text and "**trois**" in text
    assert "The researchers tested" not in text


def test_omegat_refuses_a_translation_that_drops_a_tag(
    omegat: str, project: Path, tmp_path: Path
) -> None:
    exported = export(project, tmp_path / "exchange", "xliff")
    workspace = omegat_project(tmp_path / "omegat", exported)
    config = omegat_config(tmp_path / "omegat-config")
    segments = omegat_segments(omegat, workspace, config, tmp_path)

    def without_citation(segment: str) -> str | None:
        french = to_french(segment)
        return None if french is None else french.replace("<x0/>", "")

    remember(workspace, segments, without_citation)
    run = run_omegat(
        omegat, workspace, config, "--mode=console-translate", "--tag-validation=abort"
    )
    assert run.returncode != 0
    assert "Tag validation failed" in run.stdout + run.stderr
    assert not (workspace / "target" / exported.name).exists()


def test_omegat_translates_the_po_with_custom_tags_and_keeps_current_translations(
    omegat: str, project: Path, tmp_path: Path
) -> None:
    exported = export(project, tmp_path / "exchange", "po")
    catalog = polib.pofile(str(exported))
    workspace = omegat_project(tmp_path / "omegat", exported)
    config = omegat_config(tmp_path / "omegat-config", PO_PLACEHOLDERS)

    segments = omegat_segments(omegat, workspace, config, tmp_path)
    # One segment per entry (a text once), and the PO header, which OmegaT shows as one more.
    assert len(segments) == len({entry.msgid for entry in catalog}) + 1
    # The PO filter offers the English, with a current translation filled in.
    assert "Cameras in classrooms claim to read how pupils feel." in segments

    def po_french(segment: str) -> str | None:
        english = re.sub(PO_PLACEHOLDERS, "", segment)
        template = FRENCH.get(english)
        return None if template is None else template.format(*re.findall(PO_PLACEHOLDERS, segment))

    remember(workspace, segments, po_french)
    run = run_omegat(
        omegat, workspace, config, "--mode=console-translate", "--tag-validation=abort"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    translated = workspace / "target" / exported.name
    written = {entry.msgctxt: entry for entry in polib.pofile(str(translated))}
    # The current translation is kept. "Introduction", the same in French and flagged
    # ignore-same, is emptied: OmegaT keeps a translation equal to its source only with
    # Options > Editor > "Allow translation to be equal to source", so that block waits.
    assert written["block/intro/body/1"].msgstr.startswith("Des caméras installées")
    assert "ignore-same" in written["block/intro/title/1"].flags
    assert written["block/intro/title/1"].msgstr == ""
    intro = (project / "content/fr/010-intro.md").read_bytes()
    result = run_cli("--project", project, "i18n", "import", translated)
    assert result.exit_code == 0, result.stderr
    method = (project / "content/fr/030-method.md").read_text(encoding="utf-8")
    assert "Les chercheurs ont testé **trois** systèmes commerciaux [@bryant2019]." in method
    assert not (project / "content/fr/040-left.md").exists()
    assert (project / "content/fr/010-intro.md").read_bytes() == intro


@pytest.mark.parametrize(
    ("custom_tags", "checked"),
    [("", False), (PO_PLACEHOLDERS, True)],
    ids=["no-custom-tags", "custom-tags"],
)
def test_po_placeholders_are_tags_to_omegat_only_with_the_custom_tag_pattern(
    omegat: str, project: Path, tmp_path: Path, custom_tags: str, checked: bool
) -> None:
    exported = export(project, tmp_path / "exchange", "po")
    workspace = omegat_project(tmp_path / "omegat", exported)
    config = omegat_config(tmp_path / "omegat-config", custom_tags)
    segments = omegat_segments(omegat, workspace, config, tmp_path)

    def dropping_the_bold(segment: str) -> str | None:
        if not segment.startswith("The researchers tested"):
            return None
        return "Les chercheurs ont testé trois systèmes commerciaux <2/>. Chacun s’est trompé."

    remember(workspace, segments, dropping_the_bold)
    run = run_omegat(
        omegat, workspace, config, "--mode=console-translate", "--tag-validation=abort"
    )
    assert (run.returncode != 0) is checked
    assert ("Tag validation failed" in run.stdout + run.stderr) is checked
