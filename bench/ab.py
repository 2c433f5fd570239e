"""Another commit's tree beside this one, for a benchmark that measures both in the same run."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import ROOT


@contextmanager
def tree_at(ref: str) -> Iterator[Path]:
    """A detached git worktree of `ref` (removed after): `serving(tree=...)` runs its package."""
    folder = Path(tempfile.mkdtemp(prefix="voipdown-ab-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), ref], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False)


@contextmanager
def trees(against: str | None) -> Iterator[dict[str, Path]]:
    """This tree, and `against`'s too when given (tree_at), by the name a report gives them."""
    if against is None:
        yield {"this tree": ROOT}
        return
    with tree_at(against) as other:
        yield {"this tree": ROOT, against: other}
