"""Render jobs in worker processes: each job carries its inputs, so workers load nothing.

Workers come from a fork server, not from fork(): once typst has compiled in the parent, its
threads' locks would be copied into forked children mid-use and deadlock them.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import forkserver, resource_tracker
from typing import Any

from briefgen.model import Artifact, RenderJob
from briefgen.render.convert import read_document, render_formats, render_job, write_format


@dataclass(frozen=True)
class ProgressEvent:
    """What the build is doing, for the CLI to show: `done` of `total` briefs."""

    done: int
    total: int
    message: str


Progress = Callable[[ProgressEvent], None]


def render_jobs(
    jobs: Iterable[RenderJob],
    workers: int,
    progress: Progress,
    tasks: int | None = None,
    briefs: int | None = None,
) -> list[list[Artifact]]:
    """Render every job, in `workers` processes (1: in this process; a few tasks: in threads);
    results in the order of `jobs`.

    A job carries all its inputs, so workers load nothing. Each job is read and cited once,
    then written in each format. With few jobs each format is a task of its own, so that one
    long brief's formats spread over the workers instead of keeping one busy while the others
    wait; with many (WHOLE_JOBS_PER_WORKER), a job is one task: the workers are kept busy by
    the other jobs, and its cited document (0.2 to 0.6 MB) is not sent to the parent and out
    again for each format.

    A list of jobs is started longest first. `jobs` may instead be an iterator that writes each
    job when asked for the next (render.jobs.prepare_each): each job is submitted as it comes and
    rendered while the next is written, in the order given; `tasks`, at least the number of
    outputs it will ask for, chooses where they run, and `briefs`, the number of jobs, how.
    """
    if isinstance(jobs, list):
        if not jobs:
            return []
        order = sorted(range(len(jobs)), key=lambda i: (-jobs[i].size, i))
        arrivals: Iterator[tuple[int, RenderJob]] = ((i, jobs[i]) for i in order)
        tasks, total = sum(len(j.formats) for j in jobs), len(jobs)
        briefs = total
    else:
        arrivals, total = enumerate(jobs), 0
        tasks = SERIAL_TASKS + 1 if tasks is None else tasks
    # Starting workers costs more than it saves on a few small tasks (a preview, one brief).
    if workers <= 1 or tasks <= SERIAL_TASKS:
        results: dict[int, list[Artifact]] = {}
        for count, (index, job) in enumerate(arrivals, 1):
            results[index] = render_job(job)
            progress(ProgressEvent(count, total, _done(job)))
        return [results[i] for i in sorted(results)]
    if tasks <= THREAD_TASKS:
        pool: concurrent.futures.Executor = concurrent.futures.ThreadPoolExecutor(workers)
    else:
        context = _context()
        if context.get_start_method() == "forkserver":
            _start_fork_server()
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
    whole = briefs is not None and briefs >= WHOLE_JOBS_PER_WORKER * workers
    return _in_pool(arrivals, total, pool, progress, whole)


WHOLE = "*"  # a task that renders its job in every format
# The exit status of a worker stopped by Ctrl-C (worker.py), as a shell reports one.
WORKER_INTERRUPTED = 130


def _done(job: RenderJob) -> str:
    return f"{job.label}: {', '.join(job.formats)}"


SERIAL_TASKS = 2
# Up to this many tasks (one brief in its locales, a few formats), threads: most of a task is
# pandoc, a process of its own, and a thread starts in microseconds where a fork server and its
# imports take most of a second. Beyond it the Python and Typst parts add up, and processes win.
THREAD_TASKS = 8
# What every worker needs: the fork server imports it once, and each worker forked from it
# starts warm instead of importing matplotlib, typst and pandoc's wrapper itself.
PRELOAD = ["briefgen.render.worker"]
# From this many jobs per worker, each job is one task (see render_jobs). A release of the
# shipped matrix (27 jobs, 2 workers) was faster so in 9 of 12 runs in turn, by 1 to 4 s.
WHOLE_JOBS_PER_WORKER = 3


def _context() -> Any:
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return context


def warm_up(workers: int) -> None:
    """Start the fork server now, so that its imports overlap with loading the project."""
    if workers > 1 and "forkserver" in multiprocessing.get_all_start_methods():
        _context()
        _start_fork_server()


def _start_fork_server() -> None:
    """Start the fork server with Ctrl-C blocked: it and the workers it forks inherit the mask,
    so Ctrl-C never interrupts them halfway through an import (with a traceback); this process
    gets the signal once unblocked, and ends them itself (_in_pool).

    The resource tracker is started first: starting it unblocks Ctrl-C when it is done
    (multiprocessing blocks and unblocks the signal around it), which would leave the fork
    server's own start-up open to it; once it runs, the fork server's start leaves it alone."""
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _in_pool(
    arrivals: Iterator[tuple[int, RenderJob]],
    total: int,
    pool: concurrent.futures.Executor,
    progress: Progress,
    whole: bool,
) -> list[list[Artifact]]:
    jobs: dict[int, RenderJob] = {}
    outputs: dict[tuple[int, str], list[Artifact]] = {}
    remaining: dict[int, int] = {}
    pending: dict[concurrent.futures.Future[Any], tuple[int, str]] = {}
    finished = 0

    def collect(done: Iterable[concurrent.futures.Future[Any]]) -> None:
        nonlocal finished
        for future in sorted(done, key=lambda f: pending[f]):
            index, format_name = pending.pop(future)
            job = jobs[index]
            if format_name == WHOLE:
                outputs.update(zip(((index, n) for n in job.formats), future.result(), strict=True))
                remaining[index] = 0
            elif not format_name:  # read: now write its formats, PDF (the longest) first
                document = future.result()
                for name in sorted(job.formats, key=lambda n: (n != "pdf", n)):
                    pending[pool.submit(write_format, job, document, name)] = (index, name)
                continue
            else:
                outputs[(index, format_name)] = future.result()
                remaining[index] -= 1
            if remaining[index] == 0:
                finished += 1
                progress(ProgressEvent(finished, total, _done(job)))

    with pool:
        try:
            for index, job in arrivals:
                jobs[index], remaining[index] = job, len(job.formats)
                if whole:
                    pending[pool.submit(render_formats, job)] = (index, WHOLE)
                else:
                    pending[pool.submit(read_document, job)] = (index, "")
                collect([f for f in pending if f.done()])
            while pending:
                done, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED
                )
                collect(done)
        except BaseException as error:
            # Stop now, not after the tasks running: a worker ends at once (its pandoc with it,
            # pandoc.run), and what it was writing was never going to be kept.
            processes = list((getattr(pool, "_processes", None) or {}).values())
            # Ctrl-C reaches the workers too (worker.py): one may end before this process
            # sees its own KeyboardInterrupt, and the pool reports itself broken first.
            interrupted = any(p.exitcode == WORKER_INTERRUPTED for p in processes)
            for process in processes:
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            if interrupted and isinstance(error, concurrent.futures.process.BrokenProcessPool):
                raise KeyboardInterrupt from None
            raise
    return [[a for name in jobs[i].formats for a in outputs[(i, name)]] for i in sorted(jobs)]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
