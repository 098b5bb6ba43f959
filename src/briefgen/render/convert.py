"""Render an assembled brief into every output format.

Citations are processed once per brief: Markdown -> pandoc JSON with citeproc, then that JSON is
written out in each format (43% faster, when measured, than citeproc per format). PDF goes through
pandoc's Typst writer and the typst compiler.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel

from briefgen.assemble.charts import figure_bytes
from briefgen.assemble.markdown import format_date
from briefgen.errors import Problem, ProblemsError, ToolError, problem
from briefgen.formats import Writing
from briefgen.formats.registry import WRITERS
from briefgen.i18n.locales import is_cjk
from briefgen.load import parsecache
from briefgen.load.project import Project
from briefgen.model import (
    Artifact,
    Branding,
    Brief,
    RenderJob,
    artifact_path,
    localized,
    web_address_parts,
)
from briefgen.render.sanitize import Dropped, sanitize_blocks
from briefgen.render.typography import french_inlines, french_text, uses_french_spacing
from briefgen.tools import pandoc

READER = pandoc.MARKDOWN_READER
EPUB_NAMESPACE = uuid.UUID("6f1c7c1e-7d0a-4c59-9a53-2a4a3f0e2b11")


def resolve_csl(project: Project, name: str, where: str) -> Path:
    """The path of a citation style; recipes are checked when loaded, so this rarely fails."""
    path = project.csl_path(name)
    if path is None:
        raise ProblemsError(
            [problem(project.root / where, 0, project.csl_problem(name), project.root)]
        )
    return path


def dropped_problem(job: RenderJob, dropped: list[Dropped]) -> ProblemsError:
    """What the allowlist refused in a brief, at the block line where it stands.

    `check` runs the same allowlist on each block, so this is met only by input that reached
    the build another way (a template, a recipe title): the output is never written with it.
    """
    problems = []
    for item in dropped:
        where = ("", 0)
        if item.value:
            found = job.markdown.find(item.value)
            if found >= 0:
                where = job.position(job.markdown.count("\n", 0, found) + 1) or where
        path = where[0] or f"briefs/{job.brief_id}.yaml"
        problems.append(
            Problem(
                path,
                where[1],
                f"{item.what} is not allowed in a brief ({job.locale}); briefgen keeps only "
                "known-safe text, links and attributes (docs/security.md).",
            )
        )
    return ProblemsError(problems)


def name_headings(blocks: list[Any]) -> None:
    """Give each heading without an identifier one of its own ("_h1", ...), in a namespace no
    block and no template uses: left without, pandoc would make one from its text (with a table
    of contents), and "#### Ref x" would take citeproc's anchor ref-x."""
    unnamed = [h for h in pandoc.elements(blocks, "Header") if not h["c"][1][0]]
    for count, heading in enumerate(unnamed, 1):
        heading["c"][1][0] = f"_h{count}"


def typst_language(locale: str) -> str:
    """Typst takes a bare ISO 639 language ("zh"), not a BCP 47 tag ("zh-Hans")."""
    return str(babel.Locale.parse(locale, sep="-").language)


def internal_marker(strings: dict[str, str]) -> str:
    return strings.get("internal", "INTERNAL — NOT FOR PUBLICATION")


def mark_internal(blocks: list[Any], marker: str) -> list[Any]:
    """Put the internal marker first and after every section heading, so that every chapter of
    an EPUB and every section of every format carries it (PDF and DOCX also mark every page)."""
    para = {"t": "Para", "c": [{"t": "Strong", "c": [{"t": "Str", "c": marker}]}]}
    marked = [para]
    for block in blocks:
        marked.append(block)
        if block.get("t") == "Header" and block["c"][0] == 2:
            marked.append(para)
    return marked


def set_figure_alt(node: Any, alts: dict[str, str]) -> None:
    """Give each figure's image its own alt text; pandoc would reuse the caption as alt."""
    if isinstance(node, list):
        for item in node:
            set_figure_alt(item, alts)
    elif isinstance(node, dict):
        if node.get("t") == "Figure" and node["c"][0][0] in alts:
            alt = alts[node["c"][0][0]]
            for image in pandoc.elements(node["c"][2], "Image"):
                image["c"][1] = [{"t": "Str", "c": alt}]
            return
        for value in node.values():
            set_figure_alt(value, alts)


def brief_metadata(brief: Brief, project: Project, strings: dict[str, str]) -> dict[str, Any]:
    """Pandoc metadata as MetaString values: printed literally, never parsed as Markdown."""
    values = {
        "title": brief.title,
        "pagetitle": brief.title,
        "running-title": localized(brief.recipe.short_title, brief.locale, project.source_locale)
        or brief.title,
        "subtitle": brief.subtitle,
        "date": format_date(brief.date, brief.locale),
        "iso-date": brief.date.isoformat(),
        "lang": brief.locale,
        "typst-lang": typst_language(brief.locale),
        "audience": brief.audience_label,
        "prepared-for": brief.recipe.prepared_for
        or brief.audience_label
        or strings.get("all_audiences", "everyone"),
        # The line office.py and the Markdown writer print: none for a brief for everyone.
        "prepared-for-named": brief.recipe.prepared_for or brief.audience_label,
        "audience-label": strings.get("audience", "For"),
        "use-cases": ("、" if is_cjk(brief.locale) else ", ").join(brief.use_case_labels),
        "publisher": project.publisher_for(brief.locale),
        **branding_metadata(project.branding, brief.locale, strings),
        "toc-title": strings.get("contents", "Contents"),
        "description": brief.subtitle or brief.title,
        "identifier": "urn:uuid:" + str(uuid.uuid5(EPUB_NAMESPACE, f"{brief.id}/{brief.locale}")),
    }
    meta: dict[str, Any] = {k: {"t": "MetaString", "c": v} for k, v in values.items() if v}
    if "contact" in meta:  # its web addresses become links
        meta["contact"] = {"t": "MetaInlines", "c": linked_text(meta["contact"]["c"])}
    if brief.recipe.toc:
        meta["toc"] = {"t": "MetaBool", "c": True}
    if brief.internal:
        meta["confidential"] = {"t": "MetaString", "c": internal_marker(strings)}
    if brief.recipe.compact:
        meta["compact"] = {"t": "MetaBool", "c": True}
    return meta


def epub_metadata(strings: dict[str, str], figures: bool) -> dict[str, Any]:
    """An EPUB's accessibility metadata (schema.org properties of its package), true of the brief.

    Pandoc's defaults claim a textual book with alternative text whether or not it has images,
    and give no summary. A brief's only images are its figures, and each carries its own alt
    text (set_figure_alt), so the text alone is sufficient either way. Only the EPUB writer
    gets these fields: DOCX and ODT would copy them into their custom properties. There is no
    conformance claim (dcterms:conformsTo): nothing checks the whole of EPUB Accessibility 1.1.
    """
    modes = ["textual", "visual"] if figures else ["textual"]
    sufficient = ["textual", "textual,visual"] if figures else ["textual"]
    features = ["readingOrder", "structuralNavigation", "tableOfContents"]
    if figures:
        features.insert(0, "alternativeText")
    meta: dict[str, Any] = {
        "accessModes": _meta_list(modes),
        "accessModeSufficient": _meta_list(sufficient),
        "accessibilityFeatures": _meta_list(features),
        "accessibilityHazards": _meta_list(["none"]),
    }
    summary = strings.get("epub_summary_figures" if figures else "epub_summary")
    if summary:
        meta["accessibilitySummary"] = {"t": "MetaString", "c": summary}
    return meta


def _meta_list(values: list[str]) -> dict[str, Any]:
    # A list even of one: pandoc ignores a lone MetaString here and keeps its defaults.
    return {"t": "MetaList", "c": [{"t": "MetaString", "c": v} for v in values]}


def branding_metadata(branding: Branding, locale: str, strings: dict[str, str]) -> dict[str, str]:
    """briefgen.yaml's branding as template variables, with the labels of the title area."""
    return {
        "organisation": branding.organisation_for(locale),
        "contact": branding.contact_for(locale),
        "logo-alt": branding.logo_alt_for(locale, strings) if branding.logo else "",
        "accent": branding.accent,
        "body-font": branding.body_font,
        "heading-font": branding.heading_font,
        "prepared-for-label": strings.get("prepared_for", "Prepared for"),
        "prepared-by-label": strings.get("prepared_by", "Prepared by"),
        "date-label": strings.get("date", "Date"),
        "use-cases-label": strings.get("use_cases", "Use cases"),
    }


def linked_text(text: str) -> list[dict[str, Any]]:
    """Plain text as pandoc inlines, with each http(s) address a link to itself."""
    return [
        {"t": "Link", "c": [["", ["uri"], []], [{"t": "Str", "c": piece}], [piece, ""]]}
        if is_address
        else {"t": "Str", "c": piece}
        for piece, is_address in web_address_parts(text)
    ]


@dataclass(frozen=True)
class Document:
    """A brief read and cited once: pandoc's JSON AST, its metadata and each top-level block
    apart, so that a format parses only what its passes change; and its figures' image files
    by name."""

    api_version: tuple[int, ...]
    meta: bytes
    blocks: tuple[bytes, ...]
    media: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, tree: dict[str, Any], media: tuple[tuple[str, bytes], ...] = ()) -> Document:
        return cls(
            tuple(tree["pandoc-api-version"]),
            pandoc.write_ast(tree["meta"]),
            pandoc.each_block(tree["blocks"]),
            media,
        )

    def tree(self, changes: tuple[bytes, ...] = ()) -> dict[str, Any]:
        """The AST to change for one format: its metadata as Python values; of its body, the
        top-level blocks holding one of `changes` (see pandoc.lazily), the rest as written."""
        return {
            "pandoc-api-version": list(self.api_version),
            "meta": pandoc.read_ast(self.meta),
            "blocks": pandoc.lazily(self.blocks, changes),
        }


def render_job(job: RenderJob) -> list[Artifact]:
    """Every format of one job, from the job alone: cite once, then write each format."""
    return [a for artifacts in render_formats(job) for a in artifacts]


def render_formats(job: RenderJob) -> list[list[Artifact]]:
    """render_job, by format: each format's artifacts, in the order of job.formats."""
    document = read_document(job)
    return [write_format(job, document, name) for name in job.formats]


def read_document(job: RenderJob) -> Document:
    """The first half of a job: draw its figures, read and cite its Markdown once."""
    media = tuple((f.filename, figure_bytes(f)) for f in job.figures)
    if job.logo_file:
        media += ((job.logo_file, job.logo),)
    with _media_folder(media) as folder:
        return Document.of(to_json(job, folder), media)


def write_format(job: RenderJob, document: Document, format_name: str) -> list[Artifact]:
    """The second half: one format from the cited document (formats can run in parallel)."""
    with _media_folder(document.media) as folder:
        return render_format(job, document, format_name, folder)


@contextlib.contextmanager
def _media_folder(files: tuple[tuple[str, bytes], ...]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="briefgen-media-") as tmp:
        folder = Path(tmp)
        for name, data in files:
            (folder / name).write_bytes(data)
        yield folder


def to_json(job: RenderJob, scratch: Path) -> dict[str, Any]:
    """Markdown -> pandoc's AST, with citations resolved against only the entries it cites."""
    # --sandbox: the reader may open only the files named here, never fetch or include.
    # lang here picks citeproc's CSL locale; the document's own lang is set from metadata below.
    args = ["-f", READER, "-t", "json", "-M", f"lang={job.csl_locale}"]
    if job.references != "[]":
        # Named relative to the scratch folder pandoc runs in, so that the arguments are the
        # same every run: they are part of the reading's key.
        args += [
            "--citeproc",
            f"--bibliography={REFERENCES_FILE}",
            f"--csl={STYLE_FILE}",
            "-M",
            "link-citations=true",
            "-M",
            "suppress-bibliography=false",
        ]
    document = _reading(job, args, scratch)
    # The document's metadata is briefgen's alone (job.metadata, below): nothing pandoc read or
    # citeproc was given (a temporary path, a local CSL) reaches a writer or a template.
    document["meta"] = {}
    images = frozenset(f.filename for f in job.figures)
    document["blocks"], dropped = sanitize_blocks(document["blocks"], images)
    if dropped:
        raise dropped_problem(job, dropped)
    name_headings(pandoc.holding(document["blocks"], "Header"))
    if job.internal_marker:
        document["blocks"] = mark_internal(document["blocks"], job.internal_marker)
    document["meta"].update(json.loads(job.metadata))
    if uses_french_spacing(job.locale):
        french_inlines(document["blocks"])
        for value in document["meta"].values():
            if value.get("t") == "MetaString" and isinstance(value.get("c"), str):
                value["c"] = french_text(value["c"])
            elif value.get("t") == "MetaInlines":  # the contact line, with its links
                french_inlines(value["c"])
    if job.figures:
        alts = {f"fig-{f.block_id}": f.alt for f in job.figures}
        set_figure_alt(pandoc.holding(document["blocks"], "Figure"), alts)
    return document


REFERENCES_FILE, STYLE_FILE = ".references.json", ".style.csl"


def _reading(job: RenderJob, args: list[str], scratch: Path) -> dict[str, Any]:
    """Pandoc's reading of the brief: kept from an earlier run with exactly these inputs (the
    pandoc binary and every tool version, the arguments, the Markdown, the cited entries and
    the style; see parsecache), else read now and kept."""
    binary = job.pandoc or pandoc.executable()
    key = parsecache.reading_key(
        binary.encode(),
        job.tool_versions.encode(),
        json.dumps(args).encode(),
        job.markdown.encode(),
        job.references.encode(),
        job.csl,
    )

    def read() -> bytes:
        files = {REFERENCES_FILE: job.references.encode(), STYLE_FILE: job.csl}
        for name, data in files.items():
            (scratch / name).write_bytes(data)
        try:
            return pandoc.run(
                args,
                job.markdown.encode("utf-8"),
                what=f"reading brief {job.brief_id}",
                cwd=scratch,
                binary=binary,
            )
        except ToolError as error:
            # Pandoc counts lines of the assembled brief; the user knows only the block files.
            raise ToolError(
                error.what, job.explain(error.detail), error.command, error.exit_code
            ) from None
        finally:
            for name in files:
                (scratch / name).unlink()

    try:
        return parsecache.kept_or_made(job.readings, key, read, _document)
    except ValueError:  # what pandoc printed just now is no document: the tool is broken
        raise ToolError(
            f"pandoc (reading brief {job.brief_id})",
            f"{binary} printed something that is not a pandoc document; reinstall "
            "pypandoc-binary (or unset BRIEFGEN_PANDOC).",
        ) from None


def _document(data: bytes) -> dict[str, Any]:
    """Pandoc's JSON as a document; ValueError if it is not one (a damaged kept reading)."""
    tree = pandoc.read_ast(data)
    valid = isinstance(tree, dict) and isinstance(tree.get("blocks"), list)
    if not (valid and isinstance(tree.get("meta"), dict)):
        raise ValueError("not a pandoc document")
    document: dict[str, Any] = tree
    return document


def render_format(
    job: RenderJob, document: Document, format_name: str, media: Path
) -> list[Artifact]:
    """Write one format from the brief's pandoc JSON; `media` holds its figures' images. The
    format's hooks (formats/registry.py) change the AST, add arguments and finish the output."""
    writer = WRITERS[format_name]
    # Parsed once here (of the body, only the blocks this format's passes change), changed for
    # this format in place, written once for pandoc.
    args = ["-f", "json", "-t", writer.writer, "--standalone", "-o", "-"]
    args += [option.format(templates=job.templates) for option in writer.options]
    writing = Writing(job, document.tree(writer.reads(job)), dict(document.media), media, args)
    writer.prepare(writing)
    if job.toc and writer.toc:
        writing.args += ["--toc", "--toc-depth=2"]
    output = pandoc.run(
        writing.args,
        writer.to_pandoc(pandoc.write_ast(writing.tree)),
        what=f"writing {job.brief_id} as {format_name}",
        cwd=media,
        epoch=job.timestamp,
        binary=job.pandoc,
    )
    output = writer.finish(writing, output)
    path = artifact_path(job.brief_id, job.locale, format_name)
    return [Artifact(job.brief_id, job.locale, format_name, path, output), *writing.extra]
