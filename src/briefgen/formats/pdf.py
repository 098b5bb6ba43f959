"""The PDF, through pandoc's Typst writer and the Typst compiler (tools/typst.py).

    in_columns()     the body in the template's two columns, sections with a table full width
    compile_brief()  Typst source -> PDF/UA-1, with branding and alt texts as the template's
                     inputs; a CJK brief's characters checked against the fonts first

What Typst refuses for PDF/UA-1 becomes a problem naming the block file and line to fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from briefgen.errors import Problem, ProblemsError, ToolError
from briefgen.formats import Writer, Writing
from briefgen.load.scan import BLOCK_HEADING_LEVEL
from briefgen.model import Branding, RenderJob
from briefgen.tools import pandoc
from briefgen.tools import typst as typst_pdf

# Written around the column sections; the template defines body-columns. These are the only
# raw blocks a PDF ever gets: sanitize() has removed every raw block of the content before.
COLUMNS_OPEN = {"t": "RawBlock", "c": ["typst", "#body-columns["]}
COLUMNS_CLOSE = {"t": "RawBlock", "c": ["typst", "]"]}
BEFORE_WIDE = {"t": "RawBlock", "c": ["typst", "#before-wide"]}
# Pandoc 3.9 writes a language switch as `#set text(lang: "en"); ` on the line of the first
# element, which turns a leading list marker into text: start it on a new line.
_LANG_SET = re.compile(r'(#set text\(lang: "[^"]*"\)); ')
_TYPST_HEADING = re.compile(r"^\s*(=+)\s*")


# What in_columns reads inside the top-level blocks (pandoc.lazily): the headings. It only
# looks for tables, which pandoc.holding finds in a block left as written too.
IN_COLUMNS_READS = (pandoc.element("Header"),)


def in_columns(tree: Any) -> None:
    """Wrap the body's sections (level-2 heading to the next) in the template's columns; a
    section holding a table spans the page, so that a wide table keeps its width and its
    header row repeats on each page it runs over. Changes `tree` (pandoc's AST) in place."""
    sections: list[list[Any]] = [[]]
    for block in tree["blocks"]:
        if pandoc.kind(block) == "Header" and block["c"][0] == 2:
            sections.append([])
        sections[-1].append(block)
    blocks: list[Any] = []
    columns = False
    for section in (s for s in sections if s):
        wide = bool(pandoc.holding(section, "Table"))
        if columns and wide:
            blocks += [COLUMNS_CLOSE, BEFORE_WIDE]
        elif not columns and not wide:
            blocks.append(COLUMNS_OPEN)
        columns = not wide
        blocks.extend(section)
    if columns:
        blocks.append(COLUMNS_CLOSE)
    tree["blocks"] = blocks


def template_inputs(job: RenderJob) -> dict[str, str]:
    """sys.inputs of templates/typst/brief.typ: the values it must read as Typst strings."""
    branding = job.metadata.branding
    values = {
        "accent": branding.accent or Branding.accent,
        "body-font": branding.body_font,
        "heading-font": branding.heading_font,
        "cjk": job.cjk,
        "logo": job.logo_file,
        "logo-alt": job.metadata.logo_alt,
        "figure-alts": {f.filename: f.alt for f in job.figures},
    }
    return {"briefgen": json.dumps(values, sort_keys=True, ensure_ascii=False)}


def compile_brief(job: RenderJob, typst_source: bytes, media: Path) -> bytes:
    """The PDF of a brief from the Typst source pandoc wrote; `media` holds its images."""
    source = _LANG_SET.sub(r"\1\n", typst_source.decode("utf-8"))
    fonts = tuple(Path(p) for p in job.font_paths)
    if job.cjk:
        _check_glyphs(job, source, fonts)
    try:
        return typst_pdf.compile_pdf(
            source,
            root=media,
            font_paths=fonts,
            timestamp=job.timestamp,
            what=f"compiling {job.brief_id} to PDF",
            inputs=template_inputs(job),
        )
    except typst_pdf.Refusal as refusal:
        raise ProblemsError([refusal_problem(job, refusal)]) from None


def refusal_problem(job: RenderJob, refusal: typst_pdf.Refusal) -> Problem:
    """Where a PDF/UA-1 refusal comes from in the user's files, and what to change there."""
    marks = _TYPST_HEADING.match(refusal.source_line)
    level = len(marks.group(1)) if marks else 0
    heading = _TYPST_HEADING.sub("", refusal.source_line).strip()
    path, line = f"briefs/{job.brief_id}.yaml", 0
    for number, text in enumerate(job.markdown.splitlines(), 1):
        if level and re.match(f"#{{{level}}}(\\s|$)", text) and heading in text:
            path, line = job.position(number) or (path, line)
            break
    reason = refusal.reason
    if refusal.skipped:
        above = refusal.skipped[0]
        if above + 1 >= BLOCK_HEADING_LEVEL:
            reason += f': make it a level-{above + 1} heading ("{"#" * (above + 1)}")'
        else:
            reason += (
                ": a block's own headings come under its title, so show the block titles of "
                "this section (remove show_titles: false from the recipe) or make the heading "
                "a line of bold text"
            )
    return Problem(
        path,
        line,
        f"the PDF of {job.label} cannot meet PDF/UA-1, the accessible PDF standard every "
        f"brief is built to: {reason}.",
    )


def _check_glyphs(job: RenderJob, source: str, fonts: tuple[Path, ...]) -> None:
    """A CJK PDF must not set a character no shipped font has: it would print as a box."""
    missing = typst_pdf.missing_glyphs(source, fonts)
    if not missing:
        return
    places = []
    for char in missing:
        where = next(
            (
                job.locate(number)
                for number, line in enumerate(job.markdown.splitlines(), 1)
                if char in line
            ),
            "the brief's metadata (a title or interface string)",
        )
        places.append(f'"{char}" (U+{ord(char):04X}) at {where}')
    raise ToolError(
        f"typst (checking the fonts of {job.brief_id} in {job.locale})",
        "no font the project ships can draw "
        + "; ".join(places)
        + ". Use another character, or add a font that has it to fonts/.",
    )


def _prepare(writing: Writing) -> None:
    job = writing.job
    writing.args += ["-V", f"lang={job.typst_lang}"]
    if job.typst_region:
        writing.args += ["-V", f"region={job.typst_region}"]
    in_columns(writing.tree)


# Pandoc's Typst writer turns every typographic apostrophe (U+2019) back into a straight one,
# which Typst prints after a digit as a prime (U+2032, "ARTICLE 19" + prime + "s"): the
# apostrophe travels as a private-use mark (no block may hold one) and is put back into the
# Typst source as itself.
APOSTROPHE, APOSTROPHE_MARK = "\u2019".encode(), "\ue001".encode()


def _marked(written: bytes) -> bytes:
    return written.replace(APOSTROPHE, APOSTROPHE_MARK)


def _finish(writing: Writing, output: bytes) -> bytes:
    source = output.replace(APOSTROPHE_MARK, APOSTROPHE)
    return compile_brief(writing.job, source, writing.folder)


WRITER = Writer(
    "pdf",
    "typst-citations",
    ("--template={templates}/typst/brief.typ",),
    toc=False,
    reads=lambda job: IN_COLUMNS_READS,
    prepare=_prepare,
    to_pandoc=_marked,
    finish=_finish,
)
