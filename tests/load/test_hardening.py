"""Bad input that can't live in a scenario folder, content that must stay data, internal content
that must never be published, and faults in the middle of a build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from briefgen.errors import ProblemsError
from briefgen.load.content import split_front_matter
from briefgen.load.yamlfile import parse_yaml
from briefgen.tools.pandoc import bundled
from tests.conftest import run_cli, tree_digest

BLOCK = (
    "---\nid: {id}\ntitle: '{title}'\nkind: {kind}\naudiences: all\nuse_cases: all\n---\n{body}\n"
)


def add_block(project: Path, name: str, **fields: str) -> Path:
    values = {"id": name, "title": name.title(), "kind": "summary", "body": "Text."} | fields
    path = project / "content/en" / f"{name}.md"
    path.write_text(BLOCK.format(**values))
    return path


def with_earlier_build(project: Path) -> dict[str, str]:
    earlier = project / "build/en"
    earlier.mkdir(parents=True)
    (earlier / "schools.html").write_text("an earlier build")
    return tree_digest(project / "build")


# --- bad input -------------------------------------------------------------------------------


def test_a_link_out_of_the_project_is_refused(scenario, tmp_path: Path) -> None:
    project = scenario("minimal")
    outside = tmp_path / "outside.md"
    outside.write_text(BLOCK.format(id="out", title="Out", kind="summary", body="Secret."))
    (project / "content/en/030-link.md").symlink_to(outside)
    before = with_earlier_build(project)
    result = run_cli("--project", project, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: content/en/030-link.md: is a link to {outside}, outside the project; copy the "
        "file into the project instead."
    )
    assert tree_digest(project / "build") == before


def test_a_very_large_file_is_refused_quickly(scenario) -> None:
    project = scenario("minimal")
    huge = project / "content/en/030-huge.md"
    with huge.open("w") as handle:
        handle.write(BLOCK.format(id="huge", title="Huge", kind="summary", body=""))
        handle.write(("x" * 1023 + "\n") * 50 * 1024)  # 50 MB
    before = with_earlier_build(project)
    result = run_cli("--project", project, "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: content/en/030-huge.md: the file is 52 MB; files over 5 MB are refused. "
        "Split it up."
    )
    assert tree_digest(project / "build") == before


def test_very_many_blocks_load_and_all_their_problems_are_reported(scenario) -> None:
    project = scenario("minimal")
    for n in range(2000):
        kind = "sumary" if n % 4 == 0 else "summary"
        add_block(project, f"many-{n:04d}", kind=kind, body=f"Block {n} of many.")
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert result.stderr.count('unknown kind "sumary" (did you mean "summary"?)') == 500
    assert result.stderr.splitlines()[-1] == "error: 500 problems found."


# --- content is data -------------------------------------------------------------------------


def test_template_syntax_in_a_block_prints_as_written(scenario) -> None:
    project = scenario("minimal")
    add_block(
        project,
        "jinja",
        title="Totals {{ 6 * 7 }}",
        body="Sums like {{ 7 * 7 }} and {% for x in y %}loops{% endfor %} stay text.",
    )
    recipe = project / "briefs/schools.yaml"
    recipe.write_text(recipe.read_text().replace("blocks: [intro]", "blocks: [intro, jinja]"))
    result = run_cli("--project", project, "build")
    assert result.exit_code == 0, result.stderr
    html = (project / "build/en/schools.html").read_text()
    assert "{{ 7 * 7 }}" in html and "{% for x in y %}loops{% endfor %}" in html
    assert "Totals {{ 6 * 7 }}" in html
    assert "Totals 42" not in html and "like 49" not in html


def test_templates_run_in_a_sandbox(scenario) -> None:
    project = scenario("minimal")
    (project / "templates/brief.md.j2").write_text("{{ brief.__class__.__init__.__globals__ }}\n")
    result = run_cli("--project", project, "build")
    assert result.exit_code == 1
    assert (
        "templates/brief.md.j2:1: template error: access to attribute '__init__'" in result.stderr
    )


def test_markup_that_slipped_past_check_stops_the_build_at_its_place(scenario) -> None:
    """The renderer's own defence: a brief straight from unchecked Markdown is refused, each
    thing the allowlist would drop named, and no format is written."""
    from dataclasses import replace

    from briefgen.errors import ProblemsError
    from briefgen.load.loader import load
    from briefgen.render.convert import to_json
    from briefgen.render.jobs import prepare

    project = scenario("minimal")
    loaded = load(project)
    job = prepare(loaded, [("schools", "en", ("html",))])[0].job
    markdown = (
        'Text [a](javascript:alert(1)){onclick="x()" style="color:red"} and '
        "![p](https://example.org/p.png) <script>alert(2)</script>\n\n"
        '::: {onmouseover="y()"}\ndiv\n:::\n\n```{=html}\n<iframe></iframe>\n```\n'
    )
    job = replace(job, markdown=markdown)
    with pytest.raises(ProblemsError) as raised:
        to_json(job, project)
    messages = sorted(p.message.split(" is not allowed")[0] for p in raised.value.problems)
    assert messages == [
        'the attribute "onclick="',
        'the attribute "onmouseover="',
        'the attribute "style="',
        'the image "https://example.org/p.png"',
        'the link "javascript:alert(1)"',
    ]


# --- internal and embargoed content ----------------------------------------------------------

MARKERS = (
    "ZZSECRETTITLE",
    "ZZSECRETBODY",
    "ZZEMBARGOTITLE",
    "ZZEMBARGOBODY",
    "ZZTEAMRECIPE",
    "internal-note",
    "embargoed-finding",
)


def text_of(path: Path) -> str:
    """The readable text of an output, whatever its format."""
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".docx":
        document = docx.Document(str(path))
        parts = [p.text for p in document.paragraphs]
        parts += [
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        ]
        return "\n".join(parts)
    if path.suffix in (".odt", ".epub", ".zip"):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return path.read_text("utf-8")


@pytest.fixture(scope="module")
def internal_project(tmp_path_factory) -> Path:
    from tests.conftest import SCENARIOS, copy_project

    project = copy_project(SCENARIOS / "internal", tmp_path_factory.mktemp("i") / "internal")
    assert run_cli("--project", project, "release", "-q").exit_code == 0
    assert run_cli("--project", project, "build", "--internal", "-q").exit_code == 0
    return project


def test_public_builds_never_contain_internal_or_embargoed_content(internal_project: Path) -> None:
    files = sorted(p for p in (internal_project / "build").rglob("*") if p.is_file())
    suffixes = {p.suffix for p in files}
    assert {".html", ".pdf", ".docx", ".odt", ".epub", ".md", ".json", ".zip"} <= suffixes
    for path in files:
        text = text_of(path)
        for marker in MARKERS:
            assert marker not in text, (path.name, marker)
    public = text_of(internal_project / "build/en/schools.md")
    assert "public now" in public  # an embargo that has passed does not hide the block


def test_an_internal_build_marks_every_page(internal_project: Path) -> None:
    out = internal_project / "build-internal/en"
    assert "ZZSECRETBODY" in text_of(out / "team.md")
    marker = "INTERNAL — NOT FOR PUBLICATION"
    for page in PdfReader(out / "team.pdf").pages:
        assert marker in page.extract_text()
    document = docx.Document(str(out / "team.docx"))
    assert all(marker in s.header.paragraphs[0].text for s in document.sections)
    assert marker in text_of(out / "team.html").split("<main>")[0]
    for name in ("team.epub", "team.odt", "team.md"):
        assert marker in text_of(out / name)
    manifest = json.loads((internal_project / "build-internal/manifest.json").read_text())
    assert manifest["internal"] is True


def test_a_public_build_refuses_an_internal_brief_by_name(internal_project: Path) -> None:
    result = run_cli("--project", internal_project, "build", "team")
    assert result.exit_code == 1
    assert 'the brief "team" is internal; build it with --internal.' in result.stderr


# --- faults ----------------------------------------------------------------------------------


def killing_pandoc(tmp_path: Path, when: str) -> Path:
    """A pandoc that kills itself (SIGKILL) when its arguments contain `when`."""
    wrapper = tmp_path / "pandoc"
    wrapper.write_text(
        f'#!/bin/sh\ncase "$*" in *"{when}"*) kill -9 $$ ;; esac\nexec "{bundled()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".part")]


def test_a_renderer_killed_halfway_leaves_outputs_and_manifest_intact(
    scenario, tmp_path: Path, monkeypatch
) -> None:
    project = scenario("internal")
    assert run_cli("--project", project, "build", "-q").exit_code == 0
    block = project / "content/en/010-intro.md"
    block.write_text(block.read_text().replace("claim to read", "claim they can read"))
    before = tree_digest(project / "build")

    monkeypatch.setenv("BRIEFGEN_PANDOC", str(killing_pandoc(tmp_path, "-t docx")))
    result = run_cli("--project", project, "build", "-j", "2")
    assert result.exit_code == 2
    assert "pandoc (writing schools as docx) failed (exit code -9)" in result.stderr
    assert tree_digest(project / "build") == before
    assert no_partial_files(project / "build")
    assert run_cli("verify", project / "build").exit_code == 0

    monkeypatch.delenv("BRIEFGEN_PANDOC")
    result = run_cli("--project", project, "build")
    assert result.exit_code == 0
    assert "wrote 6 file(s), 0 unchanged" in result.stdout
    assert "claim they can read" in (project / "build/en/schools.md").read_text()


def slow_pandoc(tmp_path: Path) -> Path:
    """A pandoc that takes a second longer per call, so that a build can be interrupted."""
    wrapper = tmp_path / "slow-pandoc"
    wrapper.write_text(f'#!/bin/sh\nsleep 1\nexec "{bundled()}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def test_ctrl_c_leaves_no_partial_files(scenario, tmp_path: Path) -> None:
    project = scenario("internal")
    assert run_cli("--project", project, "build", "--internal", "-q").exit_code == 0
    block = project / "content/en/010-intro.md"
    block.write_text(block.read_text().replace("claim to read", "claim they can read"))
    before = tree_digest(project / "build-internal")
    environment = dict(os.environ, BRIEFGEN_PANDOC=str(slow_pandoc(tmp_path)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "briefgen",
            "--project",
            str(project),
            "build",
            "--force",
            "--internal",
            "--out",
            str(project / "build-internal"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=environment,
    )
    time.sleep(4)  # well into rendering: each brief needs seven pandoc calls of over a second
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert "interrupted" in stderr.decode()
    assert tree_digest(project / "build-internal") == before
    assert no_partial_files(project / "build-internal")
    assert run_cli("verify", "--internal", project / "build-internal").exit_code == 0


# --- property-based --------------------------------------------------------------------------

# YAML folds its own line-break characters (NEL, LS, PS, CR) when it reads them back.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x85\u2028\u2029\r"),
    max_size=40,
)
SCALARS = st.one_of(TEXT, st.integers(), st.booleans(), st.none())
FIELDS = st.dictionaries(
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
    st.one_of(SCALARS, st.lists(TEXT, max_size=4)),
    max_size=8,
)


@given(FIELDS, st.text(max_size=200))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_front_matter_round_trips(fields: dict, body: str) -> None:
    text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n" + body
    front, rest, body_line = split_front_matter(text, Path("x.md"), Path("."))
    parsed, _ = parse_yaml(front, Path("x.md"), Path("."), first_line=2)
    assert (parsed or {}) == fields
    assert rest == body.replace("\r\n", "\n").replace("\r", "\n") or rest == body
    assert body_line == text.count("\n", 0, len(text) - len(rest)) + 1 or rest == ""


@given(st.text(max_size=300))
@settings(deadline=None)
def test_any_text_either_parses_or_is_a_located_problem(text: str) -> None:
    try:
        front, _, _ = split_front_matter(text, Path("x.md"), Path("."))
        parse_yaml(front, Path("x.md"), Path("."), first_line=2)
    except ProblemsError as error:
        assert all(p.path == "x.md" and p.line >= 0 for p in error.problems)
