"""Timeline texts for tests: small, valid, and easy to break one field at a time."""

import os

ONGOING = """\
default_counter = "shutdown"

[counters.shutdown]
timezone = "Africa/Casablanca"
start = 2024-03-01
default_lang = "fr"
url = "https://campaign.example.org"
aliases = ["old-shutdown"]

[counters.shutdown.title]
fr = "Coupure d’exemple"
ar = "قطع تجريبي"
zgh = "ⴰⴳⴷⴰⵍ"
en = "Example shutdown"

[[counters.shutdown.events]]
date = 2024-03-01
sources = [{ name = "Example Times", url = "https://news.example.org/a" }, { name = "Radio" }]
[counters.shutdown.events.title]
fr = "Début"
en = "Start"

[counters.shutdown.tallies.calls]
title = { fr = "Appels signalés", en = "Calls reported" }
unit = "people"
start = 2024-03-01
interval = 60
token_sha256 = "08377e57e2aa835a3724c4b24725398d67c2ee4eebd6214ac554020268a8040a"  # of CALLS_TOKEN

[[counters.shutdown.tallies.calls.samples]]
at = 2024-03-02
value = 12
source = { name = "Campaign newsletter" }

[[counters.shutdown.participants]]
name = "Blog"
url = "https://blog.example.org"
kind = "blog"

[counters.lifted]
timezone = "Europe/Paris"
start = 2020-01-01
end = 2020-04-10
default_lang = "en"
title = { en = "Lifted example" }

[counters.future]
timezone = "Asia/Tokyo"
start = 2099-01-01
default_lang = "ar"
title = { ar = "قريبًا" }
"""

# One counter per status, each titled in every language, for badge and page tests.
EVERY_STATUS = """\
default_counter = "ongoing"

[counters.ongoing]
timezone = "Africa/Casablanca"
start = 2016-01-05
default_lang = "fr"
title = { fr = "Blocage de la VoIP au Maroc", ar = "حجب المكالمات عبر الإنترنت في المغرب", zgh = "ⴰⴳⴷⴰⵍ ⵏ VoIP ⴳ ⵍⵎⵖⵔⵉⴱ", en = "VoIP block in Morocco" }

[counters.ended]
timezone = "Africa/Casablanca"
start = 2016-01-05
end = 2016-11-04
default_lang = "fr"
title = { fr = "Blocage de la VoIP au Maroc", ar = "حجب المكالمات عبر الإنترنت في المغرب", zgh = "ⴰⴳⴷⴰⵍ ⵏ VoIP ⴳ ⵍⵎⵖⵔⵉⴱ", en = "VoIP block in Morocco" }

[counters.upcoming]
timezone = "Africa/Casablanca"
start = 2099-01-05
default_lang = "fr"
title = { fr = "Blocage annoncé", ar = "حجب مرتقب", zgh = "ⴰⴳⴷⴰⵍ ⵉⵜⵜⵓⵙⵏⵜⵉⵏ", en = "Announced block" }
"""

CALLS_TOKEN = "calls-token-for-tests"
"""The push token of ONGOING's `calls` tally (its hash is in the timeline)."""


def rewrite(path, text):
    """Write as an editor would, and move the mtime so that even a same-second edit is seen."""
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


# Another campaign, as a new group would write it: an internet shutdown in Algeria, in French
# and Arabic, with a petition. Its own name, languages, kind and Arabic locale (ar_DZ).
ALGERIA = """\
default_counter = "dz-coupure"

[site]
name = { fr = "Coupures DZ", ar = "انقطاعات الجزائر" }
languages = ["fr", "ar"]
footer = { fr = "Un collectif de citoyens.", ar = "مجموعة من المواطنين." }
links = [{ title = { fr = "Qui sommes-nous", ar = "من نحن" }, url = "https://coupures.example.org/about" }]

[counters.dz-coupure]
kind = "shutdown"
timezone = "Africa/Algiers"
start = 2026-10-14
locale = { ar = "ar_DZ" }
title = { fr = "Coupure d’internet en Algérie", ar = "قطع الإنترنت في الجزائر" }

[[counters.dz-coupure.events]]
date = 2026-10-14
title = { fr = "Début de la coupure", ar = "بداية القطع" }
sources = [{ name = "Observatoire" }]

[[counters.dz-coupure.events]]
date = 2026-11-02
title = { fr = "Appel des associations", ar = "نداء الجمعيات" }
sources = [{ name = "Observatoire" }]

[counters.dz-coupure.tallies.petition]
title = { fr = "Pétition pour le rétablissement", ar = "عريضة من أجل إعادة الإنترنت" }
unit = "signatures"
start = 2026-10-15
interval = 60
url = "https://petition.example.org/dz"
token_sha256 = "08377e57e2aa835a3724c4b24725398d67c2ee4eebd6214ac554020268a8040a"  # of CALLS_TOKEN

[[counters.dz-coupure.tallies.petition.samples]]
at = 2026-10-16
value = 1260
source = { name = "Le collectif" }
"""
ALGERIA_NOW = "2026-12-01T12:00:00+01:00"
"""An instant of the campaign: day 48 of the shutdown (2026-10-14 is day 0)."""


def collecting(collect: str, timeline: str = ALGERIA) -> str:
    """ALGERIA with its petition tally collected: `collect` is the body of its `collect` table."""
    table = "[counters.dz-coupure.tallies.petition.collect]\n" + collect.strip() + "\n\n"
    marker = "[[counters.dz-coupure.tallies.petition.samples]]"
    return timeline.replace(marker, table + marker)
