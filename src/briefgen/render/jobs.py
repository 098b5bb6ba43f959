"""Render jobs, prepared in one place: each planned brief assembled, written as Markdown with
where each block landed, and everything a worker needs put on one typed RenderJob.

    prepare_each()     assemble, write the Markdown, draw nothing yet: one job per brief
    brief_metadata()   the brief's metadata, typed (model.BriefMetadata)
    pandoc_metadata()  that metadata as pandoc's, for the reader's document and the digest
    epub_metadata()    the EPUB's accessibility metadata
    style_variables()  the branding as the pages' style variables

The metadata stays typed on the job; it becomes pandoc JSON only here, for pandoc.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import babel

from briefgen.assemble.charts import CHARTS
from briefgen.assemble.markdown import DocumentWriter, format_date
from briefgen.assemble.select import assemble
from briefgen.errors import ProblemsError, problem
from briefgen.formats.package import brand_logo
from briefgen.i18n.locales import is_cjk, typst_region
from briefgen.load.branding import web_address_parts
from briefgen.load.parsecache import readings_folder
from briefgen.load.project import Project
from briefgen.model import (
    Brief,
    BriefMetadata,
    Data,
    FigureInput,
    RenderJob,
    localized,
)
from briefgen.publish import digest
from briefgen.render.typography import labelled
from briefgen.tools import pandoc
from briefgen.tools.typst import font_folders, root_fonts

if TYPE_CHECKING:
    from briefgen.load.loader import Loaded

EPUB_NAMESPACE = uuid.UUID("6f1c7c1e-7d0a-4c59-9a53-2a4a3f0e2b11")


@dataclass(frozen=True)
class Prepared:
    """A brief ready to render: the assembled brief (for the manifest) and its render job."""

    brief: Brief
    job: RenderJob


def prepare(
    loaded: Loaded,
    plan: list[tuple[str, str, tuple[str, ...]]],
    internal: bool = False,
    untranslated: str = "",
) -> list[Prepared]:
    """Assemble every planned brief and write its Markdown and its render job (no rendering),
    in the plan's order."""
    return list(prepare_each(loaded, plan, internal, untranslated))


def prepare_each(
    loaded: Loaded,
    plan: list[tuple[str, str, tuple[str, ...]]],
    internal: bool = False,
    untranslated: str = "",
    longest_first: bool = False,
) -> Iterator[Prepared]:
    """prepare(), one brief at a time, so that rendering can start on the first while the
    next is written; `longest_first`: the longest briefs (by their blocks' text and formats)
    come first, so that long work does not start last."""
    project = loaded.project
    writer = DocumentWriter(project, loaded.strings)
    templates = project.root / "templates"
    fonts = font_folders(project.root)
    shared = digest.tree_digest([templates, root_fonts(project.root)])
    versions = json.dumps(digest.tool_versions(), sort_keys=True)
    use_cases = tuple(project.vocabularies["use_cases"].items())
    logo_file, logo = brand_logo(project)
    readings = readings_folder()
    briefs = [
        assemble(
            project,
            loaded.recipes[r],
            loaded.content,
            locale,
            loaded.data_for(locale),
            internal,
            loaded.strings.for_locale(locale),
            untranslated,
            loaded.states.get(locale),
        )
        for r, locale, _ in plan
    ]
    # One conversion to CSL for every entry any planned brief cites, rather than one per brief.
    loaded.bibliography.csl_items({key for brief in briefs for key in brief.cited_keys})
    order = list(range(len(plan)))
    if longest_first:
        order.sort(key=lambda i: (-_length(briefs[i]) * len(plan[i][2]), i))
    for index in order:
        brief, (_, locale, formats) = briefs[index], plan[index]
        data = loaded.data_for(locale)
        names = figure_names(brief)
        markdown, spans = writer.write(brief, names)
        strings = writer.strings(locale)
        figures = []
        for block in brief.blocks:
            if block.figure is None:
                continue
            figure = block.figure
            chart = None
            image = b""
            if figure.chart:
                axis = strings.get("chart_axis", "Number of firms")
                labels = tuple((u, strings.get(f"use_cases/{u}", name)) for u, name in use_cases)
                chart = CHARTS[figure.chart](data, labels, axis)
            else:
                image = (project.root / figure.image).read_bytes()
            figures.append(FigureInput(block.id, names[block.id], figure.alt, chart, image))
        job = RenderJob(
            brief_id=brief.id,
            locale=locale,
            markdown=markdown,
            # The logo is an image too (with its alt text): a book with it is visual.
            metadata=brief_metadata(brief, project, strings, visual=bool(figures or logo)),
            references=_canonical(
                localized_references(loaded.bibliography.csl_items(brief.cited_keys), data)
            ),
            csl=resolve_csl(project, brief_csl(project, brief), brief.recipe.path).read_bytes(),
            csl_locale=project.csl_locale(locale),
            formats=tuple(formats),
            figures=tuple(figures),
            internal_marker=internal_marker(strings) if brief.internal else "",
            toc=brief.recipe.toc,
            typst_lang=typst_language(locale),
            typst_region=typst_region(locale),
            cjk=is_cjk(locale),
            timestamp=project.build_timestamp,
            tool_versions=versions,
            shared_digest=shared,
            spans=spans,
            logo=logo,
            logo_file=logo_file,
            templates=str(templates),
            font_paths=tuple(str(f) for f in fonts),
            pandoc=pandoc.executable(),
            readings=readings,
        )
        yield Prepared(brief, job)


def _length(brief: Brief) -> int:
    return sum(len(block.body) for block in brief.blocks)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def figure_names(brief: Brief) -> dict[str, str]:
    """The file name of each figure of a brief (block id -> name), known before drawing."""
    names = {}
    for block in brief.blocks:
        if block.figure is not None:
            suffix = Path(block.figure.image).suffix.lower() if block.figure.image else ".png"
            names[block.id] = f"{brief.locale}-{block.id}{suffix}"
    return names


def brief_csl(project: Project, brief: Brief) -> str:
    """A brief's citation style: its recipe's, else its locale's, else the project's."""
    return brief.recipe.csl_for(project.csl_for(brief.locale))


def resolve_csl(project: Project, name: str, where: str) -> Path:
    """The path of a citation style; recipes are checked when loaded, so this rarely fails."""
    path = project.csl_path(name)
    if path is None:
        raise ProblemsError(
            [problem(project.root / where, 0, project.csl_problem(name), project.root)]
        )
    return path


def localized_references(items: list[dict[str, Any]], data: Data) -> list[dict[str, Any]]:
    """CSL items with the names and titles this locale gives them (data/<locale>/
    references.yaml): a Chinese brief names a Chinese state body and law in Chinese."""
    localized_items = []
    for item in items:
        names = data.references.get(str(item.get("id")), {})
        if names:
            item = dict(item)
            if "author" in names:
                item["author"] = [{"literal": n.strip()} for n in names["author"].split(", ")]
            item.update({k: v for k, v in names.items() if k != "author"})
            if "title" in names:
                item["title-short"] = names["title"]
        localized_items.append(item)
    return localized_items


def typst_language(locale: str) -> str:
    """Typst takes a bare ISO 639 language ("zh"), not a BCP 47 tag ("zh-Hans")."""
    return str(babel.Locale.parse(locale, sep="-").language)


def internal_marker(strings: dict[str, str]) -> str:
    return strings.get("internal", "INTERNAL — NOT FOR PUBLICATION")


# --- metadata ----------------------------------------------------------------------------------


def brief_metadata(
    brief: Brief, project: Project, strings: dict[str, str], visual: bool
) -> BriefMetadata:
    """What the templates print of a brief beyond its body, in the reader's language; `visual`:
    the brief has images (figures or the logo)."""
    branding = project.branding
    use_cases = ("、" if is_cjk(brief.locale) else ", ").join(brief.use_case_labels)
    texts = {
        "title": brief.title,
        "pagetitle": brief.title,
        "running-title": localized(brief.recipe.short_title, brief.locale, project.source_locale)
        or brief.title,
        "subtitle": brief.subtitle,
        "date": format_date(brief.date, brief.locale),
        "audience": brief.audience_label,
        "prepared-for": brief.recipe.prepared_for
        or brief.audience_label
        or strings.get("all_audiences", "everyone"),
        # The line office.py and the Markdown writer print: none for a brief for everyone.
        "prepared-for-named": brief.recipe.prepared_for or brief.audience_label,
        "audience-label": strings.get("audience", "For"),
        "use-cases": use_cases,
        "publisher": project.publisher_for(brief.locale),
        "organisation": branding.organisation_for(brief.locale),
        "prepared-for-label": strings.get("prepared_for", "Prepared for"),
        "prepared-by-label": strings.get("prepared_by", "Prepared by"),
        "date-label": strings.get("date", "Date"),
        # The topics line of the title area, punctuated as the reader's language writes it.
        "use-cases-line": labelled(strings.get("use_cases", "Use cases"), use_cases, brief.locale),
        "toc-title": strings.get("contents", "Contents"),
        "description": brief.subtitle or brief.title,
        "identifier": "urn:uuid:" + str(uuid.uuid5(EPUB_NAMESPACE, f"{brief.id}/{brief.locale}")),
    }
    return BriefMetadata(
        texts=tuple(texts.items()),
        iso_date=brief.date.isoformat(),
        logo_alt=branding.logo_alt_for(brief.locale, strings) if branding.logo else "",
        compact=brief.recipe.compact,
        branding=branding,
        visual=visual,
        epub_summary=strings.get("epub_summary_figures" if visual else "epub_summary", ""),
    )


def pandoc_metadata(job: RenderJob) -> dict[str, Any]:
    """The job's metadata as pandoc's (MetaString values: printed literally, never parsed as
    Markdown), in key order."""
    meta = job.metadata
    branding = meta.branding
    values = {
        **dict(meta.texts),
        "iso-date": meta.iso_date,
        "lang": job.locale,
        "typst-lang": job.typst_lang,
        "contact": branding.contact_for(job.locale),
        "logo-alt": meta.logo_alt,
        "accent": branding.accent,
        "body-font": branding.body_font,
        "heading-font": branding.heading_font,
        "confidential": job.internal_marker,
    }
    pandoc_meta: dict[str, Any] = {k: {"t": "MetaString", "c": v} for k, v in values.items() if v}
    if "contact" in pandoc_meta:  # its web addresses become links
        pandoc_meta["contact"] = {"t": "MetaInlines", "c": linked_text(values["contact"])}
    if job.toc:
        pandoc_meta["toc"] = {"t": "MetaBool", "c": True}
    if meta.compact:
        pandoc_meta["compact"] = {"t": "MetaBool", "c": True}
    return dict(sorted(pandoc_meta.items()))


def epub_metadata(visual: bool, summary: str) -> dict[str, Any]:
    """An EPUB's accessibility metadata (schema.org properties of its package), true of the brief.

    Pandoc's defaults claim a textual book with alternative text whether or not it has images,
    and give no summary. A brief's only images are its figures and the logo, and each carries its
    own alt text (set_figure_alt), so the text alone is sufficient either way. Only the EPUB
    writer gets these fields: DOCX and ODT would copy them into their custom properties. There is
    no conformance claim (dcterms:conformsTo): nothing checks the whole of EPUB Accessibility 1.1.
    """
    modes = ["textual", "visual"] if visual else ["textual"]
    sufficient = ["textual", "textual,visual"] if visual else ["textual"]
    features = ["readingOrder", "structuralNavigation", "tableOfContents"]
    if visual:
        features.insert(0, "alternativeText")
    meta: dict[str, Any] = {
        "accessModes": _meta_list(modes),
        "accessModeSufficient": _meta_list(sufficient),
        "accessibilityFeatures": _meta_list(features),
        "accessibilityHazards": _meta_list(["none"]),
    }
    if summary:
        meta["accessibilitySummary"] = {"t": "MetaString", "c": summary}
    return meta


def _meta_list(values: list[str]) -> dict[str, Any]:
    # A list even of one: pandoc ignores a lone MetaString here and keeps its defaults.
    return {"t": "MetaList", "c": [{"t": "MetaString", "c": v} for v in values]}


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
    branding = job.metadata.branding
    values = {
        "accent": branding.accent,
        "body-font": branding.body_font,
        "heading-font": branding.heading_font,
    }
    return [arg for key, value in values.items() if value for arg in ("-V", f"brand-{key}={value}")]
