"""Evidence for a failed toy: both parties' job and server logs, unreachable routes."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from fate_e2e.checks.flow_cli import FlowCli
from fate_e2e.errors import FateE2EError
from fate_e2e.install.native.names import module_pods
from fate_e2e.report.allure_io import attach_text

if TYPE_CHECKING:
    from fate_e2e.checks.toy import ToyResult
    from fate_e2e.run.context import RunContext

LOG_TAIL = 200
_DUMP = ('d=$(mktemp -d) && flow job download-log -j {job} -o "$d" >/dev/null 2>&1; '
         'find "$d" "${{FATE_FLOW_HOME:-/data}}/logs/fate_flow" -maxdepth 6 -type f '
         '-name "*.log" -o -type f -name "INFO" -o -type f -name "ERROR" 2>/dev/null | sort | '
         'while read -r f; do echo "=== $f"; tail -n {tail} "$f"; done')


def _keep(ctx: RunContext, name: str, text: str) -> None:
    """Attach ``text`` and keep a redacted copy under the run dir's evidence/ (for capture)."""
    from fate_e2e.report.redact import redact

    attach_text(name, text)
    out = ctx.work_dir / "evidence"
    out.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    (out / f"{safe}.txt").write_text(redact(text))


def attach_toy_evidence(ctx: RunContext, result: ToyResult) -> None:
    """Attach each party's job logs, flow server logs and flow pod logs."""
    for party_id in (result.guest, result.host):
        party = ctx.party(party_id)
        try:
            cli = FlowCli(ctx.kube, party)
            if result.job_id:
                script = _DUMP.format(job=shlex.quote(result.job_id), tail=LOG_TAIL)
                _keep(ctx, f"party {party_id} job {result.job_id} logs",
                      cli.shell(script, timeout=120).output)
        except FateE2EError as exc:
            _keep(ctx, f"party {party_id} job logs unavailable", str(exc))
        for pod in module_pods(ctx.kube, party, "flow", ready_only=False):
            try:
                text = ctx.kube.core.read_namespaced_pod_log(pod, party.ns, container="flow",
                                                             tail_lines=LOG_TAIL)
            except Exception as exc:
                text = f"could not read logs: {exc}"
            _keep(ctx, f"party {party_id} {pod} server log", str(text))


def unreachable_parties(ctx: RunContext, *, guest: int, host: int) -> list[str]:
    """Probe both directions of both routes (scheduling via nginx, data via RabbitMQ)."""
    problems: list[str] = []
    for src, dst in ((guest, host), (host, guest)):
        party = ctx.party(src)
        try:
            cli = FlowCli(ctx.kube, party)
        except FateE2EError as exc:
            problems.append(f"party {src} cannot be probed: {exc}")
            continue
        ok, why = cli.site_via_nginx(dst)
        if not ok:
            problems.append(f"party {dst} unreachable from party {src} on the scheduling route "
                            f"(nginx, dest-party-id {dst}): {why}")
        route = ctx.installer.routes(party).get(dst)
        if route is not None:
            ok, why = cli.tcp_reachable(route.host, route.amqp_port)
            if not ok:
                problems.append(f"party {dst}'s RabbitMQ unreachable from party {src} at "
                                f"{route.host}:{route.amqp_port}: {why}")
    return problems
