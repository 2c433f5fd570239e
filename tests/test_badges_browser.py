"""Our SVG badges rasterized by a real Chromium look like our PNGs of the same badges."""

import io
import itertools
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.browser import FAR_OFF, FAR_OFF_SHARE, MEAN_TOLERANCE, chromium_shot
from voipdown.languages import SHIPPED
from voipdown.render.styles import STYLES

DOCS = Path(__file__).parent.parent / "docs"


def compare(live_server, page, path, scale, png_bytes):
    shot = chromium_shot(page, live_server.url + path)
    ours = Image.open(io.BytesIO(png_bytes)).convert("RGBA")
    assert shot.size == ours.size
    difference = ImageChops.difference(shot, ours)
    means = ImageStat.Stat(difference).mean
    gray = difference.convert("L")
    far = sum(count for value, count in enumerate(gray.histogram()) if value > FAR_OFF) / (gray.width * gray.height)
    assert max(means) <= MEAN_TOLERANCE, (path, means)
    assert far <= FAR_OFF_SHARE, (path, far)


@pytest.fixture(scope="module")
def pages(browser):
    contexts = {scale: browser.new_context(device_scale_factor=scale) for scale in (1, 2, 3)}
    yield {scale: context.new_page() for scale, context in contexts.items()}
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize(
    "style, lang, status", list(itertools.product(STYLES, SHIPPED, ("ongoing", "ended", "upcoming")))
)
def test_svg_in_chromium_matches_our_png(live_server, every_status_app, pages, style, lang, status):
    client = every_status_app.test_client()
    query = f"lang={lang}&style={style}"
    png = client.get(f"/badge/{status}.png?{query}&scale=2")
    assert png.status_code == 200
    compare(live_server, pages[2], f"/badge/{status}.svg?{query}", 2, png.data)


@pytest.mark.parametrize("scale", [1, 3])
@pytest.mark.parametrize("lang", ["ar", "zgh"])
def test_other_scales_match_too(live_server, every_status_app, pages, scale, lang):
    png = every_status_app.test_client().get(f"/badge/ended.png?lang={lang}&scale={scale}")
    compare(live_server, pages[scale], f"/badge/ended.svg?lang={lang}", scale, png.data)


def test_error_badges_match_too(live_server, every_status_app, pages):
    png = every_status_app.test_client().get("/badge/ended.png?lang=ar&color=pink", headers={})
    assert png.status_code == 400
    compare(live_server, pages[2], "/badge/ended.svg?lang=ar&color=pink", 2, png.data)


def test_gallery_renders_every_badge(live_server, browser):
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    errors = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico")  # the browser's own
            else None
        ),
    )
    page.goto(live_server.url + "/badges")
    page.wait_for_load_state("networkidle")
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
    total = page.evaluate("document.images.length")
    assert total == len(STYLES) * len(SHIPPED) * 2 + 8 and broken == 0
    assert errors == []
    shot = page.screenshot(full_page=True)
    if os.environ.get("VOIPDOWN_UPDATE_DOCS"):
        (DOCS / "badges-gallery.png").write_bytes(shot)
    context.close()
