"""The `briefgen` command: the only place that prints, colours output and chooses exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from briefgen import __version__
from briefgen.build import BuildRequest, build
from briefgen.check import load
from briefgen.errors import BriefgenError, Problem, ProblemsError, ToolError
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
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: build/ in the project).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
@click.pass_obj
def build_command(
    ctx: Context,
    briefs: tuple[str, ...],
    locales: tuple[str, ...],
    formats: tuple[str, ...],
    out: Path | None,
    quiet: bool,
) -> None:
    """Build briefs (default: every shipped brief, in every locale and format).

    \b
    Examples:
      briefgen build
      briefgen build government-brief --locale en --format pdf
      briefgen build --out /tmp/briefs
    """
    root = ctx.root
    request = BuildRequest(
        root=root,
        out=(out or root / "build").resolve(),
        briefs=briefs,
        locales=locales,
        formats=formats,
    )
    echo = (lambda message: None) if quiet else (lambda m: click.echo(f"  {m}", err=True))
    result = run(ctx, lambda: build(request, echo))
    report(result.warnings, "warning", "yellow")
    for path, ids in sorted(result.fallbacks.items()):
        click.secho(
            f"note: {path} shows {len(ids)} block(s) in the source language: {', '.join(ids)}",
            fg="yellow",
            err=True,
        )
    if not quiet:
        click.echo(f"built {len(result.written)} file(s) in {request.out}")


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
    loaded = run(ctx, lambda: load(ctx.root))
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
