"""Handlers of the toy and assert steps."""

from __future__ import annotations

from fate_e2e.checks.probes import run_probe
from fate_e2e.checks.toy import require_toy
from fate_e2e.errors import ProductFailure
from fate_e2e.report.allure_io import attach_text
from fate_e2e.run.context import RunContext
from fate_e2e.run.steps import handles
from fate_e2e.scenario.schema import AssertStep, ToyStep


@handles("toy")
def toy(ctx: RunContext, args: ToyStep, timeout: float) -> None:
    """The toy job from guest to host; both parties must report success."""
    result = require_toy(ctx, guest=args.guest, host=args.host, timeout=timeout)
    attach_text("toy verdict", result.summary())


@handles("assert")
def assert_(ctx: RunContext, args: AssertStep, timeout: float) -> None:
    """Evaluate a probe on one party (or every party); fail naming each failing party."""
    parties = [ctx.party(args.party)] if args.party else ctx.scenario.parties
    results = [run_probe(ctx, args.probe, party, {**args.args, "timeout": timeout})
               for party in parties]
    attach_text(f"probe {args.probe}", "\n".join(r.describe() for r in results))
    failed = [r for r in results if not r.ok]
    if failed:
        raise ProductFailure("; ".join(r.describe() for r in failed))
