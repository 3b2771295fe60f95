import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocplatform.settings")
# This process serves web requests: settings give its statements DATABASE_WEB_STATEMENT_TIMEOUT.
# The mark comes off once settings have read it, so that no process started from this one inherits it.
_marking = "VOCPLATFORM_WEB_PROCESS" not in os.environ
os.environ.setdefault("VOCPLATFORM_WEB_PROCESS", "1")
application = get_wsgi_application()
if _marking:
    del os.environ["VOCPLATFORM_WEB_PROCESS"]

from vocplatform.celery import app as celery_app  # noqa: E402 - once Django is set up

# A web worker's first survey answer publishes a task. Resolving the broker's transport imports
# its client library (Redis's: about half a second here): done now, not while a customer waits.
# Nothing connects yet.
celery_app.connection_for_write()
