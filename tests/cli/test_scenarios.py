"""Scenario projects: each broken one fails with exactly its expected errors and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.model import Manifest
from briefgen.publish.manifest import manifest_bytes
from tests.conftest import SCENARIOS, run_cli, tree_digest

BROKEN = sorted(p.name for p in SCENARIOS.iterdir() if (p / "expected-errors.txt").is_file())


def test_minimal_project_builds_and_cites(scenario) -> None:
    project = scenario("minimal")
    result = run_cli("--project", project, "build")
    assert result.exit_code == 0, result.stderr
    markdown = (project / "build/en/schools.md").read_text()
    assert markdown.startswith("# Cameras in classrooms\n")
    assert "(Bryant and Howard 2019)" in markdown.replace("[", "").replace("](#ref-bryant2019)", "")
    assert sorted(p.name for p in (project / "build/en").iterdir()) == [
        "schools.html",
        "schools.md",
    ]


@pytest.mark.parametrize("name", BROKEN)
def test_broken_scenario_reports_every_problem_and_leaves_build_untouched(
    scenario, name: str
) -> None:
    project: Path = scenario(name)
    earlier = project / "build" / "en"
    earlier.mkdir(parents=True)
    (earlier / "schools.html").write_text("an earlier build")
    # An earlier build has its manifest: a folder without one is not a briefgen output.
    (project / "build" / "manifest.json").write_bytes(manifest_bytes(Manifest.empty()))
    before = tree_digest(project / "build")

    result = run_cli("--project", project, "build")

    expected = (SCENARIOS / name / "expected-errors.txt").read_text()
    assert result.stderr == expected
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert tree_digest(project / "build") == before


@pytest.mark.parametrize("name", BROKEN)
def test_check_reports_the_same_problems(scenario, name: str) -> None:
    result = run_cli("--project", scenario(name), "check")
    assert result.exit_code == 1
    # check writes nothing, ever: it does not say so.
    expected = (SCENARIOS / name / "expected-errors.txt").read_text()
    assert result.stderr == expected.replace("; nothing was written.\n", ".\n")
