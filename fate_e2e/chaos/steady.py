"""Steady-state probes before, during (background, at intervals) and after a fault."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from fate_e2e.chaos.verdict import Timeline
from fate_e2e.checks.probes import ProbeResult, run_probe
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PartySpec
from fate_e2e.waits import NotYet, WaitTimeout, wait_until

# Probes that need a second party (run once, from the first party as guest).
_PAIRWISE = {"toy"}


def probe_round(ctx: RunContext, probes: Sequence[str],
                parties: Sequence[PartySpec]) -> list[ProbeResult]:
    """Every probe on every party (pairwise probes once), cheapest first."""
    results: list[ProbeResult] = []
    for name in probes:
        targets = parties[:1] if name in _PAIRWISE else parties
        for party in targets:
            result = run_probe(ctx, name, party)
            results.append(result)
            if not result.ok:
                return results  # later probes would only repeat the failure
    return results


def first_failure(results: Sequence[ProbeResult]) -> ProbeResult | None:
    return next((r for r in results if not r.ok), None)


class DuringMonitor:
    """Runs cheap probes in the background while a fault is active; keeps what it saw."""

    def __init__(self, ctx: RunContext, probes: Sequence[str], parties: Sequence[PartySpec],
                 interval: float, timeline: Timeline) -> None:
        self.ctx = ctx
        self.probes = [p for p in probes if p not in _PAIRWISE]
        self.parties = parties
        self.interval = interval
        self.timeline = timeline
        self.rounds: list[tuple[float, list[ProbeResult]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                results = probe_round(self.ctx, self.probes, self.parties)
            except Exception as exc:  # a probe crash must not kill the experiment
                self.timeline.add(f"during-probe error: {exc}")
            else:
                failed = first_failure(results)
                at = self.timeline.add("during: " + (failed.describe() if failed
                                                     else "all probes green"))
                self.rounds.append((at, results))
            self._stop.wait(self.interval)

    def __enter__(self) -> DuringMonitor:
        if self.probes:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=120)


def wait_recovered(ctx: RunContext, probes: Sequence[str], parties: Sequence[PartySpec], *,
                   timeout: float, interval: float, timeline: Timeline) -> ProbeResult | None:
    """Poll the probes until all pass (None) or the timeout ends (the last failing probe)."""
    last: dict[str, ProbeResult | None] = {"failed": None}

    def _green() -> None:
        results = probe_round(ctx, probes, parties)
        failed = first_failure(results)
        last["failed"] = failed
        if failed is not None:
            timeline.add("after: " + failed.describe())
            raise NotYet(failed.describe())

    try:
        wait_until("the federation to heal (steady-state probes green)", _green,
                   timeout=timeout, interval=interval)
    except WaitTimeout:
        return last["failed"]
    return None
