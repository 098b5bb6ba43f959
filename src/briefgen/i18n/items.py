"""What a locale translates, as the exchange formats' source items (blocks, data entries,
interface strings, recipe titles), which of them a brief uses, and the checks of a locale or a
brief named on the command line: shared by status, transfer and edits."""

from __future__ import annotations

from collections.abc import Iterable

from briefgen.assemble.select import Audience, assemble, select_blocks
from briefgen.errors import Problem, ProblemsError, did_you_mean
from briefgen.i18n.exchange import SourceItem
from briefgen.i18n.locales import STRINGS_DIR, field_hash, field_texts, source_hashes
from briefgen.load.datasets import DATA_DIR, entry_hash, entry_texts
from briefgen.load.loader import Loaded
from briefgen.model import Block, Brief, Company, Recipe, Term


def check_locale(loaded: Loaded, locale: str) -> None:
    project = loaded.project
    if locale not in project.locales or locale == project.source_locale:
        others = [code for code in project.locales if code != project.source_locale]
        raise ProblemsError(
            [
                Problem(
                    "briefgen.yaml",
                    0,
                    f'"{locale}" is not a translated locale of this project'
                    f"{did_you_mean(locale, others)}.",
                )
            ]
        )


def check_brief(loaded: Loaded, brief: str) -> None:
    if brief not in loaded.recipes:
        raise ProblemsError(
            [
                Problem(
                    "briefs/",
                    0,
                    f'there is no brief "{brief}"{did_you_mean(brief, loaded.recipes)}.',
                )
            ]
        )


def brief_in(loaded: Loaded, recipe_id: str, locale: str) -> Brief:
    """A brief as it would be built in `locale`, falling back for anything untranslated."""
    return assemble(
        loaded.project,
        loaded.recipes[recipe_id],
        loaded.content,
        locale,
        loaded.data_for(locale),
        strings=loaded.strings.for_locale(locale),
        untranslated="fallback",
    )


def brief_block_ids(loaded: Loaded, recipe_id: str) -> list[str]:
    project = loaded.project
    chosen, _ = select_blocks(
        loaded.recipes[recipe_id],
        loaded.content.locale(project.source_locale),
        Audience(project.build_date),
    )
    return [b.id for section in chosen for b in section]


def brief_data_keys(brief: Brief) -> list[str]:
    return [f"companies/{c.id}" for c in brief.companies] + [
        f"glossary/{t.id}" for t in brief.terms
    ]


def block_item(block: Block, translation: Block | None, briefs: Iterable[str]) -> SourceItem:
    texts = field_texts(block)
    current = None
    if translation is not None:
        current = field_texts(translation)
    return SourceItem(
        key=f"block/{block.id}",
        fields=texts,
        markdown_fields=frozenset({"body"}),
        source_hash=combined_hash(source_hashes(block)),
        context={
            "block": block.id,
            "title": block.title,
            "kind": block.kind,
            "audiences": ", ".join(sorted(block.audiences)),
            "briefs": ", ".join(sorted(briefs)),
            "path": block.path,
        },
        translation=current,
    )


def combined_hash(hashes: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(hashes.items()))


def entry_item(kind: str, entry: Company | Term, translated: Company | Term | None) -> SourceItem:
    name = "glossary" if kind == "terms" else "companies"
    return SourceItem(
        key=f"data/{name}/{entry.id}",
        fields=entry_texts(kind, entry),
        markdown_fields=frozenset(),
        source_hash=entry_hash(kind, entry),
        context={"entry": entry.id, "path": f"{DATA_DIR}/<locale>/{name}.yaml"},
        translation=entry_texts(kind, translated) if translated is not None else None,
    )


def string_item(locale: str, key: str, text: str, translation: str | None) -> SourceItem:
    return SourceItem(
        key=f"string/{key}",
        fields={"text": text},
        markdown_fields=frozenset(),
        source_hash=combined_hash({"text": field_hash(text)}),
        context={"string": key, "path": f"{STRINGS_DIR}/{locale}.po"},
        translation={"text": translation} if translation is not None else None,
    )


def _recipe_texts(recipe: Recipe) -> dict[str, dict[str, str]]:
    """A recipe's translatable titles by exchange field: title, subtitle, short_title and
    section-<n> (n counting from 1), each a mapping of locale to text."""
    texts = {"title": recipe.title, "subtitle": recipe.subtitle, "short_title": recipe.short_title}
    texts.update({f"section-{n}": s.title for n, s in enumerate(recipe.sections, 1)})
    return {name: text for name, text in texts.items() if text}


def recipe_titles_item(recipe: Recipe, source_locale: str, locale: str) -> SourceItem | None:
    texts = _recipe_texts(recipe)
    fields = {name: text[source_locale] for name, text in texts.items() if text.get(source_locale)}
    if not fields:
        return None
    have = {name: texts[name][locale] for name in fields if texts[name].get(locale)}
    return SourceItem(
        key=f"recipe/{recipe.id}",
        fields=fields,
        markdown_fields=frozenset(),
        source_hash=combined_hash({name: field_hash(text) for name, text in fields.items()}),
        context={"brief": recipe.id, "path": recipe.path},
        translation=have or None,
    )
