"""Compose a brief in one command: choose blocks for an audience, use cases and rights, fit them
into a budget of words or PDF pages, and build the result through the normal pipeline.

    compose()
      load()            the project, validated as for any build
      _validate()       the options, against briefgen.yaml and the format registry
      _candidates()     blocks for the audience and use cases, ranked; the required parts
      _measure()        each block's words as the reader gets it (translation or fallback)
      _fit()            required parts first, then by rank, into the budget of words
      _fit_pages()      for a page budget: render the PDF, count its pages, take out or add
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
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel
import yaml
from babel.lists import format_list
from pypdf import PdfReader

from briefgen.assemble.select import Audience, assemble
from briefgen.build import update_manifest
from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean, display_path
from briefgen.i18n.locales import (
    CHARACTERS_PER_WORD,
    STRINGS_DIR,
    block_words,
    is_cjk,
    locale_states,
    vocabulary_label,
)
from briefgen.load.loader import Loaded, load
from briefgen.load.project import SLUG, Project
from briefgen.load.recipes import RECIPES_DIR
from briefgen.model import CJK, FORMATS, Artifact, Block, Brief, Manifest, Recipe, SectionSpec
from briefgen.publish.manifest import read_manifest, write_manifest
from briefgen.publish.output import write_atomic, write_files
from briefgen.render.jobs import Prepared, prepare
from briefgen.render.parallel import Progress, render_jobs

DEFAULT_PAGES = 2
DEFAULT_FORMATS = ("pdf", "docx")
# Beside build/, not in it: `briefgen verify build/` reports any file its manifest does not list.
DEFAULT_OUT = Path("build-compose")
# A page estimate to choose blocks before the real PDF is counted: an A4 page of a brief holds
# about 560 words of body, and the title block and the references take about 300 (measured on
# the shipped briefs: the government brief's 4,057 words fill 8 pages with its references).
WORDS_PER_PAGE = 560
FIRST_PAGE_AND_REFERENCES = 300
# Each fitting step renders the PDF once; a bound keeps a stubborn case from running long.
MAX_RENDERS = 8
# Adding blocks to a PDF that fits stops after this many that did not fit.
MAX_MISSES = 2


@dataclass(frozen=True)
class Part:
    """A section of a composed brief: the kinds it takes and the string that titles it."""

    key: str
    kinds: tuple[str, ...]
    title: str  # the interface string
    required: str = ""  # what the part is called in messages, when the brief cannot do without
    show_titles: bool = True
    preferred: str = ""  # a part whose best block goes in first after the required, if it fits


PARTS = (
    Part("opening", ("framing", "summary"), "compose_opening", "the opening"),
    Part("evidence", ("evidence", "finding"), "compose_evidence", "the key evidence"),
    Part("background", ("context", "method"), "compose_background"),
    # PRODUCT.md's quality bar: a brief names the rights at stake. Not required (a short
    # budget may leave no room), but its best block is tried first after the required parts.
    Part("stakes", ("analysis",), "compose_stakes", preferred="the rights at stake"),
    Part("law", ("legal",), "compose_law"),
    # One request under a heading that says what it is: the block's own title would repeat it.
    Part("ask", ("recommendation",), "compose_ask", "what is asked", show_titles=False),
)
# The kind a part's required block must have (the opening's is a framing, not a summary).
REQUIRED_KINDS = {"opening": ("framing",), "evidence": ("evidence", "finding")}
TITLE_STRINGS = ("compose_title", "compose_subtitle", "compose_subtitle_rights")


@dataclass(frozen=True)
class ComposeRequest:
    """What the user asked for on the command line."""

    root: Path
    audience: str
    use_cases: tuple[str, ...]
    rights: tuple[str, ...] = ()
    words: int | None = None
    pages: int | None = None
    locale: str = ""  # "": the project's source locale
    formats: tuple[str, ...] = DEFAULT_FORMATS
    title: str = ""
    out: Path | None = None  # None: build-compose/ in the project
    save_recipe: Path | None = None
    jobs: int = 1
    prepared_for: str = ""  # the "Prepared for" line; "": the audience's name
    date: dt.date | None = None  # the date printed; None: today
    include: tuple[str, ...] = ()  # block ids pinned in, before anything else
    exclude: tuple[str, ...] = ()  # block ids never used
    untranslated: str = "fallback"  # or refuse: stop when a chosen block is not translated
    order: tuple[str, ...] = ()  # block ids in the order wanted within their sections

    @property
    def budget(self) -> str:
        if self.words is not None:
            return f"--words {self.words}"
        return f"--pages {self.pages or DEFAULT_PAGES}"

    def command(self) -> str:
        """The command line that asks for this brief, for the saved recipe's header."""
        parts = ["briefgen compose", f"--audience {self.audience}"]
        parts += [f"--use-case {u}" for u in self.use_cases]
        parts += [f"--right {r}" for r in self.rights]
        parts.append(self.budget)
        if self.locale:
            parts.append(f"--locale {self.locale}")
        parts.append(f"--format {','.join(self.formats)}")
        if self.title:
            parts.append(f"--title {_quoted(self.title)}")
        if self.prepared_for:
            parts.append(f"--prepared-for {_quoted(self.prepared_for)}")
        if self.date is not None:
            parts.append(f"--date {self.date.isoformat()}")
        parts += [f"--include {i}" for i in self.include]
        parts += [f"--exclude {e}" for e in self.exclude]
        if self.order:
            parts.append(f"--order {','.join(self.order)}")
        if self.untranslated != "fallback":
            parts.append(f"--untranslated {self.untranslated}")
        return " ".join(parts)


@dataclass(frozen=True)
class Candidate:
    """A block the brief could use, with its part, its length and its place in the ranking."""

    block: Block  # in the source locale
    part: str
    words: int  # as the reader gets it: the translation, or the source shown in its place
    # (tier, untranslated, priority, -relevance, file path, id): in a target language a block
    # with a current translation ranks before one that would stay in the source language.
    rank: tuple[int, int, int, int, str, str]
    required: str = ""  # the required part it fills, if it is that part's choice
    preferred: str = ""  # the preferred part it fills, if it is that part's best block
    pinned: bool = False  # asked for with --include: goes in first
    translated: bool = True  # current in the brief's language (always, in the source)

    @property
    def fixed(self) -> bool:
        """Goes in before anything else and is never taken out to fit."""
        return bool(self.required) or self.pinned


def why_chosen(candidate: Candidate) -> str:
    """Why a block went in, when it is more than its rank: "" for the rest."""
    if candidate.required and candidate.pinned:
        return f"pinned (--include), as {candidate.required}"
    if candidate.required:
        return f"required: {candidate.required}"
    if candidate.pinned:
        return "pinned (--include)"
    if candidate.preferred:
        return f"first after them: {candidate.preferred}"
    return ""


@dataclass(frozen=True)
class LeftOut:
    candidate: Candidate
    reason: str


@dataclass(frozen=True)
class Render:
    """One fitting step of a page budget: how many blocks, how many pages."""

    blocks: int
    words: int
    pages: int


@dataclass(frozen=True)
class Composed:
    """What compose built: the recipe, what went in and what stayed out, and the files."""

    recipe: Recipe
    locale: str
    sections: tuple[tuple[str, tuple[Candidate, ...]], ...]  # localised title, blocks
    left_out: tuple[LeftOut, ...]
    words: int  # the body without references, in English-word equivalents
    characters: int  # CJK characters in the body (Chinese: what the words are counted from)
    pages: int | None  # the real PDF's pages, when a PDF was rendered
    renders: tuple[Render, ...]
    written: tuple[Path, ...]
    saved: Path | None
    fallback_blocks: tuple[str, ...]
    request: ComposeRequest  # as composed: the date resolved
    untranslated_words: int = 0  # the chosen blocks' words that stay in the source language


Notice = Callable[[str], None]


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
    saving = _recipe_file(loaded, composed.request, composed.recipe)  # refused before any output
    written = _write(
        loaded, request, prepared, [a for a in artifacts if a.format in request.formats]
    )
    saved = _save(*saving) if saving else None
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
    _validate(loaded, request)
    if request.date is None:  # a composed brief is dated the day it is made
        request = dataclasses.replace(request, date=dt.datetime.now(dt.UTC).date())
    states = (
        {}
        if locale == project.source_locale
        else {k: v.state for k, v in locale_states(loaded.content, project, locale).items()}
    )
    ranked = _candidates(loaded, request, states)
    measured = _measure(loaded, ranked, locale)
    recipe_id = _recipe_id(loaded, request)
    builder = _Builder(loaded, request, recipe_id, locale, progress)
    if request.words is not None:
        chosen, left_out = _fit(measured, request.words, locale, "--words")
        renders: list[Render] = []
    else:
        chosen, left_out, renders = _fit_pages(
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
        words=_brief_words(brief),
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


def parse_date(text: str) -> dt.date | None:
    """--date: YYYY-MM-DD, or today (None: compose dates it when it runs)."""
    if text.strip().lower() in ("", "today"):
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BriefgenError(
            f'--date: "{text}" is not a date; give YYYY-MM-DD (e.g. 2026-12-10) or today.'
        ) from None


def page_count(pdf: bytes) -> int:
    """The pages of a PDF, as a reader's viewer counts them."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --- validate ------------------------------------------------------------------------------


def _validate(loaded: Loaded, request: ComposeRequest) -> None:
    """Every option against the project, all problems at once, each with the nearest value."""
    project = loaded.project
    vocab = project.vocabularies
    problems: list[Problem] = []

    def check(option: str, value: str, known: Iterable[str], what: str) -> None:
        known = list(known)
        if value not in known:
            problems.append(
                Problem(option, 0, f'"{value}" is not {what}{did_you_mean(value, known)}.')
            )

    def required(option: str, what: str, known: Iterable[str]) -> None:
        problems.append(Problem(option, 0, f"is required: {what} {', '.join(sorted(known))}."))

    if not request.audience:
        required("--audience", "one of", vocab["audiences"])
    else:
        check("--audience", request.audience, vocab["audiences"], "an audience in briefgen.yaml")
    if not request.use_cases:
        required("--use-case", "one or more of", vocab["use_cases"])
    for use_case in request.use_cases:
        check("--use-case", use_case, vocab["use_cases"], "a use case in briefgen.yaml")
    for right in request.rights:
        check("--right", right, vocab["rights"], "a right in briefgen.yaml")
    if request.locale:
        check("--locale", request.locale, project.locales, "a locale of this project")
    for name in request.formats:
        check("--format", name, FORMATS, "a format briefgen writes")
    if not request.formats:
        required("--format", "one or more of", FORMATS)
    if request.words is not None and request.pages is not None:
        problems.append(Problem("--words", 0, "give --words or --pages, not both."))
    for option, value in (("--words", request.words), ("--pages", request.pages)):
        if value is not None and value < 1:
            problems.append(Problem(option, 0, f"must be a whole number, at least 1, not {value}."))
    if request.untranslated not in ("fallback", "refuse"):
        check("--untranslated", request.untranslated, ("fallback", "refuse"), "refuse or fallback")
    if "\n" in request.prepared_for or len(request.prepared_for) > 200:
        problems.append(Problem("--prepared-for", 0, "must be one line of at most 200 characters."))
    blocks = loaded.content.locale(project.source_locale)
    part_kinds = {kind for part in PARTS for kind in part.kinds}
    for option, ids in (
        ("--include", request.include),
        ("--exclude", request.exclude),
        ("--order", request.order),
    ):
        for block_id in ids:
            block = blocks.get(block_id)
            if block is None:
                check(option, block_id, blocks, "a block of this project")
            elif option == "--include" and block.kind not in part_kinds:
                problems.append(
                    Problem(
                        option,
                        0,
                        f'"{block_id}" is a {block.kind} block, and a composed brief has no '
                        f"section for that kind (it takes {', '.join(sorted(part_kinds))}).",
                    )
                )
            elif option == "--include" and not Audience(project.build_date).may_show(block):
                problems.append(
                    Problem(option, 0, f'"{block_id}" is internal or under embargo: not public.')
                )
    for block_id in sorted(set(request.include) & set(request.exclude)):
        problems.append(Problem("--exclude", 0, f'"{block_id}" is also given to --include.'))
    saved = request.save_recipe
    if saved is not None and (not SLUG.match(saved.stem) or saved.suffix != ".yaml"):
        problems.append(
            Problem(
                "--save-recipe",
                0,
                f'"{saved.name}" must be a slug (a-z, 0-9, hyphens) ending in .yaml, e.g. '
                f"thursday.yaml: the file name is the brief's id, as in {RECIPES_DIR}/.",
            )
        )
    missing = [
        key
        for key in (*TITLE_STRINGS, *(p.title for p in PARTS))
        if key not in loaded.strings.source
    ]
    if missing:
        where = _strings_file(project, project.source_locale)
        raise ProblemsError(
            [
                Problem(
                    where,
                    0,
                    f'the interface string "{key}" is missing; add it (briefgen\'s own project '
                    f"has it in {where}).",
                )
                for key in missing
            ]
        )
    if problems:
        raise ProblemsError(problems)


def _strings_file(project: Project, locale: str) -> str:
    """Where a locale's interface strings are: the source's YAML, or a gettext catalog."""
    suffix = "yaml" if locale == project.source_locale else "po"
    return f"{STRINGS_DIR.as_posix()}/{locale}.{suffix}"


# --- choose --------------------------------------------------------------------------------


def _candidates(
    loaded: Loaded, request: ComposeRequest, states: Mapping[str, str]
) -> list[Candidate]:
    """Every block the brief may use, in rank order, with each required part's choice marked.

    Required parts may use a block that speaks to none of the requested rights (the brief
    cannot do without an opening); the other blocks must speak to one of them, if rights are
    asked for. Pinned blocks (--include) are candidates whatever they serve; excluded ones
    never. `states`: each block's translation state in the brief's language (empty in the
    source language).
    """
    project = loaded.project
    vocab = project.vocabularies
    every_use_case = frozenset(vocab["use_cases"])
    every_audience = frozenset(vocab["audiences"])
    use_cases, rights = frozenset(request.use_cases), frozenset(request.rights)
    public = Audience(project.build_date)
    part_of = {kind: part.key for part in PARTS for kind in part.kinds}
    eligible: list[Candidate] = []
    pinned, excluded = set(request.include), set(request.exclude)
    for block in loaded.content.locale(project.source_locale).values():
        serves_all = block.use_cases == every_use_case
        if block.id in excluded:
            continue
        if block.id not in pinned and (
            block.kind not in part_of
            or request.audience not in block.audiences
            or not block.use_cases & use_cases
            or not public.may_show(block)
            or (block.kind == "summary" and serves_all)
        ):
            continue
        relevance = (
            (0 if serves_all else len(block.use_cases & use_cases))
            + len(block.rights & rights)
            + (block.audiences != every_audience)
        )
        translated = not states or states.get(block.id) == "current"
        rank = (1, int(not translated), block.priority, -relevance, block.order, block.id)
        eligible.append(
            Candidate(
                block,
                part_of[block.kind],
                0,
                rank,
                pinned=block.id in pinned,
                translated=translated,
            )
        )
    eligible.sort(key=lambda c: c.rank)
    chosen: dict[str, str] = {}
    missing = []
    for part in PARTS:
        if not part.required:
            continue
        kinds = REQUIRED_KINDS.get(part.key, part.kinds)
        options = [c for c in eligible if c.block.kind in kinds]
        # The opening and the ask are for this audience: a block that names it comes first;
        # the key evidence is about this use case: a block that names it comes first.
        if part.key == "evidence":
            options.sort(key=lambda c: (c.block.use_cases == every_use_case, c.rank))
        else:
            options.sort(key=lambda c: (c.block.audiences == every_audience, c.rank))
        if options:
            chosen[options[0].block.id] = part.required
        else:
            missing.append(_missing_part(loaded, request, part, kinds))
    # A pinned block of a required part's kind is that part's choice: the user chose it.
    for part in PARTS:
        kinds = REQUIRED_KINDS.get(part.key, part.kinds)
        pins = [c for c in eligible if c.pinned and c.block.kind in kinds]
        if part.required and pins:
            for block_id in [k for k, v in chosen.items() if v == part.required]:
                del chosen[block_id]
            chosen[pins[0].block.id] = part.required
    if missing:
        raise ProblemsError(missing)
    kept = [
        dataclasses.replace(c, required=chosen.get(c.block.id, ""))
        for c in eligible
        if c.block.id in chosen or c.pinned or not rights or c.block.rights & rights
    ]
    for part in PARTS:
        best = next((c for c in kept if c.part == part.key and not c.required), None)
        if part.preferred and best is not None:
            index = kept.index(best)
            kept[index] = dataclasses.replace(
                best, rank=(0, *best.rank[1:]), preferred=part.preferred
            )
    return sorted(kept, key=lambda c: c.rank)


def _missing_part(
    loaded: Loaded, request: ComposeRequest, part: Part, kinds: Iterable[str]
) -> Problem:
    project = loaded.project
    use_cases = " or ".join(f'"{u}"' for u in request.use_cases)
    kind = "/".join(kinds)
    return Problem(
        f"content/{project.source_locale}/",
        0,
        f'no {kind} block serves the audience "{request.audience}" and the use case '
        f"{use_cases}, and the brief cannot do without one ({part.required}): write one "
        f"(kind: {next(iter(kinds))}, audiences: [{request.audience}] or all, use_cases: "
        f"[{request.use_cases[0]}] or all) or choose another audience or use case"
        + (f" (--exclude took out {', '.join(request.exclude)})." if request.exclude else "."),
    )


def _measure(loaded: Loaded, ranked: list[Candidate], locale: str) -> list[Candidate]:
    """Each candidate's words in `locale`, as assemble presents it (translation or fallback)."""
    project = loaded.project
    spec = SectionSpec({}, tuple((c.block.id, 0) for c in ranked), None, True, 0)
    recipe = Recipe(
        "compose-measure", "", {}, {}, {}, "all", frozenset(project.vocabularies["use_cases"]),
        (), "", False, False, 3, (spec,),
    )  # fmt: skip
    brief = assemble(
        project, recipe, loaded.content, locale, loaded.data_for(locale), False,
        loaded.strings.for_locale(locale), "fallback",
    )  # fmt: skip
    shown = {b.id: b for b in brief.blocks}
    titled = {p.key: p.show_titles for p in PARTS}
    return [
        dataclasses.replace(c, words=block_words(shown[c.block.id], titled[c.part])) for c in ranked
    ]


def _fit(
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


def _fit_pages(
    builder: _Builder, ranked: list[Candidate], pages: int, locale: str
) -> tuple[list[Candidate], list[LeftOut], list[Render]]:
    """Choose by an estimate of the words the pages hold, then render the PDF and count: take
    the lowest-ranked block out while it runs over; then add the best-ranked blocks left out
    while the PDF still fits (after one that does not, only shorter ones; MAX_MISSES misses at
    most). At most MAX_RENDERS renders."""
    estimate = max(pages * WORDS_PER_PAGE - FIRST_PAGE_AND_REFERENCES, 1)
    required = [c for c in ranked if c.fixed]
    try:
        chosen, _ = _fit(ranked, estimate, locale, "--pages")
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


class _Builder:
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


def composed_recipe(
    loaded: Loaded, request: ComposeRequest, recipe_id: str, chosen: list[Candidate]
) -> Recipe:
    """The Recipe of a selection: one section per part that has blocks, in the parts' order;
    in each, the required block first, then the others in the project's reading order."""
    project = loaded.project
    sections = []
    for part in PARTS:
        picked = sorted(
            (c for c in chosen if c.part == part.key),
            key=lambda c: (not c.required, c.block.order),
        )
        if not picked:
            continue
        picked = _reordered(picked, request.order)
        sections.append(
            SectionSpec(
                title=_texts(loaded, part.title, request),
                block_ids=tuple((c.block.id, 0) for c in picked),
                selector=None,
                show_titles=part.show_titles,
                line=0,
            )
        )
    locale = request.locale or project.source_locale
    title = (
        {locale: request.title.strip()}
        if request.title.strip()
        else _texts(loaded, "compose_title", request)
    )
    subtitle = "compose_subtitle_rights" if request.rights else "compose_subtitle"
    return Recipe(
        id=recipe_id,
        path=_recipe_path(loaded, request, recipe_id),
        title=title,
        subtitle=_texts(loaded, subtitle, request),
        short_title={},
        audience=request.audience,
        use_cases=frozenset(request.use_cases),
        formats=request.formats,
        csl="",
        toc=False,
        compact=False,
        max_priority=3,
        sections=tuple(sections),
        pages=None if request.words is not None else request.pages or DEFAULT_PAGES,
        words=request.words,
        prepared_for=request.prepared_for.strip(),
        date=request.date,
    )


def _reordered(picked: list[Candidate], order: tuple[str, ...]) -> list[Candidate]:
    """The blocks `order` names take, in its sequence, the places they held among `picked`;
    the others keep theirs."""
    position = {block_id: index for index, block_id in enumerate(order)}
    named = sorted(
        (c for c in picked if c.block.id in position), key=lambda c: position[c.block.id]
    )
    queue = iter(named)
    return [next(queue) if c.block.id in position else c for c in picked]


def _texts(loaded: Loaded, key: str, request: ComposeRequest) -> dict[str, str]:
    """An interface string in every locale, with the audience, use cases and rights named in
    that locale's words (briefgen.yaml's labels, translated in the catalogs)."""
    texts = {}
    project = loaded.project
    for locale in project.locales:
        strings = loaded.strings.for_locale(locale)
        try:
            texts[locale] = strings[key].format(
                audience=_names(loaded, strings, locale, "audiences", [request.audience]),
                use_cases=_names(loaded, strings, locale, "use_cases", request.use_cases),
                rights=_names(loaded, strings, locale, "rights", request.rights),
            )
        except (KeyError, IndexError, ValueError):
            raise ProblemsError(
                [
                    Problem(
                        _strings_file(project, locale),
                        0,
                        f'the string "{key}" ("{strings[key]}") may use only the placeholders '
                        "{audience}, {use_cases} and {rights}, and braces only around them.",
                    )
                ]
            ) from None
    return texts


def _names(
    loaded: Loaded, strings: Mapping[str, str], locale: str, vocabulary: str, keys: Iterable[str]
) -> str:
    """Vocabulary labels as a list in the locale's words: "A, B and C", "A、B和C"."""
    labels = [vocabulary_label(strings, loaded.project, vocabulary, k) for k in sorted(keys)]
    return format_list(labels, locale=babel.Locale.parse(locale, sep="-")) if labels else ""


def _recipe_id(loaded: Loaded, request: ComposeRequest) -> str:
    """The brief's id: the saved recipe's file name, else a slug of the title, else of what
    was asked (audience, use cases, rights)."""
    if request.save_recipe is not None:
        recipe_id = request.save_recipe.stem
        existing = loaded.recipes.get(recipe_id)
        saved = request.save_recipe.resolve()
        if existing is not None and (loaded.project.root / existing.path).resolve() != saved:
            raise BriefgenError(
                f'the project already has a brief "{recipe_id}" ({existing.path}); save the '
                "recipe under another name, e.g. "
                f"{request.save_recipe.with_stem(recipe_id + '-composed').name}."
            )
        return recipe_id
    fallback = "-".join([request.audience, *sorted(request.use_cases), *sorted(request.rights)])
    return _slug(request.title) or fallback


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def _recipe_path(loaded: Loaded, request: ComposeRequest, recipe_id: str) -> str:
    if request.save_recipe is not None:
        return display_path(request.save_recipe.resolve(), loaded.project.root)
    return f"{RECIPES_DIR}/{recipe_id}.yaml"


def _brief_words(brief: Brief) -> int:
    return sum(block_words(b, s.show_titles) for s in brief.sections for b in s.blocks)


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


def _recipe_file(
    loaded: Loaded, request: ComposeRequest, recipe: Recipe
) -> tuple[Path, bytes] | None:
    """Where the recipe goes and its bytes; refuse to replace a different file (it may hold
    someone's edits)."""
    if request.save_recipe is None:
        return None
    path = request.save_recipe.resolve()
    data = recipe_yaml(recipe, loaded.project, request.command()).encode("utf-8")
    if path.exists() and (path.is_dir() or path.read_bytes() != data):
        raise BriefgenError(
            f"{request.save_recipe} already exists and holds something else; give "
            "--save-recipe a new file name, or move that file away first."
        )
    return path, data


def _save(path: Path, data: bytes) -> Path:
    try:
        write_atomic(path, data)
    except OSError as error:
        raise BriefgenError(f"cannot write {path}: {error.strerror}.") from None
    return path


class _RecipeDumper(yaml.SafeDumper):
    """Lists of names on one line (`blocks: [a, b]`), mappings one key a line, and sections
    indented under their key, as the shipped recipes are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _flow_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_RecipeDumper.add_representer(list, _flow_list)


def recipe_yaml(recipe: Recipe, project: Project, command: str) -> str:
    """A recipe file that loads back into `recipe` (docs/recipes.md), keys in reading order."""
    data: dict[str, Any] = {
        "title": _ordered(recipe.title, project),
        "subtitle": _ordered(recipe.subtitle, project),
        "audience": recipe.audience,
        "use_cases": sorted(recipe.use_cases),
        "formats": list(recipe.formats),
    }
    if recipe.pages is not None:
        data["pages"] = recipe.pages
    if recipe.words is not None:
        data["words"] = recipe.words
    if recipe.prepared_for:
        data["prepared_for"] = recipe.prepared_for
    if recipe.date is not None:
        data["date"] = recipe.date
    data["sections"] = [_section_data(spec, project) for spec in recipe.sections]
    header = (
        f"# Composed by: {command}\n"
        f"# A recipe like any other (docs/recipes.md): edit it, copy it into {RECIPES_DIR}/, then\n"
        f"# run `briefgen build {recipe.id}` to rebuild the same brief.\n"
    )
    body = yaml.dump(data, Dumper=_RecipeDumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def _section_data(spec: SectionSpec, project: Project) -> dict[str, Any]:
    section: dict[str, Any] = {
        "title": _ordered(spec.title, project),
        "blocks": [block_id for block_id, _ in spec.block_ids],
    }
    if not spec.show_titles:
        section["show_titles"] = False
    return section


def _ordered(texts: Mapping[str, str], project: Project) -> dict[str, str]:
    """Texts by locale, the source locale first, as the shipped recipes write them."""
    order = [project.source_locale, *(c for c in project.locales if c != project.source_locale)]
    return {locale: texts[locale] for locale in order if locale in texts}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


# --- for the studio ------------------------------------------------------------------------


def render_composed(loaded: Loaded, composed: Composed, formats: tuple[str, ...]) -> list[Artifact]:
    """A composed brief in more formats, from its recipe: no fitting again."""
    builder = _Builder(
        loaded, composed.request, composed.recipe.id, composed.locale, lambda event: None
    )
    _, artifacts = builder.render(composed.recipe, formats)
    return [a for a in artifacts if a.format in formats]


def save_composed(loaded: Loaded, request: ComposeRequest) -> tuple[Composed, Path]:
    """Compose `request` (whose save_recipe names the file) and write only its recipe."""
    composed, _, _ = composition(loaded, request)
    saving = _recipe_file(loaded, composed.request, composed.recipe)
    assert saving is not None  # request.save_recipe is set
    return composed, _save(*saving)
