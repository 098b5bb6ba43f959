"""Preview a build folder in a browser: a static server on loopback only.

It binds to 127.0.0.1 (never to other interfaces) and serves only files inside the folder: a
request whose path, once links are followed, leaves the folder gets 403.
"""

from __future__ import annotations

import functools
import http.server
import os
from pathlib import Path

LOOPBACK = "127.0.0.1"


class BuildFolderHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from one folder and nothing outside it."""

    def translate_path(self, path: str) -> str:
        translated = super().translate_path(path)
        root = Path(self.directory).resolve()
        if not Path(translated).resolve().is_relative_to(root):
            return ""  # send_head turns an empty path into 403 below
        return translated

    def send_head(self):  # type: ignore[no-untyped-def]
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
    """A server for `folder` on 127.0.0.1:`port` (0 picks a free port); call serve_forever()."""
    handler = functools.partial(BuildFolderHandler, directory=str(folder.resolve()))
    return http.server.ThreadingHTTPServer((LOOPBACK, port), handler)
