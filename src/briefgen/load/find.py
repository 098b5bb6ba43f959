"""Find and inspect content: which blocks serve an audience, a use case or a right, how long
they are, how far each translation has got, and everything about one block."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from briefgen.assemble.select import Audience, select_blocks
from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.i18n.locales import BlockState, block_state, count_words
from briefgen.load.loader import Loaded
from briefgen.model import Block


@dataclass(frozen=True)
class BlockRow:
    block: Block
    words: int  # CJK characters count one each
    translations: tuple[tuple[str, str], ...]  # (locale, current | stale | missing)


@dataclass(frozen=True)
class Filters:
    audience: str = ""
    use_case: str = ""
    right: str = ""
    kind: str = ""
    locale: str = ""
    text: str = ""


def _check(value: str, known: Any, what: str, problems: list[Problem]) -> None:
    if value and value not in known:
        problems.append(
            Problem("briefgen.yaml", 0, f'unknown {what} "{value}"{did_you_mean(value, known)}.')
        )


def find_blocks(loaded: Loaded, filters: Filters) -> list[BlockRow]:
    """Blocks of the source locale (or of `filters.locale`) that match every filter given."""
    project = loaded.project
    vocab = project.vocabularies
    problems: list[Problem] = []
    _check(filters.audience, vocab["audiences"], "audience", problems)
    _check(filters.use_case, vocab["use_cases"], "use case", problems)
    _check(filters.right, vocab["rights"], "right", problems)
    _check(filters.kind, vocab["kinds"], "kind", problems)
    _check(filters.locale, project.locales, "locale", problems)
    if problems:
        raise ProblemsError(problems)
    locale = filters.locale or project.source_locale
    source = loaded.content.locale(project.source_locale)
    others = [code for code in project.locales if code != project.source_locale]
    needle = filters.text.casefold()
    rows = []
    for block in sorted(loaded.content.locale(locale).values(), key=lambda b: b.order):
        if filters.audience and filters.audience not in block.audiences:
            continue
        if filters.use_case and filters.use_case not in block.use_cases:
            continue
        if filters.right and filters.right not in block.rights:
            continue
        if filters.kind and block.kind != filters.kind:
            continue
        if needle and needle not in f"{block.id}\n{block.title}\n{block.body}".casefold():
            continue
        original = source.get(block.translation_of or block.id, block)
        states = tuple(
            (code, block_state(original, loaded.content.locale(code).get(original.id)).state)
            for code in others
        )
        rows.append(BlockRow(block, count_words(f"{block.title}\n{block.body}"), states))
    return rows


@dataclass(frozen=True)
class BlockReport:
    block: Block
    references: tuple[tuple[str, str], ...]  # (key, a reference in plain text)
    translations: tuple[BlockState, ...]
    briefs: tuple[str, ...]  # recipes whose brief contains the block


def describe_block(loaded: Loaded, block_id: str) -> BlockReport:
    project = loaded.project
    source = loaded.content.locale(project.source_locale)
    if block_id not in source:
        raise ProblemsError(
            [
                Problem(
                    f"content/{project.source_locale}/",
                    0,
                    f'there is no block "{block_id}"{did_you_mean(block_id, source)}.',
                )
            ]
        )
    block = source[block_id]
    items = {item["id"]: item for item in loaded.bibliography.csl_items(block.cited_keys)}
    references = tuple((key, _reference(items.get(key, {}))) for key in block.cited_keys)
    translations = tuple(
        dataclasses.replace(
            block_state(block, loaded.content.locale(code).get(block_id)), locale=code
        )
        for code in project.locales
        if code != project.source_locale
    )
    briefs = []
    for recipe in loaded.recipes.values():
        chosen, _ = select_blocks(recipe, source, Audience(project.build_date, internal=True))
        if any(b.id == block_id for section in chosen for b in section):
            briefs.append(recipe.id)
    return BlockReport(block, references, translations, tuple(briefs))


def _reference(item: dict[str, Any]) -> str:
    """A short plain-text reference from a CSL item: authors (year). Title. Container."""
    names = [
        a.get("family") or a.get("literal") or ""
        for a in item.get("author", [])
        if isinstance(a, dict)
    ]
    authors = ", ".join(n for n in names if n) or "(no author)"
    issued = item.get("issued", {}).get("date-parts", [[None]])
    year = issued[0][0] if issued and issued[0] else None
    parts = [f"{authors} ({year or 'n.d.'})", str(item.get("title", "")).strip()]
    container = item.get("container-title") or item.get("publisher")
    if container:
        parts.append(str(container))
    return ". ".join(p for p in parts if p) + "."
