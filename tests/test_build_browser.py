"""A build served by Debian's nginx as plain files under a sub-path, as a static host would:
every address its pages write is there and has no query string, and its embed, on a page of
another origin in Chromium, turns at the counter's midnight days after the build."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser import HostSite, shadow, watch
from tests.helpers import server_env
from tests.servers import free_port, nginx_static
from tests.timelines import ONGOING
from voipdown.counting import count_at
from voipdown.embed_code import DAYS_AHEAD
from voipdown.isolation import isolate
from voipdown.texts import count_as_of, count_message
from voipdown.timeline import load_timeline
from voipdown.zones import start_of_day

LANGS = ("fr", "ar", "zgh", "en")
BUILT_AT = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)
ADDRESS = re.compile(r'(?:href|src)="([^"]*)"|srcset="([^"]*)"|url\(([^)]*)\)')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The ongoing test timeline built on BUILT_AT, served under /campaign/."""
    work = tmp_path_factory.mktemp("static-site")
    env = server_env(work, ONGOING)
    port = free_port()
    base = f"http://127.0.0.1:{port}/campaign"
    out = work / "site"
    done = subprocess.run(
        [sys.executable, "-m", "voipdown", "build", str(out), "--base-url", base, "--at", BUILT_AT.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = work / "nginx"
    run.mkdir()
    with nginx_static(out, run, port) as served:
        assert served == base
        yield base, load_timeline(Path(env["VOIPDOWN_TIMELINE"])).counters["shutdown"]


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def test_a_crawler_finds_every_address_and_no_query_string(site):
    base, _ = site
    queue, seen, missing, queries = deque([base + "/"]), {base + "/"}, [], []
    while queue:
        url = queue.popleft()
        status, kind, body = get(url)
        if status != 200:
            missing.append((url, status))
            continue
        if kind not in ("text/html", "image/svg+xml", "application/atom+xml", "text/css"):
            continue
        for match in ADDRESS.finditer(body.decode("utf-8")):
            found = match.group(2).split(",") if match.group(2) else [match.group(1) or match.group(3)]
            for raw in found:
                address = html.unescape(raw.strip().split(" ")[0].strip("'\""))
                if not address or address.startswith(("#", "data:", "mailto:")):
                    continue
                target = urljoin(url, address).split("#")[0]
                if not target.startswith(base + "/"):
                    continue  # another site's (the sources, the press)
                if urlsplit(target).query:
                    queries.append((url, address))
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    assert missing == [] and queries == []
    assert len(seen) > 50  # pages, badges, charts, feeds, the builder, in every language
    status, kind, body = get(base + "/no/such/page.html")
    assert status == 404 and kind == "text/html" and b'<html lang="fr"' in body  # the build's 404.html


def test_the_embed_of_an_old_build_turns_at_the_counters_midnight_in_every_language(browser, site):
    """Built three days before a midnight, the embed shows the right count 30 s before and
    30 s after it, in every language, without a new script; past the seven days it carries,
    the last count it knows, with its day."""
    base, counter = site
    built = count_at(counter, BUILT_AT)
    midnight = start_of_day(built.as_of + dt.timedelta(days=3), counter.timezone)
    beyond = start_of_day(built.as_of + dt.timedelta(days=DAYS_AHEAD + 2), counter.timezone)
    with HostSite(base.removesuffix("/campaign")) as host:
        for lang in LANGS:
            script = f'<script async src="{base}/embed/shutdown.{lang}.js" data-lang="{lang}"'
            badge = f'<img src="{base}/badge/shutdown.{lang}.svg" alt="">'
            inline = f'<a href="{base}/shutdown.{lang}.html" data-voipdown>{badge}</a>{script} data-position="inline">'
            corner = f'{script} data-position="bottom-left">'
            url = host.page(f"/post-{lang}.html", f"<p>{inline}</script></p>{corner}</script>", lang=lang)
            label = isolate(counter.title_in(lang), lang)
            for instant in (midnight - dt.timedelta(seconds=30), midnight + dt.timedelta(seconds=30), beyond, BUILT_AT):
                count = count_at(counter, instant)
                if instant == beyond:
                    message = count_as_of(counter, count_at(counter, beyond - dt.timedelta(days=2)), lang)
                else:
                    message = count_message(counter, count, lang)
                message = isolate(message, lang)
                page = browser.new_page()
                problems = watch(page)
                page.clock.set_fixed_time(instant)
                page.goto(url)
                page.wait_for_function("() => document.querySelectorAll('voipdown-counter').length === 2")
                found = shadow(
                    page,
                    "({name: r.querySelector('a').getAttribute('aria-label'), text: r.querySelector('a').textContent,"
                    " img: !!r.querySelector('img'), cls: r.querySelector('.vd').className})",
                )
                corner = next(item for item in found if "corner" in item["cls"])
                pill = next(item for item in found if "inline" in item["cls"])
                assert corner["text"] == label + message, (lang, instant)
                assert corner["name"] == pill["name"] == f"{label}: {message}", (lang, instant)
                if instant == BUILT_AT:
                    assert pill["img"]  # the build's own day: its badge says it
                else:
                    assert not pill["img"] and pill["text"] == f"{label}: {message}"  # the badge would be old
                assert problems == {"errors": [], "console": []}
                page.close()


def test_the_builders_choices_open_their_pages_on_the_static_host(browser, site):
    """No server reads the form there: each choice opens its page's path form, which the build has."""
    base, _ = site
    page = browser.new_page()
    problems = watch(page)
    page.goto(f"{base}/embed.shutdown.fr.fr.html")
    with page.expect_navigation():
        page.select_option("#theme", "dark")
    assert page.url == f"{base}/embed.shutdown.fr.fr.dark.html"
    with page.expect_navigation():
        page.select_option("#snippet_lang", "ar")
    with page.expect_navigation():
        page.select_option("#tally", "calls")
    assert page.url == f"{base}/embed.shutdown.fr.ar.calls.dark.html"
    assert page.evaluate("document.querySelector('#theme').value") == "dark"
    assert 'data-tally="calls"' in page.input_value("#snippet-script") and 'data-lang="ar"' in page.input_value(
        "#snippet-script"
    )
    with page.expect_navigation():
        page.select_option("#theme", "auto")  # back to the default: not written
    assert page.url == f"{base}/embed.shutdown.fr.ar.calls.html"
    assert problems == {"errors": [], "console": []}
    page.close()


def test_a_live_tally_of_a_build_asks_no_sooner_than_its_host_keeps_the_json(browser, site):
    """The tally's interval is a minute; the static host keeps its JSON ten minutes
    (Cache-Control: max-age=600, as GitHub Pages): the embed waits ten minutes, not one,
    and four times that for a tally with no recent sample (this one's last is of 2024)."""
    base, _ = site
    with HostSite(base.removesuffix("/campaign"), connect=True) as host:
        tag = f'<script async src="{base}/embed/shutdown/tallies.en.js" data-lang="en" data-tally="calls"></script>'
        url = host.page("/tally.html", tag, lang="en")
        page = browser.new_page()
        asked = []
        page.on("request", lambda request: asked.append(request.url) if request.url.endswith("calls.en.json") else None)
        page.clock.install(time=BUILT_AT)
        page.goto(url)
        page.wait_for_function("() => document.querySelector('voipdown-counter')")
        page.wait_for_timeout(500)
        assert len(asked) == 1
        for _ in range(39):  # the tally's interval 39 times over (stale: 4 minutes at its own)
            page.clock.run_for(60_000)
            page.wait_for_timeout(50)
        assert len(asked) == 1
        page.clock.run_for(61_000)  # 4 x 600 s
        page.wait_for_timeout(500)
        assert len(asked) == 2
        page.close()
