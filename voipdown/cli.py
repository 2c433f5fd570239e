"""The `voipdown` command: serve, check a timeline, ask for a count."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

import click

from voipdown import __version__
from voipdown.catalogs import every_catalog_problem
from voipdown.clock import now
from voipdown.languages import available
from voipdown.settings import PREFIX, Settings, SettingsError
from voipdown.starter import slug_of, starter_timeline
from voipdown.summary import describe
from voipdown.texts import label_and_message
from voipdown.timeline import KINDS, Timeline, TimelineError, load_timeline, unset_secrets
from voipdown.zones import UnknownZone, load_zone

TIMELINE_HELP = f"Timeline file (default: ${PREFIX}TIMELINE, else the bundled one)."


def _settings() -> Settings:
    """The VOIPDOWN_* settings, or a usage error naming the bad one."""
    try:
        settings = Settings.load(os.environ)
        settings.speak()
        return settings
    except SettingsError as error:
        raise click.UsageError(str(error)) from None


def _timeline_path(path: str | None) -> Path:
    return Path(path) if path else _settings().timeline


def _load_or_exit(path: Path) -> Timeline:
    _settings()  # the languages of VOIPDOWN_CATALOGS, which the timeline may use
    try:
        return load_timeline(path)
    except TimelineError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voipdown")
def cli() -> None:
    """Count the days since a digital-rights event, and serve the count."""


@cli.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def check(path: str | None) -> None:
    """Validate a timeline file and every catalog (shipped, and VOIPDOWN_CATALOGS'): print
    every problem, exit 1 if there is any."""
    timeline_path = _timeline_path(path)
    timeline = _load_or_exit(timeline_path)
    events = sum(len(counter.events) for counter in timeline.counters.values())
    click.echo(f"{timeline_path}: OK, {len(timeline.counters)} counter(s), {events} event(s)")
    for warning in unset_secrets(timeline_path, timeline, os.environ):
        click.echo(f"warning: {warning}", err=True)
    problems = every_catalog_problem()
    for problem in (problem for found in problems.values() for problem in found):
        click.echo(str(problem), err=True)
    if any(problems.values()):
        raise SystemExit(1)
    click.echo(f"catalogs: OK ({', '.join(problems)})")


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--name", required=True, help="The campaign's name: header, page titles, feeds, share image.")
@click.option("--start", required=True, metavar="DATE", help="Its first day (day 0), such as 2026-10-14.")
@click.option("--timezone", required=True, metavar="ZONE", help="The IANA zone whose midnight turns the count.")
@click.option("--languages", required=True, metavar="LIST", help="The languages offered, the first the default: fr,ar.")
@click.option("--kind", type=click.Choice(KINDS), default="block", show_default=True, help="What it counts.")
@click.option("--slug", help="The counter's address (default: made from the name).")
def init(folder: str, name: str, start: str, timezone: str, languages: str, kind: str, slug: str | None) -> None:
    """Write FOLDER/timeline.toml, the commented timeline of a new campaign."""
    _settings()  # the languages of VOIPDOWN_CATALOGS too
    try:
        first_day = dt.date.fromisoformat(start)
    except ValueError:
        raise click.BadParameter("use a date such as 2026-10-14", param_hint="--start") from None
    try:
        load_zone(timezone)
    except UnknownZone:
        raise click.BadParameter(
            "unknown time zone (an IANA name such as Africa/Algiers)", param_hint="--timezone"
        ) from None
    codes = tuple(code.strip() for code in languages.split(",") if code.strip())
    unknown = [code for code in codes if code not in available()]
    if not codes or unknown:
        raise click.BadParameter(f"the catalogs speak {', '.join(available())}", param_hint="--languages")
    slug = slug or slug_of(name)
    path = Path(folder) / "timeline.toml"
    if path.exists():
        raise click.UsageError(f"{path} already exists: init never overwrites a timeline")
    text = starter_timeline(name, first_day, timezone, codes, kind, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _load_or_exit(path)  # what it wrote is a timeline check accepts
    click.echo(f"Wrote {path}. Edit it, then:")
    click.echo(f"  voipdown check {path}")
    click.echo(f"  voipdown days {slug} --timeline {path}")
    click.echo(f"  VOIPDOWN_TIMELINE={path} voipdown serve")


def _instant(value: str | None) -> dt.datetime:
    if value is None:
        return now()
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO 8601 instant such as 2016-06-05T00:30:00+01:00") from None
    if instant.tzinfo is None:
        raise click.BadParameter("give the instant's UTC offset, e.g. 2016-06-05T00:30:00Z or +01:00")
    return instant


@cli.command()
@click.argument("slug")
@click.option("--at", "at", metavar="INSTANT", help="An ISO 8601 instant with offset (default: now).")
@click.option("--lang", help="Language, one of the site's (default: the counter's).")
@click.option("--timeline", "timeline_path", type=click.Path(dir_okay=False), help=TIMELINE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print what GET /api/v1/counters/SLUG returns.")
def days(slug: str, at: str | None, lang: str | None, timeline_path: str | None, as_json: bool) -> None:
    """Print the count of counter SLUG and the message the API gives."""
    instant = _instant(at)
    timeline = _load_or_exit(_timeline_path(timeline_path))
    counter, _ = timeline.find(slug)
    if counter is None:
        raise click.BadParameter(f"no such counter; known: {', '.join(timeline.counters)}", param_hint="SLUG")
    if lang is not None and lang not in timeline.site.languages:
        raise click.BadParameter(
            f"not a language of this site: {', '.join(timeline.site.languages)}", param_hint="--lang"
        )
    summary = describe(counter, instant, lang or counter.default_lang)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(f"{summary['days']} ({summary['status']}, as of {summary['as_of']} in {summary['timezone']})")
    click.echo(label_and_message(summary["label"], summary["message"]))


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option(
    "--base-url",
    metavar="URL",
    help="Where OUT will be served, e.g. https://you.github.io/campaign (default: $VOIPDOWN_PUBLIC_URL): the"
    " addresses other sites use (the embed, snippets, feeds) are written from it.",
)
@click.option("--at", "at", metavar="INSTANT", help="Build as of this ISO 8601 instant with offset (default: now).")
def build(out: str, base_url: str | None, at: str | None) -> None:
    """Write the whole site into OUT as files for any static host: every page, badge, chart,
    feed, JSON answer and the embed, as the service would answer them. Files that would not
    change are not written."""
    import time

    from voipdown.web import create_app
    from voipdown.web.freeze import build as freeze

    instant = _instant(at) if at else None
    public = base_url or _settings().public_url
    if not public:
        raise click.UsageError("give --base-url (or set VOIPDOWN_PUBLIC_URL): where the files will be served")
    try:
        app = create_app({"VOIPDOWN_PUBLIC_URL": public, "VOIPDOWN_COLLECT": "off", "VOIPDOWN_DISCOVERY": "off"})
    except SettingsError as error:
        raise click.BadParameter(str(error), param_hint="--base-url") from None
    started = time.monotonic()
    built = freeze(app, Path(out), instant)
    click.echo(f"{out}: {built.files} files, {built.written} written, in {time.monotonic() - started:.1f} s")


@cli.command()
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
def backup(folder: str) -> None:
    """Copy the tally and participants stores into DIR (tallies.sqlite3, participants.sqlite3),
    consistently, while the service runs and takes pushes: every sample acknowledged before
    the copy began is in it. Redis stores are backed up by Redis (docs/deploy.md)."""
    from voipdown.backup import BackupRefused, back_up

    try:
        copies = back_up(_settings(), Path(folder))
    except BackupRefused as error:
        raise click.ClickException(str(error)) from None
    for copy in copies:
        if copy.target is None:
            click.echo(f"{copy.what}: no store yet at {copy.source}, nothing to copy")
        else:
            click.echo(f"{copy.what}: {copy.rows:,} rows, {copy.size:,} bytes, {copy.source} -> {copy.target}")


@cli.group()
def tally() -> None:
    """Tallies: push tokens, and what the store holds."""


@tally.command("token")
def tally_token() -> None:
    """Print a fresh push token and the token_sha256 line to paste into the tally's table.
    The token is shown once: the service keeps only its hash."""
    from voipdown.tallies.tokens import new_token, token_sha256

    token = new_token()
    click.echo(f"token (give it to the pusher; it is not stored anywhere): {token}")
    click.echo(f'line for [counters.<slug>.tallies.<name>]: token_sha256 = "{token_sha256(token)}"')


@tally.command("list")
@click.option("--timeline", "timeline_path", type=click.Path(dir_okay=False), help=TIMELINE_HELP)
def tally_list(timeline_path: str | None) -> None:
    """Every tally with stored samples, those the timeline no longer has included."""
    from voipdown.tallies.model import from_ms, shown
    from voipdown.tallies.store import open_tally_store
    from voipdown.tallies.store.protocol import StoreUnavailable

    settings = _settings()
    timeline = _load_or_exit(_timeline_path(timeline_path))
    store = open_tally_store(settings)
    try:
        stored = store.tallies()
    except StoreUnavailable as error:
        raise click.ClickException(f"the tally store {store.path} cannot be read: {error}") from None
    if not stored:
        click.echo("no pushed samples")
    for found in stored:
        known = found.counter in timeline.counters and found.tally in timeline.counters[found.counter].tallies
        note = "" if known else "  (not in the timeline any more)"
        click.echo(
            f"{found.counter}/{found.tally}: {found.samples} samples, latest {shown(from_ms(found.latest_ms))}{note}"
        )


@tally.command("push")
@click.argument("which", metavar="SLUG/TALLY")
@click.argument("value", metavar="VALUE", type=int)
@click.option(
    "--at", metavar="INSTANT", help="When it was counted: RFC 3339 with its offset (default: the service's now)."
)
@click.option("--url", "base", metavar="BASE", help="The service's address (default: VOIPDOWN_PUBLIC_URL).")
@click.option(
    "--token-file", type=click.File("r"), help="A file whose first line is the token (default: VOIPDOWN_TALLY_TOKEN)."
)
def tally_push(which: str, value: int, at: str | None, base: str | None, token_file) -> None:
    """Push VALUE (the running total) to SLUG/TALLY of a running service: exit 0 when stored,
    1 with the service's refusal otherwise; a busy service (503) is asked again after its
    Retry-After, at most three times. For cron: docs/tallies.md."""
    from voipdown.push_client import push

    slug, _, name = which.partition("/")
    if not slug or not name or "/" in name:
        raise click.BadParameter("name the tally as SLUG/TALLY, such as voip-ma/petition", param_hint="SLUG/TALLY")
    token = token_file.readline().strip() if token_file else os.environ.get(PREFIX + "TALLY_TOKEN", "").strip()
    if not token:
        raise click.UsageError(f"no token: set {PREFIX}TALLY_TOKEN or give --token-file")
    base = base or os.environ.get(PREFIX + "PUBLIC_URL")
    if not base:
        raise click.UsageError(f"no service: give --url or set {PREFIX}PUBLIC_URL")
    answer = push(base, slug, name, value, token, at)
    if not answer.ok:
        click.echo(answer.said(), err=True)
        raise SystemExit(1)
    said = answer.body.get("tally", {}).get("message", "")
    accepted, duplicates = answer.body.get("accepted", 0), answer.body.get("duplicates", 0)
    click.echo(f"{slug}/{name}: accepted {accepted}, duplicates {duplicates}{': ' + said if said else ''}")


@tally.command("collect")
@click.argument("which", required=False, metavar="[SLUG/TALLY]")
@click.option(
    "--once", is_flag=True, required=True, help="One round now (required: the service itself collects on schedule)."
)
@click.option("--timeline", "timeline_path", type=click.Path(dir_okay=False), help=TIMELINE_HELP)
def tally_collect(which: str | None, once: bool, timeline_path: str | None) -> None:
    """Collect every collecting tally (or SLUG/TALLY) once, now: for cron, or before a static
    build. One line per tally; exit 1 if any round failed. An interval already collected (by
    the service, another host, or an earlier run) is not fetched again."""
    from voipdown.tallies.collect.collector import Rounds, collecting, user_agent
    from voipdown.tallies.collect.collector import once as one_round
    from voipdown.tallies.collect.extract import KINDS
    from voipdown.tallies.store import open_tally_store
    from voipdown.tallies.store.protocol import StoreUnavailable

    if not once:
        raise click.UsageError("say --once: one round now (a running service collects on its own)")
    settings = _settings()
    timeline = _load_or_exit(_timeline_path(timeline_path))
    tallies = collecting(timeline)
    if which is not None:
        tallies = [t for t in tallies if f"{t.counter}/{t.name}" == which]
        if not tallies:
            raise click.BadParameter(f"no collecting tally {which} in the timeline", param_hint="SLUG/TALLY")
    if not tallies:
        click.echo("no tally collects (give one a [counters.SLUG.tallies.NAME.collect] table)")
        return
    store = open_tally_store(settings)
    try:
        store.open()
    except StoreUnavailable as error:
        raise click.ClickException(f"the tally store {store.path} cannot be opened: {error}") from None
    failed = False
    for outcome in one_round(Rounds(store, user_agent(settings.public_url)), tallies):
        name = f"{outcome.tally.counter}/{outcome.tally.name}"
        host = outcome.tally.collect.host
        if not outcome.taken:
            click.echo(f"{name}: already asked in this interval (every {outcome.tally.collect.every} s): not again")
        elif outcome.failure:
            failed = True
            click.echo(f"{name}: FAILED from {host}: {outcome.failure} ({KINDS.get(outcome.failure, outcome.failure)})")
        else:
            click.echo(f"{name}: {outcome.value} from {host}")
    if failed:
        raise SystemExit(1)


@cli.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only sites seen on or after this day (UTC).")
@click.option("--timeline", "timeline_path", type=click.Path(dir_okay=False), help=TIMELINE_HELP)
@click.option(
    "--import",
    "import_log",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help="First add the sightings of a log of 'ISO-8601-TIME HOST' lines (docs/deploy.md: behind nginx).",
)
def participants(since: dt.datetime | None, timeline_path: str | None, import_log) -> None:
    """List sites seen showing a counter that the timeline does not list yet."""
    from voipdown.participants import Recorder, host_of, open_store, site_host

    settings = _settings()
    if import_log is not None:
        recorder = Recorder(open_store(settings))
        imported = 0
        for line in import_log:
            when, _, host = line.strip().partition(" ")
            host = host_of(f"https://{host}/") if host else None
            try:
                instant = dt.datetime.fromisoformat(when)
            except ValueError:
                continue
            if host and instant.tzinfo is not None:
                recorder.record(host, instant)
                imported += 1
        recorder.flush()
        if recorder.error:
            raise click.ClickException(f"cannot write the participants store: {recorder.error}")
        click.echo(f"imported {imported} sighting(s)", err=True)
    timeline = _load_or_exit(_timeline_path(timeline_path))
    listed = {site_host(p.url) for counter in timeline.counters.values() for p in counter.participants}
    since_utc = since.replace(tzinfo=dt.timezone.utc) if since else None
    try:
        found = open_store(settings).sightings(since_utc)
    except Exception as error:
        raise click.ClickException(f"cannot read the participants store: {error}") from None
    new = [s for s in found if s.host.removeprefix("www.") not in listed]
    if not new:
        click.echo("No new site.", err=True)
        return
    click.echo("host\tdays seen\tfirst seen\tlast seen\trequests")  # seen on most days first
    for s in new:
        first, last = s.first_seen.date().isoformat(), s.last_seen.date().isoformat()
        click.echo(f"{s.host}\t{s.days}\t{first}\t{last}\t{s.count}")


@cli.command()
@click.option("--timeline", "timeline_path", type=click.Path(dir_okay=False), help=TIMELINE_HELP)
def doctor(timeline_path: str | None) -> None:
    """Report the font and text libraries badges are drawn with; exit 1 if badges cannot be drawn well."""
    from voipdown.doctor import diagnose

    settings = _settings()
    timeline = _load_or_exit(_timeline_path(timeline_path))
    report = diagnose(settings, timeline)
    width = max(len(name) for name, _, _ in report.lines)
    for name, value, status in report.lines:
        click.echo(f"{name:<{width}}  {status:<4}  {value}")
    if not report.ok:
        raise SystemExit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=os.cpu_count() or 1,
    show_default="one per core",
    help="Worker processes.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Run the service on a production server (granian), one worker per core."""
    from voipdown.server import AddressTaken, run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not os.environ.get(PREFIX + "PUBLIC_URL"):
        logging.getLogger("voipdown").warning(
            "VOIPDOWN_PUBLIC_URL is not set: answers holding the request's own address are private,"
            " so no shared cache (nginx, a CDN) keeps them and a forged Host cannot reach another reader;"
            " behind a shared cache, set it to the service's public address"
        )
    try:
        run(host=host, port=port, workers=workers)
    except TimelineError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    except SettingsError as error:
        raise click.UsageError(str(error)) from None
    except AddressTaken as error:
        click.echo(f"voipdown serve: {error}", err=True)
        raise SystemExit(1) from None


def main() -> None:
    cli(prog_name="voipdown")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
