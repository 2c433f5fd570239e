"""The badge core: bidi, shaping, layout, SVG and PNG, without a web server."""

import datetime as dt
import gzip
import io
import itertools
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image

from tests.helpers import contrast
from tests.timelines import EVERY_STATUS
from voipdown.badge_content import counter_badge, error_badge, every_badge_text, missing_glyphs
from voipdown.counting import count_at
from voipdown.languages import SHIPPED
from voipdown.palette import DARK_BACKGROUND, LIGHT_BACKGROUND, PALETTE, STATUS_COLORS
from voipdown.render.bidi import visual_runs
from voipdown.render.font import FontUnavailable, find_font, open_font
from voipdown.render.layout import layout_badge
from voipdown.render.png import render_png
from voipdown.render.shaping import shape_line
from voipdown.render.styles import LABEL_COLOR, STYLES, TEXT_COLOR
from voipdown.render.svg import render_svg
from voipdown.settings import bundled_timeline
from voipdown.timeline import parse_timeline

SVG = "{http://www.w3.org/2000/svg}"
INSTANT = dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def font():
    return open_font(find_font())


@pytest.fixture(scope="module")
def counters():
    return parse_timeline(EVERY_STATUS.encode()).counters


def names(font, line):
    return [font.glyph_name(glyph.glyph_id) for glyph in line.glyphs]


def test_digits_inside_arabic_keep_their_order(font):
    runs = visual_runs("رُفع بعد 304 أيام", rtl=True)
    assert [(run.text, run.rtl) for run in runs] == [(" أيام", True), ("304", False), ("رُفع بعد ", True)]
    line = shape_line(font, "رُفع بعد 304 أيام", rtl=True)
    digits = [
        (glyph.x, font.glyph_name(glyph.glyph_id))
        for glyph in line.glyphs
        if font.glyph_name(glyph.glyph_id) in ("three", "zero", "four")
    ]
    assert [name for _, name in sorted(digits)] == ["three", "zero", "four"]  # 304 left to right, not 403


def test_latin_inside_arabic_and_arabic_inside_latin(font):
    assert [run.text for run in visual_runs("حجب VoIP في المغرب", rtl=True)] == [" في المغرب", "VoIP", "حجب "]
    assert [run.text for run in visual_runs("Le mot سلام ici", rtl=False)] == ["Le mot ", "سلام", " ici"]


def test_arabic_is_joined_not_isolated(font):
    shaped = names(font, shape_line(font, "المغرب", rtl=True))
    letter_by_letter = [name for char in "المغرب" for name in names(font, shape_line(font, char, rtl=True))]
    assert shaped != letter_by_letter
    assert "uniFEDF" in shaped  # lam, initial form
    assert all(name.startswith("uni06") for name in letter_by_letter)  # isolated forms only


def test_shaped_arabic_badge_differs_from_letter_by_letter(font):
    message = "رُفع بعد 304 أيام"
    shaped = layout_badge(font, "عدّاد", message, "عدّاد: " + message, PALETTE["green"], "flat", "ar", True)
    # The same letters, each shaped alone (isolated forms), joined by a zero-width non-joiner.
    unshaped = layout_badge(font, "عدّاد", "\u200c".join(message), "عدّاد", PALETTE["green"], "flat", "ar", True)
    assert render_png(shaped, font) != render_png(unshaped, font)
    assert names(font, shaped.boxes[0].line) != names(font, unshaped.boxes[0].line)


def test_tifinagh_has_no_missing_glyph_boxes(font):
    line = shape_line(font, "ⵉⵜⵜⵓⴽⴽⵙ ⴷⴼⴼⵉⵔ 304 ⵏ ⵡⵓⵙⵙⴰⵏ", rtl=False)
    assert all(glyph.glyph_id != 0 for glyph in line.glyphs)


def test_every_badge_string_has_all_its_glyphs(font):
    timeline = parse_timeline(bundled_timeline().read_bytes())
    texts = list(every_badge_text(timeline))
    assert {lang for lang, _ in texts} == set(SHIPPED)
    assert ("ar", "رُفع بعد 1.234.567 يوم") in texts and ("fr", "LEVÉ APRÈS 1 234 567 JOURS") in texts
    assert missing_glyphs(font, timeline) == {}


def test_a_font_without_tifinagh_is_caught(font, tmp_path):
    from fontTools.ttLib import TTFont

    from voipdown.render.font import open_font as reopen

    latin_only = tmp_path / "latin.ttf"
    subset = TTFont(font.path)
    cmap = subset.getBestCmap()
    for table in subset["cmap"].tables:
        table.cmap = {code: name for code, name in table.cmap.items() if code < 0x0600 or 0x2000 <= code < 0x2070}
    subset.save(latin_only)
    assert len(cmap) > 1000
    missing = missing_glyphs(reopen(latin_only), parse_timeline(bundled_timeline().read_bytes()))
    assert set(missing) == {"ar", "zgh"}
    assert "ⵙ" in missing["zgh"]


def test_palette_keeps_text_readable():
    assert contrast(TEXT_COLOR, "#555555") >= 4.5 and LABEL_COLOR == "#555"
    for name, color in PALETTE.items():
        assert contrast(TEXT_COLOR, color) >= 4.5, name


def test_one_colour_per_status_readable_everywhere():
    """Ongoing red, ended green, upcoming blue, on the badge, the page, the frame and the
    corner card (both themes) and the share image; every text on them at 4.5:1 or more."""
    hues = {"ongoing": "red", "ended": "green", "upcoming": "blue"}
    assert {status: colors.badge for status, colors in STATUS_COLORS.items()} == hues
    for status, colors in STATUS_COLORS.items():
        assert contrast(TEXT_COLOR, PALETTE[colors.badge]) >= 4.5, status
        assert contrast(colors.on_light, LIGHT_BACKGROUND) >= 4.5, status
        assert contrast(colors.on_dark, DARK_BACKGROUND) >= 4.5, status
        assert contrast(TEXT_COLOR, colors.card) >= 4.5, status
        assert contrast(colors.card_soft, colors.card) >= 4.5, status
        assert hue(colors.on_light) == hue(colors.on_dark) == hue(colors.card) == hue(PALETTE[colors.badge]), status


def hue(color):
    """Red, green or blue: the strongest channel."""
    channels = [int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "rgb"[channels.index(max(channels))]


ALL_BADGES = list(itertools.product(STYLES, SHIPPED, ("ongoing", "ended", "upcoming")))


@pytest.mark.parametrize("style, lang, status", ALL_BADGES)
def test_every_badge_is_well_formed_small_and_the_png_matches_its_geometry(font, counters, style, lang, status):
    counter = counters[status]
    count = count_at(counter, INSTANT)
    assert count.status.value == status
    layout = counter_badge(font, counter, count, lang, style, None)
    svg = render_svg(layout, font)
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    sentence = f"{counter.title_in(lang)}: "
    assert root.get("aria-label").startswith(sentence)
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    assert root.find(f".//{SVG}text") is None and root.find(f".//{SVG}script") is None
    assert "http" not in svg.replace("http://www.w3.org/", "")  # no external reference
    assert len(gzip.compress(svg.encode(), 9)) <= 3 * 1024, "over 3 KB gzipped"
    width, height = int(root.get("width")), int(root.get("height"))
    assert (width, height) == (layout.width, layout.height) and height == STYLES[style].height
    for scale in (1, 2, 4):
        image = Image.open(io.BytesIO(render_png(layout, font, scale)))
        assert image.format == "PNG" and image.size == (width * scale, height * scale)


def test_right_to_left_badges_put_the_label_on_the_right(font, counters):
    count = count_at(counters["ended"], INSTANT)
    arabic = counter_badge(font, counters["ended"], count, "ar", "flat", None)
    french = counter_badge(font, counters["ended"], count, "fr", "flat", None)
    assert arabic.boxes[-1].fill == LABEL_COLOR and french.boxes[0].fill == LABEL_COLOR


def test_statuses_read_naturally(font, counters):
    sentences = {
        status: counter_badge(font, counters[status], count_at(counters[status], INSTANT), "fr", "flat", None).sentence
        for status in ("ongoing", "ended", "upcoming")
    }
    assert sentences["ended"] == "Blocage de la VoIP au Maroc: levé après 304 jours"
    assert sentences["ongoing"] == "Blocage de la VoIP au Maroc: depuis 3\u202f975 jours"
    assert sentences["upcoming"] == "Blocage annoncé: à partir du 5 janvier 2099"


def test_svg_escapes_every_text(font):
    layout = layout_badge(
        font,
        '<b>"x" & y</b>',
        "</title><script>",
        '<b>"x" & y</b>: </title><script>',
        PALETTE["red"],
        "flat",
        "en",
        False,
    )
    svg = render_svg(layout, font)
    ElementTree.fromstring(svg)
    assert "<b>" not in svg and "<script>" not in svg and "&lt;script&gt;" in svg


def test_error_badges_name_only_our_parameters(font):
    layout = error_badge(font, "fr", "flat", parameter="style")
    assert layout.sentence == "compteur: paramètre style invalide"
    assert error_badge(font, "ar", "flat", not_found=True).sentence == "عدّاد: غير موجود"
    with pytest.raises(ValueError):
        error_badge(font, "fr", "flat", parameter="<script>")


def test_png_rejects_out_of_range_scales(font):
    layout = layout_badge(font, "a", "b", "a: b", PALETTE["red"], "flat", "en", False)
    for scale in (0, 5):
        with pytest.raises(ValueError):
            render_png(layout, font, scale)


def test_font_lookup(tmp_path):
    assert find_font().name == "DejaVuSans.ttf"
    with pytest.raises(FontUnavailable, match="VOIPDOWN_FONT"):
        find_font(str(tmp_path / "nothing.ttf"))
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    with pytest.raises(FontUnavailable):
        open_font(junk)
