"""The build, top to bottom: load -> assemble -> resolve citations -> render -> write outputs.

    build()
      load()             every file validated; all problems reported together
      plan_builds()      brief x locale x formats, optionally one shard of it
      prepare()          assemble each brief and write its Markdown; digest its inputs
      (skip)             outputs whose digest and file are unchanged
      render_jobs()      cite once per brief, render each format; in parallel processes
      write_files()      every output atomically, then the manifest

Nothing is written until every brief has rendered: a failure anywhere leaves the output folder and
its manifest as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen import digest, pandoc, typst_pdf
from briefgen.assemble import Brief, assemble
from briefgen.check import Loaded, load
from briefgen.document import DocumentWriter
from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean
from briefgen.library import write_archive, write_library
from briefgen.manifest import MANIFEST, content_version, intact, manifest_bytes, read_manifest
from briefgen.output import Written, write_files
from briefgen.parallel import Job, Progress, ProgressEvent, render_jobs
from briefgen.project import load_project
from briefgen.render import Artifact, Renderer, artifact_path, font_folders, resolve_csl


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise BriefgenError(f'--shard "{text}" must look like K/N, e.g. 2/3.') from None
        if not 1 <= index <= count:
            raise BriefgenError(f'--shard "{text}": K must be between 1 and N.')
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class BuildRequest:
    """What to build; empty tuples mean "everything the project ships"."""

    root: Path
    out: Path
    briefs: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    jobs: int = 1
    shard: Shard | None = None
    force: bool = False
    internal: bool = False  # include internal and embargoed blocks; mark every page


@dataclass(frozen=True)
class BuildResult:
    written: tuple[Written, ...]
    skipped: int  # outputs left in place because nothing they depend on changed
    warnings: tuple[Problem, ...]
    fallbacks: dict[str, tuple[str, ...]]  # artifact path -> block ids shown in the source locale
    manifest: dict[str, Any]
    timestamp: int  # the build's fixed timestamp (for the archive's entry dates)


def build(request: BuildRequest, progress: Progress = lambda event: None) -> BuildResult:
    """Build the requested briefs; raise ProblemsError or ToolError before writing anything."""
    loaded = load(request.root)
    plan = plan_builds(loaded, request)
    jobs = prepare(loaded, plan[0], request.internal)
    previous = read_manifest(request.out)
    done = {e["path"]: e for e in previous.get("artifacts", [])}
    todo = [j for j in jobs if request.force or not up_to_date(j, done, request.out)]
    progress(
        ProgressEvent(0, len(todo), f"{len(jobs) - len(todo)} of {len(jobs)} briefs up to date")
    )
    rendered = render_jobs(request.root, todo, request.jobs, progress)

    artifacts = [(job, a) for job, arts in zip(todo, rendered, strict=True) for a in arts]
    written = write_files(request.out, [(a.relpath, a.data) for _, a in artifacts])
    manifest = update_manifest(previous, request, loaded, artifacts, written, plan[1])
    if request.shard is None:  # a shard's library is made after the merge
        library = write_library(request.out, manifest, loaded.project)
        manifest["library"] = [
            {"path": w.relpath, "size": w.size, "sha256": w.sha256} for w in library
        ]
    write_files(request.out, [(MANIFEST, manifest_bytes(manifest))])
    skipped = sum(len(j.formats) for j in jobs) - sum(len(j.formats) for j in todo)
    fallbacks = {
        a.relpath: j.brief.fallback_blocks
        for j, a in artifacts
        if j.brief.fallback_blocks and a.kind == "brief"
    }
    timestamp = loaded.project.build_timestamp
    return BuildResult(tuple(written), skipped, loaded.warnings, fallbacks, manifest, timestamp)


def check(root: Path) -> Loaded:
    """Validate the project as a build would, short of rendering: every file, every recipe in
    every locale assembled, every document written through the templates."""
    loaded = load(root)
    request = BuildRequest(root=root, out=root / "build", internal=True)
    prepare(loaded, plan_builds(loaded, request)[0])
    return loaded


def release(
    request: BuildRequest, progress: Progress = lambda event: None
) -> tuple[BuildResult, Path | None]:
    """Build the whole matrix (or a shard of it); unsharded, also write the release archive."""
    result = build(request, progress)
    if request.shard is not None:
        return result, None
    return result, write_archive(request.out, result.manifest, result.timestamp)


def publish_library(root: Path, out: Path, archive: bool) -> Path | None:
    """Write the library page from `out`'s manifest, record it there, and the archive if asked."""
    project = load_project(root)
    manifest = read_manifest(out)
    if not manifest:
        raise BriefgenError(f"{out} has no manifest.json: build or merge first.")
    library = write_library(out, manifest, project)
    manifest["library"] = [{"path": w.relpath, "size": w.size, "sha256": w.sha256} for w in library]
    write_files(out, [(MANIFEST, manifest_bytes(manifest))])
    return write_archive(out, manifest, project.build_timestamp) if archive else None


def plan_builds(
    loaded: Loaded, request: BuildRequest
) -> tuple[list[tuple[str, str, tuple[str, ...]]], list[str]]:
    """(recipe id, locale, formats) for each brief to build, and every path of the full matrix.

    A shard takes every N-th brief of the sorted matrix, so shards never overlap.
    """
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
    # Internal recipes are built only by internal builds; public builds never see them.
    recipes = {
        r.id: r
        for r in loaded.recipes.values()
        if request.internal or r.visibility == "public" or r.id in request.briefs
    }
    for name in request.briefs:
        if name in recipes and recipes[name].visibility != "public" and not request.internal:
            problems.append(
                Problem(
                    recipes[name].path,
                    0,
                    f'the brief "{name}" is internal; build it with --internal.',
                )
            )
    if problems:
        raise ProblemsError(problems)
    plan = []
    for recipe_id in sorted(set(request.briefs or recipes)):
        formats = request.formats or loaded.recipes[recipe_id].formats
        for locale in sorted(set(request.locales or project.locales)):
            plan.append((recipe_id, locale, tuple(formats)))
    # The matrix is the whole release, whatever this run builds: shards and merges check it.
    matrix = sorted(
        artifact_path(recipe.id, locale, format_name)
        for recipe in recipes.values()
        for locale in project.locales
        for format_name in recipe.formats
    )
    if request.shard is not None:
        shard = request.shard
        plan = [item for i, item in enumerate(plan) if i % shard.count == shard.index - 1]
    return plan, matrix


def prepare(
    loaded: Loaded, plan: list[tuple[str, str, tuple[str, ...]]], internal: bool = False
) -> list[Job]:
    """Assemble every planned brief, write its Markdown and digest its inputs (no rendering)."""
    project = loaded.project
    writer = DocumentWriter(project)
    renderer = Renderer(project, loaded.bibliography)
    shared = digest.tree_digest([project.root / "templates", *font_folders(project.root)])
    jobs = []
    for recipe_id, locale, formats in plan:
        data = loaded.data_for(locale)
        brief = assemble(project, loaded.recipes[recipe_id], loaded.content, locale, data, internal)
        figures = figure_names(brief)
        markdown = writer.write(brief, figures)
        strings = writer.strings(locale)
        value = digest.brief_digest(
            brief,
            markdown=markdown,
            metadata=renderer.metadata(brief, strings),
            references=loaded.bibliography.csl_items(brief.cited_keys),
            csl=resolve_csl(project, brief.recipe.csl, brief.recipe.path).read_bytes(),
            shared=shared,
            data=data,
            root=project.root,
            timestamp=project.build_timestamp,
        )
        jobs.append(Job(brief, markdown, formats, figures, value))
    return jobs


def up_to_date(job: Job, done: dict[str, dict[str, Any]], out: Path) -> bool:
    """Whether every output of a job exists, intact, with the digest of today's inputs."""
    for format_name in job.formats:
        entry = done.get(artifact_path(job.brief.id, job.brief.locale, format_name))
        expected = digest.artifact_digest(job.digest, format_name)
        if entry is None or entry.get("input_digest") != expected or not intact(out, entry):
            return False
        for media in entry.get("media", []):
            if not intact(out, done.get(media, {"path": media})):
                return False
    return True


def figure_names(brief: Brief) -> dict[str, str]:
    """The file name of each figure of a brief (block id -> name), known before drawing."""
    names = {}
    for block in brief.blocks:
        if block.figure is not None:
            suffix = Path(block.figure.image).suffix.lower() if block.figure.image else ".png"
            names[block.id] = f"{brief.locale}-{block.id}{suffix}"
    return names


def update_manifest(
    previous: dict[str, Any],
    request: BuildRequest,
    loaded: Loaded,
    artifacts: list[tuple[Job, Artifact]],
    written: list[Written],
    matrix: list[str],
) -> dict[str, Any]:
    """The manifest after this build: new entries replace old ones; vanished files are dropped."""
    out = request.out
    entries = {e["path"]: e for e in previous.get("artifacts", []) if (out / e["path"]).is_file()}
    media_of: dict[tuple[str, str], list[str]] = {}
    for (job, artifact), file in zip(artifacts, written, strict=True):
        brief = job.brief
        entry = {
            "path": artifact.relpath,
            "kind": artifact.kind,
            "brief": brief.id,
            "title": brief.title,
            "subtitle": brief.subtitle,
            "audience": brief.recipe.audience,
            "use_cases": sorted(brief.recipe.use_cases),
            "locale": brief.locale,
            "format": artifact.format,
            "size": file.size,
            "sha256": file.sha256,
        }
        if artifact.kind == "brief":
            entry.update(
                {
                    "input_digest": digest.artifact_digest(job.digest, artifact.format),
                    "blocks": [b.id for b in brief.blocks],
                    "citations": list(brief.cited_keys),
                    "fallback_blocks": list(brief.fallback_blocks),
                }
            )
        else:
            media_of.setdefault((brief.id, brief.locale), []).append(artifact.relpath)
        entries[artifact.relpath] = entry
    for (brief_id, locale), paths in media_of.items():
        entries[artifact_path(brief_id, locale, "md")]["media"] = sorted(paths)
    return {
        "briefgen": digest.tool_versions()["briefgen"],
        "pandoc": pandoc.version(),
        "typst": typst_pdf.version(),
        "content_version": content_version(loaded.project.root),
        "project": loaded.project.name,
        "matrix": matrix,
        "shard": str(request.shard) if request.shard else None,
        "internal": request.internal,
        "artifacts": [entries[path] for path in sorted(entries)],
        "library": previous.get("library", []),
    }
