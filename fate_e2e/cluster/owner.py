"""Who created a cluster: one record per cluster under <cache>/clusters.

A run killed outright (SIGKILL, OOM, a reboot) cannot tear down; the record lets the next run
tell such an orphan (its creator gone, not kept on purpose) from a cluster in use or kept.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from fate_e2e.paths import cache_dir

KEPT = "kept"


@dataclass(frozen=True)
class Owner:
    """The process that created a cluster, and what its keep policy was."""

    pid: int
    boot_id: str
    start_ticks: str
    keep: str
    work_dir: str
    created_at: float

    def alive(self) -> bool:
        """Whether the creating process still runs (same boot, same pid start time)."""
        return self.boot_id == boot_id() and self.start_ticks == process_start(self.pid)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))
        return f"pid {self.pid}, created {when}, work dir {self.work_dir}"


def boot_id() -> str:
    """This boot's id (changes on every reboot)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot ('' when no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # Field 22; the command name (field 2) may hold spaces, so split after its ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def _record(provider: str, name: str) -> Path:
    return cache_dir() / "clusters" / f"{provider}-{name}.json"


def claim(provider: str, name: str, *, keep: str, work_dir: Path) -> None:
    """Record this process as the creator of cluster ``name`` (before creating it)."""
    path = _record(provider, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = Owner(os.getpid(), boot_id(), process_start(os.getpid()), keep, str(work_dir),
               time.time())
    path.write_text(json.dumps(asdict(me)))


def read(provider: str, name: str) -> Owner | None:
    """The recorded creator of cluster ``name``, if any."""
    try:
        return Owner(**json.loads(_record(provider, name).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def mark_kept(provider: str, name: str) -> None:
    """The run kept the cluster on purpose: it is never reclaimed as an orphan."""
    owner = read(provider, name)
    if owner is not None:
        kept = Owner(**{**asdict(owner), "keep": KEPT})
        _record(provider, name).write_text(json.dumps(asdict(kept)))


def forget(provider: str, name: str) -> None:
    """The cluster is gone: drop its record."""
    _record(provider, name).unlink(missing_ok=True)


def orphan(provider: str, name: str) -> Owner | None:
    """The record of a cluster whose creator died without tearing it down, else None.

    Only a creator whose policy was ``never`` leaves an orphan: ``on-failure`` and ``always``
    ask to keep the cluster when the run does not finish cleanly.
    """
    owner = read(provider, name)
    if owner is None or owner.keep != "never" or owner.alive():
        return None
    return owner
