"""Write an assembled brief as one Markdown document, from the project's Jinja2 template.

The template runs in Jinja2's sandbox with undefined variables as errors. Blocks reach it as
plain strings: it places them, it never evaluates them. Tables (companies, glossary) are built
here from data, with every cell escaped, and handed to the template as finished Markdown.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import babel.dates
import jinja2
import jinja2.sandbox
from jinja2.exceptions import SecurityError

from briefgen.assemble.charts import short_label
from briefgen.errors import Problem, ProblemsError, display_path, problem
from briefgen.i18n.locales import Strings, is_cjk, load_strings
from briefgen.load.project import Project
from briefgen.load.scan import scope_link_references
from briefgen.model import Brief, Company, Section, Span, Term

TEMPLATES_DIR = "templates"
DOCUMENT_TEMPLATE = "brief.md.j2"
# Relative column widths of the companies table (pandoc reads them from the dashes).
COMPANY_COLUMNS = (16, 38, 20, 26)


class DocumentWriter:
    """Writes briefs' Markdown with one project's template and interface strings."""

    def __init__(self, project: Project, strings: Strings | None = None) -> None:
        self.project = project
        self._catalog = strings
        self.env = jinja2.sandbox.ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(project.root / TEMPLATES_DIR),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # the output is Markdown; pandoc escapes for each format
            keep_trailing_newline=True,
        )
        self.env.filters["anchor"] = heading_anchor
        self.env.filters["attributes"] = attributes
        self.env.filters["literal"] = literal

    def strings(self, locale: str) -> dict[str, str]:
        """Interface words for a locale (i18n.Strings: the source's, then the locale's PO)."""
        if self._catalog is None:
            self._catalog = load_strings(self.project)
        return self._catalog.for_locale(locale)

    def write(self, brief: Brief, figures: dict[str, str]) -> tuple[str, tuple[Span, ...]]:
        """The brief as Markdown, and where each block's text landed in it (for messages);
        `figures` maps block ids to their image file names."""
        strings = self.strings(brief.locale)
        sections = [self._section(brief, s, strings) for s in brief.sections]
        context: dict[str, Any] = {
            "brief": brief,
            "sections": sections,
            "figures": {k: figure_markdown(brief, k, v) for k, v in figures.items()},
            "strings": strings,
            "date": format_date(brief.date, brief.locale),
            "has_citations": bool(brief.cited_keys),
            # Blocks shown in the source language: marked with its lang, with a visible note.
            "fallbacks": set(brief.fallback_blocks) - set(brief.partial_blocks),
            # Stale blocks shown paragraph by paragraph (assemble._partly): a note, and each
            # English paragraph marked with its own language inside.
            "partial": set(brief.partial_blocks),
            "source_lang": self.project.source_locale,
        }
        # The template writes a body it prints as written as one piece of its output, the very
        # string it was given: each block's place is recorded as the pieces come. A body it
        # changes (a filter, say) gets no place, and its messages name the assembled line.
        placed = {id(block.body): block for section in sections for block in section["blocks"]}
        pieces: list[str] = []
        spans: list[Span] = []
        line = 1
        for piece in self._pieces(context):
            block = placed.pop(id(piece), None)
            if block is not None:
                spans.append(Span(line, piece.count("\n"), block.path, block.body_line, block.id))
            line += piece.count("\n")
            pieces.append(piece)
        return "".join(pieces), tuple(spans)

    def _pieces(self, context: dict[str, Any]) -> Iterator[str]:
        """The template's output, piece by piece; its errors as problems in the template."""
        path = self.project.root / TEMPLATES_DIR / DOCUMENT_TEMPLATE
        try:
            yield from self.env.get_template(DOCUMENT_TEMPLATE).generate(context)
        except jinja2.TemplateSyntaxError as error:
            where = Path(error.filename) if error.filename else path
            message = str(error.message).rstrip(".")
            raise ProblemsError(
                [problem(where, error.lineno, f"template error: {message}.", self.project.root)]
            ) from None
        except jinja2.TemplateNotFound as error:
            raise ProblemsError(
                [problem(path, 0, f"template not found: {error.name}.", self.project.root)]
            ) from None
        except (jinja2.UndefinedError, SecurityError, TypeError) as error:
            line = template_line(error, DOCUMENT_TEMPLATE)
            # "'briefgen.model.Block object' has no attribute 'x'" -> "a block has no ..."
            message = _PYTHON_OBJECT.sub(lambda m: f"a {m.group(1).lower()}", str(error))
            raise ProblemsError(
                [
                    Problem(
                        display_path(path, self.project.root), line, f"template error: {message}."
                    )
                ]
            ) from None

    def _section(self, brief: Brief, section: Section, strings: dict[str, str]) -> dict[str, Any]:
        table = ""
        keys: set[str] = set()
        if section.data == "companies":
            table = companies_markdown(brief, section, strings)
            keys = {f"companies/{c.id}" for c in section.companies}
        elif section.data == "glossary":
            table = glossary_markdown(brief.terms)
            keys = {f"glossary/{t.id}" for t in brief.terms}
        if table and keys & set(brief.fallback_blocks):
            # Rows in the source language: say so, in the reader's language, above the table.
            note = strings.get("untranslated_rows", "")
            table = f"::: {{.untranslated-note}}\n{literal(note)}\n:::\n\n{table}"
        return {
            "title": section.title,
            # Each block's link references are its own: two blocks may define the same label.
            "blocks": [
                replace(b, body=scope_link_references(b.body, b.id)) for b in section.blocks
            ],
            "show_titles": section.show_titles,
            "table": table,
        }


_PYTHON_OBJECT = re.compile(r"'briefgen(?:\.\w+)*\.(\w+) object'")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~^$@])")


def literal(text: str) -> str:
    """Plain text as Markdown that prints exactly that text: a title can't become a link, an
    image or a citation. Quotes are left alone so that pandoc still curls them."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def template_line(error: BaseException, name: str) -> int:
    """The template line an error was raised at: Jinja2 rewrites tracebacks to point at it."""
    line = 0
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.endswith(name) and frame.lineno:
            line = frame.lineno
    return line


def companies_markdown(brief: Brief, section: Section, strings: dict[str, str]) -> str:
    """One pipe table per use case of the section, each with a cited caption."""
    labels = {u: brief.use_case_label(u) for u in section.use_cases}
    header = [strings.get(k, k) for k in ("company", "products", "data_collected", "claimed_uses")]
    tables = []
    for use_case, label in labels.items():
        firms = [c for c in section.companies if use_case in c.use_cases]
        if not firms:
            continue
        rows = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join(":" + "-" * width for width in COMPANY_COLUMNS) + "|",
        ]
        rows += [
            "| " + " | ".join(literal(cell) for cell in _company_row(c, brief)) + " |"
            for c in firms
        ]
        keys = sorted({key for c in firms for key in c.sources})
        caption = strings.get("companies_caption", "Companies: {use_case}").format(
            use_case=label, count=len(firms)
        )
        citation = "; ".join(f"@{key}" for key in keys)
        tables.append("\n".join(rows) + f"\n\n: {literal(caption)} [{citation}]\n")
    return "\n".join(tables)


def _company_row(company: Company, brief: Brief) -> tuple[str, str, str, str]:
    name = company.name + (f" ({company.name_zh})" if company.name_zh else "")
    # Chinese lists take the enumeration comma and the full-width semicolon.
    comma, semicolon = ("\u3001", "\uff1b") if is_cjk(brief.locale) else (", ", "; ")
    kinds = comma.join(short_label(brief.data_kinds.get(k, k)) for k in company.data_kinds)
    return name, company.products, kinds or "—", semicolon.join(company.claimed_uses) or "—"


def glossary_markdown(terms: tuple[Term, ...]) -> str:
    """A definition list of the terms a brief uses."""
    return "\n".join(f"{literal(t.term)}\n:   {literal(t.definition)}\n" for t in terms)


def figure_markdown(brief: Brief, block_id: str, filename: str) -> str:
    """An implicit figure: the caption under the image, the alt text for screen readers."""
    block = next(b for b in brief.blocks if b.id == block_id)
    assert block.figure is not None
    caption = literal(block.figure.caption)
    return f"![{caption}]({filename}){{#fig-{block_id} width=85%}}"


def format_date(date: dt.date, locale: str) -> str:
    """A long date in the reader's language, e.g. 'January 15, 2021' or '2021年1月15日'."""
    return babel.dates.format_date(date, format="long", locale=locale.replace("-", "_"))


def heading_anchor(block_id: str, lang: str | bool = False) -> str:
    """Pandoc's heading attribute for a stable id (block ids are slugs: nothing to escape),
    with the heading's language when it differs from the brief's."""
    return "{#" + block_id + (f" lang={lang}" if lang else "") + "}"


def attributes(text: str) -> str:
    """A pandoc attribute block, {lang=en}; written by the template, never by a block."""
    return "{" + text + "}"
