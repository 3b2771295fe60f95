"""What `make bench` gathers from each benchmark for its one table.

A benchmark prints its own report as it goes, and also hands the figures that belong in the
summary to `figure` and `memory`. When BENCH_SUMMARY names a file (bench/all.py sets it), each
call appends one JSON line there; otherwise the calls do nothing, so a benchmark run on its own
prints only its report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

ENV = "BENCH_SUMMARY"


def figure(bench: str, name: str, measured: str, goal: str = "", met: bool | None = None) -> None:
    """One row: what was measured, as the reader should see it, and the goal it is held to (if any)."""
    path = os.environ.get(ENV)
    if not path:
        return
    row = {"bench": bench, "figure": name, "measured": measured, "goal": goal, "met": met}
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def memory(bench: str, process: str, peaks_kib: Mapping[int, int] | int, goal_mib: int | None = None) -> None:
    """The largest peak RSS (VmHWM or ru_maxrss, KiB) among the processes measured, against a goal."""
    peak = max(peaks_kib.values(), default=0) if isinstance(peaks_kib, Mapping) else peaks_kib
    mib = peak / 1024
    goal = f"< {goal_mib} MiB" if goal_mib else ""
    figure(bench, f"peak RSS, {process}", f"{mib:.0f} MiB", goal, (mib < goal_mib) if goal_mib else None)


def read(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    print("bench/_summary.py gathers figures for bench/all.py (make bench); it is not a benchmark.")
