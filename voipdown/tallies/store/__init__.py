"""Where pushed tally samples are kept: the `TallyStore` protocol (`protocol.py`) and its two
implementations, SQLite by default (`sqlite.py`) and Redis for several hosts (`redis.py`)."""

from __future__ import annotations

from voipdown.tallies.store.protocol import TallyStore


def open_tally_store(settings) -> TallyStore:
    """Redis when VOIPDOWN_REDIS_URL is set (several hosts), else the SQLite file VOIPDOWN_TALLY_STORE."""
    if settings.redis_url:
        from voipdown.tallies.store.redis import RedisTallyStore

        return RedisTallyStore(settings.redis_url)
    from voipdown.tallies.store.sqlite import SqliteTallyStore

    return SqliteTallyStore(settings.tally_store, settings.tally_sync)
