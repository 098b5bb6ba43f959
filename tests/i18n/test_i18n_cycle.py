"""Issue 20, "Edit the source without fear": a source edit makes translations stale, never the
build broken; translations remember their source (translations/<locale>.tmx); minor edits keep
translations current; import trusts nothing; a new locale in one command; status for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_project, run_cli, tree_digest

BIOMETRIC = "content/en/60-legal/070-biometric-consent.md"


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped project (every fr and zh-Hans translation current)."""
    return copy_project(REPO, tmp_path / "project")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def status_json(project: Path, *args: str) -> dict:
    result = run_cli("--project", project, "i18n", "status", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def state_of(report: dict, locale: str, block_id: str) -> str:
    entry = next(x for x in report["locales"] if x["locale"] == locale)
    return next(b["state"] for b in entry["blocks"] if b["id"] == block_id)


# --- 1. stale is a state, never a broken build ---------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("children aged 14 and under", "children aged 13 and under"),  # a number
        ("and significant public interest.", "and significant public interest [@ainow2019]."),
    ],
    ids=["number", "citation"],
)
def test_a_source_edit_leaves_translations_stale_and_every_command_working(
    shipped: Path, tmp_path: Path, old: str, new: str
) -> None:
    edit(shipped / BIOMETRIC, old, new)
    args = ("--project", shipped)
    check = run_cli(*args, "check")
    assert check.exit_code == 0, check.stderr
    for locale in ("fr", "zh-Hans"):
        assert (
            f"warning: content/{locale}/60-legal/070-biometric-consent.md:1: the {locale} "
            'translation of "legal-biometric-data" is stale'
        ) in check.stderr
    assert "the number" not in check.stderr and "citation" not in check.stderr
    assert run_cli(*args, "check", "--strict").exit_code == 1
    built = run_cli(*args, "build", "summary", "--locale", "en", "--format", "md")
    assert built.exit_code == 0, built.stderr
    report = status_json(shipped)
    assert state_of(report, "fr", "legal-biometric-data") == "stale"
    assert state_of(report, "zh-Hans", "legal-biometric-data") == "stale"
    exported = run_cli(
        *args, "i18n", "export", "--locale", "fr", "--stale-only", "--out", tmp_path / "x"
    )
    assert exported.exit_code == 0, exported.stderr
    assert "block/legal-biometric-data/body/1" in (tmp_path / "x/all.fr.xlf").read_text()
    french = run_cli(*args, "build", "full-report", "--locale", "fr", "--format", "md")
    assert french.exit_code == 0, french.stderr
    manifest = json.loads((shipped / "build/manifest.json").read_text())
    entry = next(a for a in manifest["artifacts"] if a["path"] == "fr/full-report.md")
    assert "legal-biometric-data" in entry["fallback_blocks"]
    # The edited paragraph in English, not the French translation of an older English text.
    assert new.split(" [@")[0].rstrip(".") in (shipped / "build/fr/full-report.md").read_text()


# --- 6. status for CI ----------------------------------------------------------------------


def test_status_json_carries_qa_findings_and_usage_errors_exit_2(scenario) -> None:
    project = scenario("translated")
    args = ("--project", project, "i18n", "status")
    translation = project / "content/fr/010-intro.md"
    edit(translation, "Des caméras", "En 2020, des caméras")  # a number its source lacks
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (found,) = report["problems"]
    assert found["path"] == "content/fr/010-intro.md" and "2020" in found["message"]
    assert report["locales"][0]["counts"]["current"] == 1
    schema = json.loads((REPO / "docs/i18n-status.schema.json").read_text())
    assert set(schema["required"]) == set(report)
    # A project that does not load at all still gives JSON.
    (project / "briefs/schools.yaml").write_text("title: [unclosed\n")
    broken = run_cli(*args, "--format", "json")
    assert broken.exit_code == 1 and json.loads(broken.stdout)["problems"]
    assert run_cli(*args, "--fail-on", "stal").exit_code == 2
    assert 'did you mean "stale"' in run_cli(*args, "--fail-on", "stal").stderr


# --- 4. import trusts nothing --------------------------------------------------------------


def export(project: Path, out: Path, locale: str, fmt: str = "po", *more: str) -> Path:
    result = run_cli(
        "--project", project, "i18n", "export", "--locale", locale, "--format", fmt,
        "--out", out, *more,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (path,) = [p for p in out.iterdir() if p.name.endswith((".po", ".xlf"))]
    return path


def set_msgstr(path: Path, texts: dict[str, str]) -> None:
    import polib

    catalog = polib.pofile(str(path))
    for entry in catalog:
        if entry.msgctxt in texts:
            entry.msgstr = texts.pop(entry.msgctxt)
    assert not texts, texts
    catalog.save()


def test_a_block_with_a_figure_imports_from_po_its_long_hash_unwrapped(
    shipped: Path, tmp_path: Path
) -> None:
    import polib

    path = export(shipped, tmp_path / "x", "fr")
    catalog = polib.pofile(str(path))
    figure = next(e for e in catalog if "/figure.caption/" in e.msgctxt)
    # polib wraps the four field hashes onto a second comment line.
    assert figure.comment.splitlines()[1].startswith("figure.caption=")
    before = tree_digest(shipped / "content")
    result = run_cli("--project", shipped, "i18n", "import", path)
    assert result.exit_code == 0, result.stderr
    assert "stale:" not in result.stderr and "no source hash" not in result.stderr
    assert tree_digest(shipped / "content") == before


def test_an_english_paragraph_is_not_imported_as_chinese(shipped: Path, tmp_path: Path) -> None:
    path = export(shipped, tmp_path / "x", "zh-Hans", "po", "--brief", "summary")
    english = "Emotion recognition is a biometric technology that claims to read feelings."
    set_msgstr(path, {"block/summary-overview/body/1": english})
    before = tree_digest(shipped)
    result = run_cli("--project", shipped, "i18n", "import", path)
    assert result.exit_code == 1
    assert (
        "unit block/summary-overview/body/1: its text is mostly in Latin letters, not in the "
        "script of the target language (Hans)"
    ) in result.stderr
    assert tree_digest(shipped) == before


def test_a_file_named_for_one_locale_and_declaring_another_is_refused(
    shipped: Path, tmp_path: Path
) -> None:
    path = export(shipped, tmp_path / "x", "fr", "po", "--brief", "summary")
    renamed = path.rename(path.with_name("summary.zh-Hans.po"))
    result = run_cli("--project", shipped, "i18n", "import", renamed)
    assert result.exit_code == 1
    assert 'its name says zh-Hans but the file declares "fr" as its target language' in (
        result.stderr
    )


def test_import_runs_the_checks_of_check_and_a_copied_source_is_untranslated(
    scenario, tmp_path: Path
) -> None:
    project = scenario("translated")
    path = export(project, tmp_path / "x", "fr")
    set_msgstr(
        path,
        {
            "block/evidence/title/1": "Ce que l’étude a montré",
            "block/evidence/body/1": "En 2019, les systèmes échouent sur 40 % des enfants <1/>.",
        },
    )
    before = tree_digest(project)
    result = run_cli("--project", project, "i18n", "import", path)
    assert result.exit_code == 1
    assert 'block/evidence: the number "2019" is not in its source' in result.stderr
    assert tree_digest(project) == before
    # The English copied into the target, as a CAT tool does for an untouched unit: not taken.
    set_msgstr(
        path,
        {
            "block/evidence/body/1": "The systems perform poorly on children's faces <1/>.",
        },
    )
    result = run_cli("--project", project, "i18n", "import", path)
    assert result.exit_code == 0, result.stderr
    assert not (project / "content/fr/020-evidence.md").exists()


def test_import_problems_sorted_by_line_numerically_capped_file_named_once(
    shipped: Path, tmp_path: Path
) -> None:
    import polib

    path = export(shipped, tmp_path / "x", "zh-Hans")
    catalog = polib.pofile(str(path))
    broken = [e for e in catalog if "<1/>" in e.msgid]
    for entry in broken:
        entry.msgstr = "没有占位符的译文。"
    catalog.save()
    result = run_cli("--project", shipped, "i18n", "import", path)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: /")]
    numbers = [int(line.split(":")[2]) for line in lines]
    assert numbers == sorted(numbers) and numbers[0] < 1000 < numbers[-1]
    assert all(line.count(str(path)) == 1 for line in lines)
    assert len(broken) > 100 and len(lines) == 100
    note = result.stderr.splitlines()[-2]
    assert note.startswith(f"note: {path}:") and "more problem(s) from here on" in note


def test_an_oversized_file_is_refused_before_it_is_read(scenario, tmp_path: Path) -> None:
    project = scenario("translated")
    path = tmp_path / "huge.fr.po"
    path.write_bytes(b"# padding\n" * (2_200_000))
    result = run_cli("--project", project, "i18n", "import", path)
    assert result.exit_code == 1
    assert "over the 20 MB an exchange file can be" in result.stderr


def test_read_only_commands_do_not_say_they_wrote_nothing(scenario) -> None:
    result = run_cli("--project", scenario("unknown-audience"), "check")
    assert result.exit_code == 1
    assert "nothing was written" not in result.stderr


# --- 2. a translation remembers its source -------------------------------------------------


def test_the_shipped_memories_hold_every_current_translated_unit() -> None:
    from briefgen.i18n.memory import read_memory

    for locale in ("fr", "zh-Hans"):
        memory = read_memory(REPO, locale)
        assert "block/legal-biometric-data/body/1" in memory
        assert any(key.startswith("string/") for key in memory)
        assert any(key.startswith("data/companies/") for key in memory)
    french = read_memory(REPO, "fr")["block/legal-biometric-data/body/1"]
    assert "children aged 14 and under" in french.source
    assert "enfants de 14 ans" in french.target


def test_mark_current_all_on_the_shipped_project_changes_nothing(shipped: Path) -> None:
    before = tree_digest(shipped)
    for locale in ("fr", "zh-Hans"):
        result = run_cli("--project", shipped, "i18n", "mark-current", "--locale", locale, "--all")
        assert result.exit_code == 0, result.stderr
    assert tree_digest(shipped) == before


def test_a_stale_unit_is_exported_with_its_previous_source_for_review(
    shipped: Path, tmp_path: Path
) -> None:
    import polib
    from lxml import etree

    edit(shipped / BIOMETRIC, "children aged 14 and under", "children aged 13 and under")
    po_path = export(shipped, tmp_path / "po", "fr", "po", "--stale-only")
    entries = {e.msgctxt: e for e in polib.pofile(str(po_path))}
    changed = entries["block/legal-biometric-data/body/1"]
    assert changed.fuzzy and "children aged 14" in changed.previous_msgid
    assert "children aged 13" in changed.msgid and "enfants de 14 ans" in changed.msgstr
    unchanged = entries["block/legal-biometric-data/body/2"]
    assert not unchanged.fuzzy and unchanged.msgstr and not unchanged.previous_msgid
    xliff_path = export(shipped, tmp_path / "xliff", "fr", "xliff", "--stale-only")
    namespace = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    document = etree.parse(str(xliff_path))
    unit = document.find(".//x:trans-unit[@id='block/legal-biometric-data/body/1']", namespace)
    assert unit.find("x:target", namespace).get("state") == "needs-review-translation"
    assert unit.get("approved") is None
    old = unit.find("x:alt-trans", namespace)
    assert "children aged 14" in "".join(old.find("x:source", namespace).itertext())
    assert "enfants de 14 ans" in "".join(old.find("x:target", namespace).itertext())
    # Imported as exported, the fuzzy unit is no translation: the block stays stale.
    for path in (po_path, xliff_path):
        result = run_cli("--project", shipped, "i18n", "import", path)
        assert result.exit_code == 0, result.stderr
        assert "block/legal-biometric-data/body/1: marked fuzzy or for review" in result.stderr
        assert state_of(status_json(shipped), "fr", "legal-biometric-data") == "stale"
    # The translator revises it and confirms: it is current, and the memory remembers 13.
    catalog = polib.pofile(str(po_path))
    for entry in catalog:
        if entry.msgctxt == "block/legal-biometric-data/body/1":
            entry.msgstr = entry.msgstr.replace("enfants de 14 ans", "enfants de 13 ans")
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgctxt = None
    catalog.save()
    result = run_cli("--project", shipped, "i18n", "import", po_path)
    assert result.exit_code == 0, result.stderr
    assert "translations/fr.tmx" in result.stdout
    assert state_of(status_json(shipped), "fr", "legal-biometric-data") == "current"
    memory = (shipped / "translations/fr.tmx").read_text()
    assert "children aged 13 and under" in memory and "enfants de 13 ans" in memory
    assert "children aged 14 and under" not in memory
    assert run_cli("--project", shipped, "check").exit_code == 0


def test_export_tmx_writes_the_memory_translate_toolkit_reads(
    shipped: Path, tmp_path: Path
) -> None:
    from translate.storage import tmx

    result = run_cli(
        "--project", shipped, "i18n", "export", "--locale", "zh-Hans", "--format", "tmx",
        "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    store = tmx.tmxfile.parsestring((tmp_path / "zh-Hans.tmx").read_bytes())
    units = {unit.getid(): unit for unit in store.units}
    assert len(units) > 800
    assert "block/legal-biometric-data/title/1" in units
    assert units["block/legal-biometric-data/title/1"].target.startswith("生物")


# --- 3. minor edits --------------------------------------------------------------------------


def test_a_minor_edit_keeps_every_translation_current(shipped: Path) -> None:
    edit(shipped / BIOMETRIC, "must be encrypted when", "must be encrypted, when")
    assert run_cli("--project", shipped, "check", "--strict").exit_code == 1  # stale
    result = run_cli("--project", shipped, "i18n", "mark-minor", "legal-biometric-data")
    assert result.exit_code == 0, result.stderr
    for path in (
        "content/fr/60-legal/070-biometric-consent.md",
        "content/zh-Hans/60-legal/070-biometric-consent.md",
        "translations/fr.tmx",
        "translations/zh-Hans.tmx",
    ):
        assert f"  {path}\n" in result.stdout
    report = status_json(shipped)
    assert state_of(report, "fr", "legal-biometric-data") == "current"
    assert state_of(report, "zh-Hans", "legal-biometric-data") == "current"
    assert "must be encrypted, when" in (shipped / "translations/fr.tmx").read_text()
    assert run_cli("--project", shipped, "check", "--strict").exit_code == 0


def test_an_edit_that_changes_a_number_is_not_minor(shipped: Path) -> None:
    edit(shipped / BIOMETRIC, "children aged 14 and under", "children aged 13 and under")
    before = tree_digest(shipped)
    result = run_cli("--project", shipped, "i18n", "mark-minor", "legal-biometric-data")
    assert result.exit_code == 1
    assert 'the number "13" of its source' in result.stderr
    assert "The edit of legal-biometric-data is not minor" in result.stderr
    assert tree_digest(shipped) == before
    assert "did you mean" in run_cli("--project", shipped, "i18n", "mark-minor", "legal-bio").stderr


# --- 5. a new language in one command ------------------------------------------------------


def test_a_new_locale_in_one_command_then_status_and_export_work(scenario, tmp_path: Path) -> None:
    import polib

    project = scenario("translated")
    config = project / "briefgen.yaml"
    config.write_text("# The project.\n" + config.read_text())
    result = run_cli("--project", project, "i18n", "add-locale", "de")
    assert result.exit_code == 0, result.stderr
    text = config.read_text()
    assert text.startswith("# The project.\n") and "available: [en, fr, de]" in text
    catalog = polib.pofile(str(project / "templates/strings/de.po"))
    assert catalog.metadata["Language"] == "de" and len(catalog) > 0
    assert all(entry.msgstr == "" for entry in catalog)
    report = status_json(project, "--locale", "de")
    german = report["locales"][0]
    assert german["counts"]["missing"] >= 2 and german["counts"]["current"] == 0
    assert german["strings_missing"] and report["problems"] == []
    assert german["titles_missing"] == [
        "briefs/schools.yaml: title",
        "briefs/schools.yaml: section 1 title",
        "briefs/schools.yaml: section 2 title",
    ]
    check = run_cli("--project", project, "check")
    assert check.exit_code == 0, check.stderr
    assert 'the title "Cameras in classrooms" has no de text' in check.stderr
    path = export(project, tmp_path / "x", "de")
    assert "block/intro/body/1" in path.read_text()
    assert run_cli("--project", project, "build", "--locale", "en").exit_code == 0


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("de_AT", "write one such as de, pt-BR or zh-Hant"),
        ("xx-Nope", "is not a language tag Babel (CLDR) knows"),
        ("zh-hant", 'write the language tag "zh-hant" as "zh-Hant"'),
        ("fr", '"fr" is already a locale of this project'),
    ],
)
def test_add_locale_refuses_a_bad_tag_and_writes_nothing(scenario, tag: str, message: str) -> None:
    project = scenario("translated")
    before = tree_digest(project)
    result = run_cli("--project", project, "i18n", "add-locale", tag)
    assert result.exit_code == 1 and message in result.stderr
    assert tree_digest(project) == before


def test_a_stale_export_validates_against_the_xliff_1_2_strict_schema(
    shipped: Path, tmp_path: Path
) -> None:
    from typing import Any

    from lxml import etree

    schemas = REPO / "tests/schemas"

    class LocalSchemas(etree.Resolver):
        def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
            if system_url == "http://www.w3.org/2001/xml.xsd":
                return self.resolve_filename(str(schemas / "xml.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    schema = etree.XMLSchema(etree.parse(str(schemas / "xliff-core-1.2-strict.xsd"), parser))
    edit(shipped / BIOMETRIC, "children aged 14 and under", "children aged 13 and under")
    edit(shipped / BIOMETRIC, "and significant public interest.", "[@ainow2019].")
    path = export(shipped, tmp_path / "x", "zh-Hans", "xliff", "--stale-only")
    document = etree.parse(str(path))
    assert schema.validate(document), schema.error_log
    assert len(document.findall(".//{*}alt-trans")) == 2


def test_an_edit_to_one_paragraph_stales_only_that_unit(shipped: Path) -> None:
    edit(shipped / BIOMETRIC, "children aged 14 and under", "children aged 13 and under")
    report = status_json(shipped, "--locale", "fr")
    block = next(b for b in report["locales"][0]["blocks"] if b["id"] == "legal-biometric-data")
    assert block["state"] == "stale" and block["stale_units"] == ["body/1"]
    paragraph = (shipped / BIOMETRIC).read_text().split("---\n", 2)[2].split("\n\n")[0]
    assert block["words"] == len(paragraph.split())
    text = run_cli("--project", shipped, "i18n", "status", "--locale", "fr").stdout
    assert (
        "legal-biometric-data: its source changed since it was translated (body; units body/1)"
        in text
    )


def test_a_repeated_segment_is_offered_prefilled_for_review(shipped: Path, tmp_path: Path) -> None:
    import polib

    paragraph = (shipped / BIOMETRIC).read_text().split("---\n", 2)[2].split("\n\n")[0]
    (shipped / "content/en/60-legal/071-repeat.md").write_text(
        "---\nid: legal-repeat\ntitle: A repeat\nkind: legal\naudiences: all\nuse_cases: all\n"
        f"---\n{paragraph}\n\nA sentence never translated anywhere before today.\n"
    )
    path = export(shipped, tmp_path / "po", "fr", "po", "--stale-only")
    entries = {e.msgctxt: e for e in polib.pofile(str(path))}
    repeated = entries["block/legal-repeat/body/1"]
    assert repeated.fuzzy and "enfants de 14 ans" in repeated.msgstr
    assert "translated so in block/legal-biometric-data/body/1" in repeated.comment
    assert entries["block/legal-repeat/body/2"].msgstr == ""
    xliff = export(shipped, tmp_path / "xliff", "fr", "xliff", "--stale-only").read_text()
    assert 'state="needs-review-translation">Les informations biométriques' in xliff


def test_recipe_titles_are_units_and_import_writes_them_keeping_the_file(
    scenario, tmp_path: Path
) -> None:
    project = scenario("translated")
    recipe = project / "briefs/schools.yaml"
    recipe.write_text("# Schools.\n" + recipe.read_text())
    assert run_cli("--project", project, "i18n", "add-locale", "de").exit_code == 0
    path = export(project, tmp_path / "x", "de")
    set_msgstr(
        path,
        {
            "recipe/schools/title/1": "Kameras in Klassenzimmern",
            "recipe/schools/section-1/1": "Überblick",
            "recipe/schools/section-2/1": "Die Belege",
        },
    )
    result = run_cli("--project", project, "i18n", "import", path)
    assert result.exit_code == 0, result.stderr
    text = recipe.read_text()
    assert text.startswith("# Schools.\n")
    assert '  de: "Kameras in Klassenzimmern"' in text
    assert '{en: Overview, fr: Vue d’ensemble, de: "Überblick"}' in text
    assert status_json(project, "--locale", "de")["locales"][0]["titles_missing"] == []
    assert run_cli("--project", project, "check", "--strict").exit_code == 1  # blocks, strings


def test_the_glossary_and_company_names_export_as_a_term_base(tmp_path: Path) -> None:
    """`i18n export --format tbx`: what a CAT tool's term base takes, read back with
    translate-toolkit: every glossary term and company, with the locale's term where set."""
    from translate.storage import tbx

    result = run_cli(
        "--project", REPO, "i18n", "export", "--locale", "zh-Hans", "--format", "tbx",
        "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    base = tbx.tbxfile.parsefile(str(tmp_path / "zh-Hans.tbx"))
    pairs = {unit.source: unit.target for unit in base.units}
    assert pairs["Emotion recognition"] == "情绪识别"
    glossary = len(yaml_entries(REPO / "data/en/glossary.yaml", "terms"))
    companies = len(yaml_entries(REPO / "data/en/companies.yaml", "companies"))
    assert len(base.units) == glossary + companies
    assert all(unit.target for unit in base.units)  # the Chinese data is complete


def yaml_entries(path: Path, key: str) -> list:
    import yaml

    return yaml.safe_load(path.read_text())[key]


def test_an_edit_to_one_paragraph_leaves_the_others_translated(shipped: Path, tmp_path) -> None:
    """Staleness is per paragraph in the brief too: the French block keeps its title and its
    unchanged paragraphs in French (from the translation memory), shows the edited paragraph in
    English, marked as English, under a note that says so."""
    edit(
        shipped / "content/en/60-legal/070-biometric-consent.md",
        "children aged 14 and under",
        "children aged 13 and under",
    )
    out = tmp_path / "out"
    result = run_cli(
        "--project", shipped, "build", "full-report", "--locale", "fr",
        "--format", "md", "--format", "html", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    markdown = (out / "fr/full-report.md").read_text()
    block = markdown.split("### Données biométriques")[1].split("\n### ")[0]
    assert "Certaines parties de ce bloc ont changé dans l’original" in block
    assert "children aged 13 and under" in block  # the edited paragraph, in English
    assert "Le rapport constate que ce double classement" in block  # the others, in French
    assert "The report finds that this double listing" not in block
    page = (out / "fr/full-report.html").read_text()
    assert '<span lang="en">Biometric information is explicitly' in page
    manifest = json.loads((out / "manifest.json").read_text())
    entry = next(e for e in manifest["artifacts"] if e["path"] == "fr/full-report.md")
    assert "legal-biometric-data" in entry["fallback_blocks"]  # incomplete, and said so
