"""Where a run's wall time goes: waiting on the cluster versus the harness's own work."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

_totals: defaultdict[str, float] = defaultdict(float)
_lock = threading.Lock()
_depth = threading.local()


@contextmanager
def cluster_time(category: str) -> Iterator[None]:
    """Count the block as time spent waiting on the cluster (main thread, outermost only)."""
    counted = threading.current_thread() is threading.main_thread() and \
        not getattr(_depth, "inside", False)
    if counted:
        _depth.inside = True
    started = time.monotonic()
    try:
        yield
    finally:
        if counted:
            _depth.inside = False
            with _lock:
                _totals[category] += time.monotonic() - started


def snapshot() -> dict[str, float]:
    """Seconds per category so far (cumulative for the process)."""
    with _lock:
        return {k: round(v, 2) for k, v in _totals.items()}


def since(before: dict[str, float]) -> dict[str, float]:
    """Per-category seconds accumulated after ``before`` was taken."""
    now = snapshot()
    return {k: round(v - before.get(k, 0.0), 2) for k, v in now.items()
            if v - before.get(k, 0.0) > 0}
