"""`briefgen i18n`: what is left to translate, and files for translators' CAT tools."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from briefgen.cli.common import EXIT_PROBLEMS, EXIT_USAGE, Choice, Context, fail, run
from briefgen.errors import ProblemsError, did_you_mean


@click.group("i18n")
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
    from briefgen.i18n.status import status

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
    from briefgen.i18n.transfer import export

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
    from briefgen.i18n.transfer import import_files

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
    from briefgen.i18n.edits import mark_current

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
    from briefgen.i18n.edits import add_locale

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
    from briefgen.i18n.edits import mark_minor

    written = run(ctx, lambda: mark_minor(ctx.root, block_ids))
    click.echo(f"recorded {', '.join(block_ids)} as a minor edit in {len(written)} file(s)")
    for path in written:
        click.echo(f"  {path}")
