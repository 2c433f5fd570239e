"""A client generated from our OpenAPI description by openapi-python-client reads every JSON
answer and pushes in every form: what a tool's author gets from /api/openapi.json is usable."""

import datetime as dt
import importlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.browser import LiveServer
from tests.timelines import CALLS_TOKEN, collecting

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "docs" / "openapi-client.yml"
# The petition tally is collected (its JSON then says how that goes) and takes pushes too;
# the source is never asked (VOIPDOWN_COLLECT is off in the suite).
TIMELINE = collecting('url = "https://petition.example.org/dz.json"\npointer = "/count"\nevery = 60')
WARNING = re.compile(r"^WARNING parsing (GET|POST|DELETE|PUT|PATCH) (\S+) within", re.M)


@pytest.fixture(scope="module")
def server(make_app, tmp_path_factory):
    folder = tmp_path_factory.mktemp("client-store")
    app = make_app(TIMELINE, VOIPDOWN_TALLY_STORE=str(folder / "tallies.sqlite3"), VOIPDOWN_DISCOVERY="off")
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="module")
def generated(server, tmp_path_factory):
    """The client package generated from the description the server answers, and what the
    generator said."""
    folder = tmp_path_factory.mktemp("generated")
    description = folder / "openapi.json"
    with urllib.request.urlopen(server.url + "/api/openapi.json") as response:
        description.write_bytes(response.read())
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [Path(sys.executable).parent / "openapi-python-client", "generate", "--path", description]
        + ["--output-path", folder / "client", "--config", CONFIG],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    sys.path.insert(0, str(folder / "client"))
    try:
        yield importlib.import_module("voipdown_client"), json.loads(description.read_text()), output
    finally:
        sys.path.remove(str(folder / "client"))
        for name in [name for name in sys.modules if name.split(".")[0] == "voipdown_client"]:
            del sys.modules[name]


def _json_operations(document: dict) -> set[tuple[str, str]]:
    """(method, path) of every operation that answers or takes JSON."""
    found = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            bodies = [operation.get("requestBody", {}).get("content", {})]
            bodies += [answer.get("content", {}) for status, answer in operation["responses"].items() if status < "300"]
            if any("application/json" in body for body in bodies):
                found.add((method.upper(), path))
    return found


def test_the_generator_warns_of_nothing_that_is_json(generated):
    _, document, output = generated
    warned = set(WARNING.findall(output))
    json_operations = _json_operations(document)
    assert len(json_operations) >= 10
    assert not warned & json_operations, output
    # What it does warn of: answers that are images, feeds and an icon, which it leaves to the caller.
    reasons = re.findall(r"\(Unsupported content_type ([^)]*)\)", output)
    assert len(reasons) == len(WARNING.findall(output)) and all("json" not in reason for reason in reasons), output


def _same(parsed, response) -> None:
    """The generated model read every field, each with its type: written back, it is the answer."""
    assert parsed is not None and type(parsed).__module__.startswith("voipdown_client.models"), response.content
    assert parsed.to_dict() == json.loads(response.content)


def test_the_generated_client_reads_every_json_answer_and_pushes(generated, server):
    package, _, _ = generated
    api = importlib.import_module("voipdown_client.api.default")
    models = importlib.import_module("voipdown_client.models")
    types = importlib.import_module("voipdown_client.types")

    def call(name: str, *args, **kwargs):
        if "lang" in kwargs:  # each operation has its enum of the site's languages
            kwargs["lang"] = getattr(models, name.title().replace("_", "") + "Lang")(kwargs["lang"])
        response = importlib.import_module(f"{api.__name__}.{name}").sync_detailed(*args, **kwargs)
        return response, response.parsed

    client = package.Client(base_url=server.url, raise_on_unexpected_status=True)
    pusher = package.AuthenticatedClient(base_url=server.url, token=CALLS_TOKEN, raise_on_unexpected_status=True)
    slug, tally = "dz-coupure", "petition"
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    # Pushes: one value, many samples, a CSV; each answered with the tally as the client reads it.
    one = models.PushOne(value=1300, at=now - dt.timedelta(minutes=3))
    response, result = call("post_api_v1_counters_slug_tallies_name_samples", slug, tally, client=pusher, body=one)
    assert response.status_code == 201 and isinstance(result, models.PushResult) and result.accepted == 1
    _same(result, response)
    many = models.PushMany(
        samples=[models.PushedSample(at=now - dt.timedelta(minutes=m), value=1300 + 10 * (3 - m)) for m in (2, 1)]
    )
    response, result = call("post_api_v1_counters_slug_tallies_name_samples", slug, tally, client=pusher, body=many)
    assert response.status_code == 201 and result.accepted == 2 and result.tally.value == 1320
    csv = f"at,value\n{now.isoformat().replace('+00:00', 'Z')},1330\n".encode()
    body = types.File(payload=io.BytesIO(csv), mime_type="text/csv")
    response, result = call(
        "post_api_v1_counters_slug_tallies_name_samples", slug, tally, client=pusher, body=body, lang="ar"
    )
    assert response.status_code == 201 and result.tally.value == 1330 and result.tally.dir_.value == "rtl"
    _same(result, response)

    # Every JSON answer, read into its model.
    for name, args, kwargs in [
        ("get_api_v1_counters", (), {"lang": "ar"}),
        ("get_api_v1_counters_slug", (slug,), {"lang": "fr"}),
        ("get_api_v1_counters_slug_shields_json", (slug,), {}),
        ("get_api_v1_counters_slug_tallies", (slug,), {}),
        ("get_api_v1_counters_slug_tallies_name", (slug, tally), {"lang": "ar"}),
        ("get_api_v1_counters_slug_tallies_name_samples", (slug, tally), {"points": 3}),
        ("get_api_v1_counters_slug_tallies_name_shields_json", (slug, tally), {}),
        ("get_healthz", (), {}),
        ("get_api_openapi_json", (), {}),
    ]:
        response, parsed = call(name, *args, client=client, **kwargs)
        assert response.status_code == 200, name
        _same(parsed, response)
        if name == "get_api_v1_counters_slug_tallies_name":
            assert parsed.collect.state.value == "pending" and parsed.dir_.value == "rtl" and parsed.value == 1330
            assert parsed.title == parsed.label and parsed.url == "https://petition.example.org/dz"
        if name == "get_api_v1_counters_slug_tallies_name_samples":
            assert parsed.downsampled is True and [s.value for s in parsed.samples] == [1260, 1300, 1330]
            assert parsed.samples[0].source.name == "Le collectif"

    # A refusal is read as the Error model, naming what is wrong.
    refused = package.Client(base_url=server.url)
    response, error = call("get_api_v1_counters_slug_tallies_name_samples", slug, tally, client=refused, points=0)
    assert response.status_code == 400 and isinstance(error, models.Error) and error.error.parameter == "points"

    # Removing the CSV's sample: 204.
    response, _ = call("delete_api_v1_counters_slug_tallies_name_samples", slug, tally, client=pusher, at=now)
    assert response.status_code == 204
    response, parsed = call("get_api_v1_counters_slug_tallies_name", slug, tally, client=client)
    assert parsed.value == 1320
