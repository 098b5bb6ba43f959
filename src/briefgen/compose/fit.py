"""Fit the ranked blocks into a budget: of words, or of PDF pages counted on the real PDF."""

from __future__ import annotations

import dataclasses
import io

from pypdf import PdfReader

from briefgen.compose.recipe_file import composed_recipe
from briefgen.compose.request import PARTS, Candidate, ComposeRequest, LeftOut, Render
from briefgen.errors import BriefgenError
from briefgen.i18n.locales import (
    CHARACTERS_PER_WORD,
    is_cjk,
)
from briefgen.load.loader import Loaded
from briefgen.model import Artifact, Recipe
from briefgen.render.jobs import Prepared, prepare
from briefgen.render.parallel import Progress, render_jobs

# A page estimate to choose blocks before the real PDF is counted: an A4 page of a brief holds
# about 560 words of body, and the title block and the references take about 300 (measured on
# the shipped briefs: the government brief's 4,057 words fill 8 pages with its references).
WORDS_PER_PAGE = 560
FIRST_PAGE_AND_REFERENCES = 300
# Each fitting step renders the PDF once; a bound keeps a stubborn case from running long.
MAX_RENDERS = 8
# Adding blocks to a PDF that fits stops after this many that did not fit.
MAX_MISSES = 2


def page_count(pdf: bytes) -> int:
    """The pages of a PDF, as a reader's viewer counts them."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def fit_words(
    ranked: list[Candidate], budget: int, locale: str, option: str
) -> tuple[list[Candidate], list[LeftOut]]:
    """The required parts and the pinned blocks, then every candidate in rank order that
    still fits the budget."""
    required = [c for c in ranked if c.required]
    used = sum(c.words for c in required)
    if used > budget:
        raise BriefgenError(_too_small(required, used, f"{option} {budget}", locale, "words"))
    pins = [c for c in ranked if c.pinned and not c.required]
    with_pins = used + sum(c.words for c in pins)
    if with_pins > budget:
        raise BriefgenError(
            _pins_overflow(pins, f"{with_pins - budget:,} words", f"{option} {budget}")
        )
    chosen = [*required, *pins]
    used = with_pins
    left_out = []
    for candidate in ranked:
        if candidate.fixed:
            continue
        if used + candidate.words <= budget:
            chosen.append(candidate)
            used += candidate.words
        else:
            left_out.append(
                LeftOut(candidate, f"does not fit: {candidate.words} words, {budget - used} left")
            )
    return chosen, left_out


def _pins_overflow(pins: list[Candidate], over: str, asked: str) -> str:
    listed = ", ".join(f"{c.block.id} ({c.words} words)" for c in pins)
    return (
        f"the pinned blocks do not fit: with {listed} the brief runs {over} over {asked}; "
        "pin fewer blocks (--include) or give a larger budget."
    )


def _too_small(required: list[Candidate], need: int, asked: str, locale: str, unit: str) -> str:
    parts = [
        c.required for c in sorted(required, key=lambda c: [p.key for p in PARTS].index(c.part))
    ]
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    option = asked.split()[0]
    if unit == "words" and is_cjk(locale):
        listed += f"; in {locale}, {CHARACTERS_PER_WORD} characters count as one word"
    return (
        f"this brief needs at least {need:,} {unit} ({listed}); {asked} is too small: "
        f"use {option} {need} or more."
    )


def fit_pages(
    builder: PageBuilder, ranked: list[Candidate], pages: int, locale: str
) -> tuple[list[Candidate], list[LeftOut], list[Render]]:
    """Choose by an estimate of the words the pages hold, then render the PDF and count: take
    the lowest-ranked block out while it runs over; then add the best-ranked blocks left out
    while the PDF still fits (after one that does not, only shorter ones; MAX_MISSES misses at
    most). At most MAX_RENDERS renders."""
    estimate = max(pages * WORDS_PER_PAGE - FIRST_PAGE_AND_REFERENCES, 1)
    required = [c for c in ranked if c.fixed]
    try:
        chosen, _ = fit_words(ranked, estimate, locale, "--pages")
    except BriefgenError:
        chosen = list(required)  # the estimate may be wrong: the real PDF decides
    reasons: dict[str, str] = {}
    renders: list[Render] = []

    def count(selection: list[Candidate]) -> int:
        found = builder.pages(builder.recipe(selection))
        renders.append(Render(len(selection), sum(c.words for c in selection), found))
        return found

    found = count(chosen)
    dropped: list[Candidate] = []
    while found > pages and len(chosen) > len(required):
        if len(renders) >= MAX_RENDERS:  # stop stepping: try the required parts alone
            dropped = [c for c in chosen if not c.fixed]
        else:
            dropped = [max((c for c in chosen if not c.fixed), key=lambda c: c.rank)]
        for candidate in dropped:
            chosen.remove(candidate)
            reasons[candidate.block.id] = f"taken out: with it the PDF ran to {found} pages"
        found = count(chosen)
    pins = [c for c in required if not c.required]
    if found > pages and pins:
        alone = [c for c in required if c.required]
        if count(alone) <= pages:
            over = found - pages
            raise BriefgenError(
                _pins_overflow(pins, f"{over} page{'s' if over != 1 else ''}", f"--pages {pages}")
            )
        required = alone
    if found > pages:
        raise BriefgenError(_too_small(required, found, f"--pages {pages}", locale, "pages"))
    # After a block that did not fit, only shorter ones are tried; the last block taken out
    # did not fit with fewer blocks than there will be.
    too_long = dropped[0].words if len(dropped) == 1 else None
    misses = 0
    for candidate in ranked:
        if len(renders) >= MAX_RENDERS or misses >= MAX_MISSES:
            break
        # Blocks taken out above are tried again: only the last one taken out had to go.
        if candidate in chosen or (too_long is not None and candidate.words >= too_long):
            continue
        with_it = count([*chosen, candidate])
        if with_it > pages:
            reasons[candidate.block.id] = f"does not fit: with it the PDF runs to {with_it} pages"
            too_long, misses = candidate.words, misses + 1
            continue
        chosen.append(candidate)
    full = (
        "does not fit: the page is full"
        if pages == 1
        else f"does not fit: the {pages} pages are full"
    )
    left_out = [
        LeftOut(c, reasons.get(c.block.id, f"{full} ({c.words} words)"))
        for c in ranked
        if c not in chosen
    ]
    return chosen, left_out, renders


# --- build ---------------------------------------------------------------------------------


class PageBuilder:
    """Turns a selection into a Recipe and renders it through build.prepare and render_jobs.

    PDFs rendered while fitting are kept by their job's digest, so the final build does not
    render the same PDF again.
    """

    def __init__(
        self,
        loaded: Loaded,
        request: ComposeRequest,
        recipe_id: str,
        locale: str,
        progress: Progress,
    ) -> None:
        self.loaded = loaded
        self.request = request
        self.recipe_id = recipe_id
        self.locale = locale
        self.progress = progress
        self.pdfs: dict[str, Artifact] = {}

    def recipe(self, chosen: list[Candidate]) -> Recipe:
        return composed_recipe(self.loaded, self.request, self.recipe_id, chosen)

    def pages(self, recipe: Recipe) -> int:
        _, artifacts = self.render(recipe, ("pdf",))
        return page_count(artifacts[0].data)

    def render(self, recipe: Recipe, formats: tuple[str, ...]) -> tuple[Prepared, list[Artifact]]:
        loaded = dataclasses.replace(self.loaded, recipes={recipe.id: recipe})
        wanted = (
            formats if "pdf" in formats or self.request.words is not None else ("pdf", *formats)
        )
        prepared = prepare(loaded, [(recipe.id, self.locale, tuple(wanted))])[0]
        key = dataclasses.replace(prepared.job, formats=("pdf",)).digest()
        cached = self.pdfs.get(key) if "pdf" in wanted else None
        rest = tuple(f for f in wanted if not (cached and f == "pdf"))
        artifacts: list[Artifact] = []
        if rest:
            job = dataclasses.replace(prepared.job, formats=rest)
            artifacts = render_jobs([job], self.request.jobs, self.progress)[0]
        if cached is not None:
            artifacts.insert(0, cached)
        for artifact in artifacts:
            if artifact.format == "pdf":
                self.pdfs[key] = artifact
        return prepared, artifacts
