"""The brief library: build/index.html listing every brief, and the release archive.

Both are made from the manifest alone, so they can be made again after shards are merged. The
page works without JavaScript (the full list, every link); a small script adds filtering. It makes
no external request.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel
import jinja2
import jinja2.sandbox

from briefgen.errors import BriefgenError, ProblemsError, problem
from briefgen.manifest import MANIFEST
from briefgen.output import Written, write_atomic, write_files
from briefgen.project import Project

LIBRARY_TEMPLATES = "templates/library"
PAGE = "index.html"
ASSETS = ("library.css", "library.js")
FORMAT_NAMES = {
    "pdf": "PDF",
    "docx": "Word",
    "odt": "OpenDocument",
    "epub": "EPUB",
    "html": "Web page",
    "md": "Markdown",
}
FORMAT_ORDER = ("pdf", "docx", "odt", "epub", "html", "md")


@dataclass(frozen=True)
class Link:
    format: str
    label: str
    path: str
    size: str


@dataclass(frozen=True)
class Entry:
    """One brief in one locale, as the library lists it."""

    brief: str
    title: str
    subtitle: str
    locale: str
    language: str
    audience: str
    audience_label: str
    use_cases: tuple[str, ...]
    use_case_labels: tuple[str, ...]
    links: tuple[Link, ...]


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def language_name(locale: str) -> str:
    """The locale's name in its own language, e.g. 'English', '中文 (简体)'."""
    parsed = babel.Locale.parse(locale, sep="-")
    return str(parsed.get_display_name(parsed) or locale)


def entries(manifest: dict[str, Any], project: Project) -> list[Entry]:
    """Library entries from a manifest's brief artifacts, sorted by brief and locale."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for artifact in manifest.get("artifacts", []):
        if artifact.get("kind", "brief") == "brief":
            grouped[(artifact["brief"], artifact["locale"])].append(artifact)
    result = []
    for (brief, locale), files in sorted(grouped.items()):
        first = files[0]
        order = {name: i for i, name in enumerate(FORMAT_ORDER)}
        links = tuple(
            Link(
                f["format"],
                FORMAT_NAMES.get(f["format"], f["format"]),
                f["path"],
                human_size(f["size"]),
            )
            for f in sorted(files, key=lambda f: order.get(f["format"], 99))
        )
        audience = first["audience"]
        result.append(
            Entry(
                brief=brief,
                title=first["title"],
                subtitle=first.get("subtitle", ""),
                locale=locale,
                language=language_name(locale),
                audience=audience,
                audience_label="everyone"
                if audience == "all"
                else project.label("audiences", audience),
                use_cases=tuple(first["use_cases"]),
                use_case_labels=tuple(project.label("use_cases", u) for u in first["use_cases"]),
                links=links,
            )
        )
    return result


def render_page(manifest: dict[str, Any], project: Project) -> dict[str, bytes]:
    """index.html and its assets, as (relative path -> bytes)."""
    folder = project.root / LIBRARY_TEMPLATES
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    listed = entries(manifest, project)
    context = {
        "project": project,
        "entries": listed,
        "version": manifest.get("content_version", ""),
        "audiences": sorted({(e.audience, e.audience_label) for e in listed}),
        "use_cases": sorted(
            {uc for e in listed for uc in zip(e.use_cases, e.use_case_labels, strict=True)}
        ),
        "languages": sorted({(e.locale, e.language) for e in listed}),
        "lang": project.source_locale,
        "internal": bool(manifest.get("internal")),
    }
    try:
        page = env.get_template(f"{PAGE}.j2").render(context)
    except jinja2.TemplateError as error:
        raise ProblemsError(
            [
                problem(
                    folder / f"{PAGE}.j2",
                    getattr(error, "lineno", 0) or 0,
                    f"template error: {error}.",
                    project.root,
                )
            ]
        ) from None
    files = {PAGE: page.encode("utf-8")}
    for asset in ASSETS:
        path = folder / asset
        if not path.is_file():
            raise ProblemsError([problem(path, 0, "library asset missing.", project.root)])
        files[f"assets/{asset}"] = path.read_bytes()
    return files


def write_library(out: Path, manifest: dict[str, Any], project: Project) -> list[Written]:
    """Write the library page and assets into `out`."""
    return write_files(out, sorted(render_page(manifest, project).items()))


def archive_name(version: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in version) or "unversioned"
    return f"release/briefs-{safe}.zip"


def write_archive(out: Path, manifest: dict[str, Any], timestamp: int) -> Path:
    """A deterministic zip of the artifacts, the library and the manifest.

    Entries are sorted, dated from the build timestamp (zip cannot go before 1980) and stored
    with fixed permissions, so the same build gives the same bytes.
    """
    import datetime as dt

    paths = sorted({e["path"] for e in [*manifest["artifacts"], *manifest.get("library", [])]})
    paths.append(MANIFEST)
    moment = max(
        dt.datetime.fromtimestamp(timestamp, tz=dt.UTC), dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
    )
    date_time = moment.timetuple()[:6]
    target = out / archive_name(str(manifest.get("content_version", "")))
    tmp = target.with_name(f".{target.name}.part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in paths:
                source = out / path
                if not source.is_file():
                    raise BriefgenError(
                        f"{path} is in the manifest but not in {out}; run briefgen verify."
                    )
                info = zipfile.ZipInfo(path, date_time=date_time)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, source.read_bytes())
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    write_atomic(target, data)
    return target
