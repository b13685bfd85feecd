"""Wait until a party's workloads have rolled out and every pod is ready."""

from __future__ import annotations

from kubernetes import client

from fate_e2e.kube import Kube
from fate_e2e.scenario.schema import PartySpec
from fate_e2e.waits import NotYet, wait_until


def pod_state(pod: client.V1Pod) -> str:
    """A short human description: phase plus why containers are not ready."""
    reasons = []
    for status in pod.status.container_statuses or []:
        state = status.state
        if state and state.waiting and state.waiting.reason:
            reasons.append(f"{status.name}:{state.waiting.reason}")
        elif state and state.terminated and state.terminated.reason:
            reasons.append(f"{status.name}:{state.terminated.reason}")
        elif not status.ready:
            reasons.append(f"{status.name}:not-ready")
        if status.restart_count:
            reasons.append(f"restarts={status.restart_count}")
    extra = f" ({', '.join(reasons)})" if reasons else ""
    return f"{pod.metadata.name}={pod.status.phase}{extra}"


def _rolled_out(obj: client.V1Deployment | client.V1StatefulSet, want: int) -> str | None:
    """None when rolled out; else what is missing."""
    status = obj.status
    ready = status.ready_replicas or 0
    updated = status.updated_replicas or 0
    current = status.replicas or 0
    if obj.metadata.generation and (status.observed_generation or 0) < obj.metadata.generation:
        return "change not observed yet"
    if ready < want or updated < want or current > want:
        return f"{ready}/{want} ready, {updated} updated, {current} present"
    if isinstance(obj, client.V1StatefulSet) and status.update_revision and \
            status.current_revision != status.update_revision and want > 0:
        return "rolling to the new revision"
    return None


def wait_party_ready(kube: Kube, party: PartySpec, workloads: dict[str, int], *,
                     timeout: float) -> None:
    """Every listed Deployment/StatefulSet rolled out with its replicas ready."""

    def _ready() -> None:
        missing = []
        for sts in kube.apps.list_namespaced_stateful_set(party.ns).items:
            if sts.metadata.name in workloads:
                why = _rolled_out(sts, workloads[sts.metadata.name])
                if why:
                    missing.append(f"{sts.metadata.name}: {why}")
        for dep in kube.apps.list_namespaced_deployment(party.ns).items:
            if dep.metadata.name in workloads:
                why = _rolled_out(dep, workloads[dep.metadata.name])
                if why:
                    missing.append(f"{dep.metadata.name}: {why}")
        if missing:
            pods = [pod_state(p) for p in kube.pods(party.ns)]
            raise NotYet("; ".join(missing) + " | pods: " + ", ".join(pods))

    wait_until(f"party {party.id} ({party.ns}) to be ready", _ready, timeout=timeout,
               interval=3.0)


def wait_routes(kube: Kube, party: PartySpec, destinations: list[int], *,
                timeout: float) -> None:
    """Wait until the party's nginx routes a call to each destination party and it answers.

    Pods being Ready is not enough: kube-proxy programs a new Service endpoint a moment
    later, and until then the party's own route is refused.
    """
    from fate_e2e.checks.flow_cli import FlowCli

    def _routed() -> None:
        cli = FlowCli(kube, party)
        failing = []
        for dest in destinations:
            ok, why = cli.site_via_nginx(dest, timeout=5.0)
            if not ok:
                failing.append(f"party {dest}: {why}")
        if failing:
            raise NotYet("; ".join(failing))

    wait_until(f"party {party.id}'s routes to {', '.join(map(str, destinations))}", _routed,
               timeout=timeout, interval=2.0)
