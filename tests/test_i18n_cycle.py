"""Issue 20, "Edit the source without fear": a source edit makes translations stale, never the
build broken; translations remember their source (translations/<locale>.tmx); minor edits keep
translations current; import trusts nothing; a new locale in one command; status for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_project, run_cli

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
    # The English text, not the French translation of an older English text.
    assert (
        "national security, public safety, criminal investigations"
        in (shipped / "build/fr/full-report.md").read_text()
    )


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
