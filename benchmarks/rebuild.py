"""Benchmark: a full build of the shipped matrix, then no-change rebuilds.

Targets (issue #4): a no-change rebuild of the whole matrix takes under 1 second.
Run:  .venv/bin/python benchmarks/rebuild.py [--runs 5]
Exit status 1 if the median no-change rebuild misses its target.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0


def briefgen(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "briefgen", "--project", str(ROOT), *args],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "build")
        full = briefgen("build", "--out", out, "--quiet")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        again = [briefgen("build", "--out", out, "--quiet") for _ in range(args.runs)]
    median = statistics.median(again)
    print(f"full build of the matrix:   {full:6.2f} s (peak RSS of one process {peak_mb:.0f} MB)")
    print(
        f"no-change rebuild (median of {args.runs}): {median:6.2f} s "
        f"[min {min(again):.2f}, max {max(again):.2f}] target < {TARGET_SECONDS:.1f} s"
    )
    ok = median < TARGET_SECONDS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
