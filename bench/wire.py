"""Bytes on the wire: what a reader downloads from `voipdown serve`, by encoding.

    python bench/wire.py [--json]

With --json: {"sizes": ..., "budgets": ..., "ribbon_2016": ...}, which tests/test_serve.py reads.

Starts the service on the bundled timeline and asks each answer as a browser does
(`Accept-Encoding: gzip, deflate, br`), as an older client (gzip only) and without
compression; counts the body bytes received. The 2016 reference is the original footer
ribbon: 1,086 bytes of script and an 8,577-byte PNG.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import get, serving  # noqa: E402
from voipdown.languages import SHIPPED  # noqa: E402
from voipdown.render.styles import STYLES  # noqa: E402

ENCODINGS = {"browser": "gzip, deflate, br", "gzip": "gzip", "none": "identity"}
BUDGETS = {"script": 3 * 1024, "tally script": 4608, "badge": 3 * 1024, "page": 12 * 1024}
"""The largest answer of each kind a browser may download, in bytes. The count's script, all
a page showing the count downloads besides its badge: 3 KB for any counter, tallies or not.
The bundled counter's tally script carries the live tally's code, its calls to action and its
three closed tallies' texts and values: a page showing one of them live downloads it and
nothing else (4.5 KB)."""
RIBBON_2016 = 1_086 + 8_577


def addresses() -> dict[str, list[str]]:
    return {
        "script": ["/embed/voip-ma.js"],
        "tally script": ["/embed/voip-ma/tallies.js"],
        "badge": [f"/badge/voip-ma.svg?lang={lang}&style={style}" for lang in SHIPPED for style in STYLES],
        "page": [f"/voip-ma?lang={lang}" for lang in SHIPPED],
        "builder": [f"/embed?lang={lang}" for lang in SHIPPED],
        "json": [f"/api/v1/counters/voip-ma?lang={lang}" for lang in SHIPPED],
        "feed": [f"/voip-ma/feed.atom?lang={lang}" for lang in SHIPPED],
    }


def measure(base: str) -> dict:
    """For each kind of answer and each client, the largest body received, and what it was."""
    sizes: dict = {}
    for kind, paths in addresses().items():
        for client, header in ENCODINGS.items():
            largest = max((len(get(base + path, {"Accept-Encoding": header})[2]), path) for path in paths)
            sizes.setdefault(kind, {})[client] = {"bytes": largest[0], "largest": largest[1]}
    inline_footer = sizes["script"]["browser"]["bytes"] + sizes["badge"]["browser"]["bytes"]
    sizes["inline footer (script and its badge)"] = {"browser": {"bytes": inline_footer}}
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with serving({"VOIPDOWN_TIMELINE": ""}) as (base, _):
        sizes = measure(base)
    if args.json:
        print(json.dumps({"sizes": sizes, "budgets": BUDGETS, "ribbon_2016": RIBBON_2016}, indent=2))
        return
    for kind, clients in sizes.items():
        budget = BUDGETS.get(kind)
        line = "  ".join(f"{client} {found['bytes']:>6,}" for client, found in clients.items())
        verdict = (
            f"  budget {budget:,}: {'met' if clients['browser']['bytes'] <= budget else 'MISSED'}" if budget else ""
        )
        print(f"{kind:<38}{line}{verdict}")
    print(f"{'2016 ribbon (script and PNG)':<38}{RIBBON_2016:,}")


if __name__ == "__main__":
    main()
