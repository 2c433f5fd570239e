"""The embed on a hostile host page, in a real Chromium: another origin, a strict CSP,
aggressive CSS, globals of its own, two instances, and a service that may be down."""

import os
import re
import socket
from pathlib import Path

import pytest

from tests.browser import HostSite, assert_host_untouched, builder_snippet, shadow, watch

DOCS = Path(__file__).parent.parent / "docs"
LANGS = ("fr", "ar", "zgh", "en")


@pytest.fixture(scope="module")
def host(live_server):
    with HostSite(live_server.url) as site:
        yield site


def widgets_ready(page, count):
    # A function, not an expression: Playwright would eval() an expression, which the host's CSP forbids.
    page.wait_for_function(
        f"() => document.querySelectorAll('voipdown-counter').length === {count} && "
        "[...document.querySelectorAll('voipdown-counter')]"
        ".every(h => [...h.shadowRoot.querySelectorAll('img')].every(i => i.complete))"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_embed_on_a_hostile_page(browser, host, live_server, every_status_app, lang):
    client = every_status_app.test_client()
    inline = builder_snippet(client, counter="ended", lang=lang, position="inline", theme="light")
    corner = builder_snippet(client, counter="ongoing", lang=lang, position="bottom-left", theme="dark")
    corner_right = builder_snippet(client, counter="upcoming", lang=lang, position="bottom-right", theme="light")
    url = host.page(f"/post-{lang}.html", f"<p>Avant le compteur : {inline} après.</p>{corner}{corner_right}")

    context = browser.new_context(viewport={"width": 900, "height": 420})
    page = context.new_page()
    problems = watch(page)
    page.goto(url)
    widgets_ready(page, 3)
    page.wait_for_timeout(600)  # the corner cards' entrance animation ends

    expected = {
        name: client.get(f"/api/v1/counters/{name}?lang={lang}").get_json() for name in ("ended", "ongoing", "upcoming")
    }
    found = shadow(
        page,
        "({dir: r.querySelector('.vd').dir, lang: r.querySelector('.vd').lang, "
        "name: r.querySelector('a').getAttribute('aria-label'), text: r.querySelector('a').textContent, "
        "img: (r.querySelector('img') || {}).src || '', position: getComputedStyle(r.querySelector('.vd')).position})",
    )
    inline_item = next(item for item in found if item["img"])
    assert inline_item["name"] == f"{expected['ended']['title']}: {expected['ended']['message']}"
    assert f"/badge/ended.{lang}.svg" in inline_item["img"]
    corners = [item for item in found if not item["img"]]
    assert {item["text"] for item in corners} == {
        expected["ongoing"]["title"] + expected["ongoing"]["message"],
        expected["upcoming"]["title"] + expected["upcoming"]["message"],
    }
    assert all(item["position"] == "fixed" for item in corners)  # our stylesheet applied under style-src 'self'
    assert all(item["dir"] == ("rtl" if lang == "ar" else "ltr") and item["lang"] == lang for item in found)

    # The host page is untouched: its functions, its globals, its layout.
    assert page.evaluate("init === hostOriginals.init && updateCounter === hostOriginals.updateCounter")
    assert page.evaluate("init()") == "host init" and page.evaluate("initCalls") == 2
    assert_host_untouched(page, problems)

    page.screenshot(path=str(DOCS / f"embed-{lang}.png") if os.environ.get("VOIPDOWN_UPDATE_DOCS") else None)
    context.close()


def test_close_button_and_keyboard_focus(browser, host, every_status_app):
    client = every_status_app.test_client()
    url = host.page("/close.html", builder_snippet(client, counter="ongoing", lang="fr", position="bottom-right"))
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    widgets_ready(page, 1)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "document.activeElement.tagName + ':' + document.activeElement.shadowRoot.activeElement.className"
    )
    assert focused == "VOIPDOWN-COUNTER:link"
    outline = page.evaluate(
        "getComputedStyle(document.querySelector('voipdown-counter').shadowRoot.activeElement).outlineStyle"
    )
    assert outline == "solid"  # visible focus
    page.evaluate("document.querySelector('voipdown-counter').shadowRoot.querySelector('.close').click()")
    assert page.evaluate("document.querySelectorAll('voipdown-counter').length") == 0
    context.close()


def test_reduced_motion_is_respected(browser, host, every_status_app):
    client = every_status_app.test_client()
    url = host.page("/motion.html", builder_snippet(client, counter="ongoing", lang="en", position="bottom-left"))
    for motion, animated in (("reduce", False), ("no-preference", True)):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        page.goto(url)
        widgets_ready(page, 1)
        name = page.evaluate(
            "getComputedStyle(document.querySelector('voipdown-counter').shadowRoot.querySelector('.corner')).animationName"
        )
        assert (name != "none") is animated
        context.close()


def test_host_page_works_when_the_service_is_down(browser, every_status_app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there
    snippet = builder_snippet(every_status_app.test_client(), counter="ended", lang="fr", position="inline")
    snippet = re.sub(r"http://127\.0\.0\.1:\d+", dead, snippet)
    with HostSite(dead) as down_host:
        url = down_host.page(
            "/down.html", snippet + snippet.replace('data-position="inline"', 'data-position="bottom-left"')
        )
        context = browser.new_context()
        page = context.new_page()
        problems = watch(page)
        page.goto(url, wait_until="load")
        page.wait_for_timeout(300)
        assert page.evaluate("init()") == "host init"
        assert page.text_content("body").startswith("Un blog marocain.")
        assert problems["errors"] == []
        # The only lines: the browser's own, for the script and the fallback image that could not load.
        assert problems["console"] and all(line.startswith("Failed to load resource") for line in problems["console"])
        context.close()


def test_frame_embeds_anywhere(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.set_content(f'<iframe src="{live_server.url}/embed/ended/frame?lang=zgh" width="340" height="90"></iframe>')
    frame = page.frame_locator("iframe")
    assert "304" in frame.locator("a").text_content()
    assert frame.locator("html").get_attribute("lang") == "zgh"
    context.close()


def test_builder_preview_runs_under_its_own_policy(browser, live_server):
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    problems = watch(page)
    page.goto(live_server.url + "/embed?counter=ended&lang=ar&position=inline")
    widgets_ready(page, 1)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert problems == {"errors": [], "console": []}
    if os.environ.get("VOIPDOWN_UPDATE_DOCS"):
        page.screenshot(path=str(DOCS / "embed-builder-ar.png"), full_page=True)
    context.close()


def test_the_builders_language_stays_when_the_snippets_changes(browser, live_server):
    """A blogger reading the builder in French picks an Arabic counter: the builder stays
    French (the choice submits the form, builder.js), the snippet and the preview turn
    Arabic; the builder's own language links keep the Arabic snippet."""
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    problems = watch(page)
    page.goto(live_server.url + "/embed?counter=ended&lang=fr&position=inline")
    widgets_ready(page, 1)
    with page.expect_navigation():
        page.select_option("#snippet_lang", "ar")
    widgets_ready(page, 1)
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert 'data-lang="ar"' in page.input_value("#snippet-script")
    assert shadow(page, "r.querySelector('.vd').lang") == ["ar"]
    with page.expect_navigation():
        page.click("a[hreflang=ar]")
    widgets_ready(page, 1)
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.input_value("#snippet_lang") == "ar" and 'data-lang="ar"' in page.input_value("#snippet-script")
    assert problems == {"errors": [], "console": []}
    context.close()


@pytest.mark.parametrize(
    "breakage, why",
    [
        ("delete Element.prototype.attachShadow", "too old"),  # refused before drawing
        ("Element.prototype.attachShadow = () => { throw new Error('host says no'); }", "host says no"),  # failed
    ],
)
def test_a_counter_that_cannot_draw_says_so_once_and_breaks_nothing(browser, host, every_status_app, breakage, why):
    snippet = builder_snippet(every_status_app.test_client(), counter="ended", lang="fr", position="bottom-left")
    url = host.page(f"/broken-{len(breakage)}.html", snippet)
    context = browser.new_context()
    context.add_init_script(breakage)  # the host page (or its browser) breaks what the script needs
    page = context.new_page()
    problems = watch(page)
    warnings = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    assert problems == {"errors": [], "console": []}
    assert len(warnings) == 1 and warnings[0].startswith("VoIP Down counter: ") and why in warnings[0], warnings
    assert page.evaluate("init()") == "host init"
    context.close()
