"""WSGI entry point for any server: `gunicorn wsgi:app`. Settings come from VOIPDOWN_* variables."""

from voipdown import create_app

app = create_app()
