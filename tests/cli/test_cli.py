"""The command line: help for every command, documented in the README; no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from briefgen.cli import main
from tests.conftest import REPO, run_cli


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"briefgen {' '.join(command)}" in result.stdout or command == ("manifest",)


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_every_command_is_in_the_readme(command: tuple[str, ...]) -> None:
    assert f"briefgen {' '.join(command)}" in (REPO / "README.md").read_text()


def test_a_user_mistake_is_one_line_per_problem_and_no_traceback(scenario) -> None:
    project = scenario("unknown-audience")
    completed = subprocess.run(
        [sys.executable, "-m", "briefgen", "--project", str(project), "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.splitlines()[-1] == "error: 2 problems found; nothing was written."


def test_no_project_here_is_a_clear_error(tmp_path) -> None:
    result = run_cli("--project", tmp_path, "check")
    assert result.exit_code == 1
    expected = f"error: {tmp_path} is not a briefgen project: it has no briefgen.yaml.\n"
    assert result.stderr == expected


def test_a_mistyped_option_value_suggests_the_closest_choice() -> None:
    result = run_cli("build", "government", "--format", "pdff")
    assert result.exit_code == 2
    assert (
        "Invalid value for '--format': \"pdff\" is not one of html, pdf, docx, odt, epub, md "
        '(did you mean "pdf"?).'
    ) in result.stderr
