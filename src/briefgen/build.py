"""The build, top to bottom: load -> assemble -> resolve citations -> render -> write outputs.

    build()
      load()             every file validated; all problems reported together
      plan_builds()      brief x locale x formats, optionally one shard of it
      prepare_each()     assemble each brief, write its Markdown and its typed render job
                         (render/jobs.py); the job's digest covers its inputs
      (skip)             outputs whose digest and file are unchanged
      render_jobs()      cite once per brief, render each format, in parallel processes,
                         each brief as soon as it is written (longest first)
      write_files()      every output atomically, then the manifest

Nothing is written until every brief has rendered: a failure anywhere leaves the output folder and
its manifest as they were.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean
from briefgen.load.loader import Loaded, load
from briefgen.load.project import Project, load_project
from briefgen.model import (
    Artifact,
    FileEntry,
    Manifest,
    ManifestEntry,
    RenderJob,
    artifact_path,
)
from briefgen.publish import digest
from briefgen.publish.library import (
    Look,
    archive_name,
    kept_look,
    render_page,
    write_archive,
    write_library,
)
from briefgen.publish.manifest import (
    MANIFEST,
    content_version,
    file_sha256,
    intact,
    manifest_bytes,
    read_manifest,
    verify,
    write_manifest,
)
from briefgen.publish.outfolder import STATE, refuse_internal, writing_to
from briefgen.publish.output import Written, describe, write_files
from briefgen.render.jobs import (
    Prepared,
    brief_csl,
    pandoc_metadata,
    prepare,
    prepare_each,
    resolve_csl,
)
from briefgen.render.parallel import Progress, ProgressEvent, render_jobs, warm_up
from briefgen.tools import pandoc, typst


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
    strict: bool = False  # warnings stop the build, as errors do
    untranslated: str = ""  # refuse or fallback for this build; "" follows recipes and project

    @classmethod
    def for_project(cls, root: Path, out: Path | None = None, **options: Any) -> BuildRequest:
        """A request with the output-folder policy applied: build/, or build-internal/ for
        internal builds, so that internal pages never land where public ones are published."""
        default = root / ("build-internal" if options.get("internal") else "build")
        return cls(root=root, out=(out or default).resolve(), **options)


@dataclass(frozen=True)
class BuildResult:
    written: tuple[Written, ...]
    skipped: int  # outputs left in place because nothing they depend on changed
    warnings: tuple[Problem, ...]
    fallbacks: dict[str, tuple[str, ...]]  # artifact path -> block ids shown in the source locale
    manifest: Manifest
    timestamp: int  # the build's fixed timestamp (for the archive's entry dates)
    # The project as this build loaded it (None when nothing had changed: it loaded nothing), for
    # a caller that goes on working with it, as the live preview does.
    loaded: Loaded | None = field(default=None, compare=False, repr=False)


def build(request: BuildRequest, progress: Progress = lambda event: None) -> BuildResult:
    """Build the requested briefs; raise ProblemsError or ToolError before writing anything."""
    return _build(request, progress)


def _build(request: BuildRequest, progress: Progress) -> BuildResult:
    project = load_project(request.root)
    key = digest.build_key(project, _request_key(request))
    unchanged = None if request.force else _unchanged(request, project, key)
    if unchanged is not None:
        progress(ProgressEvent(0, 0, "nothing changed since the last build"))
        return unchanged
    if not request.briefs and not request.formats:
        warm_up(request.jobs)  # a full build: start the workers' imports while we load
    loaded = load(request.root, project=project)
    if request.strict and loaded.warnings:
        raise ProblemsError([w.as_error() for w in loaded.warnings])
    plan, matrix = plan_builds(loaded, request)
    # The project is valid: now the output folder is checked and held until the build ends.
    with writing_to(request.out, request.root, request.internal):
        return _write_build(request, progress, loaded, plan, matrix, key)


def _write_build(
    request: BuildRequest,
    progress: Progress,
    loaded: Loaded,
    plan: list[tuple[str, str, tuple[str, ...]]],
    matrix: list[str],
    key: str,
) -> BuildResult:
    previous = read_manifest(request.out) or Manifest.empty()
    done = {e.path: e for e in previous.artifacts}
    prepared: list[Prepared] = []
    todo: list[Prepared] = []
    finished = _Finished(len(plan), progress)

    def to_render() -> Iterator[RenderJob]:
        # Each brief goes to the workers as soon as it is written, while the next is written.
        for item in prepare_each(
            loaded, plan, request.internal, request.untranslated, longest_first=True
        ):
            prepared.append(item)
            if request.force or not up_to_date(item.job, done, request.out):
                todo.append(item)
                yield item.job
            else:
                finished(ProgressEvent(0, 0, f"{item.job.label}: up to date"))

    tasks = sum(len(formats) for _, _, formats in plan)
    rendered = render_jobs(to_render(), request.jobs, finished, tasks=tasks, briefs=len(plan))

    artifacts = [(p, a) for p, arts in zip(todo, rendered, strict=True) for a in arts]
    files = [(a.relpath, a.data) for _, a in artifacts]
    written = [describe(relpath, data) for relpath, data in files]
    manifest = update_manifest(
        previous,
        request.out,
        loaded.project,
        artifacts,
        written,
        matrix,
        shard=request.shard,
        internal=request.internal,
    )
    library: list[tuple[str, bytes]] = []
    if request.shard is None:  # a shard's library is made after the merge
        every_brief = not (request.briefs or request.locales or request.formats)
        look = (
            Look.of_project(loaded.project)
            if every_brief
            else kept_look(request.out, previous, loaded.project)
        )
        library = sorted(render_page(manifest, loaded.project, loaded.strings, look).items())
        entries = (describe(relpath, data) for relpath, data in library)
        manifest = replace(
            manifest,
            library=tuple(FileEntry(w.relpath, w.size, w.sha256) for w in entries),
            library_branding=look.branding,
        )
    # One write: every file staged first, renamed into place only when all are on disk, the
    # manifest last. A full disk leaves the earlier outputs and manifest as they were.
    write_files(request.out, [*files, *library, (MANIFEST, manifest_bytes(manifest))])
    _save_state(request.out, key, loaded.warnings)
    skipped = sum(len(p.job.formats) for p in prepared) - sum(len(p.job.formats) for p in todo)
    fallbacks = {
        a.relpath: p.brief.fallback_blocks
        for p, a in artifacts
        if p.brief.fallback_blocks and a.kind == "brief"
    }
    timestamp = loaded.project.build_timestamp
    return BuildResult(
        tuple(written), skipped, loaded.warnings, fallbacks, manifest, timestamp, loaded
    )


class _Finished:
    """Progress over every planned brief, rendered or found up to date, in the order they
    finish (rendering reports its own briefs; the count here covers both)."""

    def __init__(self, total: int, progress: Progress) -> None:
        self.total, self.progress, self.done = total, progress, 0

    def __call__(self, event: ProgressEvent) -> None:
        self.done += 1
        self.progress(ProgressEvent(self.done, self.total, event.message))


def _request_key(request: BuildRequest) -> str:
    """What a build was asked for, beyond the project's files (which digest.build_key reads)."""
    import os

    asked = {
        "briefs": sorted(request.briefs),
        "locales": sorted(request.locales),
        "formats": list(request.formats),
        "shard": str(request.shard) if request.shard else None,
        "internal": request.internal,
        "untranslated": request.untranslated,
        "epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "pandoc": pandoc.executable(),
        "content_version": content_version(request.root),
    }
    return json.dumps(asked, sort_keys=True)


def _unchanged(request: BuildRequest, project: Project, key: str) -> BuildResult | None:
    """The last build's result, if the project, the tools and the request are exactly as they
    were and every file the manifest lists is intact; else None (build as usual).

    This skips loading and assembling the project: a no-change rebuild only hashes the inputs
    and re-hashes the outputs. Any difference at all, or any damaged output, falls through.
    """
    manifest = read_manifest(request.out)
    state = _read_state(request.out)
    if manifest is None or state.get("key") != key or verify(request.out):
        return None
    warnings = tuple(Problem(**w) for w in state.get("warnings", []))
    if request.strict and warnings:
        raise ProblemsError([w.as_error() for w in warnings])
    outputs = sum(1 for e in manifest.artifacts if e.kind == "brief")
    return BuildResult((), outputs, warnings, {}, manifest, project.build_timestamp)


def _read_state(out: Path) -> dict[str, Any]:
    try:
        state = json.loads((out / STATE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _save_state(out: Path, key: str, warnings: tuple[Problem, ...]) -> None:
    # Written last, after the outputs and the manifest: a build that stopped halfway leaves
    # the previous key, which no longer matches, so the next build checks everything.
    payload = {"key": key, "warnings": [dataclasses.asdict(w) for w in warnings]}
    write_files(out, [(STATE, json.dumps(payload, sort_keys=True).encode())])


def check(root: Path) -> Loaded:
    """Validate the project as a build would, short of rendering: every file, every recipe in
    every locale assembled, every document written through the templates."""
    loaded = load(root)
    request = BuildRequest(root=root, out=root / "build", internal=True)
    prepare(loaded, plan_builds(loaded, request)[0], untranslated="fallback")
    return loaded


def assembled_markdown(root: Path, brief_id: str, locale: str | None = None) -> str:
    """A brief's assembled pandoc Markdown with its metadata as a YAML header: the one input
    every renderer starts from. The header also carries the CSL items it cites (`references`)
    and the path of its citation style (`csl`), so `pandoc --citeproc` can read it alone."""
    loaded = load(root)
    locale = locale or loaded.project.source_locale
    request = BuildRequest(root=root, out=root / "build", briefs=(brief_id,), locales=(locale,))
    plan, _ = plan_builds(loaded, request)
    prepared = prepare(loaded, plan[:1])[0]
    recipe = prepared.brief.recipe
    header: dict[str, Any] = {
        key: _header_value(value) for key, value in pandoc_metadata(prepared.job).items()
    }
    header["references"] = json.loads(prepared.job.references)
    header["link-citations"] = True  # as the renderer cites (render.to_json)
    header["csl"] = str(
        resolve_csl(loaded.project, brief_csl(loaded.project, prepared.brief), recipe.path)
    )
    front = yaml.safe_dump(header, allow_unicode=True, sort_keys=True, width=100)
    return f"---\n{front}---\n\n{prepared.job.markdown}"


def release(
    request: BuildRequest, progress: Progress = lambda event: None
) -> tuple[BuildResult, Path | None]:
    """Build the whole matrix (or a shard of it); unsharded, also write the release archive."""
    with writing_to(request.out, request.root, internal=False):
        return _release(request, progress)


def _release(request: BuildRequest, progress: Progress) -> tuple[BuildResult, Path | None]:
    result = _build(request, progress)
    if request.shard is not None:
        return result, None
    target = request.out / archive_name(result.manifest.content_version)
    state = _read_state(request.out)
    recorded = state.get("archive", {})
    if (
        not result.written
        and recorded.get("path") == target.name
        and target.is_file()
        and file_sha256(target) == recorded.get("sha256")
    ):
        return result, target  # the same build: the same archive, already in place
    path = write_archive(request.out, result.manifest, result.timestamp)
    state["archive"] = {"path": path.name, "sha256": file_sha256(path)}
    write_files(request.out, [(STATE, json.dumps(state, sort_keys=True).encode())])
    return result, path


def publish_library(root: Path, out: Path, archive: bool) -> Path | None:
    """Write the library page from `out`'s manifest, record it there, and the archive if asked."""
    project = load_project(root)
    refuse_internal(out, "the library page" + (" and archive" if archive else ""))
    manifest = read_manifest(out)
    if manifest is None:
        raise BriefgenError(f"{out} has no manifest.json: build or merge first.")
    library = write_library(out, manifest, project)
    manifest = replace(
        manifest,
        library=tuple(FileEntry(w.relpath, w.size, w.sha256) for w in library),
        library_branding=project.branding,
    )
    write_manifest(out, manifest)
    return write_archive(out, manifest, project.build_timestamp) if archive else None


def _header_value(value: dict[str, Any]) -> Any:
    """A metadata value as YAML that pandoc's Markdown reader reads back to it: text and flags
    as they are; inlines (the contact line) as Markdown, each link an autolink."""
    if value["t"] != "MetaInlines":
        return value["c"]
    return "".join(
        f"<{inline['c'][2][0]}>" if inline["t"] == "Link" else inline["c"] for inline in value["c"]
    )


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


def up_to_date(job: RenderJob, done: dict[str, ManifestEntry], out: Path) -> bool:
    """Whether every output of a job exists, intact, with the digest of today's inputs."""
    for format_name in job.formats:
        entry = done.get(artifact_path(job.brief_id, job.locale, format_name))
        if entry is None or entry.input_digest != job.format_digest(format_name):
            return False
        if not intact(out, entry):
            return False
        for media in entry.media:
            media_entry = done.get(media)
            if media_entry is None or not intact(out, media_entry):
                return False
    return True


def update_manifest(
    previous: Manifest,
    out: Path,
    project: Project,
    artifacts: list[tuple[Prepared, Artifact]],
    written: list[Written],
    matrix: list[str],
    shard: Shard | None = None,
    internal: bool = False,
) -> Manifest:
    """The manifest of `out` after writing `artifacts` to it: new entries replace old ones;
    vanished files are dropped."""
    entries = {e.path: e for e in previous.artifacts if (out / e.path).is_file()}
    media_of: dict[tuple[str, str], list[str]] = {}
    for (item, artifact), file in zip(artifacts, written, strict=True):
        brief = item.brief
        is_brief = artifact.kind == "brief"
        entries[artifact.relpath] = ManifestEntry(
            path=artifact.relpath,
            kind=artifact.kind,
            brief=brief.id,
            title=brief.title,
            subtitle=brief.subtitle,
            audience=brief.recipe.audience,
            use_cases=tuple(sorted(brief.recipe.use_cases)),
            locale=brief.locale,
            format=artifact.format,
            size=file.size,
            sha256=file.sha256,
            input_digest=item.job.format_digest(artifact.format) if is_brief else "",
            blocks=tuple(b.id for b in brief.blocks) if is_brief else (),
            citations=brief.cited_keys if is_brief else (),
            fallback_blocks=brief.fallback_blocks if is_brief else (),
        )
        if not is_brief:
            media_of.setdefault((brief.id, brief.locale), []).append(artifact.relpath)
    for (brief_id, locale), paths in media_of.items():
        path = artifact_path(brief_id, locale, "md")
        entries[path] = replace(entries[path], media=tuple(sorted(paths)))
    return Manifest(
        briefgen=digest.tool_versions()["briefgen"],
        pandoc=pandoc.version(),
        typst=typst.version(),
        content_version=content_version(project.root),
        project=project.name,
        matrix=tuple(matrix),
        shard=str(shard) if shard else None,
        internal=internal,
        artifacts=tuple(entries[path] for path in sorted(entries)),
        library=previous.library,
    )
