"""Exchange files for translators' CAT tools: XLIFF 1.2 and PO, export and import.

What goes out
    Every item (a block, a data entry, an interface string) is a group of units, one per
    segment of each field. A Markdown field is cut into paragraphs, list item paragraphs, block
    quote paragraphs, headings and table cells (`segments`); a plain-text field is one unit. The
    unit id is `<item key>/<field>/<n>`, n counting the field's segments from 1, so the same
    source always gives the same ids. Items are sorted by key; the files hold no dates: the same
    items give the same bytes.

    XLIFF 1.2 (`export_xliff`): one <file>, a <group id="<item key>"> per item whose
    <context-group> holds the item's source hash (context-type "x-source-hash") and file path
    ("sourcefile"), a <trans-unit> per segment with a <note> for the translator. Version 1.2
    because Weblate and translate-toolkit read no other; OmegaT, Trados and memoQ read it too.
    Every unit has a <target>: its current translation, or a copy of its source in state
    `needs-translation` (OmegaT translates the text of <target>, and a unit without one is no
    segment to it).

    PO (`export_po`): an entry per unit, msgctxt = the unit id, `#.` comments with
    `source_hash: ...`, the item's context and what each placeholder stands for, and a `#:`
    reference to the item's file (its context "path"). No plural forms, no dates.

Placeholders
    Inline markup is protected (`scanner` finds it, `inline` holds it): paired markup keeps its
    text translatable, standalone markup is one unbreakable token. Each placeholder keeps the
    exact source characters of its markup; the files carry only numbers, so import takes the
    markup from the current source and a translator cannot change a URL or a citation key.

    ====================  ==================================  =========================
    markup                XLIFF 1.2                           PO
    ====================  ==================================  =========================
    *italic*, **bold**    <g id="1" ctype="italic">..</g>     <1>..</1>
    [text](url), spans    <g id="2" ctype="link">text</g>     <2>text</2>
    [@key], @key, `code`  <x id="3" ctype="x-citation"        <3/>
    $math$, [^1], <url>       equiv-text="[@key]"/>
    ====================  ==================================  =========================

    Text in a source that looks like a PO placeholder (`<1>`) is itself protected as a
    placeholder ("x-literal"), so the PO form never collides with a block's text; Markdown and
    Chinese never use it otherwise.

What comes back (`import_file`)
    The format is told from the content. Each translated segment is checked against the current
    source: every placeholder exactly once, pairs properly nested, no unknown placeholder, no
    markup typed as text, and the rebuilt field with the same block structure as its source;
    unit ids must match the items given (a unit added or missing is a problem), the target
    locale must be named once. The field is rebuilt from the current source, replacing each
    segment with its translation, so list markers, `>`, table pipes and blank lines always come
    from the source. Only items whose every unit is translated are returned; a unit left empty
    keeps its item out without being a problem, and so does a target that copies a source with
    words (a tool's "copy source"), unless the file marks it as meant (XLIFF state `final` or
    `signed-off`, PO flag `ignore-same`; the export marks current translations that read like
    their source). Units marked fuzzy (PO) or `needs-*`/`new` (XLIFF) are not imported and are
    listed in `skipped`, except a `needs-translation` target left as exported (no `approved`),
    which OmegaT fills in without changing its state: that one is read by its text. An item
    whose source hash differs from the file's is listed in `stale` and not imported: its units
    may no longer fit its source.

Module map: `segments` (fields -> segments, and back), `scanner` and `inline` (markup ->
placeholders), `model` (the values passed around, and what an export holds), `xliff` and `po`
(the two formats), `importing` (the checks). Export raises ExportError for what a file cannot
hold; import never raises for what a file contains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from briefgen.i18n.exchange.importing import import_content
from briefgen.i18n.exchange.model import ImportResult, SourceItem, plan
from briefgen.i18n.exchange.po import read_po, write_po
from briefgen.i18n.exchange.segments import ExportError
from briefgen.i18n.exchange.xliff import read_xliff, write_xliff

__all__ = [
    "ExportError",
    "ImportResult",
    "SourceItem",
    "export_po",
    "export_xliff",
    "import_file",
]


def export_xliff(
    items: Sequence[SourceItem], source_locale: str, target_locale: str, original: str
) -> bytes:
    """An XLIFF 1.2 file of `items`, targets pre-filled from their current translation.

    Raises ExportError for text XML cannot hold (control characters).
    """
    return write_xliff(plan(items), source_locale, target_locale, original)


def export_po(items: Sequence[SourceItem], source_locale: str, target_locale: str) -> bytes:
    """A PO file of `items`, msgstr pre-filled from their current translation."""
    return write_po(plan(items), source_locale, target_locale)


def import_file(
    data: bytes,
    filename: str,
    items: Mapping[str, SourceItem],
    script: str = "",
    copies_untranslated: bool = False,
) -> ImportResult:
    """The translations in an XLIFF 1.2 or PO file, checked against `items`; never raises.

    `script` and `copies_untranslated`: see import_content."""
    if not data.strip():
        return ImportResult(
            {}, "", (f"{filename}: the file is empty; expected an XLIFF 1.2 or PO file.",), ()
        )
    is_xml = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    content = read_xliff(data, filename) if is_xml else read_po(data, filename)
    return import_content(content, filename, items, script, copies_untranslated)
