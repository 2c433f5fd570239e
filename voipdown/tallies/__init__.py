"""Tallies: numbers a campaign follows beside its count (likes lost, signatures), in one package.

- `model`: a tally as the timeline declares it (it knows its counter and zone), its samples,
  and how an instant is stored (milliseconds) and written (RFC 3339).
- `series`: what is said of a series (change, rates, staleness, downsampling), computed from
  what a documented store query returns.
- `push`: reading a push's body; `tokens`: push tokens, kept only as hashes.
- `store`: where pushed samples are kept, behind the `TallyStore` protocol (SQLite, Redis),
  every read bounded by an index.
- `reader`: `TallyReader`, each worker's one view of the store: a version memo, the last
  readings (answered from while the store fails), and the one notice that this worker wrote.

Nothing here knows Flask or HTTP; the web layer asks the reader and sets headers.
"""
