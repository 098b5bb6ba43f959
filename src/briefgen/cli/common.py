"""What every command shares: the project context, running a library call with its errors
turned into messages and exit codes, diagnostics, and the options and progress of builds."""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from briefgen.errors import BriefgenError, Problem, ProblemsError, ToolError, did_you_mean
from briefgen.load.project import find_project_root
from briefgen.render.parallel import ProgressEvent

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
