"""What a render worker imports before its first job (the fork server preloads this module).

Importing matplotlib, typst and the renderer costs about half a second; done once in the fork
server, while the main process is still loading the project, every worker starts warm.
"""

from __future__ import annotations

import os
import signal

# Ctrl-C reaches every process of the terminal's group, the fork server and its workers too:
# they end at once and quietly, and the main process alone says what happened (no traceback
# of the import or job a worker was in). Only the fork server imports this module, and the
# workers it forks inherit the handler.
# Installed first, before any import that Ctrl-C could interrupt; 130 is
# parallel.WORKER_INTERRUPTED, written out since parallel is not imported yet.
signal.signal(signal.SIGINT, lambda number, frame: os._exit(130))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no display, and the same PNG bytes on every machine

import matplotlib.pyplot  # noqa: E402

import briefgen.assemble.charts  # noqa: E402
import briefgen.render.convert  # noqa: E402, F401
