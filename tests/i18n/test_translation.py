"""The translators' workflow (issue 10), on the `translated` scenario: English with a partial
French edition (intro translated and current, evidence missing)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from briefgen.i18n.locales import count_words, english_words, numbers
from tests.conftest import REPO, run_cli, tree_digest


@pytest.fixture
def project(scenario) -> Path:
    return scenario("translated")


def status(project: Path, *args: str) -> dict:
    result = run_cli("--project", project, "i18n", "status", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def block_states(report: dict, locale: str = "fr") -> dict[str, str]:
    entry = next(x for x in report["locales"] if x["locale"] == locale)
    return {b["id"]: b["state"] for b in entry["blocks"]}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


# --- status and staleness ----------------------------------------------------------------


def test_status_counts_states_and_words_and_follows_its_schema(project: Path) -> None:
    report = status(project)
    assert report["schema"] == "briefgen-i18n-status/1"
    french = report["locales"][0]
    assert french["counts"] == {"current": 1, "stale": 0, "missing": 1}
    assert french["words_to_translate"] == 12
    assert block_states(report) == {"intro": "current", "evidence": "missing"}
    assert french["briefs"][0]["brief"] == "schools" and not french["briefs"][0]["complete"]
    schema = json.loads((REPO / "docs/i18n-status.schema.json").read_text())
    assert set(schema["required"]) <= set(report)
    assert set(schema["properties"]["locales"]["items"]["required"]) <= set(french)


@pytest.mark.parametrize(
    ("old", "new", "fields"),
    [
        ("claim to read how pupils feel", "claim to read how pupils really feel", ["body"]),
        ("title: Introduction", "title: An introduction", ["title"]),
    ],
)
def test_a_source_edit_makes_the_translation_stale_naming_the_fields(
    project: Path, old: str, new: str, fields: list[str]
) -> None:
    edit(project / "content/en/010-intro.md", old, new)
    report = status(project)
    intro = next(b for b in report["locales"][0]["blocks"] if b["id"] == "intro")
    assert intro["state"] == "stale" and intro["changed"] == fields
    text = run_cli("--project", project, "i18n", "status").stdout
    assert f"stale: intro: its source changed since it was translated ({fields[0]})" in text


def test_a_figure_caption_edit_makes_the_translation_stale(project: Path) -> None:
    source = project / "content/en/010-intro.md"
    edit(
        source, "use_cases: all\n", "use_cases: all\nfigure: {image: fig.png, caption: A, alt: B}\n"
    )
    (project / "fig.png").write_bytes((REPO / "docs/images/government-page-1.png").read_bytes())
    run_cli("--project", project, "i18n", "mark-current", "--locale", "fr", "intro")
    assert block_states(status(project))["intro"] == "current"
    edit(source, "caption: A", "caption: A new caption")
    intro = next(b for b in status(project)["locales"][0]["blocks"] if b["id"] == "intro")
    assert intro["changed"] == ["figure.caption"]


def test_fail_on_gives_ci_an_exit_code(project: Path) -> None:
    args = ("--project", project, "i18n", "status", "--fail-on")
    assert run_cli(*args, "missing").exit_code == 1
    assert run_cli(*args, "stale").exit_code == 0
    translation = project / "content/fr/020-evidence.md"
    translation.write_text(
        "---\ntranslation_of: evidence\ntitle: Ce que l’étude a montré\n---\n"
        "Les systèmes fonctionnent mal sur les visages d’enfants [@bryant2019].\n"
    )
    assert run_cli(*args, "missing").exit_code == 0
    assert run_cli(*args, "stale").exit_code == 1  # no source_hash recorded yet
    run_cli("--project", project, "i18n", "mark-current", "--locale", "fr", "evidence")
    assert run_cli(*args, "stale,missing").exit_code == 0
    assert run_cli(*args, "fuzzy").exit_code == 2  # a usage error


# --- translations inherit, and must have a source ------------------------------------------


def test_an_orphan_and_a_contradicting_translation_are_errors(project: Path) -> None:
    (project / "content/fr/030-orphan.md").write_text(
        "---\ntranslation_of: evidense\ntitle: Orphelin\n---\nTexte.\n"
    )
    edit(
        project / "content/fr/010-intro.md",
        "title: Introduction\n",
        "title: Introduction\nkind: evidence\n",
    )
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert (
        'error: content/fr/010-intro.md:4: kind is "evidence" here but "summary" in its source '
        "content/en/010-intro.md; leave kind out: a translation inherits it.\n"
    ) in result.stderr
    assert (
        'error: content/fr/030-orphan.md:2: this translates "evidense", which is not a block of '
        'content/en (did you mean "evidence"?).\n'
    ) in result.stderr


# --- never mix languages silently ----------------------------------------------------------


def test_refuse_lists_every_block_to_translate_and_writes_nothing(project: Path) -> None:
    result = run_cli("--project", project, "build", "--locale", "fr", "--untranslated", "refuse")
    assert result.exit_code == 1
    assert result.stderr == (
        'error: content/en/020-evidence.md: the brief "schools" needs this block in fr, and it '
        "is not translated (the project refuses untranslated blocks: translate it, or build "
        "with --untranslated fallback).\n"
        "error: 1 problem found; nothing was written.\n"
    )
    assert not (project / "build").exists()
    edit(
        project / "briefgen.yaml",
        "available: [en, fr]}",
        "available: [en, fr], untranslated: refuse}",
    )
    assert run_cli("--project", project, "build", "--locale", "fr").exit_code == 1
    edit(
        project / "briefs/schools.yaml",
        "audience: public",
        "audience: public\nuntranslated: fallback",
    )
    assert run_cli("--project", project, "build", "--locale", "fr", "-q").exit_code == 0


def test_fallback_is_marked_in_every_format_and_recorded(project: Path) -> None:
    import docx

    result = run_cli(
        "--project",
        project,
        "build",
        "--locale",
        "fr",
        "--format",
        "html",
        "--format",
        "docx",
        "--format",
        "epub",
        "--format",
        "md",
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "note: fr/schools shows 1 block(s) in the source language, marked as such: evidence"
        in result.stderr
    )
    html = (project / "build/fr/schools.html").read_text()
    assert '<html lang="fr"' in html
    note = "Cette partie n'est pas encore traduite"
    assert html.count(note.replace("'", "’")) == 1
    assert re.search(r'<div lang="en">\s*<p>The systems perform poorly', html)
    assert re.search(r'id="evidence"[^>]*lang="en"', html)  # the heading's section
    import zipfile

    with zipfile.ZipFile(project / "build/fr/schools.epub") as epub:
        chapters = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert '<div lang="en">' in chapters
    document = docx.Document(str(project / "build/fr/schools.docx"))
    english = [
        run.text
        for p in document.paragraphs
        for run in p.runs
        if run._r.rPr is not None
        and any(
            e.get(docx.oxml.ns.qn("w:val")) == "en"
            for e in run._r.rPr.iter(docx.oxml.ns.qn("w:lang"))
        )
    ]
    assert any("perform poorly" in text for text in english)
    manifest = json.loads((project / "build/manifest.json").read_text())
    entry = next(e for e in manifest["artifacts"] if e["path"] == "fr/schools.html")
    assert entry["fallback_blocks"] == ["evidence"]
    library = (project / "build/index.fr.html").read_text()
    assert "Incomplète : 1 parties en anglais" in library.replace("\u00a0", " ")


# --- interface strings ---------------------------------------------------------------------


def test_a_missing_interface_string_is_a_check_warning(project: Path) -> None:
    catalog = project / "templates/strings/fr.po"
    text = catalog.read_text()
    catalog.write_text(
        re.sub(
            r'msgctxt "references"\nmsgid "References"\nmsgstr "[^"]*"',
            'msgctxt "references"\nmsgid "References"\nmsgstr ""',
            text,
        )
    )
    # As an untitled section: the French brief prints it in English, and --strict fails.
    result = run_cli("--project", project, "check")
    assert result.exit_code == 0
    assert (
        'warning: templates/strings/fr.po: the string "references" ("References") has no '
        "translation for fr; fr briefs print it in the source language: add msgctxt "
        '"references" with its msgstr.\n'
    ) in result.stderr
    assert run_cli("--project", project, "check", "--strict").exit_code == 1
    assert status(project)["locales"][0]["strings_missing"] == ["references"]


def test_the_shipped_catalogs_pass_msgfmt_check() -> None:
    for catalog in sorted((REPO / "templates/strings").glob("*.po")):
        done = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(catalog)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr


# --- translation QA ------------------------------------------------------------------------


def test_qa_catches_a_changed_number_and_a_dropped_citation(project: Path) -> None:
    (project / "content/fr/020-evidence.md").write_text(
        "---\ntranslation_of: evidence\ntitle: Ce que l’étude a montré\n---\n"
        "En 2019, les systèmes fonctionnaient mal sur les visages d’enfants [@bryant2019].\n"
    )
    source = project / "content/en/020-evidence.md"
    edit(source, "children's faces", "children's faces in 2018")
    marked = run_cli("--project", project, "i18n", "mark-current", "--locale", "fr", "evidence")
    assert marked.exit_code == 0, marked.stderr
    edit(project / "content/fr/020-evidence.md", " [@bryant2019].", ".")
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert (
        'error: content/fr/020-evidence.md:8: the translation drops the citation "@bryant2019" '
        "that its source cites at content/en/020-evidence.md:9.\n"
    ) in result.stderr
    assert (
        'error: content/fr/020-evidence.md:8: the number "2018" of its source '
        "(content/en/020-evidence.md:9) is not in the translation.\n"
    ) in result.stderr
    assert (
        'error: content/fr/020-evidence.md:8: the number "2019" is not in its source '
        "(content/en/020-evidence.md).\n"
    ) in result.stderr
    # The second run finds the same from the parse cache, and follows an edit of either block.
    assert run_cli("--project", project, "check").stderr == result.stderr
    edit(project / "content/fr/020-evidence.md", "d’enfants.", "d’enfants [@bryant2019].")
    again = run_cli("--project", project, "check").stderr
    assert "drops the citation" not in again and 'the number "2018"' in again
    # Once the source changes again the translation is stale: it is compared with nothing.
    edit(source, "children's faces in 2018", "children's faces")
    stale = run_cli("--project", project, "check")
    assert stale.exit_code == 0 and 'the number "2018"' not in stale.stderr
    assert 'the fr translation of "evidence" is stale' in stale.stderr


def test_numbers_are_compared_by_value_across_languages() -> None:
    english = {
        v for f in numbers("A USD 65 billion market, 1,000 times, 2.5%.", 1) for v in f.values
    }
    chinese = {v for f in numbers("650亿美元的市场，1000次，2.5%。", 1) for v in f.values}
    french = {
        v for f in numbers("Un marché de 65 milliards, 1 000 fois, 2,5 %.", 1) for v in f.values
    }
    assert {65e9, 1000.0, 2.5} <= english & chinese & french


def test_chinese_is_counted_by_characters() -> None:
    assert count_words("情绪识别 emotion recognition") == 6
    assert english_words("情绪识别技术在中国") == 5  # 9 characters / 1.7


# --- exchange files: export, import, round trips --------------------------------------------


@pytest.mark.parametrize("fmt", ["xliff", "po"])
def test_export_then_import_of_an_unchanged_translation_changes_no_byte(
    project: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "exchange"
    result = run_cli(
        "--project", project, "i18n", "export", "--locale", "fr", "--format", fmt, "--out", out
    )
    assert result.exit_code == 0, result.stderr
    (exported,) = list(out.iterdir())
    before = tree_digest(project)
    # The export leaves untranslated units empty; the import takes the complete items only.
    result = run_cli("--project", project, "i18n", "import", exported)
    assert result.exit_code == 0, result.stderr
    assert tree_digest(project) == before


def test_a_file_translated_in_a_cat_tool_imports_and_becomes_current(
    project: Path, tmp_path: Path
) -> None:
    import copy

    from translate.storage import xliff
    from translate.storage.placeables import StringElem
    from translate.storage.placeables.xliff import X

    out = tmp_path / "exchange"
    run_cli(
        "--project", project, "i18n", "export", "--locale", "fr", "--format", "xliff",
        "--brief", "schools", "--out", out,
    )  # fmt: skip
    path = out / "schools.fr.xlf"
    store = xliff.xlifffile.parsestring(path.read_bytes())
    words = {
        "The systems perform poorly on children's faces": "Les systèmes fonctionnent mal "
        "sur les visages d’enfants",
        "What the study found": "Ce que l’étude a montré",
    }

    def translate(elem: StringElem) -> None:  # as a translator does: only the text changes
        for index, sub in enumerate(elem.sub):
            if isinstance(sub, str):
                for english, french in words.items():
                    sub = sub.replace(english, french)
                elem.sub[index] = sub
            elif not isinstance(sub, X):
                translate(sub)

    for unit in store.units:
        if unit.istranslatable() and "block/evidence/" in unit.getid():
            rich = copy.deepcopy(unit.rich_source)
            for elem in rich:
                translate(elem)
            unit.rich_target = rich
    path.write_bytes(bytes(store))
    result = run_cli("--project", project, "i18n", "import", path)
    assert result.exit_code == 0, result.stderr
    written = (project / "content/fr/020-evidence.md").read_text()
    assert "translation_of: evidence" in written and "source_hash:" in written
    assert "sur les visages d’enfants [@bryant2019]" in written
    assert block_states(status(project)) == {"intro": "current", "evidence": "current"}
    assert run_cli("--project", project, "check").exit_code == 0


def _exported_po(project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "exchange"
    run_cli(
        "--project", project, "i18n", "export", "--locale", "fr", "--format", "po", "--out", out
    )
    return out / "all.fr.po"


def test_an_import_with_a_broken_placeholder_is_rejected_and_writes_nothing(
    project: Path, tmp_path: Path
) -> None:
    import polib

    path = _exported_po(project, tmp_path)
    catalog = polib.pofile(str(path))
    for entry in catalog:
        if entry.msgctxt == "block/evidence/body/1":
            entry.msgstr = "Les systèmes fonctionnent mal sur les visages d’enfants."  # no <1/>
        if entry.msgctxt == "block/evidence/title/1":
            entry.msgstr = "Ce que l’étude a montré"
    catalog.save()
    before = tree_digest(project)
    result = run_cli("--project", project, "i18n", "import", path)
    assert result.exit_code == 1
    assert "unit block/evidence/body/1: <1/> (the citation [@bryant2019]) is missing" in (
        result.stderr
    )
    assert "nothing was written" in result.stderr
    assert tree_digest(project) == before


def test_an_import_whose_source_changed_since_export_reports_it_stale(
    project: Path, tmp_path: Path
) -> None:
    import polib

    path = _exported_po(project, tmp_path)
    catalog = polib.pofile(str(path))
    for entry in catalog:
        if entry.msgctxt == "block/intro/body/1":
            entry.msgstr = "Une nouvelle traduction."
    catalog.save()
    edit(project / "content/en/010-intro.md", "claim to read", "say they read")
    before = tree_digest(project)
    result = run_cli("--project", project, "i18n", "import", path)
    assert "stale: block/intro: its source changed since the export" in result.stderr
    assert tree_digest(project) == before


# --- CJK -----------------------------------------------------------------------------------


def test_a_chinese_pdf_with_a_character_no_font_has_fails(scenario) -> None:
    project = scenario("duplicate-id-locale")
    (project / "content/zh-Hans/011-intro-again.md").unlink()
    block = project / "content/zh-Hans/010-intro.md"
    text = block.read_text()
    block.write_text(text.rstrip("\n") + " 柏柏尔字母\u2d63。\n")
    run_cli("--project", project, "i18n", "mark-current", "--locale", "zh-Hans", "intro")
    result = run_cli("--project", project, "build", "--locale", "zh-Hans", "--format", "pdf")
    assert result.exit_code == 2
    assert '"\u2d63" (U+2D63) at content/zh-Hans/010-intro.md:11' in result.stderr
    assert not (project / "build").exists()


def test_untranslated_data_rows_follow_the_same_rule_as_blocks(tmp_path: Path) -> None:
    """A French company row left untranslated (in a copy of the shipped project, whose French
    data is complete) falls back like a block, or is refused."""
    import shutil

    import yaml

    from briefgen.assemble.select import assemble
    from briefgen.errors import ProblemsError
    from briefgen.load.loader import load

    project = tmp_path / "project"
    project.mkdir()
    for name in ("briefgen.yaml", "bibliography.bib"):
        shutil.copy(REPO / name, project / name)
    for name in ("content", "data", "briefs", "templates", "styles", "branding"):
        shutil.copytree(REPO / name, project / name)
    companies = project / "data/fr/companies.yaml"
    data = yaml.safe_load(companies.read_text())
    data["companies"] = [c for c in data["companies"] if c["id"] != "hanwang-education"]
    companies.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    loaded = load(project)
    args = (
        loaded.project,
        loaded.recipes["education"],
        loaded.content,
        "fr",
        loaded.data_for("fr"),
    )
    strings = loaded.strings.for_locale("fr")
    brief = assemble(*args, strings=strings, untranslated="fallback")
    assert "companies/hanwang-education" in brief.fallback_blocks
    with pytest.raises(ProblemsError) as refused:
        assemble(*args, strings=strings, untranslated="refuse")
    assert any(p.path == "data/fr/companies.yaml" for p in refused.value.problems)
    chinese = assemble(
        loaded.project, loaded.recipes["education"], loaded.content, "zh-Hans",
        loaded.data_for("zh-Hans"), strings=loaded.strings.for_locale("zh-Hans"),
        untranslated="refuse",
    )  # fmt: skip
    assert chinese.fallback_blocks == ()


@pytest.mark.parametrize("fmt", ["xliff", "po"])
def test_the_chinese_edition_survives_its_own_round_trip(tmp_path: Path, fmt: str) -> None:
    """Export every unit of the shipped zh-Hans edition (all pre-filled) and import it back:
    no block, data entry or catalog changes."""
    from tests.conftest import copy_project

    project = copy_project(REPO, tmp_path / "project")
    out = tmp_path / "exchange"
    args = ("--project", project, "i18n")
    exported = run_cli(*args, "export", "--locale", "zh-Hans", "--format", fmt, "--out", out)
    assert exported.exit_code == 0, exported.stderr
    before = tree_digest(project)
    (path,) = list(out.iterdir())
    result = run_cli(*args, "import", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("wrote 0 file(s)")
    assert tree_digest(project) == before
