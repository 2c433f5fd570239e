"""The campaign site in a real Chromium: accessibility (axe-core) and how it looks."""

import json
import os
from pathlib import Path

import pytest

from voipdown.languages import SHIPPED

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
DOCS = Path(__file__).parent.parent / "docs"


@pytest.fixture(scope="module")
def bundled_server(make_app):
    from tests.browser import LiveServer

    with LiveServer(make_app(None)) as server:
        yield server


PAGES = ("/voip-ma", "/voip-ma/tallies/maroc-telecom")
"""The campaign page and a tally's own page."""


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", SHIPPED)
def test_no_serious_accessibility_violation(browser, bundled_server, lang, path):
    assert AXE.is_file(), "axe-core is missing: scripts/test installs it with npm"
    # axe is injected by the test itself; the page's own policy allows no script at all.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{bundled_server.url}{path}?lang={lang}")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    violations = [v for v in json.loads(result)["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in violations]
    context.close()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", SHIPPED)
def test_readable_at_320_pixels_and_on_desktop(browser, bundled_server, lang, path):
    for width in (1280, 320):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{bundled_server.url}{path}?lang={lang}")
        # Nothing wider than the screen: no horizontal scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if os.environ.get("VOIPDOWN_UPDATE_DOCS") and (path == PAGES[0] or width == 1280):
            name = "site" if path == PAGES[0] else "tally"
            page.screenshot(path=str(DOCS / f"{name}-{lang}-{width}.png"), full_page=name == "tally")
        context.close()


def test_prints_without_navigation(browser, bundled_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{bundled_server.url}/voip-ma?lang=fr")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('header nav')).display") == "none"
    assert page.evaluate("getComputedStyle(document.getElementById('get')).display") == "none"
    assert len(page.pdf(format="A4")) > 10_000
    context.close()


VISUAL_ORDER = """(needle) => {
  // The on-screen x of each character of the first text node holding `needle`, in reading order.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    return [...needle].map((_, i) => {
      const range = document.createRange();
      range.setStart(node, at + i);
      range.setEnd(node, at + i + 1);
      return range.getBoundingClientRect().left;
    });
  }
  return null;
}"""


@pytest.mark.parametrize(
    "path, needle",
    [
        ("/voip-ma?lang=ar", "#OpeUnlike"),  # a hashtag at the start of an Arabic event
        ("/voip-ma?lang=ar", "Maroc Web Awards"),  # a name of three words inside an Arabic sentence
        ("/voip-ma?lang=ar", "3G/4G"),
        ("/voip-ma?lang=xx", "lang"),  # the error page, in Arabic (the browser's language), names it
    ],
)
def test_latin_runs_read_left_to_right_inside_arabic(browser, bundled_server, path, needle):
    """Each Latin run keeps its own order on screen: its characters go left to right, a
    leading # stays at its left, and the words of a name keep their order."""
    context = browser.new_context(locale="ar")
    page = context.new_page()
    page.goto(bundled_server.url + path)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    xs = page.evaluate(VISUAL_ORDER, needle)
    context.close()
    assert xs is not None, f"{needle!r} is not on {path}"
    assert xs == sorted(xs), (needle, xs)
