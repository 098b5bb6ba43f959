"""The `briefgen` command: the only place that prints, colours output and chooses exit codes."""

from __future__ import annotations

import re
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from briefgen import __version__
from briefgen.build import BuildRequest, Shard, assembled_markdown, build, publish_library, release
from briefgen.build import check as check_project
from briefgen.errors import BriefgenError, Problem, ProblemsError, ToolError, did_you_mean
from briefgen.load.loader import load
from briefgen.load.project import find_project_root
from briefgen.model import DEFAULT_FORMATS
from briefgen.publish.manifest import merge_files, read_manifest, verify
from briefgen.render.parallel import ProgressEvent, default_jobs

if TYPE_CHECKING:
    from briefgen.preview.live import Outcome as PreviewOutcome

EXIT_PROBLEMS = 1
EXIT_TOOL = 2
EXIT_USAGE = 2  # a command line that asks for something that does not exist


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


# Control characters (an escape sequence can rewrite or hide what a terminal shows) are printed
# as visible codes: a block, a title or a file name is the user's text, not the terminal's.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    click.secho(f"error: {printable(message)}", fg="red", err=True)
    sys.exit(code)


COLOURS = {"error": "red", "warning": "yellow", "note": "cyan"}


class Choice(click.Choice):  # type: ignore[type-arg]
    """click's Choice, with the closest valid value suggested for a near miss."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(
                f'"{value}" is not one of {", ".join(map(str, self.choices))}'
                f"{did_you_mean(str(value), map(str, self.choices))}.",
                param,
                ctx,
            )


def report(problems: tuple[Problem, ...]) -> None:
    """Print diagnostics as `severity: path:line: message`, one a line."""
    for item in problems:
        label = item.severity
        click.echo(
            click.style(f"{label}: ", fg=COLOURS.get(label, "red")) + printable(str(item)),
            err=True,
        )


def run(ctx: Context, action: Callable[[], Any], writes: bool = True) -> Any:
    """Run a library call, turning its errors into messages and exit codes. A command that
    never writes (`writes=False`) does not say that it wrote nothing."""
    try:
        return action()
    except ProblemsError as error:
        report(error.problems)
        report(error.warnings)
        count = len(error.problems)
        found = f"{count} problem{'s' if count != 1 else ''} found"
        fail(f"{found}; nothing was written." if writes else f"{found}.")
    except ToolError as error:
        if ctx.debug and error.command:
            click.echo(f"command: {error.command}", err=True)
        fail(f"{error} Nothing was written." if writes else str(error), EXIT_TOOL)
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
    signal.signal(signal.SIGINT, signal.default_int_handler)  # see briefgen/__init__.py
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
        click.option(
            "--strict", is_flag=True, help="Treat warnings as errors: build nothing if any."
        ),
        click.option(
            "--untranslated",
            type=Choice(["refuse", "fallback"]),
            default=None,
            help="What briefs do with blocks not (or no longer) translated: refuse to build, "
            "or show the source text, marked (default: the recipe's, else briefgen.yaml's).",
        ),
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
        else:
            if self.task is None:  # the first brief done: the bar starts
                self.task = self.bar.add_task("rendering", total=event.total)
            self.bar.update(self.task, completed=event.done, description=event.message)


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


@main.command("assemble")
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


def _comma_list(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--format pdf,docx` and `--format pdf --format docx` alike, in the order given."""
    items = [item.strip() for value in values for item in value.split(",")]
    return tuple(dict.fromkeys(item for item in items if item))


@main.command("compose")
@click.option("--audience", default="", metavar="A", help="Who the brief is for (required).")
@click.option(
    "--use-case",
    "use_cases",
    multiple=True,
    metavar="U",
    help="What it is about (required; repeatable).",
)
@click.option(
    "--right",
    "rights",
    multiple=True,
    metavar="R",
    help="Keep to blocks that speak to this right (repeatable); they also rank higher.",
)
@click.option(
    "--words",
    type=int,
    default=None,
    metavar="N",
    help="Budget: at most N words of body, references not counted (Chinese: 1.7 characters "
    "count as one word).",
)
@click.option(
    "--pages",
    type=int,
    default=None,
    metavar="N",
    help="Budget: at most N A4 pages of PDF, checked on the real PDF. Default: --pages 2.",
)
@click.option("--locale", default="", metavar="L", help="The language (default: the source's).")
@click.option(
    "--format",
    "formats",
    multiple=True,
    metavar="F,...",
    help=f"Formats, comma-separated: {', '.join(DEFAULT_FORMATS)}. Default: pdf,docx.",
)
@click.option("--title", default="", metavar="T", help="The title (default: from the use cases).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: build-compose/ in the project).",
)
@click.option(
    "--save-recipe",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write the recipe of this brief, to keep, edit and rebuild with briefgen build.",
)
@click.option(
    "--prepared-for",
    default="",
    metavar="TEXT",
    help='The "Prepared for" line, e.g. "the Ministry of Education" (default: the audience).',
)
@click.option(
    "--date",
    "date_text",
    default="today",
    metavar="YYYY-MM-DD|today",
    help="The date printed in the brief. Default: today.",
)
@click.option(
    "--include",
    multiple=True,
    metavar="ID",
    help="Pin this block in: it goes in first and counts against the budget (repeatable).",
)
@click.option("--exclude", multiple=True, metavar="ID", help="Never use this block (repeatable).")
@click.option(
    "--order",
    multiple=True,
    metavar="ID,...",
    help="Blocks in this order within their sections (the others keep their places).",
)
@click.option(
    "--untranslated",
    default="fallback",
    metavar="fallback|refuse",
    help="In another language, a block with no current translation stays in the source "
    "language (fallback, said before building), or compose stops (refuse).",
)
@click.option("--verbose", "-v", is_flag=True, help="List every block left out, not the first 10.")
@click.pass_obj
def compose_command(
    ctx: Context,
    audience: str,
    use_cases: tuple[str, ...],
    rights: tuple[str, ...],
    words: int | None,
    pages: int | None,
    locale: str,
    formats: tuple[str, ...],
    title: str,
    out: Path | None,
    save_recipe: Path | None,
    prepared_for: str,
    date_text: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    order: tuple[str, ...],
    untranslated: str,
    verbose: bool,
) -> None:
    """Compose a brief for an audience and a use case, to a length, with no recipe file.

    Chooses blocks by audience, use case, rights and priority, and fits them into the budget:
    first the opening for the audience, the key evidence and what is asked (the references
    follow), then the rest by priority and relevance. Prints what went in, what was left out
    and why, and the words and pages produced. Without --words or --pages: two pages.

    \b
    Examples:
      briefgen compose --audience government --use-case education --pages 2 --format pdf,docx
      briefgen compose --audience companies --use-case education --right privacy --words 800
      briefgen compose --audience government --use-case education --locale zh-Hans \\
          --save-recipe briefs/thursday.yaml
    """
    from briefgen.compose import COMPOSE_FORMATS, ComposeRequest, compose, parse_date

    date = run(ctx, lambda: parse_date(date_text))
    request = ComposeRequest(
        root=ctx.root,
        audience=audience,
        use_cases=use_cases,
        rights=rights,
        words=words,
        pages=pages,
        locale=locale,
        formats=_comma_list(formats) or COMPOSE_FORMATS,
        title=title,
        out=out.resolve() if out else None,
        save_recipe=save_recipe,
        jobs=min(default_jobs(), 2),
        prepared_for=prepared_for.strip(),
        date=date,
        include=_comma_list(include),
        exclude=_comma_list(exclude),
        untranslated=untranslated,
        order=_comma_list(order),
    )

    def notice(text: str) -> None:
        click.secho(f"note: {text}", fg="cyan", err=True)

    with ProgressDisplay(quiet=True) as display:
        composed = run(ctx, lambda: compose(request, display, notice))
    print_composed(composed, verbose)


LEFT_OUT_SHOWN = 10


def print_composed(composed: Any, verbose: bool) -> None:
    """What went in (per section), what stayed out and why, and the words and pages."""
    from briefgen.compose import why_chosen

    recipe = composed.recipe
    title = recipe.title.get(composed.locale) or next(iter(recipe.title.values()))
    click.secho(f"{title} ({recipe.id}, {composed.locale})", bold=True)
    for heading, candidates in composed.sections:
        click.echo(f"  {heading}")
        for candidate in candidates:
            why = f"  {why_chosen(candidate)}" if why_chosen(candidate) else ""
            click.echo(f"    {candidate.block.id:<40} {candidate.words:>5} words{why}")
    left = composed.left_out
    if left:
        shown = left if verbose else left[:LEFT_OUT_SHOWN]
        more = "" if len(shown) == len(left) else f"; the first {len(shown)}, -v lists all"
        count = f"{len(left)} block{'s' if len(left) != 1 else ''}"
        click.secho(f"Left out ({count}, best-ranked first{more})", bold=True)
        for item in shown:
            block = item.candidate.block
            click.echo(f"    {block.id:<40} {block.kind} p{block.priority}: {item.reason}")
    for step, render in enumerate(composed.renders, 1):
        click.echo(
            f"fitting, PDF {step}: {render.blocks} blocks, {render.words:,} words -> "
            f"{render.pages} page{'s' if render.pages != 1 else ''}"
        )
    counted = (
        f" ({composed.characters:,} Chinese characters, 1.7 to a word)"
        if composed.characters
        else ""
    )
    click.echo(f"words: {composed.words:,}{counted}, the body without references")
    if composed.pages is not None and "pdf" in recipe.formats:
        click.echo(f"pages: {composed.pages} (counted on the PDF)")
    elif composed.pages is not None:
        click.echo(
            f"pages: {composed.pages} (counted on a PDF made for the budget and not kept; add pdf "
            "to --format to keep it)"
        )
    if composed.fallback_blocks:
        click.secho(
            f"note: {len(composed.fallback_blocks)} block(s) are not translated and are shown "
            f"in the source language, marked as such: {', '.join(composed.fallback_blocks)}",
            fg="cyan",
            err=True,
        )
    for path in composed.written:
        click.echo(f"wrote {path}")
    if composed.saved is not None:
        click.echo(
            f"saved the recipe {composed.saved}; to keep it, copy it into briefs/ and run: "
            f"briefgen build {recipe.id}"
        )


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


@main.command("verify")
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
    merged = run(ctx, lambda: merge_files(manifests, out.resolve()))
    click.echo(f"merged {len(manifests)} manifests: {len(merged.artifacts)} files.")


@main.group("i18n")
def i18n_group() -> None:
    """Translations: what is left to translate, and files for translators' CAT tools.

    \b
    Examples:
      briefgen i18n status --locale zh-Hans --fail-on stale,missing
      briefgen i18n export --locale fr --format xliff --brief summary --out to-translate/
      briefgen i18n import to-translate/summary.fr.xlf
    """


@i18n_group.command("status")
@click.option("--locale", "locales", multiple=True, metavar="L", help="Only this locale.")
@click.option(
    "--brief", "briefs", multiple=True, metavar="B", help="Only the blocks of this brief."
)
@click.option(
    "--format",
    "fmt",
    type=Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json follows docs/i18n-status.schema.json.",
)
@click.option(
    "--fail-on",
    default="",
    metavar="STATES",
    help="Exit 1 if any of these states occurs: stale, missing (comma-separated).",
)
@click.pass_obj
def i18n_status_command(
    ctx: Context, locales: tuple[str, ...], briefs: tuple[str, ...], fmt: str, fail_on: str
) -> None:
    """Per locale and brief: blocks current, stale (source changed) or missing; words to do.

    \b
    Examples:
      briefgen i18n status
      briefgen i18n status --locale fr --brief summary
      briefgen i18n status --format json > status.json
      briefgen i18n status --locale zh-Hans --fail-on stale,missing
    """
    from briefgen.i18n.locales import STATES, failing, render_status_json, render_status_text
    from briefgen.i18n.translate import status

    wanted = [s.strip() for s in fail_on.split(",") if s.strip()]
    for state in wanted:
        if state not in STATES[1:]:
            fail(
                f'--fail-on takes stale and missing, not "{state}"'
                f"{did_you_mean(state, STATES[1:])}.",
                EXIT_USAGE,
            )
    if fmt == "json":
        # CI reads this output: it is JSON whatever happens, problems included.
        try:
            report, source, problems = status(ctx.root, locales, briefs)
        except ProblemsError as error:
            click.echo(render_status_json([], "", error.problems), nl=False)
            sys.exit(EXIT_PROBLEMS)
    else:
        report, source, problems = run(ctx, lambda: status(ctx.root, locales, briefs), writes=False)
    render = render_status_json if fmt == "json" else render_status_text
    click.echo(render(report, source, problems), nl=False)
    if problems or (wanted and failing(report, wanted)):
        sys.exit(EXIT_PROBLEMS)


@i18n_group.command("export")
@click.option("--locale", required=True, metavar="L", help="The locale to translate into.")
@click.option(
    "--format",
    "fmt",
    type=Choice(["xliff", "po", "tmx", "tbx"]),
    default="xliff",
    show_default=True,
    help="tmx: the locale's translation memory (every translated unit and its source); "
    "tbx: the glossary and company names as a term base.",
)
@click.option("--brief", default=None, metavar="B", help="Only what this brief needs.")
@click.option("--stale-only", is_flag=True, help="Only what is missing or out of date.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The folder to write the file to.",
)
@click.pass_obj
def i18n_export_command(
    ctx: Context, locale: str, fmt: str, brief: str | None, stale_only: bool, out: Path
) -> None:
    """Write an XLIFF 1.2 or PO file for a translator: blocks, data entries, strings; or the
    locale's translation memory as TMX 1.4b.

    \b
    Examples:
      briefgen i18n export --locale zh-Hans --format xliff --out to-translate/
      briefgen i18n export --locale fr --format po --brief summary --stale-only
    """
    from briefgen.i18n.translate import export

    path, count = run(ctx, lambda: export(ctx.root, locale, fmt, out.resolve(), brief, stale_only))
    what = {"tmx": "translated units", "tbx": "terms"}.get(fmt, "items to translate")
    click.echo(f"wrote {path} ({count} {what})")


@i18n_group.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.pass_obj
def i18n_import_command(ctx: Context, files: tuple[Path, ...]) -> None:
    """Check translated XLIFF or PO files, then write their blocks, data and strings.

    Nothing is written if any unit has a problem. Units whose source changed since the export
    are reported stale and left out.

    \b
    Example:
      briefgen i18n import to-translate/all.zh-Hans.xlf
    """
    from briefgen.i18n.translate import import_files

    result = run(ctx, lambda: import_files(ctx.root, files))
    for key in result.stale:
        click.secho(
            f"stale: {key}: its source changed since the export; export it again.",
            fg="yellow",
            err=True,
        )
    for unit in result.skipped:
        click.secho(f"note: {unit}: marked fuzzy or for review; not imported.", fg="cyan", err=True)
    click.echo(f"wrote {len(result.written)} file(s)")
    for path in result.written:
        click.echo(f"  {path}")


@i18n_group.command("mark-current")
@click.option("--locale", required=True, metavar="L", help="The translations' locale.")
@click.option("--all", "everything", is_flag=True, help="Every translation the locale has.")
@click.argument("keys", nargs=-1)
@click.pass_obj
def i18n_mark_current_command(
    ctx: Context, locale: str, everything: bool, keys: tuple[str, ...]
) -> None:
    """Record that translations you updated by hand match their source as it is now.

    KEYS are block ids, or companies/<id> and glossary/<id> for data entries. `import` does
    this itself; use this after editing translated files directly, once you have checked them.

    \b
    Examples:
      briefgen i18n mark-current --locale zh-Hans edu-hangzhou-no11 companies/hikvision
      briefgen i18n mark-current --locale fr --all
    """
    from briefgen.i18n.translate import mark_current

    if not keys and not everything:
        fail("name the translations to mark (block ids, companies/<id>, glossary/<id>) or --all.")
    written = run(ctx, lambda: mark_current(ctx.root, locale, keys, everything))
    click.echo(f"recorded the source of the translation(s) in {len(written)} file(s)")
    for path in written:
        click.echo(f"  {path}")


@i18n_group.command("add-locale")
@click.argument("locale")
@click.pass_obj
def i18n_add_locale_command(ctx: Context, locale: str) -> None:
    """Add a language: LOCALE (a BCP 47 tag Babel knows: de, pt-BR, zh-Hant) joins
    briefgen.yaml's locales.available, and templates/strings/LOCALE.po starts with every
    interface string to translate. Then `i18n status` and `i18n export` work for it.

    \b
    Example:
      briefgen i18n add-locale de
      briefgen i18n export --locale de --format po --out to-translate/
    """
    from briefgen.i18n.translate import add_locale

    written = run(ctx, lambda: add_locale(ctx.root, locale))
    click.echo(f"added {locale}:")
    for path in written:
        click.echo(f"  {path}")


@i18n_group.command("mark-minor")
@click.argument("block_ids", nargs=-1, required=True, metavar="BLOCK_ID...")
@click.pass_obj
def i18n_mark_minor_command(ctx: Context, block_ids: tuple[str, ...]) -> None:
    """Record that your edit of these source blocks changes no meaning (a typo, punctuation):
    every locale's translation of them stays current.

    Each translation's source_hash and its units in translations/<locale>.tmx take today's
    source; no translated text changes. Refused where a translation would then lack a number,
    a citation or a link of the source: such an edit is not minor.

    \b
    Example:
      briefgen i18n mark-minor legal-biometric-data
    """
    from briefgen.i18n.translate import mark_minor

    written = run(ctx, lambda: mark_minor(ctx.root, block_ids))
    click.echo(f"recorded {', '.join(block_ids)} as a minor edit in {len(written)} file(s)")
    for path in written:
        click.echo(f"  {path}")


@main.command("serve")
@click.argument("target", metavar="[BRIEF|FOLDER]", required=False)
@click.option(
    "--locale",
    default=None,
    metavar="L",
    help="The locale to preview (default: the source locale, e.g. en).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free port).",
)
@click.pass_obj
def serve_command(ctx: Context, target: str | None, locale: str | None, port: int) -> None:
    """Preview briefs in your browser as you edit them, on this machine only (127.0.0.1).

    With a BRIEF (or nothing: every brief), briefgen builds its web page into build/.preview/,
    watches the blocks, recipes, templates, data and bibliography, rebuilds what a change
    affects and reloads the page in the browser. A mistake shows in the page, with its file and
    line, until you fix it; the preview keeps running.

    With an existing FOLDER (such as build/), it serves that finished build as it is.

    \b
    Examples:
      briefgen serve government
      briefgen serve summary --locale fr --port 8001
      briefgen serve build/
    """
    if target is not None and Path(target).is_dir():
        serve_folder(Path(target), port, locale)
    else:
        serve_preview(ctx, target or "", locale, port)


@main.command("studio")
@click.option(
    "--port",
    type=int,
    default=8765,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the address.")
@click.pass_obj
def studio_command(ctx: Context, port: int, no_browser: bool) -> None:
    """Compose briefs in the browser: choose, pin, drop, preview, download, save a recipe.

    A local web page on 127.0.0.1 only: the audience, use cases, rights, language, budget,
    "Prepared for" and date; the candidate blocks and why each is in or out; a preview; PDF,
    Word, OpenDocument, EPUB, HTML and Markdown downloads; and a recipe saved under briefs/.
    Every composition has its own address, which gives the same files again.

    \b
    Examples:
      briefgen studio
      briefgen studio --port 8800 --no-browser
    """
    import webbrowser

    from briefgen.preview.studio import make_studio_server

    run(ctx, lambda: load(ctx.root))  # a project with problems says so here, not in the page
    server, _ = listen(lambda: make_studio_server(ctx.root, port), port)
    url = f"http://{server.server_address[0]}:{server.server_address[1]}/compose"
    click.echo(f"briefgen studio at {url} (Ctrl-C to stop)")
    if not no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def listen(make: Callable[[], Any], port: int) -> Any:
    """A server from `make`, or a message saying why the port cannot be used."""
    try:
        return make()
    except BriefgenError as error:
        fail(str(error))
    except OSError as error:
        fail(
            f"cannot listen on 127.0.0.1:{port}: {error.strerror}; choose another port with "
            "--port, or --port 0 for any free one."
        )


def serve_folder(folder: Path, port: int, locale: str | None) -> None:
    from briefgen.preview.serve import make_server

    if locale is not None:
        fail(
            f"--locale is for previewing a brief; leave it out to serve {folder} as it is, "
            "with every locale it holds."
        )
    server = listen(lambda: make_server(folder, port), port)
    host, bound = str(server.server_address[0]), server.server_address[1]
    click.echo(f"serving {folder} at http://{host}:{bound}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_preview(ctx: Context, brief: str, locale: str | None, port: int) -> None:
    import threading

    from briefgen.preview.live import Preview, describe_inputs, preview_target
    from briefgen.preview.serve import make_preview_server

    root = ctx.root
    try:
        chosen = preview_target(root, brief, locale)
    except ProblemsError as error:
        report(error.problems)
        fail("nothing to preview; correct the command (or the file named) and run it again.")
    preview = Preview(root, chosen)
    server = listen(lambda: make_preview_server(preview, port), port)
    host, bound = str(server.server_address[0]), server.server_address[1]
    what = f'"{chosen.brief}"' if chosen.brief else "every brief"
    click.echo(f"preview of {what} ({chosen.locale}) at http://{host}:{bound}/{chosen.page}")
    click.echo(f"watching {', '.join(describe_inputs(root))}; Ctrl-C to stop")
    watcher = threading.Thread(target=preview.run, args=(OutcomePrinter(ctx.debug),), daemon=True)
    try:
        watcher.start()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
        server.server_close()
        watcher.join(timeout=10)  # a build under way stops at its next brief
    click.echo("preview stopped")


class OutcomePrinter:
    """One line per rebuild: when, what changed, what was rebuilt or what is wrong."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug
        self.warnings: tuple[Problem, ...] = ()
        self.failing = False

    def __call__(self, outcome: PreviewOutcome) -> None:
        changed = _some(outcome.changed)
        prefix = f"{time.strftime('%H:%M:%S')} {changed + ': ' if changed else ''}"
        took = f"({outcome.seconds:.1f} s)"
        if outcome.problems:
            count = len(outcome.problems)
            they = "them until they are" if count != 1 else "it until it is"
            click.echo(
                f"{prefix}{count} problem{'s' if count != 1 else ''}; the page shows {they} "
                f"fixed {took}"
            )
            report(outcome.problems)
        elif outcome.failure:
            click.echo(f"{prefix}the build failed; the page shows why {took}")
            click.secho(f"error: {outcome.failure}", fg="red", err=True)
            if self.debug and outcome.detail:
                click.echo(outcome.detail, err=True)
        elif outcome.rebuilt:
            click.echo(f"{prefix}rebuilt {_some(outcome.rebuilt)} {took}")
        elif self.failing:  # back to what was built before the mistake
            click.echo(f"{prefix}fixed; the page shows the built version again {took}")
        else:
            click.echo(f"{prefix}no page affected {took}")
        self.failing = not outcome.ok
        if outcome.ok and outcome.warnings != self.warnings:
            report(outcome.warnings)  # once, not after every save
            self.warnings = outcome.warnings


def _some(items: tuple[str, ...], shown: int = 3) -> str:
    """The first few items, and how many more."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


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
    loaded = run(ctx, lambda: check_project(ctx.root), writes=False)
    report(loaded.warnings)
    blocks = len(loaded.content.all_blocks())
    summary = (
        f"{blocks} blocks, {len(loaded.recipes)} briefs, {len(loaded.bibliography.entries)} sources"
    )
    if strict and loaded.warnings:
        count = len(loaded.warnings)
        fail(f"{count} warning{'s' if count != 1 else ''} with --strict ({summary}).")
    click.echo(f"ok: {summary}; no problems found.")


@main.command("list")
@click.argument("what", type=Choice(["briefs", "blocks", "vocabularies", "all"]), default="all")
@click.option("--audience", default="", metavar="A", help="Blocks that serve this audience.")
@click.option("--use-case", default="", metavar="U", help="Blocks for this use case.")
@click.option("--right", default="", metavar="R", help="Blocks that speak to this right.")
@click.option("--kind", default="", metavar="K", help="Blocks of this kind.")
@click.option("--locale", default="", metavar="L", help="Blocks of this locale (default: source).")
@click.option("--text", default="", metavar="T", help="Blocks whose id, title or text has this.")
@click.pass_obj
def list_command(
    ctx: Context,
    what: str,
    audience: str,
    use_case: str,
    right: str,
    kind: str,
    locale: str,
    text: str,
) -> None:
    """List briefs, blocks (with word counts and translation states) and vocabularies.

    \b
    Examples:
      briefgen list
      briefgen list blocks --audience government --use-case education
      briefgen list blocks --right privacy --kind evidence
      briefgen list blocks --text Hikvision
      briefgen list blocks --locale zh-Hans
    """
    from briefgen.load.find import Filters, find_blocks

    loaded = run(ctx, lambda: load(ctx.root), writes=False)
    project = loaded.project
    filters = Filters(audience, use_case, right, kind, locale, text)
    if what in ("briefs", "all"):
        click.secho("Briefs", bold=True)
        for recipe in loaded.recipes.values():
            title = next(iter(recipe.title.values()), "")
            use_cases = ", ".join(sorted(recipe.use_cases))
            click.echo(f"  {recipe.id:<24} {title}  [{recipe.audience}; {use_cases}]")
    if what in ("blocks", "all"):
        rows = run(ctx, lambda: find_blocks(loaded, filters), writes=False)
        click.secho(f"Blocks ({len(rows)}, {sum(r.words for r in rows):,} words)", bold=True)
        for row in rows:
            block = row.block
            states = " ".join(f"{code}:{state}" for code, state in row.translations)
            click.echo(
                f"  {block.id:<44} {block.kind:<14} p{block.priority} {row.words:>5}w  "
                f"{states}  {block.path}"
            )
    if what in ("vocabularies", "all"):
        click.secho("Vocabularies", bold=True)
        click.echo(f"  locales: {', '.join(project.locales)} (source: {project.source_locale})")
        for name, vocabulary in project.vocabularies.items():
            click.echo(f"  {name}:")
            for key, label in vocabulary.items():
                click.echo(f"    {key:<20} {label}")


@main.command("show")
@click.argument("block")
@click.pass_obj
def show_command(ctx: Context, block: str) -> None:
    """Print a block: its metadata and text, the sources it cites, its translations and the
    briefs that use it.

    \b
    Example:
      briefgen show edu-hangzhou-no11
    """
    from briefgen.load.find import describe_block

    loaded = run(ctx, lambda: load(ctx.root), writes=False)
    report = run(ctx, lambda: describe_block(loaded, block), writes=False)
    found = report.block
    click.secho(printable(f"{found.id}: {found.title}"), bold=True)
    click.echo(f"  file:       {found.path}")
    click.echo(f"  kind:       {found.kind}, priority {found.priority}, {found.visibility}")
    click.echo(f"  audiences:  {', '.join(sorted(found.audiences))}")
    click.echo(f"  use cases:  {', '.join(sorted(found.use_cases))}")
    click.echo(f"  rights:     {', '.join(sorted(found.rights)) or '-'}")
    click.echo(f"  briefs:     {', '.join(report.briefs) or '(none)'}")
    click.secho("Text", bold=True)
    click.echo(printable(found.body.rstrip()))
    click.secho("Cites", bold=True)
    for key, reference in report.references:
        click.echo(printable(f"  @{key}: {reference}"))
    click.secho("Translations", bold=True)
    for state in report.translations:
        detail = (
            state.path
            if state.state == "current"
            else state.reason
            if state.state == "stale"
            else "not translated"
        )
        click.echo(f"  {state.locale:<8} {state.state:<8} {detail}")


if __name__ == "__main__":  # pragma: no cover
    main()
