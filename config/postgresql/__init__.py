"""Django's PostgreSQL backend whose pool checks a connection well after a restart (base.py)."""
