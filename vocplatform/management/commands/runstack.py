"""Start web, Celery worker and Celery beat together; Ctrl-C stops all three.

This is the embedded mode of `make run`. If any of the three exits, the
others are stopped too, so a half-running stack never passes for a working one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from surveys.demo.organisation import STAFF


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat in the foreground (embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        address = f"{options['host']}:{options['port']}"
        commands = {
            "web": [python, "manage.py", "runserver", address, "--noreload", "--skip-checks"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "vocplatform",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={options['concurrency']}",
                "--hostname=worker@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "vocplatform",
                "beat",
                "--loglevel=INFO",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ],
        }
        # The web server's statements are bounded like gunicorn's (settings.DATABASE_WEB_STATEMENT_TIMEOUT).
        environments = {"web": {**os.environ, settings.WEB_PROCESS_VARIABLE: "1"}}
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, env=environments.get(name))
            for name, command in commands.items()
        }
        self._announce(address)
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exited = None
        while not stopping and exited is None:
            time.sleep(0.5)
            exited = next((name for name, process in processes.items() if process.poll() is not None), None)
        if stopping:
            exited = None  # children may die of the same Ctrl-C; that is a normal stop
        if exited:
            self.stderr.write(f"{exited} stopped (exit code {processes[exited].returncode}); stopping the rest.")
        self._stop_all(processes)
        if exited:
            sys.exit(1)

    def _announce(self, address: str) -> None:
        logins = ", ".join(username for username, *_ in STAFF)
        self.stdout.write(
            self.style.SUCCESS(f"\n  vocplatform is starting at http://{address}/\n")
            + f"  demo logins: {logins} (password {settings.DEMO_PASSWORD})\n"
            + "  admin can also use /admin/. Press Ctrl-C to stop web, worker and beat.\n"
        )

    def _stop_all(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
