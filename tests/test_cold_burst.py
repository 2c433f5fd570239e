"""A fresh `voipdown serve` (granian, two workers, their threads) hit at once by every
variant a page of badges asks for: every answer 200, every image byte-equal to what a warm
server draws. Then the same right after a timeline edit that brings words never drawn.

The server runs with the interpreter switching threads every 20 µs instead of every 5 ms
(a `sitecustomize` on its path), so that a window in which one thread sees another's
half-done work is crossed often enough to fail in every run, not one run in three.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.concurrency import SWITCH_INTERVAL
from tests.servers import ROOT, get, serving
from tests.timelines import rewrite
from voipdown.languages import SHIPPED
from voipdown.render.styles import STYLES
from voipdown.settings import bundled_timeline
from voipdown.timeline import load_timeline

CLIENTS = 48
NEW_WORDS = {  # titles whose letters the bundled timeline never used, in every script
    'fr = "Blocage de la VoIP au Maroc"': 'fr = "Ça suffit : zèle, jeûne, œuvre, KYZ — Qu’à cela ne tienne"',
    'en = "VoIP block in Morocco"': 'en = "Quixotic JAZZ wizardry, vexing FJORDS"',
    'ar = "حجب المكالمات عبر الإنترنت في المغرب"': 'ar = "ظلّ ضغط شديد؛ صوت خافت «٣٠٤» ذئب"',
    'zgh = "ⴰⴳⴷⴰⵍ ⵏ VoIP ⴳ ⵍⵎⵖⵔⵉⴱ"': 'zgh = "ⵜⴰⵡⵓⵔⵉ ⵏ ⵜⵣⵉⵣⵡⵉⵜ ⴷ ⵓⵛⵛⵉⴹ ⵖⵓⵔ ⵢⵉⵊⵊ"',
}


def variants() -> list[str]:
    """Every badge a gallery or a builder asks for, the share images, the script, frame, a page and
    the feed; and every chart and badge of the bundled tallies, a tally's page and its JSON."""
    paths = [
        f"/badge/voip-ma.{fmt}?lang={lang}&style={style}" + (f"&color={color}" if color else "")
        for fmt in ("svg", "png")
        for lang in SHIPPED
        for style in STYLES
        for color in (None, "blue", "purple")
    ]
    paths += [f"/voip-ma/share.png?lang={lang}" for lang in SHIPPED]
    paths += ["/embed/voip-ma.js", "/embed/voip-ma/frame?lang=ar", "/voip-ma?lang=zgh", "/voip-ma/feed.atom?lang=ar"]
    tallies = load_timeline(bundled_timeline()).counters["voip-ma"].tallies
    paths += [
        f"/chart/voip-ma/{name}.{fmt}?lang={lang}" + size
        for name in tallies
        for fmt in ("svg", "png")
        for lang in SHIPPED
        for size in ("", "&size=large")
    ]
    paths += [f"/badge/voip-ma/{name}.svg?lang={lang}" for name in tallies for lang in SHIPPED]
    paths += ["/voip-ma/tallies/inwi?lang=ar", "/api/v1/counters/voip-ma/tallies?lang=zgh"]
    return paths


@pytest.fixture
def timeline(tmp_path) -> Path:
    path = tmp_path / "timeline.toml"
    path.write_text(bundled_timeline().read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def fresh_server(timeline, tmp_path):
    amplifier = tmp_path / "amplifier"
    amplifier.mkdir()
    (amplifier / "sitecustomize.py").write_text(f"import sys\nsys.setswitchinterval({SWITCH_INTERVAL})\n")
    env = {
        "PYTHONPATH": os.pathsep.join([str(amplifier), str(ROOT)]),
        "VOIPDOWN_TIMELINE": str(timeline),
        "VOIPDOWN_RELOAD_INTERVAL": "0.2",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    log = tmp_path / "server.log"
    with serving(env, log=log) as (base, _):
        yield base, log


def warm_images(make_app, timeline: Path, paths: list[str]) -> dict[str, bytes]:
    """What a warm server draws: the same timeline, in this process, one request at a time."""

    client = make_app(timeline, VOIPDOWN_DISCOVERY="off").test_client()
    images = {}
    for path in paths:
        if ".svg" in path or ".png" in path:
            response = client.get(path)
            assert response.status_code == 200
            images[path] = response.get_data()
    return images


def burst(base: str, paths: list[str]) -> dict[str, tuple[int, bytes]]:
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = pool.map(lambda path: get(base + path, timeout=60), paths)
        return {path: (status, body) for path, (status, _, body) in zip(paths, answers, strict=True)}


def assert_all_right(answers: dict, *wanted: dict, log: Path) -> None:
    """Every answer 200, and every image byte-equal to the warm server's (of one of the `wanted` edits)."""
    failed = {path: status for path, (status, _) in answers.items() if status != 200}
    assert not failed, f"{len(failed)} of {len(answers)} failed: {failed}\n{log.read_text()[-3000:]}"
    differ = [path for path in wanted[0] if all(answers[path][1] != images[path] for images in wanted)]
    assert not differ, f"{len(differ)} images differ from a warm server's: {differ}"


def every_worker_serves(base: str, version: str) -> None:
    """Wait until every worker serves the edit, asking only /healthz (which draws nothing):
    rounds of concurrent requests reach every worker, and each loads the edit when asked."""
    deadline = time.monotonic() + 30
    rounds_all_new = 0
    while rounds_all_new < 3:
        assert time.monotonic() < deadline, "the workers did not load the edit"
        time.sleep(0.25)  # past the reload interval
        with ThreadPoolExecutor(16) as pool:
            seen = {json.loads(body)["timeline_version"] for _, _, body in pool.map(get, [base + "/healthz"] * 16)}
        rounds_all_new = rounds_all_new + 1 if seen == {version} else 0


def test_cold_burst_on_a_fresh_server_then_after_an_edit(make_app, fresh_server, timeline):
    base, log = fresh_server
    paths = variants()
    before = warm_images(make_app, timeline, paths)
    assert_all_right(burst(base, paths), before, log=log)

    text = timeline.read_text(encoding="utf-8")
    for old, new in NEW_WORDS.items():
        assert old in text
        text = text.replace(old, new)
    rewrite(timeline, text)
    after = warm_images(make_app, timeline, paths)
    every_worker_serves(base, load_timeline(timeline).version)
    answers = burst(base, paths)  # the new words' glyphs were never drawn: all drawn now, at once
    assert_all_right(answers, after, log=log)
    assert b"Quixotic" in answers["/badge/voip-ma.svg?lang=en&style=flat"][1]
