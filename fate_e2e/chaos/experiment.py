"""A chaos experiment: steady state, fault, probes during, recovery, verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from fate_e2e.chaos.steady import DuringMonitor, first_failure, probe_round, wait_recovered
from fate_e2e.chaos.verdict import Timeline, Verdict
from fate_e2e.errors import FateE2EError, ProductFailure
from fate_e2e.report.allure_io import attach_text, step
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import ChaosStep, PartySpec, SteadyState


def run_experiment(ctx: RunContext, name: str, steady: SteadyState,
                   inject: Callable[[Timeline], float], *, recovery_timeout: float,
                   parties: Sequence[PartySpec] | None = None,
                   after_checks: Sequence[str] = ()) -> Verdict:
    """Run one experiment and return its verdict (never raises for product failures).

    ``inject`` applies the fault and returns when it struck (time.monotonic()); it may run
    a job meanwhile and note what FATE did in the timeline. ``after_checks`` are probes
    added to the recovery condition. Recovery time runs from the strike to all-green.
    """
    targets = list(parties or ctx.scenario.parties)
    timeline = Timeline()
    probes = list(dict.fromkeys([*steady.probes, *after_checks]))
    with step(f"{name}: steady state before the fault"):
        before = probe_round(ctx, steady.probes, targets)
        attach_text("before", "\n".join(r.describe() for r in before))
        failed = first_failure(before)
        if failed is not None:
            return Verdict(name, "Error", "steady state not established before the fault: "
                           + failed.describe(), failed, timeline=timeline)
    timeline.add("steady state established")
    try:
        with step(f"{name}: inject the fault"), \
                DuringMonitor(ctx, steady.probes, targets, steady.interval, timeline):
            injected = inject(timeline)
            with step(f"{name}: wait for recovery"):
                still_failing = wait_recovered(ctx, probes, targets, timeout=recovery_timeout,
                                               interval=steady.interval, timeline=timeline)
    except ProductFailure as exc:
        timeline.add(f"failed while injecting: {exc}")
        verdict = Verdict(name, "Fail", str(exc), timeline=timeline)
    except FateE2EError as exc:
        timeline.add(f"harness error: {exc}")
        verdict = Verdict(name, "Error", f"the experiment could not run: {exc}",
                          timeline=timeline)
    else:
        if still_failing is not None:
            verdict = Verdict(name, "Fail", "did not heal within "
                              f"{recovery_timeout:.0f}s: {still_failing.describe()}",
                              still_failing, timeline=timeline)
        else:
            recovered = time.monotonic() - injected
            timeline.add(f"all probes green again after {recovered:.1f}s")
            verdict = Verdict(name, "Pass", "the federation healed", recovery_seconds=recovered,
                              timeline=timeline)
    attach_text(f"{name} timeline", timeline.render())
    attach_text(f"{name} verdict", verdict.headline())
    if verdict.recovery_seconds is not None:
        ctx.record_time(f"recovery:{name}", verdict.recovery_seconds)
    ctx.finding(verdict.headline())
    return verdict


def expect_verdict(verdict: Verdict, step: ChaosStep) -> None:
    """Raise unless the verdict is what the step expects (negative controls expect Fail)."""
    if step.expect_verdict == "Pass":
        verdict.raise_unless_pass()
        return
    if verdict.status != step.expect_verdict:
        raise ProductFailure(f"negative control expected verdict {step.expect_verdict}, got "
                             f"{verdict.headline()}")
    probe = step.expect_probe
    if probe and (verdict.failing is None or verdict.failing.probe != probe):
        named = verdict.failing.probe if verdict.failing else "no probe"
        raise ProductFailure(f"negative control expected probe {probe} to fail, got {named}: "
                             f"{verdict.headline()}")
    attach_text("negative control", f"as expected: {verdict.headline()}")
