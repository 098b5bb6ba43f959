"""Render an assembled brief into every output format.

Citations are processed once per brief: Markdown -> pandoc JSON with citeproc, then that JSON is
written out in each format (TOOLCHAIN.md: 43% faster than citeproc per format). PDF goes through
pandoc's Typst writer and the typst compiler.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel

from briefgen import pandoc, typst_pdf
from briefgen.assemble import Brief
from briefgen.bibliography import Bibliography
from briefgen.document import format_date
from briefgen.errors import ProblemsError, problem
from briefgen.project import Project
from briefgen.recipes import localized

# Raw passthrough is off in the reader: even if a block slipped past `check`, no HTML, TeX or
# {=format} content can reach an output.
READER = "markdown-raw_html-raw_tex-raw_attribute-tex_math_dollars-tex_math_single_backslash"
FONTS_DIR = "fonts"
CITEPROC_INPUTS = ("bibliography", "csl", "link-citations", "suppress-bibliography", "references")
EPUB_NAMESPACE = uuid.UUID("6f1c7c1e-7d0a-4c59-9a53-2a4a3f0e2b11")


@dataclass(frozen=True)
class Format:
    """How one output format is written: pandoc's writer, and the project files it uses."""

    name: str
    extension: str
    writer: str
    options: tuple[str, ...] = ()


# Paths are relative to the project root; {templates} is the templates folder.
FORMATS: dict[str, Format] = {
    "docx": Format("docx", "docx", "docx", ("--reference-doc={templates}/reference.docx",)),
    "epub": Format(
        "epub", "epub", "epub3", ("--css={templates}/epub/brief.css", "--split-level=2")
    ),
    "html": Format(
        "html",
        "html",
        "html5",
        (
            "--template={templates}/html/brief.html",
            "--css={templates}/html/brief.css",
            "--embed-resources",
            "--section-divs",
        ),
    ),
    "md": Format("md", "md", "gfm-raw_html", ("--template={templates}/md/brief.md", "--wrap=none")),
    "odt": Format("odt", "odt", "odt", ("--reference-doc={templates}/reference.odt",)),
    "pdf": Format("pdf", "pdf", "typst-citations", ("--template={templates}/typst/brief.typ",)),
}


@dataclass(frozen=True)
class Artifact:
    """One rendered file, not yet written."""

    brief_id: str
    locale: str
    format: str
    relpath: str  # inside the output folder
    data: bytes
    kind: str = "brief"  # or "media": an image file beside a Markdown brief


def artifact_path(brief_id: str, locale: str, format_name: str) -> str:
    return f"{locale}/{brief_id}.{FORMATS[format_name].extension}"


def resolve_csl(project: Project, name: str, where: str) -> Path:
    """The path of a citation style; recipes are checked when loaded, so this rarely fails."""
    path = project.csl_path(name)
    if path is None:
        raise ProblemsError(
            [problem(project.root / where, 0, project.csl_problem(name), project.root)]
        )
    return path


def font_folders(root: Path) -> tuple[Path, ...]:
    """The project's own fonts/ folder, then the Noto Sans CJK collection installed from PyPI.

    Typst's embedded fonts have no CJK glyphs, and Chinese set without a CJK font turns silently
    into empty boxes, so the CJK font is a dependency, not an option.
    """
    import noto_cjk_sans_otc

    folders = [root / FONTS_DIR, Path(str(noto_cjk_sans_otc.FONT_PATH)).parent]
    return tuple(folder for folder in folders if folder.is_dir())


UNSAFE_ATTRIBUTE_PREFIXES = ("on", "style", "srcdoc", "formaction")
UNSAFE_URL_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_DROP = object()  # marks a node to remove (None is a legal value in pandoc's JSON)


def sanitize(node: Any, figures: set[str]) -> Any:
    """Drop from a pandoc AST whatever could run, restyle, fetch or embed in an output.

    `check` already rejects such content with its location; this is the second line of defence,
    so that no output carries it even if a block slipped through: raw blocks and inlines go,
    event-handler and style attributes go, unsafe link targets are emptied, and the only images
    kept are the brief's own figures (ids in `figures`).
    """
    if isinstance(node, list):
        kept = [sanitize(item, figures) for item in node]
        return [item for item in kept if item is not _DROP]
    if not isinstance(node, dict):
        return node
    kind = node.get("t")
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


class Renderer:
    """Turns briefs into artifacts, using one project's templates, styles and fonts."""

    def __init__(self, project: Project, bibliography: Bibliography) -> None:
        self.project = project
        self.bibliography = bibliography
        self.templates = project.root / "templates"
        self.font_paths = font_folders(project.root)

    def to_json(self, brief: Brief, markdown: str, strings: dict[str, str]) -> bytes:
        """Markdown -> pandoc JSON, with citations resolved against only the keys it cites."""
        csl = resolve_csl(self.project, brief.recipe.csl, brief.recipe.path)
        with tempfile.TemporaryDirectory(prefix="briefgen-") as tmp:
            references = Path(tmp) / "references.json"
            references.write_text(
                json.dumps(self.bibliography.csl_items(brief.cited_keys), ensure_ascii=False),
                "utf-8",
            )
            # --sandbox: the reader may open only the files named here, never fetch or include.
            args = ["-f", READER, "-t", "json", "--sandbox", "-M", f"lang={brief.locale}"]
            if brief.cited_keys:
                args += [
                    "--citeproc",
                    f"--bibliography={references}",
                    f"--csl={csl}",
                    "-M",
                    "link-citations=true",
                    "-M",
                    "suppress-bibliography=false",
                ]
            raw = pandoc.run(args, markdown.encode("utf-8"), what=f"reading brief {brief.id}")
        document = json.loads(raw)
        # Citeproc's inputs would otherwise leak into the outputs (a temporary path, a local CSL).
        for key in CITEPROC_INPUTS:
            document["meta"].pop(key, None)
        figures = {f"fig-{b.id}" for b in brief.blocks if b.figure}
        document["blocks"] = sanitize(document["blocks"], figures)
        if brief.internal:
            document["blocks"] = mark_internal(document["blocks"], internal_marker(strings))
        document["meta"].update(self.metadata(brief, strings))
        set_figure_alt(
            document["blocks"], {f"fig-{b.id}": b.figure.alt for b in brief.blocks if b.figure}
        )
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def metadata(self, brief: Brief, strings: dict[str, str]) -> dict[str, Any]:
        """Pandoc metadata as MetaString values: printed literally, never parsed as Markdown."""
        values = {
            "title": brief.title,
            "pagetitle": brief.title,
            "running-title": localized(
                brief.recipe.short_title, brief.locale, self.project.source_locale
            )
            or brief.title,
            "subtitle": brief.subtitle,
            "date": format_date(brief.date, brief.locale),
            "iso-date": brief.date.isoformat(),
            "lang": brief.locale,
            "typst-lang": typst_language(brief.locale),
            "audience": brief.audience_label,
            "audience-label": strings.get("audience", "For"),
            "use-cases": ", ".join(brief.use_case_labels),
            "publisher": self.project.publisher,
            "toc-title": strings.get("contents", "Contents"),
            "description": brief.subtitle or brief.title,
            "identifier": "urn:uuid:"
            + str(uuid.uuid5(EPUB_NAMESPACE, f"{brief.id}/{brief.locale}")),
        }
        meta: dict[str, Any] = {k: {"t": "MetaString", "c": v} for k, v in values.items() if v}
        if brief.recipe.toc:
            meta["toc"] = {"t": "MetaBool", "c": True}
        if brief.internal:
            meta["confidential"] = {"t": "MetaString", "c": internal_marker(strings)}
        if brief.recipe.compact:
            meta["compact"] = {"t": "MetaBool", "c": True}
        return meta

    def render(
        self, brief: Brief, document: bytes, format_name: str, media: Path
    ) -> list[Artifact]:
        """Write one format from the brief's pandoc JSON; `media` holds its figures' images.

        Markdown can't embed images, so it gets them as files beside it, under media/.
        """
        fmt = FORMATS[format_name]
        extra: list[Artifact] = []
        if format_name == "md":
            document, extra = self._media_files(brief, document, media)
        args = ["-f", "json", "-t", fmt.writer, "--standalone", "-o", "-"]
        args += [option.format(templates=self.templates) for option in fmt.options]
        if brief.internal and format_name == "docx":
            # Its header and footer carry the internal marker on every page.
            args.append(f"--reference-doc={self.templates}/reference-internal.docx")
        if brief.recipe.toc and format_name != "pdf":
            args += ["--toc", "--toc-depth=2"]
        if format_name == "pdf":
            args += ["-V", f"lang={typst_language(brief.locale)}"]
        output = pandoc.run(
            args,
            document,
            what=f"writing {brief.id} as {format_name}",
            cwd=media,
            epoch=self.project.build_timestamp,
        )
        if format_name == "pdf":
            output = typst_pdf.compile_pdf(
                output.decode("utf-8"),
                root=media,
                font_paths=self.font_paths,
                timestamp=self.project.build_timestamp,
                what=f"compiling {brief.id} to PDF",
            )
        path = artifact_path(brief.id, brief.locale, format_name)
        return [Artifact(brief.id, brief.locale, format_name, path, output), *extra]

    @staticmethod
    def _media_files(brief: Brief, document: bytes, media: Path) -> tuple[bytes, list[Artifact]]:
        """Point the document's images at media/<brief>-<file> and return those files."""
        tree = json.loads(document)
        files: dict[str, str] = {}

        def visit(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("t") == "Image":
                    target = node["c"][2]
                    name = files.setdefault(target[0], f"media/{brief.id}-{target[0]}")
                    target[0] = name
                for value in node.values():
                    visit(value)
            elif isinstance(node, list):
                for value in node:
                    visit(value)

        visit(tree["blocks"])
        extra = [
            Artifact(
                brief.id,
                brief.locale,
                Path(name).suffix.lstrip("."),
                f"{brief.locale}/{name}",
                (media / source).read_bytes(),
                kind="media",
            )
            for source, name in sorted(files.items())
        ]
        return json.dumps(tree, ensure_ascii=False, sort_keys=True).encode(), extra
