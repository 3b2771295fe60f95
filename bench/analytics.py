"""Comments per second through the text analytics, beside raw VADER on the same comments.

On one core (the process pins itself to one CPU and one BLAS thread), over the airline comments
in ../shared/data: raw NLTK ``SentimentIntensityAnalyzer.polarity_scores``, then our full analysis
(cleaning, VADER + CX lexicon, trained negative model, trained theme classifier, the flag rule)
one comment at a time through ``analyse_comment`` and in batches through ``analyse_comments``.
The models are first trained on the same file; training time is reported but not part of the
rates. The taxonomy is the themes the classifier learned, as in an organisation whose labels name
its taxonomy's themes; a last row adds the eight seeded themes (DEFAULT_THEMES), which the
classifier does not know and the analysis then finds by their keywords. The goal is the full
analysis at >= 50 % of raw VADER's rate.

    .venv/bin/python bench/analytics.py [--limit 5000] [--batch 500] [--data PATH]
"""

from __future__ import annotations

import os

# One BLAS thread: the figures are per core, and must not depend on what numpy links against.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402 - after the thread settings above, which must precede numpy
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _summary  # noqa: E402 - next to this script (sys.path above)

from surveys.analytics.analysis import TextModels, analyse_comment, analyse_comments  # noqa: E402
from surveys.analytics.datasets import LabelledComments, airline_feedback_path, read_labelled_csv  # noqa: E402
from surveys.analytics.negative_flag import ScoreBand  # noqa: E402
from surveys.analytics.negative_model import train_negative_model  # noqa: E402
from surveys.analytics.themes import DEFAULT_THEMES, Theme, train_theme_classifier  # noqa: E402
from surveys.analytics.vader_lexicon import vader_analyzer  # noqa: E402

ROUNDS = 5  # best of five: the least disturbed run is the closest to the machine's real rate


def main() -> int:
    arguments = _arguments()
    cores = _pin_to_one_core()
    data = read_labelled_csv(arguments.data)
    texts = list(data.texts[: arguments.limit] if arguments.limit else data.texts)
    print(f"data: {arguments.data.name}, {len(data)} rows, {len(texts)} comments timed")
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores, timing on core {cores}")
    print(f"python {platform.python_version()}, best of {ROUNDS} rounds\n")
    models = _trained_models(data)
    bands: list[ScoreBand | None] = [None] * len(texts)

    with_defaults = replace(models, taxonomy=models.taxonomy + DEFAULT_THEMES)
    analyzer = vader_analyzer()
    raw, single, batched, batched_with_defaults = _rates(
        [
            lambda: [analyzer.polarity_scores(text) for text in texts],
            lambda: [analyse_comment(text, None, models) for text in texts],
            lambda: _in_batches(texts, bands, models, arguments.batch),
            lambda: _in_batches(texts, bands, with_defaults, arguments.batch),
        ],
        len(texts),
    )

    print(f"{'raw VADER polarity_scores':<40}{raw:>10,.0f} comments/s")
    print(f"{'analyse_comment (one at a time)':<40}{single:>10,.0f} comments/s   {single / raw:6.1%} of raw VADER")
    label = f"analyse_comments (batches of {arguments.batch})"
    print(f"{label:<40}{batched:>10,.0f} comments/s   {batched / raw:6.1%} of raw VADER")
    label = "  + 8 keyword-only themes"
    print(f"{label:<40}{batched_with_defaults:>10,.0f} comments/s   {batched_with_defaults / raw:6.1%} of raw VADER")
    print(f"\ngoal: full analysis >= 50% of raw VADER -> batch {'met' if batched >= raw / 2 else 'NOT met'}")
    _summary.figure("analytics", "raw VADER, one core", f"{raw:,.0f} comments/s")
    _summary.figure(
        "analytics", "full analysis vs raw VADER (batches)", f"{batched / raw:.0%}", ">= 50%", batched >= raw / 2
    )
    _summary.memory("analytics", "this process (models trained and loaded)", _peak_rss_kib())
    return 0


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="time only the first N comments (0: all)")
    parser.add_argument("--batch", type=int, default=500, help="batch size for analyse_comments")
    parser.add_argument("--data", type=Path, default=airline_feedback_path(), help="labelled CSV (airline layout)")
    return parser.parse_args()


def _pin_to_one_core() -> int:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return core
    return 0


def _trained_models(data: LabelledComments) -> TextModels:
    started = time.perf_counter()
    negative = train_negative_model(list(data.texts), list(data.negative))
    theme_texts, theme_names = data.themed()
    classifier = train_theme_classifier(theme_texts, [{name} for name in theme_names])
    seconds = time.perf_counter() - started
    print(f"training on {len(data)} + {len(theme_texts)} rows: {seconds:.1f} s (not timed below)\n")
    taxonomy = tuple(Theme(name) for name in classifier.themes)
    return TextModels(negative_model=negative, theme_classifier=classifier, taxonomy=taxonomy)


def _in_batches(texts: list[str], bands: Sequence[ScoreBand | None], models: TextModels, size: int) -> None:
    for start in range(0, len(texts), size):
        analyse_comments(texts[start : start + size], bands[start : start + size], models)


def _rates(works: list[Callable[[], object]], count: int) -> list[float]:
    """Comments per second of each piece of work, best of ``ROUNDS``.

    The rounds interleave the works, so a slow spell on a shared machine hits all of them alike
    instead of skewing their ratio.
    """
    for work in works:
        work()  # warm caches (stems, scorers) so that every round measures the steady state
    best = [float("inf")] * len(works)
    for _ in range(ROUNDS):
        for index, work in enumerate(works):
            best[index] = min(best[index], _seconds(work))
    return [count / seconds for seconds in best]


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
