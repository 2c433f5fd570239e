"""The floor: a bare Flask app returning the same bytes as the service, with nothing else.

bench/serve.py fills BODIES from the running service before starting this app.
"""

import json
import os

from flask import Flask, Response

app = Flask(__name__)
BODIES = json.loads(os.environ.get("FLOOR_BODIES", "{}"))


@app.get("/<path:name>")
def same_bytes(name):
    content_type, body = BODIES[name]
    return Response(body.encode("latin-1"), content_type=content_type)
