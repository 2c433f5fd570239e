"""`voipdown build`: the campaign as files for a static host, each the live service's answer
at its path form (voipdown/web/path_forms.py), byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import server_env
from tests.servers import serving
from tests.timelines import ONGOING

PUBLIC = "https://count.example.org/campaign"
AT = "2026-12-07T10:00:00+00:00"


def build(out: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voipdown", "build", str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def built_files(out: Path) -> list[Path]:
    return sorted(path for path in out.rglob("*") if path.is_file())


def address_of(out: Path, path: Path) -> str:
    """A file's address: its path in the build (a folder's, its index.html)."""
    relative = path.relative_to(out).as_posix()
    return "/" + relative.removesuffix("index.html") if relative.endswith("index.html") else "/" + relative


def pinned(folder: Path, instant: str) -> str:
    """A `sitecustomize` that stops every clock of the processes started with it at `instant`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import datetime, time_machine\n"
        f"time_machine.travel(datetime.datetime.fromisoformat({instant!r}), tick=False).start()\n"
    )
    return str(folder)


@pytest.mark.parametrize("bundled", [True, False], ids=["bundled", "ongoing"])
def test_every_built_file_is_what_the_live_service_answers_at_its_address(tmp_path, bundled):
    env = server_env(tmp_path, ONGOING, VOIPDOWN_PUBLIC_URL=PUBLIC)
    if bundled:
        del env["VOIPDOWN_TIMELINE"]
    out = tmp_path / "site"
    done = build(out, env, "--at", AT)
    assert done.returncode == 0, done.stderr
    files = built_files(out)
    assert len(files) > 100 and (out / "index.html").is_file() and (out / "404.html").is_file()
    live_env = {**env, "PYTHONPATH": pinned(tmp_path / "clock", AT)}
    different = []
    with serving(live_env, workers=1) as (base, _):
        for path in files:
            address = address_of(out, path)
            if address == "/_headers":
                continue  # the host's instructions (Netlify, Cloudflare Pages), not an address
            try:
                with urllib.request.urlopen(base + address, timeout=10) as answer:
                    body, status = answer.read(), answer.status
            except urllib.error.HTTPError as error:
                body, status = error.read(), error.code
            expected_status = 404 if address == "/404.html" else 200
            if status != expected_status or body != path.read_bytes():
                different.append((address, status))
    assert different == []
    # Links between our pages are relative (a build works at any sub-path); the canonical
    # address, the alternates and the snippets' are absolute, from the base URL.
    home = (out / "index.html").read_text()
    assert re.search(r'<a href="[a-z-]+\.ar\.html"', home) and f'rel="canonical" href="{PUBLIC}/' in home


def test_a_build_that_would_not_change_writes_nothing(tmp_path):
    env = server_env(tmp_path, ONGOING, VOIPDOWN_PUBLIC_URL=PUBLIC)
    out = tmp_path / "site"
    assert build(out, env, "--at", AT).returncode == 0
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")  # a host's own files are left alone
    (out / "old-page.html").write_text("gone from the timeline")
    times = {path: path.stat().st_mtime_ns for path in built_files(out)}
    again = build(out, env, "--at", "2026-12-07T12:00:00+00:00")  # later the same day in every zone
    assert again.returncode == 0, again.stderr
    assert ", 0 written" in again.stdout
    assert not (out / "old-page.html").exists() and (out / ".git" / "HEAD").is_file()
    assert all(path.stat().st_mtime_ns == time for path, time in times.items() if path.exists())
    next_day = build(out, env, "--at", "2026-12-08T10:00:00+00:00")
    assert next_day.returncode == 0 and ", 0 written" not in next_day.stdout
    assert (out / "badge" / "shutdown.svg").stat().st_mtime_ns != times[out / "badge" / "shutdown.svg"]


def test_a_build_needs_to_know_where_it_will_be_served(tmp_path):
    env = server_env(tmp_path, ONGOING)
    env.pop("VOIPDOWN_PUBLIC_URL", None)
    refused = build(tmp_path / "site", env)
    assert refused.returncode == 2 and "--base-url" in refused.stderr
    bad = build(tmp_path / "site", env, "--base-url", "ftp://example.org")
    assert bad.returncode == 2 and "http" in bad.stderr
    assert not (tmp_path / "site").exists()


def test_the_day_of_a_build_is_the_day_of_its_instant(tmp_path):
    """`--at` builds as of another instant: the count of that instant in the counter's zone,
    on either side of its midnight."""
    from voipdown.counting import count_at
    from voipdown.timeline import load_timeline

    env = server_env(tmp_path, ONGOING, VOIPDOWN_PUBLIC_URL=PUBLIC)
    counter = load_timeline(Path(env["VOIPDOWN_TIMELINE"])).counters["shutdown"]
    midnight = count_at(counter, dt.datetime(2024, 3, 20, 12, tzinfo=dt.timezone.utc)).next_change
    for instant in (midnight - dt.timedelta(seconds=30), midnight + dt.timedelta(seconds=30)):
        out = tmp_path / instant.isoformat()
        assert build(out, env, "--at", instant.isoformat()).returncode == 0
        built = json.loads((out / "api" / "v1" / "counters" / "shutdown.en.json").read_text())
        count = count_at(counter, instant)
        assert (built["days"], built["as_of"]) == (count.days, count.as_of.isoformat())


WORKFLOW = Path(__file__).parent.parent / "docs" / "deploy" / "github-pages.yml"


def test_the_github_pages_workflow_is_valid_and_rebuilds_after_the_counters_midnight():
    """docs/deploy/github-pages.yml against GitHub's workflow schema (SchemaStore's, which
    check-jsonschema carries: it knows `schedule`'s `timezone`), and actionlint where it is
    installed; its schedule a few minutes after midnight in a real zone; its build step ours."""
    import shutil
    from zoneinfo import ZoneInfo

    from ruamel.yaml import YAML

    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if shutil.which("actionlint"):
        linted = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True, check=False)
        assert linted.returncode == 0, linted.stdout
    workflow = YAML(typ="safe").load(WORKFLOW.read_text())
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, *every = schedule["cron"].split()
    assert ZoneInfo(schedule["timezone"]) and hour == "0" and 0 < int(minute) <= 15 and every == ["*", "*", "*"]
    assert "push" in workflow["on"] and "workflow_dispatch" in workflow["on"]
    runs = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    (build_step,) = [run for run in runs if run.startswith("voipdown build ")]
    assert "--base-url" in build_step and "_site" in build_step
    uploads = [step for step in workflow["jobs"]["build"]["steps"] if "upload-pages-artifact" in step.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"] == "_site"


def test_the_headers_file_gives_every_file_the_headers_the_service_sends(make_app, tmp_path):
    """`_headers` (Netlify, Cloudflare Pages): each built file matched by its rules gets the
    Content-Security-Policy, Referrer-Policy and CORS of the live answer at its address, and
    no two policies (a host joins the headers of every rule that matches)."""
    from voipdown.web.freeze import build as freeze

    app = make_app(ONGOING, VOIPDOWN_PUBLIC_URL=PUBLIC, VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3"))
    out = tmp_path / "site"
    freeze(app, out, dt.datetime.fromisoformat(AT))
    rules: list[tuple[re.Pattern, dict]] = []
    for line in (out / "_headers").read_text().splitlines():
        if line.startswith("/"):
            rules.append((re.compile(re.escape(line).replace(r"\*", ".*") + "$"), {}))
        elif line.startswith("  "):
            name, _, value = line.strip().partition(": ")
            rules[-1][1][name] = value
    client = app.test_client()
    for path in built_files(out):
        address = address_of(out, path)
        if address == "/_headers":
            continue
        served = "/campaign" + address  # the base URL's path
        matched = [headers for pattern, headers in rules if pattern.match(served)]
        policies = [headers["Content-Security-Policy"] for headers in matched if "Content-Security-Policy" in headers]
        live = client.get(address)
        assert policies == (
            [live.headers["Content-Security-Policy"]] if "Content-Security-Policy" in live.headers else []
        ), address
        joined = {name: value for headers in matched for name, value in headers.items()}
        assert joined.get("Referrer-Policy") == live.headers.get("Referrer-Policy"), address
        if "Access-Control-Allow-Origin" in live.headers:
            assert joined.get("Access-Control-Allow-Origin") == "*", address
        assert joined["X-Content-Type-Options"] == "nosniff"
    # A source with a path matches that path alone: the builder names the service's origin.
    assert "script-src 'self' https://count.example.org;" in client.get("/embed").headers["Content-Security-Policy"]
