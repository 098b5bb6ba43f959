"""The composed brief as an ordinary Recipe, and as the YAML recipe file `--save-recipe` writes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import babel
import yaml
from babel.lists import format_list

from briefgen.compose.choose import strings_file
from briefgen.compose.request import DEFAULT_PAGES, PARTS, Candidate, ComposeRequest
from briefgen.errors import BriefgenError, Problem, ProblemsError, display_path
from briefgen.i18n.locales import (
    block_words,
    vocabulary_label,
)
from briefgen.load.loader import Loaded
from briefgen.load.project import Project
from briefgen.load.recipes import RECIPES_DIR
from briefgen.model import Brief, Recipe, SectionSpec
from briefgen.publish.output import write_atomic


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
                        strings_file(project, locale),
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


def composed_recipe_id(loaded: Loaded, request: ComposeRequest) -> str:
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


def brief_words(brief: Brief) -> int:
    return sum(block_words(b, s.show_titles) for s in brief.sections for b in s.blocks)


def recipe_file_bytes(
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


def save_file(path: Path, data: bytes) -> Path:
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
