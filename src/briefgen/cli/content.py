"""Reading the content: check, list, show."""

from __future__ import annotations

import click

from briefgen.build import check as check_project
from briefgen.cli.common import Choice, Context, fail, printable, report, run
from briefgen.load.loader import load


@click.command("check")
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
    if loaded.warnings:  # no errors, but not "no problems": the warnings are listed above
        count = len(loaded.warnings)
        click.echo(f"ok: {summary}; no errors, {count} warning{'s' if count != 1 else ''}.")
    else:
        click.echo(f"ok: {summary}; no problems found.")


@click.command("list")
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


@click.command("show")
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
