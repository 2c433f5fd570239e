"""Atom feeds of a counter: its events and its milestone days, for feed readers and bots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from voipdown.counting import Count, Status, count_at
from voipdown.isolation import isolate
from voipdown.texts import event_title, milestone, status_sentence
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


def _instant(day: dt.date, counter: Counter, order: int = 0) -> str:
    """When an entry of `day` is said to be updated: the day's start in the counter's zone,
    one second later for each entry of that day before it (a feed reader sorts and tells
    entries apart by `updated`; two alike are one too many for the W3C validator)."""
    return (start_of_day(day, counter.timezone) + dt.timedelta(seconds=order)).isoformat()


def feed_authority(counter: Counter, public_url: str | None) -> str | None:
    """The host name that makes `counter`'s feed and entry ids: its own address in the
    timeline, else the service's public address; None if neither is known (the web layer
    then falls back on the request's host, and `voipdown doctor` and /healthz warn)."""
    for address in (counter.url, public_url):
        host = urlsplit(address).hostname if address else None
        if host:
            return host
    return None


@dataclass(frozen=True)
class _Entry:
    day: dt.date
    id: str
    title: str
    link: str
    summary: str
    updated: str = ""


def atom_feed(
    counter: Counter, count: Count, lang: str, self_url: str, page_url: str, authority: str, author: str
) -> bytes:
    """The feed; its ids are `tag:` URIs minted from `authority` (feed_authority), so a
    reader that reaches us by another address sees the same entries; `author` is the site's name.
    Every entry says something beside its title: an event its sources, a milestone the
    counter's state on that day."""
    tag = f"tag:{authority},{counter.start.year}:{counter.slug}"
    entries = []
    for index, event in enumerate(counter.events):
        title, _ = event_title(event, counter, lang)
        link = next((source.url for source in event.sources if source.url), page_url)
        summary = ", ".join(source.name for source in event.sources)
        entries.append(_Entry(event.date, f"{tag}/event/{index}", isolate(title, lang), link, isolate(summary, lang)))
    for days in milestones(counter, count):
        day = counter.start + dt.timedelta(days=days)
        then = count_at(counter, start_of_day(day, counter.timezone))
        summary = isolate(status_sentence(counter, then, lang), lang)  # « Bloqué depuis le 5 janvier 2016. »
        entries.append(_Entry(day, f"{tag}/day/{days}", milestone(counter, days, lang), page_url, summary))
    entries = _dated(entries, counter)

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = tag
    ET.SubElement(feed, f"{{{ATOM}}}title").text = isolate(counter.title_in(lang), lang)
    updated = entries[0].updated if entries else _instant(counter.start, counter)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": self_url})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": page_url})
    author_element = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author_element, f"{{{ATOM}}}name").text = isolate(author, lang)
    for item in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = item.id
        ET.SubElement(entry, f"{{{ATOM}}}title").text = item.title
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = item.updated
        ET.SubElement(entry, f"{{{ATOM}}}link", {"href": item.link})
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = item.summary
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _dated(entries: list[_Entry], counter: Counter) -> list[_Entry]:
    """The entries newest first, each with its own `updated`: a day's entries one second
    apart, in the timeline's order and then the milestone's."""
    dated, previous, order = [], None, 0
    for entry in sorted(entries, key=lambda entry: entry.day):  # stable: a day's keep their order
        order = order + 1 if entry.day == previous else 0
        previous = entry.day
        dated.append(replace(entry, updated=_instant(entry.day, counter, order)))
    return dated[::-1]
