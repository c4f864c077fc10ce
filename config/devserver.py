"""Django's development server, for ``manage.py runserver`` (the demo), without Nagle's delay on
its connections.

Django's server keeps a connection open between requests and writes a response's headers and its
body in two sends. With Nagle's algorithm on, the body waits for the client to acknowledge the
headers, and a client that delays its acknowledgements (Linux does, by up to 40 ms) holds every
request on a kept-alive connection that long: measured here with Python's HTTP client, 43 ms a
request against 1.2 ms with ``TCP_NODELAY`` set on each connection, as this server does. gunicorn,
which serves production, closes each connection after its response and never waits so.
"""

from __future__ import annotations

import socket
from typing import Any

from django.core.servers.basehttp import WSGIServer


class NoDelayWSGIServer(WSGIServer):
    """``runserver``'s server (Django makes it threaded), its connections without Nagle's delay."""

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address
