"""Which processes bound how long a statement may run on PostgreSQL (settings, no database needed)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

URL = "postgres://postgres@127.0.0.1:5432/vocplatform"


def test_only_web_processes_bound_their_statements() -> None:
    # wsgi.py, asgi.py and runstack's web server set VOCPLATFORM_WEB_PROCESS; nothing else does.
    def options(**env: str) -> str:
        program = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('options'))"
        variables = {k: v for k, v in os.environ.items() if k != "VOCPLATFORM_WEB_PROCESS"}
        variables.update({"DJANGO_SETTINGS_MODULE": "vocplatform.settings", "DATABASE_URL": URL, **env})
        done = subprocess.run(
            [sys.executable, "-c", program], env=variables, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert options() == "None"  # a worker, beat, a command
    assert options(VOCPLATFORM_WEB_PROCESS="1") == "-c statement_timeout=20s"
    assert options(VOCPLATFORM_WEB_PROCESS="1", DATABASE_WEB_STATEMENT_TIMEOUT="0") == "None"
    with_url_options = options(VOCPLATFORM_WEB_PROCESS="1", DATABASE_URL=URL + "?options=-c%20work_mem%3D8MB")
    assert with_url_options == "-c work_mem=8MB -c statement_timeout=20s"


def test_the_web_entry_points_leave_no_mark_for_the_processes_they_start() -> None:
    import vocplatform.asgi
    import vocplatform.wsgi

    assert "VOCPLATFORM_WEB_PROCESS" not in os.environ
    for module in (vocplatform.wsgi, vocplatform.asgi):
        importlib.reload(module)  # as a web server's import runs it
        assert "VOCPLATFORM_WEB_PROCESS" not in os.environ, module.__name__
