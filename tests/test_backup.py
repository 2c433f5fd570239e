"""`voipdown backup DIR` while the real service serves and takes pushes: every sample
acknowledged before the backup began is in the copy, and a service started on the copy serves it."""

import csv
import datetime as dt
import http.client
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from tests.helpers import server_env
from tests.servers import get, serving
from tests.timelines import CALLS_TOKEN
from voipdown.tallies.model import shown

PATH = "/api/v1/counters/shutdown/tallies/calls/samples"
PUSHERS = 4


def _pusher(base: str, first: dt.datetime, index: int, stop: threading.Event, acknowledged: list, refused: list):
    """Push one sample at a time, each at its own instant, on a kept-alive connection; note
    each acknowledged one with the moment its 201 arrived."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    sent = 0
    while not stop.is_set():
        at = first + dt.timedelta(milliseconds=sent * PUSHERS + index)
        value = 1_000 + sent * PUSHERS + index
        body = json.dumps({"at": shown(at), "value": value})
        connection.request(
            "POST",
            PATH,
            body,
            {"Authorization": f"Bearer {CALLS_TOKEN}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        if response.status == 201:
            acknowledged.append((time.monotonic(), shown(at), value))
        else:
            refused.append(response.status)
        sent += 1
    connection.close()


def test_a_backup_under_push_load_holds_every_acknowledged_sample_and_serves_from_the_copy(tmp_path):
    env = server_env(tmp_path, VOIPDOWN_PARTICIPANTS_NEW_PER_HOUR="1000")
    state = tmp_path / "state" / "voipdown"
    folder = tmp_path / "backups" / "today"
    with serving(env, workers=2) as (base, _):
        # A participating site, written to its store before the backup.
        get(base + "/badge/shutdown.svg", headers={"Referer": "https://blog.example.ma/post"})
        deadline = time.monotonic() + 30
        while not (state / "participants.sqlite3").exists() or not _hosts(state / "participants.sqlite3"):
            assert time.monotonic() < deadline, "the participants store was not written"
            time.sleep(0.2)

        # A reader that keeps a snapshot from before the pushes (a long CSV, the sqlite3 shell): no
        # checkpoint can then move the new samples from the WAL into the main file, as in a busy hour.
        # A copy of the file alone would miss them; SQLite's backup reads them where they are.
        holder = sqlite3.connect(env["VOIPDOWN_TALLY_STORE"], isolation_level=None)
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM samples").fetchone()
        first = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        stop, acknowledged, refused = threading.Event(), [], []
        pushers = [
            threading.Thread(target=_pusher, args=(base, first, n, stop, acknowledged, refused)) for n in range(PUSHERS)
        ]
        for pusher in pushers:
            pusher.start()
        try:
            _wait(lambda: len(acknowledged) >= 300 or refused, "300 pushes acknowledged")
            began = time.monotonic()
            done = _backup(env, folder)
            backed_up = time.monotonic()
            # Pushes go on after it.
            _wait(lambda: sum(1 for when, *_ in acknowledged if when > backed_up) >= 50 or refused, "later pushes")
        finally:
            stop.set()
            for pusher in pushers:
                pusher.join(timeout=30)
            holder.close()
        assert done.returncode == 0, done.stderr
        assert not refused, refused  # no push refused while the copy was made
        during = [sample for sample in acknowledged if began < sample[0] < backed_up]

    before = {(at, value) for when, at, value in acknowledged if when < began}
    copy = folder / "tallies.sqlite3"
    assert "tally samples:" in done.stdout and str(copy) in done.stdout
    assert sorted(os.listdir(folder)) == ["participants.sqlite3", "tallies.sqlite3"]  # no partial file left
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = connection.execute("SELECT count(*) FROM samples").fetchone()[0]
    assert len(before) <= stored <= len(acknowledged)
    assert _hosts(folder / "participants.sqlite3") == ["blog.example.ma"]

    # A service started on the copy serves every sample acknowledged before the backup began.
    (tmp_path / "restored").mkdir()
    restored = server_env(tmp_path / "restored", VOIPDOWN_TALLY_STORE=str(copy))
    with serving(restored, workers=1) as (again, _):
        status, _, body = get(again + "/api/v1/counters/shutdown/tallies/calls/samples.csv")
        assert status == 200
        served = {(row["at"], int(row["value"])) for row in csv.DictReader(io.StringIO(body.decode()))}
    assert before <= served, f"{len(before - served)} acknowledged samples missing from the copy"
    assert len(before) >= 300 and during, "pushes were acknowledged while the backup ran"


def _wait(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.05)


def _backup(env: dict, folder) -> subprocess.CompletedProcess:
    """`voipdown backup FOLDER` as an operator runs it, with the service's settings."""
    return subprocess.run(
        [sys.executable, "-m", "voipdown", "backup", str(folder)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _hosts(path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        try:
            return [row[0] for row in connection.execute("SELECT host FROM participants ORDER BY host")]
        except sqlite3.OperationalError:  # not made yet
            return []


def test_backup_refuses_redis_stores_and_says_what_to_do(tmp_path):
    done = _backup({**server_env(tmp_path), "VOIPDOWN_REDIS_URL": "redis://127.0.0.1:1/0"}, tmp_path / "out")
    assert done.returncode == 1 and "back up Redis itself" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_backup_of_a_service_that_never_stored_anything_copies_nothing_and_makes_no_store(tmp_path):
    done = _backup(server_env(tmp_path), tmp_path / "out")
    assert done.returncode == 0 and done.stdout.count("nothing to copy") == 2
    assert not (tmp_path / "tallies.sqlite3").exists() and os.listdir(tmp_path / "out") == []


def test_backup_never_replaces_a_live_store_with_its_copy(tmp_path):
    env = server_env(tmp_path)
    (tmp_path / "tallies.sqlite3").write_bytes(b"")  # where the store is: the folder given
    done = _backup(env, tmp_path)
    assert done.returncode == 1 and "holds the store itself" in done.stderr
