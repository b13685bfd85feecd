"""Handlers of the deploy, wait and exec steps."""

from __future__ import annotations

import re
import time

from fate_e2e.errors import ProductFailure
from fate_e2e.report.allure_io import attach_text
from fate_e2e.run.context import RunContext
from fate_e2e.run.steps import handles
from fate_e2e.scenario.schema import DeployStep, ExecStep, WaitStep
from fate_e2e.waits import NotYet, wait_until


@handles("deploy")
def deploy(ctx: RunContext, args: DeployStep, timeout: float) -> None:
    """Install (or converge) the listed parties, all by default, and wait until ready."""
    ids = args.parties or [p.id for p in ctx.scenario.parties]
    parties = [ctx.party(i) for i in ids]
    started = time.monotonic()
    ctx.installer.deploy(parties, timeout=timeout)
    ctx.deployed.update(ids)
    ctx.record_time("deploy_to_ready", time.monotonic() - started)
    for party_id, seconds in getattr(ctx.installer, "ready_seconds", {}).items():
        if party_id in ids:
            ctx.record_time(f"deploy_to_ready_{party_id}", seconds)


@handles("wait")
def wait(ctx: RunContext, args: WaitStep, timeout: float) -> None:
    """Wait for a fixed duration, or until the party (all when omitted) is ready again."""
    if args.duration is not None:
        deadline = time.monotonic() + args.duration

        def _elapsed() -> None:
            if time.monotonic() < deadline:
                raise NotYet(f"{deadline - time.monotonic():.0f}s left")

        wait_until(f"{args.duration:.0f}s to pass", _elapsed, timeout=args.duration + 5,
                   interval=min(5.0, args.duration))
        return
    ids = [args.party] if args.party else sorted(ctx.deployed)
    ctx.installer.deploy([ctx.party(i) for i in ids], timeout=timeout)


@handles("exec")
def exec_(ctx: RunContext, args: ExecStep, timeout: float) -> None:
    """Run a command in the party's module pod; check exit code and output."""
    from fate_e2e.install.native.names import module_pod

    party = ctx.party(args.party)
    pod = module_pod(ctx.kube, party, args.module)
    result = ctx.kube.exec(party.ns, pod, args.command, timeout=timeout)
    attach_text(f"exec {' '.join(args.command)}", result.output)
    what = f"party {args.party} {args.module}: `{' '.join(args.command)}`"
    # Output first: an exit code only means something once the command did what was meant
    # (a usage error also exits non-zero).
    if args.expect_output and not re.search(args.expect_output, result.output):
        raise ProductFailure(f"{what}: output does not match /{args.expect_output}/ "
                             f"(exit {result.returncode}): {result.output[-500:]}")
    wanted_ok = result.returncode != 0 if args.expect_exit == "nonzero" \
        else result.returncode == args.expect_exit
    if not wanted_ok:
        expected = "a non-zero code" if args.expect_exit == "nonzero" else args.expect_exit
        raise ProductFailure(f"{what} exited {result.returncode}, expected {expected}: "
                             f"{result.output[-500:]}")
