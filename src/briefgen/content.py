"""Load content blocks: `content/<locale>/**/*.md`, Markdown with YAML front matter."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.errors import Problem, ProblemsError, did_you_mean, display_path, problem
from briefgen.project import SLUG, Project
from briefgen.scan import Citation, scan_body
from briefgen.yamlfile import parse_yaml, read_text

CONTENT_DIR = "content"
REQUIRED = ("id", "title", "kind", "audiences", "use_cases")
BLOCK_KEYS = {
    "id": "a unique slug; a translation keeps the id of its source block",
    "title": "the heading of the block in a brief",
    "kind": "one of the project's kinds",
    "audiences": "a list of audiences, or all",
    "use_cases": "a list of use cases, or all",
    "rights": "a list of rights the block speaks to",
    "priority": "1 essential, 2 standard, 3 detail",
    "visibility": "public or internal",
    "embargo": "a date (YYYY-MM-DD) before which public builds leave the block out",
    "figure": "a figure after the text: caption, alt, and chart (a name) or image (a path)",
}
FIGURE_KEYS = {
    "caption": "the caption printed under the figure",
    "alt": "a text alternative describing what the figure shows (required)",
    "chart": "the name of a chart briefgen draws from the project's data",
    "image": "a PNG or JPEG file inside the project",
}
VISIBILITIES = ("public", "internal")
FENCE = re.compile(r"^---[ \t]*$")
END_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


@dataclass(frozen=True)
class Figure:
    """A block's figure: a chart by name, or an image file inside the project."""

    caption: str
    alt: str
    chart: str = ""
    image: str = ""  # relative to the project root
    line: int = 0


@dataclass(frozen=True)
class Block:
    """One content block in one locale."""

    id: str
    locale: str
    path: str  # relative to the project root, POSIX separators
    order: str  # path inside the locale folder: blocks selected together appear in this order
    title: str
    kind: str
    audiences: frozenset[str]
    use_cases: frozenset[str]
    rights: frozenset[str]
    priority: int
    visibility: str
    body: str
    body_line: int
    citations: tuple[Citation, ...]
    words: int
    figure: Figure | None = None
    embargo: dt.date | None = None

    def is_public(self, on: dt.date) -> bool:
        """Whether a public build dated `on` may show this block."""
        return self.visibility == "public" and (self.embargo is None or self.embargo <= on)

    @property
    def cited_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key for c in self.citations))


@dataclass(frozen=True)
class Content:
    """Every block of the project, by locale and id."""

    blocks: dict[str, dict[str, Block]]

    def locale(self, locale: str) -> dict[str, Block]:
        return self.blocks.get(locale, {})

    def all_blocks(self) -> list[Block]:
        return [b for locale in sorted(self.blocks) for b in self.blocks[locale].values()]


def split_front_matter(text: str, path: Path, root: Path) -> tuple[str, str, int]:
    """Split a block file into (front matter, body, line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or not FENCE.match(lines[0].rstrip("\r\n")):
        raise ProblemsError(
            [
                problem(
                    path,
                    1,
                    "has no front matter: the file must start with a line "
                    '"---", then the block\'s fields, then "---".',
                    root,
                )
            ]
        )
    for index in range(1, len(lines)):
        if END_FENCE.match(lines[index].rstrip("\r\n")):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise ProblemsError(
        [
            problem(
                path,
                1,
                'the front matter is not closed: add a line "---" after the block\'s fields.',
                root,
            )
        ]
    )


def load_content(project: Project) -> Content:
    """Load and validate every block; raise ProblemsError with all problems found."""
    root = project.root
    problems: list[Problem] = []
    blocks: dict[str, dict[str, Block]] = {}
    content_root = root / CONTENT_DIR
    if not content_root.is_dir():
        raise ProblemsError([problem(content_root, 0, "the content folder is missing.", root)])
    for folder in sorted(p for p in content_root.iterdir() if p.is_dir()):
        if folder.name not in project.locales:
            problems.append(
                problem(
                    folder,
                    0,
                    f'"{folder.name}" is not a locale of this project'
                    f"{did_you_mean(folder.name, project.locales)}; add it to "
                    "locales.available in briefgen.yaml.",
                    root,
                )
            )
            continue
        blocks[folder.name] = _load_locale(project, folder, problems)
    if problems:
        raise ProblemsError(problems)
    return Content(blocks)


def _load_locale(project: Project, folder: Path, problems: list[Problem]) -> dict[str, Block]:
    by_id: dict[str, Block] = {}
    for path in sorted(folder.rglob("*.md")):
        try:
            block = load_block(project, folder.name, path, folder)
        except ProblemsError as error:
            problems.extend(error.problems)
            continue
        if block.id in by_id:
            first = by_id[block.id]
            problems.append(
                Problem(
                    block.path,
                    2,
                    f'the block id "{block.id}" is already used by '
                    f"{first.path}; block ids must be unique in a locale.",
                )
            )
            continue
        by_id[block.id] = block
    return by_id


def load_block(project: Project, locale: str, path: Path, locale_dir: Path) -> Block:
    """Parse and validate one block file."""
    root = project.root
    text = read_text(path, root)
    front, body, body_line = split_front_matter(text, path, root)
    meta, lines = parse_yaml(front, path, root, first_line=2)
    rel = display_path(path, root)
    if not isinstance(meta, dict):
        raise ProblemsError([Problem(rel, 2, "the front matter must be YAML fields (key: value).")])
    problems: list[Problem] = []

    def report(key: str, message: str) -> None:
        problems.append(Problem(rel, lines.get(key, 2), message))

    for key in sorted(set(meta) - set(BLOCK_KEYS)):
        report(key, f'unknown field "{key}"{did_you_mean(str(key), BLOCK_KEYS)}.')
    for key in REQUIRED:
        if key not in meta:
            problems.append(Problem(rel, 2, f'the required field "{key}" is missing.'))
        elif meta[key] in (None, "", []):
            report(key, f'the required field "{key}" is empty.')

    block_id = _text(meta, "id", report)
    if block_id and not SLUG.match(block_id):
        report("id", f'the id "{block_id}" is not a slug: use a-z, 0-9 and single hyphens.')
    title = _text(meta, "title", report)
    kind = _text(meta, "kind", report)
    if kind and kind not in project.vocabularies["kinds"]:
        report("kind", f'unknown kind "{kind}"{did_you_mean(kind, project.vocabularies["kinds"])}.')
    audiences = _terms(meta, "audiences", project, report, allow_all=True)
    use_cases = _terms(meta, "use_cases", project, report, allow_all=True)
    rights = _terms(meta, "rights", project, report, allow_all=False)
    priority = meta.get("priority", 2)
    if priority not in (1, 2, 3) or isinstance(priority, bool):
        report("priority", f'the priority must be 1, 2 or 3, not "{priority}".')
        priority = 2
    visibility = meta.get("visibility", "public")
    if visibility not in VISIBILITIES:
        report(
            "visibility",
            f'unknown visibility "{visibility}"{did_you_mean(str(visibility), VISIBILITIES)}.',
        )

    embargo = meta.get("embargo")
    if embargo is not None and not isinstance(embargo, dt.date):
        report("embargo", f'the embargo must be a date like 2030-01-31, not "{embargo}".')
        embargo = None
    figure = (
        _figure(meta.get("figure"), lines.get("figure", 2), report) if "figure" in meta else None
    )
    scan = scan_body(body, body_line)
    problems.extend(Problem(rel, f.line, f.message) for f in scan.findings)
    if not body.strip():
        problems.append(Problem(rel, body_line, "the block has no text after its front matter."))
    if problems:
        raise ProblemsError(problems)
    return Block(
        id=block_id,
        locale=locale,
        path=rel,
        order=path.relative_to(locale_dir).as_posix(),
        title=title,
        kind=kind,
        audiences=audiences,
        use_cases=use_cases,
        rights=rights,
        priority=int(priority),
        visibility=str(visibility),
        body=body.strip("\n") + "\n",
        body_line=body_line,
        citations=scan.citations,
        words=scan.words,
        figure=figure,
        embargo=embargo,
    )


def _figure(value: Any, line: int, report: Any) -> Figure | None:
    if not isinstance(value, dict):
        report("figure", '"figure" must be a mapping: caption, alt, and chart or image.')
        return None
    for key in sorted(set(value) - set(FIGURE_KEYS)):
        report("figure", f'unknown figure field "{key}"{did_you_mean(str(key), FIGURE_KEYS)}.')
    for key in ("caption", "alt"):
        if not str(value.get(key) or "").strip():
            report("figure", f'the figure needs "{key}" (text).')
    if ("chart" in value) == ("image" in value):
        report("figure", 'the figure needs either "chart" or "image", not both and not neither.')
    return Figure(
        caption=" ".join(str(value.get("caption", "")).split()),
        alt=" ".join(str(value.get("alt", "")).split()),
        chart=str(value.get("chart", "")),
        image=str(value.get("image", "")),
        line=line,
    )


def _text(meta: dict[str, Any], key: str, report: Any) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        report(key, f'the field "{key}" must be text.')
        return ""
    return str(value).strip()


def _terms(
    meta: dict[str, Any], key: str, project: Project, report: Any, allow_all: bool
) -> frozenset[str]:
    vocabulary = project.vocabularies[key]
    value = meta.get(key, [])
    if value in (None, ""):
        return frozenset()
    if allow_all and value == "all":
        return frozenset(vocabulary)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        report(key, f'the field "{key}" must be a list' + (' or "all".' if allow_all else "."))
        return frozenset()
    return frozenset(
        check_terms(value, key, vocabulary, lambda message: report(key, message), allow_all)
    )


def check_terms(
    values: Iterable[Any],
    name: str,
    vocabulary: dict[str, str],
    report: Any,
    allow_all: bool = False,
) -> list[str]:
    """Keep the known values; report each unknown one with a suggestion."""
    kept = []
    singular = {"audiences": "audience", "use_cases": "use case", "rights": "right"}.get(name, name)
    for value in values:
        if allow_all and value == "all":
            return list(vocabulary)
        if value in vocabulary:
            kept.append(str(value))
        else:
            report(f'unknown {singular} "{value}"{did_you_mean(str(value), vocabulary)}.')
    return kept
