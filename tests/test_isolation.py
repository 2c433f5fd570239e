"""Latin runs isolated inside right-to-left text: plain text and HTML."""

import xml.etree.ElementTree as ElementTree

import pytest

from voipdown.isolation import LRI, PDI, isolate, isolate_html, latin_runs


@pytest.mark.parametrize(
    "text, runs",
    [
        ("#OpeUnlike: مروان يدعو", ["#OpeUnlike"]),
        ("جوائز Maroc Web Awards وتؤكد", ["Maroc Web Awards"]),
        ("الإنترنت المتنقل (3G/4G). حملة VoIP Down الأيام", ["3G/4G", "VoIP Down"]),
        ("سكايب وواتساب", []),
        ("قيمة غير صالحة لـ «lang».", ["lang"]),  # the closing punctuation stays Arabic
    ],
)
def test_latin_runs(text, runs):
    parts = latin_runs(text)
    assert "".join(part for part, _ in parts) == text
    assert [part for part, latin in parts if latin] == runs


def test_plain_and_html_isolation_only_in_right_to_left_languages():
    assert isolate("#OpeUnlike: مروان", "ar") == f"{LRI}#OpeUnlike{PDI}: مروان"
    assert isolate("#OpeUnlike : Marouane", "fr") == "#OpeUnlike : Marouane"
    assert (
        isolate_html("<b>#x</b> عربي", "ar")
        == '&lt;<bdi dir="ltr">b</bdi>&gt;<bdi dir="ltr">#x</bdi>&lt;/<bdi dir="ltr">b</bdi>&gt; عربي'
    )
    assert isolate_html("<b>", "en") == "&lt;b&gt;"


def test_the_arabic_feed_and_json_isolate_latin_runs(make_app):
    client = make_app(None).test_client()
    feed = ElementTree.fromstring(client.get("/voip-ma/feed.atom?lang=ar").data)
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [entry.find(f"{atom}title").text for entry in feed.findall(f"{atom}entry")]
    assert any(title and title.startswith(f"{LRI}#OpeUnlike{PDI}") for title in titles)
    french = ElementTree.fromstring(client.get("/voip-ma/feed.atom?lang=fr").data)
    assert LRI not in ElementTree.tostring(french, encoding="unicode")
