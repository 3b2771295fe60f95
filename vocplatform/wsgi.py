import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocplatform.settings")
# This process serves web requests: its statements get DATABASE_WEB_STATEMENT_TIMEOUT (settings).
os.environ.setdefault("VOCPLATFORM_WEB_PROCESS", "1")
application = get_wsgi_application()

from vocplatform.celery import app as celery_app  # noqa: E402 - once Django is set up

# A web worker's first survey answer publishes a task. Resolving the broker's transport imports
# its client library (Redis's: about half a second here): done now, not while a customer waits.
# Nothing connects yet.
celery_app.connection_for_write()
