"""`voipdown tally push`, the feeder docs/tallies.md recommends, as a program: against a real
server, with a token from the environment or a file, its exit statuses, its retries of a
busy service; and the documented cron line, run as cron runs it (almost no environment)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import LiveServer
from tests.servers import get
from tests.sources import Source, send
from tests.timelines import CALLS_TOKEN, ONGOING

ROOT = Path(__file__).resolve().parent.parent
VOIPDOWN = str(Path(sys.executable).with_name("voipdown"))
TALLY = "/api/v1/counters/shutdown/tallies/calls"
TOKEN = "VOIPDOWN_TALLY_TOKEN"


@pytest.fixture(scope="module")
def service(make_app, tmp_path_factory):
    app = make_app(ONGOING, VOIPDOWN_TALLY_STORE=str(tmp_path_factory.mktemp("cli") / "t.sqlite3"))
    with LiveServer(app) as server:
        yield server


def push(*args, env=None, timeout=60):
    """The command as a shell runs it: this environment's PATH and nothing of ours."""
    environ = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **(env or {})}
    return subprocess.run(
        [VOIPDOWN, "tally", "push", *args], env=environ, capture_output=True, text=True, timeout=timeout
    )


def value_of(service) -> int:
    return json.loads(get(service.url + TALLY)[2])["value"]


def test_a_push_with_the_token_from_the_environment(service):
    done = push("shutdown/calls", "77", "--url", service.url, env={"VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN})
    assert done.returncode == 0, done.stderr
    assert "shutdown/calls: accepted 1" in done.stdout and value_of(service) == 77
    again = push("shutdown/calls", "78", env={"VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN, "VOIPDOWN_PUBLIC_URL": service.url})
    assert again.returncode == 0 and value_of(service) == 78
    assert CALLS_TOKEN not in done.stdout + done.stderr + again.stdout + again.stderr
    assert "ignoring unknown setting" not in done.stderr


def test_a_push_at_an_instant_with_the_token_from_a_file(service, tmp_path):
    token = tmp_path / "token"
    token.write_text(CALLS_TOKEN + "\n")
    token.chmod(0o600)
    done = push(
        "shutdown/calls", "5", "--at", "2024-03-03T10:00:00+01:00", "--url", service.url, "--token-file", str(token)
    )
    assert done.returncode == 0, done.stderr
    window = "since=2024-03-03T09:00:00Z&until=2024-03-03T09:00:00Z"
    samples = json.loads(get(f"{service.url}{TALLY}/samples?{window}")[2])
    assert [sample["value"] for sample in samples["samples"]] == [5]


@pytest.mark.parametrize(
    "args, env, status, words",
    [
        (
            ["shutdown/calls", "1"],
            {"VOIPDOWN_TALLY_TOKEN": "wrong"},
            1,
            "401 unauthorized: A push needs the tally's token",
        ),
        (["shutdown/nothing", "1"], {"VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN}, 1, "404 unknown_tally"),
        (
            ["shutdown/calls", "1", "--at", "2000-01-01T00:00:00Z"],
            {"VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN},
            1,
            "bad_sample",
        ),
        (["shutdown/calls", "1"], {}, 2, "VOIPDOWN_TALLY_TOKEN"),
        (["shutdown/calls", ""], {"VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN}, 2, "VALUE"),
        (["shutdown", "1"], {"VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN}, 2, "SLUG/TALLY"),
    ],
    ids=["wrong token", "unknown tally", "before the start", "no token", "no value", "no tally name"],
)
def test_a_refusal_exits_1_with_its_message(service, args, env, status, words):
    done = push(*args, "--url", service.url, env=env)
    assert done.returncode == status, (done.stdout, done.stderr)
    assert words in done.stderr
    assert "wrong" not in done.stderr.replace("wrong token", "")  # the token sent is never repeated


def test_a_busy_service_is_asked_again_after_its_retry_after():
    answers = iter([503, 503, 201])

    def busy_then_stored(handler):
        status = next(answers)
        length = int(handler.headers.get("Content-Length", 0))
        handler.rfile.read(length)
        body = {"error": {"code": "busy", "message": "Busy."}} if status == 503 else {"accepted": 1, "duplicates": 0}
        send(handler, status, json.dumps(body).encode(), headers={"Retry-After": "1"} if status == 503 else {})

    with Source() as source:
        source.routes[TALLY + "/samples"] = busy_then_stored
        done = push("shutdown/calls", "9", "--url", source.url, env={"VOIPDOWN_TALLY_TOKEN": "t"})
        assert done.returncode == 0, done.stderr
        times = source.times_of(TALLY + "/samples")
        assert len(times) == 3 and all(b - a >= 0.9 for a, b in zip(times, times[1:], strict=False))


def test_the_documented_cron_line_runs_as_cron_runs_it(service, tmp_path):
    """docs/tallies.md's crontab, as it is written: its variables, then its line, run by /bin/sh
    with cron's environment (HOME, LOGNAME, SHELL, PATH=/usr/bin:/bin and the crontab's)."""
    text = (ROOT / "docs" / "tallies.md").read_text(encoding="utf-8")
    (crontab,) = re.findall(r"```cron\n(.*?)```", text, re.S)
    variables, lines = {}, []
    for line in crontab.splitlines():
        if re.match(r"^[A-Z_]+=", line):
            name, _, value = line.partition("=")
            variables[name] = value
        elif line.strip():
            lines.append(line)
    (line,) = lines
    command = line.split(None, 5)[5]
    counting = tmp_path / "count-signatures"
    counting.write_text("#!/bin/sh\necho 4321\n")
    counting.chmod(0o755)
    # The placeholders, for this machine's: its voipdown, its count script, its tally and service.
    command = (
        command.replace("/usr/local/bin/voipdown", VOIPDOWN)
        .replace("/usr/local/bin/count-signatures", str(counting))
        .replace("voip-ma/petition", "shutdown/calls")
    )
    assert set(variables) == {"VOIPDOWN_PUBLIC_URL", "VOIPDOWN_TALLY_TOKEN"}
    variables = {"VOIPDOWN_PUBLIC_URL": service.url, "VOIPDOWN_TALLY_TOKEN": CALLS_TOKEN}
    cron = {"HOME": str(tmp_path), "LOGNAME": "root", "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", **variables}
    done = subprocess.run(["/bin/sh", "-c", command], env=cron, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert value_of(service) == 4321
    counting.write_text("#!/bin/sh\nexit 1\n")  # a count script that prints nothing: refused, not pushed
    failed = subprocess.run(["/bin/sh", "-c", command], env=cron, capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0 and value_of(service) == 4321
