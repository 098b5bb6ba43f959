"""`briefgen studio` in Debian's Chromium: a campaigner composes, pins, drops, previews,
downloads and saves a brief; the same address gives the same bytes; another site can neither
read the studio (Host) nor make it write (token and Origin).

The studio serves a copy of the shipped project (saving writes under its briefs/).
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from briefgen.preview.studio import Studio, make_studio_server
from tests.conftest import REPO, copy_project, run_cli
from tests.formats.test_office import to_pdf

GOVERNMENT = "audience=government&use_case=education"


def _serve(root: Path) -> tuple[str, Studio, object]:
    server, studio = make_studio_server(root, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", studio, server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(REPO, tmp_path_factory.mktemp("studio") / "project")


@pytest.fixture(scope="module")
def studio(project: Path) -> Iterator[tuple[str, Studio]]:
    base, studio, server = _serve(project)
    yield base, studio
    server.shutdown()  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        return bytes(response.read())


def _rows(page: Page, kind: str) -> list[str]:
    return [r.get_attribute("data-block") or "" for r in page.locator(f"tr.{kind}").all()]


def _preview_text(page: Page) -> str:
    """The preview's text as the blocks' titles are written: typography curls apostrophes and
    puts no-break spaces in ("No. 11")."""
    return _plain(page.frame_locator("#preview").locator("body").inner_text(timeout=60_000))


def _plain(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split())


def test_a_campaigner_composes_pins_drops_previews_and_downloads(
    studio: tuple[str, Studio], page: Page, tmp_path: Path
) -> None:
    base, _ = studio
    page.goto(f"{base}/")
    assert page.url == f"{base}/compose"
    page.select_option("#audience", "government")  # each choice composes again by itself
    page.wait_for_url("**/compose?audience=government")
    page.check("input[name=use_case][value=education]")
    page.wait_for_url(f"**/compose?{GOVERNMENT}")
    page.fill("#words", "1500")
    page.press("#words", "Enter")
    page.wait_for_url("**words=1500")
    page.fill("#prepared_for", "the Ministry of Education")
    page.press("#prepared_for", "Enter")
    page.wait_for_url("**words=1500&prepared_for=the+Ministry+of+Education")
    chosen, left_out = _rows(page, "in"), _rows(page, "out")
    opening, ask = "framing-government-education", "rec-government-education"
    assert opening in chosen and ask in chosen and left_out
    assert "required: the opening" in page.locator(f"tr[data-block={opening}]").inner_text()
    assert "does not fit" in page.locator("tr.out").first.inner_text()
    before = _preview_text(page)
    assert "prepared for" in before.lower() and "the Ministry of Education" in before

    # Pin the best block left out: it goes in, first, and the preview shows it.
    pinned = left_out[0]
    title = page.locator(f"tr.out[data-block={pinned}] strong, tr.out[data-block={pinned}] td")
    pinned_title = title.first.inner_text().split("\n")[0]
    page.click(f"tr.out[data-block={pinned}] a.pin")
    page.wait_for_url(f"**pin={pinned}")
    assert pinned in _rows(page, "in")
    assert "pinned (--include)" in page.locator(f"tr.in[data-block={pinned}]").inner_text()
    assert pinned_title in _preview_text(page) and pinned_title not in before

    # Drop a block that is in (not a required one): it leaves the brief and the preview.
    dropped = next(
        b for b in _rows(page, "in")
        if b != pinned and "required" not in page.locator(f"tr[data-block={b}]").inner_text()
    )  # fmt: skip
    dropped_title = page.locator(f"tr[data-block={dropped}] strong").inner_text()
    assert dropped_title in _preview_text(page)
    page.click(f"tr.in[data-block={dropped}] a.drop")
    page.wait_for_url(f"**drop={dropped}")
    assert dropped not in _rows(page, "in") + _rows(page, "out")
    assert dropped in page.locator("#dropped").inner_text()
    assert dropped_title not in _preview_text(page)
    # Move a block up within its section: the table and the preview follow.
    up = page.locator("tr.in:has(a.up)").first
    moved = up.get_attribute("data-block") or ""
    rows = _rows(page, "in")
    above = rows[rows.index(moved) - 1]
    titles = {b: page.locator(f"tr[data-block={b}] strong").inner_text() for b in (moved, above)}
    text = _preview_text(page)
    assert text.index(titles[above]) < text.index(titles[moved])
    up.locator("a.up").click()
    page.wait_for_url("**order=*")
    rows = _rows(page, "in")
    assert rows.index(moved) == rows.index(above) - 1
    text = _preview_text(page)
    assert text.index(titles[moved]) < text.index(titles[above])
    meter = page.locator("#meter")
    assert int(meter.get_attribute("value") or 0) <= 1500
    page.screenshot(path="/tmp/studio.png", full_page=True)

    # A page budget: download the PDF and the Word file; both hold two pages.
    page.goto(f"{base}/compose?{GOVERNMENT}&pages=2&pin={pinned}&drop={dropped}")
    assert page.locator("#meter-text").inner_text().endswith("of 2 pages")
    files = {}
    for name in ("pdf", "docx"):
        with page.expect_download() as download:
            page.click(f"#download-{name}")
        files[name] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[name])
    assert files["pdf"].name == "government-education.pdf"
    assert len(PdfReader(files["pdf"]).pages) <= 2
    word = docx.Document(str(files["docx"]))
    assert pinned_title in _plain("\n".join(p.text for p in word.paragraphs))
    (tmp_path / "office").mkdir()
    office = to_pdf([files["docx"]], tmp_path / "office", processes=1)
    # The page budget holds in Word too, as LibreOffice lays it out (the reference documents
    # follow the PDF's measure: docs/office-documents.md).
    word_pages = len(PdfReader(office / "government-education.pdf").pages)
    assert 1 <= word_pages <= 2

    # The address of the composition gives the same bytes, from this studio and a new one.
    query = urllib.parse.urlsplit(page.url).query
    again = _get(f"{base}/compose.pdf?{query}")
    assert again == files["pdf"].read_bytes()
    other, _, server = _serve(studio[1].root)
    try:
        assert _get(f"{other}/compose.docx?{query}") == files["docx"].read_bytes()
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_the_page_saves_the_composition_as_a_recipe_that_builds(
    studio: tuple[str, Studio], page: Page, project: Path
) -> None:
    base, _ = studio
    page.goto(f"{base}/compose?{GOVERNMENT}&words=1000&date=2026-12-10")
    page.fill("#name", "ministry-thursday")
    page.click("#save button")
    assert "Saved briefs/ministry-thursday.yaml" in page.locator("#notice").inner_text()
    saved = project / "briefs/ministry-thursday.yaml"
    assert "date: 2026-12-10" in saved.read_text()
    built = run_cli(
        "--project", project, "build", "ministry-thursday", "--locale", "en", "--format", "md",
        "--out", project / "build-saved",
    )  # fmt: skip
    assert built.exit_code == 0, built.stderr
    assert _get(f"{base}/compose.md?{GOVERNMENT}&words=1000&date=2026-12-10") != b""
    # The same name again, for another composition, is refused and nothing is replaced.
    page.goto(f"{base}/compose?{GOVERNMENT}&words=900")
    page.fill("#name", "ministry-thursday")
    page.click("#save button")
    assert "already exists" in page.locator("#problems").inner_text()
    assert "date: 2026-12-10" in saved.read_text()
    saved.unlink()


def _request(
    base: str, method: str, path: str, headers: dict[str, str], body: str = ""
) -> tuple[int, bytes]:
    address = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=120)
    connection.putrequest(method, path, skip_host=True)
    for key, value in headers.items():
        connection.putheader(key, value)
    data = body.encode()
    if method == "POST":
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(len(data)))
    connection.endheaders(data)
    response = connection.getresponse()
    return response.status, response.read()


def test_another_site_can_neither_read_the_studio_nor_make_it_write(
    studio: tuple[str, Studio], project: Path
) -> None:
    base, running = studio
    host = urllib.parse.urlsplit(base).netloc
    for name in ("evil.example", f"evil.example:{host.split(':')[1]}", "127.0.0.1:1"):
        status, _ = _request(base, "GET", f"/compose?{GOVERNMENT}", {"Host": name})
        assert status == 421
    status, page = _request(base, "GET", f"/compose?{GOVERNMENT}&words=900", {"Host": host})
    assert status == 200 and running.token.encode() in page

    form = {"query": f"{GOVERNMENT}&words=900", "name": "planted"}
    attempts = [
        ({"Host": host, "Origin": base}, {**form}),  # no token
        ({"Host": host, "Origin": base}, {**form, "token": "guessed"}),  # a wrong token
        ({"Host": host, "Origin": "http://evil.example"}, {**form, "token": running.token}),
        ({"Host": host}, {**form, "token": running.token}),  # no Origin
        ({"Host": "evil.example", "Origin": "http://evil.example"},
         {**form, "token": running.token}),
    ]  # fmt: skip
    for headers, fields in attempts:
        status, _ = _request(base, "POST", "/save", headers, urllib.parse.urlencode(fields))
        assert status in (403, 421), (headers, fields)
    assert not (project / "briefs/planted.yaml").exists()
    # A name is never a path.
    status, _ = _request(
        base, "POST", "/save", {"Host": host, "Origin": base},
        urllib.parse.urlencode({**form, "name": "../planted", "token": running.token}),
    )  # fmt: skip
    assert status == 400 and not (project / "planted.yaml").exists()
    # The same request from the page itself is accepted.
    status, _ = _request(
        base, "POST", "/save", {"Host": host, "Origin": base},
        urllib.parse.urlencode({**form, "token": running.token}),
    )  # fmt: skip
    assert status == 200
    (project / "briefs/planted.yaml").unlink()


def test_a_mistake_in_the_address_is_shown_in_the_page(
    studio: tuple[str, Studio], page: Page
) -> None:
    base, _ = studio
    page.goto(f"{base}/compose?audience=goverment&use_case=education&words=ten")
    problems = page.locator("#problems").inner_text()
    assert 'words: must be a whole number, not "ten".' in problems
    page.goto(f"{base}/compose?audience=goverment&use_case=education")
    assert 'did you mean "government"?' in page.locator("#problems").inner_text()
    assert page.locator("#preview").count() == 0


def test_a_block_edited_in_the_page_is_saved_only_when_valid(
    studio: tuple[str, Studio], page: Page, project: Path
) -> None:
    base, running = studio
    block = project / "content/en/01-framing/010-government.md"
    original = block.read_text()
    page.goto(f"{base}/compose?{GOVERNMENT}&words=1500")
    page.click("tr[data-block=framing-government] a.edit")
    page.wait_for_url("**/block?id=framing-government*")
    assert page.locator("#text").input_value() == original

    # A mistake is shown at its line, and the file is left as it was.
    page.fill("#text", original.replace("kind: framing", "kind: framng"))
    page.click("#edit button")
    problems = page.locator("#problems").inner_text()
    assert "content/en/01-framing/010-government.md:4 " in problems
    assert "framing" in problems  # the suggestion
    assert block.read_text() == original
    page.fill("#text", original.replace("\n---\n", "\n---\nUnclosed [@nosuchkey] cite.\n", 1))
    page.click("#edit button")
    assert 'unknown citation key "@nosuchkey"' in page.locator("#problems").inner_text()
    assert block.read_text() == original

    # A valid edit is saved, and the brief and its preview show it.
    added = "A sentence the campaigner added in the studio."
    page.fill("#text", original.rstrip("\n") + f"\n\n{added}\n")
    page.click("#edit button")
    page.wait_for_url(f"**/compose?{GOVERNMENT}&words=1500")
    assert block.read_text().endswith(f"\n\n{added}\n")
    assert added in _preview_text(page)

    # Only the studio's own page may save a block.
    host = urllib.parse.urlsplit(base).netloc
    form = {"id": "framing-government", "text": "---\nid: x\n---\n", "back": ""}
    for headers, fields in [
        ({"Host": host, "Origin": base}, form),
        ({"Host": host, "Origin": "http://evil.example"}, {**form, "token": running.token}),
    ]:
        status, _ = _request(base, "POST", "/block", headers, urllib.parse.urlencode(fields))
        assert status == 403
    assert block.read_text().endswith(f"\n\n{added}\n")
    block.write_text(original)
