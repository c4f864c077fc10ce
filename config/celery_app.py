"""The Celery application. Broker and behaviour come from the CELERY_* Django settings."""

import os

from celery import Celery

# A deployment entry point fails closed: without DJANGO_SETTINGS_MODULE it runs the production
# settings, which refuse to start without a strong SECRET_KEY. The local settings (DEBUG, the
# public development key) only when chosen explicitly; manage.py chooses them for development.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("loanflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Logs through Django's LOGGING, the request id into tasks, task metrics.
from config import celery_signals  # noqa: E402, F401
