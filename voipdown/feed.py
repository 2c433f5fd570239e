"""Atom feeds of a counter: its events and its milestone days, for feed readers and bots."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from voipdown.counting import Count, Status
from voipdown.isolation import isolate
from voipdown.texts import event_title, milestone
from voipdown.timeline import Counter
from voipdown.zones import start_of_day

ATOM = "http://www.w3.org/2005/Atom"
HUNDREDS = 100
YEAR = 365


def milestones(counter: Counter, count: Count) -> list[int]:
    """Round numbers of days reached so far: every hundred, and every year (365, 730...)."""
    if count.status is Status.UPCOMING:
        return []
    reached = count.days
    marks = set(range(HUNDREDS, reached + 1, HUNDREDS)) | set(range(YEAR, reached + 1, YEAR))
    return sorted(marks)


def _instant(day: dt.date, counter: Counter) -> str:
    return start_of_day(day, counter.timezone).isoformat()


def feed_authority(counter: Counter, public_url: str | None) -> str | None:
    """The host name that makes `counter`'s feed and entry ids: its own address in the
    timeline, else the service's public address; None if neither is known (the web layer
    then falls back on the request's host, and `voipdown doctor` and /healthz warn)."""
    for address in (counter.url, public_url):
        host = urlsplit(address).hostname if address else None
        if host:
            return host
    return None


def atom_feed(
    counter: Counter, count: Count, lang: str, self_url: str, page_url: str, authority: str, author: str
) -> bytes:
    """The feed; its ids are `tag:` URIs minted from `authority` (feed_authority), so a
    reader that reaches us by another address sees the same entries; `author` is the site's name."""
    tag = f"tag:{authority},{counter.start.year}:{counter.slug}"
    entries = []
    for index, event in enumerate(counter.events):
        title, _ = event_title(event, counter, lang)
        link = next((source.url for source in event.sources if source.url), page_url)
        summary = isolate(", ".join(source.name for source in event.sources), lang)
        title = isolate(title, lang)
        entries.append((event.date, f"{tag}/event/{index}", title, link, summary))
    for days in milestones(counter, count):
        day = counter.start + dt.timedelta(days=days)
        entries.append((day, f"{tag}/day/{days}", milestone(counter, days, lang), page_url, ""))
    entries.sort(key=lambda entry: entry[0], reverse=True)

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = tag
    ET.SubElement(feed, f"{{{ATOM}}}title").text = isolate(counter.title_in(lang), lang)
    updated = entries[0][0] if entries else counter.start
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _instant(updated, counter)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": page_url})
    author_element = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author_element, f"{{{ATOM}}}name").text = isolate(author, lang)
    for day, entry_id, title, link, summary in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id
        ET.SubElement(entry, f"{{{ATOM}}}title").text = title
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _instant(day, counter)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"href": link})
        if summary:
            ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
