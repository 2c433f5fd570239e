"""Collecting: one round for a tally, and the schedule each worker runs.

Every worker of every host may run the schedule. For each collecting tally, at each of its
intervals (aligned on the epoch, so all count the same ones) that is due (not within a
failing source's back-off), a worker asks the store for that interval's lease; the one that
gets it fetches, within the interval (a fetch that would outlive it is cancelled), and
writes the value through a push's own write path (`push.checked`, then `store.add`, whole
or not at all, committed before it is shown) with the collecting state in the same write.
A failed round writes the state alone: its kind, when, and the back-off's next attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import httpx

from voipdown.clock import now
from voipdown.tallies.collect.extract import Failure, number_in
from voipdown.tallies.collect.fetch import Session, fetch
from voipdown.tallies.collect.state import CollectState, interval_of, next_interval
from voipdown.tallies.model import Tally, to_ms
from voipdown.tallies.push import BadSample, Sent, checked
from voipdown.tallies.store.protocol import Conflict, Lease, StoreUnavailable, TallyStore

log = logging.getLogger(__name__)
for _name in ("httpx", "httpcore"):
    # They log each request's address at INFO and below: a query string may hold a key.
    logging.getLogger(_name).setLevel(logging.WARNING)
TICK = 1.0
"""Seconds between two looks at what is due, at most (a worker sleeps to the next interval's start)."""
IDLE = 5.0
"""Seconds between two looks at the timeline while no tally collects."""


@dataclass(frozen=True)
class Outcome:
    """What one round did, as `voipdown tally collect` reports it."""

    tally: Tally
    value: int | None = None
    """The value stored, if the round succeeded."""
    failure: str | None = None
    """The failure's kind (extract.KINDS), if it failed; `late`: skipped, not started in time."""
    taken: bool = True
    """False: another worker, or host, held this interval's lease (nothing fetched here)."""
    state: CollectState | None = None


def user_agent(public_url: str | None) -> str:
    """How a source's logs name us: the software, its version, and where the campaign is."""
    from voipdown import __version__

    return f"voipdown/{__version__} (tally collector{'; +' + public_url if public_url else ''})"


def holder_name() -> str:
    """Who holds a lease, as the store may show it: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def collecting(timeline) -> list[Tally]:
    """Every tally of `timeline` that the service collects."""
    return [tally for counter in timeline.counters.values() for tally in counter.tallies.values() if tally.collect]


class Rounds:
    """What a round needs besides its tally and its loop's fetch `Session`: the store, who we
    are, the environment, and one TLS context for every session (made once: loading the
    certificates is a fetch's dearest part)."""

    def __init__(self, store: TallyStore, user_agent: str, environ: Mapping[str, str] | None = None, on_write=None):
        self.store = store
        self.user_agent = user_agent
        self.environ = os.environ if environ is None else environ
        self.holder = holder_name()
        self.tls = httpx.create_ssl_context(trust_env=False)
        self._on_write = on_write or (lambda tally: None)
        """Told of every write (the worker's reader: its next read goes to the store)."""

    async def states(self, tallies: list[Tally]) -> list[CollectState]:
        """Each tally's collecting state, in one read of the store."""
        found = await asyncio.to_thread(self.store.collectors, [tally.key for tally in tallies])
        return [CollectState.loads(text) for text in found]

    async def claim(self, tallies: list[Tally], at_ms: int) -> list[bool]:
        """The lease of the interval of `at_ms` for each tally, in one write at most."""
        leases = [
            Lease(*tally.key, interval_of(at_ms, tally.collect.every), next_interval(at_ms, tally.collect.every))
            for tally in tallies
        ]
        return await asyncio.to_thread(self.store.claim, leases, self.holder)

    def session(self) -> Session:
        """The fetches' shared client and turns, for the event loop that calls this."""
        return Session(self.tls)

    async def collect(
        self, tally: Tally, state: CollectState, at_ms: int, session: Session, latest_start_ms: int | None = None
    ) -> Outcome:
        """The fetch and the write of a round whose lease (for the interval of `at_ms`) is held;
        none if it could not start by `latest_start_ms` (a worker too busy: the next interval's
        round would follow too closely)."""
        collect = tally.collect
        if latest_start_ms is not None and to_ms(now()) > latest_start_ms:
            log.warning("collecting %s/%s: this worker started the round too late; skipped", *tally.key)
            return Outcome(tally, failure="late", state=state)
        # Never beyond the interval: the next one's holder may start as it begins.
        budget = min(collect.timeout, (next_interval(at_ms, collect.every) - to_ms(now())) / 1000)
        try:
            if budget <= 0:
                raise TimeoutError
            async with asyncio.timeout(budget):
                fetched = await fetch(collect, self.user_agent, self.environ, state.etag, state.last_modified, session)
            if fetched.body is None:  # 304: the value it gave last, at this new instant
                if state.last_value is None:
                    raise Failure("http_status")
                value = state.last_value
            else:
                value = number_in(collect, fetched.body)
            if collect.monotonic and state.last_value is not None and value < state.last_value - collect.max_drop:
                raise Failure("implausible")
            instant = now()
            instant = instant.replace(microsecond=instant.microsecond // 1000 * 1000)
            (sample,) = checked(tally, [Sent(0, None, value)], instant)
            done = state.succeeded(sample.at_ms, value, fetched.etag, fetched.last_modified, collect)
            await asyncio.to_thread(self.store.add, *tally.key, [sample], done.dumps())
        except TimeoutError:
            return await self._failed(tally, state, Failure("timeout"))
        except Failure as failure:
            return await self._failed(tally, state, failure)
        except (BadSample, Conflict):
            return await self._failed(tally, state, Failure("out_of_range"))
        except StoreUnavailable:
            return Outcome(tally, failure="store_unavailable", state=state)
        self._on_write(tally)
        return Outcome(tally, value=value, state=done)

    async def _failed(self, tally: Tally, state: CollectState, failure: Failure) -> Outcome:
        failed = state.failed(to_ms(now()), failure.kind, tally.collect, failure.retry_after)
        log.warning(
            "collecting %s/%s from %s failed: %s (%s); next attempt in %.0f s",
            *tally.key,
            tally.collect.host,
            failure.kind,
            failure,
            (failed.next_ms - to_ms(now())) / 1000,
        )
        try:
            await asyncio.to_thread(self.store.set_collector, *tally.key, failed.dumps())
        except StoreUnavailable:
            return Outcome(tally, failure="store_unavailable", state=state)
        self._on_write(tally)
        return Outcome(tally, failure=failure.kind, state=failed)

    async def rounds(self, tallies: list[Tally], at_ms: int | None = None) -> list[Outcome]:
        """A round of each of `tallies` for the interval of `at_ms` (now), all at once: their
        states in one read, their leases in one write, then each fetch."""
        at_ms = to_ms(now()) if at_ms is None else at_ms
        if not tallies:
            return []
        try:
            states = await self.states(tallies)
            taken = await self.claim(tallies, at_ms)
        except StoreUnavailable:
            return [Outcome(tally, failure="store_unavailable") for tally in tallies]
        async with self.session() as session:
            work = [
                self.collect(tally, state, at_ms, session) if won else _not_taken(tally)
                for tally, state, won in zip(tallies, states, taken, strict=True)
            ]
            return list(await asyncio.gather(*work))


async def _not_taken(tally: Tally) -> Outcome:
    return Outcome(tally, taken=False)


class Collector:
    """The schedule of one worker: a thread of its own running an event loop, which looks at
    the current timeline's collecting tallies and, at each interval's start, asks the store
    for the states and the leases of those due in one read and one write, then fetches those
    it got (one round at a time per tally: a round still running is never doubled)."""

    def __init__(self, rounds: Rounds, tallies: Callable[[], list[Tally]]):
        """`tallies`: the collecting tallies of the timeline served now."""
        self.rounds = rounds
        self._tallies = tallies
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voipdown-collector", daemon=True)

    def start(self) -> Collector:
        self._thread.start()
        return self

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        async with self.rounds.session() as session:
            await self._schedule(session)

    async def _schedule(self, session: Session) -> None:
        running: dict[tuple[str, str], asyncio.Task] = {}
        considered: dict[tuple[str, str], int] = {}
        """The last interval this worker considered, by tally: each is considered once."""
        while not self._stop.is_set():
            try:
                tallies = self._tallies()
            except Exception:  # noqa: BLE001 - a timeline that cannot be read now: try again later
                log.exception("the collector could not read the timeline")
                tallies = []
            moment = to_ms(now())
            due = []
            for tally in tallies:
                interval = interval_of(moment, tally.collect.every)
                task = running.get(tally.key)
                if considered.get(tally.key) != interval and (task is None or task.done()):
                    considered[tally.key] = interval
                    due.append(tally)
            if due:
                await self._start(due, moment, running, session)
            await asyncio.sleep(self._pause(tallies, moment))
        for task in running.values():
            task.cancel()
        await asyncio.gather(*running.values(), return_exceptions=True)  # before the session closes

    async def _start(self, due: list[Tally], moment: int, running: dict, session: Session) -> None:
        """The rounds of `due` in this interval, unless a failing source's back-off ends later
        (it ends at an interval's start: then that interval's round is its next)."""
        try:
            states = await self.rounds.states(due)
        except StoreUnavailable:
            log.warning("collecting: the tally store cannot be read now")
            return
        now_due = [(tally, state) for tally, state in zip(due, states, strict=True) if moment >= state.next_ms]
        if not now_due:
            return
        try:
            taken = await self.rounds.claim([tally for tally, _ in now_due], moment)
        except StoreUnavailable:
            log.warning("collecting: the tally store cannot be written now")
            return
        for (tally, state), won in zip(now_due, taken, strict=True):
            if won:
                # Started within the first half of its interval, or not at all.
                span = tally.collect.every * 1000
                work = self.rounds.collect(tally, state, moment, session, moment - moment % span + span // 2)
                running[tally.key] = asyncio.create_task(self._guarded(tally, work))

    @staticmethod
    async def _guarded(tally: Tally, work) -> None:
        try:
            await work
        except Exception:  # noqa: BLE001 - one tally's bug never stops the others'
            log.exception("collecting %s/%s failed unexpectedly", *tally.key)

    @staticmethod
    def _pause(tallies: list[Tally], moment: int) -> float:
        if not tallies:
            return IDLE
        soonest = min(next_interval(moment, tally.collect.every) for tally in tallies)
        return max(0.01, min(TICK, (soonest - moment) / 1000 + 0.005))


def once(rounds: Rounds, tallies: Iterable[Tally], at_ms: int | None = None) -> list[Outcome]:
    """One round of each of `tallies` now (or for the interval of `at_ms`), all at once: for
    `voipdown tally collect --once`. Called from any thread, one running an event loop too."""
    work = lambda: rounds.rounds(list(tallies), at_ms)  # noqa: E731 - made in the thread that runs it
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work())
    found: list = []

    def in_a_thread_of_its_own() -> None:
        try:
            found.append(asyncio.run(work()))
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            found.append(error)

    thread = threading.Thread(target=in_a_thread_of_its_own)
    thread.start()
    thread.join()
    if isinstance(found[0], BaseException):
        raise found[0]
    return found[0]
