"""A Celery worker's memory with the text and churn models loaded, doing the work they are for.

On a throwaway database `vocbench_<pid>`: the real labelled data is imported and both models
are trained as an admin would (`import_accounts` of the telco accounts with their churn
outcome, then `train_churn_model`; `import_labelled_comments` of the airline comments, then
`train_text_models`). A worker is started as `make worker` starts it (prefork, one child per
core) on Redis. Then N answers with real comments are submitted through the survey service,
so each publishes the task that analyses it, and the nightly health task recomputes every
account and scores its churn risk. When every answer is analysed and every account scored,
the peak RSS (VmHWM) of the worker's processes is read and the worker stopped.

    .venv/bin/python bench/worker.py [--answers 300] [--timeout 600]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stack  # the helpers sit next to this script (sys.path above), not in an installed package
import _summary
import submit

SHARED = _stack.ROOT.parent / "shared" / "data"
ACCOUNTS_CSV = SHARED / "churn" / "telco_accounts.csv"
COMMENTS_CSV = SHARED / "feedback" / "airline_feedback.csv"
GOAL_MIB = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=300, help="answers analysed by the worker (default 300)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds the worker may take (default 600)")
    return parser.parse_args()


def train_models(env: Mapping[str, str]) -> None:
    started = time.perf_counter()
    accounts = ["--id-column", "customerID", "--label-column", "Churn", "--churned-value", "Yes"]
    _stack.manage(env, "import_accounts", str(ACCOUNTS_CSV), *accounts, timeout=600)
    _stack.manage(env, "train_churn_model", "--folds", "2", timeout=600)
    _stack.manage(env, "import_labelled_comments", str(COMMENTS_CSV), "--theme-column", "negative_reason", timeout=600)
    _stack.manage(env, "train_text_models", "--folds", "0", timeout=900)
    print(f"imported and trained both models in {time.perf_counter() - started:.0f} s", flush=True)


@contextlib.contextmanager
def celery_worker(env: Mapping[str, str], log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The worker as `make worker` runs it, stopped (warm shutdown, then SIGKILL) on exit."""
    log_path = log_dir / "worker.log"
    argv = [sys.executable, "-m", "celery", "-A", "vocplatform", "worker", "--loglevel", "INFO"]
    argv += ["--without-mingle", "--without-gossip"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=_stack.ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while " ready." not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def answer_all(tokens: list[str], questions: Mapping[str, int], comments: list[str]) -> list[int]:
    """Submit one answer per link through the service the survey page calls; each publishes its task."""
    from surveys.services.responses import AnswerInput, invitation_for_token, response_submit

    ids = []
    for index, token in enumerate(tokens):
        _access, invitation = invitation_for_token(token)
        assert invitation is not None
        answers = {
            questions["nps"]: AnswerInput(number=index % 11),
            questions["text"]: AnswerInput(text=comments[index % len(comments)]),
        }
        ids.append(response_submit(invitation=invitation, answers=answers, consent=False).pk)
    return ids


def wait_until_done(process: subprocess.Popen[bytes], response_ids: list[int], timeout: float) -> float:
    from loops.models import AccountRisk
    from surveys.models import Account, ResponseAnalysis

    started = time.perf_counter()
    # What churn_score scores: current customers (not churned).
    accounts = Account.objects.exclude(outcome=Account.Outcome.CHURNED).filter(churned_at__isnull=True).count()
    while time.perf_counter() - started < timeout:
        analysed = ResponseAnalysis.objects.filter(response_id__in=response_ids).count()
        scored = AccountRisk.objects.count()
        if analysed == len(response_ids) and scored >= accounts:
            return time.perf_counter() - started
        if process.poll() is not None:
            raise SystemExit(f"the worker exited with {process.returncode}")
        time.sleep(1)
    raise SystemExit(f"not done in {timeout:.0f} s: {analysed:,} of {len(response_ids):,} analysed, {scored:,} scored")


def main() -> int:
    args = parse_args()
    for path in (ACCOUNTS_CSV, COMMENTS_CSV):
        if not path.exists():
            raise SystemExit(f"{path} is missing: the benchmark reads the shared data in place (see the README)")
    print(f"worker benchmark: both models trained on the real data, {args.answers:,} answers analysed, churn scored")
    with tempfile.TemporaryDirectory(prefix="vocbench-") as tmp, _stack.throwaway_database() as database_url:
        env = _stack.production_env(database_url, Path(tmp))
        if not _stack.broker_reachable(env):
            raise SystemExit(f"the broker {env['CELERY_BROKER_URL']} is not reachable; set BENCH_BROKER_URL")
        load_before = _stack.load_average()
        _stack.purge_broker(env)
        _stack.manage(env, "migrate", "--noinput")
        train_models(env)
        _stack.setup_django(env)
        from loops.tasks import health_nightly_task
        from surveys.analytics.datasets import read_labelled_csv

        tokens, questions = submit.create_data(args.answers)
        comments = list(read_labelled_csv(COMMENTS_CSV).texts[: args.answers])
        try:
            with celery_worker(env, Path(tmp)) as worker:
                idle = {pid: _stack.proc_status_kib(pid, "VmRSS") for pid in [worker.pid, *_children(worker.pid)]}
                response_ids = answer_all(tokens, questions, comments)
                health_nightly_task.delay()
                seconds = wait_until_done(worker, response_ids, args.timeout)
                pids = [worker.pid, *_children(worker.pid)]
                peaks = {pid: _stack.proc_status_kib(pid, "VmHWM") for pid in pids}
        finally:
            _stack.purge_broker(env)
        report(args, seconds, idle, peaks, worker.pid, load_before)
    return 0


def _children(pid: int) -> list[int]:
    # The prefork pool's processes are children of the worker's main process (celery itself is
    # started by `python -m celery`, so the main process is the one Popen started).
    return _stack.child_pids(pid)


def report(
    args: argparse.Namespace, seconds: float, idle: Mapping[int, int], peaks: Mapping[int, int], main: int, load: str
) -> None:
    from loops.models import AccountRisk

    print(f"\n{args.answers:,} answers analysed and {AccountRisk.objects.count():,} accounts scored in {seconds:.0f} s")
    rows = []
    for pid, kib in peaks.items():
        name = "main process" if pid == main else f"pool process {pid}"
        rows.append([name, f"{idle.get(pid, 0) / 1024:.0f}", f"{kib / 1024:.0f}"])
    print(_stack.table(["worker process", "RSS when idle, MiB", "peak RSS, MiB"], rows))
    worst = max(peaks.values(), default=0) / 1024
    print(f"goal: every process under {GOAL_MIB} MiB -> {'met' if worst < GOAL_MIB else 'NOT met'}")
    print(f"hardware: {_stack.hardware()}; load average {load} before, {_stack.load_average()} after")
    _summary.memory("worker", "Celery worker process, text and churn models loaded", dict(peaks), goal_mib=GOAL_MIB)


if __name__ == "__main__":
    sys.exit(main())
