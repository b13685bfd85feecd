"""Faults: delete pods (by party+module or selector), block recovery, watch replacements."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kubernetes import client
from kubernetes.client.rest import ApiException

from fate_e2e.errors import InfraError
from fate_e2e.install.native.names import selector_text
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PodKillStep
from fate_e2e.waits import NotYet, wait_until


@dataclass(frozen=True)
class KilledPod:
    """A pod the fault deleted (uid distinguishes its replacement)."""

    namespace: str
    name: str
    uid: str


def kill_targets(ctx: RunContext, args: PodKillStep) -> tuple[str, str]:
    """(namespace, label selector) the podKill step aims at."""
    if args.selector:
        namespace = ctx.party(args.party).ns if args.party else ctx.scenario.parties[0].ns
        return namespace, args.selector
    assert args.party is not None and args.module is not None
    party = ctx.party(args.party)
    return party.ns, selector_text(party, args.module)


def pick(pods: list[client.V1Pod], count: int | str) -> list[client.V1Pod]:
    """``count`` pods chosen at random ('all' takes every pod)."""
    live = [p for p in pods if not p.metadata.deletion_timestamp]
    if count == "all":
        return live
    assert isinstance(count, int)
    return random.sample(live, min(count, len(live)))


def kill_pods(ctx: RunContext, args: PodKillStep) -> list[KilledPod]:
    """Delete the selected pods with the requested grace period."""
    namespace, selector = kill_targets(ctx, args)
    victims = pick(ctx.kube.pods(namespace, selector), args.count)
    if not victims:
        raise InfraError(f"podKill: no pod matches {selector} in {namespace}")
    body = client.V1DeleteOptions(grace_period_seconds=args.grace)
    killed = []
    for pod in victims:
        try:
            ctx.kube.core.delete_namespaced_pod(pod.metadata.name, namespace, body=body)
        except ApiException as exc:
            raise InfraError(f"podKill: deleting {namespace}/{pod.metadata.name} failed: "
                             f"{exc.reason}") from None
        killed.append(KilledPod(namespace, pod.metadata.name, pod.metadata.uid))
    return killed


def wait_replaced(ctx: RunContext, killed: list[KilledPod], selector: str,
                  timeout: float) -> None:
    """Wait until the killed pods are gone and as many new ready pods stand in their place."""
    namespace = killed[0].namespace
    old = {k.uid for k in killed}

    def _replaced() -> int:
        pods = ctx.kube.pods(namespace, selector)
        lingering = [p.metadata.name for p in pods if p.metadata.uid in old]
        fresh_ready = [p for p in pods if p.metadata.uid not in old and any(
            c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))]
        if lingering or len(fresh_ready) < len(killed):
            raise NotYet(f"{len(fresh_ready)}/{len(killed)} replacement(s) ready, "
                         f"still terminating: {', '.join(lingering) or 'none'}")
        return len(fresh_ready)

    wait_until(f"replacements of {', '.join(k.name for k in killed)}", _replaced,
               timeout=timeout)


def block_recovery(ctx: RunContext, party_id: int, module: str) -> str:
    """Scale a module's workload to 0 behind the installer's back: it cannot heal."""
    from fate_e2e.install.native.names import WORKLOADS

    party = ctx.party(party_id)
    name = WORKLOADS[module]
    body = {"spec": {"replicas": 0}}
    try:
        ctx.kube.apps.patch_namespaced_stateful_set_scale(name, party.ns, body)
        kind = "StatefulSet"
    except ApiException as exc:
        if exc.status != 404:
            raise InfraError(f"scaling {party.ns}/{name} to 0 failed: {exc.reason}") from None
        ctx.kube.apps.patch_namespaced_deployment_scale(name, party.ns, body)
        kind = "Deployment"
    return f"{kind} {party.ns}/{name} scaled to 0"
