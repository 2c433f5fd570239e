"""What one app instance holds: its settings and its timeline."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from voipdown.participants import Recorder
from voipdown.render.font import Font
from voipdown.settings import Settings
from voipdown.timeline_source import TimelineSource


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    timelines: TimelineSource
    version: str
    font: Font | None
    """None when no usable font was found: badges are then drawn without words."""
    font_problem: str | None = None
    recorder: Recorder | None = None
    """Discovery of participating sites; None when VOIPDOWN_DISCOVERY is off."""


def service() -> ServiceState:
    return current_app.extensions["voipdown"]
