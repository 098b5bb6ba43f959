"""The `briefgen` command: the only place that prints, colours output and chooses exit codes.

The commands live by group: build.py (build, assemble, release, verify, manifest, library),
compose.py, translators.py (i18n), browser.py (serve, studio) and content.py (check, list,
show); common.py holds what they share."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from briefgen import __version__
from briefgen.cli import browser, build, compose, content, translators
from briefgen.cli.common import Context


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


for command in (
    build.build_command,
    build.assemble_command,
    compose.compose_command,
    build.release_command,
    build.verify_command,
    build.manifest_group,
    translators.i18n_group,
    browser.serve_command,
    browser.studio_command,
    build.library_command,
    content.check_command,
    content.list_command,
    content.show_command,
):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
