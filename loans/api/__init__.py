"""The REST API (``/api/v1/``): the same roles, branch scoping and checks as the web UI."""
