"""Which processes bound how long a statement may run on PostgreSQL (settings, no database needed)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

URL = "postgres://postgres@127.0.0.1:5432/vocplatform"
OPTIONS = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('options'))"
OWN = ("VOCPLATFORM_WEB_PROCESS", "DATABASE_WEB_STATEMENT_TIMEOUT", "PGOPTIONS", "DATABASE_URL")


def run(program: str, **env: str) -> str:
    variables = {k: v for k, v in os.environ.items() if k not in OWN}
    variables.update({"DJANGO_SETTINGS_MODULE": "vocplatform.settings", "DATABASE_URL": URL, **env})
    done = subprocess.run([sys.executable, "-c", program], env=variables, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_only_web_processes_bound_their_statements() -> None:
    # wsgi.py, asgi.py and runstack's web server set VOCPLATFORM_WEB_PROCESS; nothing else does.
    assert run(OPTIONS) == "None"  # a worker, beat, a command
    assert run(OPTIONS, VOCPLATFORM_WEB_PROCESS="1") == "-c statement_timeout=20s"
    assert run(OPTIONS, VOCPLATFORM_WEB_PROCESS="1", DATABASE_WEB_STATEMENT_TIMEOUT="0") == "None"


def test_the_operators_own_options_are_kept_and_their_timeout_wins() -> None:
    # PostgreSQL applies the -c settings in order, so the operator's own statement_timeout comes last.
    given = URL + "?options=-c%20work_mem%3D8MB%20-c%20statement_timeout%3D5s"
    from_url = run(OPTIONS, VOCPLATFORM_WEB_PROCESS="1", DATABASE_URL=given)
    assert from_url == "-c statement_timeout=20s -c work_mem=8MB -c statement_timeout=5s"
    # libpq reads PGOPTIONS only when no options are passed: the web process passes them on.
    from_environment = run(OPTIONS, VOCPLATFORM_WEB_PROCESS="1", PGOPTIONS="-c search_path=voc")
    assert from_environment == "-c statement_timeout=20s -c search_path=voc"


def test_a_web_server_importing_wsgi_or_asgi_is_bounded_and_passes_no_mark_on() -> None:
    for module in ("vocplatform.wsgi", "vocplatform.asgi"):
        program = f"import os, {module}; {OPTIONS}; print('VOCPLATFORM_WEB_PROCESS' in os.environ)"
        assert run(program).splitlines() == ["-c statement_timeout=20s", "False"], module


def test_importing_the_entry_points_again_leaves_no_mark_either() -> None:
    import vocplatform.asgi
    import vocplatform.wsgi

    for module in (vocplatform.wsgi, vocplatform.asgi):
        importlib.reload(module)  # settings already loaded, as in this test run
        assert "VOCPLATFORM_WEB_PROCESS" not in os.environ, module.__name__
