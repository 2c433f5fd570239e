"""A new campaign without a fork: `voipdown init`, then check, then serve; and a language
added by a catalog folder (VOIPDOWN_CATALOGS), here Spanish."""

import datetime as dt
import re
import shutil
from importlib import resources

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from tests.servers import get, serving
from tests.timelines import ALGERIA
from voipdown.catalogs import catalog_problems
from voipdown.cli import cli
from voipdown.clock import pinned_clock
from voipdown.languages import SHIPPED, available, use_catalogs

ISOLATES = re.compile("[\u2066-\u2069]")


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(autouse=True)
def shipped_catalogs_after():
    """A test that adds catalogs leaves the process speaking the shipped ones."""
    yield
    use_catalogs(None)


def test_init_then_check_then_serve(tmp_path):
    folder = tmp_path / "dz"
    made = run(
        "init",
        str(folder),
        "--name",
        "Coupures DZ",
        "--start",
        "2026-10-14",
        "--timezone",
        "Africa/Algiers",
        "--languages",
        "fr,ar",
        "--kind",
        "shutdown",
    )
    assert made.exit_code == 0, made.output
    path = folder / "timeline.toml"
    lines = made.output.splitlines()
    assert lines[1:] == [
        f"  voipdown check {path}",
        f"  voipdown days coupures-dz --timeline {path}",
        f"  VOIPDOWN_TIMELINE={path} voipdown serve",
    ]
    checked = run("check", str(path))
    assert checked.exit_code == 0 and f"{path}: OK, 1 counter(s), 1 event(s)" in checked.output
    days = run("days", "coupures-dz", "--timeline", str(path), "--at", "2026-12-01T12:00:00+01:00")
    assert days.output.splitlines() == [
        "48 (ongoing, as of 2026-12-01 in Africa/Algiers)",
        "Coupures DZ: coupé depuis 48 jours",
    ]
    env = {"VOIPDOWN_TIMELINE": str(path), "VOIPDOWN_TALLY_STORE": str(tmp_path / "t.sqlite3")}
    with serving({**env, "XDG_STATE_HOME": str(tmp_path / "state")}, workers=1) as (base, _):
        status, _, body = get(base + "/?lang=ar")
        page = body.decode()
        assert status == 200 and "<p>Coupures DZ</p>" in page and "مقطوع منذ" in page
        assert get(base + "/?lang=en")[0] == 400
        assert "VoIP Down" not in page and "2016" not in page


def test_init_refuses_what_it_cannot_write(tmp_path):
    base = ["init", str(tmp_path), "--name", "X", "--start", "2026-10-14", "--timezone", "Africa/Algiers"]
    assert "the catalogs speak" in run(*base, "--languages", "fr,kab").output
    assert "unknown time zone" in run(*base[:-1], "Mars/Olympus", "--languages", "fr").output
    assert "2026-10-14" in run(*base[:5], "14/10/2026", *base[6:], "--languages", "fr").output
    assert run(*base, "--languages", "ar").exit_code == 0
    again = run(*base, "--languages", "ar")
    assert again.exit_code != 0 and "never overwrites" in again.output


# -- a Spanish catalog --------------------------------------------------------------------

SPANISH = {
    "for {days} days": {
        "one": "desde hace {days} día",
        "many": "desde hace {days} de días",
        "other": "desde hace {days} días",
    },
    "shut down for {days} days": {
        "one": "cortado desde hace {days} día",
        "many": "cortado desde hace {days} de días",
        "other": "cortado desde hace {days} días",
    },
    "Shut down since {date}.": "Cortado desde el {date}.",
    "Timeline": "Cronología",
    "Languages": "Idiomas",
}
"""The Spanish of the messages the test reads; the others keep the English text, translated
all the same for the checker (a real catalog translates them all)."""


def write_spanish(folder, *, drop_many: bool = False, extra_placeholder: bool = False) -> None:
    """A Spanish catalog made from the template, with CLDR's Spanish plural categories."""
    with (resources.files("voipdown") / "locales" / "voipdown.pot").open("rb") as pot:
        template = read_po(pot)
    with (resources.files("voipdown") / "locales" / "en" / "LC_MESSAGES" / "voipdown.po").open("rb") as po:
        english = read_po(po)

    def quoted(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = ['msgid ""\nmsgstr ""\n"Language: es\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n']
    for message in template:
        if not message.id:
            continue
        own = SPANISH.get(message.id)
        if message.context:
            for category in ("one", "many", "other"):
                if drop_many and category == "many" and message.id == "for {days} days":
                    continue
                source = english.get(message.id, context="other" if category == "many" else category)
                text = own[category] if own else source.string
                out.append(f'msgctxt "{category}"\nmsgid {quoted(message.id)}\nmsgstr {quoted(text)}\n\n')
        else:
            text = own or english.get(message.id).string
            if extra_placeholder and message.id == "Timeline":
                text = "Cronología {secret}"
            out.append(f"msgid {quoted(message.id)}\nmsgstr {quoted(text)}\n\n")
    path = folder / "es" / "LC_MESSAGES" / "voipdown.po"
    path.parent.mkdir(parents=True)
    path.write_text("".join(out), encoding="utf-8")


SPANISH_SITE = (
    ALGERIA.replace('languages = ["fr", "ar"]', 'languages = ["es", "fr"]')
    .replace('name = { fr = "Coupures DZ", ar = "انقطاعات الجزائر" }', 'name = "Cortes DZ"')
    .replace(' ar = "قطع الإنترنت في الجزائر" }', ' es = "Corte de internet en Argelia" }')
    .replace('ar = "بداية القطع"', 'es = "Inicio del corte"')
    .replace('ar = "نداء الجمعيات"', 'es = "Llamamiento"')
    .replace('ar = "عريضة من أجل إعادة الإنترنت"', 'es = "Petición"')
    .replace('locale = { ar = "ar_DZ" }', 'locale = { es = "es_419" }')
    .replace(', ar = "مجموعة من المواطنين."', "")
    .replace('title = { fr = "Qui sommes-nous", ar = "من نحن" }', 'title = "Quiénes somos"')
)


def test_a_spanish_catalog_makes_a_spanish_site(make_app, tmp_path):
    write_spanish(tmp_path / "catalogs")
    app = make_app(
        SPANISH_SITE, VOIPDOWN_CATALOGS=str(tmp_path / "catalogs"), VOIPDOWN_TALLY_STORE=str(tmp_path / "t.sqlite3")
    )
    assert available() == (*SHIPPED, "es")
    client = app.test_client()
    with pinned_clock(dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)):
        page = ISOLATES.sub("", client.get("/dz-coupure", headers={"Accept-Language": "es-AR,es;q=0.9"}).get_data(True))
        assert '<html lang="es" dir="ltr"' in page and "Cronología" in page and ">español<" in page
        assert "cortado desde hace 48 días" in page and "Cortado desde el 14 de octubre de 2026." in page
        one_day = client.get("/api/v1/counters/dz-coupure?lang=es")
        assert one_day.json["message"] == "cortado desde hace 48 días" and one_day.json["dir"] == "ltr"
        assert client.get("/badge/dz-coupure.svg?lang=es").status_code == 200
        assert client.get("/dz-coupure?lang=ar").status_code == 400  # not a language of this site
    with pinned_clock(dt.datetime(2026, 10, 15, 12, tzinfo=dt.timezone.utc)):
        client = make_app(SPANISH_SITE, VOIPDOWN_CATALOGS=str(tmp_path / "catalogs")).test_client()
        assert client.get("/api/v1/counters/dz-coupure?lang=es").json["message"] == "cortado desde hace 1 día"


def test_check_accepts_a_complete_catalog_and_names_what_a_broken_one_lacks(tmp_path, write_timeline):
    timeline = write_timeline(SPANISH_SITE)
    write_spanish(tmp_path / "good")
    good = run("check", str(timeline), env={"VOIPDOWN_CATALOGS": str(tmp_path / "good")})
    assert good.exit_code == 0 and "catalogs: OK (fr, ar, zgh, en, es)" in good.output
    write_spanish(tmp_path / "bad", drop_many=True, extra_placeholder=True)
    bad = run("check", str(timeline), env={"VOIPDOWN_CATALOGS": str(tmp_path / "bad")})
    assert bad.exit_code == 1
    assert "'for {days} days': no form for the plural category many" in bad.output
    assert re.search(r"es/LC_MESSAGES/voipdown.po:\d+: 'Timeline': \{secret\} is not in the source", bad.output)
    without = run("check", str(timeline))
    assert without.exit_code == 1 and "counters.dz-coupure.locale.es: unsupported language" in without.output


def test_a_catalog_folder_without_catalogs_is_a_setting_error(tmp_path, make_app):
    from voipdown.settings import SettingsError

    (tmp_path / "empty").mkdir()
    with pytest.raises(SettingsError, match="VOIPDOWN_CATALOGS: .* holds no <language>/LC_MESSAGES/voipdown.po"):
        make_app(None, VOIPDOWN_CATALOGS=str(tmp_path / "empty"))
    shutil.copytree(resources.files("voipdown") / "locales" / "fr", tmp_path / "nowhere-land")
    with pytest.raises(SettingsError, match="must be a language code"):
        make_app(None, VOIPDOWN_CATALOGS=str(tmp_path))


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_shipped_catalog_is_complete(lang):
    assert catalog_problems(lang) == []


def test_doctor_says_whether_the_font_draws_an_added_language(tmp_path, write_timeline):
    """`voipdown doctor` checks every badge text of the site's languages, an added one too."""
    timeline = write_timeline(SPANISH_SITE)
    write_spanish(tmp_path / "catalogs")
    drawn = run("doctor", "--timeline", str(timeline), env={"VOIPDOWN_CATALOGS": str(tmp_path / "catalogs")})
    assert re.search(r"glyphs +ok +every badge text of every language has its glyphs", drawn.output), drawn.output
    write_spanish(tmp_path / "undrawn")  # a catalog is read once a process: another folder
    catalog = tmp_path / "undrawn" / "es" / "LC_MESSAGES" / "voipdown.po"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace('msgstr "cortado desde hace {days} días"', 'msgstr "ᏣᎳᎩ {days}"'), "utf-8")
    undrawn = run("doctor", "--timeline", str(timeline), env={"VOIPDOWN_CATALOGS": str(tmp_path / "undrawn")})
    assert undrawn.exit_code == 1
    assert re.search(r"glyphs +FAIL +missing for some badge texts: es: .*Ꮳ", undrawn.output), undrawn.output
