"""Compose a brief in one command: choose blocks for an audience, use cases and rights, fit them
into a budget of words or PDF pages, and build the result through the normal pipeline.

    compose()
      load()            the project, validated as for any build
      validate_request()       the options, against briefgen.yaml and the format registry
      ranked_candidates()     blocks for the audience and use cases, ranked; the required parts
      measure()        each block's words as the reader gets it (translation or fallback)
      fit_words()            required parts first, then by rank, into the budget of words
      fit_pages()      for a page budget: render the PDF, count its pages, take out or add
      _write()          every output atomically, the manifest, and the recipe if asked

The composed brief is an ordinary Recipe held in memory (sections listing block ids), assembled,
cited and rendered by build.prepare and parallel.render_jobs like any shipped brief; `recipe_yaml`
writes that same Recipe as a file, so `briefgen build` rebuilds the same bytes from it.

Ranking: the required parts first (an opening for the audience, the key evidence for the use
case, what is asked of the audience), then the best block on the rights at stake, then priority
(1 first), relevance (the requested use cases a block names for itself, the requested rights it
speaks to, and the audience if it names it), the project's reading order (file paths), and id.
Blocks that serve every use case and only summarise the whole report (`summary` blocks) are left
out: the composed brief has its own opening.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from briefgen.build import update_manifest
from briefgen.compose.choose import measure, ranked_candidates, validate_request
from briefgen.compose.fit import PageBuilder, fit_pages, fit_words, page_count
from briefgen.compose.recipe_file import (
    brief_words,
    composed_recipe_id,
    recipe_file_bytes,
    save_file,
)
from briefgen.compose.request import (
    DEFAULT_OUT,
    DEFAULT_PAGES,
    Composed,
    ComposeRequest,
    Notice,
    Render,
)
from briefgen.errors import BriefgenError
from briefgen.i18n.locales import (
    locale_states,
)
from briefgen.load.loader import Loaded, load
from briefgen.model import CJK, Artifact, Manifest
from briefgen.publish.manifest import read_manifest, write_manifest
from briefgen.publish.output import write_files
from briefgen.render.jobs import Prepared
from briefgen.render.parallel import Progress


def compose(
    request: ComposeRequest,
    progress: Progress = lambda event: None,
    notice: Notice = lambda text: None,
) -> Composed:
    """Compose, fit and build a brief, then write it; raise ProblemsError or BriefgenError
    before writing anything. `notice` hears what the user should know before the build (the
    words that stay in the source language)."""
    loaded = load(request.root)
    composed, prepared, artifacts = composition(loaded, request, progress, notice)
    saving = recipe_file_bytes(
        loaded, composed.request, composed.recipe
    )  # refused before any output
    written = _write(
        loaded, request, prepared, [a for a in artifacts if a.format in request.formats]
    )
    saved = save_file(*saving) if saving else None
    return dataclasses.replace(composed, written=tuple(written), saved=saved)


def composition(
    loaded: Loaded,
    request: ComposeRequest,
    progress: Progress = lambda event: None,
    notice: Notice = lambda text: None,
) -> tuple[Composed, Prepared, list[Artifact]]:
    """Choose, fit and render a brief in memory (the studio serves it from there)."""
    project = loaded.project
    locale = request.locale or project.source_locale
    validate_request(loaded, request)
    if request.date is None:  # a composed brief is dated the day it is made
        request = dataclasses.replace(request, date=dt.datetime.now(dt.UTC).date())
    states = (
        {}
        if locale == project.source_locale
        else {k: v.state for k, v in locale_states(loaded.content, project, locale).items()}
    )
    ranked = ranked_candidates(loaded, request, states)
    measured = measure(loaded, ranked, locale)
    recipe_id = composed_recipe_id(loaded, request)
    builder = PageBuilder(loaded, request, recipe_id, locale, progress)
    if request.words is not None:
        chosen, left_out = fit_words(measured, request.words, locale, "--words")
        renders: list[Render] = []
    else:
        chosen, left_out, renders = fit_pages(
            builder, measured, request.pages or DEFAULT_PAGES, locale
        )
    untranslated = [c for c in chosen if not c.translated]
    if untranslated:
        words = sum(c.words for c in untranslated)
        ids = ", ".join(c.block.id for c in untranslated)
        if request.untranslated == "refuse":
            raise BriefgenError(
                f"{words:,} words in {len(untranslated)} block(s) have no current {locale} "
                f"translation ({ids}), and --untranslated refuse was asked: translate them "
                "(briefgen i18n export), --exclude them, or leave out --untranslated refuse."
            )
        notice(
            f"{words:,} of the brief's words will stay in {project.source_locale}: "
            f"{len(untranslated)} block(s) have no current {locale} translation ({ids})."
        )
    recipe = builder.recipe(chosen)
    prepared, artifacts = builder.render(recipe, request.formats)
    pdf = next((a for a in artifacts if a.format == "pdf"), None)
    brief = prepared.brief
    by_id = {c.block.id: c for c in chosen}
    composed = Composed(
        recipe=recipe,
        locale=locale,
        sections=tuple(
            (section.title, tuple(by_id[b.id] for b in section.blocks if b.id in by_id))
            for section in brief.sections
        ),
        left_out=tuple(left_out),
        words=brief_words(brief),
        characters=sum(len(CJK.findall(f"{b.title}\n{b.body}")) for b in brief.blocks),
        pages=page_count(pdf.data) if pdf else None,
        renders=tuple(renders),
        written=(),
        saved=None,
        fallback_blocks=brief.fallback_blocks,
        request=request,
        untranslated_words=sum(c.words for c in untranslated),
    )
    return composed, prepared, artifacts


# --- write ---------------------------------------------------------------------------------


def _write(
    loaded: Loaded, request: ComposeRequest, prepared: Prepared, artifacts: list[Artifact]
) -> list[Path]:
    """The outputs, each atomically, and the folder's manifest (so `briefgen verify` works)."""
    out = (request.out or loaded.project.root / DEFAULT_OUT).resolve()
    previous = read_manifest(out) or Manifest.empty()
    written = write_files(out, [(a.relpath, a.data) for a in artifacts])
    paths = sorted({*previous.matrix, *(a.relpath for a in artifacts if a.kind == "brief")})
    manifest = update_manifest(
        previous, out, loaded.project, [(prepared, a) for a in artifacts], written, paths
    )
    write_manifest(out, manifest)
    return [out / w.relpath for w in written]


# --- for the studio ------------------------------------------------------------------------


def render_composed(loaded: Loaded, composed: Composed, formats: tuple[str, ...]) -> list[Artifact]:
    """A composed brief in more formats, from its recipe: no fitting again."""
    builder = PageBuilder(
        loaded, composed.request, composed.recipe.id, composed.locale, lambda event: None
    )
    _, artifacts = builder.render(composed.recipe, formats)
    return [a for a in artifacts if a.format in formats]


def save_composed(loaded: Loaded, request: ComposeRequest) -> tuple[Composed, Path]:
    """Compose `request` (whose save_recipe names the file) and write only its recipe."""
    composed, _, _ = composition(loaded, request)
    saving = recipe_file_bytes(loaded, composed.request, composed.recipe)
    assert saving is not None  # request.save_recipe is set
    return composed, save_file(*saving)
