"""Locales, in one place: what a translation was made from, its state, the fallback rule, word
counts that treat Chinese fairly, and the interface strings (gettext catalogs read with Babel).

A translated block records `source_hash`, one short hash per source field it translates (title,
body, figure caption, figure alt). Against today's source each translation is then

    current   every field's hash matches
    stale     a field changed since (the state names which), or no hashes were recorded
    missing   there is no translation

A brief in a locale where a block is missing or stale follows the project's rule
(`locales.untranslated` in briefgen.yaml, a recipe's `untranslated`, or `--untranslated`):
`refuse` stops the build listing every block to translate; `fallback` shows the source text,
marked with its language and a visible note, and records it in the manifest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gettext
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import babel
from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog

from briefgen.errors import Problem, did_you_mean, display_path
from briefgen.load.project import Project
from briefgen.load.yamlfile import load_yaml_mapping
from briefgen.model import CJK, Block, Content

STATES = ("current", "stale", "missing")
TRANSLATABLE = ("title", "body", "figure.caption", "figure.alt")
HASH_LENGTH = 12
STRINGS_DIR = Path("templates/strings")
# CJK characters are counted one by one: a translator's word count for Chinese is its
# characters; to compare with English, about 1.7 characters make one English word (the ratio
# Chinese translations of English policy texts show; docs/translation.md).
CHARACTERS_PER_WORD = 1.7


def is_cjk(locale: str) -> bool:
    return babel.Locale.parse(locale, sep="-").language in ("zh", "ja", "ko")


def count_words(text: str) -> int:
    """Words, with each CJK character counted as one (as Chinese word counts are done)."""
    characters = len(CJK.findall(text))
    return characters + len(CJK.sub(" ", text).split())


def english_words(text: str) -> int:
    """Length in English-word equivalents, for budgets: CJK characters / 1.7, plus other words."""
    characters = len(CJK.findall(text))
    return round(characters / CHARACTERS_PER_WORD) + len(CJK.sub(" ", text).split())


def block_words(block: Block, with_title: bool = True) -> int:
    """A block's length in a brief, for budgets: its text, and its title where it is printed."""
    return english_words(f"{block.title}\n{block.body}" if with_title else block.body)


def field_texts(block: Block) -> dict[str, str]:
    """What a translator translates in a block, by field."""
    texts = {"title": block.title, "body": block.body}
    if block.figure is not None:
        texts["figure.caption"] = block.figure.caption
        texts["figure.alt"] = block.figure.alt
    return texts


def field_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:HASH_LENGTH]


def source_hashes(block: Block) -> dict[str, str]:
    """The hashes a translation of `block` records: one per translatable field.

    Whitespace is normalised first, so re-wrapping a paragraph does not make translations stale.
    """
    return {name: field_hash(text) for name, text in field_texts(block).items()}


@dataclass(frozen=True)
class BlockState:
    block_id: str
    locale: str
    state: str  # current, stale or missing
    source_path: str
    path: str  # the translation's file ("" when missing)
    changed: tuple[str, ...] = ()  # for stale: the source fields changed since translation
    words: int = 0  # source words to translate (missing: all; stale: the changed fields)
    untracked: bool = False  # stale because no source_hash was recorded
    # For stale: the units (exchange ids, e.g. body/2) whose source changed, when the
    # translation memory knows what each was translated from; () when it does not.
    units: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.untracked:
            return "it does not record the source it was translated from (source_hash)"
        units = f"; units {', '.join(self.units)}" if self.units else ""
        return f"its source changed since it was translated ({', '.join(self.changed)}{units})"


def block_state(source: Block, translation: Block | None) -> BlockState:
    texts = field_texts(source)
    if translation is None:
        words = sum(count_words(t) for t in texts.values())
        return BlockState(source.id, "", "missing", source.path, "", tuple(texts), words)
    recorded = dict(translation.source_hash)
    now = source_hashes(source)
    changed = tuple(name for name in now if recorded.get(name) != now[name])
    if not recorded:
        changed = tuple(now)
    words = sum(count_words(texts[name]) for name in changed)
    state = "stale" if changed else "current"
    return BlockState(
        source.id,
        translation.locale,
        state,
        source.path,
        translation.path,
        changed,
        words,
        untracked=not recorded,
    )


def locale_states(content: Content, project: Project, locale: str) -> dict[str, BlockState]:
    """The state of every source block in `locale`, by block id (source order)."""
    source = content.locale(project.source_locale)
    translated = content.locale(locale)
    states = {}
    for block in sorted(source.values(), key=lambda b: b.order):
        state = block_state(block, translated.get(block.id))
        states[block.id] = dataclasses.replace(state, locale=locale)
    return states


def describe(state: BlockState) -> str:
    if state.state == "missing":
        return f"{state.block_id}: not translated ({state.source_path})"
    if state.state == "stale":
        return f"{state.block_id}: {state.reason} ({state.path})"
    return f"{state.block_id}: current"


# --- interface strings -------------------------------------------------------------------


@dataclass(frozen=True)
class Strings:
    """Interface words for every locale: the source's from templates/strings/<source>.yaml,
    the others from gettext catalogs templates/strings/<locale>.po (msgctxt = the key)."""

    source: dict[str, str]
    by_locale: dict[str, dict[str, str]]
    problems: tuple[Problem, ...] = ()
    gaps: tuple[Problem, ...] = ()  # warnings: catalogs or strings not translated yet

    def for_locale(self, locale: str) -> dict[str, str]:
        return {**self.source, **self.by_locale.get(locale, {})}

    def missing(self, locale: str) -> list[str]:
        return [k for k in self.source if k not in self.by_locale.get(locale, {})]


def vocabulary_strings(project: Project) -> dict[str, str]:
    """Audience, use-case and right names, as interface strings keyed 'audiences/government'."""
    return {
        f"{vocabulary}/{key}": label
        for vocabulary in ("audiences", "use_cases", "rights")
        for key, label in project.vocabularies[vocabulary].items()
    }


def load_strings(project: Project) -> Strings:
    """Read every locale's interface strings; report what is missing or unreadable."""
    root = project.root
    problems: list[Problem] = []
    gaps: list[Problem] = []
    source_file = root / STRINGS_DIR / f"{project.source_locale}.yaml"
    source: dict[str, str] = {}
    if source_file.is_file():
        data, _ = load_yaml_mapping(source_file, root)
        source = {str(k): str(v) for k, v in data.items()}
    source.update(vocabulary_strings(project))
    by_locale: dict[str, dict[str, str]] = {}
    for locale in project.locales:
        if locale == project.source_locale:
            continue
        path = root / STRINGS_DIR / f"{locale}.po"
        rel = display_path(path, root)
        if not path.is_file():
            gaps.append(
                Problem(
                    rel,
                    0,
                    f"the interface strings for {locale} are missing; {locale} briefs print them "
                    f"in the source language (briefgen i18n add-locale {locale} starts the "
                    "catalog).",
                    "warning",
                )
            )
            continue
        translations, found = read_catalog(path, rel, set(source))
        problems.extend(found)
        by_locale[locale] = translations
        for key in source:
            if key not in translations:
                gaps.append(
                    Problem(
                        rel,
                        0,
                        f'the string "{key}" ("{source[key]}") has no translation for {locale}; '
                        f'{locale} briefs print it in the source language: add msgctxt "{key}" '
                        "with its msgstr.",
                        "warning",
                    )
                )
    return Strings(source, by_locale, tuple(problems), tuple(gaps))


def read_catalog(path: Path, rel: str, known: set[str]) -> tuple[dict[str, str], list[Problem]]:
    """A PO catalog's translated, non-fuzzy strings by msgctxt, compiled with Babel."""
    problems: list[Problem] = []
    try:
        with path.open("rb") as handle:
            catalog = pofile.read_po(handle, abort_invalid=True)
    except (pofile.PoFileError, OSError, UnicodeDecodeError, ValueError) as error:
        return {}, [Problem(rel, 0, f"cannot be read as a PO catalog: {error}.")]
    # Compile to MO and look strings up through gettext, as any gettext program would: fuzzy
    # and empty entries never reach a brief.
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    translations: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.context is None:
            continue
        key = str(message.context)
        if key not in known:
            problems.append(
                Problem(
                    rel,
                    message.lineno or 0,
                    f'"{key}" is not an interface string{did_you_mean(key, known)}.',
                )
            )
            continue
        text = compiled.pgettext(key, str(message.id))
        if text != message.id or (message.string and not message.fuzzy):
            translations[key] = text
    return translations, problems


def catalog_bytes(locale: str, source: Mapping[str, str], texts: Mapping[str, str]) -> bytes:
    """The PO catalog of a locale's interface strings, as bytes (sorted, fixed dates)."""
    catalog = Catalog(
        locale=locale.replace("-", "_"),
        project="briefgen interface strings",
        version="1",
        fuzzy=False,
        header_comment=f"# Interface strings of briefgen briefs in {locale}. msgctxt is the key\n"
        "# the templates use; templates/strings/<source>.yaml holds the source text.",
        last_translator="briefgen translators",
        language_team=f"briefgen {locale}",
        msgid_bugs_address="",
    )
    catalog.creation_date = catalog.revision_date = _EPOCH
    for key in sorted(source):
        catalog.add(source[key], texts.get(key, ""), context=key)
    buffer = io.BytesIO()
    pofile.write_po(buffer, catalog, width=100, omit_header=False, sort_output=True)
    return buffer.getvalue()


# Catalog headers carry a fixed date: the same strings give the same bytes.
_EPOCH = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)


def vocabulary_label(
    strings: Mapping[str, str], project: Project, vocabulary: str, key: str
) -> str:
    """An audience, use case or right in the locale of `strings`, else as briefgen.yaml has it."""
    return strings.get(f"{vocabulary}/{key}") or project.label(vocabulary, key)


def language_name(locale: str) -> str:
    """A locale's name in its own language: 'English', 'Français'."""
    parsed = babel.Locale.parse(locale, sep="-")
    name = str(parsed.get_display_name(parsed) or locale)
    return name[:1].upper() + name[1:]  # "français" in a sentence, "Français" on its own


def typst_region(locale: str) -> str:
    """The region Typst needs for punctuation and line breaking: zh-Hans -> CN."""
    parsed = babel.Locale.parse(locale, sep="-")
    if parsed.territory:
        return str(parsed.territory)
    likely = babel.Locale.parse(
        babel.core.get_global("likely_subtags").get(str(parsed), str(parsed))
    )
    return str(likely.territory or "")


# --- status ------------------------------------------------------------------------------

STATUS_SCHEMA = "briefgen-i18n-status/1"


@dataclass(frozen=True)
class Scope:
    """The translation state of a set of blocks (a locale, or one brief in it)."""

    states: tuple[BlockState, ...]
    data: tuple[tuple[str, str], ...] = ()  # ("companies/<id>", state)
    strings_missing: tuple[str, ...] = ()
    # Titles with no text in the locale: "briefs/summary.yaml: title", "briefgen.yaml: name".
    titles_missing: tuple[str, ...] = ()

    def count(self, state: str) -> int:
        blocks = sum(1 for s in self.states if s.state == state)
        data = sum(1 for _, s in self.data if s == state)
        missing = len(self.strings_missing) + len(self.titles_missing)
        return blocks + data + (missing if state == "missing" else 0)

    @property
    def words(self) -> int:
        return sum(s.words for s in self.states)

    @property
    def complete(self) -> bool:
        return self.count("stale") == 0 and self.count("missing") == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": {state: sum(1 for s in self.states if s.state == state) for state in STATES},
            "words_to_translate": self.words,
            "complete": self.complete,
            "blocks": [
                {
                    "id": s.block_id,
                    "state": s.state,
                    "source": s.source_path,
                    "path": s.path or None,
                    "changed": list(s.changed),
                    "stale_units": list(s.units),
                    "words": s.words,
                }
                for s in self.states
            ],
            "data": [{"id": key, "state": state} for key, state in self.data],
            "strings_missing": list(self.strings_missing),
            "titles_missing": list(self.titles_missing),
        }


@dataclass(frozen=True)
class LocaleStatus:
    locale: str
    scope: Scope
    briefs: tuple[tuple[str, Scope], ...]


def render_status_text(
    report: list[LocaleStatus], source_locale: str, problems: Iterable[Problem] = ()
) -> str:
    lines = [f"problem: {p}" for p in problems]
    for status in report:
        scope = status.scope
        counts = ", ".join(f"{scope.count(state)} {state}" for state in STATES)
        lines.append(
            f"{status.locale}: {counts} ({scope.words:,} words to translate, from {source_locale})"
        )
        for block in scope.states:
            if block.state != "current":
                lines.append(f"  {block.state}: {describe(block)}")
        for key, entry_state in scope.data:
            if entry_state != "current":
                lines.append(f"  {entry_state}: data entry {key}")
        for key in scope.strings_missing:
            lines.append(f"  missing: interface string {key}")
        for title in scope.titles_missing:
            lines.append(f"  missing: {title}")
        for brief, part in status.briefs:
            if part.complete:
                lines.append(f"  brief {brief}: complete")
            else:
                todo = [s.block_id for s in part.states if s.state != "current"]
                todo += [key for key, s in part.data if s != "current"]
                lines.append(
                    f"  brief {brief}: {part.count('stale')} stale, {part.count('missing')} "
                    f"missing ({part.words:,} words): {', '.join(todo)}"
                )
    return "\n".join(lines) + "\n"


def render_status_json(
    report: list[LocaleStatus], source_locale: str, problems: Iterable[Problem] = ()
) -> str:
    """The status as JSON (docs/i18n-status.schema.json). `problems` are what translation QA
    found, or what stopped the project from loading (then `locales` is empty)."""
    import json

    payload = {
        "schema": STATUS_SCHEMA,
        "source_locale": source_locale,
        "problems": [
            {"path": p.path, "line": p.line, "message": p.message, "severity": p.severity}
            for p in problems
        ],
        "locales": [
            {
                "locale": s.locale,
                **s.scope.to_json(),
                "briefs": [{"brief": b, **part.to_json()} for b, part in s.briefs],
            }
            for s in report
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def failing(report: list[LocaleStatus], fail_on: Iterable[str]) -> bool:
    wanted = set(fail_on)
    return any(s.scope.count(state) for s in report for state in wanted)


# --- translation QA ----------------------------------------------------------------------
# A translated block must carry what its source carries: the same citation keys, the same
# links and the same numbers. A reviewer who reads one language never sees a dropped citation
# or a mistyped figure; this does. Numbers are compared by value, in either direction: each
# number of one side must appear on the other, written with digits, with a scale word
# (65 billion, 650亿, 65 milliards), as a Chinese numeral (第十一), or as a word (seven, sept).

_LINK = re.compile(r"\]\(([^)\s]+)[^)]*\)|<(https?://[^>\s]+)>")
_CITATION_SPAN = re.compile(r"\[[^\]]*@[^\]]*\]|(?<![\w@])@[\w:.#$%&+?<>~/-]+")
# Names such as ARTICLE 19 (four capitals or more: USD 65 is an amount). Boundaries are ASCII:
# in Chinese a letter or digit touches CJK characters.
_NAME_NUMBER = re.compile(r"(?<![A-Za-z])[A-Z]{4,} \d+(?!\d|\.\d)")
_SCALES = {
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "mille": 1e3, "millions": 1e6, "million(s)": 1e6, "milliard": 1e9, "milliards": 1e9,
    "万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2,
}  # fmt: skip
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z.])(\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+)(?:[.,](\d+))?"
    r"\s*(thousand|million|billion|trillion|milliards?|millions?|mille|万|亿)?",
    re.IGNORECASE,
)
_EN_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_FR_NUMBERS = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize dix-sept dix-huit dix-neuf vingt"
)
_EN_MONTHS = "january february march april may june july august september october november december"
_FR_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
# Number words and months (a date's month may be written as a number in the translation).
_WORDS: dict[str, float] = {
    **{word: i for i, word in enumerate(_EN_NUMBERS.split())},
    **{word: i for i, word in enumerate(_FR_NUMBERS.split())},
    **{month: i for i, month in enumerate(_EN_MONTHS.split(), 1)},
    **{month: i for i, month in enumerate(_FR_MONTHS.split(), 1)},
    **dict.fromkeys(("thirty", "trente"), 30),
    **dict.fromkeys(("forty", "quarante"), 40),
    **dict.fromkeys(("fifty", "cinquante"), 50),
    **dict.fromkeys(("sixty", "soixante"), 60),
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    **dict.fromkeys(("hundred", "cent"), 100),
    "dozen": 12,
    **dict.fromkeys(("first", "premier", "première", "une"), 1),
    **dict.fromkeys(("second", "twice", "double", "deuxième"), 2),
    **dict.fromkeys(("third", "thrice", "troisième"), 3),
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    **dict.fromkeys(("half", "moitié"), 0.5),
}
# One pattern for all number words, longest first so that "dix-sept" wins over "dix".
_WORD_PATTERN = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)) + r")(?!\w)"
)
_ZH_DIGITS = {"零": 0, "\u3007": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_ZH_NUMERAL = re.compile("[零\u3007一二两三四五六七八九十百千万亿]+")
_ZH_WORDS = {"倍": 2, "一半": 0.5, "半": 0.5}


def _zh_value(text: str) -> float | None:
    """A Chinese numeral's value: 十一 = 11, 二十三 = 23, 三百 = 300, 两万 = 20000."""
    total, section, digit = 0.0, 0.0, 0.0
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char in ("万", "亿"):
            total = (total + section + digit) * _ZH_UNITS[char]
            section, digit = 0.0, 0.0
        elif char in _ZH_UNITS:
            section += (digit or 1) * _ZH_UNITS[char]
            digit = 0.0
    value = total + section + digit
    return value or None


@dataclass(frozen=True)
class Found:
    values: frozenset[float]  # the ways this occurrence can be read (65 and 65e9)
    text: str
    line: int


def _plain(body: str) -> str:
    """Body text without what is compared separately or is no number: citations and URLs."""
    body = _LINK.sub(lambda m: "](x)" if m.group(1) else "", body)
    body = _CITATION_SPAN.sub(" ", body)
    return _NAME_NUMBER.sub(" ", body)


def numbers(body: str, first_line: int) -> list[Found]:
    """Numbers written with digits, each with the values it can stand for."""
    text = _plain(body)
    found = []
    for match in _NUMBER.finditer(text):
        whole = re.sub(r"[,\u00a0\u202f ]", "", match.group(1))
        value = float(f"{whole}.{match.group(2)}" if match.group(2) else whole)
        if match.group(2) and len(match.group(2)) == 3 and "," in match.group(0):
            value = float(whole + match.group(2))  # 1,000 read as a thousands separator
        values = {value}
        scale = (match.group(3) or "").lower()
        if scale:
            values.add(value * _SCALES.get(scale, 1))
        line = first_line + text.count("\n", 0, match.start())
        found.append(Found(frozenset(values), match.group(0).strip(), line))
    return found


def spoken_values(body: str) -> set[float]:
    """Numbers written without digits: words, Chinese numerals, months."""
    text = _plain(body).lower()
    values = {float(_WORDS[word]) for word in _WORD_PATTERN.findall(text)}
    for run in _ZH_NUMERAL.findall(text):
        value = _zh_value(run)
        if value is not None:
            values.add(value)
    values.update(float(v) for w, v in _ZH_WORDS.items() if w in text)
    # 650亿 is 65 billion: a scaled Chinese amount also stands for its English reading.
    for match in re.finditer(r"(\d+(?:\.\d+)?)\s*(万|亿)", text):
        amount = float(match.group(1)) * _SCALES[match.group(2)]
        values.update({amount / 1e9, amount / 1e6, amount / 1e3})
    return values


def _all_values(found: list[Found]) -> set[float]:
    return {v for f in found for v in f.values}


def qa_problems(source: Block, translation: Block) -> list[Problem]:
    """What a translation lost or gained against its source: citations, links, numbers."""
    problems: list[Problem] = []
    src_keys, dst_keys = set(source.cited_keys), set(translation.cited_keys)
    for citation in source.citations:
        if citation.key not in dst_keys:
            problems.append(
                Problem(
                    translation.path,
                    translation.body_line,
                    f'the translation drops the citation "@{citation.key}" that its source '
                    f"cites at {source.path}:{citation.line}.",
                )
            )
            dst_keys.add(citation.key)  # once per key
    for citation in translation.citations:
        if citation.key not in src_keys:
            problems.append(
                Problem(
                    translation.path,
                    citation.line,
                    f'the translation cites "@{citation.key}", which its source {source.path} '
                    "does not.",
                )
            )
            src_keys.add(citation.key)
    src_links = {a or b for a, b in _LINK.findall(source.body)}
    dst_links = {a or b for a, b in _LINK.findall(translation.body)}
    for link in sorted(src_links - dst_links):
        problems.append(
            Problem(
                translation.path,
                translation.body_line,
                f"the translation drops the link {link} of its source {source.path}.",
            )
        )
    for link in sorted(dst_links - src_links):
        problems.append(
            Problem(
                translation.path,
                translation.body_line,
                f"the translation links to {link}, which its source {source.path} does not.",
            )
        )
    src_text = f"{source.title}\n{source.body}"
    dst_text = f"{translation.title}\n{translation.body}"
    src_numbers = numbers(src_text, source.body_line - 1)
    dst_numbers = numbers(dst_text, translation.body_line - 1)
    src_ok = _all_values(src_numbers) | spoken_values(src_text)
    dst_ok = _all_values(dst_numbers) | spoken_values(dst_text)
    reported: set[str] = set()
    for number in src_numbers:
        if not number.values & dst_ok and number.text not in reported:
            reported.add(number.text)
            problems.append(
                Problem(
                    translation.path,
                    translation.body_line,
                    f'the number "{number.text}" of its source ({source.path}:{number.line}) '
                    "is not in the translation.",
                )
            )
    for number in dst_numbers:
        if not number.values & src_ok and number.text not in reported:
            reported.add(number.text)
            problems.append(
                Problem(
                    translation.path,
                    number.line,
                    f'the number "{number.text}" is not in its source ({source.path}).',
                )
            )
    return problems
