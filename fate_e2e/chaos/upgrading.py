"""In-place upgrade of one party: refuse downgrades, roll, keep every job record."""

from __future__ import annotations

import time

from fate_e2e.chaos.experiment import expect_verdict, run_experiment
from fate_e2e.chaos.faults import block_recovery
from fate_e2e.chaos.verdict import Timeline
from fate_e2e.checks.toy import run_toy
from fate_e2e.errors import FateE2EError, ProductFailure
from fate_e2e.report.allure_io import attach_text, step
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import UpgradeStep


class UpgradeRefused(FateE2EError):
    """The installer will not perform this version change (e.g. a downgrade)."""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def check_upgrade(current: str | None, target: str) -> None:
    """Refuse downgrades and no-op upgrades with a message that says why."""
    if current is None:
        raise UpgradeRefused(f"cannot upgrade to {target}: the party is not installed")
    if version_key(target) < version_key(current):
        raise UpgradeRefused(f"refusing to downgrade FATE from {current} to {target}: "
                             "downgrades are not supported (job records may not be readable by "
                             "an older fate_flow); reinstall the party instead")
    if target == current:
        raise UpgradeRefused(f"party is already on FATE {current}: nothing to upgrade")


def upgrade_party(ctx: RunContext, args: UpgradeStep, timeout: float) -> None:
    """Upgrade the party as an experiment, then run the toy in the new state."""
    party = ctx.party(args.party)
    current = ctx.installer.installed_version(party)
    check_upgrade(current, args.to)
    name = f"upgrade party {party.id} {current} -> {args.to}"

    def inject(timeline: Timeline) -> float:
        struck = time.monotonic()
        ctx.installer.upgrade(party, args.to, timeout=timeout, wait=not args.block_recovery)
        if args.block_recovery:
            done = block_recovery(ctx, party.id, "flow")
            timeline.add(f"negative control: upgraded flow down ({done})")
        else:
            ctx.record_time(f"upgrade_{party.id}_{current}_to_{args.to}",
                            time.monotonic() - struck)
            timeline.add(f"party {party.id} rolled to {args.to}")
        return struck

    after = ["jobs-retained"] if any(j.status == "success" for j in ctx.jobs) else []
    verdict = run_experiment(ctx, name, args.steady_state, inject,
                             recovery_timeout=args.recovery_timeout, parties=[party],
                             after_checks=after)
    expect_verdict(verdict, args)
    if args.block_recovery:
        return
    versions = {p.id: ctx.installer.installed_version(p) for p in ctx.scenario.parties}
    state = ", ".join(f"{pid}={v}" for pid, v in sorted(versions.items()))
    mixed = len(set(versions.values())) > 1
    peer = next(p.id for p in ctx.scenario.parties if p.id != party.id)
    with step("toy in the " + ("mixed-version" if mixed else "upgraded") + f" state ({state})"):
        result = run_toy(ctx, guest=party.id, host=peer, timeout=ctx.scenario.fate.timeout)
        attach_text("toy verdict", result.summary())
    if mixed:
        verdict_text = "compatible" if result.success else "NOT compatible"
        ctx.finding(f"mixed versions ({state}): {verdict_text}; evidence: {result.summary()}")
        return
    if not result.success:
        raise ProductFailure(f"after the upgrade ({state}) the toy failed: {result.summary()}")
