"""`make bench`: every benchmark in bench/, one after the other, then one table of their figures.

Each benchmark runs as a process of its own, its report streaming as it goes, under a time
limit (BENCH_TIMEOUT seconds each, default 2400); one that fails or runs out of time is named
in the table and the others still run. The table lists each benchmark's main figures, with the
goal the issues set and whether it is met, and the peak RSS of every process measured.

    .venv/bin/python bench/all.py [name ...]      # e.g. `bench/all.py submit peer`; default: all
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package
import _summary

BENCH = Path(__file__).resolve().parent


def benchmarks(names: list[str]) -> list[Path]:
    found = {path.stem: path for path in sorted(BENCH.glob("*.py")) if not path.name.startswith("_")}
    found.pop("all")
    unknown = [name for name in names if name not in found]
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(unknown)} (there are: {', '.join(found)})")
    return [found[name] for name in names] if names else list(found.values())


def run(script: Path, summary: Path, timeout: float) -> tuple[str, float]:
    """Run one benchmark; its outcome ("ok", "failed (exit n)", "timed out") and seconds."""
    print(f"\n== {script.relative_to(BENCH.parent)}", flush=True)
    started = time.perf_counter()
    env = {**os.environ, _summary.ENV: str(summary)}
    try:
        # A new session, so that a benchmark out of time is stopped with the servers it started.
        process = subprocess.Popen([sys.executable, str(script)], cwd=BENCH.parent, env=env, start_new_session=True)
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 15)  # SIGTERM: the benchmarks stop their servers and drop their databases
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        return "timed out", time.perf_counter() - started
    return ("ok" if code == 0 else f"failed (exit {code})"), time.perf_counter() - started


def _left_aligned(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers, *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    timeout = float(os.environ.get("BENCH_TIMEOUT", "2400"))
    scripts = benchmarks(sys.argv[1:])
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="vocbench-summary-") as tmp:
        summary = Path(tmp) / "figures.jsonl"
        for script in scripts:
            outcome, seconds = run(script, summary, timeout)
            outcomes.append((script.stem, outcome, seconds))
        rows = _summary.read(summary)
    print("\n== summary\n")
    table = []
    for row in rows:
        met = {True: "yes", False: "NO", None: ""}[row["met"]]  # type: ignore[index]
        table.append([row["bench"], row["figure"], row["measured"], row["goal"], met])
    print(_left_aligned(["benchmark", "figure", "measured", "goal", "met"], table))
    print()
    for name, outcome, seconds in outcomes:
        print(f"{name}: {outcome} in {seconds:.0f} s")
    print(f"{date.today().isoformat()}, {_stack.hardware()}, Python {platform.python_version()}")
    return 0 if all(outcome == "ok" for _, outcome, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
