"""Diagnostics on failure: pods, logs (previous too), events, rendered manifests."""

from __future__ import annotations

import logging

from fate_e2e.run.context import RunContext

log = logging.getLogger(__name__)


def diagnose(ctx: RunContext, *, reason: str) -> None:
    """Attach everything a release engineer needs to see why the scenario failed."""
    from fate_e2e.report.diagnostics import attach_diagnostics

    namespaces = [p.ns for p in ctx.scenario.parties]
    rendered: dict[str, str] = {}
    for party in ctx.scenario.parties:
        try:
            for name, text in ctx.installer.render(party).items():
                rendered[f"{party.ns}/{name}"] = text
        except Exception as exc:  # rendering must not hide the failure being diagnosed
            rendered[f"{party.ns}/render-error.txt"] = str(exc)
    try:
        attach_diagnostics(ctx.kube.core, namespaces, rendered=rendered,
                           dest=ctx.work_dir / "diagnostics", reason=reason)
    except Exception as exc:
        log.warning("collecting diagnostics failed: %s", exc)
