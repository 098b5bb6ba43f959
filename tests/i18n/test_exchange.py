"""XLIFF 1.2 and PO exchange: round trips, CAT-tool edits, validators, and every rejection.

The XLIFF 1.2 schemas under tests/schemas/ (xliff-core-1.2-strict.xsd, OASIS; xml.xsd, W3C) were
taken unchanged from Debian's php-symfony-translation 5.4.53 package
(/usr/share/php/Symfony/Component/Translation/Resources/schemas/): no PyPI package ships them.
"""

# Chinese text uses full-width punctuation, which RUF001 takes for look-alikes of ASCII.

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from markdown_it import MarkdownIt
from translate.convert import po2xliff, xliff2po
from translate.storage import pypo, xliff
from translate.storage.placeables import StringElem
from translate.storage.placeables.xliff import G, X

from briefgen.i18n.exchange import (
    ExportError,
    ImportResult,
    SourceItem,
    export_po,
    export_xliff,
    import_file,
)
from briefgen.i18n.exchange.segments import segment_field
from tests.conftest import REPO

SCHEMAS = REPO / "tests/schemas"
KEY = "block/consider-rhue-study"
XLIFF = "urn:oasis:names:tc:xliff:document:1.2"
UNIT = f"{KEY}/body/1"

BODY = """\
A 2018 study by Rhue found that emotion recognition software assigned more negative emotions \
to Black men's faces than to white men's [@rhue2018racial; @rhue2019emotion]. As \
@crawford2021atlas puts it, the science *behind* these systems is **contested**; see
[the ARTICLE 19 report](https://www.article19.org/emotion-recognition/ "ARTICLE 19") for the \
full argument [see @article19_2021, p. 15].

#### What the study measured

- Two programs, `Face++` and Microsoft's **Face API**, were tested on 400 photos \
[@rhue2018racial].
- Both scored Black players as *angrier* or more *contemptuous*,
  even when they smiled.

| Program | Negative emotion | Source |
|---|---|---|
| Face++ | anger | [@rhue2018racial] |
| Face API | contempt | [@rhue2018racial] |

> Emotion recognition rests on the premise that faces reveal inner states, a premise the \
evidence does not support [@barrett2019emotional].
"""

BODY_ZH = """\
Rhue 于 2018 年的一项研究发现，情绪识别软件给黑人男性面孔分配的负面情绪多于白人男性\
[@rhue2018racial; @rhue2019emotion]。正如 @crawford2021atlas 所说，这些系统*背后*的科学\
**存在争议**；完整论证见
[ARTICLE 19 的报告](https://www.article19.org/emotion-recognition/ "ARTICLE 19")\
[see @article19_2021, p. 15]。

#### 研究测量了什么

- 两个程序 `Face++` 和微软的 **Face API** 在 400 张照片上接受了测试[@rhue2018racial]。
- 两者都把黑人球员评为更*愤怒*或更*轻蔑*，
  即使他们在微笑。

| 程序 | 负面情绪 | 来源 |
|---|---|---|
| Face++ | 愤怒 | [@rhue2018racial] |
| Face API | 轻蔑 | [@rhue2018racial] |

> 情绪识别建立在面孔能揭示内心状态这一前提之上，而证据并不支持这一前提[@barrett2019emotional]。
"""

SOURCE = {
    "title": "Consider the Rhue study",
    "body": BODY,
    "figure.caption": "Emotions assigned by two programs",
    "figure.alt": "A bar chart: Face++ assigns anger, Face API contempt.",
}
TRANSLATION = {
    "title": "看看 Rhue 的研究",
    "body": BODY_ZH,
    "figure.caption": "两个程序分配的情绪",
    "figure.alt": "条形图：Face++ 分配愤怒，Face API 分配轻蔑。",
}
CONTEXT = {
    "block": "consider-rhue-study",
    "kind": "evidence",
    "audiences": "all",
    "briefs": "education, public-security",
    "path": "content/en/30-science/040-rhue.md",
}


def block(
    translation: dict[str, str] | None = None,
    source_hash: str = "sha256:1111",
    fields: dict[str, str] | None = None,
) -> SourceItem:
    """The realistic block: its English source, and the given translation if any."""
    return SourceItem(
        key=KEY,
        fields=dict(SOURCE) if fields is None else fields,
        markdown_fields=frozenset({"body"}),
        source_hash=source_hash,
        context=CONTEXT,
        translation=translation,
    )


COMPANY = SourceItem(
    key="data/companies/alpha-hawkeye",
    fields={"name": "Alpha Hawkeye", "claimed_uses": "Detects “abnormal” emotions"},
    markdown_fields=frozenset(),
    source_hash="sha256:2222",
    context={"file": "data/en/companies.yaml"},
    translation={"name": "阿尔法鹰眼", "claimed_uses": "检测“异常”情绪"},
)
STRING = SourceItem("string/references", {"text": "References"}, frozenset(), "sha256:3333", {})


def items_by_key(*items: SourceItem) -> dict[str, SourceItem]:
    return {item.key: item for item in items}


def po_line(data: bytes, unit: str, first: str = "", occurrence: int = 0) -> int:
    """The line where a PO entry starts (its first comment), as problems report it."""
    lines = data.decode().splitlines()
    wanted = first or f'msgctxt "{unit}"'
    index = [number for number, line in enumerate(lines) if line == wanted][occurrence]
    while index > 0 and lines[index - 1].startswith("#"):
        index -= 1
    return index + 1


def xliff_line(data: bytes, unit: str) -> int:
    return next(
        number
        for number, line in enumerate(data.decode().splitlines(), start=1)
        if f'<trans-unit id="{unit}"' in line
    )


def replace_msgstr(data: bytes, unit: str, msgstr: str) -> bytes:
    """Set one entry's msgstr, the way a translator's editor would."""
    po = polib.pofile(data.decode())
    entry = next(entry for entry in po if entry.msgctxt == unit)
    entry.msgstr = msgstr
    return str(po).encode()


def zh_export_po(*items: SourceItem) -> bytes:
    return export_po(list(items) or [block(TRANSLATION)], "en", "zh-Hans")


def zh_export_xliff(*items: SourceItem) -> bytes:
    return export_xliff(list(items) or [block(TRANSLATION)], "en", "zh-Hans", "briefgen")


def clean(result: ImportResult) -> ImportResult:
    assert result.problems == ()
    return result


# --- segments and ids ----------------------------------------------------------------------------


def test_a_markdown_field_is_cut_into_paragraphs_items_headings_cells_and_quotes() -> None:
    field = segment_field("body", BODY, markdown=True)
    roles = [segment.role for segment in field.segments]
    assert roles == (
        ["paragraph", "heading", "list item", "list item"]
        + ["table header cell"] * 3
        + ["table cell"] * 6
        + ["block quote"]
    )
    assert [BODY[s.start : s.end] for s in field.segments][1:3] == [
        "What the study measured",
        "Two programs, `Face++` and Microsoft's **Face API**, were tested on 400 photos "
        "[@rhue2018racial].",
    ]


def test_unit_ids_are_item_field_and_number_in_both_formats() -> None:
    po = zh_export_po().decode()
    xliff = zh_export_xliff().decode()
    ids = [f"{KEY}/title/1"] + [f"{KEY}/body/{n}" for n in range(1, 15)]
    ids += [f"{KEY}/figure.caption/1", f"{KEY}/figure.alt/1"]
    assert re.findall(r'^msgctxt "(.*)"$', po, re.MULTILINE) == ids
    assert re.findall(r'<trans-unit id="([^"]*)"', xliff) == ids


def test_placeholders_in_po_and_xliff() -> None:
    data = zh_export_po(block())
    entry = next(entry for entry in polib.pofile(data.decode()) if entry.msgctxt == UNIT)
    assert entry.msgid == (
        "A 2018 study by Rhue found that emotion recognition software assigned more negative "
        "emotions to Black men's faces than to white men's <1/>. As <2/> puts it, the science "
        "<3>behind</3> these systems is <4>contested</4>; see\n<5>the ARTICLE 19 report</5> "
        "for the full argument <6/>."
    )
    comment = entry.comment.replace("\n", " ")  # polib wraps long comment lines
    assert (
        "<1/> = the citation [@rhue2018racial; @rhue2019emotion] "
        "<2/> = the citation @crawford2021atlas "
        "<3>…</3> = italic text "
        "<4>…</4> = bold text "
        '<5>…</5> = a link to https://www.article19.org/emotion-recognition/ "ARTICLE 19" '
        "<6/> = the citation [see @article19_2021, p. 15]"
    ) in comment
    xliff = zh_export_xliff(block()).decode()
    assert (
        '<source>Two programs, <x id="1" ctype="x-code" equiv-text="`Face++`"/> and '
        'Microsoft\'s <g id="2" ctype="bold">Face API</g>, were tested on 400 photos '
        '<x id="3" ctype="x-citation" equiv-text="[@rhue2018racial]"/>.</source>'
    ) in xliff


def test_po_comments_carry_the_source_hash_context_and_file() -> None:
    po = zh_export_po().decode()
    assert (
        "#. source_hash: sha256:1111\n"
        "#. field body, heading 2\n"
        "#. block: consider-rhue-study\n"
        "#. kind: evidence\n"
        "#. audiences: all\n"
        "#. briefs: education, public-security\n"
        "#. path: content/en/30-science/040-rhue.md\n"
        "#: content/en/30-science/040-rhue.md\n"
        f'msgctxt "{KEY}/body/2"\n'
        'msgid "What the study measured"\n'
        'msgstr "研究测量了什么"\n'
    ) in po


def test_xliff_groups_carry_the_source_hash() -> None:
    xliff = zh_export_xliff().decode()
    assert (
        f'<group id="{KEY}" resname="{KEY}" restype="x-briefgen-item">\n'
        f'        <context-group name="{KEY}" purpose="information">\n'
        '          <context context-type="x-source-hash">sha256:1111</context>\n'
        '          <context context-type="sourcefile">content/en/30-science/040-rhue.md</context>\n'
    ) in xliff


def test_text_that_looks_like_a_placeholder_is_protected() -> None:
    item = SourceItem("string/x", {"text": "Press <1> then </2>"}, frozenset(), "h", {})
    po = export_po([item], "en", "zh").decode()
    assert 'msgid "Press <1/> then <2/>"' in po
    assert "#. <1/> = the literal text <1>" in po
    translated = replace_msgstr(po.encode(), "string/x/text/1", "先按 <1/> 再按 <2/>")
    result = clean(import_file(translated, "x.po", items_by_key(item)))
    assert result.translations == {"string/x": {"text": "先按 <1> 再按 </2>"}}


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("export", [zh_export_po, zh_export_xliff])
def test_an_unchanged_file_gives_back_the_translation_byte_for_byte(
    export: Callable[..., bytes],
) -> None:
    items = [block(TRANSLATION), COMPANY, STRING]
    data = export(*items)
    result = clean(import_file(data, "zh.file", items_by_key(*items)))
    assert result.target_locale == "zh-Hans"
    assert result.translations == {KEY: TRANSLATION, COMPANY.key: COMPANY.translation}
    assert result.stale == result.skipped == ()  # STRING has no translation: left out quietly


def test_the_same_items_give_the_same_bytes() -> None:
    items = [block(TRANSLATION), COMPANY, STRING]
    assert zh_export_po(*items) == zh_export_po(*reversed(items))
    assert zh_export_xliff(*items) == zh_export_xliff(*reversed(items))
    assert b"Date: 2" not in zh_export_po(*items)


def test_chinese_is_written_as_utf8_text() -> None:
    assert "情绪识别软件".encode() in zh_export_po()
    xliff = zh_export_xliff()
    assert "情绪识别软件".encode() in xliff
    assert b"&#" not in xliff


def test_every_shipped_block_round_trips() -> None:
    for path in sorted((REPO / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        item = SourceItem("block/x", {"body": body}, frozenset({"body"}), "h", {}, {"body": body})
        for data in (export_po([item], "en", "zh"), export_xliff([item], "en", "zh", "x")):
            result = import_file(data, path.name, items_by_key(item))
            assert result.problems == (), path
            assert result.translations == {"block/x": {"body": body}}, path


def test_a_translation_that_does_not_line_up_is_not_prefilled() -> None:
    shorter = dict(TRANSLATION, body="只有一段。")
    po = zh_export_po(block(shorter)).decode()
    assert f'msgctxt "{KEY}/body/1"\nmsgid ""\n' in po
    assert 'msgstr "只有一段。"' not in po
    assert 'msgstr "看看 Rhue 的研究"' in po  # other fields are still pre-filled


def test_underscore_emphasis_becomes_asterisks_between_chinese_words() -> None:
    item = SourceItem("string/x", {"t": "A _very_ good idea"}, frozenset({"t"}), "h", {})
    data = replace_msgstr(export_po([item], "en", "zh"), "string/x/t/1", "一个<1>非常</1>好的主意")
    result = clean(import_file(data, "x.po", items_by_key(item)))
    assert result.translations == {"string/x": {"t": "一个*非常*好的主意"}}


# --- what CAT tools do to the files --------------------------------------------------------------


def test_translate_toolkit_reads_the_xliff_and_its_edit_imports_cleanly() -> None:
    store = xliff.xlifffile.parsestring(zh_export_xliff(block()))
    units = [unit for unit in store.units if unit.istranslatable()]
    assert len(units) == 17
    assert units[1].getid() == f"briefgen\x04{KEY}/body/1"
    kinds = [type(elem) for elem in units[1].rich_source[0].sub]
    assert kinds.count(X) == 3 and kinds.count(G) == 3

    def translate(elem: StringElem) -> None:  # as a translator does: only the text changes
        for index, sub in enumerate(elem.sub):
            if isinstance(sub, str):
                elem.sub[index] = sub.replace("contested", "有争议").replace("Both", "两者")
            elif not isinstance(sub, X):
                translate(sub)

    for unit in units:  # Weblate's "copy source": English as Chinese, which never imports
        unit.rich_target = copy.deepcopy(unit.rich_source)
    assert clean(import_file(bytes(store), "weblate.xlf", items_by_key(block()))).translations == {}
    for unit in units:
        rich = copy.deepcopy(unit.rich_source)
        for elem in rich:
            translate(elem)
        if any(c.isalpha() for c in unit.source):  # a cell of a citation alone stays as it is
            rich[0].sub.insert(0, "译 ")
        unit.rich_target = rich
    result = clean(import_file(bytes(store), "weblate.xlf", items_by_key(block())))
    body = result.translations[KEY]["body"]
    assert "these systems is **有争议**; see\n[the ARTICLE 19 report](https://www." in body
    assert "- 译 两者 scored Black players as *angrier* or more *contemptuous*,\n  even" in body
    assert "| 译 Face++ | 译 anger | [@rhue2018racial] |" in body


def test_translate_toolkit_reads_the_po_and_its_edit_imports_cleanly() -> None:
    store = pypo.pofile.parsestring(zh_export_po(block()))
    units = [unit for unit in store.units if not unit.isheader()]
    assert len(units) == 17
    assert units[1].getcontext() == f"{KEY}/body/1"
    assert "source_hash: sha256:1111" in units[1].getnotes("developer")
    for unit in units:  # Poedit's "copy from source": English as Chinese, which never imports
        unit.target = unit.source
    assert clean(import_file(bytes(store), "poedit.po", items_by_key(block()))).translations == {}
    for unit in units:
        letters = any(c.isalpha() for c in unit.source)
        unit.target = ("译 " if letters else "") + unit.source.replace("Black", "黑人")
    result = clean(import_file(bytes(store), "poedit.po", items_by_key(block())))
    assert "assigned more negative emotions\nto 黑人 men's" not in result.translations[KEY]["body"]
    assert "to 黑人 men's faces" in result.translations[KEY]["body"]


def test_po2xliff_and_xliff2po_lose_the_unit_ids_and_the_import_says_so() -> None:
    as_xliff, back = io.BytesIO(), io.BytesIO()
    po2xliff.convertpo(io.BytesIO(zh_export_po(STRING)), as_xliff, None)
    xliff2po.convertxliff(io.BytesIO(as_xliff.getvalue()), back, None)
    result = import_file(back.getvalue(), "converted.po", items_by_key(STRING))
    line = po_line(back.getvalue(), "", 'msgid "References"')
    assert result.problems == (
        f"converted.po:{line}: a unit has no id (the PO file lost the msgctxt briefgen "
        "wrote, as po2xliff and xliff2po do); translate the file briefgen exported.",
    )


# --- validators ----------------------------------------------------------------------------------


def test_the_po_passes_msgfmt_check(tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU msgfmt is not installed (Debian package gettext)")
    path = tmp_path / "zh.po"
    path.write_bytes(zh_export_po(block(TRANSLATION), COMPANY, STRING))
    run = subprocess.run(
        [msgfmt, "--check", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stderr) == (0, "")


class LocalSchemas(etree.Resolver):
    # The XLIFF schema imports xml.xsd by its web address; never fetch it.
    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        if system_url == "http://www.w3.org/2001/xml.xsd":
            return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
        return None


def validate_xliff(data: bytes) -> bool:
    """Whether an XLIFF file is valid XLIFF 1.2 strict; the schema's errors if it is not."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "xliff-core-1.2-strict.xsd"), parser))
    valid = schema.validate(etree.fromstring(data))
    assert valid, schema.error_log
    return valid


def test_the_xliff_validates_against_the_xliff_1_2_strict_schema() -> None:
    for data in (zh_export_xliff(block(TRANSLATION), COMPANY, STRING), zh_export_xliff(STRING)):
        assert validate_xliff(data)


# --- rejections ----------------------------------------------------------------------------------

PO_SOURCE_ONE = zh_export_po(block()).decode()


def po_with(msgstr: str, unit: str = UNIT) -> tuple[bytes, str]:
    """A PO file with one unit translated, and the `file:line: unit id: ` of its problems."""
    data = replace_msgstr(PO_SOURCE_ONE.encode(), unit, msgstr)
    return data, f"zh.po:{po_line(data, unit)}: unit {unit}: "


GOOD_1 = (
    "Rhue 的研究发现<1/>。正如 <2/> 所说，这些系统<3>背后</3>的科学<4>存在争议</4>；"
    "见\n<5>ARTICLE 19 的报告</5><6/>。"
)


def test_a_good_translation_of_one_unit_imports_but_leaves_its_item_out() -> None:
    data, _ = po_with(GOOD_1)
    result = import_file(data, "zh.po", items_by_key(block()))
    assert result == ImportResult({}, "zh-Hans", (), (), ())  # other units are untranslated


@pytest.mark.parametrize(
    ("msgstr", "message"),
    [
        (
            GOOD_1.replace("<6/>", ""),
            "<6/> (the citation [see @article19_2021, p. 15]) is missing; "
            "put it back where the sentence needs it.",
        ),
        (
            GOOD_1 + "<6/>",
            "<6/> (the citation [see @article19_2021, p. 15]) appears 2 times; keep it once.",
        ),
        (GOOD_1 + "<9/>", "<9/> is not a placeholder of the source."),
        (
            GOOD_1.replace("<1/>", "<1>x</1>"),
            "<1> stands for the citation [@rhue2018racial; @rhue2019emotion], written <1/>.",
        ),
        (
            GOOD_1.replace("<3>背后</3>", "<3/>背后"),
            "<3/> stands for italic text, written <3>…</3>.",
        ),
        (
            GOOD_1.replace("<3>背后</3>的科学<4>", "<3>背后<4>").replace("</4>", "</3>的科学</4>"),
            "<3>…</3> and <4>…</4> overlap: close <4> before </3>.",
        ),
        (
            GOOD_1.replace("<3>背后</3>", "背后</3><3>"),
            "</3> comes before <3>.",
        ),
        (
            GOOD_1 + "另见 [@other2020]。",
            'its text reads as Markdown markup ("[@other2020]") that the source does not '
            "have; use the placeholders for markup, or put a backslash before the character.",
        ),
        (
            GOOD_1.replace("<2/> 所说", "<2/>所说"),
            "the text next to a placeholder changes its markup: rebuilt, it reads "
            '"@crawford2021atlas所说" where the source has "@crawford2021atlas"; put a space '
            "between the placeholder and the text.",
        ),
        (
            GOOD_1.replace("。正如", "。\n\n正如"),
            "the translation changes the structure of the field body (it makes a new "
            "paragraph, list, heading, block quote or table row); keep it to one paragraph.",
        ),
        (GOOD_1 + "\n", "starts or ends with a line break; remove it."),
    ],
    ids=[
        "placeholder-removed",
        "placeholder-twice",
        "unknown-placeholder",
        "atom-as-pair",
        "pair-as-atom",
        "overlapping-pairs",
        "close-before-open",
        "typed-citation",
        "key-swallows-text",
        "new-paragraph",
        "trailing-line-break",
    ],
)
def test_a_broken_po_translation_is_a_problem(msgstr: str, message: str) -> None:
    data, where = po_with(msgstr)
    result = import_file(data, "zh.po", items_by_key(block()))
    assert result.problems == (where + message,)
    assert result.translations == {}


def test_a_heading_must_stay_on_one_line() -> None:
    data, where = po_with("研究测量\n了什么", f"{KEY}/body/2")
    result = import_file(data, "zh.po", items_by_key(block()))
    assert result.problems == (where + "a heading must stay on one line; remove the line break.",)


def test_a_table_cell_cannot_gain_a_pipe() -> None:
    data, where = po_with("愤怒 | 恐惧", f"{KEY}/body/9")
    result = import_file(data, "zh.po", items_by_key(block()))
    assert result.problems == (
        where + 'a table cell cannot contain "|" (it would start a new cell); write "\\|".',
    )


def test_a_list_marker_typed_into_a_list_item_is_a_problem() -> None:
    data, where = po_with(
        "两者都把黑人球员评为更<1>愤怒</1>或更<2>轻蔑</2>，\n- 即使", f"{KEY}/body/4"
    )
    result = import_file(data, "zh.po", items_by_key(block()))
    assert result.problems == (
        where + "the translation changes the structure of the field body (it makes a new "
        "paragraph, list, heading, block quote or table row); keep it to one list item.",
    )


def test_a_unit_added_to_the_file_is_a_problem() -> None:
    po = polib.pofile(PO_SOURCE_ONE)
    po.append(
        polib.POEntry(
            msgctxt=f"{KEY}/body/15", msgid="x", msgstr="y", comment="source_hash: sha256:1111"
        )
    )
    po.append(
        polib.POEntry(
            msgctxt=f"{KEY}/summary/1", msgid="x", msgstr="y", comment="source_hash: sha256:1111"
        )
    )
    data = str(po).encode()
    result = import_file(data, "zh.po", items_by_key(block()))
    assert result.problems == (
        f"zh.po:{po_line(data, KEY + '/body/15')}: unit {KEY}/body/15: is not in the source: "
        f"the field body of {KEY} has 14 segments; remove the unit, or export the file again.",
        f"zh.po:{po_line(data, KEY + '/summary/1')}: unit {KEY}/summary/1: {KEY} has no field "
        '"summary" (expected one of: body, figure.alt, figure.caption, title).',
    )


def test_a_unit_missing_from_the_file_is_a_problem() -> None:
    po = polib.pofile(PO_SOURCE_ONE)
    po.remove(next(entry for entry in po if entry.msgctxt == f"{KEY}/body/3"))
    result = import_file(str(po).encode(), "zh.po", items_by_key(block()))
    assert result.problems == (
        f"zh.po: unit {KEY}/body/3 is missing from the file; it is in the source of {KEY}, "
        "so export the file again or restore the unit.",
    )


def test_a_unit_of_an_unknown_item_is_a_problem() -> None:
    data = zh_export_po(STRING)
    result = import_file(
        data, "zh.po", items_by_key(SourceItem("string/reference", {}, frozenset(), "", {}))
    )
    assert result.problems == (
        f"zh.po:{po_line(data, 'string/references/text/1')}: unit string/references/text/1: "
        'names the item "string/references", which is not in the project '
        '(did you mean "string/reference"?).',
    )


def test_a_unit_without_a_source_hash_is_a_problem() -> None:
    data = zh_export_po(STRING).replace(b"#. source_hash: sha256:3333\n", b"")
    result = import_file(data, "zh.po", items_by_key(STRING))
    assert result.problems == (
        f"zh.po:{po_line(data, 'string/references/text/1')}: unit string/references/text/1: "
        "has no source hash, so briefgen cannot tell whether its source changed; "
        "export the file again.",
    )


@pytest.mark.parametrize("export", [zh_export_po, zh_export_xliff])
def test_a_source_changed_since_the_export_makes_its_item_stale(
    export: Callable[..., bytes],
) -> None:
    data = export(block(TRANSLATION), COMPANY)
    edited = block(TRANSLATION, source_hash="sha256:9999", fields=dict(SOURCE, title="New title"))
    result = import_file(data, "zh.file", items_by_key(edited, COMPANY))
    assert result == ImportResult(
        {COMPANY.key: dict(COMPANY.translation or {})}, "zh-Hans", (), (KEY,), ()
    )


def test_fuzzy_po_entries_are_skipped_not_imported() -> None:
    po = polib.pofile(zh_export_po(block(TRANSLATION), COMPANY).decode())
    next(entry for entry in po if entry.msgctxt == f"{KEY}/body/2").flags.append("fuzzy")
    result = import_file(str(po).encode(), "zh.po", items_by_key(block(), COMPANY))
    assert result == ImportResult(
        {COMPANY.key: dict(COMPANY.translation or {})}, "zh-Hans", (), (), (f"{KEY}/body/2",)
    )


@pytest.mark.parametrize("state", ["needs-translation", "needs-review-translation"])
def test_xliff_targets_that_need_work_are_skipped(state: str) -> None:
    data = zh_export_xliff(block(TRANSLATION)).decode()
    unit_start = data.index(f'<trans-unit id="{KEY}/body/2"')
    target = data.index('state="translated"', unit_start)
    data = data[:target] + f'state="{state}"' + data[target + len('state="translated"') :]
    result = import_file(data.encode(), "zh.xlf", items_by_key(block()))
    assert result == ImportResult({}, "zh-Hans", (), (), (f"{KEY}/body/2",))


def test_a_broken_xliff_translation_is_a_problem() -> None:
    data = zh_export_xliff(block(TRANSLATION))
    citation = '<x id="6" ctype="x-citation" equiv-text="[see @article19_2021, p. 15]"/>'
    missing = data.replace(f"{citation}。</target>".encode(), "。</target>".encode())
    assert missing != data
    result = import_file(missing, "zh.xlf", items_by_key(block()))
    assert result.problems == (
        f'zh.xlf:{xliff_line(data, UNIT)}: unit {UNIT}: <x id="6"/> (the citation '
        "[see @article19_2021, p. 15]) is missing; put it back where the sentence needs it.",
    )


def test_an_inline_element_briefgen_does_not_read_is_a_problem() -> None:
    data = zh_export_xliff(block(TRANSLATION)).decode()
    data = data.replace('<g id="3" ctype="italic">背后</g>', '<ph id="3">背后</ph>', 1)
    result = import_file(data.encode(), "zh.xlf", items_by_key(block()))
    where = f"zh.xlf:{xliff_line(data.encode(), UNIT)}: unit {UNIT}: "
    assert result.problems == (
        where + "<ph> is not one of the inline elements briefgen reads (<g>, <x> and <mrk>); "
        "keep the source's <g> and <x> elements.",
    )


def test_xml_that_is_not_well_formed_is_a_problem() -> None:
    data = zh_export_xliff(block(TRANSLATION)).replace(b"</g>", b"</x>", 1)
    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError as error:
        expected = f"zh.xlf:{error.lineno}: the file is not well-formed XML: {error.msg}."
    result = import_file(data, "zh.xlf", items_by_key(block()))
    assert result == ImportResult({}, "", (expected,), (), ())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "zh.xlf: the file is empty; expected an XLIFF 1.2 or PO file."),
        (
            b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0"/>',
            "zh.xlf: the file is XLIFF 2; briefgen reads XLIFF 1.2, the version it exports.",
        ),
        (
            b"<html><body/></html>",
            "zh.xlf: the file is XML but not XLIFF 1.2 (its root element is <html>).",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "e">]>\n<x>&e;</x>',
            "zh.xlf: the file has a DOCTYPE; an XLIFF file has none.",
        ),
        (b"Hello\n", "zh.xlf: the file is neither XLIFF 1.2 nor PO (it has no msgid)."),
        (
            b'msgid "a"\nmsgstr "\xe9"\n',
            "zh.xlf: the file is not UTF-8 (invalid continuation byte at byte 19).",
        ),
    ],
    ids=["empty", "xliff-2", "other-xml", "doctype", "text", "latin-1"],
)
def test_a_file_that_is_not_a_translation_is_a_problem(data: bytes, message: str) -> None:
    assert import_file(data, "zh.xlf", items_by_key(block())).problems == (message,)


def test_the_target_locale_must_be_named_once() -> None:
    po = zh_export_po(STRING).replace(b'"Language: zh-Hans\\n"\n', b"")
    assert import_file(po, "zh.po", items_by_key(STRING)).problems == (
        "zh.po: the PO header has no Language; it names the target locale.",
    )
    xliff = zh_export_xliff(STRING).replace(b' target-language="zh-Hans"', b"")
    assert import_file(xliff, "zh.xlf", items_by_key(STRING)).problems == (
        "zh.xlf:3: the <file> element has no target-language.",
    )
    mixed = export_xliff([block(TRANSLATION)], "en", "zh-Hans", "x").replace(
        b"<target ", b'<target xml:lang="fr" ', 1
    )
    line = next(
        n for n, text in enumerate(mixed.decode().splitlines(), 1) if 'xml:lang="fr"' in text
    )
    assert import_file(mixed, "zh.xlf", items_by_key(block())).problems == (
        f"zh.xlf:{line}: a <target> is in fr, the file in zh-Hans.",
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=6000), st.text(max_size=80))
def test_import_never_raises(noise: bytes, cut: int, msgstr: str) -> None:
    translated = replace_msgstr(PO_SOURCE_ONE.encode(), UNIT, GOOD_1[: cut % 60] + msgstr)
    for data in (noise, zh_export_po()[:cut] + noise, zh_export_xliff()[:cut] + noise, translated):
        result = import_file(data, "x", items_by_key(block()))
        assert isinstance(result, ImportResult)


def test_a_unit_that_appears_twice_is_a_problem() -> None:
    po = polib.pofile(zh_export_po(STRING).decode())
    po.append(copy.copy(next(entry for entry in po if entry.msgctxt)))
    data = str(po).encode()
    second = po_line(data, "string/references/text/1", occurrence=1)
    result = import_file(data, "zh.po", items_by_key(STRING))
    assert result.problems == (
        f"zh.po:{second}: unit string/references/text/1: appears twice in the file; keep one.",
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '<x id="2" ctype="x-citation" equiv-text="@crawford2021atlas"/>',
            '<x id="9" ctype="x-citation" equiv-text="@crawford2021atlas"/>',
            '<x id="9"/> is not a placeholder of the source.\n<x id="2"/> (the citation '
            "@crawford2021atlas) is missing; put it back where the sentence needs it.",
        ),
        (
            '<x id="2" ctype="x-citation" equiv-text="@crawford2021atlas"/>',
            '<x id="2"/><x id="2"/>',
            '<x id="2"/> (the citation @crawford2021atlas) appears 2 times; keep it once.',
        ),
        (
            '<g id="3" ctype="italic">背后</g>',
            '<x id="3"/>背后',
            '<x id="3"/> stands for italic text, written <g id="3">…</g>.',
        ),
    ],
    ids=["unknown", "twice", "pair-as-atom"],
)
def test_xliff_problems_speak_of_g_and_x(old: str, new: str, message: str) -> None:
    data = zh_export_xliff(block(TRANSLATION)).decode()
    unit_start = data.index(f'<trans-unit id="{UNIT}"')
    target_start = data.index("<target", unit_start)
    edited = data[:target_start] + data[target_start:].replace(old, new, 1)
    result = import_file(edited.encode(), "zh.xlf", items_by_key(block()))
    where = f"zh.xlf:{xliff_line(data.encode(), UNIT)}: unit {UNIT}: "
    assert result.problems == tuple(where + line for line in message.split("\n"))


def test_text_xml_cannot_hold_is_an_export_error() -> None:
    item = SourceItem("string/x", {"text": "bell \x07"}, frozenset(), "h", {})
    with pytest.raises(ExportError, match=r"^unit string/x/text/1: its text cannot go into XML"):
        export_xliff([item], "en", "zh", "x")


def test_digits_that_are_not_ascii_are_no_numbers() -> None:
    xliff = zh_export_xliff(STRING).replace(
        b"<source>References</source>",
        '<source>References</source><target>参考<x id="²"/></target>'.encode(),
    )
    assert import_file(xliff, "zh.xlf", items_by_key(STRING)).problems == (
        f"zh.xlf:{xliff_line(xliff, 'string/references/text/1')}: unit "
        'string/references/text/1: <x id="²"> is not a placeholder of the source.',
    )


MARKDOWN_BITS = st.sampled_from(
    [
        *"ab *_`$@[]()!^{}<>|\\#->1.\n \t",
        *("```\n", "1) ", "+ ", "***", "___", "\t- ", ">\t", "  - ", "[^1]: ", "===\n"),
        *("&amp;", "<1>", "[x]: http://y\n", "[x]", "@key", "[@k]", "\n\n", "- ", "> "),
        *("| a | b |\n|---|---|\n", "中文", "\r\n", "    ", "\r"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(MARKDOWN_BITS, max_size=40).map("".join))
def test_any_markdown_is_rebuilt_from_its_own_segments(text: str) -> None:
    field = segment_field("body", text, markdown=True)
    own = {s.number: s.inline.render(s.inline.pieces) for s in field.segments}
    assert field.rebuild({}) == field.rebuild(own) == text


EMPHASIS_BITS = st.sampled_from([*"ab *_.,", "中", "**", "__", "`", "\n", "[x](u)"])
MARKDOWN_IT_KINDS = {
    "em_open": "italic",
    "strong_open": "bold",
    "link_open": "link",
    "code_inline": "x-code",
}


@settings(max_examples=400, deadline=None)
@given(st.lists(EMPHASIS_BITS, max_size=25).map("".join))
def test_emphasis_code_and_links_are_found_as_markdown_it_finds_them(text: str) -> None:
    field = segment_field("body", text, markdown=True)
    ours = sorted(
        placeholder.ctype
        for segment in field.segments
        for placeholder in segment.inline.placeholders.values()
    )
    theirs = sorted(
        MARKDOWN_IT_KINDS[child.type]
        for token in MarkdownIt("commonmark").parse(text)
        for child in token.children or []
        if child.type in MARKDOWN_IT_KINDS
    )
    assert ours == theirs


# --- copies of the source: what OmegaT needs, and English that must not pass for a translation ---

NAME = SourceItem(
    "data/companies/hikvision",
    {"name": "Hikvision", "founded": "2001"},
    frozenset(),
    "sha256:4444",
    {},
)


def test_an_untranslated_unit_carries_a_copy_of_its_source_for_omegat() -> None:
    data = zh_export_xliff(block(), STRING)
    unit = etree.fromstring(data).find(f".//{{{XLIFF}}}trans-unit[@id='{UNIT}']")
    assert unit is not None and unit.get("approved") is None
    source, target = unit.find(f"{{{XLIFF}}}source"), unit.find(f"{{{XLIFF}}}target")
    assert target is not None and target.get("state") == "needs-translation"
    assert source is not None and inner_xml(target) == inner_xml(source)
    assert inner_xml(target).startswith("A 2018 study by Rhue found that emotion recognition")
    # Left as it is, the copy is untranslated: nothing imports, nothing is reported.
    assert import_file(data, "zh.xlf", items_by_key(block(), STRING)) == ImportResult(
        {}, "zh-Hans", (), (), ()
    )


def inner_xml(element: etree._Element) -> str:
    """An element's mixed content, text and inline elements, as written."""
    return (element.text or "") + "".join(
        etree.tostring(child, encoding=str, with_tail=True) for child in element
    )


def set_target(data: bytes, unit: str, text: str, **attributes: str) -> bytes:
    """One unit's target text and attributes changed, as a tool or a text editor would."""
    root = etree.fromstring(data)
    trans_unit = root.find(f".//{{{XLIFF}}}trans-unit[@id='{unit}']")
    assert trans_unit is not None
    target = trans_unit.find(f"{{{XLIFF}}}target")
    assert target is not None
    target.text = text
    for name, value in attributes.items():
        (trans_unit if name == "approved" else target).set(name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_omegat_keeps_the_copy_state_so_its_translation_is_read_by_its_text() -> None:
    data = zh_export_xliff(NAME)
    data = set_target(data, "data/companies/hikvision/name/1", "海康威视")
    result = clean(import_file(data, "zh.xlf", items_by_key(NAME)))
    assert result.translations == {NAME.key: {"name": "海康威视", "founded": "2001"}}


def test_a_target_a_tool_marked_fuzzy_is_skipped_even_in_the_copy_state() -> None:
    store = xliff.xlifffile.parsestring(zh_export_xliff(NAME))
    unit = next(unit for unit in store.units if unit.getid().endswith("/name/1"))
    unit.target = "海康威视"
    unit.markfuzzy(True)  # Weblate's and Virtaal's "needs editing"
    assert unit.xmlelement.get("approved") == "no"
    result = import_file(bytes(store), "zh.xlf", items_by_key(NAME))
    assert result == ImportResult({}, "zh-Hans", (), (), ("data/companies/hikvision/name/1",))


@pytest.mark.parametrize(
    ("state", "imported"),
    [("translated", False), ("needs-translation", False), ("final", True), ("signed-off", True)],
)
def test_a_target_that_copies_its_source_imports_only_when_marked(
    state: str, imported: bool
) -> None:
    data = set_target(zh_export_xliff(NAME), "data/companies/hikvision/name/1", "Hikvision")
    data = set_target(data, "data/companies/hikvision/name/1", "Hikvision", state=state)
    result = clean(import_file(data, "zh.xlf", items_by_key(NAME)))
    # "2001" has no words to translate: its copy is its translation.
    expected = {NAME.key: {"name": "Hikvision", "founded": "2001"}} if imported else {}
    assert result.translations == expected


def test_a_msgstr_that_copies_its_msgid_imports_only_with_the_ignore_same_flag() -> None:
    data = replace_msgstr(export_po([NAME], "en", "zh-Hans"), f"{NAME.key}/name/1", "Hikvision")
    data = replace_msgstr(data, f"{NAME.key}/founded/1", "2001")
    assert clean(import_file(data, "zh.po", items_by_key(NAME))).translations == {}
    po = polib.pofile(data.decode())
    name = next(entry for entry in po if entry.msgctxt == f"{NAME.key}/name/1")
    name.flags.append("ignore-same")
    result = clean(import_file(str(po).encode(), "zh.po", items_by_key(NAME)))
    assert result.translations == {NAME.key: {"name": "Hikvision", "founded": "2001"}}


@pytest.mark.parametrize("export", [zh_export_po, zh_export_xliff])
def test_a_current_translation_that_reads_like_its_source_is_exported_marked(
    export: Callable[..., bytes],
) -> None:
    named = SourceItem(
        NAME.key, NAME.fields, NAME.markdown_fields, NAME.source_hash, {}, dict(NAME.fields)
    )
    data = export(named)
    assert (b"#, ignore-same\n" if export is zh_export_po else b'state="final"') in data
    assert data.count(b"ignore-same") + data.count(b'"final"') == 1  # not on "2001"
    result = clean(import_file(data, "zh.file", items_by_key(named)))
    assert result.translations == {NAME.key: NAME.fields}


def test_the_marked_and_copied_units_pass_the_validators(tmp_path: Path) -> None:
    named = SourceItem(
        NAME.key, NAME.fields, NAME.markdown_fields, NAME.source_hash, {}, dict(NAME.fields)
    )
    assert validate_xliff(zh_export_xliff(block(), named, STRING))
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU msgfmt is not installed (Debian package gettext)")
    path = tmp_path / "zh.po"
    path.write_bytes(zh_export_po(named, STRING))
    run = subprocess.run(
        [msgfmt, "--check", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stderr) == (0, "")
