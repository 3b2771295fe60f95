"""CPU per task published to Redis: what every customer's answer pays to queue its analysis.

The task an answer queues (`response_recorded_task`) is published with Celery's `apply_async`
through a producer on kombu's own Redis transport and through one on the project's
(`vocplatform/broker.py`, which keeps one redis-py client per channel instead of building one
per message), in alternating rounds, against the benchmarks' Redis database (emptied after: no
worker runs the tasks). The figure is process CPU time per publish, which the machine's other
load moves less than wall time.

    .venv/bin/python bench/publish.py [--tasks 4000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package
import _summary

KOMBU = "kombu.transport.redis:Transport"
PROJECT = "vocplatform.broker:Transport"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=4000, help="publishes per round and transport")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per transport")
    return parser.parse_args()


def publisher(url: str, transport: str) -> tuple[Callable[[int], object], Callable[[], None]]:
    """A function publishing the answer's task for a response id, and one closing its connection."""
    from kombu import Connection

    from surveys.tasks import response_recorded_task

    connection = Connection(url, transport=transport)
    producer = connection.Producer()
    return (lambda pk: response_recorded_task.apply_async((pk, True), producer=producer)), connection.release


def cpu_per_publish(publish: Callable[[int], object], count: int) -> float:
    started = time.process_time()
    for pk in range(count):
        publish(pk)
    return (time.process_time() - started) / count


def main() -> int:
    args = parse_args()
    url = os.environ.get("BENCH_BROKER_URL", _stack.DEFAULT_BROKER_URL)
    env = {"CELERY_BROKER_URL": url}
    if not url.startswith("redis://") or not _stack.broker_reachable(env):
        raise SystemExit(f"the broker {url} is not a reachable redis:// URL; set BENCH_BROKER_URL")
    os.environ.update(DJANGO_SETTINGS_MODULE="vocplatform.settings", CELERY_BROKER_URL=url)
    import django

    django.setup()
    publishers = {name: publisher(url, name) for name in (KOMBU, PROJECT)}
    samples: dict[str, list[float]] = {name: [] for name in publishers}
    print(f"publish benchmark: {args.rounds} rounds of {args.tasks:,} tasks per transport, to {url}")
    try:
        for publish, _ in publishers.values():
            cpu_per_publish(publish, 200)  # connections, pools and declarations made before timing
        for _ in range(args.rounds):
            for name, (publish, _) in publishers.items():
                samples[name].append(cpu_per_publish(publish, args.tasks))
    finally:
        for _, close in publishers.values():
            close()
        _stack.purge_broker(env)
    kombu, mine = (statistics.median(samples[name]) * 1e6 for name in (KOMBU, PROJECT))
    print()
    print("transport                                      CPU per publish (median, µs)  rounds (µs)")
    for label, name, value in (("kombu's Redis transport", KOMBU, kombu), ("vocplatform/broker.py", PROJECT, mine)):
        rounds = ", ".join(f"{s * 1e6:.0f}" for s in samples[name])
        print(f"{label:<46} {value:>28.0f}  {rounds}")
    print(f"\nthe project's transport saves {kombu - mine:.0f} µs of CPU per publish ({1 - mine / kombu:.0%})")
    print(f"hardware: {_stack.hardware()}")
    figure = f"{kombu:.0f} → {mine:.0f} µs"
    _summary.figure("publish", "CPU per task published (kombu's transport → the project's)", figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
