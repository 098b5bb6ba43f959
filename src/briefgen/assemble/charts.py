"""Figures for blocks: charts drawn at build time from the project's data, or image files.

Charts are PNG (every output format embeds it) drawn with matplotlib's Agg backend, with the
metadata that would carry matplotlib's version stripped, so the same data gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from briefgen.model import CJK, ChartData, Data, FigureInput

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# Where a label's short form ends: a comma or a bracket, in English or Chinese punctuation
# (U+FF0C fullwidth comma, U+3001 ideographic comma, U+FF08 fullwidth left parenthesis).
_LABEL_END = re.compile("[,\uff0c\u3001]| \\(|\uff08")


def short_label(label: str) -> str:
    """A data kind's label up to its first comma or bracket."""
    return _LABEL_END.split(label)[0].strip()


def data_kinds_by_use_case(
    data: Data, use_cases: Sequence[tuple[str, str]], axis: str
) -> ChartData:
    """How many firms in each use case claim each kind of data (kinds no firm claims: none)."""
    kinds = list(data.data_kinds)
    counts = {
        use_case: [
            sum(1 for c in data.companies if use_case in c.use_cases and kind in c.data_kinds)
            for kind in kinds
        ]
        for use_case, _ in use_cases
    }
    keep = [i for i, _ in enumerate(kinds) if any(counts[u][i] for u in counts)]
    return ChartData(
        chart="data-kinds-by-use-case",
        kinds=tuple(short_label(data.data_kinds[kinds[i]]) for i in keep),
        series=tuple((label, tuple(counts[u][i] for i in keep)) for u, label in use_cases),
        axis_label=axis,
    )


CHARTS: dict[str, Callable[[Data, Sequence[tuple[str, str]], str], ChartData]] = {
    "data-kinds-by-use-case": data_kinds_by_use_case,
}


@functools.lru_cache(maxsize=32)
def draw(chart: ChartData) -> bytes:
    """Horizontal grouped bars, one group per kind; the same numbers give the same PNG bytes.

    Cached: briefs in one locale share their charts, and drawing is the slow part.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    kinds = chart.kinds
    palette = ["#1f4e79", "#c55a11", "#548235", "#7f6000"]
    texts = " ".join([*kinds, *(label for label, _ in chart.series), chart.axis_label])
    family = _cjk_family() if CJK.search(texts) else "DejaVu Sans"
    plt.rcParams.update({"font.family": family, "font.size": 9, "svg.hashsalt": "briefgen"})
    figure, axes = plt.subplots(figsize=(6.4, 0.42 * len(kinds) + 1.2), dpi=200)
    height = 0.8 / max(1, len(chart.series))
    for index, (label, values) in enumerate(chart.series):
        positions = [k + index * height for k in range(len(kinds))]
        axes.barh(positions, values, height=height, label=label, color=palette[index % 4])
    axes.set_yticks([k + height * (len(chart.series) - 1) / 2 for k in range(len(kinds))])
    axes.set_yticklabels(kinds)
    axes.invert_yaxis()
    axes.set_xlabel(chart.axis_label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


@functools.cache
def _cjk_family() -> str:
    """Chinese labels need a face with Chinese glyphs: matplotlib's DejaVu Sans has none and
    would draw boxes. Kurinto Sans SC ships with the project's fonts (typst_pdf.font_folders)."""
    from pathlib import Path

    import weblate_fonts
    from matplotlib import font_manager

    folder = Path(weblate_fonts.__file__).parent / "static/weblate_fonts/kurinto/ttf"
    font_manager.fontManager.addfont(str(folder / "KurintoSansSC-Rg.ttf"))
    return "Kurinto Sans SC"


# pyplot keeps global state: a small build renders in threads (parallel.py), one draws at a time.
_DRAWING = threading.Lock()


def figure_bytes(figure: FigureInput) -> bytes:
    """The PNG or JPEG bytes of a figure."""
    if figure.chart is None:
        return figure.image
    return _drawn(figure.chart)


# A chart's bytes depend on its numbers and labels alone, and the same chart stands in several
# briefs of a locale (5 of them in the shipped matrix): a worker draws each one once.
@functools.lru_cache(maxsize=64)
def _drawn(chart: ChartData) -> bytes:
    with _DRAWING:
        return draw(chart)


def image_decodes(path: Path) -> bool:
    """Whether an image file decodes whole (its signature alone can hide junk that would stop
    Typst or a reader in the middle of a brief)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return False
    return True
