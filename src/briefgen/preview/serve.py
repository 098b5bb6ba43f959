"""Preview in a browser, on loopback only: a build folder as it is, or a live preview.

Both bind to 127.0.0.1 (never to other interfaces) and serve only files inside their folder: a
request whose path, once links are followed, leaves the folder gets 403. The live preview
(preview.Preview rebuilds its folder) adds to each HTML response, never to the file, a script
that reloads the page when a new build is published, and, while the latest build has failed, a
panel listing its problems with file and line.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from briefgen.errors import BriefgenError
from briefgen.publish.manifest import MANIFEST

if TYPE_CHECKING:
    from briefgen.preview.live import Patch, Preview, PreviewState

LOOPBACK = "127.0.0.1"


# A burst of page loads (a library page and its briefs, a reload of every tab) must queue, not be
# refused: socketserver's default backlog is 5.
LISTEN_QUEUE = 256
_MALFORMED = re.compile(r"%(?![0-9A-Fa-f]{2})|%00|[\x00-\x1f\x7f]")


class LoopbackServer(http.server.ThreadingHTTPServer):
    """A threading server on 127.0.0.1 with a deep listen queue."""

    request_queue_size = LISTEN_QUEUE
    daemon_threads = True


def host_allowed(handler: http.server.BaseHTTPRequestHandler) -> bool:
    """Whether a request names this server by its loopback address or localhost and its port
    in `Host` (DNS rebinding sends the attacker's name, and is refused)."""
    port = handler.server.server_address[1]  # type: ignore[index]
    names = {f"{LOOPBACK}:{port}", f"localhost:{port}"}
    return handler.headers.get("Host", "").strip().lower() in names


class BuildFolderHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from one folder and nothing outside it, to this machine's browser only.

    A request must name this server by its loopback address or localhost and its port in
    `Host`: a web page whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own
    name and is refused, so it cannot read what is served. A malformed path is a 400.
    """

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not self._host_allowed():
            self.send_error(421, "this server answers only to 127.0.0.1 or localhost")
            return False
        decoded = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if _MALFORMED.search(self.path) or _MALFORMED.search(decoded) or self.path[:1] != "/":
            self.send_error(400, "malformed path")
            return False
        return True

    def _host_allowed(self) -> bool:
        return host_allowed(self)

    def translate_path(self, path: str) -> str:
        translated = super().translate_path(path)
        root = Path(self.directory).resolve()
        if not Path(translated).resolve().is_relative_to(root):
            return ""  # send_head turns an empty path into 403 below
        return translated

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        if not self.translate_path(self.path):
            self.send_error(403, "outside the build folder")
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]):  # type: ignore[no-untyped-def]
        self.send_error(403, "no directory listings")
        return None

    def log_message(self, format: str, *args: object) -> None:
        pass  # the CLI prints what it needs


def make_server(folder: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for a build folder on 127.0.0.1:`port` (0 picks a free port); call
    serve_forever(). Only a folder with a briefgen manifest is served: never /etc or $HOME."""
    if not (folder / MANIFEST).is_file():
        raise BriefgenError(
            f"{folder} is not a briefgen build folder (it has no {MANIFEST}); serve a folder "
            "that briefgen build or release wrote, such as build/."
        )
    handler = functools.partial(BuildFolderHandler, directory=str(folder.resolve()))
    return LoopbackServer((LOOPBACK, port), handler)


# --- the live preview ------------------------------------------------------------------------

EVENTS = "/__briefgen/events"  # Server-Sent Events: the current generation, then each new one
HEARTBEAT_S = 10.0  # a comment line this often, so that a closed tab ends its stream

# Reloads the page when the server announces a generation other than the one it was served
# with. The server sends the current generation as soon as the stream opens, so a rebuild that
# finished between serving the page and opening the stream is not missed.
# A patch (one edited block, sent ahead of the rebuild: preview/patch.py) replaces the block's
# section and the references in a page that shows the patch's base generation, which then
# shows the patch's own; the rebuild keeps that generation if its page is the same.
RELOAD_SCRIPT = """(() => {
  let shown = %s;
  const events = new EventSource("%s");
  events.addEventListener("patch", (event) => {
    const patch = JSON.parse(event.data);
    const section = document.getElementById(patch.id);
    if (patch.base !== shown || !location.pathname.endsWith("/" + patch.page) || !section) {
      return;
    }
    section.outerHTML = patch.section;
    const references = document.getElementById("refs");
    if (references && patch.references) { references.outerHTML = patch.references; }
    shown = patch.generation;
  });
  events.onmessage = (event) => {
    if (event.data !== shown) { events.close(); location.reload(); }
  };
})();"""

PANEL_STYLE = """
#briefgen-preview-problems { position: fixed; inset: 0 0 auto 0; z-index: 2147483647;
  max-height: 70vh; overflow: auto; margin: 0; padding: 1rem 1.5rem; box-sizing: border-box;
  background: #fff4f4; color: #1a1a1a; border-bottom: 4px solid #b00020;
  font: 16px/1.5 system-ui, sans-serif; box-shadow: 0 4px 16px rgba(0, 0, 0, 0.3); }
#briefgen-preview-problems.in-page { position: static; box-shadow: none; }
#briefgen-preview-problems summary { cursor: pointer; font-weight: 700; color: #b00020; }
#briefgen-preview-problems ol { margin: 0.5rem 0 0; padding-left: 1.5rem; }
#briefgen-preview-problems li { margin: 0.25rem 0; }
#briefgen-preview-problems code { font: 14px/1.4 ui-monospace, monospace; font-weight: 700;
  white-space: pre-wrap; overflow-wrap: anywhere; }
"""


def inject(page: bytes, state: PreviewState, panel: bool = True) -> bytes:
    """A page as served: the problems panel (if the latest build failed) and the reload script
    before its last </body>. Only the response carries them, never the file on disk."""
    parts = []
    if panel and state.failed:
        lead = "The latest build found {count}; this is the last version that built."
        parts.append(_panel(state, lead))
    script = ET.Element("script", {"id": "briefgen-preview-reload"})
    script.text = RELOAD_SCRIPT % (json.dumps(state.generation), EVENTS)
    parts.append(script)
    added = "\n".join(_element_html(part) for part in parts).encode()
    end = page.lower().rfind(b"</body>")
    return page + added if end < 0 else page[:end] + added + b"\n" + page[end:]


def status_page(state: PreviewState) -> bytes:
    """The page served where there is no built page to show: building, or failed."""
    document = ET.Element("html", {"lang": "en"})
    head = ET.SubElement(document, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = "briefgen preview"
    main = ET.SubElement(ET.SubElement(document, "body"), "main")
    if state.failed:
        ET.SubElement(main, "h1").text = "The preview could not be built"
        problems = _panel(state, "The latest build found {count}.")
        problems.set("class", "in-page")  # the page's content: not over the heading
        main.append(problems)
    else:
        ET.SubElement(main, "h1").text = "Building the preview…"
        ET.SubElement(main, "p").text = "This page opens by itself when the build is done."
    page = b"<!DOCTYPE html>\n" + _element_html(document).encode()
    return inject(page, state, panel=False)


def _panel(state: PreviewState, lead: str) -> ET.Element:
    """The problems of the latest build, each with its file and line; `lead` says what the
    reader sees meanwhile ("{count}" is replaced by "1 problem", "2 problems", ...)."""
    # In English whatever the page's language, like the rest of briefgen's messages.
    panel = ET.Element("aside", {"id": "briefgen-preview-problems", "role": "alert", "lang": "en"})
    ET.SubElement(panel, "style").text = PANEL_STYLE
    details = ET.SubElement(panel, "details", {"open": "open"})
    count = len(state.problems) or 1
    counted = f"{count} problem{'s' if count != 1 else ''}"
    ET.SubElement(details, "summary").text = (
        f"{lead.format(count=counted)} Fix {'them' if count != 1 else 'it'} and save; the page "
        "reloads by itself."
    )
    listing = ET.SubElement(details, "ol")
    for item in state.problems:
        entry = ET.SubElement(listing, "li")
        where = ET.SubElement(entry, "code")
        where.text = f"{item.path}:{item.line}" if item.line else item.path
        where.tail = f" {item.message}"
    if state.failure:
        ET.SubElement(listing, "li").text = state.failure
    return panel


def _element_html(element: ET.Element) -> str:
    # ElementTree escapes every text and attribute: problem messages quote the user's content.
    return ET.tostring(element, encoding="unicode", method="html")


class PreviewHandler(BuildFolderHandler):
    """Serves the preview folder: pages with the reload script (and the problems of a failed
    build), other files as they are, and the event stream that tells pages to reload."""

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.folder), **kwargs)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == EVENTS:
            self._stream_events()
        else:
            super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload must fetch the new build
        super().end_headers()

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        path = self.translate_path(self.path)
        if path and urllib.parse.urlsplit(self.path).path.endswith("/"):
            path = os.path.join(path, "index.html")  # the library page, or why there is none
        if path.endswith(".html"):
            return self._send_page(Path(path))
        return super().send_head()  # 403 outside the folder; other files; folder redirects

    def _send_page(self, path: Path) -> io.BytesIO | None:
        state = self.preview.state()  # before reading: a newer page at worst reloads once more
        if not state.ready:
            return self._send_html(503, status_page(state))
        try:
            page = path.read_bytes()
        except OSError:
            if not state.failed:
                self.send_error(404, "no such page in the preview")
                return None
            return self._send_html(503, status_page(state))
        return self._send_html(200, inject(page, state))

    def _send_html(self, status: int, body: bytes) -> io.BytesIO:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _stream_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen, sent = "", None
        try:
            self.wfile.write(b"retry: 500\n\n")  # reconnect quickly when the server restarts
            while True:
                state = self.preview.wait(seen, HEARTBEAT_S, sent)
                if state.closed:
                    return
                news = b""
                if state.patch != sent:
                    sent = state.patch
                    news += patch_event(sent) if sent is not None else b""
                if state.generation != seen:
                    seen = state.generation
                    news += f"data: {seen}\n\n".encode()
                self.wfile.write(news or b": waiting\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the page was closed or reloaded


def patch_event(patch: Patch) -> bytes:
    """A patch as a Server-Sent Event: JSON on one line (json escapes every line break)."""
    data = {
        "generation": patch.generation,
        "base": patch.base,
        "page": patch.page,
        "id": patch.fragment.block_id,
        "section": patch.fragment.section,
        "references": patch.fragment.references,
    }
    return b"event: patch\ndata: " + json.dumps(data).encode() + b"\n\n"


def make_preview_server(preview: Preview, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A live-preview server for `preview` on 127.0.0.1:`port` (0 picks a free port)."""
    handler = functools.partial(PreviewHandler, preview=preview)
    return LoopbackServer((LOOPBACK, port), handler)
