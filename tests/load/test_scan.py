"""Citation extraction and forbidden-content detection in block bodies."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from briefgen.load.scan import find_citations, scan_body


def keys(text: str) -> list[str]:
    return [c.key for c in scan_body(text, 1).citations]


def test_pandoc_citation_forms() -> None:
    text = "A [@a; @b_2, p. 4] and @c:d says [-@e.f]. See @{odd key}."
    assert keys(text) == ["a", "b_2", "c:d", "e.f"]


def test_trailing_punctuation_is_not_part_of_the_key() -> None:
    assert keys("As @smith2020. argued, and [@jones2019:].") == ["smith2020", "jones2019"]


def test_email_addresses_and_code_are_not_citations() -> None:
    text = "Write to info@example.org.\n\n`[@notakey]`\n\n```\n[@alsonot]\n```\n"
    assert keys(text) == []


def test_citation_lines_count_from_the_body_start() -> None:
    body = "First line.\n\nSecond paragraph\ncontinues [@late].\n"
    assert [(c.key, c.line) for c in scan_body(body, 10).citations] == [("late", 13)]


def test_forbidden_content_is_found_with_its_line() -> None:
    body = (
        "Fine.\n\n<script>alert(1)</script>\n\nText with <b>bold</b>.\n\n## Too high\n\n{{ x }}\n"
    )
    findings = [(f.line, f.message.split(" ")[0]) for f in scan_body(body, 5).findings]
    assert (7, "raw") in findings
    assert (9, "raw") in findings
    assert (11, "a") in findings
    assert not [f for f in findings if f[0] == 13]  # template syntax is text, not a problem


def test_raw_attribute_blocks_and_javascript_links_are_found() -> None:
    body = "```{=html}\n<b>x</b>\n```\n\n`<i>`{=html} and [x](javascript:alert(1))\n"
    messages = [f.message for f in scan_body(body, 1).findings]
    assert any("{=html}" in m for m in messages)
    assert any("raw inline" in m for m in messages)
    assert any("javascript:" in m for m in messages)


KEY = st.from_regex(r"[a-z][a-z0-9_]{0,10}(?:[:.-][a-z0-9]{1,5}){0,2}", fullmatch=True)
PROSE = st.text(alphabet=st.sampled_from("abc XYZ,;()\n"), max_size=30)


@given(st.lists(st.tuples(PROSE, KEY), max_size=6), PROSE)
def test_every_bracketed_citation_is_found_in_order(parts, tail) -> None:
    text = "".join(f"{prose} [@{key}]" for prose, key in parts) + tail
    assert [c.key for c in find_citations(text)] == [key for _, key in parts]


@given(st.text(max_size=200))
def test_scanning_never_fails(text: str) -> None:
    scan = scan_body(text, 1)
    assert all(c.line >= 1 for c in scan.citations)
