"""VoIP Down: count the days since a digital-rights event and serve the count.

The core (timeline, counting, languages, texts, summary) knows nothing of Flask;
the web layer in :mod:`voipdown.web` is a thin shell around it.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "create_app"]


def __getattr__(name):
    # Imported lazily so that using the core (e.g. from the CLI's `check`) does not pull in Flask.
    if name == "create_app":
        from voipdown.web import create_app

        return create_app
    raise AttributeError(name)
