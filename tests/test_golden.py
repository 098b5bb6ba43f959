"""Golden outputs: every successful scenario's Markdown and HTML, per locale, byte for byte.

A scenario is successful when it has no expected-errors.txt. Each is built once for this module.
Golden files live in tests/expected/<scenario>/<locale>/<brief>.<ext>; a missing one is written
on the first run (and the test then passes: review and commit it). After an intended change to
templates or rendering, regenerate them all with
    BRIEFGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS, copy_project, run_cli

GOLDEN = Path(__file__).resolve().parent / "expected"
SUCCESSFUL = sorted(
    p.name for p in SCENARIOS.iterdir() if p.is_dir() and not (p / "expected-errors.txt").exists()
)
GOLDEN_FORMATS = (".md", ".html")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """scenario name -> its build folder, built on first use, once for the module."""
    cache: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in cache:
            project = copy_project(SCENARIOS / name, tmp_path_factory.mktemp(name) / name)
            result = run_cli(
                "--project", project, "build", "-q", "-j", "1", "--format", "md", "--format", "html"
            )
            assert result.exit_code == 0, result.stderr
            cache[name] = project / "build"
        return cache[name]

    return build


@pytest.mark.parametrize("name", SUCCESSFUL)
def test_scenario_outputs_match_the_golden_files(built, name: str) -> None:
    out = built(name)
    produced = sorted(p for p in out.rglob("*") if p.suffix in GOLDEN_FORMATS and p.parent != out)
    assert produced, f"{name} built no Markdown or HTML"
    update = bool(os.environ.get("BRIEFGEN_UPDATE_GOLDEN"))
    for path in produced:
        relative = path.relative_to(out)
        golden = GOLDEN / name / relative
        if update:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(path.read_bytes())
        # A missing golden file fails: writing it here would let any output pass once.
        assert golden.exists(), f"no golden file {golden}: run with BRIEFGEN_UPDATE_GOLDEN=1"
        assert path.read_bytes() == golden.read_bytes(), f"{name}/{relative} differs from {golden}"
    listed = sorted(p.relative_to(GOLDEN / name) for p in (GOLDEN / name).rglob("*") if p.is_file())
    assert listed == [p.relative_to(out) for p in produced], "golden files without an output"


def test_link_references_and_notes_belong_to_their_block(built) -> None:
    markdown = (built("link-references") / "en/schools.md").read_text()
    assert "[report](https://www.article19.org/resources/" in markdown
    assert "[study](https://doi.org/10.1145/3306618.3314284)" in markdown
    assert "[^1]: The first block\u2019s note." in markdown
    assert "[^2]: The second block\u2019s note." in markdown
