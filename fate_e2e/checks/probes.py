"""Health probes of a deployment; used by assert steps and chaos steady-state checks.

A probe returns ProbeResult(ok, detail) naming the party and module it looked at;
it raises only for harness errors, never for a product that is unhealthy.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fate_e2e.checks.flow_cli import FlowCli
from fate_e2e.errors import FateE2EError
from fate_e2e.install.native.names import (
    FLOW_GRPC_PORT,
    FLOW_HTTP_PORT,
    LABEL_MODULE,
    NGINX_HTTP_PORT,
    RABBITMQ_MNG_PORT,
)
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PartySpec


@dataclass(frozen=True)
class ProbeResult:
    """One probe's answer about one party (module named when it is the culprit)."""

    probe: str
    party: int | None
    ok: bool
    detail: str
    module: str | None = None

    def describe(self) -> str:
        where = f"party {self.party}" if self.party is not None else "deployment"
        mod = f" {self.module}" if self.module else ""
        return f"{self.probe} on {where}{mod}: {'ok' if self.ok else 'FAIL'} - {self.detail}"


Probe = Callable[[RunContext, PartySpec, dict[str, Any]], ProbeResult]
PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(func: Probe) -> Probe:
        PROBES[name] = func
        return func

    return register


def run_probe(ctx: RunContext, name: str, party: PartySpec,
              args: dict[str, Any] | None = None) -> ProbeResult:
    """Run probe ``name`` on ``party``; harness errors become a failed result with detail."""
    try:
        return PROBES[name](ctx, party, args or {})
    except FateE2EError as exc:
        return ProbeResult(name, party.id, False, str(exc))


@probe("pods-ready")
def pods_ready(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """Every module has its desired replicas ready, and no pod of the party is unready."""
    pods = ctx.kube.pods(party.ns)
    ready_by_module: dict[str, int] = {}
    for pod in sorted(pods, key=lambda p: p.metadata.name):
        module = (pod.metadata.labels or {}).get(LABEL_MODULE)
        ready = any(c.type == "Ready" and c.status == "True"
                    for c in (pod.status.conditions or []))
        if not ready or pod.metadata.deletion_timestamp:
            return ProbeResult("pods-ready", party.id, False,
                               f"pod {pod.metadata.name} is {pod.status.phase}, not ready",
                               module)
        if module:
            ready_by_module[module] = ready_by_module.get(module, 0) + 1
    for module, want in sorted(ctx.installer.desired_replicas(party).items()):
        have = ready_by_module.get(module, 0)
        if have < want:
            return ProbeResult("pods-ready", party.id, False,
                               f"{module}: {have}/{want} pods ready", module)
    if not pods:
        return ProbeResult("pods-ready", party.id, False, f"no pods in {party.ns}")
    return ProbeResult("pods-ready", party.id, True, f"{len(pods)} pods ready")


@probe("flow-healthy")
def flow_healthy(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    cli = FlowCli(ctx.kube, party)
    script = ("import json,os,urllib.request\n"
              f"u='http://'+os.environ.get('POD_IP','127.0.0.1')+':{FLOW_HTTP_PORT}"
              "/v2/site/info/query'\n"
              "try:\n  print(urllib.request.urlopen(u,timeout=10).read().decode())\n"
              "except Exception as e:\n  print(json.dumps({'error':repr(e)}))\n")
    out = cli.shell(f"python3 -c {shlex.quote(script)}", timeout=60).stdout.strip()
    try:
        data = json.loads(out.splitlines()[-1])
    except (ValueError, IndexError):
        return ProbeResult("flow-healthy", party.id, False, f"bad answer: {out[-200:]}", "flow")
    if data.get("code") == 0 and str((data.get("data") or {}).get("party_id")) == str(party.id):
        return ProbeResult("flow-healthy", party.id, True, f"{cli.pod} answers as {party.id}",
                           "flow")
    return ProbeResult("flow-healthy", party.id, False, f"{cli.pod}: {out[-300:]}", "flow")


@probe("broker-reachable")
def broker_reachable(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """RabbitMQ's aliveness test (publish+consume) through its management API."""
    cli = FlowCli(ctx.kube, party)
    url = f"http://rabbitmq.{party.ns}.svc:{RABBITMQ_MNG_PORT}/api/aliveness-test/%2F"
    script = ("import base64,json,os,urllib.request\n"
              "auth=base64.b64encode(('fate:'+os.environ['RABBITMQ_PASSWORD']).encode()).decode()\n"
              f"r=urllib.request.Request({url!r},headers={{'Authorization':'Basic '+auth}})\n"
              "try:\n  print(urllib.request.urlopen(r,timeout=10).read().decode())\n"
              "except Exception as e:\n  print(json.dumps({'error':repr(e)}))\n")
    out = cli.shell(f"python3 -c {shlex.quote(script)}", timeout=60).stdout.strip()
    ok = '"status":"ok"' in out.replace(" ", "")
    return ProbeResult("broker-reachable", party.id, ok,
                       "aliveness test ok" if ok else f"aliveness test: {out[-300:]}",
                       "rabbitmq")


@probe("toy")
def toy(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """The toy with ``party`` as guest and args['host'] (else the first other party)."""
    from fate_e2e.checks.toy import run_toy

    host = int(args.get("host") or next(p.id for p in ctx.scenario.parties if p.id != party.id))
    result = run_toy(ctx, guest=party.id, host=host, timeout=float(args.get("timeout", 600)))
    return ProbeResult("toy", party.id, result.success, result.summary())


def _job_records(ctx: RunContext, party: PartySpec) -> tuple[list[str], list[str]]:
    """(job ids this party still knows, job ids it lost) among successful recorded jobs."""
    from fate_e2e.checks.toy_output import parse_job_query

    cli = FlowCli(ctx.kube, party)
    kept: list[str] = []
    lost: list[str] = []
    for job in ctx.jobs:
        if job.status != "success" or party.id not in (job.guest, job.host):
            continue
        _, _, records = parse_job_query(cli.job_query(job.job_id))
        (kept if records else lost).append(job.job_id)
    return kept, lost


@probe("jobs-retained")
def jobs_retained(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    kept, lost = _job_records(ctx, party)
    if not kept and not lost:
        return ProbeResult("jobs-retained", party.id, False, "no earlier successful job to check",
                           "mariadb")
    if lost:
        return ProbeResult("jobs-retained", party.id, False,
                           f"{len(lost)} of {len(kept) + len(lost)} job records lost: "
                           f"{', '.join(lost)}", "mariadb")
    return ProbeResult("jobs-retained", party.id, True,
                       f"all {len(kept)} earlier jobs still queryable", "mariadb")


@probe("jobs-lost")
def jobs_lost(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    kept, lost = _job_records(ctx, party)
    ok = bool(lost) and not kept
    return ProbeResult("jobs-lost", party.id, ok,
                       f"{len(lost)} lost, {len(kept)} still present", "mariadb")


@probe("routes-configured")
def routes_configured(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """The config files inside the flow and nginx pods hold every peer's live address."""
    from fate_e2e.install.native.names import module_pod

    live = ctx.installer.live_addresses()
    peers = [a for pid, a in live.items() if pid != party.id]
    cli = FlowCli(ctx.kube, party)
    # The route table fate_flow really reads (run-flow copies it into its conf dir).
    flow_conf = cli.shell('cat "${FATE_FLOW_CONF_DIR:-/opt/fate/conf}/rabbitmq_route_table.yaml"',
                          timeout=60).stdout
    nginx_pod = module_pod(ctx.kube, party, "nginx")
    nginx_conf = ctx.kube.exec(party.ns, nginx_pod, ["sh", "-c", "cat /etc/fate-nginx/*.conf"],
                               container="nginx", timeout=60).stdout
    missing = []
    for peer in peers:
        if f"{peer.host}" not in flow_conf or str(peer.amqp_port) not in flow_conf:
            missing.append(f"flow route table lacks {peer.describe()}")
        if f"{peer.host}:{peer.nginx_port}" not in nginx_conf:
            missing.append(f"nginx lacks {peer.host}:{peer.nginx_port} for party {peer.party_id}")
    if missing:
        return ProbeResult("routes-configured", party.id, False, "; ".join(missing))
    return ProbeResult("routes-configured", party.id, True,
                       f"{len(peers)} peer address(es) present in flow and nginx config")


@probe("listening")
def listening(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """testinfra (kubectl backend): flow, broker and nginx listen on their ports."""
    from fate_e2e.checks.infra import listening_sockets

    expected = {"flow": [FLOW_HTTP_PORT, FLOW_GRPC_PORT], "rabbitmq": [5672, RABBITMQ_MNG_PORT],
                "nginx": [NGINX_HTTP_PORT]}
    problems = listening_sockets(ctx, party, expected)
    if problems:
        return ProbeResult("listening", party.id, False, "; ".join(problems))
    return ProbeResult("listening", party.id, True,
                       "flow 9380/9360, rabbitmq 5672/15672, nginx 9300 listening")


@probe("flow-registered")
def flow_registered(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """Every ready fate_flow instance is registered in the party's ZooKeeper."""
    from fate_e2e.checks.instances import flow_pod_ips, registered_flows
    from fate_e2e.install.native.names import WORKLOADS

    if WORKLOADS["zookeeper"] not in ctx.installer.desired_replicas(party):
        return ProbeResult("flow-registered", party.id, True,
                           "no ZooKeeper registry configured (single flow)", "flow")
    pods = flow_pod_ips(ctx, party)
    found = registered_flows(ctx, party)
    missing = [f"{name} ({ip})" for name, ip in sorted(pods.items())
               if not any(ip in entry for entry in found)]
    if missing or not pods:
        return ProbeResult("flow-registered", party.id, False,
                           f"not registered under /FATE-COMPONENTS/fate-flow: "
                           f"{', '.join(missing) or 'no ready flow pod'} "
                           f"({len(found)} registration(s))", "flow")
    return ProbeResult("flow-registered", party.id, True,
                       f"{len(pods)} instance(s) registered", "flow")


@probe("flow-tasks")
def flow_tasks(ctx: RunContext, party: PartySpec, args: dict[str, Any]) -> ProbeResult:
    """Every ready fate_flow instance shows up in FATE's task table as a task runner."""
    from fate_e2e.checks.instances import flow_pod_ips, task_run_ips

    pods = flow_pod_ips(ctx, party)
    ran = task_run_ips(ctx, party)
    idle = [f"{name} ({ip})" for name, ip in sorted(pods.items()) if ip not in ran]
    if idle or not pods:
        return ProbeResult("flow-tasks", party.id, False,
                           f"never ran a task: {', '.join(idle) or 'no ready flow pod'}", "flow")
    return ProbeResult("flow-tasks", party.id, True,
                       f"all {len(pods)} instance(s) ran tasks", "flow")
