"""The attack on a fresh clone, case by case: nothing a block, a file or a web page sends reaches
outside, every hostile input is a located error (exit 1) in bounded time, and faults leave the
output folder as it was. docs/security.md is the threat model these tests hold to."""

from __future__ import annotations

import errno
import http.client
import os
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.errors import ToolError
from briefgen.load.content import _body_problems
from briefgen.load.scan import scan_body
from tests.conftest import run_cli, tree_digest

SECRET = "ZZSECRET-bytes-of-a-file-outside-the-project"


def add_block(project: Path, name: str, body: str, extra: str = "") -> Path:
    path = project / "content/en" / name
    path.write_text(
        f"---\nid: {Path(name).stem[4:]}\ntitle: T\nkind: summary\naudiences: all\n"
        f"use_cases: all\n{extra}---\n{body}\n"
    )
    return path


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


# --- 1-3: one block file that check accepted -----------------------------------------------------


def test_a_src_attribute_is_refused_at_its_line(scenario, secret: Path) -> None:
    project = scenario("minimal")
    add_block(project, "030-src.md", f'Fine.\n\n[x](https://example.org){{src="{secret}"}}')
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert errors(result)[0] == (
        'error: content/en/030-src.md:10: the attribute "src=" is not allowed in a block; the '
        "only attribute a block may set is lang= (a language tag)."
    )


def test_links_defined_in_one_block_cannot_be_used_from_another(scenario, secret: Path) -> None:
    project = scenario("minimal")
    add_block(project, "030-a.md", f"Text.\n\n[js]: javascript:alert(1)\n[img]: {secret}")
    add_block(
        project,
        "040-b.md",
        '![click [me][a\ue000js]][a\ue000img]{#fig-b\nonmouseover="alert(1)"}',
        extra="figure: {chart: data-kinds-by-use-case, caption: C, alt: A}\n",
    )
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    messages = "\n".join(errors(result))
    assert 'content/en/030-a.md:10: the link "javascript:alert(1)" is not allowed' in messages
    assert f'content/en/030-a.md:11: the link "{secret}" is not allowed' in messages
    assert "content/en/040-b.md:9: the character U+E000 (private use)" in messages


def test_a_control_character_before_a_scheme_is_seen_as_a_browser_sees_it(scenario) -> None:
    project = scenario("minimal")
    add_block(project, "030-c.md", "[here](<\x01javascript:document.title='PWNED'>)")
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    messages = "\n".join(errors(result))
    assert "030-c.md:8: the character U+0001 (a control character) is not allowed" in messages
    assert "\x01" not in result.stderr  # printed as a visible code


def test_a_reference_style_javascript_link_is_refused_even_unused(scenario) -> None:
    project = scenario("minimal")
    add_block(project, "030-r.md", "Text [go][x].\n\n[x]: JaVaScRiPt:alert(1)\n[y]: vbscript:x")
    messages = "\n".join(errors(run_cli("--project", project, "check")))
    assert '030-r.md:10: the link "JaVaScRiPt:alert(1)" is not allowed' in messages
    assert '030-r.md:11: the link "vbscript:x" is not allowed' in messages


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("A NUL \x00 here.", "the character U+0000 (a control character) is not allowed"),
        ("Escape \x1b[2J here.", "the character U+001B (a control character) is not allowed"),
        ("#### H {#sec-1}\n\nText.", 'the identifier "#sec-1" must start with the block\'s id'),
        ("[x]{.confidential}", 'the class ".confidential" is not allowed in a block'),
        ('::: {style="color:red"}\nx\n:::', 'the attribute "style=" is not allowed'),
        ("[" * 1001, "the block has 1,001 square brackets; more than 1,000 are refused"),
        ("> " * 40 + "deep", "lists or quotations are nested too deeply here"),
    ],
)
def test_hostile_bodies_are_located_errors(scenario, body: str, message: str) -> None:
    project = scenario("minimal")
    add_block(project, "030-h.md", body)
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert any("content/en/030-h.md:8: " + message in line for line in errors(result)), (
        result.stderr
    )


def test_ten_thousand_brackets_are_refused_before_pandoc_sees_them(scenario) -> None:
    project = scenario("minimal")
    add_block(project, "030-b.md", "[" * 10_000)
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert "square brackets" in result.stderr


def test_an_image_whose_bytes_are_not_its_format_is_refused(scenario) -> None:
    project = scenario("minimal")
    (project / "fake.png").write_text("not an image")
    add_block(project, "030-f.md", "Text.", extra="figure: {image: fake.png, caption: C, alt: A}\n")
    result = run_cli("--project", project, "check")
    assert 'the image "fake.png" is not a readable PNG image' in result.stderr


# --- 4: internal content --------------------------------------------------------------------------


def test_an_internal_brief_never_reaches_a_public_folder_or_archive(scenario) -> None:
    project = scenario("internal")
    out = project / "build"
    assert run_cli("--project", project, "build", "--internal", "--out", out, "-q").exit_code == 0
    assert '"internal": true' in (out / "manifest.json").read_text()
    release = run_cli("--project", project, "release", "--out", out)
    assert release.exit_code == 1
    assert "holds internal briefs (its manifest says so)" in release.stderr
    assert not list(out.rglob("*.zip"))
    library = run_cli("--project", project, "library", out)
    assert library.exit_code == 1 and "for public builds only" in library.stderr
    verify = run_cli("verify", out)
    assert verify.exit_code == 1 and "internal briefs, not for publishing" in verify.stderr
    assert run_cli("verify", "--internal", out).exit_code == 0
    merge = run_cli("manifest", "merge", out / "manifest.json", "--out", project / "m.json")
    assert merge.exit_code == 1 and "this shard holds internal briefs" in merge.stderr


def test_an_internal_build_refuses_a_public_folder(scenario) -> None:
    project = scenario("internal")
    assert run_cli("--project", project, "build", "-q").exit_code == 0
    before = tree_digest(project / "build")
    result = run_cli("--project", project, "build", "--internal", "--out", project / "build")
    assert result.exit_code == 1
    assert "holds public briefs: an internal build cannot write there" in result.stderr
    assert tree_digest(project / "build") == before


# --- 5: the servers ---------------------------------------------------------------------------


@pytest.fixture
def served(scenario) -> Iterator[tuple[int, Path]]:
    from briefgen.preview.serve import make_server

    project = scenario("minimal")
    assert run_cli("--project", project, "build", "-q", "--format", "html").exit_code == 0
    server = make_server(project / "build", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], project
    finally:
        server.shutdown()
        server.server_close()


def get(port: int, path: str, host: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_serve_answers_only_its_own_loopback_name(served) -> None:
    port, _ = served
    assert get(port, "/en/schools.html") == 200
    assert get(port, "/en/schools.html", f"localhost:{port}") == 200
    assert get(port, "/en/schools.html", f"attacker.example:{port}") == 421
    assert get(port, "/en/schools.html", "127.0.0.1") == 421


@pytest.mark.parametrize("path", ["/%00", "/en/%zz", "/a%0d%0aSet-Cookie:x"])
def test_a_malformed_path_is_a_400(served, path: str) -> None:
    port, _ = served
    assert get(port, path) == 400


def test_a_burst_of_200_requests_is_answered_in_full(served) -> None:
    port, _ = served
    results: list[int] = []

    def fetch() -> None:
        try:
            results.append(get(port, "/en/schools.html"))
        except OSError:
            results.append(0)

    threads = [threading.Thread(target=fetch) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count(200) == 200


def test_serve_refuses_a_folder_that_is_no_build(scenario, tmp_path: Path) -> None:
    project = scenario("minimal")
    result = run_cli("--project", project, "serve", str(tmp_path), "--port", "0")
    assert result.exit_code == 1
    assert "is not a briefgen build folder (it has no manifest.json)" in result.stderr


# --- 6: branding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (
            '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            'has the attribute "onload"',
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>',
            "has a <script> element",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:l="http://www.w3.org/1999/xlink">'
            '<use l:href="https://e.org/a.svg#x"/></svg>',
            'refers to "https://e.org/a.svg#x"',
        ),
        (
            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            "has a DOCTYPE",
        ),
    ],
)
def test_a_scripted_or_fetching_svg_logo_is_refused(scenario, svg: str, message: str) -> None:
    project = scenario("branding-minimal")
    (project / "brand/mark.svg").write_text(svg)
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert 'the logo "brand/mark.svg" ' + message in result.stderr


# --- bounded inputs and located errors -----------------------------------------------------------

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefg", "bcdefgh", strict=True)
)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("embargo: 2021-02-30\n", 'invalid YAML: "2021-02-30" is not a valid date.'),
        ("embargo: 2021-01-01 10:00:00\n", "the embargo must be a date like 2030-01-31"),
        ("rights: [[privacy]]\n", "each right must be a name, not a list."),
        ("priority: " + "9" * 5000 + "\n", "is not a valid number."),
    ],
)
def test_impossible_values_are_located(scenario, field: str, message: str) -> None:
    project = scenario("minimal")
    add_block(project, "030-v.md", "Text.", extra=field)
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert "content/en/030-v.md:7: " in result.stderr and message in result.stderr


def test_a_recipe_alias_bomb_is_refused_quickly(scenario) -> None:
    project = scenario("minimal")
    recipe = project / "briefs/schools.yaml"
    recipe.write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + BOMB + recipe.read_text())
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert "with its aliases (*name) followed, this holds more than 100,000 values" in result.stderr


def test_a_bibtex_crossref_loop_is_located(scenario) -> None:
    project = scenario("minimal")
    bib = project / "bibliography.bib"
    bib.write_text(
        bib.read_text() + "\n@book{loopa, title={A}, crossref={loopb}}\n"
        "@book{loopb, title={B}, crossref={loopa}}\n"
    )
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert "refer to each other in a loop (loopa -> loopb -> loopa)" in result.stderr


@pytest.mark.parametrize("epoch", ["99999999999999", "soon"])
def test_an_impossible_source_date_epoch_is_a_user_error(scenario, monkeypatch, epoch) -> None:
    project = scenario("minimal")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = run_cli("--project", project, "build", "--format", "html")
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH" in result.stderr and "internal error" not in result.stderr


def test_a_pandoc_that_prints_garbage_is_named(scenario, monkeypatch, tmp_path: Path) -> None:
    project = scenario("minimal")
    garbage = tmp_path / "garbage-pandoc"
    garbage.write_text(
        '#!/bin/sh\ncase "$*" in *--version*) echo "pandoc 3.9";; *) echo junk;; esac\n'
    )
    garbage.chmod(0o755)
    monkeypatch.setenv("BRIEFGEN_PANDOC", str(garbage))
    result = run_cli("--project", project, "build", "--format", "html", "--force")
    assert result.exit_code == 2
    assert "not a pandoc document" in result.stderr or "not CSL JSON" in result.stderr


def test_pandoc_has_limits_of_its_own() -> None:
    from briefgen.tools import pandoc

    command = [*pandoc._limits(), "x", *pandoc._RTS_OPTIONS]
    assert command[0].endswith("setpriv") and command[1:3] == ["--pdeathsig", "KILL"]
    assert any(part.endswith("prlimit") for part in command) and "--cpu=120" in command
    assert "+RTS" in command and "-M3g" in command


# --- output folders ---------------------------------------------------------------------------


@pytest.mark.parametrize("out", ["/", "content", "."])
def test_a_build_refuses_folders_that_are_not_outputs(scenario, out: str) -> None:
    project = scenario("minimal")
    before = tree_digest(project)
    target = out if out == "/" else project / out
    result = run_cli("--project", project, "build", "--format", "md", "--out", target)
    assert result.exit_code == 1
    assert "refusing to write into" in result.stderr
    assert tree_digest(project) == before


def test_a_second_build_into_a_held_folder_stops(scenario) -> None:
    from briefgen.publish.outfolder import writing_to

    project = scenario("minimal")
    out = project / "build"
    script = (
        "import sys, time; from pathlib import Path\n"
        "from briefgen.publish.outfolder import writing_to\n"
        "with writing_to(Path(sys.argv[1]), Path(sys.argv[2]), False):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(out), str(project)], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        result = run_cli("--project", project, "build", "--format", "html")
        assert result.exit_code == 1
        assert "another briefgen is writing to" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    with writing_to(out, project, False):  # free again once the other run has ended
        pass


def test_a_full_disk_leaves_the_folder_as_it_was(tmp_path: Path, monkeypatch) -> None:
    from briefgen.errors import BriefgenError
    from briefgen.publish import output

    out = tmp_path / "build"
    output.write_files(out, [("a.txt", b"old a"), ("b.txt", b"old b")])
    before = tree_digest(out)
    real = output._staged
    calls = []

    def filling(path: Path, data: bytes, durable: bool = True) -> str:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, durable)

    monkeypatch.setattr(output, "_staged", filling)
    with pytest.raises(BriefgenError, match="No space left on device"):
        output.write_files(out, [("a.txt", b"new a"), ("b.txt", b"new b"), ("c.txt", b"c")])
    assert tree_digest(out) == before
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


# --- PO files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('msgstr "bonjour', "the string is not closed with a quotation mark"),
        ('msgstr "a\\qb"', "unknown escape \\q"),
        ('msgstr "x\x00"', "the line holds a NUL character"),
    ],
)
def test_po_strings_are_read_strictly(line: str, message: str) -> None:
    from briefgen.i18n.exchange.po import read_po

    text = f'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgctxt "u"\nmsgid "hello"\n{line}\n'
    content = read_po(text.encode(), "x.po")
    assert content.units == ()
    assert content.problems[0].startswith(f"x.po:7: {message}")


# --- show and messages --------------------------------------------------------------------------


def test_show_prints_escape_sequences_as_visible_codes(scenario) -> None:
    project = scenario("minimal")
    block = project / "content/en/010-intro.md"
    block.write_text(block.read_text().replace("title: Introduction", 'title: "Intro\\e[2J"'))
    result = run_cli("--project", project, "show", "intro")
    assert "\x1b" not in result.stdout and "\\x1b[2J" in result.stdout


# --- the property: nothing unsafe reaches an output -------------------------------------------

PIECES = st.sampled_from(
    [
        "word ",
        "[link](https://example.org) ",
        "[bad](javascript:alert(1)) ",
        "[c](<\x01javascript:x>) ",
        "![img](/etc/hostname) ",
        '{onclick="x()"} ',
        '{src="/etc/passwd"} ',
        "{.cls} ",
        "<script>alert(1)</script> ",
        "`raw`{=html} ",
        "[s]{lang=fr} ",
        "[r][ref] ",
        "\n\n[ref]: data:text/html,x\n\n",
        "\n\n[ref]: https://ok.example\n\n",
        "::: note\n",
        ":::\n",
        "\x1b[31m",
        "\n\n",
        "*em* ",
        "<http://auto.example> ",
        "[^n] ",
        "\n\n[^n]: note\n\n",
    ]
)
ALLOWED_SCHEMES = ("http:", "https:", "mailto:", "#")


def unsafe_parts(html: str) -> list[str]:
    """What an HTML page carries that could run, fetch or embed: read as a browser would."""
    from lxml import html as lxml_html

    found = []
    for element in lxml_html.fromstring(html).iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in ("script", "iframe", "object", "embed", "img"):
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() in ("srcdoc", "formaction"):
                found.append(f"{name}=")
            if name in ("href", "src"):
                cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                if not cleaned.startswith(ALLOWED_SCHEMES) and element.tag != "link":
                    found.append(f"{name}={value[:40]}")
    if "root:x:0:0" in html:
        found.append("/etc/passwd")
    return found


@given(st.lists(PIECES, min_size=1, max_size=12))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_what_check_accepts_the_sanitizer_keeps_and_no_output_is_unsafe(pieces: list[str]) -> None:
    from briefgen.render.sanitize import sanitize_blocks
    from briefgen.tools import pandoc

    body = "".join(pieces).strip() or "word"
    accepted = not _body_problems("content/en/x.md", body, 1, "x", scan_body(body, 1))
    args = ["-f", pandoc.MARKDOWN_READER, "-t", "json"]
    try:
        reading = pandoc.read_ast(pandoc.run(args, body.encode(), what="test"))
    except ToolError:  # pandoc warns (an unused note): check says so, and the build would stop
        assert not accepted, body
        return
    kept, dropped = sanitize_blocks(reading["blocks"])
    if accepted:
        assert dropped == [], body  # check's verdict is the build's
    reading["blocks"] = kept
    html = pandoc.run(
        ["-f", "json", "-t", "html5", "--embed-resources", "--standalone", "-M", "title=t"],
        pandoc.write_ast(reading),
        what="test",
    ).decode()
    assert unsafe_parts(html) == [], body


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8, 1.5])
def test_ctrl_c_at_any_moment_ends_quietly(scenario, tmp_path: Path, delay: float) -> None:
    """Ctrl-C reaches the whole process group (the fork server and its workers too): at start-up,
    while the workers import, or while they render, briefgen ends with 130 and no traceback."""
    import signal
    import time

    project = scenario("translated")
    process = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "--project", str(project), "build", "--force",
         "--jobs", "2", "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    # 0, or killed by the signal while Python shut down: the build had finished already.
    finished = b"wrote " in stdout and process.returncode in (0, -signal.SIGINT)
    assert finished or process.returncode == 130, stderr.decode()
    assert "Traceback" not in stderr.decode()


def test_the_second_layer_cleans_a_page_the_first_would_have_missed() -> None:
    """nh3 over the page pandoc wrote: if the tree's allowlist (or pandoc) ever let a script, a
    handler or a file through, the page still would not carry it; a clean page is unchanged."""
    from briefgen.render.sanitize import clean_page

    page = (
        b'<!DOCTYPE html>\n<html><head><style>p{}</style></head><body class="b">\n'
        b'<p id="x" onclick="steal()">Hi <a href="javascript:x()">a</a> '
        b'<a href="https://example.org">b</a><script>alert(1)</script>'
        b'<img src="file:///etc/passwd" alt="p"><img src="data:image/png;base64,AAAA" alt="q">'
        b'<a href="data:text/html,x">c</a></p>\n</body></html>\n'
    )
    cleaned = clean_page(page).decode()
    assert "onclick" not in cleaned and "<script" not in cleaned and "javascript:" not in cleaned
    assert "/etc/passwd" not in cleaned and "data:text/html" not in cleaned
    assert '<a href="https://example.org">b</a>' in cleaned
    assert 'src="data:image/png;base64,AAAA"' in cleaned and "<style>p{}</style>" in cleaned


def test_a_shipped_page_passes_the_second_layer_unchanged(scenario) -> None:
    from briefgen.render.sanitize import clean_page

    project = scenario("branded")
    assert run_cli("--project", project, "build", "-q", "--format", "html").exit_code == 0
    for page in sorted((project / "build").glob("*/*.html")):
        data = page.read_bytes()
        assert clean_page(data) == data, page


# --- the second attack (after the fixes above) -------------------------------------------------


def add_evidence(project: Path, name: str, body: str) -> Path:
    """A block the minimal scenario's brief selects (its Evidence section takes every one)."""
    path = project / "content/en" / name
    path.write_text(
        f"---\nid: {Path(name).stem[4:]}\ntitle: T\nkind: evidence\naudiences: [public]\n"
        f"use_cases: [schools]\n---\n{body} [@bryant2019]\n"
    )
    return path


def test_a_metadata_block_in_a_body_is_text_not_the_documents_metadata(scenario) -> None:
    """pandoc reads YAML metadata anywhere in a document: a block could have set the EPUB's
    abstract or Word's author as a javascript: link. briefgen's reader takes no metadata."""
    project = scenario("minimal")
    add_evidence(
        project,
        "030-meta.md",
        'Intro.\n\n---\nabstract: "\\x5Bclick\\x5D(javascript:alert(1))"\n'
        'author: "\\x5BA\\x5D(javascript:alert(2))"\n...\n\nMore',
    )
    assert run_cli("--project", project, "check").exit_code == 0
    result = run_cli("--project", project, "build", "--format", "epub", "--format", "docx")
    assert result.exit_code == 0, result.stderr
    for name in ("en/schools.epub", "en/schools.docx"):
        with zipfile.ZipFile(project / "build" / name) as package:
            text = "".join(package.read(n).decode("utf-8", "replace") for n in package.namelist())
        # The lines are the block's text now, printed as text: no link, no metadata field.
        assert not re.search(r'(href|Target)="javascript:', text, re.IGNORECASE), name


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Text.\n\n> [evil]: https://attacker.example/steal", "Please see [evil] for details."),
        ("Text.\n\n- [evil]: https://attacker.example/steal", "Please see [evil] for details."),
        ("Text.\n\n> [evil]: javascript:alert(1) {.x}", "Please see [evil] for details."),
        ("Text.\n\n> [x]: https://a.example", "Text.\n\n> [x]: https://b.example\n\nSee [x]."),
    ],
)
def test_definitions_in_quotations_and_lists_stay_in_their_block(scenario, a, b) -> None:
    project = scenario("minimal")
    add_evidence(project, "030-a.md", a)
    add_evidence(project, "040-b.md", b)
    checked = run_cli("--project", project, "check")
    built = run_cli("--project", project, "build", "--format", "html")
    assert checked.exit_code == built.exit_code, (checked.stderr, built.stderr)
    if built.exit_code == 0:
        page = (project / "build/en/schools.html").read_text()
        assert "attacker.example" not in page.split('id="b"')[-1].split("</section>")[0]
        assert 'href="javascript:' not in page


def test_an_unclosed_code_fence_is_refused(scenario) -> None:
    project = scenario("minimal")
    add_evidence(project, "030-a.md", "Text.\n\n```\ncode that never ends")
    add_evidence(project, "040-b.md", "```\n[x](javascript:alert(1))\n```\n\nText.")
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1
    assert (
        'content/en/030-a.md:10: the code fence "```" opened here is never closed' in result.stderr
    )


@pytest.mark.parametrize(
    ("block_id", "body", "message"),
    [
        ("sec", "#### H {#sec-1}\n\nText.", 'the identifier "#sec-1" must start with'),
        ("atk", "#### H {#atk-b}\n\nText.", 'the identifier "#atk-b" must start with'),
        ("fig", "[x]{#fig-atk-b}", 'the identifier "#fig-atk-b" must start with'),
    ],
)
def test_identifiers_live_in_their_blocks_namespace(scenario, block_id, body, message) -> None:
    project = scenario("minimal")
    add_evidence(project, f"030-{block_id}.md", body)
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1 and message in result.stderr
    add_evidence(project, f"030-{block_id}.md", body.replace("{#", "{#" + block_id + "--"))
    assert run_cli("--project", project, "build", "--format", "html").exit_code == 0


def test_a_heading_cannot_take_a_citation_anchor(scenario) -> None:
    project = scenario("minimal")
    add_evidence(project, "030-h.md", "#### Ref bryant2019\n\nText.")
    assert run_cli("--project", project, "build", "--format", "html").exit_code == 0
    page = (project / "build/en/schools.html").read_text()
    assert page.count('id="ref-bryant2019"') == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Text " + "<" * 1200, 'the block has 1,200 angle brackets "<"'),
        ("> [^n]: an unused note", "pandoc warns: Note with key 'n' defined"),
    ],
)
def test_slow_or_warning_bodies_are_located(scenario, body: str, message: str) -> None:
    project = scenario("minimal")
    add_block(project, "030-s.md", body)
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1 and "content/en/030-s.md:8: " + message in result.stderr


def test_a_figure_that_does_not_decode_or_names_nothing_is_refused(scenario) -> None:
    project = scenario("minimal")
    (project / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    add_block(project, "030-j.md", "Text.", extra="figure: {image: junk.png, caption: C, alt: A}\n")
    add_block(project, "040-e.md", "Text.", extra='figure: {image: "", caption: C, alt: A}\n')
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1 and "internal error" not in result.stderr
    assert 'the image "junk.png" is not a readable PNG image' in result.stderr
    assert 'content/en/040-e.md:7: the figure\'s "image" must be a name' in result.stderr


@pytest.mark.parametrize(
    "fill", ["URL(https://evil.example/x.svg#p)", "\\75rl(https://evil.example/y)"]
)
def test_an_svg_reference_is_refused_in_any_spelling(scenario, fill: str) -> None:
    project = scenario("branding-minimal")
    (project / "brand/mark.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="{fill}"/></svg>'
    )
    result = run_cli("--project", project, "check")
    assert result.exit_code == 1 and 'the logo "brand/mark.svg"' in result.stderr


def test_a_disk_that_fills_at_the_manifest_leaves_the_whole_build_as_it_was(
    scenario, monkeypatch
) -> None:
    """Artifacts, library page and manifest are staged together and renamed only when all are
    on disk: the disk filling at the last file leaves every earlier output and the old manifest."""
    from briefgen.publish import output

    project = scenario("minimal")
    assert run_cli("--project", project, "build", "-q").exit_code == 0
    block = project / "content/en/010-intro.md"
    block.write_text(block.read_text().replace("claim to read", "claim they can read"))
    before = tree_digest(project / "build")
    real = output._staged

    def full_at_the_manifest(path: Path, data: bytes, durable: bool = True) -> str:
        if path.name == "manifest.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data, durable)

    monkeypatch.setattr(output, "_staged", full_at_the_manifest)
    result = run_cli("--project", project, "build")
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert tree_digest(project / "build") == before
    assert run_cli("verify", project / "build").exit_code == 0
