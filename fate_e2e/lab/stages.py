"""A cached lab stage: skip when its stamp matches, else build, time it and record facts."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fate_e2e.cache import Stamp


def say(message: str) -> None:
    """One lab status line on stderr (bypasses pytest capture like progress lines)."""
    stream = sys.__stderr__ or sys.stderr
    stream.write(f"[fate-e2e] {message}\n")
    stream.flush()


@dataclass
class StageResult:
    """What a stage did: cached or built, how long it took now and when it last built."""

    name: str
    cached: bool
    seconds: float
    facts: dict[str, Any] = field(default_factory=dict)


def run_stage(name: str, key: dict[str, Any], outputs: Sequence[Path],
              build: Callable[[], dict[str, Any] | None],
              exists: Callable[[], bool] | None = None) -> StageResult:
    """Run ``build`` unless the stamp for ``key`` is there and ``outputs`` (or ``exists``) hold.

    The stamp records the build's wall time as ``seconds`` plus whatever facts ``build`` returns.
    """
    stamp = Stamp(name, key)
    started = time.monotonic()
    present = all(p.exists() for p in outputs) and (exists is None or exists())
    if stamp.done() and present:
        facts = stamp.info()
        say(f"{name}: up to date, nothing rebuilt (built in {facts.get('seconds', '?')}s)")
        return StageResult(name, True, time.monotonic() - started, facts)
    say(f"{name}: building")
    extra = build() or {}
    seconds = round(time.monotonic() - started, 1)
    stamp.mark(seconds=seconds, **extra)
    say(f"{name}: built in {seconds}s")
    return StageResult(name, False, seconds, stamp.info())
