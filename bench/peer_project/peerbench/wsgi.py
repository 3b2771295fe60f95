"""What gunicorn serves: `peerbench.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerbench.settings")
application = get_wsgi_application()
