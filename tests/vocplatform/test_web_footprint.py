"""A web process carries no models: the URLconf and the task modules it publishes to load neither
scikit-learn, NLTK, NumPy, WeasyPrint nor openpyxl. Those load where they are used (a worker
analysing, a pack being rendered, an Excel export), which keeps each gunicorn worker small."""

import subprocess
import sys

HEAVY = ("sklearn", "scipy", "numpy", "nltk", "weasyprint", "openpyxl")
PROBE = f"""
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "vocplatform.settings"
import django
django.setup()
import vocplatform.urls, vocplatform.tasks, surveys.tasks, loops.tasks
from django.urls import get_resolver
get_resolver().url_patterns
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def test_the_urlconf_and_the_task_modules_load_no_model_library():
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    assert probe.stdout.strip().splitlines()[-1:] in ([], [""]), probe.stdout
