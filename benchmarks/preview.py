"""Benchmark the live preview and the studio as a campaigner waits for them. Not a test.

    .venv/bin/python benchmarks/preview.py            # 15 edits and 15 compositions
    .venv/bin/python benchmarks/preview.py --quick    # 3 of each
    .venv/bin/python benchmarks/preview.py --runs 30

Needs the test tools (`make test`: Playwright) and Debian's Chromium, as the browser tests do.
Both servers run as a user runs them, `briefgen` in its own process, on a copy of the shipped
project (made as the tests copy one) with the benchmark's own parse cache, on free ports.

serve (`briefgen serve government`, en), in Chromium:
  block edit   one block of the brief (content/en/10-public-security/080-yiwu-station.md) saved
               as editors save (a new file renamed over the old one) with a new sentence; timed
               from the save (time.time() just after the rename) to the sentence in the page's
               DOM (a MutationObserver installed before the save stamps performance.timeOrigin +
               performance.now(): the same machine clock), and to the server's
               "rebuilt ... (x s; on screen in y s)" line. Such an edit is patched into the open
               page ahead of the full rebuild (preview/patch.py).
  recipe edit  a section title of briefs/government.yaml: the full path, a rebuild and a reload
               of the page, timed the same way (the observer is installed in every new document).
One edit of each kind is made first and not counted: the server's first patch and rebuild read
what later ones find in memory.

studio (`briefgen studio --no-browser`): what the browser waits for, the studio's page and then
the composed brief in its preview frame (/compose.html, a second request), over HTTP:
  first view   /compose?audience=government&use_case=education&pages=2, with a prepared_for of
               its own each run, so that nothing is cached
  pin, drop,   the same composition, once viewed, with &pin= a block it left out, &drop= a block
  budget       it holds, or &pages=3
One composition is made first and not counted: the studio's first load of the project.

Targets (issue 22) are printed beside each; exit 1 if one is missed.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from briefgen.preview.studio import Query  # noqa: E402
from tests.conftest import CHROMIUM, FLAGS, copy_project  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Page

BRIEF = "government"
BLOCK = "content/en/10-public-security/080-yiwu-station.md"
BLOCK_SENTENCE = "the one offence the story highlights is a minor one."
RECIPE = f"briefs/{BRIEF}.yaml"
RECIPE_TITLE = 'en: "What is happening'
TARGETS = {  # seconds, for the median
    "serve: block edit, save to screen": 0.5,
    "studio: first view": 2.5,
    "studio: pin": 1.0,
    "studio: drop": 1.0,
    "studio: budget": 1.0,
}
TIMEOUT_S = 120.0

# Stamps, in the tab's sessionStorage (which outlives a reload), the time at which the text
# named "bench-marker" is first in the document. Run at the start of every document, and in
# the open one before the first save.
OBSERVER = """(() => {
  const look = () => {
    const marker = sessionStorage.getItem("bench-marker");
    if (!marker || sessionStorage.getItem("bench-seen")) { return; }
    if ((document.documentElement?.textContent ?? "").includes(marker)) {
      sessionStorage.setItem("bench-seen", String(performance.timeOrigin + performance.now()));
    }
  };
  new MutationObserver(look).observe(document, {childList: true, subtree: true,
                                                characterData: true});
  look();
})();"""


@dataclass
class Server:
    """A briefgen server in its own process, and each line it prints with when it came."""

    process: subprocess.Popen[str]
    url: str
    project: Path
    errors: Path  # what it printed on stderr
    lines: queue.Queue[tuple[float, str]] = field(default_factory=queue.Queue)

    def line_after(self, started: float, holding: str) -> tuple[float, str]:
        """The first line printed after `started` that holds `holding`, and when it came."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                when, line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit(
                    f"the server printed no line holding {holding!r}; its stderr:\n"
                    + self.errors.read_text("utf-8")[-4000:]
                ) from None
            if when >= started and holding in line:
                return when, line

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start(project: Path, *args: str, address: str) -> Server:
    """`briefgen --project PROJECT ARGS --port 0`; `address` is what its first line says
    before the server's URL. Its stderr (the warnings that edits bring, such as stale
    translations) goes to a file beside the project, quoted if it fails."""
    errors = project.with_name(f"{args[0]}.stderr")
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "--project", str(project), *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            # This checkout's code, whichever environment's Python runs the benchmark.
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT / "src")},
        )
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(rf"{re.escape(address)} at (http://127\.0\.0\.1:\d+/\S*)", first)
    if not found:
        process.kill()
        process.wait()
        raise SystemExit(
            f"briefgen {' '.join(args)} did not start: {first!r}\n" + errors.read_text("utf-8")
        )
    server = Server(process, found.group(1), project, errors)

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.put((time.time(), line.rstrip("\n")))

    threading.Thread(target=collect, daemon=True).start()
    return server


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return bytes(response.read())


def wait_for_page(url: str) -> None:
    """Until the preview's first build (in the background) is served: 503 until then."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            fetch(url)
            return
        except urllib.error.HTTPError as error:
            if error.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def save(path: Path, old: str, new: str) -> float:
    """Save a file as most editors do (a new file renamed over the old one); the time of the
    rename."""
    text = path.read_text("utf-8")
    assert old in text, f"{path} no longer holds {old!r}"
    temporary = path.with_name(f".{path.name}.swp")  # an editor's temporary file: ignored
    temporary.write_text(text.replace(old, new, 1), "utf-8")
    os.replace(temporary, path)
    return time.time()


def marker(index: int) -> str:
    """Text no page holds yet, without digits (a number the English source gains would make
    its translations' checks complain)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"Benchmark edit {letters}"


@dataclass
class Edit:
    """One save and what it took: to the page's DOM, to the server's line, and the server's
    own "on screen in" figure (0 if the edit took the full path)."""

    to_screen: float
    to_line: float
    server_on_screen: float
    reloaded: bool


def time_edit(page: Page, server: Server, path: Path, old: str, new: str, text: str) -> Edit:
    """Replace `old` by `new` in `path`, and wait until `text` is in the page and the server
    says it rebuilt."""
    from playwright.sync_api import Error as PlaywrightError

    page.evaluate(
        "(marker) => { sessionStorage.setItem('bench-marker', marker);"
        " sessionStorage.removeItem('bench-seen'); window.benchNotReloaded = true; }",
        text,
    )
    saved = save(path, old, new)
    deadline = time.monotonic() + TIMEOUT_S
    seen = None
    while seen is None:
        try:  # a reload destroys the context an evaluation runs in: ask the new one
            seen = page.evaluate("sessionStorage.getItem('bench-seen')")
        except PlaywrightError:
            seen = None
        if seen is None:
            if time.monotonic() > deadline:
                raise SystemExit(f"{text!r} never reached the page")
            time.sleep(0.01)
    relative = path.relative_to(server.project).as_posix()
    when, line = server.line_after(saved, f"{relative}: ")
    if ": rebuilt " not in line:
        raise SystemExit(f"the preview did not rebuild: {line}")
    on_screen = re.search(r"on screen in (\d+\.\d+) s", line)
    reloaded = True
    for _ in range(50):
        try:
            reloaded = page.evaluate("window.benchNotReloaded") is not True
            break
        except PlaywrightError:  # still reloading
            time.sleep(0.1)
    return Edit(
        float(seen) / 1000 - saved,
        when - saved,
        float(on_screen.group(1)) if on_screen else 0.0,
        reloaded,
    )


# What each kind of edit changes in the copy: the text it finds first, and its edit with a
# marker in it.
EDITS: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "block edit": (BLOCK, BLOCK_SENTENCE, lambda marker: f"{BLOCK_SENTENCE} {marker}."),
    "recipe edit": (RECIPE, RECIPE_TITLE, lambda marker: f"{RECIPE_TITLE} {marker}"),
}


def measure_serve(project: Path, runs: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Each kind of edit, runs + 1 times (the first not counted); the seconds of each measure,
    and how many of each kind reloaded the page."""
    from playwright.sync_api import sync_playwright

    server = start(project, "serve", BRIEF, address=f'preview of "{BRIEF}" (en)')
    samples: dict[str, list[float]] = {}
    reloads = dict.fromkeys(EDITS, 0)
    try:
        wait_for_page(server.url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = browser.new_page()
                page.add_init_script(OBSERVER)
                page.goto(server.url)
                page.wait_for_selector("main")
                count = 0
                for kind, (relative, first, edited) in EDITS.items():
                    old = first
                    for index in range(runs + 1):
                        text = marker(count)
                        count += 1
                        new = edited(text)
                        edit = time_edit(page, server, project / relative, old, new, text)
                        old = new  # the next edit replaces this one
                        if index == 0:
                            continue
                        for measure, seconds in (
                            ("save to screen", edit.to_screen),
                            ("save to rebuilt line", edit.to_line),
                            ("server's 'on screen in'", edit.server_on_screen),
                        ):
                            if seconds:
                                samples.setdefault(f"serve: {kind}, {measure}", []).append(seconds)
                        reloads[kind] += edit.reloaded
            finally:
                browser.close()
    finally:
        server.stop()
    return samples, reloads


def timed_get(url: str) -> float:
    started = time.perf_counter()
    fetch(url)
    return time.perf_counter() - started


def view(base: str, query: Query) -> tuple[float, float, str]:
    """The studio's page for `query` and then its preview frame, as the browser waits for
    them: the seconds of both, of the frame alone, and the page."""
    started = time.perf_counter()
    page = fetch(f"{base}/compose?{query.encode()}").decode("utf-8")
    framed = time.perf_counter()
    fetch(f"{base}/compose.html?{query.encode()}")
    ended = time.perf_counter()
    return ended - started, ended - framed, page


def measure_studio(project: Path, runs: int) -> dict[str, list[float]]:
    """runs + 1 new compositions (the first not counted), each viewed, then pinned, dropped
    and given another budget; the seconds of each, page and preview frame together, and of
    the frames alone."""
    server = start(project, "studio", "--no-browser", address="briefgen studio")
    base = server.url.removesuffix("/compose")
    samples: dict[str, list[float]] = {}
    try:
        for index in range(runs + 1):
            query = Query(
                audience=BRIEF,
                use_case=("education",),
                pages="2",
                prepared_for=f"Benchmark reader {index}",  # a new composition: nothing cached
            )
            seconds, frame, page = view(base, query)
            left_out = re.findall(r'<tr class="out" data-block="([^"]+)"', page)
            held = re.findall(r'<tr class="in" data-block="([^"]+)"', page)
            if not left_out or not held:
                raise SystemExit("the studio's page lists no block in or out: " + page[:2000])
            changes = {
                "first view": None,
                "pin": query.with_(pin=(left_out[0],)),
                "drop": query.with_(drop=(held[-1],)),
                "budget": query.with_(pages="3"),
            }
            for name, changed in changes.items():
                if changed is not None:
                    seconds, frame, _ = view(base, changed)
                if index:
                    samples.setdefault(f"studio: {name}", []).append(seconds)
                    frames = samples.setdefault("studio: the preview frame alone, in all views", [])
                    frames.append(frame)
    finally:
        server.stop()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="edits and compositions of each kind")
    parser.add_argument("--quick", action="store_true", help="3 runs of each")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="briefgen-bench-") as name:
        tmp = Path(name)
        # The benchmark's own parse cache, never the user's.
        os.environ["BRIEFGEN_CACHE"] = str(tmp / "cache")
        project = copy_project(ROOT, tmp / "project")
        samples, reloads = measure_serve(project, runs)
        samples.update(measure_studio(project, runs))
    load = os.getloadavg()
    print(
        f"{runs} runs of each, after one not counted; load average {load[0]:.2f}, "
        f"{load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} cores"
    )
    width = max(len(measure) for measure in samples)
    print(f"{'':{width}}  median     min     max  target")
    failures = []
    for measure, values in samples.items():
        middle = statistics.median(values)
        target = TARGETS.get(measure)
        verdict = ""
        if target is not None:
            verdict = f"< {target:.1f} s " + ("ok" if middle < target else "MISSED")
            if middle >= target:
                failures.append(measure)
        print(
            f"{measure:{width}}  {middle:6.2f}  {min(values):6.2f}  {max(values):6.2f}  {verdict}"
        )
    for kind, count in reloads.items():
        print(f"serve: {kind}s that reloaded the page: {count} of {runs}")
    print("FAIL: " + ", ".join(failures) if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
