"""Assemble a brief: choose its blocks and data from a recipe, in one locale.

Selection rules (docs/recipes.md): a section's `blocks` lists ids in order; a section's `select`
takes every public block that matches all its rules, in file-path order. A block appears once in a
brief, in the first section that takes it. A `data` section takes the companies of the brief's use
cases, or the glossary terms its text uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.i18n.locales import BlockState, block_state, vocabulary_label
from briefgen.i18n.memory import memory_for, partly_translated
from briefgen.load.project import Project
from briefgen.model import (
    Block,
    Brief,
    Company,
    Content,
    Data,
    Recipe,
    Section,
    Selector,
    localized,
)


@dataclass(frozen=True)
class Audience:
    """Who a build is for: the public (dated, for embargoes), or the team (internal)."""

    on: dt.date
    internal: bool = False

    def may_show(self, block: Block) -> bool:
        return self.internal or block.is_public(self.on)


def matches(block: Block, selector: Selector, recipe: Recipe, audience: Audience) -> bool:
    """Whether a block satisfies every rule of a selector within a recipe."""
    audiences = selector.audiences
    if audiences is None:
        audiences = None if recipe.audience == "all" else frozenset({recipe.audience})
    use_cases = recipe.use_cases if selector.use_cases is None else selector.use_cases
    max_priority = recipe.max_priority if selector.max_priority is None else selector.max_priority
    return (
        audience.may_show(block)
        and (not selector.kinds or block.kind in selector.kinds)
        and (audiences is None or bool(block.audiences & audiences))
        and bool(block.use_cases & use_cases)
        and (not selector.rights or bool(block.rights & selector.rights))
        and (not selector.under or block.order.startswith(tuple(f"{u}/" for u in selector.under)))
        and block.priority <= max_priority
    )


def select_blocks(
    recipe: Recipe, blocks: dict[str, Block], audience: Audience
) -> tuple[list[list[Block]], list[Problem]]:
    """The blocks of each section, chosen from the source locale's blocks.

    A public build never takes an internal block, nor one under embargo on the build date.
    """
    problems: list[Problem] = []
    placed: set[str] = set()
    ordered = sorted(blocks.values(), key=lambda b: b.order)
    chosen: list[list[Block]] = []
    for spec in recipe.sections:
        title = next(iter(spec.title.values()), "")
        picked: list[Block] = []
        reported = len(problems)
        for block_id, line in spec.block_ids:
            block = blocks.get(block_id)
            if block is None:
                problems.append(
                    Problem(
                        recipe.path,
                        line,
                        f'the section "{title}" names the block '
                        f'"{block_id}", which does not exist'
                        f"{did_you_mean(block_id, blocks)}.",
                    )
                )
            elif not audience.may_show(block):
                why = (
                    "is internal"
                    if block.visibility != "public"
                    else f"is under embargo until {block.embargo}"
                )
                problems.append(
                    Problem(
                        recipe.path,
                        line,
                        f'the block "{block_id}" {why} and '
                        "cannot go into a public brief; build with --internal "
                        "or take it out of the recipe.",
                    )
                )
            elif block_id not in placed:
                picked.append(block)
                placed.add(block_id)
        if spec.selector is not None:
            for block in ordered:
                if block.id not in placed and matches(block, spec.selector, recipe, audience):
                    picked.append(block)
                    placed.add(block.id)
        if not picked and len(problems) == reported and not spec.data:
            problems.append(
                Problem(
                    recipe.path,
                    spec.line,
                    f'the section "{title}" selects no blocks: loosen its rules or list block ids.',
                )
            )
        chosen.append(picked)
    return chosen, problems


def assemble(
    project: Project,
    recipe: Recipe,
    content: Content,
    locale: str,
    data: Data | None = None,
    internal: bool = False,
    strings: Mapping[str, str] | None = None,
    untranslated: str = "",
    states: Mapping[str, BlockState] | None = None,
) -> Brief:
    """Choose the brief's blocks (from the source locale) and swap in `locale`'s translations.

    `data` is the locale's structured data, used by companies and glossary sections; `internal`
    admits internal and embargoed blocks (and marks the brief as internal); `strings` are the
    locale's interface strings (for audience and use-case names). A block whose translation is
    missing or stale follows `untranslated` (else the recipe's rule, else the project's):
    "refuse" raises a problem per block, "fallback" shows the source block and records it.
    `states`: the locale's translations' states as load() found them (Loaded.states), by block
    id; a state not given is worked out here.
    """
    source = content.locale(project.source_locale)
    chosen, problems = select_blocks(recipe, source, Audience(project.build_date, internal))
    if problems:
        raise ProblemsError(problems)
    translated = content.locale(locale)
    rule = untranslated or recipe.untranslated or project.untranslated
    strings = strings or {}
    fallback: list[str] = []
    refused: list[Problem] = []
    sections = []
    data = data or Data((), {}, ())
    partial: list[str] = []
    for spec, picked in zip(recipe.sections, chosen, strict=True):
        blocks = []
        for block in picked:
            if locale == project.source_locale:
                blocks.append(block)
                continue
            translation = translated.get(block.id)
            state = (states or {}).get(block.id) or block_state(block, translation)
            if state.state == "current":
                blocks.append(translated.get(block.id, block))
                continue
            if rule == "refuse":
                refused.append(_refusal(recipe, locale, state))
            fallback.append(block.id)
            mixed = _partly(project, locale, block, translation, state.changed)
            if mixed is not None and rule != "refuse":
                partial.append(block.id)
                blocks.append(mixed)
            else:
                blocks.append(block)
        use_cases = tuple(sorted(spec.use_cases or recipe.use_cases)) if spec.data else ()
        firms: tuple[Company, ...] = ()
        if spec.data == "companies":
            firms = tuple(c for c in data.companies if c.use_cases & set(use_cases))
        sections.append(
            Section(
                localized(spec.title, locale, project.source_locale),
                tuple(blocks),
                spec.show_titles,
                spec.data,
                use_cases,
                firms,
            )
        )
    # A glossary lists the terms the brief's own text uses, tables included, and only those.
    text = "\n".join(
        [f"{b.title}\n{b.body}" for s in sections for b in s.blocks]
        + [
            f"{c.name} {c.products} {' '.join(c.claimed_uses)}"
            for s in sections
            for c in s.companies
        ]
    )
    has_glossary = any(s.data == "glossary" for s in sections)
    text = text.lower()
    terms = tuple(t for t in data.terms if t.used_in(text)) if has_glossary else ()
    # Data entries follow the same rule as blocks: an untranslated table row or glossary term
    # is refused, or shown in the source language and recorded (the table gets a note).
    if locale != project.source_locale:
        used = [f"companies/{c.id}" for s in sections for c in s.companies]
        used += [f"glossary/{t.id}" for t in terms]
        for key in dict.fromkeys(used):
            if data.states.get(key, "missing") == "current":
                continue
            if rule == "refuse":
                refused.append(
                    Problem(
                        f"data/{locale}/{key.split('/')[0]}.yaml",
                        0,
                        f'the brief "{recipe.id}" needs the entry "{key.split("/")[1]}" in '
                        f"{locale}, and it is {data.states.get(key, 'missing')}: translate it, "
                        "or build with --untranslated fallback.",
                    )
                )
            fallback.append(key)
    if refused:
        raise ProblemsError(refused)
    audience = recipe.audience

    def label(vocabulary: str, key: str) -> str:
        return vocabulary_label(strings, project, vocabulary, key)

    return Brief(
        recipe=recipe,
        locale=locale,
        title=localized(recipe.title, locale, project.source_locale),
        subtitle=localized(recipe.subtitle, locale, project.source_locale),
        audience_label="" if audience == "all" else label("audiences", audience),
        use_case_labels=tuple(label("use_cases", u) for u in sorted(recipe.use_cases)),
        date=recipe.date or project.build_date,
        sections=tuple(sections),
        fallback_blocks=tuple(sorted(fallback)) if locale != project.source_locale else (),
        partial_blocks=tuple(sorted(partial)),
        terms=terms,
        data_kinds=data.data_kinds,
        use_case_names={u: label("use_cases", u) for u in project.vocabularies["use_cases"]},
        internal=internal,
    )


def _partly(
    project: Project,
    locale: str,
    source: Block,
    translation: Block | None,
    changed: tuple[str, ...],
) -> Block | None:
    """A stale translation whose only change is in the text: its paragraphs translated where
    their English is unchanged since (the translation memory says), the others in English."""
    if translation is None or set(changed) != {"body"}:
        return None
    memory = memory_for(project.root, locale)
    body = partly_translated(source.body, source.id, memory, project.source_locale)
    if body is None:
        return None
    return replace(translation, body=body.strip("\n") + "\n")


def _refusal(recipe: Recipe, locale: str, state: BlockState) -> Problem:
    """A block the brief cannot show in `locale`, as a problem at the file to translate."""
    if state.state == "missing":
        return Problem(
            state.source_path,
            0,
            f'the brief "{recipe.id}" needs this block in {locale}, and it is not translated '
            f"(the project refuses untranslated blocks: translate it, or build with "
            f"--untranslated fallback).",
        )
    return Problem(
        state.path,
        0,
        f'the brief "{recipe.id}" needs this block in {locale}, and {state.reason}: update '
        "the translation, then record it (briefgen i18n import, or i18n mark-current), or "
        "build with --untranslated fallback.",
    )
