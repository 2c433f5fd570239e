"""What a page that embeds the counter downloads: the generated script we serve, against
the alternative design, a static script that fetches the JSON.

    python bench/embed_size.py

Bytes are gzipped (level 9), as a server or CDN sends them.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voipdown import create_app  # noqa: E402
from voipdown.embed_code import _compact, asset  # noqa: E402

LIMIT = 3 * 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def main() -> None:
    client = create_app().test_client()
    script = client.get("/embed/voip-ma.js").data
    static_core = _compact(asset("counter.js")).encode() + asset("counter.css").encode()
    one_language = client.get("/api/v1/counters/voip-ma?lang=ar").data
    data = re.search(rb"\((\{.*\})\);\s*$", script, re.S).group(1)
    print("generated script, every language (what we serve):")
    verdict = "met" if gz(script) <= LIMIT else "MISSED"
    print(f"  1 request, {gz(script)} bytes gzipped ({len(script)} raw); limit {LIMIT}: {verdict}")
    print(f"  of which the data (texts in 4 languages, and the CSS): {gz(data)} bytes gzipped")
    single = client.get("/embed/voip-ma.ar.js").data
    verdict = "met" if gz(single) <= LIMIT else "MISSED"
    print(
        f"generated script, one language (what the snippets load): {gz(single)} bytes gzipped; limit {LIMIT}: {verdict}"
    )
    print("static script + JSON (the alternative):")
    both = gz(static_core) + gz(one_language)
    print(f"  2 requests in sequence, {gz(static_core)} + {gz(one_language)} = {both} bytes gzipped")


if __name__ == "__main__":
    main()
