"""Cross-party addresses from the live cluster: a node's address plus NodePorts."""

from __future__ import annotations

from collections.abc import Sequence

from kubernetes.client.rest import ApiException

from fate_e2e.errors import InfraError
from fate_e2e.install.base import PartyAddress
from fate_e2e.install.native.names import AMQP_PORT, NGINX_HTTP_PORT
from fate_e2e.kube import Kube
from fate_e2e.scenario.schema import PartySpec

NGINX_EXTERNAL = "nginx-external"
RABBITMQ_EXTERNAL = "rabbitmq-external"


def placeholder(party: PartySpec) -> PartyAddress:
    """An address for offline rendering; never applied to a cluster."""
    return PartyAddress(party.id, f"<node-address-of-{party.ns}>", NGINX_HTTP_PORT, AMQP_PORT)


def node_address(kube: Kube) -> str:
    """The InternalIP of a Ready node (NodePorts answer on every node)."""
    for node in kube.core.list_node().items:
        ready = any(c.type == "Ready" and c.status == "True"
                    for c in (node.status.conditions or []))
        for addr in node.status.addresses or []:
            if ready and addr.type == "InternalIP":
                return str(addr.address)
    raise InfraError("no Ready node with an InternalIP address")


def _node_port(kube: Kube, namespace: str, service: str, port: int) -> int:
    try:
        svc = kube.core.read_namespaced_service(service, namespace)
    except ApiException as exc:
        raise InfraError(f"service {namespace}/{service} not readable: {exc.reason}") from None
    for item in svc.spec.ports or []:
        if item.port == port and item.node_port:
            return int(item.node_port)
    raise InfraError(f"service {namespace}/{service} has no NodePort for port {port}")


def live_addresses(kube: Kube, parties: Sequence[PartySpec]) -> dict[int, PartyAddress]:
    """Every party's externally reachable address, read from its NodePort services."""
    host = node_address(kube)
    return {
        p.id: PartyAddress(p.id, host,
                           _node_port(kube, p.ns, NGINX_EXTERNAL, NGINX_HTTP_PORT),
                           _node_port(kube, p.ns, RABBITMQ_EXTERNAL, AMQP_PORT))
        for p in parties
    }
