import os

from django.core.wsgi import get_wsgi_application

# A deployment entry point fails closed: without DJANGO_SETTINGS_MODULE it runs the production
# settings, which refuse to start without a strong SECRET_KEY. The local settings (DEBUG, the
# public development key) only when chosen explicitly; manage.py chooses them for development.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
