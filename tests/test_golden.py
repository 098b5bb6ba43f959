"""Golden outputs: the minimal scenario's Markdown and HTML, byte for byte.

After an intended change to templates or rendering, regenerate them with
    BRIEFGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli

GOLDEN = Path(__file__).resolve().parent / "expected" / "minimal"


@pytest.mark.parametrize("name", ["en/schools.md", "en/schools.html"])
def test_minimal_outputs_match_the_golden_files(scenario, name: str) -> None:
    project = scenario("minimal")
    assert run_cli("--project", project, "build", "-q", "-j", "1").exit_code == 0
    produced = (project / "build" / name).read_bytes()
    golden = GOLDEN / name
    if os.environ.get("BRIEFGEN_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert produced == golden.read_bytes(), f"{name} differs from {golden}"
