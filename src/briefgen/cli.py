"""The `briefgen` command: the only place that prints, colours output and chooses exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from briefgen import __version__
from briefgen.build import (
    BuildRequest,
    Shard,
    build,
    publish_library,
    release,
)
from briefgen.build import (
    check as check_project,
)
from briefgen.check import load
from briefgen.errors import BriefgenError, Problem, ProblemsError, ToolError
from briefgen.manifest import manifest_bytes, merge, read_manifest, verify
from briefgen.output import write_files
from briefgen.parallel import ProgressEvent, default_jobs
from briefgen.project import FORMATS, find_project_root

EXIT_PROBLEMS = 1
EXIT_TOOL = 2


class Context:
    def __init__(self, project: Path | None, debug: bool) -> None:
        self.project_option = project
        self.debug = debug

    @property
    def root(self) -> Path:
        if self.project_option is not None:
            root = self.project_option.resolve()
            if not (root / "briefgen.yaml").is_file():
                fail(f"{root} is not a briefgen project: it has no briefgen.yaml.")
            return root
        found = find_project_root(Path.cwd().resolve())
        if found is None:
            fail(
                "no briefgen.yaml here or in any parent folder; run briefgen inside a project "
                "or pass --project DIR."
            )
        return found


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def report(problems: tuple[Problem, ...], label: str, colour: str) -> None:
    for item in problems:
        click.echo(click.style(f"{label}: ", fg=colour) + str(item), err=True)


def run(ctx: Context, action: Callable[[], Any]) -> Any:
    """Run a library call, turning its errors into messages and exit codes."""
    try:
        return action()
    except ProblemsError as error:
        report(error.problems, "error", "red")
        report(error.warnings, "warning", "yellow")
        count = len(error.problems)
        fail(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.")
    except ToolError as error:
        if ctx.debug and error.command:
            click.echo(f"command: {error.command}", err=True)
        fail(f"{error} Nothing was written.", EXIT_TOOL)
    except BriefgenError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; nothing half-written was left behind.", 130)
    except Exception:
        if ctx.debug:
            raise
        click.echo(traceback.format_exc().splitlines()[-1], err=True)
        fail(
            "an internal error occurred (a bug in briefgen); run again with --debug and report "
            "the traceback.",
            3,
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    help="The project folder (default: the nearest folder with a briefgen.yaml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and tool commands on failure.")
@click.pass_context
def main(click_ctx: click.Context, project: Path | None, debug: bool) -> None:
    """Build advocacy briefs from content blocks, recipes and a bibliography.

    \b
    Example:
      briefgen check --strict
      briefgen build education --format pdf --format docx
    """
    click_ctx.obj = Context(project, debug)


def output_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by build and release."""
    options = [
        click.option(
            "--out",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Output folder (default: build/ in the project).",
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            default=None,
            help="Parallel worker processes (default: the machine's cores).",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Rebuild every output, even those whose inputs did not change.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="Print only errors and warnings."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


class ProgressDisplay:
    """A progress bar on a terminal; plain log lines elsewhere (CI logs)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> ProgressDisplay:
        if not self.quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def __call__(self, event: ProgressEvent) -> None:
        if self.quiet:
            return
        if self.bar is None:
            prefix = f"[{event.done}/{event.total}] " if event.done else ""
            click.echo(f"{prefix}{event.message}", err=True)
        elif event.done == 0:
            self.bar.console.print(event.message)
            self.task = self.bar.add_task("rendering", total=event.total)
        else:
            self.bar.update(self.task, completed=event.done, description=event.message)


def run_build(ctx: Context, request: BuildRequest, quiet: bool, archive: bool) -> None:
    with ProgressDisplay(quiet) as display:
        if archive:
            result, path = run(ctx, lambda: release(request, display))
        else:
            result, path = run(ctx, lambda: build(request, display)), None
    report(result.warnings, "warning", "yellow")
    for item, ids in sorted(result.fallbacks.items()):
        click.secho(
            f"note: {item} shows {len(ids)} block(s) in the source language: {', '.join(ids)}",
            fg="yellow",
            err=True,
        )
    if not quiet:
        click.echo(
            f"wrote {len(result.written)} file(s), {result.skipped} unchanged, in {request.out}"
        )
        if path is not None:
            click.echo(f"release archive: {path}")


@main.command("build")
@click.argument("briefs", nargs=-1)
@click.option(
    "--locale",
    "locales",
    multiple=True,
    metavar="L",
    help="Build only this locale (repeatable). Default: every locale of the project.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(FORMATS),
    metavar="F",
    help=f"Build only this format (repeatable): {', '.join(FORMATS)}. "
    "Default: the formats each recipe names.",
)
@click.option(
    "--internal",
    is_flag=True,
    help="Include internal and embargoed blocks and briefs, mark every page internal, "
    "and write to build-internal/ (not build/).",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Build the whole matrix and the release archive (same as: briefgen release).",
)
@output_options
@click.pass_obj
def build_command(
    ctx: Context,
    briefs: tuple[str, ...],
    locales: tuple[str, ...],
    formats: tuple[str, ...],
    internal: bool,
    everything: bool,
    out: Path | None,
    jobs: int | None,
    force: bool,
    quiet: bool,
) -> None:
    """Build briefs (default: every shipped brief, in every locale and format).

    Outputs whose inputs did not change since the last build are kept as they are.

    \b
    Examples:
      briefgen build
      briefgen build government --locale en --format pdf
      briefgen build --out /tmp/briefs --jobs 2
      briefgen build --internal government
    """
    if everything and (briefs or locales or formats):
        fail("--all builds the whole matrix; leave out briefs, --locale and --format.")
    if everything and internal:
        fail("--all publishes a release; internal builds are not released.")
    root = ctx.root
    default_out = root / ("build-internal" if internal else "build")
    request = BuildRequest(
        root=root,
        out=(out or default_out).resolve(),
        internal=internal,
        briefs=briefs,
        locales=locales,
        formats=formats,
        jobs=jobs or default_jobs(),
        force=force,
    )
    run_build(ctx, request, quiet, archive=everything)


@main.command("release")
@click.option(
    "--shard",
    metavar="K/N",
    default=None,
    help="Build only share K of N of the matrix (for CI runners); no archive.",
)
@output_options
@click.pass_obj
def release_command(
    ctx: Context, shard: str | None, out: Path | None, jobs: int | None, force: bool, quiet: bool
) -> None:
    """Build every brief x locale x format, the library page, the manifest and the archive.

    The archive is build/release/briefs-<version>.zip, where the version is the content's git
    tag or commit (or BRIEFGEN_CONTENT_VERSION).

    \b
    Examples:
      briefgen release
      briefgen release --shard 2/3 --out shard-2
    """
    root = ctx.root
    parsed = run(ctx, lambda: Shard.parse(shard)) if shard else None
    request = BuildRequest(
        root=root,
        out=(out or root / "build").resolve(),
        jobs=jobs or default_jobs(),
        shard=parsed,
        force=force,
    )
    run_build(ctx, request, quiet, archive=True)


@main.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.pass_obj
def verify_command(ctx: Context, folder: Path | None) -> None:
    """Re-hash every file of a build against its manifest; exit 1 on any difference.

    \b
    Example:
      briefgen verify build/
    """
    target = folder or ctx.root / "build"
    differences = run(ctx, lambda: verify(target))
    for line in differences:
        click.echo(click.style("error: ", fg="red") + line, err=True)
    if differences:
        fail(f"{len(differences)} difference(s) between {target} and its manifest.")
    manifest = read_manifest(target)
    click.echo(
        f"ok: {len(manifest['artifacts']) + len(manifest.get('library', []))} files "
        "match the manifest."
    )


@main.group("manifest")
def manifest_group() -> None:
    """Work with build manifests (merge the shards of a release).

    \b
    Example:
      briefgen manifest merge shard-*/manifest.json --out build/manifest.json
    """


@manifest_group.command("merge")
@click.argument(
    "manifests",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the merged manifest.",
)
@click.pass_obj
def merge_command(ctx: Context, manifests: tuple[Path, ...], out: Path) -> None:
    """Join shard manifests; fail if any output is missing or built twice.

    \b
    Example:
      briefgen manifest merge shard-1/manifest.json shard-2/manifest.json --out build/manifest.json
    """
    merged = run(ctx, lambda: merge([(str(p), read_manifest(p)) for p in manifests]))
    run(ctx, lambda: write_files(out.parent.resolve(), [(out.name, manifest_bytes(merged))]))
    click.echo(f"merged {len(manifests)} manifests: {len(merged['artifacts'])} files.")


@main.command("serve")
@click.argument(
    "folder", type=click.Path(file_okay=False, exists=True, path_type=Path), required=False
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free port).",
)
@click.pass_obj
def serve_command(ctx: Context, folder: Path | None, port: int) -> None:
    """Preview a build in your browser, on this machine only (127.0.0.1).

    \b
    Example:
      briefgen serve build/ --port 8000
    """
    from briefgen.serve import make_server

    target = folder or ctx.root / "build"
    try:
        server = make_server(target, port)
    except OSError as error:
        fail(f"cannot listen on 127.0.0.1:{port}: {error.strerror}.")
    host, bound = str(server.server_address[0]), server.server_address[1]
    click.echo(f"serving {target} at http://{host}:{bound}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command("library")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--archive/--no-archive", default=True, help="Also write the release archive.")
@click.pass_obj
def library_command(ctx: Context, folder: Path | None, archive: bool) -> None:
    """Write the library page (and release archive) for a build folder from its manifest.

    Used after merging shards; `release` does this itself.

    \b
    Example:
      briefgen library build/
    """
    target = (folder or ctx.root / "build").resolve()
    path = run(ctx, lambda: publish_library(ctx.root, target, archive))
    click.echo(f"library: {target / 'index.html'}" + (f"; archive: {path}" if path else ""))


@main.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_obj
def check_command(ctx: Context, strict: bool) -> None:
    """Validate content, vocabularies, recipes and citations; write nothing.

    Exit status 1 on errors (and on warnings with --strict).

    \b
    Example:
      briefgen check --strict
    """
    loaded = run(ctx, lambda: check_project(ctx.root))
    report(loaded.warnings, "warning", "yellow")
    blocks = len(loaded.content.all_blocks())
    summary = (
        f"{blocks} blocks, {len(loaded.recipes)} briefs, {len(loaded.bibliography.entries)} sources"
    )
    if strict and loaded.warnings:
        count = len(loaded.warnings)
        fail(f"{count} warning{'s' if count != 1 else ''} with --strict ({summary}).")
    click.echo(f"ok: {summary}; no problems found.")


@main.command("list")
@click.argument(
    "what", type=click.Choice(["briefs", "blocks", "vocabularies", "all"]), default="all"
)
@click.pass_obj
def list_command(ctx: Context, what: str) -> None:
    """List briefs, blocks and vocabularies.

    \b
    Examples:
      briefgen list
      briefgen list blocks
    """
    loaded = run(ctx, lambda: load(ctx.root))
    project = loaded.project
    if what in ("briefs", "all"):
        click.secho("Briefs", bold=True)
        for recipe in loaded.recipes.values():
            title = next(iter(recipe.title.values()), "")
            use_cases = ", ".join(sorted(recipe.use_cases))
            click.echo(f"  {recipe.id:<24} {title}  [{recipe.audience}; {use_cases}]")
    if what in ("blocks", "all"):
        click.secho("Blocks", bold=True)
        for block in loaded.content.all_blocks():
            click.echo(
                f"  {block.locale:<6} {block.id:<44} {block.kind:<15} p{block.priority}  "
                f"{block.path}"
            )
    if what in ("vocabularies", "all"):
        click.secho("Vocabularies", bold=True)
        click.echo(f"  locales: {', '.join(project.locales)} (source: {project.source_locale})")
        for name, vocabulary in project.vocabularies.items():
            click.echo(f"  {name}:")
            for key, label in vocabulary.items():
                click.echo(f"    {key:<20} {label}")


if __name__ == "__main__":  # pragma: no cover
    main()
