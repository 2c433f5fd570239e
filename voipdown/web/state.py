"""What one app instance holds: its settings and its timeline."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from voipdown.settings import Settings
from voipdown.timeline_source import TimelineSource


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    timelines: TimelineSource
    version: str


def service() -> ServiceState:
    return current_app.extensions["voipdown"]
