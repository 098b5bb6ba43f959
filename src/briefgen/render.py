"""Render an assembled brief into every output format.

Citations are processed once per brief: Markdown -> pandoc JSON with citeproc, then that JSON is
written out in each format (TOOLCHAIN.md: 43% faster than citeproc per format). PDF goes through
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

from briefgen import office, pandoc, parsecache, pdf
from briefgen.charts import figure_bytes
from briefgen.document import format_date
from briefgen.errors import ProblemsError, ToolError, problem
from briefgen.i18n import is_cjk
from briefgen.model import (
    FORMATS,
    Artifact,
    Branding,
    Brief,
    RenderJob,
    artifact_path,
    localized,
    meta_text,
    web_address_parts,
)
from briefgen.project import Project

# Raw passthrough is off in the reader: even if a block slipped past `check`, no HTML, TeX or
# {=format} content can reach an output.
READER = "markdown-raw_html-raw_tex-raw_attribute-tex_math_dollars-tex_math_single_backslash"
CITEPROC_INPUTS = ("bibliography", "csl", "link-citations", "suppress-bibliography", "references")
EPUB_NAMESPACE = uuid.UUID("6f1c7c1e-7d0a-4c59-9a53-2a4a3f0e2b11")


def resolve_csl(project: Project, name: str, where: str) -> Path:
    """The path of a citation style; recipes are checked when loaded, so this rarely fails."""
    path = project.csl_path(name)
    if path is None:
        raise ProblemsError(
            [problem(project.root / where, 0, project.csl_problem(name), project.root)]
        )
    return path


UNSAFE_ATTRIBUTE_PREFIXES = ("on", "style", "srcdoc", "formaction")
UNSAFE_URL_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_DROP = object()  # marks a node to remove (None is a legal value in pandoc's JSON)
# Nodes that hold only text (or nothing): they carry no attribute, link or raw content.
_LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak"})


def sanitize(node: Any, figures: set[str]) -> Any:
    """Drop from a pandoc AST whatever could run, restyle, fetch or embed in an output.

    `check` already rejects such content with its location; this is the second line of defence,
    so that no output carries it even if a block slipped through: raw blocks and inlines go,
    event-handler and style attributes go, unsafe link targets are emptied, and the only images
    kept are the brief's own figures (ids in `figures`).
    """
    if isinstance(node, list):
        kept = []
        for item in node:
            # Most of a document is leaves: kept as they are, without a call each.
            if isinstance(item, dict) and item.get("t") in _LEAVES:
                kept.append(item)
                continue
            cleaned = sanitize(item, figures)
            if cleaned is not _DROP:
                kept.append(cleaned)
        return kept
    if not isinstance(node, dict):
        return node
    kind = node.get("t")
    if kind in _LEAVES:  # most of a document: nothing inside to clean
        return node
    if kind in ("RawBlock", "RawInline"):
        return _DROP
    if kind == "Figure" and node["c"][0][0] in figures:
        return node
    if kind == "Image":
        return {"t": "Span", "c": [["", [], []], sanitize(node["c"][1], figures)]}
    if kind == "Link":
        target = node["c"][2]
        if str(target[0]).strip().lower().startswith(UNSAFE_URL_SCHEMES):
            target[0] = ""
    content = node.get("c")
    if isinstance(content, list) and content and _is_attr(content[0]):
        content[0][2] = [
            kv for kv in content[0][2] if not kv[0].lower().startswith(UNSAFE_ATTRIBUTE_PREFIXES)
        ]
    for key, value in node.items():
        if key != "t":
            node[key] = sanitize(value, figures)
    return node


def _is_attr(value: Any) -> bool:
    """Pandoc's Attr: [identifier, [classes], [[key, value], ...]]."""
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], list)
        and isinstance(value[2], list)
    )


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
            for image in _images(node["c"][2]):
                image["c"][1] = [{"t": "Str", "c": alt}]
            return
        for value in node.values():
            set_figure_alt(value, alts)


def _images(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [image for item in node for image in _images(item)]
    if isinstance(node, dict):
        if node.get("t") == "Image":
            return [node]
        return [image for value in node.values() for image in _images(value)]
    return []


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
        "prepared-for": brief.audience_label or strings.get("all_audiences", "everyone"),
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
        "logo-alt": branding.logo_alt_for(locale) if branding.logo else "",
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


def style_variables(job: RenderJob) -> list[str]:
    """The branding's colour and fonts as pandoc variables (-V) for the pages' style line.

    Variables reach every page of an EPUB (the metadata reaches only its title page) and are
    never re-wrapped, so a font name stays one CSS string. branding.py admits only a "#rrggbb"
    colour and font names without quotes or markup.
    """
    metadata = json.loads(job.metadata)
    args = []
    for key in ("accent", "body-font", "heading-font"):
        value = meta_text(metadata, key)
        if value:
            args += ["-V", f"brand-{key}={value}"]
    return args


def with_logo(job: RenderJob, tree: Any) -> None:
    """The logo as an image in the metadata (`logo-image`) for the HTML and EPUB templates:
    pandoc embeds it in the page and packs it into the EPUB like any figure."""
    alt = meta_text(tree["meta"], "logo-alt")
    image = [["", ["logo"], []], [{"t": "Str", "c": alt}], [job.logo_file, ""]]
    tree["meta"]["logo-image"] = {"t": "MetaInlines", "c": [{"t": "Image", "c": image}]}


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
    args = ["-f", READER, "-t", "json", "--sandbox", "-M", f"lang={job.csl_locale}"]
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
    # Citeproc's inputs would otherwise leak into the outputs (a temporary path, a local CSL).
    for key in CITEPROC_INPUTS:
        document["meta"].pop(key, None)
    figures = {f"fig-{f.block_id}" for f in job.figures}
    document["blocks"] = sanitize(document["blocks"], figures)
    if job.internal_marker:
        document["blocks"] = mark_internal(document["blocks"], job.internal_marker)
    document["meta"].update(json.loads(job.metadata))
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

    return parsecache.kept_or_made(job.readings, key, read, _document)


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
    """Write one format from the brief's pandoc JSON; `media` holds its figures' images.

    Markdown can't embed images, so it gets them as files beside it, under media/.
    """
    fmt = FORMATS[format_name]
    # Parsed once here (of the body, only the blocks this format's passes change), changed for
    # this format in place, written once for pandoc.
    tree = document.tree(_changes(job, format_name))
    extra: list[Artifact] = []
    if format_name == "md" and job.figures:
        extra = _media_files(job, tree, media)
    if format_name in ("html", "epub") and job.logo_file:
        with_logo(job, tree)
    args = ["-f", "json", "-t", fmt.writer, "--standalone", "-o", "-"]
    args += [option.format(templates=job.templates) for option in fmt.options]
    reference = b""
    if format_name in OFFICE_FORMATS:
        args, reference = _office_reference(job, args, format_name, media)
        office.prepare_document(tree, format_name)
    if format_name == "epub":
        tree["meta"].update(json.loads(job.epub_metadata))
        # The printed date is in the reader's language ("2021年1月15日"), which pandoc cannot
        # parse into the package's dc:date; give it the ISO date explicitly.
        iso = meta_text(json.loads(job.metadata), "iso-date")
        if iso:
            (media / ".epub-metadata.xml").write_text(f"<dc:date>{iso}</dc:date>\n", "utf-8")
            args.append(f"--epub-metadata={media / '.epub-metadata.xml'}")
    if format_name in ("html", "epub"):
        args += style_variables(job)
    if job.toc and format_name != "pdf":
        args += ["--toc", "--toc-depth=2"]
    if format_name == "pdf":
        args += ["-V", f"lang={job.typst_lang}"]
        if job.typst_region:
            args += ["-V", f"region={job.typst_region}"]
        pdf.in_columns(tree)
    output = pandoc.run(
        args,
        pandoc.write_ast(tree),
        what=f"writing {job.brief_id} as {format_name}",
        cwd=media,
        epoch=job.timestamp,
        binary=job.pandoc,
    )
    if reference:
        output = office.finish(format_name, output, reference)
    if format_name == "pdf":
        output = pdf.compile_brief(job, output, media)
    path = artifact_path(job.brief_id, job.locale, format_name)
    return [Artifact(job.brief_id, job.locale, format_name, path, output), *extra]


OFFICE_FORMATS = ("docx", "odt")


def _changes(job: RenderJob, format_name: str) -> tuple[bytes, ...]:
    """What the passes of a format change or read inside the body's blocks (pandoc.lazily):
    styles for Word and ODT, the PDF's sections, Markdown's image paths when it has figures.
    HTML and EPUB change only the metadata."""
    if format_name in OFFICE_FORMATS:
        return office.PREPARE_CHANGES[format_name]
    if format_name == "pdf":
        return pdf.IN_COLUMNS_READS
    if format_name == "md" and job.figures:
        return (pandoc.element("Image"),)
    return ()


_REFERENCE_DOC = "--reference-doc="


def _office_reference(
    job: RenderJob, args: list[str], format_name: str, media: Path
) -> tuple[list[str], bytes]:
    """Pandoc's arguments with the reference document this brief is written with: the
    format's reference document (reference-internal.docx for an internal DOCX, whose header and
    footer carry the marker) with the project's branding applied, and its bytes."""
    named = next(a for a in args if a.startswith(_REFERENCE_DOC))[len(_REFERENCE_DOC) :]
    template = Path(named)
    if job.internal_marker and format_name == "docx":
        template = template.with_name("reference-internal.docx")
    metadata = json.loads(job.metadata)
    look = office.Look(
        branding=job.branding,
        logo=office.logo_image(job.logo),
        locale=job.locale,
        internal_marker=job.internal_marker,
        compact=bool(metadata.get("compact", {}).get("c", False)),
    )
    reference = office.reference_document(format_name, template.read_bytes(), look)
    path = media / f".reference.{format_name}"
    path.write_bytes(reference)
    kept = [a for a in args if not a.startswith(_REFERENCE_DOC)]
    return [*kept, f"{_REFERENCE_DOC}{path}"], reference


def _media_files(job: RenderJob, tree: Any, media: Path) -> list[Artifact]:
    """Point the document's images at media/<brief>-<file> and return those files."""
    files: dict[str, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Image":
                target = node["c"][2]
                name = files.setdefault(target[0], f"media/{job.brief_id}-{target[0]}")
                target[0] = name
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(pandoc.holding(tree["blocks"], "Image"))
    extra = [
        Artifact(
            job.brief_id,
            job.locale,
            Path(name).suffix.lstrip("."),
            f"{job.locale}/{name}",
            (media / source).read_bytes(),
            kind="media",
        )
        for source, name in sorted(files.items())
    ]
    return extra
