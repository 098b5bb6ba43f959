"""What a render worker imports before its first job (the fork server preloads this module).

Importing matplotlib, typst and the renderer costs about half a second; done once in the fork
server, while the main process is still loading the project, every worker starts warm.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display, and the same PNG bytes on every machine

import matplotlib.pyplot

import briefgen.charts
import briefgen.render  # noqa: F401
