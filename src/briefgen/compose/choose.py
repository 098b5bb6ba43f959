"""Which blocks a composed brief may use, ranked, with each required part's choice; and
their words as the reader gets them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from fractions import Fraction

from briefgen.assemble.select import Audience, assemble
from briefgen.compose.request import (
    PARTS,
    REQUIRED_KINDS,
    TITLE_STRINGS,
    Candidate,
    ComposeRequest,
    Part,
)
from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.i18n.locales import (
    STRINGS_DIR,
    block_words,
)
from briefgen.load.loader import Loaded
from briefgen.load.project import SLUG, Project
from briefgen.load.recipes import RECIPES_DIR
from briefgen.model import FORMATS, Recipe, SectionSpec

# --- validate ------------------------------------------------------------------------------


def validate_request(loaded: Loaded, request: ComposeRequest) -> None:  # noqa: C901 (every option of a request, checked in one flat list)
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
        where = strings_file(project, project.source_locale)
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


def strings_file(project: Project, locale: str) -> str:
    """Where a locale's interface strings are: the source's YAML, or a gettext catalog."""
    suffix = "yaml" if locale == project.source_locale else "po"
    return f"{STRINGS_DIR.as_posix()}/{locale}.{suffix}"


# --- choose --------------------------------------------------------------------------------


def ranked_candidates(
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
        # How much of the block speaks to the asked use cases: all of a block on education
        # alone, a third of one on all three use cases (which may never reach education).
        share = (
            Fraction(0)
            if serves_all
            else Fraction(len(block.use_cases & use_cases), len(block.use_cases))
        )
        relevance = share + len(block.rights & rights) + (block.audiences != every_audience)
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
        # In a target language, a translated block first: the reader's language matters more
        # than the fit. Then the opening and the ask are for this audience and, where the
        # content has one, this use case: a block written for both comes first, then one for
        # the audience. The key evidence is about this use case, and documented facts
        # (evidence) before conclusions drawn from them (finding).
        if part.key == "evidence":
            options.sort(
                key=lambda c: (
                    not c.translated,
                    c.block.use_cases == every_use_case,
                    kinds.index(c.block.kind),
                    c.rank,
                )
            )
        else:
            options.sort(
                key=lambda c: (
                    not c.translated,
                    c.block.audiences == every_audience,
                    c.block.use_cases == every_use_case,
                    c.rank,
                )
            )
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


def measure(loaded: Loaded, ranked: list[Candidate], locale: str) -> list[Candidate]:
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
