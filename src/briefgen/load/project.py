"""Load `briefgen.yaml`: the vocabularies every other file is checked against, and the defaults."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import babel

from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean, problem
from briefgen.load.branding import load_branding
from briefgen.load.fields import Report, ReportHere, per_locale, unknown, unknown_keys
from briefgen.load.yamlfile import clear_folders, load_yaml_mapping
from briefgen.model import DEFAULT_FORMATS, Branding

PROJECT_FILE = "briefgen.yaml"
STYLES_DIR = "styles"
VOCABULARIES = ("audiences", "use_cases", "rights", "kinds")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Each top-level key of briefgen.yaml, with what it holds (used for "did you mean" and the docs).
PROJECT_KEYS = {
    "name": "the name of this body of briefs (text, or a mapping of locale to text)",
    "publisher": "who publishes the briefs, printed on them (text, or locale to text)",
    "date": "the build date printed in briefs (SOURCE_DATE_EPOCH overrides it)",
    "locales": "source: the locale blocks are written in; available: every locale built; "
    "untranslated: refuse or fallback; settings: per locale csl and csl_locale",
    "audiences": "audience id -> label",
    "use_cases": "use case id -> label",
    "rights": "right id -> label",
    "kinds": "block kind id -> what such a block holds",
    "defaults": "formats and csl used by recipes that don't set their own",
    "branding": "organisation, contact, logo (file, alt), accent colour and fonts (body, heading) "
    "applied to every brief and the library page",
}
DEFAULT_KEYS = {"formats": "output formats", "csl": "citation style (a name in styles/ or a path)"}

LOCALE_KEYS = ("source", "available", "untranslated", "settings")
UNTRANSLATED = ("fallback", "refuse")
LOCALE_SETTING_KEYS = {
    "csl": "the citation style of this locale's briefs (a recipe's csl wins)",
    "csl_locale": "the CSL locale for citation terms, e.g. zh-CN, fr-FR",
}
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class LocaleSettings:
    csl: str = ""
    csl_locale: str = ""


@dataclass(frozen=True)
class Project:
    """A briefgen project: where it is, its vocabularies and its defaults."""

    root: Path
    name: str
    publisher: str
    date: dt.date
    source_locale: str
    locales: tuple[str, ...]
    vocabularies: dict[str, dict[str, str]] = field(hash=False)
    formats: tuple[str, ...] = DEFAULT_FORMATS
    csl: str = "chicago-author-date"
    untranslated: str = "fallback"  # what a brief does with blocks not (or no longer) translated
    names: dict[str, str] = field(default_factory=dict, hash=False)  # locale -> name
    publishers: dict[str, str] = field(default_factory=dict, hash=False)  # locale -> publisher

    def name_for(self, locale: str) -> str:
        return self.names.get(locale) or self.name

    def publisher_for(self, locale: str) -> str:
        return self.publishers.get(locale) or self.publisher

    locale_settings: dict[str, LocaleSettings] = field(default_factory=dict, hash=False)
    branding: Branding = field(default_factory=Branding, hash=False)

    def csl_for(self, locale: str) -> str:
        """The citation style a locale's briefs use unless their recipe names one."""
        settings = self.locale_settings.get(locale)
        return settings.csl if settings and settings.csl else self.csl

    def csl_locale(self, locale: str) -> str:
        """The CSL locale citeproc uses for its terms ("and", "et al.", "accessed")."""
        settings = self.locale_settings.get(locale)
        return settings.csl_locale if settings and settings.csl_locale else locale

    def csl_path(self, name: str) -> Path | None:
        """A citation style by name (styles/<name>.csl) or by path inside the project."""
        root = self.root.resolve()
        for path in (self.root / STYLES_DIR / f"{name}.csl", self.root / name):
            resolved = path.resolve()
            if resolved.is_file() and resolved.suffix == ".csl" and resolved.is_relative_to(root):
                return resolved
        return None

    def csl_problem(self, name: str) -> str:
        known = ", ".join(sorted(p.stem for p in (self.root / STYLES_DIR).glob("*.csl")))
        return (
            f'the citation style "{name}" is neither in {STYLES_DIR}/ nor a .csl file inside '
            f"the project (known: {known or 'none'})."
        )

    def label(self, vocabulary: str, value: str) -> str:
        return self.vocabularies[vocabulary].get(value, value)

    @property
    def build_timestamp(self) -> int:
        """Seconds since the epoch for timestamps: SOURCE_DATE_EPOCH, else the project date."""
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch:
            # A date a zip archive, a PDF and Python can all hold: 1980 to the year 9999.
            if not (epoch.isdigit() and len(epoch) <= 12 and int(epoch) <= MAX_EPOCH):
                raise BriefgenError(
                    f'SOURCE_DATE_EPOCH is "{epoch[:20]}": it must be a whole number of seconds '
                    "since 1970, before the year 10000 (unset it to use briefgen.yaml's date)."
                )
            return int(epoch)
        midnight = dt.datetime.combine(self.date, dt.time(), tzinfo=dt.UTC)
        return int(midnight.timestamp())

    @property
    def build_date(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.build_timestamp, tz=dt.UTC).date()


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds a briefgen.yaml."""
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def load_project(root: Path) -> Project:
    """Read and validate briefgen.yaml; raise ProblemsError listing everything wrong with it."""
    clear_folders()  # a new read of the project: its folders may have moved or become links
    path = root / PROJECT_FILE
    data, lines = load_yaml_mapping(path, root)
    problems: list[Problem] = []

    def report_at(line: int, message: str) -> None:
        problems.append(problem(path, line, message, root))

    def report(key: str, message: str) -> None:
        report_at(lines.get(key, 0), message)

    unknown_keys(data, PROJECT_KEYS, report, "key")

    vocabularies: dict[str, dict[str, str]] = {}
    for name in VOCABULARIES:
        vocabularies[name] = _vocabulary(data.get(name), name, report)

    source, available = _locales(data.get("locales"), report)
    untranslated, settings = _locale_options(data.get("locales"), available, report)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        report("defaults", 'the key "defaults" must be a mapping (formats, csl).')
        defaults = {}
    unknown_keys(
        defaults, DEFAULT_KEYS, lambda key, message: report("defaults", message), "key", "defaults."
    )
    formats = parse_formats(
        defaults.get("formats", list(DEFAULT_FORMATS)), lambda message: report("defaults", message)
    )
    csl = defaults.get("csl", "chicago-author-date")
    if not isinstance(csl, str) or not csl:
        report("defaults", 'the key "defaults.csl" must be the name of a citation style.')
        csl = "chicago-author-date"

    date = data.get("date", dt.date(2021, 1, 1))
    if not isinstance(date, dt.date):
        report("date", f'the key "date" must be a date like 2021-01-15, not "{date}".')
        date = dt.date(2021, 1, 1)

    branding = load_branding(
        data.get("branding"), lines.get("branding", 0), root, source, report_at
    )

    if problems:
        raise ProblemsError(problems)
    names = per_locale(
        data.get("name", root.name), source, "name", lambda message: report("name", message)
    )
    publishers = per_locale(
        data.get("publisher", ""), source, "publisher", lambda m: report("publisher", m)
    )
    return Project(
        root=root,
        name=names.get(source, root.name),
        publisher=publishers.get(source, ""),
        names=names,
        publishers=publishers,
        date=date,
        source_locale=source,
        locales=available,
        vocabularies=vocabularies,
        formats=formats,
        csl=csl,
        untranslated=untranslated,
        locale_settings=settings,
        branding=branding,
    )


def parse_formats(value: Any, report: ReportHere) -> tuple[str, ...]:
    """Validate a list of format names; report unknown ones with a suggestion."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        report(f"formats must be a list of: {', '.join(DEFAULT_FORMATS)}.")
        return DEFAULT_FORMATS
    formats = []
    for name in value:
        if name not in DEFAULT_FORMATS:
            report(unknown("format", str(name), str(name), DEFAULT_FORMATS))
        elif name not in formats:
            formats.append(name)
    return tuple(formats) or DEFAULT_FORMATS


def _vocabulary(value: Any, name: str, report: Report) -> dict[str, str]:
    if value is None:
        report(name, f'the key "{name}" is missing: list the allowed {name} with a label each.')
        return {}
    if isinstance(value, list):
        value = {str(item): str(item) for item in value}
    if not isinstance(value, dict) or not value:
        report(name, f'the key "{name}" must map each allowed value to a label.')
        return {}
    vocabulary: dict[str, str] = {}
    for key, label in value.items():
        if not SLUG.match(str(key)):
            report(name, f'"{key}" in {name} is not a valid id (use a-z, 0-9 and hyphens).')
        elif key == "all":
            report(name, f'"all" is reserved and cannot be one of the {name}.')
        else:
            vocabulary[str(key)] = str(label)
    return vocabulary


def _locale_options(
    value: Any, available: tuple[str, ...], report: Report
) -> tuple[str, dict[str, LocaleSettings]]:
    if not isinstance(value, dict):
        return "fallback", {}
    unknown_keys(
        value, LOCALE_KEYS, lambda key, message: report("locales", message), "key", "locales."
    )
    untranslated = str(value.get("untranslated", "fallback"))
    if untranslated not in UNTRANSLATED:
        report(
            "locales",
            f'"locales.untranslated" must be {" or ".join(UNTRANSLATED)}, not "{untranslated}"'
            f"{did_you_mean(untranslated, UNTRANSLATED)}.",
        )
        untranslated = "fallback"
    raw = value.get("settings") or {}
    settings: dict[str, LocaleSettings] = {}
    if not isinstance(raw, dict):
        report("locales", '"locales.settings" must map locales to their settings.')
        return untranslated, {}
    for locale, options in raw.items():
        if locale not in available:
            report(
                "locales",
                f'"locales.settings" names "{locale}", which is not an available locale'
                f"{did_you_mean(str(locale), available)}.",
            )
            continue
        if not isinstance(options, dict):
            report("locales", f'"locales.settings.{locale}" must be a mapping (csl, csl_locale).')
            continue
        unknown_keys(
            options,
            LOCALE_SETTING_KEYS,
            lambda key, message: report("locales", message),
            "key",
            f"locales.settings.{locale}.",
        )
        settings[str(locale)] = LocaleSettings(
            str(options.get("csl", "")), str(options.get("csl_locale", ""))
        )
    return untranslated, settings


def _locales(value: Any, report: Report) -> tuple[str, tuple[str, ...]]:
    if not isinstance(value, dict) or "source" not in value:
        report(
            "locales", 'the key "locales" must give "source" (and "available"), e.g. source: en.'
        )
        return "en", ("en",)
    source = str(value["source"])
    available = value.get("available", [source])
    if not isinstance(available, list):
        report("locales", '"locales.available" must be a list of locale codes.')
        available = [source]
    locales = [str(code) for code in available]
    for code in [source, *locales]:
        try:
            babel.Locale.parse(code, sep="-")
        except (ValueError, babel.UnknownLocaleError):
            report("locales", f'"{code}" is not a locale code Babel knows (e.g. en, fr, zh-Hans).')
    if source not in locales:
        locales.insert(0, source)
    return source, tuple(sorted(locales))
