"""`briefgen studio`: compose a brief in the browser, on this machine only.

Every composition is a URL. `/compose?audience=A&use_case=U[&use_case=..][&right=R][&locale=L]
[&pages=N|&words=N][&prepared_for=T][&date=YYYY-MM-DD][&pin=ID..][&drop=ID..][&order=ID..]` shows
the studio page for it: the choices, the candidate blocks and why each is in or out, a budget
meter and the composed web page in an iframe. `/compose.<ext>?...` (pdf, docx, odt, epub, html,
md) is the brief itself: compose.composition and compose.render_composed, so the same parameters
give the same bytes (a composition without a date is dated today).

Safety on a laptop: the server binds to 127.0.0.1 (serve.LoopbackServer) and answers only
requests whose Host names it (serve.host_allowed: no DNS rebinding). The one request that
changes anything, saving a recipe under briefs/, needs the page's token (a random secret of
this run, embedded in the page) and an Origin header naming this server: another site's page
can neither read the studio nor make it write. It reads only the project and writes only
briefs/<slug>.yaml and, when a block edited in the page passes check's rules for a block
(content.read_block, its id unchanged, citation keys in the bibliography), that block's file
under content/ (otherwise the problems are shown at their lines and nothing is written).
Pages are built from jinja2 templates with autoescaping; nothing is fetched from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import http.server
import secrets
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from briefgen.compose import composition, render_composed, save_composed
from briefgen.compose.request import (
    DEFAULT_PAGES,
    PARTS,
    Candidate,
    Composed,
    ComposeRequest,
    parse_date,
    why_chosen,
)
from briefgen.errors import BriefgenError, Problem, ProblemsError
from briefgen.i18n.locales import language_name, locale_states, vocabulary_label
from briefgen.load.content import read_block
from briefgen.load.loader import Loaded, load
from briefgen.load.project import SLUG
from briefgen.load.recipes import RECIPES_DIR
from briefgen.model import FORMATS, Artifact
from briefgen.preview.serve import LOOPBACK, LoopbackServer, host_allowed
from briefgen.publish.output import write_atomic

TEMPLATES = Path(__file__).parent / "studio_templates"
DOWNLOADS = ("pdf", "docx", "odt", "epub", "html", "md")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "epub": "application/epub+zip",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
# Nothing from elsewhere; the page frames only its own previews, and nothing else frames it.
PAGE_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'self'"
)
MAX_BODY = 1024 * 1024  # a form's fields (an edited block); anything longer is not the page
# Compositions kept for the page, its preview and its downloads (most recent last).
CACHE_SIZE = 16
LIST_KEYS = ("use_case", "right", "pin", "drop", "order")
TEXT_KEYS = ("audience", "locale", "pages", "words", "prepared_for", "date")


@dataclass(frozen=True)
class Query:
    """A composition as the studio's URL carries it."""

    audience: str = ""
    use_case: tuple[str, ...] = ()
    right: tuple[str, ...] = ()
    locale: str = ""
    pages: str = ""
    words: str = ""
    prepared_for: str = ""
    date: str = ""
    pin: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    order: tuple[str, ...] = ()

    @classmethod
    def parse(cls, query: str) -> Query:
        fields = urllib.parse.parse_qs(query, keep_blank_values=True)
        lists = {
            key: tuple(dict.fromkeys(v.strip() for v in fields.get(key, []) if v.strip()))
            for key in LIST_KEYS
        }
        texts = {key: (fields.get(key) or [""])[-1].strip() for key in TEXT_KEYS}
        return cls(**lists, **texts)  # type: ignore[arg-type]

    def encode(self) -> str:
        """The canonical query string: keys in a fixed order, blanks left out."""
        pairs: list[tuple[str, str]] = []
        for key in ("audience", "use_case", "right", "locale", "pages", "words", "prepared_for",
                    "date", "pin", "drop", "order"):  # fmt: skip
            value = getattr(self, key)
            pairs += [(key, v) for v in value] if isinstance(value, tuple) else [(key, value)]
        return urllib.parse.urlencode([(k, v) for k, v in pairs if v])

    def with_(self, **changes: Any) -> Query:
        return replace(self, **changes)

    @property
    def complete(self) -> bool:
        return bool(self.audience and self.use_case)

    def request(self, root: Path) -> ComposeRequest:
        """The compose request; a problem with a number or a date as compose would say it."""
        problems: list[Problem] = []
        numbers: dict[str, int | None] = {}
        for key in ("pages", "words"):
            text = getattr(self, key)
            try:
                numbers[key] = int(text) if text else None
            except ValueError:
                problems.append(Problem(key, 0, f'must be a whole number, not "{text}".'))
                numbers[key] = None
        try:
            date = parse_date(self.date)
        except BriefgenError as error:
            problems.append(Problem("date", 0, str(error).removeprefix("--date: ")))
            date = None
        if problems:
            raise ProblemsError(problems)
        return ComposeRequest(
            root=root,
            audience=self.audience,
            use_cases=self.use_case,
            rights=self.right,
            words=numbers["words"],
            pages=numbers["pages"],
            locale=self.locale,
            formats=("html",),
            prepared_for=self.prepared_for,
            date=date,
            include=self.pin,
            exclude=self.drop,
            order=self.order,
        )


@dataclass
class Result:
    """A composition held for its page, its preview and its downloads."""

    loaded: Loaded
    composed: Composed
    artifacts: dict[str, Artifact] = field(default_factory=dict)


class Studio:
    """The state of one run: the project, its token, and recent compositions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.token = secrets.token_urlsafe(32)
        self.lock = threading.Lock()  # one composition at a time: they share the CPU anyway
        self.cache: dict[str, Result] = {}
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def loaded(self) -> Loaded:
        return load(self.root)

    def result(self, query: Query) -> Result:
        """The composition of `query`, composed once while it is among the recent ones."""
        key = query.encode()
        with self.lock:
            if key not in self.cache:
                loaded = self.loaded()
                composed, _, artifacts = composition(loaded, query.request(self.root))
                self.cache[key] = Result(loaded, composed, {a.format: a for a in artifacts})
                while len(self.cache) > CACHE_SIZE:
                    del self.cache[next(iter(self.cache))]
            return self.cache[key]

    def artifact(self, query: Query, format_name: str) -> Artifact:
        result = self.result(query)
        with self.lock:
            if format_name not in result.artifacts:
                for artifact in render_composed(result.loaded, result.composed, (format_name,)):
                    result.artifacts[artifact.format] = artifact
            return result.artifacts[format_name]

    def save(self, query: Query, name: str) -> Path:
        """Write the composition's recipe as briefs/<name>.yaml (compose --save-recipe)."""
        if not SLUG.match(name):  # a name, never a path: nothing outside briefs/
            raise ProblemsError(
                [
                    Problem(
                        "name",
                        0,
                        f'"{name}" must be a slug (a-z, 0-9, hyphens), e.g. thursday: the file '
                        f"is {RECIPES_DIR}/<name>.yaml and the name is the brief's id.",
                    )
                ]
            )
        request = query.request(self.root)
        path = self.root / RECIPES_DIR / f"{name}.yaml"
        with self.lock:
            _, saved = save_composed(self.loaded(), replace(request, save_recipe=path))
        return saved

    # --- editing a block -------------------------------------------------------------------

    def block_file(self, loaded: Loaded, block_id: str) -> Path:
        """The source file of a block of the source locale, inside content/ (nowhere else)."""
        block = loaded.content.locale(loaded.project.source_locale).get(block_id)
        if block is None:
            raise BriefgenError(f'there is no block "{block_id}" in this project.')
        path = (self.root / block.path).resolve()
        if not path.is_relative_to((self.root / "content").resolve()):
            raise BriefgenError(
                f"{block.path} is not inside content/: the studio edits only there."
            )
        return path

    def block_problems(self, block_id: str, text: str) -> list[Problem]:
        """The problems `check` would find in the edited text of a block: its own file's rules
        (content.read_block), its id unchanged, and citation keys the bibliography has."""
        loaded = self.loaded()
        project = loaded.project
        path = self.block_file(loaded, block_id)
        locale_dir = self.root / "content" / project.source_locale
        try:
            block, problems = read_block(project, project.source_locale, path, locale_dir, text)
        except ProblemsError as error:
            return sorted(error.problems, key=lambda p: p.line)
        if block is not None and block.id != block_id:
            problems.append(
                Problem(block.path, 2, f'the id must stay "{block_id}": briefs name it.')
            )
        entries = loaded.bibliography.entries
        for citation in block.citations if block is not None and entries else ():
            if citation.key not in entries:
                problems.append(
                    Problem(
                        block.path if block else "",
                        citation.line,
                        f'unknown citation key "@{citation.key}": it is not in '
                        f"{loaded.bibliography.path}.",
                    )
                )
        return sorted(problems, key=lambda p: p.line)

    def save_block(self, block_id: str, text: str) -> list[Problem]:
        """Write the edited block if it is valid; else change nothing and say why."""
        with self.lock:
            problems = self.block_problems(block_id, text)
            if not problems:
                write_atomic(self.block_file(self.loaded(), block_id), text.encode("utf-8"))
                self.cache.clear()  # every composition may hold the old text
        return problems

    def block_page(
        self, block_id: str, back: str, text: str | None = None, problems: Iterable[Problem] = ()
    ) -> str:
        loaded = self.loaded()
        path = self.block_file(loaded, block_id)
        shown = path.read_text(encoding="utf-8") if text is None else text
        return self.templates.get_template("block.html.j2").render(
            block_id=block_id,
            path=path.relative_to(self.root.resolve()).as_posix(),
            text=shown,
            problems=[(p.line, p.message) for p in problems],
            back=back,
            token=self.token,
        )

    # --- the page ------------------------------------------------------------------------

    def page(self, query: Query, notice: str = "", problems: Iterable[str] = ()) -> str:
        loaded = self.loaded()
        project = loaded.project
        strings = loaded.strings.for_locale(project.source_locale)

        def options(vocabulary: str) -> list[tuple[str, str]]:
            keys = project.vocabularies[vocabulary]
            return [(k, vocabulary_label(strings, project, vocabulary, k)) for k in keys]

        shown: list[str] = list(problems)
        result: Result | None = None
        if query.complete and not shown:
            try:
                result = self.result(query)
            except ProblemsError as error:
                shown += [_problem_text(p) for p in error.problems]
            except BriefgenError as error:
                shown.append(str(error))
        view = _view(loaded, query, result) if result else None
        encoded = query.encode()
        return self.templates.get_template("studio.html.j2").render(
            query=query,
            encoded=encoded,
            audiences=options("audiences"),
            use_cases=options("use_cases"),
            rights=options("rights"),
            locales=[(code, language_name(code)) for code in project.locales],
            source_locale=project.source_locale,
            default_pages=DEFAULT_PAGES,
            today=dt.datetime.now(dt.UTC).date().isoformat(),
            problems=shown,
            notice=notice,
            view=view,
            downloads=[(f, FORMATS[f].label) for f in DOWNLOADS],
            token=self.token,
            dropped=query.drop,
            link=lambda **changes: _link(query, **changes),
            pin=lambda block_id: _link(query, pin=(*query.pin, block_id)),
            unpin=lambda block_id: _link(query, pin=_without(query.pin, block_id)),
            drop=lambda block_id: _link(
                query, drop=(*query.drop, block_id), pin=_without(query.pin, block_id)
            ),
            restore=lambda block_id: _link(query, drop=_without(query.drop, block_id)),
        )


def _link(query: Query, **changes: Any) -> str:
    return "/compose?" + query.with_(**changes).encode()


def _without(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value)


def _problem_text(problem: Problem) -> str:
    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
    return f"{where}: {problem.message}"


def _view(loaded: Loaded, query: Query, result: Result) -> dict[str, Any]:
    """What the page shows of a composition: blocks in and out, with why, and the meter."""
    composed = result.composed
    project = loaded.project
    locale = composed.locale
    states = (
        {k: v.state for k, v in locale_states(loaded.content, project, locale).items()}
        if locale != project.source_locale
        else {}
    )
    kinds_part = {p.key: p for p in PARTS}

    def row(candidate: Candidate, chosen: bool, reason: str) -> dict[str, Any]:
        block = candidate.block
        return {
            "id": block.id,
            "title": block.title,
            "kind": block.kind,
            "part": kinds_part[candidate.part].key,
            "words": candidate.words,
            "translation": "source" if not states else states.get(block.id, "missing"),
            "chosen": chosen,
            "pinned": candidate.pinned,
            "reason": reason,
        }

    sections = []
    for title, candidates in composed.sections:
        ids = [c.block.id for c in candidates]
        rows = []
        for index, candidate in enumerate(candidates):
            entry = row(candidate, True, why_chosen(candidate) or "fits the budget, by rank")
            entry["up"] = ()
            if index:  # move up: this block before the one above it, in this section
                moved = [*ids[: index - 1], ids[index], ids[index - 1], *ids[index + 1 :]]
                others = tuple(i for i in query.order if i not in ids)
                entry["up"] = tuple(moved) + others
            rows.append(entry)
        sections.append({"title": title, "rows": rows})
    left_out = [row(item.candidate, False, item.reason) for item in composed.left_out]
    request = composed.request
    if request.words is not None:
        meter = {"unit": "words", "value": composed.words, "max": request.words}
    else:
        meter = {
            "unit": "pages",
            "value": composed.pages or 0,
            "max": request.pages or DEFAULT_PAGES,
        }
    return {
        "title": composed.recipe.title.get(locale) or next(iter(composed.recipe.title.values())),
        "id": composed.recipe.id,
        "sections": sections,
        "left_out": left_out,
        "words": composed.words,
        "pages": composed.pages,
        "meter": meter,
        "date": request.date.isoformat() if request.date else "",
        "untranslated_words": composed.untranslated_words,
        "locale": locale,
        "source_locale": project.source_locale,
    }


class StudioHandler(http.server.BaseHTTPRequestHandler):
    """The studio's pages and files; see the module's docstring for what it refuses."""

    studio: Studio

    def __init__(self, *args: Any, studio: Studio, **kwargs: Any) -> None:
        self.studio = studio
        super().__init__(*args, **kwargs)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not host_allowed(self):
            self.send_error(421, "this server answers only to 127.0.0.1 or localhost")
            return False
        return True

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/":
            self._redirect("/compose")
            return
        if url.path == "/block":
            fields = urllib.parse.parse_qs(url.query)
            block_id = (fields.get("id") or [""])[-1]
            back = Query.parse((fields.get("back") or [""])[-1]).encode()
            try:
                page = self.studio.block_page(block_id, back)
            except BriefgenError as error:
                self.send_error(404, str(error))
                return
            self._send(200, "text/html; charset=utf-8", page.encode())
            return
        query = Query.parse(url.query)
        if url.path == "/compose":
            if url.query != query.encode():  # every composition has one address
                self._redirect("/compose?" + query.encode() if query.encode() else "/compose")
                return
            self._send(200, "text/html; charset=utf-8", self.studio.page(query).encode())
            return
        stem, _, extension = url.path.rpartition(".")
        if stem == "/compose" and extension in DOWNLOADS:
            self._send_brief(query, extension)
            return
        self.send_error(404, "no such page in the studio")

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path not in ("/save", "/block"):
            self.send_error(404, "no such action in the studio")
            return
        form = self._form()
        if form is None:
            return
        if url.path == "/block":
            self._save_block(form)
            return
        query = Query.parse(form.get("query", ""))
        name = form.get("name", "").strip()
        try:
            saved = self.studio.save(query, name)
        except ProblemsError as error:
            messages = [_problem_text(p).replace("--save-recipe: ", "") for p in error.problems]
            page = self.studio.page(query, problems=messages)
            self._send(400, "text/html; charset=utf-8", page.encode())
            return
        except BriefgenError as error:
            page = self.studio.page(query, problems=[str(error)])
            self._send(409, "text/html; charset=utf-8", page.encode())
            return
        relative = saved.relative_to(self.studio.root.resolve()).as_posix()
        notice = f"Saved {relative}. Build it again any time: briefgen build {saved.stem}"
        self._send(200, "text/html; charset=utf-8", self.studio.page(query, notice).encode())

    def _save_block(self, form: dict[str, str]) -> None:
        block_id, back = form.get("id", ""), Query.parse(form.get("back", "")).encode()
        # A browser sends a textarea's lines with CRLF; the files have LF.
        text = form.get("text", "").replace("\r\n", "\n")
        try:
            problems = self.studio.save_block(block_id, text)
        except BriefgenError as error:
            self.send_error(404, str(error))
            return
        if problems:
            page = self.studio.block_page(block_id, back, text, problems)
            self._send(400, "text/html; charset=utf-8", page.encode())
            return
        self._redirect("/compose?" + back if back else "/compose")

    def _form(self) -> dict[str, str] | None:
        """The posted form, once the request is shown to come from the studio's own page."""
        host = self.headers.get("Host", "").strip().lower()
        if self.headers.get("Origin", "").strip().lower() != f"http://{host}":
            self.send_error(403, "a change must come from the studio's own page (Origin)")
            return None
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.send_error(411, "a length is required")
            return None
        if not 0 <= length <= MAX_BODY:
            self.send_error(413, "too large for a form of the studio")
            return None
        body = self.rfile.read(length).decode("utf-8", "replace")
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        if not hmac.compare_digest(form.get("token", ""), self.studio.token):
            self.send_error(403, "a change needs the token of the studio's page")
            return None
        return form

    def _send_brief(self, query: Query, format_name: str) -> None:
        try:
            artifact = self.studio.artifact(query, format_name)
            result = self.studio.result(query)
        except (ProblemsError, BriefgenError):
            self._redirect("/compose?" + query.encode())  # the page says what is wrong
            return
        filename = f"{result.composed.recipe.id}.{format_name}"
        disposition = "inline" if format_name == "html" else "attachment"
        self.send_response(200)
        self.send_header("Content-Type", MEDIA_TYPES[format_name])
        self.send_header("Content-Disposition", f'{disposition}; filename="{filename}"')
        self.send_header("Content-Length", str(len(artifact.data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(artifact.data)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", PAGE_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the CLI prints what it needs


def make_studio_server(root: Path, port: int = 8765) -> tuple[LoopbackServer, Studio]:
    """The studio for the project at `root` on 127.0.0.1:`port` (0 picks a free port)."""
    studio = Studio(root)
    handler = functools.partial(StudioHandler, studio=studio)
    return LoopbackServer((LOOPBACK, port), handler), studio
