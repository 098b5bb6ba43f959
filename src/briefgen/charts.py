"""Figures for blocks: charts drawn at build time from the project's data, or image files.

Charts are PNG (every output format embeds it) drawn with matplotlib's Agg backend, with the
metadata that would carry matplotlib's version stripped, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from briefgen.content import Figure
from briefgen.datasets import Data

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class ChartInput:
    data: Data
    use_cases: tuple[tuple[str, str], ...]  # (id, label), in the brief's order
    axis_label: str


def _data_kinds_by_use_case(chart: ChartInput) -> bytes:
    """Horizontal grouped bars: how many firms in each use case claim each kind of data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    kinds = list(chart.data.data_kinds)
    counts = {
        use_case: [
            sum(1 for c in chart.data.companies if use_case in c.use_cases and kind in c.data_kinds)
            for kind in kinds
        ]
        for use_case, _ in chart.use_cases
    }
    keep = [i for i, _ in enumerate(kinds) if any(counts[u][i] for u in counts)]
    kinds = [kinds[i] for i in keep]
    palette = ["#1f4e79", "#c55a11", "#548235", "#7f6000"]
    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "briefgen"})
    figure, axes = plt.subplots(figsize=(6.4, 0.42 * len(kinds) + 1.2), dpi=200)
    height = 0.8 / max(1, len(chart.use_cases))
    for index, (use_case, label) in enumerate(chart.use_cases):
        values = [counts[use_case][i] for i in keep]
        positions = [k + index * height for k in range(len(kinds))]
        axes.barh(positions, values, height=height, label=label, color=palette[index % 4])
    axes.set_yticks([k + height * (len(chart.use_cases) - 1) / 2 for k in range(len(kinds))])
    axes.set_yticklabels([chart.data.data_kinds[k].split(",")[0].split(" (")[0] for k in kinds])
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


CHARTS: dict[str, Callable[[ChartInput], bytes]] = {
    "data-kinds-by-use-case": _data_kinds_by_use_case,
}


def figure_bytes(figure: Figure, root: Path, chart: ChartInput) -> bytes:
    """The PNG or JPEG bytes of a figure."""
    if figure.chart:
        return CHARTS[figure.chart](chart)
    return (root / figure.image).read_bytes()
