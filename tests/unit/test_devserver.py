"""``manage.py runserver`` (the demo's server) answers on connections without Nagle's delay."""

from __future__ import annotations

import socket

from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver
from django.core.management import get_commands, load_command_class

from config.devserver import NoDelayWSGIServer


def test_runserver_is_the_projects_and_serves_with_the_no_delay_server():
    command = load_command_class(get_commands()["runserver"], "runserver")

    assert command.server_cls is NoDelayWSGIServer
    assert isinstance(command, StaticRunserver)  # still serving the static files


def test_each_connection_the_server_accepts_sends_without_delay():
    server = NoDelayWSGIServer(("127.0.0.1", 0), None)
    try:
        with socket.create_connection(server.server_address[:2], timeout=5):
            accepted, _ = server.get_request()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.server_close()
