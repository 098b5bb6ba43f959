"""Building and publishing: build, assemble, release, verify, manifest merge, library."""

from __future__ import annotations

from pathlib import Path

import click

from briefgen.build import BuildRequest, Shard, assembled_markdown, build, publish_library, release
from briefgen.cli.common import (
    Choice,
    Context,
    ProgressDisplay,
    fail,
    output_options,
    report,
    run,
)
from briefgen.model import DEFAULT_FORMATS
from briefgen.publish.manifest import merge_files, read_manifest, verify
from briefgen.render.parallel import default_jobs


def run_build(ctx: Context, request: BuildRequest, quiet: bool, archive: bool) -> None:
    with ProgressDisplay(quiet) as display:
        if archive:
            result, path = run(ctx, lambda: release(request, display))
        else:
            result, path = run(ctx, lambda: build(request, display)), None
    report(result.warnings)
    # One line per brief and locale (not per format): what a reader gets in the source language.
    briefs: dict[str, tuple[str, ...]] = {}
    for item, ids in sorted(result.fallbacks.items()):
        briefs.setdefault(item.rsplit(".", 1)[0], ids)
    for stem, ids in briefs.items():
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        click.secho(
            f"note: {stem} shows {len(ids)} block(s) in the source language, marked as such: "
            f"{shown} (all are listed in the manifest)",
            fg="cyan",
            err=True,
        )
    if not quiet:
        click.echo(
            f"wrote {len(result.written)} file(s), {result.skipped} unchanged, in {request.out}"
        )
        if path is not None:
            click.echo(f"release archive: {path}")


@click.command("build")
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
    type=Choice(DEFAULT_FORMATS),
    metavar="F",
    help=f"Build only this format (repeatable): {', '.join(DEFAULT_FORMATS)}. "
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
    strict: bool,
    untranslated: str | None,
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
    request = BuildRequest.for_project(
        ctx.root,
        out,
        internal=internal,
        briefs=briefs,
        locales=locales,
        formats=formats,
        jobs=jobs or default_jobs(),
        force=force,
        strict=strict,
        untranslated=untranslated or "",
    )
    run_build(ctx, request, quiet, archive=everything)


@click.command("assemble")
@click.argument("brief")
@click.option("--locale", default=None, metavar="L", help="The locale (default: the source's).")
@click.pass_obj
def assemble_command(ctx: Context, brief: str, locale: str | None) -> None:
    """Print a brief's assembled pandoc Markdown, with its metadata as a YAML header.

    This is the common input of every format: useful to see what a recipe chose, to debug a
    template, or to run pandoc by hand.

    \b
    Examples:
      briefgen assemble government
      briefgen assemble education --locale en > education.md
      pandoc --citeproc education.md -o education.html
    """
    click.echo(
        run(ctx, lambda: assembled_markdown(ctx.root, brief, locale), writes=False), nl=False
    )


@click.command("release")
@click.option(
    "--shard",
    metavar="K/N",
    default=None,
    help="Build only share K of N of the matrix (for CI runners); no archive.",
)
@output_options
@click.pass_obj
def release_command(
    ctx: Context,
    shard: str | None,
    out: Path | None,
    jobs: int | None,
    force: bool,
    quiet: bool,
    strict: bool,
    untranslated: str | None,
) -> None:
    """Build every brief x locale x format, the library page, the manifest and the archive.

    The archive is build/release/briefs-<version>.zip, where the version is the content's git
    tag or commit (or BRIEFGEN_CONTENT_VERSION).

    \b
    Examples:
      briefgen release
      briefgen release --shard 2/3 --out shard-2
    """
    parsed = run(ctx, lambda: Shard.parse(shard)) if shard else None
    request = BuildRequest.for_project(
        ctx.root,
        out,
        jobs=jobs or default_jobs(),
        shard=parsed,
        force=force,
        strict=strict,
        untranslated=untranslated or "",
    )
    run_build(ctx, request, quiet, archive=True)


@click.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option(
    "--internal",
    is_flag=True,
    help="The folder is an internal build (without this, internal briefs are a failure).",
)
@click.pass_obj
def verify_command(ctx: Context, folder: Path | None, internal: bool) -> None:
    """Re-hash every file of a build against its manifest; exit 1 on any difference, or if
    the folder holds internal briefs (unless --internal).

    \b
    Example:
      briefgen verify build/
      briefgen verify --internal build-internal/
    """
    target = folder or ctx.root / ("build-internal" if internal else "build")
    differences = run(ctx, lambda: verify(target, internal), writes=False)
    for line in differences:
        click.echo(click.style("error: ", fg="red") + line, err=True)
    if differences:
        fail(f"{len(differences)} difference(s) between {target} and its manifest.")
    manifest = read_manifest(target)
    count = len(manifest.artifacts) + len(manifest.library) if manifest else 0
    click.echo(f"ok: {count} files match the manifest.")


@click.group("manifest")
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
    merged = run(ctx, lambda: merge_files(manifests, out.resolve()))
    click.echo(f"merged {len(manifests)} manifests: {len(merged.artifacts)} files.")


@click.command("library")
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
