"""The brief library: build/index.html listing every brief, and the release archive.

Both are made from the manifest alone, so they can be made again after shards are merged. The
page works without JavaScript (the full list, every link); a small script adds filtering. It makes
no external request.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2
import jinja2.sandbox

from briefgen.errors import BriefgenError, ProblemsError, problem
from briefgen.formats.package import brand_logo, write_zip
from briefgen.i18n import locales as i18n
from briefgen.i18n.locales import Strings
from briefgen.load.branding import web_address_parts
from briefgen.load.project import Project
from briefgen.model import FORMATS, Branding, Manifest, ManifestEntry
from briefgen.publish.manifest import MANIFEST
from briefgen.publish.output import Written, write_atomic, write_files

LIBRARY_TEMPLATES = "templates/library"
ALREADY_COMPRESSED = (".pdf", ".docx", ".odt", ".epub", ".png", ".jpg", ".jpeg", ".zip")
PAGE = "index.html"
ASSETS = ("library.css", "library.js")


@dataclass(frozen=True)
class Link:
    format: str
    label: str
    path: str
    size: str


@dataclass(frozen=True)
class Entry:
    """One brief in one locale, as the library lists it, labelled in the page's language."""

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
    fallbacks: int  # blocks shown in the source language


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def page_name(locale: str, source: str) -> str:
    """index.html in the source language; index.<locale>.html in each other language."""
    return PAGE if locale == source else f"index.{locale}.html"


def entries(
    manifest: Manifest, project: Project, strings: Mapping[str, str] | None = None
) -> list[Entry]:
    """Library entries from a manifest's brief artifacts, sorted by brief and locale; labels
    (audience, use cases) in the language of `strings`, titles in each brief's own language."""
    strings = strings or {}
    grouped: dict[tuple[str, str], list[ManifestEntry]] = defaultdict(list)
    for artifact in manifest.artifacts:
        if artifact.kind == "brief":
            grouped[(artifact.brief, artifact.locale)].append(artifact)
    result = []
    order = {name: i for i, name in enumerate(FORMATS)}

    def label(vocabulary: str, key: str) -> str:
        return i18n.vocabulary_label(strings, project, vocabulary, key)

    for (brief, locale), files in sorted(grouped.items()):
        first = files[0]
        links = tuple(
            Link(
                f.format,
                strings.get(f"format_{f.format}")
                or (FORMATS[f.format].label if f.format in FORMATS else f.format),
                f.path,
                human_size(f.size),
            )
            for f in sorted(files, key=lambda f: order.get(f.format, 99))
        )
        audience = first.audience
        result.append(
            Entry(
                brief=brief,
                title=first.title,
                subtitle=first.subtitle,
                locale=locale,
                language=i18n.language_name(locale),
                audience=audience,
                audience_label=strings.get("all_audiences", "everyone")
                if audience == "all"
                else label("audiences", audience),
                use_cases=first.use_cases,
                use_case_labels=tuple(label("use_cases", u) for u in first.use_cases),
                links=links,
                fallbacks=max(len(f.fallback_blocks) for f in files),
            )
        )
    return result


@dataclass(frozen=True)
class Look:
    """What the library page is drawn in: a branding, and its logo as an asset of the page."""

    branding: Branding
    logo: tuple[str, bytes] | None  # (path in the output folder, bytes); None for no logo

    @classmethod
    def of_project(cls, project: Project) -> Look:
        name, data = brand_logo(project)
        return cls(project.branding, (f"assets/{name}", data) if name else None)


def kept_look(out: Path, previous: Manifest, project: Project) -> Look:
    """The look the page in `out` already has, for a build of some of its briefs: the briefs
    that build leaves alone were drawn in that branding, and the page they share must match
    them. A new branding reaches the page with a build of every brief (or `briefgen
    library`). Without a recorded look, or if its logo is no longer the one the page was
    written with, the project's own."""
    branding = previous.library_branding
    if branding is None:
        return Look.of_project(project)
    if not branding.logo:
        return Look(branding, None)
    asset = f"assets/brand-logo{PurePosixPath(branding.logo).suffix.lower()}"
    recorded = next((f for f in previous.library if f.path == asset), None)
    try:
        data = (out / asset).read_bytes() if recorded is not None else b""
    except OSError:
        data = b""
    if recorded is None or hashlib.sha256(data).hexdigest() != recorded.sha256:
        return Look.of_project(project)
    return Look(branding, (asset, data))


def render_page(
    manifest: Manifest, project: Project, strings: Strings | None = None, look: Look | None = None
) -> dict[str, bytes]:
    """The library page in every locale of the project, and its assets (relative path -> bytes).

    Each page lists every brief in every language, labelled in the page's own language, with a
    switch to the same page in the other languages. Drawn in `look` (default: the project's
    branding).
    """
    look = look or Look.of_project(project)
    folder = project.root / LIBRARY_TEMPLATES
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
    )
    catalog = strings or i18n.load_strings(project)
    locales = sorted(
        {project.source_locale} | {a.locale for a in manifest.artifacts},
        key=lambda code: (code != project.source_locale, code),
    )
    pages = [
        {
            "locale": code,
            "name": i18n.language_name(code),
            "href": page_name(code, project.source_locale),
        }
        for code in locales
    ]
    files = {}
    logo = look.logo
    if logo is not None:
        files[logo[0]] = logo[1]
    for locale in locales:
        words = catalog.for_locale(locale)
        listed = entries(manifest, project, words)
        context = {
            "project": project,
            "brand": brand_context(look.branding, locale, logo[0] if logo else "", words),
            "entries": listed,
            "version": manifest.content_version,
            "audiences": sorted({(e.audience, e.audience_label) for e in listed}),
            "use_cases": sorted(
                {uc for e in listed for uc in zip(e.use_cases, e.use_case_labels, strict=True)}
            ),
            "languages": sorted({(e.locale, e.language) for e in listed}),
            "lang": locale,
            "pages": pages,
            "t": words,
            "internal": manifest.internal,
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
        files[page_name(locale, project.source_locale)] = page.encode("utf-8")
    for asset in ASSETS:
        path = folder / asset
        if not path.is_file():
            raise ProblemsError([problem(path, 0, "library asset missing.", project.root)])
        files[f"assets/{asset}"] = path.read_bytes()
    return files


def brand_context(
    branding: Branding, locale: str, logo: str, strings: Mapping[str, str] | None = None
) -> dict[str, object]:
    """What the page template shows of a branding, in the page's language."""
    return {
        "organisation": branding.organisation_for(locale),
        "contact": web_address_parts(branding.contact_for(locale)),
        "logo": logo,
        "logo_alt": branding.logo_alt_for(locale, strings),
        "accent": branding.accent,
    }


def write_library(
    out: Path, manifest: Manifest, project: Project, strings: Strings | None = None
) -> list[Written]:
    """Write the library pages and assets into `out`."""
    return write_files(out, sorted(render_page(manifest, project, strings).items()))


def archive_name(version: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in version) or "unversioned"
    return f"release/briefs-{safe}.zip"


def _archived(out: Path, paths: list[str]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        source = out / path
        if not source.is_file():
            raise BriefgenError(f"{path} is in the manifest but not in {out}; run briefgen verify.")
        yield path, source.read_bytes()


def _already_compressed(path: str) -> bool:
    # PDF, Word, OpenDocument, EPUB and PNG are compressed already: deflating them again costs
    # time and saves nothing, so they are stored as they are.
    return Path(path).suffix.lower() in ALREADY_COMPRESSED


def write_archive(out: Path, manifest: Manifest, timestamp: int) -> Path:
    """A deterministic zip of the artifacts, the library and the manifest.

    Entries are sorted, dated from the build timestamp (zip cannot go before 1980) and stored
    with fixed permissions, so the same build gives the same bytes.
    """
    import datetime as dt

    paths = sorted({a.path for a in manifest.artifacts} | {f.path for f in manifest.library})
    paths.append(MANIFEST)
    moment = max(
        dt.datetime.fromtimestamp(timestamp, tz=dt.UTC), dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
    )
    date_time = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    target = out / archive_name(manifest.content_version)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: two runs never write into one temporary file.
    descriptor, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    os.close(descriptor)
    tmp = Path(name)
    try:
        with tmp.open("wb") as file:
            write_zip(file, _archived(out, paths), _already_compressed, date_time)
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    write_atomic(target, data)
    return target
