"""Render jobs in worker processes: each loads the project once, then renders briefs.

Workers come from a fork server, not from fork(): once typst has compiled in the parent, its
threads' locks would be copied into forked children mid-use and deadlock them.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from briefgen.assemble import Brief
from briefgen.charts import ChartInput, figure_bytes
from briefgen.check import Loaded, load
from briefgen.document import DocumentWriter
from briefgen.render import Artifact, Renderer


@dataclass(frozen=True)
class ProgressEvent:
    """What the build is doing, for the CLI to show: `done` of `total` briefs."""

    done: int
    total: int
    message: str


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Job:
    """One brief in one locale: its document, formats and input digest."""

    brief: Brief
    markdown: str
    formats: tuple[str, ...]
    figures: dict[str, str] = field(hash=False)
    digest: str

    @property
    def label(self) -> str:
        return f"{self.brief.id} ({self.brief.locale})"


_worker: tuple[Loaded, Renderer, DocumentWriter] | None = None


def _start_worker(root: Path) -> None:
    global _worker
    loaded = load(root)
    _worker = (
        loaded,
        Renderer(loaded.project, loaded.bibliography),
        DocumentWriter(loaded.project),
    )


def _render_job(job: Job) -> list[Artifact]:
    assert _worker is not None
    loaded, renderer, writer = _worker
    strings = writer.strings(job.brief.locale)
    with tempfile.TemporaryDirectory(prefix="briefgen-media-") as tmp:
        media = Path(tmp)
        use_cases = tuple(loaded.project.vocabularies["use_cases"].items())
        chart = ChartInput(
            loaded.data_for(job.brief.locale),
            use_cases,
            strings.get("chart_axis", "Number of firms"),
        )
        for block in job.brief.blocks:
            if block.figure is not None:
                image = figure_bytes(block.figure, loaded.project.root, chart)
                (media / job.figures[block.id]).write_bytes(image)
        document = renderer.to_json(job.brief, job.markdown, strings)
        artifacts = []
        for format_name in job.formats:
            artifacts.extend(renderer.render(job.brief, document, format_name, media))
    return artifacts


def render_jobs(
    root: Path, jobs: list[Job], workers: int, progress: Progress
) -> list[list[Artifact]]:
    """Render every job, in `workers` processes (1: in this process); results in job order."""
    if not jobs:
        return []
    results: list[list[Artifact] | None] = [None] * len(jobs)
    if workers <= 1 or len(jobs) == 1:
        _start_worker(root)
        for index, job in enumerate(jobs):
            results[index] = _render_job(job)
            progress(ProgressEvent(index + 1, len(jobs), f"{job.label}: {', '.join(job.formats)}"))
    else:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)),
            mp_context=multiprocessing.get_context(method),
            initializer=_start_worker,
            initargs=(root,),
        ) as pool:
            futures = {pool.submit(_render_job, job): i for i, job in enumerate(jobs)}
            try:
                for count, future in enumerate(concurrent.futures.as_completed(futures), 1):
                    index = futures[future]
                    results[index] = future.result()
                    job = jobs[index]
                    progress(
                        ProgressEvent(count, len(jobs), f"{job.label}: {', '.join(job.formats)}")
                    )
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return [r for r in results if r is not None]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
