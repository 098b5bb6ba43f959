"""Loading the project file, blocks, recipes and the bibliography."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.assemble.select import Audience, assemble, select_blocks
from briefgen.errors import ProblemsError, did_you_mean
from briefgen.load.bibliography import load_bibliography
from briefgen.load.content import load_content
from briefgen.load.loader import load
from briefgen.load.project import load_project
from briefgen.load.recipes import load_recipes


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def messages(error: ProblemsError) -> list[str]:
    return [str(p) for p in error.problems]


def test_did_you_mean() -> None:
    assert did_you_mean("goverment", ["government", "companies"]) == ' (did you mean "government"?)'
    # a short form names the one value that starts with it
    assert did_you_mean("zh", ["en", "fr", "zh-Hans"]) == ' (did you mean "zh-Hans"?)'
    assert did_you_mean("p", ["pdf", "png"]) == " (expected one of: pdf, png)"
    assert did_you_mean("zzz", ["a", "b"]) == " (expected one of: a, b)"


def test_project_file_unknown_keys_and_formats(scenario) -> None:
    project = scenario("minimal")
    text = (project / "briefgen.yaml").read_text()
    write(project / "briefgen.yaml", text.replace("defaults:", "defualts:"))
    with pytest.raises(ProblemsError) as error:
        load_project(project)
    assert messages(error.value) == [
        'briefgen.yaml:9: unknown key "defualts" (did you mean "defaults"?).'
    ]


def test_block_fields_are_validated_together(scenario) -> None:
    project = scenario("minimal")
    write(
        project / "content/en/030-bad.md",
        "---\nid: Bad Id\ntitle: ''\nkind: evidense\naudiences: [public]\nuse_cases: all\n"
        "priority: 7\ncolour: red\n---\nText.\n",
    )
    with pytest.raises(ProblemsError) as error:
        load_content(load_project(project))
    assert messages(error.value) == [
        'content/en/030-bad.md:2: the id "Bad Id" is not a slug: use a-z, 0-9 and single hyphens.',
        'content/en/030-bad.md:3: the required field "title" is empty.',
        'content/en/030-bad.md:4: unknown kind "evidense" (did you mean "evidence"?).',
        'content/en/030-bad.md:7: the priority must be 1, 2 or 3, not "7".',
        'content/en/030-bad.md:8: unknown field "colour" (expected one of: audiences, embargo, '
        "figure, id, kind, priority, rights, since_report, title, use_cases, visibility).",
    ]


def test_non_utf8_block_is_a_located_error(scenario) -> None:
    project = scenario("minimal")
    (project / "content/en/030-latin1.md").write_bytes(b"---\nid: x\ntitle: caf\xe9\n---\n")
    with pytest.raises(ProblemsError) as error:
        load_content(load_project(project))
    assert messages(error.value) == [
        "content/en/030-latin1.md:3: is not UTF-8 text (byte 0xe9 at offset 20). Save the file "
        "as UTF-8."
    ]


def test_bibliography_duplicates_and_broken_entries(scenario) -> None:
    project = scenario("minimal")
    write(
        project / "bibliography.bib",
        "@book{a,\n  title = {A},\n  year = {2000}\n}\n\n@book{a,\n  title = {B}\n}\n\n"
        "@book{b,\n  title = {B},\n  title = {C}\n}\n\n@book{c,\n  title = {open\n}\n",
    )
    with pytest.raises(ProblemsError) as error:
        load_bibliography(project)
    assert messages(error.value) == [
        'bibliography.bib:6: the key "a" is used twice (first at line 1); keys must be unique.',
        "bibliography.bib:10: an entry has the field(s) title twice; keep one.",
        "bibliography.bib:15: this entry cannot be parsed: check for unbalanced braces, a missing "
        "comma between fields, or a missing key.",
    ]


def test_unused_entries_are_warnings(scenario) -> None:
    project = scenario("minimal")
    bib = project / "bibliography.bib"
    bib.write_text(bib.read_text() + "\n@misc{spare,\n  title = {Spare}\n}\n")
    loaded = load(project)
    assert [str(w) for w in loaded.warnings] == [
        'bibliography.bib:9: the entry "spare" is not cited by any block.'
    ]


def test_selection_follows_rules_and_file_order(scenario) -> None:
    project_dir = scenario("minimal")
    write(
        project_dir / "content/en/015-press.md",
        "---\nid: press-only\ntitle: P\nkind: evidence\naudiences: [press]\nuse_cases: all\n"
        "---\nFor the press [@bryant2019].\n",
    )
    write(
        project_dir / "content/en/005-early.md",
        "---\nid: early\ntitle: E\nkind: evidence\naudiences: all\nuse_cases: all\n"
        "priority: 3\n---\nEarly [@bryant2019].\n",
    )
    project = load_project(project_dir)
    content = load_content(project)
    recipe = load_recipes(project)["schools"]
    chosen, problems = select_blocks(recipe, content.locale("en"), Audience(project.build_date))
    assert problems == []
    assert [[b.id for b in blocks] for blocks in chosen] == [["intro"], ["early", "evidence"]]
    brief = assemble(project, recipe, content, "en")
    assert brief.cited_keys == ("bryant2019",)


def test_a_section_that_selects_nothing_is_an_error(scenario) -> None:
    project_dir = scenario("minimal")
    recipe = project_dir / "briefs/schools.yaml"
    recipe.write_text(
        recipe.read_text().replace(
            "kinds: [evidence]",
            "kinds: [evidence], rights: [privacy], max_priority: 1, under: nowhere",
        )
    )
    with pytest.raises(ProblemsError) as error:
        load(project_dir)
    assert messages(error.value) == [
        'briefs/schools.yaml:7: the section "Evidence" selects no blocks: loosen its rules or '
        "list block ids."
    ]


def test_recipe_naming_a_missing_block(scenario) -> None:
    project_dir = scenario("minimal")
    recipe = project_dir / "briefs/schools.yaml"
    recipe.write_text(
        recipe.read_text().replace("blocks: [intro]", "blocks:\n      - intro\n      - intor")
    )
    with pytest.raises(ProblemsError) as error:
        load(project_dir)
    assert messages(error.value) == [
        'briefs/schools.yaml:8: the section "Overview" names the block "intor", which does not '
        'exist (did you mean "intro"?).'
    ]


# --- the block cache (parsecache.py) ---------------------------------------------------------


def _read(project: Path) -> tuple[dict[str, dict[str, object]], list[str]]:
    """Every block with every field (`declared` too, which Block's equality leaves out), and
    every problem, as read_content returns them."""
    import dataclasses

    from briefgen.load.content import read_content

    content, problems = read_content(load_project(project))
    blocks = {
        f"{locale}/{block_id}": dataclasses.asdict(block)
        for locale, by_id in content.blocks.items()
        for block_id, block in by_id.items()
    }
    return blocks, sorted(str(p) for p in problems)


def _parsed_then_cached(read, project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch):
    """read(project) with no cache; then point BRIEFGEN_CACHE at `cache` for what follows."""
    monkeypatch.setenv("BRIEFGEN_CACHE", "off")
    parsed = read(project)
    monkeypatch.setenv("BRIEFGEN_CACHE", str(cache))
    return parsed


@pytest.mark.parametrize("name", ["translated", "missing-fields", "unknown-values", "minimal"])
def test_a_cached_read_gives_exactly_what_parsing_gives(
    name: str, scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = scenario(name)
    parsed = _parsed_then_cached(_read, project, tmp_path / "cache", monkeypatch)
    assert _read(project) == parsed  # parsed, and the cache written
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    assert _read(project) == parsed  # from the cache


def test_the_cache_follows_the_files_and_the_project_settings(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefgen.load.content import read_content

    project = scenario("minimal")
    monkeypatch.setenv("BRIEFGEN_CACHE", str(tmp_path / "cache"))
    read_content(load_project(project))
    block = next((project / "content/en").rglob("*.md"))
    block.write_text(block.read_text("utf-8").replace("kind:", "colour: red\nkind:", 1))
    settings = project / "briefgen.yaml"
    kinds = load_project(project).vocabularies["kinds"]
    assert kinds
    _, problems = read_content(load_project(project))
    assert any('unknown field "colour"' in p.message for p in problems)
    # A kind the project no longer knows is reported, though the block's text is unchanged.
    text = settings.read_text("utf-8")
    kind = next(k for k in kinds if f"kind: {k}" in block.read_text("utf-8"))
    settings.write_text(text.replace(f"{kind}:", f"{kind}-renamed:", 1), "utf-8")
    _, problems = read_content(load_project(project))
    assert any(f'unknown kind "{kind}"' in p.message for p in problems)


def test_a_damaged_or_unwritable_cache_is_parsed_around(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, cache = scenario("minimal"), tmp_path / "cache"
    parsed = _parsed_then_cached(_read, project, cache, monkeypatch)
    _read(project)
    (stored,) = cache.glob("*.json")
    stored.write_bytes(stored.read_bytes()[:-40])
    assert _read(project) == parsed
    cache_file = tmp_path / "a-file"
    cache_file.write_text("not a folder")
    monkeypatch.setenv("BRIEFGEN_CACHE", str(cache_file))
    assert _read(project) == parsed


def test_a_cached_bibliography_is_the_parsed_one_and_a_broken_file_still_fails(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = scenario("minimal")
    parsed = _parsed_then_cached(load_bibliography, project, tmp_path / "cache", monkeypatch)
    for _ in range(2):  # parsed and stored, then from the cache
        cached = load_bibliography(project)
        assert (cached.entries, cached.raw, cached.whole) == (
            parsed.entries,
            parsed.raw,
            parsed.whole,
        )
    bib = project / "bibliography.bib"
    bib.write_text(bib.read_text("utf-8") + "\n@book{broken,\n  title = {Unclosed\n", "utf-8")
    with pytest.raises(ProblemsError, match="cannot be parsed"):
        load_bibliography(project)
