"""Handlers of the podKill, scale and upgrade steps."""

from __future__ import annotations

import time

from fate_e2e.chaos.background import BackgroundToy
from fate_e2e.chaos.experiment import expect_verdict, run_experiment
from fate_e2e.chaos.faults import block_recovery, kill_pods, kill_targets, wait_replaced
from fate_e2e.chaos.verdict import Timeline
from fate_e2e.run.context import RunContext
from fate_e2e.run.steps import handles
from fate_e2e.scenario.schema import PodKillStep, ScaleStep, UpgradeStep

# Faults of these modules must not lose FATE's job records.
_STATEFUL = {"flow", "mariadb"}


@handles("podKill")
def pod_kill(ctx: RunContext, args: PodKillStep, timeout: float) -> None:
    """Kill pods (idle or during a toy job), watch recovery, judge."""
    namespace, selector = kill_targets(ctx, args)
    what = f"{args.module or selector} of party {args.party}" if args.party else selector
    after = ["jobs-retained"] if args.module in _STATEFUL and ctx.jobs else []

    def inject(timeline: Timeline) -> float:
        toy = None
        if args.during == "toy" and args.toy is not None:
            toy = BackgroundToy(ctx, args.toy.guest, args.toy.host, timeout=timeout)
            job = toy.start_and_wait_running()
            timeline.add(f"toy job {job} running ({args.toy.guest} -> {args.toy.host})")
        killed = kill_pods(ctx, args)
        struck = time.monotonic()
        timeline.add(f"deleted {', '.join(k.name for k in killed)} in {namespace} "
                     f"(grace {args.grace if args.grace is not None else 'default'})")
        if args.block_recovery:
            assert args.party is not None and args.module is not None
            done = block_recovery(ctx, args.party, args.module)
            timeline.add(f"negative control: {done}, it cannot heal")
        else:
            wait_replaced(ctx, killed, selector, timeout=args.recovery_timeout)
            timeline.add("replacement pods ready")
        if toy is not None:
            result = toy.join()
            did = "completed the job anyway" if result.success else "failed the job"
            note = f"FATE {did} while {what} was killed: {result.summary()}"
            timeline.add(note)
            ctx.finding(note)
        return struck

    verdict = run_experiment(ctx, f"podKill {what}", args.steady_state, inject,
                             recovery_timeout=args.recovery_timeout, after_checks=after)
    expect_verdict(verdict, args)


@handles("scale")
def scale(ctx: RunContext, args: ScaleStep, timeout: float) -> None:
    """Scale a module through the installer and prove the new members work."""
    from fate_e2e.chaos.scaling import scale_experiment

    expect_verdict(scale_experiment(ctx, args, timeout), args)


@handles("upgrade")
def upgrade(ctx: RunContext, args: UpgradeStep, timeout: float) -> None:
    """Roll one party to another version; earlier jobs must stay queryable."""
    from fate_e2e.chaos.upgrading import upgrade_party

    upgrade_party(ctx, args, timeout)
