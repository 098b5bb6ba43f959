"""The build, top to bottom: load -> assemble -> resolve citations -> render -> write outputs.

Nothing is written until every brief has rendered: a failure anywhere leaves the output folder as
it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen import __version__, pandoc, typst_pdf
from briefgen.assemble import Brief, assemble
from briefgen.charts import ChartInput, figure_bytes
from briefgen.check import Loaded, load
from briefgen.document import DocumentWriter
from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.output import MANIFEST, Written, manifest_bytes, read_manifest, write_files
from briefgen.render import Artifact, Renderer

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildRequest:
    """What to build; empty tuples mean "everything the project ships"."""

    root: Path
    out: Path
    briefs: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildResult:
    written: tuple[Written, ...]
    warnings: tuple[Problem, ...]
    fallbacks: dict[str, tuple[str, ...]]  # artifact path -> block ids shown in the source locale


def build(request: BuildRequest, progress: Progress = lambda message: None) -> BuildResult:
    """Build the requested briefs; raise ProblemsError or ToolError before writing anything."""
    loaded = load(request.root)
    plan = plan_builds(loaded, request)
    writer = DocumentWriter(loaded.project)
    renderer = Renderer(loaded.project, loaded.bibliography)

    briefs = [
        assemble(loaded.project, loaded.recipes[r], loaded.content, loc, loaded.data_for(loc))
        for r, loc, _ in plan
    ]
    artifacts: list[tuple[Brief, Artifact]] = []
    with tempfile.TemporaryDirectory(prefix="briefgen-media-") as tmp:
        media = Path(tmp)
        figures = [
            draw_figures(loaded, brief, writer.strings(brief.locale), media) for brief in briefs
        ]
        documents = [writer.write(b, f) for b, f in zip(briefs, figures, strict=True)]
        for brief, markdown, (_, _, formats) in zip(briefs, documents, plan, strict=True):
            progress(f"{brief.id} ({brief.locale}): citations")
            document = renderer.to_json(brief, markdown, writer.strings(brief.locale))
            for format_name in formats:
                progress(f"{brief.id} ({brief.locale}): {format_name}")
                for artifact in renderer.render(brief, document, format_name, media):
                    artifacts.append((brief, artifact))

    written = write_files(request.out, [(a.relpath, a.data) for _, a in artifacts])
    manifest = update_manifest(read_manifest(request.out), request.out, artifacts, written, loaded)
    write_files(request.out, [(MANIFEST, manifest_bytes(manifest))])
    fallbacks = {a.relpath: b.fallback_blocks for b, a in artifacts if b.fallback_blocks}
    return BuildResult(tuple(written), loaded.warnings, fallbacks)


def draw_figures(
    loaded: Loaded, brief: Brief, strings: dict[str, str], media: Path
) -> dict[str, str]:
    """Draw or copy each figure of a brief into `media`; block id -> file name there."""
    # Charts compare every use case, whatever the brief covers, so one alt text fits all briefs.
    use_cases = tuple(loaded.project.vocabularies["use_cases"].items())
    chart_input = ChartInput(
        loaded.data_for(brief.locale), use_cases, strings.get("chart_axis", "Number of firms")
    )
    names = {}
    for block in brief.blocks:
        if block.figure is None:
            continue
        suffix = Path(block.figure.image).suffix.lower() if block.figure.image else ".png"
        name = f"{brief.locale}-{block.id}{suffix}"
        (media / name).write_bytes(figure_bytes(block.figure, loaded.project.root, chart_input))
        names[block.id] = name
    return names


def plan_builds(loaded: Loaded, request: BuildRequest) -> list[tuple[str, str, tuple[str, ...]]]:
    """(recipe id, locale, formats) for every brief to build, in a fixed order."""
    problems: list[Problem] = []
    project = loaded.project
    for name in request.briefs:
        if name not in loaded.recipes:
            problems.append(
                Problem(
                    "briefs/", 0, f'there is no brief "{name}"{did_you_mean(name, loaded.recipes)}.'
                )
            )
    for locale in request.locales:
        if locale not in project.locales:
            problems.append(
                Problem(
                    "briefgen.yaml",
                    0,
                    f'"{locale}" is not a locale of this '
                    f"project{did_you_mean(locale, project.locales)}.",
                )
            )
    if not loaded.recipes:
        problems.append(Problem("briefs/", 0, "the project has no recipes: add briefs/<id>.yaml."))
    if problems:
        raise ProblemsError(problems)
    recipe_ids = request.briefs or tuple(sorted(loaded.recipes))
    locales = request.locales or project.locales
    plan = []
    for recipe_id in sorted(set(recipe_ids)):
        recipe = loaded.recipes[recipe_id]
        formats = request.formats or recipe.formats
        for locale in sorted(set(locales)):
            plan.append((recipe_id, locale, tuple(formats)))
    return plan


def update_manifest(
    previous: dict[str, Any],
    out: Path,
    artifacts: Sequence[tuple[Brief, Artifact]],
    written: Sequence[Written],
    loaded: Loaded,
) -> dict[str, Any]:
    """The manifest after this build: new entries replace old ones; vanished files are dropped."""
    entries = {e["path"]: e for e in previous.get("artifacts", []) if (out / e["path"]).is_file()}
    for (brief, artifact), file in zip(artifacts, written, strict=True):
        entries[artifact.relpath] = {
            "path": artifact.relpath,
            "brief": brief.id,
            "title": brief.title,
            "audience": brief.recipe.audience,
            "use_cases": sorted(brief.recipe.use_cases),
            "locale": brief.locale,
            "format": artifact.format,
            "size": file.size,
            "sha256": file.sha256,
            "blocks": [b.id for b in brief.blocks],
            "citations": list(brief.cited_keys),
            "fallback_blocks": list(brief.fallback_blocks),
        }
    return {
        "briefgen": __version__,
        "pandoc": pandoc.version(),
        "typst": typst_pdf.version(),
        "project": loaded.project.name,
        "artifacts": [entries[path] for path in sorted(entries)],
    }
