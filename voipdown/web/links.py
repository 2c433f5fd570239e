"""Absolute addresses, from VOIPDOWN_PUBLIC_URL when set, else from the request; each in
its path form (voipdown/web/path_forms.py), so that it works on a static host too."""

from __future__ import annotations

from flask import request

from voipdown.embed_code import Links
from voipdown.web.negotiation import negotiated
from voipdown.web.path_forms import path_form
from voipdown.web.state import service


def absolute(endpoint: str, **values) -> str:
    path = path_form(endpoint, **values)
    public = service().settings.public_url
    if public:
        return public + path
    negotiated("Host")  # the request's host is in the answer now: it is the reader's alone
    return request.host_url.rstrip("/") + path


def counter_links(slug: str, lang: str) -> Links:
    return Links(
        page=absolute("site.counter_page", slug=slug, lang=lang),
        badge_svg=absolute("badges.badge", name=f"{slug}.svg", lang=lang),
        badge_png=absolute("badges.badge", name=f"{slug}.png", lang=lang),
        frame=absolute("embed.frame", slug=slug, lang=lang),
        script=absolute("embed.script", name=f"{slug}.js", lang=lang),
    )
