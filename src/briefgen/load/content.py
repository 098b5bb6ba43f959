"""Load content blocks: `content/<locale>/**/*.md`, Markdown with YAML front matter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

from briefgen.errors import Problem, ProblemsError, did_you_mean, display_path, problem
from briefgen.load.fields import Report, terms, unknown, unknown_keys
from briefgen.load.parsecache import ParseCache, block_cache, put_block_entry, read_block_entry
from briefgen.load.project import SLUG, Project
from briefgen.load.scan import BodyScan, needs_pandoc, pandoc_findings, scan_body
from briefgen.load.yamlfile import parse_yaml, read_text
from briefgen.model import Block, Content, Figure

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
    "since_report": "true for a block on developments after the report (November 2020)",
    "figure": "a figure after the text: caption, alt, and chart (a name) or image (a path)",
}
TRANSLATION_KEYS = {
    "translation_of": "the id of the source block this translates (or give the same id)",
    "source_hash": "hashes of the source fields translated (written by briefgen i18n)",
}
# What a translation takes from its source instead of stating it.
INHERITED = (
    "kind",
    "audiences",
    "use_cases",
    "rights",
    "priority",
    "visibility",
    "embargo",
    "since_report",
)
FIGURE_KEYS = {
    "caption": "the caption printed under the figure",
    "alt": "a text alternative describing what the figure shows (required)",
    "chart": "the name of a chart briefgen draws from the project's data",
    "image": "a PNG or JPEG file inside the project",
}
VISIBILITIES = ("public", "internal")
FENCE = re.compile(r"^---[ \t]*$")
END_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


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
    content, problems = read_content(project)
    if problems:
        raise ProblemsError(problems)
    return content


def read_content(project: Project) -> tuple[Content, list[Problem]]:
    """Every block that could be read, and every problem found.

    A block whose text has a problem (raw HTML, say) is still returned, so that later checks
    (citations, recipes) run on it too and the user sees every problem in one run.
    """
    root = project.root
    problems: list[Problem] = []
    blocks: dict[str, dict[str, Block]] = {}
    incomplete: set[str] = set()
    content_root = root / CONTENT_DIR
    if not content_root.is_dir():
        return Content({}), [problem(content_root, 0, "the content folder is missing.", root)]
    cache = block_cache(project)
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
        before = len(problems)
        blocks[folder.name] = _load_locale(project, folder, problems, cache)
        readable = sum(1 for _ in folder.rglob("*.md")) == len(blocks[folder.name])
        if not readable and len(problems) > before:
            incomplete.add(folder.name)
    cache.save()
    content, inherited = inherit_translations(Content(blocks, frozenset(incomplete)), project)
    return content, problems + inherited


def _load_locale(
    project: Project, folder: Path, problems: list[Problem], cache: ParseCache
) -> dict[str, Block]:
    by_id: dict[str, Block] = {}
    # Sorted as Paths sort (by their parts), without comparing Path objects: 10,000 blocks
    # spent longer in Path.__lt__ than in reading their files.
    for path in sorted(folder.rglob("*.md"), key=lambda p: p.parts):
        try:
            text = read_text(path, project.root)
            key = cache.key(display_path(path, project.root), folder.name, text)
            cached = read_block_entry(cache, key)
            if cached is None:
                block, found = read_block(project, folder.name, path, folder, text)
                put_block_entry(cache, key, block, found)
            else:
                block, found = cached
        except ProblemsError as error:
            problems.extend(error.problems)
            continue
        problems.extend(found)
        if block is None:
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


# Problems in these fields leave a block that later stages cannot use: it is not returned.
_STRUCTURAL = ("id", "title", "kind", "audiences", "use_cases", "figure")


def read_block(  # noqa: C901 (one check per front-matter field, in one flat list)
    project: Project, locale: str, path: Path, locale_dir: Path, text: str | None = None
) -> tuple[Block | None, list[Problem]]:
    """Parse and validate one block file (its `text`, if already read): the block (None if it
    is unusable) and its problems. The result depends on the text, the path, the locale and
    the project's settings alone (parsecache.py keeps it by them).

    Raises ProblemsError only when the file cannot be read as a block at all."""
    root = project.root
    if text is None:
        text = read_text(path, root)
    front, body, body_line = split_front_matter(text, path, root)
    meta, lines = parse_yaml(front, path, root, first_line=2)
    rel = display_path(path, root)
    if not isinstance(meta, dict):
        raise ProblemsError([Problem(rel, 2, "the front matter must be YAML fields (key: value).")])
    problems: list[Problem] = []
    unusable: list[str] = []

    def report(key: str, message: str) -> None:
        problems.append(Problem(rel, lines.get(key, 2), message))
        if key in _STRUCTURAL:
            unusable.append(key)

    if locale != project.source_locale:
        return _read_translation(project, locale, path, locale_dir, meta, lines, body, body_line)
    for key in sorted(set(meta) - set(BLOCK_KEYS)):
        hint = (
            " (only translations, under content/<other locale>/, name a source)"
            if key in TRANSLATION_KEYS
            else did_you_mean(str(key), BLOCK_KEYS)
        )
        report(key, f'unknown field "{key}"{hint}.')
    for key in REQUIRED:
        if key not in meta:
            problems.append(Problem(rel, 2, f'the required field "{key}" is missing.'))
            unusable.append(key)
        elif meta[key] in (None, "", []):
            report(key, f'the required field "{key}" is empty.')

    block_id = _text(meta, "id", report)
    if block_id and not SLUG.match(block_id):
        report("id", f'the id "{block_id}" is not a slug: use a-z, 0-9 and single hyphens.')
    title = _text(meta, "title", report)
    kind = _text(meta, "kind", report)
    if kind and kind not in project.vocabularies["kinds"]:
        report("kind", unknown("kind", kind, kind, project.vocabularies["kinds"]))
    audiences = _terms(meta, "audiences", project, report, allow_all=True)
    use_cases = _terms(meta, "use_cases", project, report, allow_all=True)
    rights = _terms(meta, "rights", project, report, allow_all=False)
    priority = meta.get("priority", 2)
    if priority not in (1, 2, 3) or isinstance(priority, bool):
        report("priority", f'the priority must be 1, 2 or 3, not "{priority}".')
        priority = 2
    visibility = meta.get("visibility", "public")
    if visibility not in VISIBILITIES:
        report("visibility", unknown("visibility", str(visibility), str(visibility), VISIBILITIES))

    embargo = meta.get("embargo")
    if embargo is not None and (
        isinstance(embargo, dt.datetime) or not isinstance(embargo, dt.date)
    ):
        report("embargo", f'the embargo must be a date like 2030-01-31, not "{embargo}".')
        embargo = None
    since_report = meta.get("since_report", False)
    if not isinstance(since_report, bool):
        report("since_report", f'since_report must be true or false, not "{since_report}".')
        since_report = False
    figure = (
        _figure(meta.get("figure"), lines.get("figure", 2), report) if "figure" in meta else None
    )
    scan = scan_body(body, body_line)
    problems.extend(_body_problems(rel, body, body_line, block_id, scan))
    if not body.strip():
        problems.append(Problem(rel, body_line, "the block has no text after its front matter."))
    if unusable:
        return None, problems
    block = Block(
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
        figure=figure,
        embargo=embargo,
        since_report=since_report,
    )
    return block, problems


def _read_translation(
    project: Project,
    locale: str,
    path: Path,
    locale_dir: Path,
    meta: dict[str, Any],
    lines: dict[str, int],
    body: str,
    body_line: int,
) -> tuple[Block | None, list[Problem]]:
    """A translated block: its source, title, text and figure texts. Everything else comes from
    the source block (see inherit_translations); fields stated anyway are kept to be checked."""
    rel = display_path(path, project.root)
    problems: list[Problem] = []

    def report(key: str, message: str) -> None:
        problems.append(Problem(rel, lines.get(key, 2), message))

    unknown_keys(meta, {**BLOCK_KEYS, **TRANSLATION_KEYS}, report)
    block_id = _text(meta, "id", report)
    source_id = _text(meta, "translation_of", report)
    if block_id and source_id and block_id != source_id:
        report(
            "translation_of",
            f'the id "{block_id}" and translation_of "{source_id}" differ; a translation keeps '
            "its source's id: give one of them.",
        )
    source_id = source_id or block_id
    if not source_id:
        problems.append(
            Problem(rel, 2, 'a translation names its source block: add "translation_of: <id>".')
        )
    title = _text(meta, "title", report)
    if not title:
        problems.append(Problem(rel, lines.get("title", 2), "the translation has no title."))
    hashes = _source_hash(meta.get("source_hash"), report)
    declared = []
    for key in INHERITED:
        if key in meta:
            declared.append((key, _declared_value(meta[key], key, project), lines.get(key, 2)))
    figure = None
    if "figure" in meta:
        value = meta["figure"]
        if isinstance(value, dict):
            for key in sorted(set(value) - {"caption", "alt"}):
                report(
                    "figure",
                    f'a translation gives only the figure\'s caption and alt; "{key}" comes '
                    "from its source.",
                )
            figure = Figure(
                caption=" ".join(str(value.get("caption", "")).split()),
                alt=" ".join(str(value.get("alt", "")).split()),
                line=lines.get("figure", 2),
            )
        else:
            report("figure", '"figure" must be a mapping: caption and alt.')
    scan = scan_body(body, body_line)
    problems.extend(_body_problems(rel, body, body_line, source_id, scan))
    if not body.strip():
        problems.append(Problem(rel, body_line, "the block has no text after its front matter."))
    if not source_id:
        return None, problems
    block = Block(
        id=source_id,
        locale=locale,
        path=rel,
        order=path.relative_to(locale_dir).as_posix(),
        title=title,
        kind="",
        audiences=frozenset(),
        use_cases=frozenset(),
        rights=frozenset(),
        priority=2,
        visibility="public",
        body=body.strip("\n") + "\n",
        body_line=body_line,
        citations=scan.citations,
        figure=figure,
        translation_of=source_id,
        source_hash=hashes,
        declared=tuple(declared),
    )
    return block, problems


def _body_problems(
    rel: str, body: str, body_line: int, block_id: str, scan: BodyScan
) -> list[Problem]:
    """The scan's findings, and the sanitizer's verdict on a body with markup: what the build
    would drop, `check` refuses (scan.pandoc_findings)."""
    findings = list(scan.findings)
    # Text that pandoc could take hours over is refused before pandoc sees it.
    if scan.bounded and needs_pandoc(body):
        findings += pandoc_findings(body, body_line, block_id or "block")
    # The same link may be found by both readers, in the same words: said once.
    return sorted({Problem(rel, f.line, f.message) for f in findings})


def _source_hash(value: Any, report: Report) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        report("source_hash", '"source_hash" must map source fields to their hashes.')
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _declared_value(value: Any, key: str, project: Project) -> str:
    """An inherited field as a translation states it, in the form it is compared in."""
    if key in ("audiences", "use_cases", "rights"):
        vocabulary = project.vocabularies[key]
        if value == "all":
            return ",".join(sorted(vocabulary))
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return ",".join(sorted(str(v) for v in values))
    return str(value)


def inherited_value(block: Block, key: str) -> str:
    """A source block's inherited field, in the form translations' statements are compared in."""
    value = getattr(block, key)
    if isinstance(value, frozenset):
        return ",".join(sorted(value))
    return "" if value is None else str(value)


def inherit_translations(content: Content, project: Project) -> tuple[Content, list[Problem]]:
    """Give every translation its source's metadata; report orphans and contradictions."""
    source = content.locale(project.source_locale)
    problems: list[Problem] = []
    blocks = {project.source_locale: source}
    for locale, translated in sorted(content.blocks.items()):
        if locale == project.source_locale:
            continue
        kept: dict[str, Block] = {}
        for block_id, block in translated.items():
            original = source.get(block.translation_of)
            if original is None:
                if project.source_locale not in content.incomplete:
                    problems.append(
                        Problem(
                            block.path,
                            2,
                            f'this translates "{block.translation_of}", which is not a block of '
                            f"content/{project.source_locale}"
                            f"{did_you_mean(block.translation_of, source)}.",
                        )
                    )
                continue
            for key, value, line in block.declared:
                expected = inherited_value(original, key)
                if value != expected:
                    problems.append(
                        Problem(
                            block.path,
                            line,
                            f'{key} is "{value}" here but "{expected}" in its source '
                            f"{original.path}; leave {key} out: a translation inherits it.",
                        )
                    )
            figure = None
            if original.figure is not None:
                own = block.figure
                figure = dataclasses.replace(
                    original.figure,
                    caption=own.caption if own and own.caption else original.figure.caption,
                    alt=own.alt if own and own.alt else original.figure.alt,
                )
            kept[block_id] = dataclasses.replace(
                block,
                kind=original.kind,
                audiences=original.audiences,
                use_cases=original.use_cases,
                rights=original.rights,
                priority=original.priority,
                visibility=original.visibility,
                embargo=original.embargo,
                since_report=original.since_report,
                figure=figure,
            )
        blocks[locale] = kept
    return Content(blocks, content.incomplete), problems


def _figure(value: Any, line: int, report: Report) -> Figure | None:
    if not isinstance(value, dict):
        report("figure", '"figure" must be a mapping: caption, alt, and chart or image.')
        return None
    unknown_keys(value, FIGURE_KEYS, lambda key, message: report("figure", message), "figure field")
    for key in ("caption", "alt"):
        if not str(value.get(key) or "").strip():
            report("figure", f'the figure needs "{key}" (text).')
    if ("chart" in value) == ("image" in value):
        report("figure", 'the figure needs either "chart" or "image", not both and not neither.')
    for key in ("chart", "image"):
        if key in value and not (isinstance(value[key], str) and value[key].strip()):
            report("figure", f'the figure\'s "{key}" must be a name, not "{value[key]}".')
    return Figure(
        caption=" ".join(str(value.get("caption", "")).split()),
        alt=" ".join(str(value.get("alt", "")).split()),
        chart=str(value.get("chart", "")),
        image=str(value.get("image", "")),
        line=line,
    )


def _text(meta: dict[str, Any], key: str, report: Report) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        report(key, f'the field "{key}" must be text.')
        return ""
    return str(value).strip()


def _terms(
    meta: dict[str, Any], key: str, project: Project, report: Report, allow_all: bool
) -> frozenset[str]:
    value = meta.get(key, [])
    if value in (None, ""):
        return frozenset()
    return terms(
        value,
        key,
        project.vocabularies[key],
        lambda message: report(key, message),
        f'the field "{key}" must be a list' + (' or "all".' if allow_all else "."),
        allow_all,
    )
