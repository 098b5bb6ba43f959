"""The live preview, `briefgen serve BRIEF`: rebuild on save, reload in Chromium, problems in
the page, and the same loopback-only, inside-the-folder server as `serve FOLDER`."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from briefgen.preview.live import PREVIEW_FOLDER, InputWatcher, Preview, Target
from briefgen.preview.patch import page_fragment
from briefgen.preview.serve import make_preview_server, make_server
from tests.conftest import CHROMIUM, FLAGS, run_cli

INTRO = "content/en/010-intro.md"
EVIDENCE = "content/en/020-evidence.md"
PAGE = PREVIEW_FOLDER / "en/schools.html"


@dataclass
class Served:
    """`briefgen serve` running in its own process, and what it has printed so far."""

    project: Path
    url: str
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C, as a terminal sends it; the exit code and everything printed."""
        self.process.send_signal(signal.SIGINT)
        stdout, stderr = self.process.communicate(timeout=20)
        printed = []
        while not self.lines.empty():
            printed.append(self.lines.get())
        return self.process.returncode, "".join(printed) + stdout, stderr


@pytest.fixture
def served(scenario) -> Iterator[Callable[..., Served]]:
    """serve(*args) -> `briefgen serve *args` on a copy of the minimal scenario, on a free port;
    stopped at the end of the test whatever happens."""
    started: list[Served] = []

    def serve(*args: str) -> Served:
        project = scenario("minimal")
        command = [sys.executable, "-m", "briefgen", "--project", str(project), "serve"]
        process = subprocess.Popen(
            [*command, *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        first = process.stdout.readline() if process.stdout else ""
        found = re.search(r"at (http://127\.0\.0\.1:\d+/\S*)", first)
        assert found, first + (process.stderr.read() if process.stderr else "")
        running = Served(project, found.group(1), process)
        started.append(running)
        threading.Thread(target=_collect, args=(running,), daemon=True).start()
        return running

    yield serve
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def _collect(running: Served) -> None:
    assert running.process.stdout is not None
    for line in running.process.stdout:
        running.lines.put(line)


def wait_for_page(running: Served) -> None:
    """Until the first build (in the background) is served."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(running.url):
                return
        except urllib.error.HTTPError as error:
            assert error.code == 503 and time.monotonic() < deadline
            time.sleep(0.1)


def wait_for_line(running: Served, text: str, timeout: float = 30) -> None:
    """Until the server prints a line holding `text` (the lines read are put back)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while not any(text in line for line in seen):
            seen.append(running.lines.get(timeout=max(0.1, deadline - time.monotonic())))
    finally:
        for line in seen:
            running.lines.put(line)


def edit(path: Path, old: str, new: str) -> None:
    """Save a file the way most editors do: write a new file, rename it over the old one."""
    text = path.read_text("utf-8")
    assert old in text
    temporary = path.with_name(f".{path.name}.swp")  # an editor's temporary file: ignored
    temporary.write_text(text.replace(old, new), "utf-8")
    os.replace(temporary, path)


@pytest.mark.browser
def test_preview_reloads_the_page_on_save_and_shows_problems_in_it(served) -> None:
    running = served("schools")
    project = running.project
    assert running.url.endswith("/en/schools.html")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(running.url)
            main = page.locator("main")
            expect(main).to_contain_text("claim to read how pupils feel", timeout=30_000)

            # The script is in what the server sends, never in the built file.
            on_disk = (project / PAGE).read_text("utf-8")
            with urllib.request.urlopen(running.url) as response:
                sent = response.read().decode()
            assert "EventSource" not in on_disk and "__briefgen" not in on_disk
            assert re.search(
                r'<script id="briefgen-preview-reload">.*</script>\s*</body>', sent, re.S
            )
            assert (
                sent.replace(sent[sent.index("<script id") : sent.index("</body>")], "") == on_disk
            )

            # Edit a block's text: the block alone is rendered and patched into the open page,
            # with a new citation among the references, ahead of the full rebuild; the page is
            # not reloaded, before the rebuild or after it (its page is the same).
            page.evaluate("window.notReloaded = true")
            edit(
                project / INTRO,
                "read how pupils feel.",
                "read the minds of pupils [@bryant2019].",
            )
            expect(main).to_contain_text("read the minds of pupils", timeout=15_000)
            assert page.evaluate("window.notReloaded") is True  # patched in place
            wait_for_line(running, f"{INTRO}: rebuilt en/schools.html")
            time.sleep(0.5)  # a reload, if the rebuilt page differed, would start by now
            assert page.evaluate("window.notReloaded") is True
            patched = main.inner_html()
            page.reload()
            expect(main).to_contain_text("read the minds of pupils")
            assert main.inner_html() == patched  # the full rebuild's page, as patched
            assert "Bryant" in page.locator("#refs").inner_text()

            # Break the other block: the page lists each problem with its file and line, quoting
            # the content as text, over the last version that built.
            edit(
                project / EVIDENCE,
                "faces [@bryant2019].",
                'faces [@nowhere2020].\n\n<script>alert("x")</script>',
            )
            panel = page.locator("#briefgen-preview-problems")
            expect(panel).to_contain_text("2 problems", timeout=15_000)
            expect(panel.locator("li")).to_have_text(
                [
                    f'{EVIDENCE}:9 unknown citation key "@nowhere2020": it is not in '
                    "bibliography.bib.",
                    f'{EVIDENCE}:11 raw HTML "<script>alert("x")</script>" is not allowed in a '
                    "block; write Markdown instead.",
                ]
            )
            expect(main).to_contain_text("read the minds of pupils")
            assert not (project / PAGE).read_text("utf-8").count("nowhere2020")

            # Fix it: the real page comes back, without the panel.
            edit(
                project / EVIDENCE,
                'faces [@nowhere2020].\n\n<script>alert("x")</script>',
                "faces, the study found [@bryant2019].",
            )
            expect(main).to_contain_text("the study found", timeout=15_000)
            expect(panel).to_have_count(0)
            assert dialogs == []  # the quoted script never ran
        finally:
            browser.close()

    code, stdout, stderr = running.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    took = r"\(\d+\.\d s; on screen in \d\.\d\d s\)"
    assert re.search(rf"{INTRO}: rebuilt en/schools.html {took}", stdout), stdout
    assert f"{EVIDENCE}: 2 problems; the page shows them until they are fixed" in stdout
    assert f"{EVIDENCE}: rebuilt en/schools.html" in stdout
    assert stdout.rstrip().endswith("preview stopped")
    assert f'error: {EVIDENCE}:9: unknown citation key "@nowhere2020"' in stderr


def test_preview_server_is_loopback_only_and_stays_in_its_folder(served, tmp_path: Path) -> None:
    running = served("schools")
    base = running.url.removesuffix("/en/schools.html")
    port = int(base.rsplit(":", 1)[1])
    wait_for_page(running)
    secret = tmp_path / "secret.html"
    secret.write_text("<body>private</body>")
    (running.project / PREVIEW_FOLDER / "leak.html").symlink_to(secret)
    assert_refused(base, ("/leak.html", 403), ("/en/", 404), ("/en/missing.html", 404))
    # Other files go out as they are on disk, script-free.
    with urllib.request.urlopen(base + "/assets/library.css") as response:
        disk = (running.project / PREVIEW_FOLDER / "assets/library.css").read_bytes()
        assert response.read() == disk
        assert response.headers["Cache-Control"] == "no-store"
    with urllib.request.urlopen(base + "/__briefgen/events", timeout=5) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.readline() == b"retry: 500\n"
    # Nothing answers on the machine's other addresses.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks an interface
        outside = probe.getsockname()[0]
    if outside != "127.0.0.1":
        with pytest.raises(OSError):
            socket.create_connection((outside, port), timeout=2).close()
    code, _, stderr = running.stop()
    assert code == 0 and "Traceback" not in stderr


def test_build_folder_server_binds_loopback_and_stays_in_the_build(scenario, tmp_path) -> None:
    project = scenario("minimal")
    assert run_cli("--project", project, "build", "-q").exit_code == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (project / "build/leak.txt").symlink_to(secret)
    server = make_server(project / "build", 0)
    assert server.server_address[0] == "127.0.0.1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(base + "/index.html") as response:
            assert response.status == 200
        assert_refused(base, ("/leak.txt", 403), ("/en/", 403))  # a link out; no listings
    finally:
        server.shutdown()
        server.server_close()


def assert_refused(base: str, *cases: tuple[str, int]) -> None:
    """Besides `cases`: a path that climbs out of the folder is read inside it, where it finds
    nothing (404)."""
    escapes = [("/../briefgen.yaml", 404), ("/%2e%2e/briefgen.yaml", 404)]
    for path, status in [*escapes, *cases]:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(base + path)
        assert error.value.code == status, path


def test_a_change_to_an_included_file_rebuilds_the_page(scenario) -> None:
    project = scenario("minimal")
    preview = Preview(project, Target("schools", "en"))
    first = preview.rebuild()
    assert first.ok and first.rebuilt == ("en/schools.html",)
    generation = preview.state().generation

    (project / "bibliography.bib").write_text(
        (project / "bibliography.bib").read_text().replace("A Comparative", "A Careful")
    )
    assert preview.rebuild(("bibliography.bib",)).rebuilt == ("en/schools.html",)
    assert "A Careful Analysis" in (project / PAGE).read_text()
    css = project / "templates/html/brief.css"
    css.write_text(css.read_text() + "\n/* a change in an included template */\n")
    assert preview.rebuild().rebuilt == ("en/schools.html",)
    assert preview.state().generation != generation

    (project / "data/en").mkdir(parents=True)
    glossary = project / "data/en/glossary.yaml"
    glossary.write_text(
        "terms:\n  - id: camera\n    term: Camera\n    definition: A device that records.\n"
        "    match: [cameras]\n"
    )
    with (project / "briefs/schools.yaml").open("a") as recipe:
        recipe.write("  - title: Glossary\n    data: glossary\n")
    assert preview.rebuild().rebuilt == ("en/schools.html",)
    glossary.write_text(glossary.read_text().replace("records", "records images"))
    assert preview.rebuild(("data/en/glossary.yaml",)).rebuilt == ("en/schools.html",)
    assert "A device that records images." in (project / PAGE).read_text()

    # Saving a file unchanged rebuilds nothing and does not reload the page.
    generation = preview.state().generation
    (project / INTRO).touch()
    unchanged = preview.rebuild((INTRO,))
    assert unchanged.ok and unchanged.rebuilt == () and unchanged.unchanged == 1
    assert preview.state().generation == generation


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_an_edited_block_is_patched_ahead_of_the_rebuild_and_the_rebuild_agrees(
    scenario, locale: str
) -> None:
    """Issue 22: one block's save is rendered alone (its section and the references) and
    published as a patch before the full rebuild, whose page shows exactly that; an edit with a
    problem, or to anything but one block of the brief, takes the full path alone."""
    project = scenario("translated")
    preview = Preview(project, Target("schools", locale))
    assert preview.rebuild().ok
    assert preview._quick is not None
    preview.prepare_next()  # as run() does after each build
    intro = f"content/{locale}/010-intro.md"
    words = {"en": "claim to read", "fr": "prétendent lire"}[locale]
    edit(project / intro, words, f"{words}, says one vendor,")
    outcome = preview.rebuild((intro,))
    state = preview.state()
    assert outcome.ok and outcome.patched > 0 and state.patch is not None
    assert state.generation == state.patch.generation  # the rebuild kept the patched page
    page = (project / PREVIEW_FOLDER / f"{locale}/schools.html").read_bytes()
    assert page_fragment(page, "intro") == state.patch.fragment
    assert "says one vendor" in state.patch.fragment.section
    assert "Bryant" in state.patch.fragment.references  # the brief's, from the other block

    # An unknown key (and, in a translation, a citation its source does not make: translation
    # QA) is a problem `check` reports: no patch, the full build shows it.
    for citation in ("nowhere2020", "bryant2019"):
        preview.prepare_next()
        edit(project / intro, "says one vendor", f"says one vendor [@{citation}]")
        broken = preview.rebuild((intro,))
        assert broken.patched == 0.0
        assert bool(broken.problems) == (citation == "nowhere2020" or locale == "fr")
        edit(project / intro, f" [@{citation}]", "")
    preview.prepare_next()
    edit(project / intro, "says one vendor", "says a vendor")
    assert preview.rebuild((intro, "briefs/schools.yaml")).patched == 0.0  # two files


def test_a_change_to_the_strings_catalog_rebuilds_the_page(scenario) -> None:
    project = scenario("translated")
    preview = Preview(project, Target("schools", "fr"))
    assert preview.rebuild().rebuilt == ("fr/schools.html",)
    catalog = project / "templates/strings/fr.po"
    catalog.write_text(catalog.read_text().replace('msgstr "Références"', 'msgstr "Sources"'))
    assert preview.rebuild(("templates/strings/fr.po",)).rebuilt == ("fr/schools.html",)
    assert ">Sources</h2>" in (project / PREVIEW_FOLDER / "fr/schools.html").read_text()


def test_watcher_reports_inputs_and_ignores_temporary_files_and_the_output(scenario) -> None:
    project = scenario("minimal")
    (project / PREVIEW_FOLDER).mkdir(parents=True)
    stop = threading.Event()
    watcher = InputWatcher(project, project / PREVIEW_FOLDER, stop)
    reports: queue.Queue[tuple[str, ...]] = queue.Queue()

    def forward() -> None:
        for changed in watcher:
            reports.put(changed)

    threading.Thread(target=forward, daemon=True).start()
    try:
        time.sleep(0.5)  # the watches are set up in their own threads
        for noise in ("content/en/.010-intro.md.swp", "content/en/4913", "content/en/x~"):
            (project / noise).write_text("editor")
        (project / PREVIEW_FOLDER / "en.html").write_text("output")
        (project / "README.md").write_text("not an input")
        edit(project / "bibliography.bib", "Bryant", "Bryant")
        assert reports.get(timeout=10) == ("bibliography.bib",)
        # A second save by rename is still seen (a watch on the file itself would be gone).
        edit(project / "bibliography.bib", "Howard", "Howard")
        (project / "content/en/030-new.md").write_text("new block")
        wait_for_reports(reports, {"bibliography.bib", "content/en/030-new.md"})
        # A folder replaced as a whole (a checkout, a restore) is watched again.
        shutil.move(project / "content", project / "content-old")
        shutil.copytree(project / "content-old", project / "content")
        wait_for_reports(reports, {"content"})
        time.sleep(0.3)
        (project / "content/en/040-after.md").write_text("new block")
        wait_for_reports(reports, {"content/en/040-after.md"})
    finally:
        stop.set()


def wait_for_reports(reports: queue.Queue[tuple[str, ...]], expected: set[str]) -> None:
    seen: set[str] = set()
    while not expected <= seen:
        seen |= set(reports.get(timeout=10))


def test_preview_of_every_brief_serves_the_library_page(scenario) -> None:
    project = scenario("minimal")
    preview = Preview(project, Target("", "en"))
    server = make_preview_server(preview, 0)
    assert server.server_address[0] == "127.0.0.1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(urllib.error.HTTPError) as error:  # before the first build
            urllib.request.urlopen(base + "/")
        assert error.value.code == 503
        assert "Building the preview" in error.value.read().decode()
        edit(project / EVIDENCE, "[@bryant2019]", "[@bryant2019] <b>")
        assert not preview.rebuild().ok
        with pytest.raises(urllib.error.HTTPError) as error:  # nothing built: the problems
            urllib.request.urlopen(base + "/")
        assert error.value.code == 503
        assert (
            f'<li><code>{EVIDENCE}:9</code> raw HTML "&lt;b&gt;" is not allowed in a '
            "block; write Markdown instead.</li>"
        ) in error.value.read().decode()
        edit(project / EVIDENCE, "[@bryant2019] <b>", "[@bryant2019]")
        assert preview.rebuild().ok
        with urllib.request.urlopen(base + "/") as response:
            index = response.read().decode()
        assert 'href="en/schools.html"' in index and "Cameras in classrooms" in index
        assert index.count('id="briefgen-preview-reload"') == 1
    finally:
        preview.close()
        server.shutdown()
        server.server_close()


def test_serve_names_the_closest_brief_and_locale() -> None:
    from tests.conftest import SCENARIOS

    project = SCENARIOS / "minimal"
    result = run_cli("--project", project, "serve", "schols")
    assert result.exit_code == 1
    assert result.stderr == (
        'error: briefs/: there is no brief "schols" (did you mean "schools"?), and no folder of '
        "that name to serve; `briefgen list briefs` lists the briefs.\n"
        "error: nothing to preview; correct the command (or the file named) and run it again.\n"
    )
    result = run_cli("--project", project, "serve", "schools", "--locale", "eng")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        'error: briefgen.yaml:4: --locale "eng" is not a locale of this project (did you mean '
        '"en"?); the project\'s locales are listed under "locales" here.'
    )


def test_serve_says_how_to_get_past_a_port_in_use(scenario) -> None:
    project = scenario("minimal")
    assert run_cli("--project", project, "build", "-q", "--format", "html").exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for form in ("schools", str(project / "build")):
            result = run_cli("--project", project, "serve", form, "--port", str(port))
            assert result.exit_code == 1
            assert result.stderr == (
                f"error: cannot listen on 127.0.0.1:{port}: Address already in use; choose "
                "another port with --port, or --port 0 for any free one.\n"
            )


def test_serve_help_shows_both_forms_with_examples() -> None:
    result = run_cli("serve", "--help")
    assert result.exit_code == 0
    assert "[BRIEF|FOLDER]" in result.stdout
    assert "Examples:\n    briefgen serve government\n" in result.stdout
    assert "    briefgen serve build/\n" in result.stdout
