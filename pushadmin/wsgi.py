"""WSGI entry point (gunicorn pushadmin.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pushadmin.settings")
application = get_wsgi_application()
