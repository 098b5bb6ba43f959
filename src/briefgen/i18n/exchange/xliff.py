"""XLIFF 1.2: one <file>, a <group> per item, a <trans-unit> per segment, <g>/<x> for markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from briefgen.i18n.exchange.inline import NUMBER, Piece, Placeholder, Tag
from briefgen.i18n.exchange.model import (
    FileContent,
    FileUnit,
    ItemUnits,
    SourceItem,
    Unit,
    copied_source,
    has_text,
    unit_note,
)
from briefgen.i18n.exchange.segments import ExportError

XLIFF_1_2 = "urn:oasis:names:tc:xliff:document:1.2"
# translate-toolkit's po2xliff writes XLIFF 1.1, whose elements are the ones read here.
READABLE = (XLIFF_1_2, "urn:oasis:names:tc:xliff:document:1.1")
XLIFF_2 = "urn:oasis:names:tc:xliff:document:2.0"
XML = "http://www.w3.org/XML/1998/namespace"
SOURCE_HASH = "x-source-hash"
# States a translator or a tool gives a target that is not final yet.
NOT_FINAL = frozenset(
    {
        "new",
        "needs-translation",
        "needs-adaptation",
        "needs-l10n",
        "needs-review-translation",
        "needs-review-adaptation",
        "needs-review-l10n",
    }
)
# An untranslated unit's <target> holds a copy of its source, in this state (as Okapi Rainbow
# prepares files): OmegaT's XLIFF filter translates the text of <target>, and a unit without
# one is no segment to it. OmegaT writes its translation into that <target> and leaves the
# state as it was, so a needs-translation target on a unit without `approved` (as briefgen
# wrote it) is read by its text: the copy is untranslated, anything else translated.
# translate-toolkit (Weblate, Virtaal) writes approved="no" when it marks a target fuzzy.
COPY_STATE = "needs-translation"
# Target states that say the text was confirmed: a target that copies its source is then meant
# to (a name). briefgen writes "final" on a current translation that reads like its source.
CONFIRMED = frozenset({"final", "signed-off"})


def _q(name: str, namespace: str = XLIFF_1_2) -> str:
    return f"{{{namespace}}}{name}"


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _q(tag))
    for key, value in attributes.items():
        element.set(key.replace("_", "-"), value)
    return element


def write_xliff(
    planned: Sequence[ItemUnits], source_locale: str, target_locale: str, original: str
) -> bytes:
    root = etree.Element(_q("xliff"), nsmap={None: XLIFF_1_2})
    root.set("version", "1.2")
    file = _sub(
        root,
        "file",
        original=original,
        source_language=source_locale,
        target_language=target_locale,
        datatype="x-markdown",
    )
    header = _sub(file, "header")
    _sub(header, "tool", tool_id="briefgen", tool_name="briefgen")
    body = _sub(file, "body")
    for item_units in planned:
        item = item_units.item
        group = _sub(body, "group", id=item.key, resname=item.key, restype="x-briefgen-item")
        # The schema wants context-group names unique in a <file>: name it after its item.
        contexts = _sub(group, "context-group", name=item.key, purpose="information")
        _sub(contexts, "context", context_type=SOURCE_HASH).text = item.source_hash
        if "path" in item.context:
            _sub(contexts, "context", context_type="sourcefile").text = item.context["path"]
        for unit in item_units.units:
            try:
                _write_unit(group, unit, item)
            except ValueError as error:  # lxml refuses control characters XML cannot hold
                raise ExportError(f"unit {unit.id}: its text cannot go into XML: {error}") from None
    _indent(root, 0)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _write_unit(group: etree._Element, unit: Unit, item: SourceItem) -> None:
    trans_unit = _sub(group, "trans-unit", id=unit.id)
    trans_unit.set(_q("space", XML), "preserve")
    source = unit.segment.inline.pieces
    previous = unit.previous
    if unit.target is not None and not unit.for_review:
        # translate-toolkit (and so Weblate) takes a target without approved="yes" as fuzzy.
        trans_unit.set("approved", "yes")
    _fill(_sub(trans_unit, "source"), source, unit.placeholders)
    if unit.target is None:
        _fill(_sub(trans_unit, "target", state=COPY_STATE), source, unit.placeholders)
    elif unit.for_review:
        # A translation of an older source is offered for review, never as final.
        target = _sub(trans_unit, "target", state="needs-review-translation")
        _fill(target, unit.target, unit.placeholders)
    else:
        state = "final" if copied_source(unit.target, source) else "translated"
        _fill(_sub(trans_unit, "target", state=state), unit.target, unit.placeholders)
    if previous is not None:
        # What the unit was translated from, and that translation: a CAT tool shows the
        # difference between the two sources.
        alternative = _sub(trans_unit, "alt-trans", alttranstype="previous-version")
        _fill(_sub(alternative, "source"), previous.source.pieces, previous.source.placeholders)
        if previous.target is not None:
            _fill(_sub(alternative, "target"), previous.target, previous.source.placeholders)
        else:
            _sub(alternative, "target").text = previous.target_text
    note = unit_note(unit, item, lambda number, paired: f"placeholder {number}")
    if unit.repeat_of:
        note += f"\nthe same source is translated so in {unit.repeat_of}; review it"
    _sub(trans_unit, "note", **{"from": "briefgen"}).text = note


def _fill(
    element: etree._Element, pieces: Sequence[Piece], placeholders: Mapping[int, Placeholder]
) -> None:
    """Mixed content: text, <g> around paired markup's text, <x/> for standalone markup."""
    open_elements = [element]
    last: etree._Element | None = None  # the element whose tail the next text goes to
    for piece in pieces:
        current = open_elements[-1]
        if isinstance(piece, str):
            if last is None:
                current.text = (current.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
            continue
        placeholder = placeholders[piece.number]
        if piece.role == "close":
            last = open_elements.pop()
        elif piece.role == "open":
            opened = _sub(current, "g", id=str(piece.number), ctype=placeholder.ctype)
            open_elements.append(opened)
            last = None
        else:
            last = _sub(
                current,
                "x",
                id=str(piece.number),
                ctype=placeholder.ctype,
                equiv_text=placeholder.opening,
            )


# Elements that hold only elements: indented. <source>, <target> and <note> hold text.
STRUCTURE = frozenset(
    _q(name)
    for name in (
        "xliff",
        "file",
        "header",
        "body",
        "group",
        "trans-unit",
        "context-group",
        "alt-trans",
    )
)


def _indent(element: etree._Element, depth: int) -> None:
    # By hand rather than pretty_print: lxml would also indent inside <source> and <target>,
    # whose whitespace is text (xml:space="preserve").
    children = list(element)
    if not children or element.tag not in STRUCTURE:
        return
    element.text = "\n" + "  " * (depth + 1)
    for child in children:
        child.tail = "\n" + "  " * (depth + 1)
        _indent(child, depth + 1)
    children[-1].tail = "\n" + "  " * depth


# --- reading -----------------------------------------------------------------------------------


def read_xliff(data: bytes, filename: str) -> FileContent:
    """The units of an XLIFF 1.2 file, or the problems that keep it from being read."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        message = str(error.msg).rstrip(".")
        return _unreadable(f"{filename}:{line}: the file is not well-formed XML: {message}.")
    if root.getroottree().docinfo.doctype:
        return _unreadable(f"{filename}: the file has a DOCTYPE; an XLIFF file has none.")
    name = etree.QName(root)
    if name.localname == "xliff" and name.namespace == XLIFF_2:
        return _unreadable(
            f"{filename}: the file is XLIFF 2; briefgen reads XLIFF 1.2, the version it exports."
        )
    if name.localname != "xliff" or name.namespace not in READABLE:
        return _unreadable(
            f"{filename}: the file is XML but not XLIFF 1.2 (its root element is "
            f"<{name.localname}>)."
        )
    namespace = name.namespace
    problems: list[str] = []
    locale = _target_locale(root, namespace, filename, problems)
    units = tuple(
        _read_unit(element, namespace, filename)
        for element in root.iter(_q("trans-unit", namespace))
    )
    return FileContent("XLIFF", locale, units, tuple(problems))


def _unreadable(problem: str) -> FileContent:
    return FileContent("XLIFF", "", (), (problem,))


def _target_locale(root: etree._Element, namespace: str, filename: str, problems: list[str]) -> str:
    locales = []
    for file in root.iter(_q("file", namespace)):
        locale = file.get("target-language")
        if not locale:
            problems.append(
                f"{filename}:{file.sourceline}: the <file> element has no target-language."
            )
        else:
            locales.append(locale)
    if len(set(locales)) > 1:
        problems.append(
            f"{filename}: the file mixes target languages ({', '.join(sorted(set(locales)))}); "
            "import one language at a time."
        )
    for target in root.iter(_q("target", namespace)):
        language = target.get(_q("lang", XML))
        if language and locales and language != locales[0]:
            problems.append(
                f"{filename}:{target.sourceline}: a <target> is in {language}, "
                f"the file in {locales[0]}."
            )
    return locales[0] if locales else ""


def _read_unit(element: etree._Element, namespace: str, filename: str) -> FileUnit:
    unit_id = element.get("id", "")
    line = element.sourceline or 0
    source_hash = _source_hash(element, namespace)
    target = element.find(_q("target", namespace))
    if target is None:
        return FileUnit(unit_id, line, source_hash, "untranslated")
    problems: list[str] = []
    pieces: list[Piece] = []
    _walk(target, namespace, pieces, problems, f"{filename}:{line}: unit {unit_id}: ")
    status = "translated" if has_text(pieces) else "untranslated"
    state = target.get("state")
    as_exported = state == COPY_STATE and element.get("approved") is None
    if status == "translated" and state in NOT_FINAL and not as_exported:
        status = "skipped"
    return FileUnit(
        unit_id,
        line,
        source_hash,
        status,
        tuple(pieces),
        tuple(problems),
        same_on_purpose=state in CONFIRMED,
    )


def _source_hash(element: etree._Element, namespace: str) -> str | None:
    """The hash on the unit's group, or a `source_hash:` line in its notes (from a PO file)."""
    for ancestor in element.iterancestors(_q("group", namespace)):
        for context in ancestor.iterfind(
            f"{_q('context-group', namespace)}/{_q('context', namespace)}"
        ):
            if context.get("context-type") == SOURCE_HASH:
                return (context.text or "").strip()
    for note in element.iterfind(_q("note", namespace)):
        for line in (note.text or "").splitlines():
            if line.startswith("source_hash:"):
                return line.removeprefix("source_hash:").strip()
    return None


def _walk(
    element: etree._Element,
    namespace: str,
    pieces: list[Piece],
    problems: list[str],
    where: str,
) -> None:
    if element.text:
        pieces.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _walk_inline(child, namespace, pieces, problems, where)
        if child.tail:
            pieces.append(child.tail)


def _walk_inline(
    child: etree._Element,
    namespace: str,
    pieces: list[Piece],
    problems: list[str],
    where: str,
) -> None:
    name = etree.QName(child)
    if name.namespace != namespace or name.localname not in ("g", "x", "mrk"):
        problems.append(
            f"{where}<{name.localname}> is not one of the inline elements briefgen reads "
            "(<g>, <x> and <mrk>); keep the source's <g> and <x> elements."
        )
        return
    if name.localname == "mrk":  # a tool's own marker (a segment, a comment): its text counts
        _walk(child, namespace, pieces, problems, where)
        return
    number = child.get("id", "")
    if not NUMBER.fullmatch(number):
        problems.append(
            f'{where}<{name.localname} id="{number}"> is not a placeholder of the source.'
        )
        return
    if name.localname == "x":
        pieces.append(Tag("atom", int(number)))
        return
    pieces.append(Tag("open", int(number)))
    _walk(child, namespace, pieces, problems, where)
    pieces.append(Tag("close", int(number)))
