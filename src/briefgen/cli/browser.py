"""The commands that serve pages on 127.0.0.1: serve (a live preview or a finished build) and
studio (composing in the browser)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from briefgen.cli.common import Context, fail, report, run
from briefgen.errors import BriefgenError, Problem, ProblemsError
from briefgen.load.loader import load

if TYPE_CHECKING:
    from briefgen.preview.live import Outcome as PreviewOutcome


@click.command("serve")
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


@click.command("studio")
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
        # A patched edit was on screen before the rebuild that confirmed it ended.
        shown = f"; on screen in {outcome.patched:.2f} s" if outcome.patched else ""
        took = f"({outcome.seconds:.1f} s{shown})"
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
