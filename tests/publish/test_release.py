"""Incremental, parallel and sharded builds; the manifest, verify, merge and the archive."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_project, run_cli, tree_digest

PRESS_RECIPE = """title: For the press
audience: press
use_cases: all
sections:
  - title: Overview
    blocks: [intro]
"""


@pytest.fixture
def project(scenario) -> Path:
    """The minimal scenario with a second brief that does not use the evidence block."""
    root = scenario("minimal")
    (root / "briefs/press.yaml").write_text(PRESS_RECIPE)
    return root


def build(root: Path, *args: str) -> dict:
    result = run_cli("--project", root, "build", "--quiet", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads((root / "build/manifest.json").read_text())


def digests(manifest: dict) -> dict[str, str]:
    return {e["path"]: e["input_digest"] for e in manifest["artifacts"] if e["kind"] == "brief"}


def test_manifest_describes_every_artifact(project: Path) -> None:
    manifest = build(project)
    assert {"briefgen", "pandoc", "typst", "content_version", "matrix"} <= manifest.keys()
    entry = next(e for e in manifest["artifacts"] if e["path"] == "en/schools.html")
    assert entry["brief"] == "schools" and entry["audience"] == "public"
    assert entry["use_cases"] == ["schools"] and entry["locale"] == "en"
    assert entry["format"] == "html" and entry["blocks"] == ["intro", "evidence"]
    assert entry["citations"] == ["bryant2019"] and entry["fallback_blocks"] == []
    assert entry["size"] == (project / "build/en/schools.html").stat().st_size
    assert len(entry["sha256"]) == 64 and len(entry["input_digest"]) == 64
    assert manifest["matrix"] == [
        "en/press.html",
        "en/press.md",
        "en/schools.html",
        "en/schools.md",
    ]
    assert {e["path"] for e in manifest["library"]} == {
        "index.html",
        "assets/library.css",
        "assets/library.js",
    }


def test_no_change_rebuild_rewrites_nothing(project: Path) -> None:
    build(project)
    before = {p: p.stat().st_mtime_ns for p in (project / "build").rglob("*") if p.is_file()}
    result = run_cli("--project", project, "build")
    assert result.exit_code == 0
    assert "wrote 0 file(s), 4 unchanged" in result.stdout
    after = {p: p.stat().st_mtime_ns for p in (project / "build").rglob("*") if p.is_file()}
    assert after == before


def test_an_edit_rebuilds_only_the_briefs_it_touches(project: Path) -> None:
    first = digests(build(project))
    block = project / "content/en/020-evidence.md"
    block.write_text(block.read_text().replace("perform poorly", "perform very poorly"))
    result = run_cli("--project", project, "build")
    assert "wrote 2 file(s), 2 unchanged" in result.stdout
    second = digests(json.loads((project / "build/manifest.json").read_text()))
    changed = {path for path in first if first[path] != second[path]}
    assert changed == {"en/schools.html", "en/schools.md"}
    assert "perform very poorly" in (project / "build/en/schools.md").read_text()


EDITS = {
    "template": ("templates/html/brief.css", lambda t: t + "\n/* changed */\n"),
    "bibliography entry": (
        "bibliography.bib",
        lambda t: t.replace("date = {2019}", "date = {2019-01-27}"),
    ),
    "citation style": (
        "styles/chicago-author-date.csl",
        lambda t: t.replace("</style>", "<!-- changed --></style>"),
    ),
    "project date": ("briefgen.yaml", lambda t: t.replace("2020-06-01", "2020-06-02")),
    "interface strings": (
        "templates/strings/en.yaml",
        lambda t: t.replace("References", "Sources"),
    ),
    "recipe": (
        "briefs/schools.yaml",
        lambda t: t.replace("Cameras in classrooms", "Cameras in schools"),
    ),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_changing_any_input_rebuilds_what_depends_on_it(project: Path, what: str) -> None:
    first = digests(build(project))
    path, change = EDITS[what]
    target = project / path
    target.write_text(change(target.read_text()))
    second = digests(build(project))
    assert first["en/schools.html"] != second["en/schools.html"], what


def test_build_timestamp_is_an_input(project: Path, monkeypatch) -> None:
    first = digests(build(project))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    second = digests(build(project))
    assert set(first.values()).isdisjoint(second.values())


def test_a_damaged_output_fails_verify_and_is_rebuilt(project: Path) -> None:
    build(project)
    assert run_cli("verify", project / "build").exit_code == 0
    damaged = project / "build/en/press.html"
    damaged.write_text("damaged")
    (project / "build/en/stray.txt").write_text("not ours")
    result = run_cli("verify", project / "build")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: en/press.html: size 7 bytes, manifest says "
        f"{json.loads((project / 'build/manifest.json').read_text())['artifacts'][0]['size']}.",
        "error: en/stray.txt: present but not in the manifest.",
        f"error: 2 difference(s) between {project / 'build'} and its manifest.",
    ]
    (project / "build/en/stray.txt").unlink()
    result = run_cli("--project", project, "build")
    assert "wrote 2 file(s), 2 unchanged" in result.stdout
    assert run_cli("verify", project / "build").exit_code == 0


def test_parallel_and_serial_builds_are_identical(project: Path, tmp_path: Path) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert run_cli("--project", project, "build", "-q", "-j", "1", "--out", serial).exit_code == 0
    assert run_cli("--project", project, "build", "-q", "-j", "2", "--out", parallel).exit_code == 0
    assert tree_digest(serial) == tree_digest(parallel)


def test_shards_merge_into_the_full_release(project: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    assert run_cli("--project", project, "release", "-q", "--out", full).exit_code == 0
    shards = []
    for k in (1, 2):
        out = tmp_path / f"shard-{k}"
        result = run_cli("--project", project, "release", "-q", "--shard", f"{k}/2", "--out", out)
        assert result.exit_code == 0, result.stderr
        assert not (out / "index.html").exists() and not (out / "release").exists()
        shards.append(out)
    shard_paths = [
        {e["path"] for e in json.loads((s / "manifest.json").read_text())["artifacts"]}
        for s in shards
    ]
    assert shard_paths[0] and shard_paths[1] and not shard_paths[0] & shard_paths[1]

    merged = tmp_path / "merged"
    for shard in shards:
        shutil.copytree(shard, merged, dirs_exist_ok=True)
    result = run_cli(
        "manifest",
        "merge",
        *(s / "manifest.json" for s in shards),
        "--out",
        merged / "manifest.json",
    )
    assert result.exit_code == 0, result.stderr
    assert run_cli("--project", project, "library", merged).exit_code == 0
    assert run_cli("verify", merged).exit_code == 0
    assert tree_digest(merged) == tree_digest(full)


def test_merge_refuses_a_missing_or_repeated_shard(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "shard-1"
    run_cli("--project", project, "release", "-q", "--shard", "1/2", "--out", out)
    missing = run_cli("manifest", "merge", out / "manifest.json", "--out", tmp_path / "m.json")
    assert missing.exit_code == 1
    assert "is in the matrix but in no shard." in missing.stderr
    twice = run_cli(
        "manifest",
        "merge",
        out / "manifest.json",
        out / "manifest.json",
        "--out",
        tmp_path / "m.json",
    )
    assert twice.exit_code == 1
    assert "is also in" in twice.stderr


def test_release_archive_is_deterministic(project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BRIEFGEN_CONTENT_VERSION", "v1.0")
    archives = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert run_cli("--project", project, "release", "-q", "--out", out).exit_code == 0
        archives.append(out / "release/briefs-v1.0.zip")
    assert archives[0].read_bytes() == archives[1].read_bytes()
    with zipfile.ZipFile(archives[0]) as archive:
        names = archive.namelist()
        assert names == [*sorted(names[:-1]), "manifest.json"]
        assert {"index.html", "assets/library.js", "en/schools.html", "en/press.md"} <= set(names)
        assert {info.date_time for info in archive.infolist()} == {(2020, 6, 1, 0, 0, 0)}


def test_builds_from_two_checkouts_are_identical(shipped_build: Path, tmp_path: Path) -> None:
    other = copy_project(REPO, tmp_path / "elsewhere" / "checkout")
    result = run_cli("--project", other, "build", "--quiet", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    first, second = tree_digest(shipped_build), tree_digest(tmp_path / "out")
    pages = {"index.html", "index.fr.html", "index.zh-Hans.html"}
    assert {k for k in first.keys() | second.keys() if first.get(k) != second.get(k)} <= {
        "manifest.json",
        *pages,
    }  # the copy has no git history, so no content version (the library pages show it)

    def without_version(folder: Path) -> dict:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest.pop("content_version")
        manifest["library"] = [e for e in manifest["library"] if e["path"] not in pages]
        return manifest

    assert without_version(shipped_build) == without_version(tmp_path / "out")
