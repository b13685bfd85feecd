"""In-place upgrade of one party: refuse downgrades, roll, keep every job record."""

from __future__ import annotations

import time

from fate_e2e.checks.probes import run_probe
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
    """Upgrade the party, then check records and the federation in the new state."""
    party = ctx.party(args.party)
    current = ctx.installer.installed_version(party)
    check_upgrade(current, args.to)
    with step(f"upgrade party {party.id}: {current} -> {args.to}"):
        started = time.monotonic()
        ctx.installer.upgrade(party, args.to, timeout=timeout)
        ctx.record_time(f"upgrade_{party.id}_{current}_to_{args.to}", time.monotonic() - started)
    with step(f"party {party.id}: earlier jobs still queryable"):
        kept = run_probe(ctx, "jobs-retained", party)
        attach_text("jobs-retained", kept.describe())
        if not kept.ok:
            raise ProductFailure(f"after upgrading party {party.id} to {args.to}: "
                                 f"{kept.describe()}")
    versions = {p.id: ctx.installer.installed_version(p) for p in ctx.scenario.parties}
    mixed = len(set(versions.values())) > 1
    peer = next(p.id for p in ctx.scenario.parties if p.id != party.id)
    with step("toy in the " + ("mixed-version" if mixed else "upgraded") + " state"):
        result = run_toy(ctx, guest=party.id, host=peer, timeout=ctx.scenario.fate.timeout)
        state = ", ".join(f"{pid}={v}" for pid, v in sorted(versions.items()))
        attach_text("toy verdict", result.summary())
    if mixed:
        verdict = "compatible" if result.success else "NOT compatible"
        ctx.finding(f"mixed versions ({state}): {verdict}; evidence: {result.summary()}")
        return
    if not result.success:
        raise ProductFailure(f"after the upgrade ({state}) the toy failed: {result.summary()}")
