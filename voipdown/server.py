"""The production server: gunicorn, run from `voipdown serve`.

The app is built once in the master before the workers fork, so an invalid
timeline or setting stops `serve` at once with its problems instead of leaving
workers to crash in a loop. No access log is written: visitors' addresses are not
ours to keep.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from voipdown.web import create_app


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self):
        return self._app


def run(host: str, port: int, workers: int) -> None:
    app = create_app()
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    _Gunicorn(
        app,
        {
            "bind": bind,
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "voipdown",
            "timeout": 30,
            "graceful_timeout": 10,
            # gunicorn >= 25.1 opens a control socket in $HOME; two services would share it.
            "control_socket_disable": True,
        },
    ).run()
