import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocplatform.settings")
# This process serves web requests: settings give its statements DATABASE_WEB_STATEMENT_TIMEOUT.
# The mark comes off once settings have read it, so that no process started from this one inherits it.
_marking = "VOCPLATFORM_WEB_PROCESS" not in os.environ
os.environ.setdefault("VOCPLATFORM_WEB_PROCESS", "1")
application = get_asgi_application()
if _marking:
    del os.environ["VOCPLATFORM_WEB_PROCESS"]
