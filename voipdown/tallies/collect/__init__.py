"""Collecting: tallies that read their numbers themselves, from a source's JSON, CSV or page.

- `spec`: a tally's `collect` table as the timeline declares it, with its limits.
- `extract`: the number in a body (RFC 6901 pointer, RFC 9535 path, a CSV column, a pattern).
- `addresses`: which addresses a fetch may reach (never from a public source into a private
  network).
- `fetch`: one polite, bounded HTTP request (httpx): validators, at most 1 MiB, 3 redirects.
- `state`: what the store keeps of a tally's collecting (last success, last error, next
  attempt), shared by every worker of every host.
- `collector`: one round for a tally (a lease, a fetch, the push's write path) and the
  schedule each worker runs; the store's lease lets one of them fetch per interval.

Nothing here knows Flask; the web layer shows the state, the CLI runs a round.
"""
