"""`briefgen compose`: a brief composed to a budget, and what went in, what stayed out and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from briefgen.cli.common import Context, ProgressDisplay, run
from briefgen.model import DEFAULT_FORMATS
from briefgen.render.parallel import default_jobs


def _comma_list(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--format pdf,docx` and `--format pdf --format docx` alike, in the order given."""
    items = [item.strip() for value in values for item in value.split(",")]
    return tuple(dict.fromkeys(item for item in items if item))


@click.command("compose")
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
    from briefgen.compose import compose
    from briefgen.compose.request import COMPOSE_FORMATS, ComposeRequest, parse_date

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
    from briefgen.compose.request import why_chosen

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
