"""The pipeline's typed values and stage rules (issue 9): render jobs, the manifest, diagnostics,
link references, one run for every problem, `assemble`, and the fast path of the body scan."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.load import scan
from briefgen.load.loader import load
from briefgen.load.scan import scope_link_references
from briefgen.model import FORMATS, Branding, BriefMetadata, Manifest, ManifestEntry, RenderJob
from briefgen.publish.manifest import merge, read_manifest
from briefgen.render.jobs import prepare
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def minimal_job(tmp_path_factory: pytest.TempPathFactory) -> RenderJob:
    from tests.conftest import SCENARIOS, copy_project

    project = copy_project(SCENARIOS / "minimal", tmp_path_factory.mktemp("job") / "minimal")
    return prepare(load(project), [("schools", "en", ("html", "md"))])[0].job


# --- render jobs -----------------------------------------------------------------------------


def test_a_job_carries_its_inputs_and_its_digest_covers_each_of_them(minimal_job) -> None:
    assert "bryant2019" in minimal_job.references and minimal_job.csl.startswith(b"<?xml")
    base = minimal_job.digest()
    changes = {
        "markdown": minimal_job.markdown + "x",
        "metadata": dataclasses.replace(minimal_job.metadata, iso_date="2020-01-01"),
        "references": "[]",
        "csl": minimal_job.csl + b" ",
        "formats": ("html",),
        "internal_marker": "INTERNAL",
        "toc": True,
        "typst_lang": "fr",
        "typst_region": "FR",
        "cjk": True,
        "csl_locale": "fr-FR",
        "timestamp": minimal_job.timestamp + 1,
        "tool_versions": "{}",
        "shared_digest": "0" * 64,
        "logo": b"<svg/>",
        "logo_file": "brand-logo.png",
    }
    for field in dataclasses.fields(RenderJob):
        skipped = ("brief_id", "locale", "figures", "spans", "templates", "font_paths", "pandoc")
        skipped += ("readings",)
        if field.name in skipped:
            continue
        assert field.name in changes, f"{field.name} has no digest test"
    for name, value in changes.items():
        assert dataclasses.replace(minimal_job, **{name: value}).digest() != base, name
    meta = minimal_job.metadata
    meta_changes = {
        "texts": meta.texts[1:],
        "iso_date": "2020-01-01",
        "logo_alt": meta.logo_alt + "x",
        "compact": not meta.compact,
        "branding": Branding(accent="#00695c"),
        "visual": not meta.visual,
        "epub_summary": meta.epub_summary + "x",
    }
    assert set(meta_changes) == {f.name for f in dataclasses.fields(BriefMetadata)}
    for name, value in meta_changes.items():
        changed = dataclasses.replace(meta, **{name: value})
        assert dataclasses.replace(minimal_job, metadata=changed).digest() != base, name
    # Where the project and the cache live is not an input: two checkouts agree on the digest.
    moved = dataclasses.replace(
        minimal_job, templates="/elsewhere", font_paths=("/x",), readings="/cache"
    )
    assert moved.digest() == base
    assert minimal_job.format_digest("html") != minimal_job.format_digest("md")


def test_a_job_knows_where_each_block_landed_as_the_template_wrote_it(minimal_job) -> None:
    root = Path(minimal_job.templates).parent
    assembled = minimal_job.markdown.splitlines()
    assert minimal_job.spans
    for span in minimal_job.spans:
        written = (root / span.path).read_text("utf-8").splitlines()
        assert assembled[span.first_line - 1] == written[span.body_line - 1], span
        assert minimal_job.position(span.first_line + span.lines) == (
            span.path,
            span.body_line + span.lines,
        )


def test_a_job_survives_the_trip_to_a_worker(minimal_job) -> None:
    import pickle

    assert pickle.loads(pickle.dumps(minimal_job)) == minimal_job


# In threads; in worker processes, a task per format; in worker processes, a task per job.
@pytest.mark.parametrize(("tasks", "briefs"), [(4, None), (9, None), (9, 6)])
def test_jobs_render_as_they_are_written_in_the_order_given(
    minimal_job, tasks: int, briefs: int | None
) -> None:
    """jobs.prepare_each hands render_jobs an iterator: each job is rendered as it comes,
    results in the order given, the same as from a list."""
    from briefgen.render.parallel import render_jobs

    jobs = [minimal_job, dataclasses.replace(minimal_job, formats=("md",))]
    listed = render_jobs(jobs, 2, lambda event: None)
    streamed = render_jobs(iter(jobs), 2, lambda event: None, tasks=tasks, briefs=briefs)
    assert streamed == listed
    assert [[a.format for a in artifacts] for artifacts in streamed] == [["html", "md"], ["md"]]


def test_a_problem_while_jobs_are_written_stops_the_rendering(minimal_job) -> None:
    from briefgen.errors import Problem, ProblemsError
    from briefgen.render.parallel import render_jobs

    def written():
        yield minimal_job
        raise ProblemsError([Problem("briefs/schools.yaml", 3, "a problem found later.")])

    with pytest.raises(ProblemsError, match="a problem found later"):
        render_jobs(written(), 2, lambda event: None, tasks=9)


def test_the_format_registry_is_the_only_list_of_formats() -> None:
    from briefgen.formats.registry import WRITERS
    from briefgen.load import project
    from briefgen.model import DEFAULT_FORMATS
    from briefgen.publish import library
    from briefgen.render import convert as render

    assert set(DEFAULT_FORMATS) == set(FORMATS) == set(WRITERS)
    assert not hasattr(project, "FORMATS")
    assert not hasattr(render, "FORMATS") or render.FORMATS is FORMATS
    assert not hasattr(library, "FORMAT_NAMES")
    assert [f.label for f in FORMATS.values()][:2] == ["PDF", "Word"]


# --- the manifest ----------------------------------------------------------------------------


def _entry(path: str, **changes: object) -> ManifestEntry:
    entry = ManifestEntry(
        path=path,
        kind="brief",
        brief="schools",
        title="T",
        subtitle="",
        audience="public",
        use_cases=("schools",),
        locale="en",
        format=path.rsplit(".", 1)[1],
        size=3,
        sha256="a" * 64,
        input_digest="b" * 64,
        blocks=("intro",),
        citations=("bryant2019",),
    )
    return dataclasses.replace(entry, **changes)


def _manifest(*entries: ManifestEntry, shard: str | None = None) -> Manifest:
    return Manifest(
        briefgen="0.1.0",
        pandoc="3.9",
        typst="0.15.2",
        content_version="v1",
        project="P",
        matrix=("en/schools.html", "en/schools.md"),
        shard=shard,
        internal=False,
        artifacts=entries,
    )


def test_the_manifest_has_a_version_and_round_trips_through_json(tmp_path: Path) -> None:
    manifest = _manifest(_entry("en/schools.html"), _entry("en/schools.md", media=("en/m.png",)))
    data = manifest.to_json()
    assert data["manifest_version"] == 2
    assert Manifest.from_json(json.loads(json.dumps(data))) == manifest
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    assert read_manifest(tmp_path) == manifest


def test_merging_typed_manifests_takes_each_output_once() -> None:
    merged = merge(
        [
            ("a.json", _manifest(_entry("en/schools.html"), shard="1/2")),
            ("b.json", _manifest(_entry("en/schools.md"), shard="2/2")),
        ]
    )
    assert [e.path for e in merged.artifacts] == ["en/schools.html", "en/schools.md"]
    assert merged.shard is None


# --- diagnostics, strictness, one run for every problem --------------------------------------


def test_strict_build_stops_on_a_warning_and_writes_nothing(scenario) -> None:
    project = scenario("minimal")
    with (project / "bibliography.bib").open("a") as bib:
        bib.write("\n@misc{unused2020, title = {Never cited}, year = {2020}}\n")
    result = run_cli("--project", project, "build", "--strict")
    assert result.exit_code == 1
    assert result.stderr == (
        'error: bibliography.bib:9: the entry "unused2020" is not cited by any block.\n'
        "error: 1 problem found; nothing was written.\n"
    )
    assert not (project / "build").exists()
    plain = run_cli("--project", project, "build", "-q")
    assert plain.exit_code == 0
    assert plain.stderr.startswith('warning: bibliography.bib:9: the entry "unused2020"')


def test_a_pandoc_warning_names_the_block_file_and_line(scenario) -> None:
    project = scenario("minimal")
    block = project / "content/en/020-evidence.md"
    block.write_text(block.read_text() + "\nA note[^n].\n\n[^n]: one\n[^n]: two\n")
    result = run_cli("--project", project, "build")
    # check reads the block with pandoc as the build does: a user mistake, found before the build
    assert result.exit_code == 1
    assert (
        "content/en/020-evidence.md:14: pandoc warns: Duplicate note reference 'n'."
        in result.stderr
    )


def test_link_references_are_scoped_to_their_block() -> None:
    body = "See [the report][a19], [a19][] and [A19].\n\n[a19]: https://a.org\n"
    assert scope_link_references(body, "blk") == (
        "See [the report][blk\ue000a19], [a19][blk\ue000a19] and [A19][blk\ue000a19].\n\n"
        "[blk\ue000a19]: https://a.org\n"
    )
    code = "```\n[a19]: https://b.org\n```\n[x] stays, [@key] too.\n\n[a19]: https://a.org\n"
    assert scope_link_references(code, "b").startswith("```\n[a19]: https://b.org\n```\n[x] stays")
    assert scope_link_references("No references here [x].", "b") == "No references here [x]."


# --- assemble --------------------------------------------------------------------------------


def test_assemble_prints_the_common_input_with_its_metadata(scenario) -> None:
    import yaml

    project = scenario("minimal")
    result = run_cli("--project", project, "assemble", "schools")
    assert result.exit_code == 0, result.stderr
    _, header, body = result.stdout.split("---\n", 2)
    meta = yaml.safe_load(header)
    assert meta["title"] == "Cameras in classrooms" and meta["lang"] == "en"
    assert [r["id"] for r in meta["references"]] == ["bryant2019"]
    assert meta["csl"].endswith("styles/chicago-author-date.csl")
    assert "[@bryant2019]" in body and "## Overview" in body
    missing = run_cli("--project", project, "assemble", "school")
    assert missing.exit_code == 1
    assert 'there is no brief "school" (did you mean "schools"?)' in missing.stderr


# --- the body scan's fast path ---------------------------------------------------------------

prose = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd", "Zs"), whitelist_characters="@[];.,-'\n"
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(prose)
def test_the_fast_path_finds_what_the_full_parse_finds(text: str) -> None:
    fast = scan.scan_body(text, 3)
    full = scan._scan_parsed(text, 3)
    assert fast == full


def test_sanitize_drops_what_could_run_among_plain_text() -> None:
    """Raw content, handlers, unsafe links and foreign images go, wherever they stand among a
    paragraph's words; the words stay, and each thing dropped is said."""
    from briefgen.render.sanitize import sanitize_blocks

    word, space = {"t": "Str", "c": "word"}, {"t": "Space"}
    link = {
        "t": "Link",
        "c": [["", [], [["onclick", "x()"], ["lang", "fr"]]], [word], ["\x01javascript:y()", ""]],
    }
    safe = {"t": "Link", "c": [["", [], [["src", "/etc/passwd"]]], [word], ["https://e.org", ""]]}
    image = {"t": "Image", "c": [["", [], []], [word], ["https://example.org/p.png", ""]]}
    raw = {"t": "RawInline", "c": ["html", "<script>alert(1)</script>"]}
    blocks = [{"t": "Para", "c": [word, space, raw, space, link, space, image, safe, word]}]
    kept, dropped = sanitize_blocks(blocks)
    assert kept == [
        {
            "t": "Para",
            "c": [
                word,
                space,
                space,
                word,
                space,
                word,
                {"t": "Link", "c": [["", [], []], [word], ["https://e.org", ""]]},
                word,
            ],
        }
    ]
    assert [d.what for d in dropped] == [
        "raw content",
        'the attribute "onclick="',
        'the link "\\x01javascript:y()"',
        'the image "https://example.org/p.png"',
        'the attribute "src="',
    ]
    kept, dropped = sanitize_blocks([{"t": "RawBlock", "c": ["html", "<iframe>"]}])
    assert kept == [] and [d.what for d in dropped] == ["raw content"]


def test_only_the_briefs_own_figures_keep_their_images() -> None:
    from briefgen.render.sanitize import sanitize_blocks

    figure = {"t": "Image", "c": [["fig-a", [], [["width", "85%"]]], [], ["chart.png", ""]]}
    other = {"t": "Image", "c": [["", [], []], [], ["/etc/hostname", ""]]}
    kept, dropped = sanitize_blocks(
        [{"t": "Plain", "c": [figure, other]}], frozenset({"chart.png"})
    )
    assert kept == [{"t": "Plain", "c": [figure]}]
    assert [d.what for d in dropped] == ['the image "/etc/hostname"']


# --- render: each format parses only what its passes change ---------------------------------


class _Written(Exception):
    """Stops a render at pandoc's writer, with the JSON it would have been given."""


def _writer_input(job: RenderJob, document, format_name: str, parse_every_block: bool) -> bytes:
    from briefgen.render import convert as render
    from briefgen.tools import pandoc

    def capture(args: list[str], stdin: bytes, **_: object) -> bytes:
        raise _Written(stdin)

    lazily = pandoc.lazily
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pandoc, "run", capture)
        if parse_every_block:  # b"" is in every block's JSON
            patch.setattr(pandoc, "lazily", lambda blocks, _: lazily(blocks, (b"",)))
        try:
            render.write_format(job, document, format_name)
        except _Written as written:
            return bytes(written.args[0])
    raise AssertionError(f"{format_name} never reached pandoc's writer")


@pytest.mark.parametrize(("brief", "locale"), [("full-report", "fr"), ("companies", "en")])
def test_a_format_parses_only_the_blocks_it_changes_and_writes_what_a_full_parse_would(
    brief: str, locale: str
) -> None:
    """The French full report has tables, notes above untranslated parts and references; the
    companies brief has a chart. Every format gives pandoc's writer the same bytes whether it
    parsed only the blocks its passes change (pandoc.lazily) or every block."""
    from briefgen.formats import docx as word
    from briefgen.render.convert import read_document
    from briefgen.tools import pandoc
    from tests.conftest import REPO

    job = prepare(load(REPO), [(brief, locale, tuple(FORMATS))])[0].job
    document = read_document(job)
    for name in FORMATS:
        lazy = _writer_input(job, document, name, parse_every_block=False)
        assert lazy == _writer_input(job, document, name, parse_every_block=True), name
    docx = pandoc.lazily(document.blocks, word.PREPARE_CHANGES)
    parsed = sum(isinstance(b, dict) for b in docx)
    assert parsed < len(document.blocks) / 2
    assert parsed > 0 or brief != "full-report"  # its tables and notes are parsed


# --- the benchmarks' inputs -------------------------------------------------------------------


def test_the_benchmarks_generated_project_checks_clean(tmp_path: Path) -> None:
    """benchmarks/synthetic.py must keep up with the project format, or the figures in
    docs/benchmarks.md stop being measurable (it broke once when branding gained a logo)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import synthetic

    project = synthetic.generate(tmp_path / "generated", blocks=60, entries=30)
    loaded = load(project)
    assert len(loaded.content.all_blocks()) == 60
    assert not loaded.warnings


# --- pandoc's readings, kept between runs -----------------------------------------------------


def counting_pandoc(folder: Path) -> tuple[Path, Path]:
    """A pandoc that notes each reading (a run to JSON) in a log, then runs the real one."""
    from briefgen.tools.pandoc import bundled

    wrapper, log = folder / "counting-pandoc", folder / "readings.log"
    wrapper.write_text(
        '#!/bin/sh\ncase "$*" in\n'
        f'  *"-t json"*) echo json >> "{log}" ;;\n'
        f'  *"-t csljson"*) echo csljson >> "{log}" ;;\n'
        "esac\n"
        f'exec "{bundled()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper, log


def test_a_kept_reading_gives_exactly_the_outputs_a_fresh_one_gives(
    scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, cache = scenario("translated"), tmp_path / "cache"
    wrapper, log = counting_pandoc(tmp_path)
    monkeypatch.setenv("BRIEFGEN_CACHE", str(cache))
    monkeypatch.setenv("BRIEFGEN_PANDOC", str(wrapper))

    def build(out: str) -> tuple[dict[str, str], int]:
        log.unlink(missing_ok=True)
        result = run_cli("--project", project, "build", "--force", "--out", tmp_path / out, "-q")
        assert result.exit_code == 0, result.stderr
        manifest = read_manifest(tmp_path / out)
        assert manifest is not None
        # What pandoc read: briefs (to json) and the bibliography's entries (to csljson).
        reads = log.read_text().split() if log.exists() else []
        assert reads.count("csljson") == (out == "fresh")
        return {e.path: e.sha256 for e in manifest.artifacts}, reads.count("json")

    fresh, fresh_reads = build("fresh")
    kept = sorted((cache / "readings").glob("*.json"))
    briefs = {path.rsplit(".", 1)[0] for path in fresh}  # "en/schools", "fr/schools"
    assert fresh_reads == len(briefs) == 2 and len(kept) == 3  # and the entries' CSL
    # Read from the cache: the same bytes in every format, without pandoc reading at all.
    assert build("kept") == (fresh, 0)
    # A damaged reading is read again; an edited block is read again, and only its brief.
    next(p for p in kept if b"pandoc-api-version" in p.read_bytes()).write_bytes(b'{"blocks": ')
    assert build("damaged") == (fresh, 1)
    block = project / "content/fr/010-intro.md"
    block.write_text(block.read_text().replace("installées dans", "dans"))
    edited, reads = build("edited")
    changed = sorted(path for path in fresh if edited[path] != fresh[path])
    assert changed == ["fr/schools.html", "fr/schools.md"] and reads == 1


def test_readings_past_the_limit_go_least_recently_used_first(tmp_path: Path) -> None:
    import os

    from briefgen.load.parsecache import _prune, keep_reading, read_reading

    folder = str(tmp_path / "readings")
    for index, name in enumerate(("a", "b", "c", "d")):
        keep_reading(folder, name, b"x" * 100)
        os.utime(tmp_path / "readings" / f"{name}.json", ns=(index * 10**9, index * 10**9))
    assert read_reading(folder, "a") == b"x" * 100  # used now: the most recent
    _prune(Path(folder), limit=250)
    assert sorted(p.stem for p in Path(folder).iterdir()) == ["a", "d"]
    assert read_reading(folder, "b") is None and read_reading("", "a") is None
    keep_reading("", "e", b"nowhere")  # the cache off: nothing kept, nothing raised
