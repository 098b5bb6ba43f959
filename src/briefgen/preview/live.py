"""A live preview: watch the project's input files and rebuild the HTML of what changed.

    preview_target()   which brief and locale to preview, checked against the project
    Preview            builds into build/.preview/ (HTML only) with the build's own
                       incrementality, and publishes each outcome as a new generation
    InputWatcher       the files a build reads (digest.BUILD_INPUTS), debounced, without
                       editors' temporary files and without the output folder

The preview builds through `build.build()`, so it re-renders only outputs whose inputs changed
and writes nothing when a build fails: the folder always holds the last site that built whole.
The server (serve.py) shows that folder and the current generation's problems; the CLI prints
each outcome. Nothing here prints.
"""

from __future__ import annotations

import itertools
import queue
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import watchfiles

from briefgen.build import BuildRequest, build
from briefgen.errors import BriefgenError, Problem, ProblemsError, did_you_mean
from briefgen.load.loader import Loaded
from briefgen.load.project import PROJECT_FILE, load_project
from briefgen.load.yamlfile import load_yaml_mapping
from briefgen.model import artifact_path
from briefgen.preview.patch import Fragment, QuickRender, page_fragment
from briefgen.publish.digest import BUILD_INPUTS
from briefgen.render.parallel import Progress, ProgressEvent

# Inside build/ (which is not watched: writing the preview never triggers a rebuild), and a
# hidden folder, which `briefgen verify build/` and the release archive leave out.
PREVIEW_FOLDER = Path("build") / ".preview"


@dataclass(frozen=True)
class Target:
    """What a preview builds: one brief ("" for every brief) in one locale."""

    brief: str
    locale: str

    @property
    def page(self) -> str:
        """The address (relative to the site) of the page to open first: the brief's, or
        the library page (the site's index) that lists every brief."""
        return artifact_path(self.brief, self.locale, "html") if self.brief else ""


def preview_target(root: Path, brief: str, locale: str | None) -> Target:
    """Check the brief and locale a user named; default to the project's source locale."""
    project = load_project(root)
    problems = []
    briefs = sorted(path.stem for path in (root / "briefs").glob("*.yaml"))
    if brief and brief not in briefs:
        problems.append(
            Problem(
                "briefs/",
                0,
                f'there is no brief "{brief}"{did_you_mean(brief, briefs)}, and no folder of '
                "that name to serve; `briefgen list briefs` lists the briefs.",
            )
        )
    if locale is not None and locale not in project.locales:
        _, lines = load_yaml_mapping(root / PROJECT_FILE, root)
        problems.append(
            Problem(
                PROJECT_FILE,
                lines.get("locales", 0),
                f'--locale "{locale}" is not a locale of this project'
                f"{did_you_mean(locale, project.locales)}; the project's locales are listed "
                'under "locales" here.',
            )
        )
    if problems:
        raise ProblemsError(problems)
    return Target(brief, locale or project.source_locale)


@dataclass(frozen=True)
class Outcome:
    """What one rebuild did: the pages it rendered again, or why it failed."""

    changed: tuple[str, ...]  # the input files (relative to the project) that set it off
    seconds: float
    rebuilt: tuple[str, ...] = ()  # pages rendered again (paths in the preview folder)
    unchanged: int = 0  # outputs left as they were
    problems: tuple[Problem, ...] = ()  # the user's mistakes, with file and line
    failure: str = ""  # any other error, as a sentence
    detail: str = ""  # the traceback of an internal error (for --debug)
    warnings: tuple[Problem, ...] = ()
    # From the save to the edited block patched into open pages (preview/patch.py), before
    # the full rebuild: 0.0 when the edit took the full path alone.
    patched: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failure


@dataclass(frozen=True)
class Patch:
    """An edited block, rendered ahead of the full rebuild, for pages showing generation `base`
    to patch in place: they then show `generation`, which the full rebuild keeps if its page
    is the same (else it publishes a newer one, and they reload)."""

    generation: str
    base: str
    page: str  # the page it belongs to, relative to the site
    fragment: Fragment


@dataclass(frozen=True)
class PreviewState:
    """What the server shows: the generation of the site on disk (a new one makes open pages
    reload), whether the first build has finished, the problems of the latest build (none when
    it succeeded), and the latest patch sent ahead of a rebuild."""

    generation: str
    ready: bool = False
    problems: tuple[Problem, ...] = ()
    failure: str = ""
    closed: bool = False
    patch: Patch | None = None

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.failure)


class Preview:
    """Rebuilds one target into the preview folder and publishes each outcome."""

    def __init__(self, root: Path, target: Target) -> None:
        self.root = root.resolve()
        self.target = target
        # Rendered in this process (jobs=1): a preview rebuilds a page or a few, where worker
        # processes cost more than they save, and Ctrl-C then stops no half-started worker.
        self.request = BuildRequest(
            root=self.root,
            out=self.root / PREVIEW_FOLDER,
            briefs=(target.brief,) if target.brief else (),
            locales=(target.locale,),
            formats=("html",),
            jobs=1,
        )
        # One edited block of one brief is rendered ahead of the rebuild (patch.py).
        self._quick = QuickRender(self.request) if target.brief else None
        self._built: Loaded | None = None  # the project as the latest build loaded it
        # A session token in the generation: a page from an earlier run of the server reloads.
        self._session = secrets.token_hex(4)
        self._count = 0
        self._state = PreviewState(f"{self._session}-0")
        self._changed = threading.Condition()
        self._stop = threading.Event()

    @property
    def folder(self) -> Path:
        return self.request.out

    def state(self) -> PreviewState:
        with self._changed:
            return self._state

    def wait(self, seen: str, timeout: float, patch: Patch | None = None) -> PreviewState:
        """The state once its generation differs from `seen` or its patch from `patch` (or
        after `timeout` seconds)."""
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    self._state.generation != seen
                    or self._state.patch != patch
                    or self._state.closed
                ),
                timeout,
            )
            return self._state

    def close(self) -> None:
        """Stop: the watcher ends, a build under way stops at its next brief, and every
        event stream of the server ends."""
        self._stop.set()
        with self._changed:
            self._state = replace(self._state, closed=True)
            self._changed.notify_all()

    def rebuild(self, changed: tuple[str, ...] = ()) -> Outcome:
        """Build the target; publish a new generation if the site or its problems changed.

        An edit to one block of the previewed brief is first rendered alone and sent to open
        pages as a patch; the full build follows, and keeps the patch's generation if its page
        shows the same (so patched pages stay as they are), else publishes a new one."""
        started = time.monotonic()
        patch = self._send_patch(changed)
        patched = time.monotonic() - started if patch is not None else 0.0
        outcome, self._built = _build_outcome(self.request, changed, self._progress)
        outcome = replace(outcome, seconds=time.monotonic() - started, patched=patched)
        with self._changed:
            old = self._state
            new = replace(old, ready=True, problems=outcome.problems, failure=outcome.failure)
            if patch is not None and outcome.ok and self._shows(patch):
                new = replace(new, generation=patch.generation)
            elif outcome.rebuilt or new != old:
                self._count += 1
                new = replace(new, generation=f"{self._session}-{self._count}")
            if new != old:
                self._state = new
                self._changed.notify_all()
        return outcome

    def prepare_next(self) -> None:
        """Get the shortcut ready for the next edit, from the project as the latest build
        loaded it (run() calls this after each build's report)."""
        if self._quick is not None:
            self._quick.refresh(self._built)

    def _send_patch(self, changed: tuple[str, ...]) -> Patch | None:
        if self._quick is None or not changed or not self._state.ready or self._state.failed:
            return None
        try:
            fragment = self._quick.fragment(changed)
        except Exception:  # a shortcut only: the full build that follows reports any failure
            fragment = None
        if fragment is None:
            return None
        try:  # a save that changes nothing on the page (the same text again) sends nothing
            shown = page_fragment((self.folder / self.target.page).read_bytes(), fragment.block_id)
        except OSError:
            shown = None
        if shown == fragment:
            return None
        with self._changed:
            self._count += 1
            patch = Patch(
                f"{self._session}-{self._count}",
                self._state.generation,
                self.target.page,
                fragment,
            )
            self._state = replace(self._state, patch=patch)
            self._changed.notify_all()
        return patch

    def _shows(self, patch: Patch) -> bool:
        """Whether the page the full build wrote shows what the patch put in open pages."""
        try:
            page = (self.folder / patch.page).read_bytes()
        except OSError:
            return False
        return page_fragment(page, patch.fragment.block_id) == patch.fragment

    def _progress(self, event: ProgressEvent) -> None:
        if self._stop.is_set():
            raise Stopped  # between two briefs, before anything is written

    def run(self, report: Callable[[Outcome], None]) -> None:
        """Build once, then rebuild after every change, until close()."""
        watcher = InputWatcher(self.root, self.folder, self._stop)  # first: no edit is lost
        for changed in itertools.chain([()], watcher):  # the first build, then one per change
            outcome = self.rebuild(changed)
            if not self._stop.is_set():  # a build cut short by Ctrl-C is not news
                report(outcome)
            self.prepare_next()  # after the report: ready for the next edit


class Stopped(Exception):
    """The preview was closed during a build."""


def _build_outcome(
    request: BuildRequest, changed: tuple[str, ...], progress: Progress
) -> tuple[Outcome, Loaded | None]:
    """What a build did, and the project as it loaded it (None if it loaded none or failed)."""
    try:
        result = build(request, progress)
    except Stopped:
        return Outcome(changed, 0.0, failure="stopped"), None
    except ProblemsError as error:
        return Outcome(changed, 0.0, problems=error.problems), None
    except BriefgenError as error:  # pandoc failed, an output could not be written, ...
        return Outcome(changed, 0.0, failure=str(error)), None
    except Exception as error:  # a bug in briefgen: keep serving, say so, keep the traceback
        failure = (
            f"an internal error occurred (a bug in briefgen): {error!r}; run with "
            "--debug for the traceback and report it."
        )
        return Outcome(changed, 0.0, failure=failure, detail=traceback.format_exc()), None
    pages = tuple(w.relpath for w in result.written if w.relpath.endswith(".html"))
    outcome = Outcome(
        changed, 0.0, rebuilt=pages, unchanged=result.skipped, warnings=result.warnings
    )
    return outcome, result.loaded


# Editors' temporary files, beyond what watchfiles ignores already (*.swp, *~, .#*, JetBrains):
# vim's write test, Emacs autosaves, Kate, Chrome's File System Access, gedit, LibreOffice
# locks, `sed -i`, and the atomic writers' own .part files (the rename that follows is the
# change).
EDITOR_TEMPORARY = (r"^4913$", r"^#.*#$", r"\.kate-swp$", r"\.crswap$", r"^\.goutputstream-",
                    r"^\.~lock\.", r"^sed[A-Za-z0-9]{6}$", r"\.part$", r"\.tmp$")  # fmt: skip
STEP_MS = 50  # a change is reported once the files have been quiet this long
DEBOUNCE_MS = 1600  # ... or after this long at the latest, while files keep changing
SETTLE_S = 0.1  # further reports merged into the same rebuild (one save, two watchers)


class InputFilter(watchfiles.DefaultFilter):
    """Passes changes to the project's build inputs only, never to the output folder."""

    ignore_entity_patterns = (*watchfiles.DefaultFilter.ignore_entity_patterns, *EDITOR_TEMPORARY)

    def __init__(self, root: Path, ignore: Path) -> None:
        super().__init__()
        self.root = root
        self.ignore = ignore

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        changed = Path(path)
        if changed.is_relative_to(self.ignore) or not changed.is_relative_to(self.root):
            return False
        relative = changed.relative_to(self.root)
        # Judged by the path inside the project: a project kept under, say, a .venv folder
        # still counts as a project.
        return (
            bool(relative.parts)
            and relative.parts[0] in BUILD_INPUTS
            and super().__call__(change, relative.as_posix())
        )


class InputWatcher:
    """Every change to a build input, as the sorted paths (relative to the project) of one
    burst of saves.

    The project folder is watched on its own, without its subfolders (it also holds .venv and
    build/), for briefgen.yaml, bibliography.bib and input folders that appear; each input
    folder is watched with its subfolders. Files are never watched one by one: an editor that
    saves by renaming a new file over the old one would end such a watch after its first save.
    """

    def __init__(self, root: Path, ignore: Path, stop: threading.Event) -> None:
        self.root = root.resolve()
        self.filter = InputFilter(self.root, ignore.resolve())
        self.stop = stop
        self._queue: queue.Queue[set[str]] = queue.Queue()
        self._folders: dict[str, threading.Event] = {}  # input folder -> its watch's stop
        self._start(self.root, False, stop)
        for name in BUILD_INPUTS:
            self._watch_folder(name)

    def _watch_folder(self, name: str) -> None:
        """(Re)start the watch of an input folder: one removed and made again (a checkout, a
        restore) is a new folder to the system, which the old watch no longer sees."""
        previous = self._folders.pop(name, None)
        if previous is not None:
            previous.set()
        if (self.root / name).is_dir():
            own = threading.Event()
            self._folders[name] = own
            self._start(self.root / name, True, _Either(self.stop, own))

    def _start(self, path: Path, recursive: bool, stop: _Stop) -> None:
        threading.Thread(target=self._pump, args=(path, recursive, stop), daemon=True).start()

    def _pump(self, path: Path, recursive: bool, stop: _Stop) -> None:
        try:
            for changes in watchfiles.watch(
                path,
                watch_filter=self.filter,
                recursive=recursive,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=stop,
                raise_interrupt=False,
            ):
                self._queue.put({changed for _, changed in changes})
        except OSError:
            pass  # the folder was removed; the project folder's watch reports that

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        while not self.stop.is_set():
            try:
                paths = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            while True:
                try:
                    paths |= self._queue.get(timeout=SETTLE_S)
                except queue.Empty:
                    break
            relative = sorted({Path(p).relative_to(self.root).as_posix() for p in paths})
            for name in relative:
                if name in BUILD_INPUTS:  # an input folder (or file) made, removed or replaced
                    self._watch_folder(name)
            yield tuple(relative)


class _Stop(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class _Either:
    """Set when either event is: a folder's watch ends with the preview or on its own."""

    first: _Stop
    second: _Stop

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()


def describe_inputs(root: Path) -> list[str]:
    """The inputs a preview of `root` watches, as a reader would name them ("content/")."""
    return [
        f"{name}/" if (root / name).is_dir() else name
        for name in BUILD_INPUTS
        if (root / name).exists()
    ]
