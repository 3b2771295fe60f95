import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vocplatform.settings")
# This process serves web requests: its statements get DATABASE_WEB_STATEMENT_TIMEOUT (settings).
os.environ.setdefault("VOCPLATFORM_WEB_PROCESS", "1")
application = get_asgi_application()
