"""``manage.py runserver``: Django's, serving static files as ``django.contrib.staticfiles`` does,
on connections without Nagle's delay (config/devserver.py)."""

from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver

from config.devserver import NoDelayWSGIServer


class Command(StaticRunserver):
    server_cls = NoDelayWSGIServer
