"""`i18n status`: every block, data entry, interface string and title of a locale, current,
stale or missing, and the words left to translate (stale blocks narrowed to their changed
units where the translation memory knows them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from briefgen.errors import Problem
from briefgen.i18n.exchange.model import item_fields, unit_id
from briefgen.i18n.items import (
    block_item,
    brief_block_ids,
    brief_data_keys,
    brief_in,
    check_brief,
    check_locale,
)
from briefgen.i18n.locales import BlockState, LocaleStatus, Scope, count_words, locale_states
from briefgen.i18n.memory import read_memory, same_text
from briefgen.load.loader import Loaded, load


def status(
    root: Path, locales: Sequence[str] = (), briefs: Sequence[str] = ()
) -> tuple[list[LocaleStatus], str, tuple[Problem, ...]]:
    """The translation state of each locale (and of each brief in it), the source locale, and
    what translation QA found in current translations (reported, not raised)."""
    loaded = load(root, qa_apart=True)
    project = loaded.project
    for locale in locales:
        check_locale(loaded, locale)
    for brief in briefs:
        check_brief(loaded, brief)
    targets = list(locales) or [c for c in project.locales if c != project.source_locale]
    report = []
    for locale in targets:
        states = _unit_states(loaded, locale, locale_states(loaded.content, project, locale))
        data = loaded.data_for(locale).states
        missing_strings = tuple(loaded.strings.missing(locale))
        recipe_ids = list(briefs) or [
            r.id for r in loaded.recipes.values() if r.visibility == "public"
        ]
        parts = []
        for recipe_id in recipe_ids:
            ids = brief_block_ids(loaded, recipe_id)
            keys = brief_data_keys(brief_in(loaded, recipe_id, locale))
            parts.append(
                (
                    recipe_id,
                    Scope(
                        tuple(states[i] for i in ids),
                        tuple((k, data.get(k, "current")) for k in keys),
                        missing_strings,
                    ),
                )
            )
        if briefs:  # the locale's figures cover just these briefs
            ids = list(dict.fromkeys(s.block_id for _, p in parts for s in p.states))
            keys = list(dict.fromkeys(k for _, p in parts for k, _ in p.data))
            scope = Scope(
                tuple(states[i] for i in ids),
                tuple((k, data.get(k, "current")) for k in keys),
                missing_strings,
            )
        else:
            scope = Scope(
                tuple(states.values()),
                tuple(sorted(data.items())),
                missing_strings,
                _titles_missing(loaded, locale),
            )
        report.append(LocaleStatus(locale, scope, tuple(parts)))
    return report, project.source_locale, loaded.qa


def _titles_missing(loaded: Loaded, locale: str) -> tuple[str, ...]:
    """The titles a locale has no text for: recipes' titles, subtitles and section titles, and
    the project's name and publisher (briefs print them in the source language)."""
    project = loaded.project
    missing = []
    # A name given as plain text is the same in every locale; a mapping is translated.
    if len(project.names) > 1 and locale not in project.names:
        missing.append("briefgen.yaml: name")
    if len(project.publishers) > 1 and locale not in project.publishers:
        missing.append("briefgen.yaml: publisher")
    for recipe in sorted(loaded.recipes.values(), key=lambda r: r.path):
        texts = [("title", recipe.title), ("subtitle", recipe.subtitle)]
        texts += [(f"section {n} title", s.title) for n, s in enumerate(recipe.sections, 1)]
        missing += [f"{recipe.path}: {what}" for what, text in texts if text and locale not in text]
    return tuple(missing)


def _unit_states(
    loaded: Loaded, locale: str, states: dict[str, BlockState]
) -> dict[str, BlockState]:
    """Stale blocks narrowed to the units whose source changed, where the translation memory
    says what each unit was translated from: their words are what is left to translate."""
    memory = read_memory(loaded.project.root, locale)
    source = loaded.content.locale(loaded.project.source_locale)
    translated = loaded.content.locale(locale)
    narrowed = dict(states)
    for block_id, state in states.items():
        if state.state != "stale" or state.untracked:
            continue
        item = block_item(source[block_id], translated.get(block_id), ())
        if not any(key.startswith(f"{item.key}/") for key in memory):
            continue
        units, words = [], 0
        for field in item_fields(item):
            for segment in field.segments:
                ident = unit_id(item.key, field.name, segment.number)
                remembered = memory.get(ident)
                text = segment.inline.render(segment.inline.pieces)
                if remembered is None or not same_text(remembered.source, text):
                    units.append(ident.removeprefix(f"{item.key}/"))
                    words += count_words(text)
        narrowed[block_id] = dataclasses.replace(state, units=tuple(units), words=words)
    return narrowed
