"""Shared fixtures: scenario projects copied to a temporary folder, and a CLI runner."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from briefgen.cli import main

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


# The tiers (pyproject's markers): a test is marked by what it needs, found from the fixtures it
# uses, so that `make test-fast` (-m "not browser and not office and not validators and not
# slow") runs everything that needs no browser, LibreOffice, Java or Node, and no full build.
NEEDS = {
    "browser": "browser",
    "page": "browser",
    "site": "browser",
    "office_pdfs": "office",
    "shipped_build": "slow",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in NEEDS:
                item.add_marker(NEEDS[fixture])


@pytest.fixture(scope="session", autouse=True)
def block_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite's own parse cache (parsecache.py: blocks, bibliography entries and pandoc's
    readings), never the user's: every project a test loads or builds twice is parsed once and
    then read from it, as a user's would be."""
    folder = tmp_path_factory.mktemp("block-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFGEN_CACHE", str(folder))
        yield folder


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> Result:
    """Run the briefgen CLI in-process, as a user would from a shell."""
    runner = CliRunner()
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def copy_project(source: Path, target: Path) -> Path:
    """Copy a project; scenarios borrow each shipped template and style file they don't define."""
    ignored = shutil.ignore_patterns(
        "build",
        "expected-*.txt",
        ".venv",
        ".git",
        "*_cache",
        "__pycache__",
        ".helper",
        "tests",
        "*.egg-info",
    )
    shutil.copytree(source, target, ignore=ignored)
    for shared in ("templates", "styles"):
        for source_file in sorted((REPO / shared).rglob("*")):
            copy = target / source_file.relative_to(REPO)
            if source_file.suffix == ".po":  # a locale's strings belong to its project
                continue
            if source_file.is_file() and not copy.exists():  # the scenario's own files win
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source_file, copy)
    return target


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder, by relative path; the build's own bookkeeping
    (.briefgen-state.json: what it was asked, to skip a no-change rebuild; .briefgen.lock, the
    empty file a build locks) is left out."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in (".briefgen-state.json", ".briefgen.lock")
    }


@pytest.fixture
def scenario(tmp_path: Path):
    """scenario("name") -> a fresh copy of tests/scenarios/name."""

    def make(name: str) -> Path:
        return copy_project(SCENARIOS / name, tmp_path / name)

    return make


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project built once, every brief in every format (shared by output tests)."""
    out = tmp_path_factory.mktemp("shipped") / "build"
    result = run_cli("--project", REPO, "build", "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    return out


# Debian's Chromium driven by Playwright, with the build served on loopback: the library page
# tests and the axe-core checks share these.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(shipped_build: Path) -> Iterator[str]:
    """The build folder served on loopback only, on a free port."""
    handler = functools.partial(QuietHandler, directory=str(shipped_build))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Imported here: the fast tier (make test-fast) runs without Playwright's browser.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()
