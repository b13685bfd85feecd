"""Readiness of a freshly created or attached cluster: nodes Ready, kube-system Running."""

from __future__ import annotations

from kubernetes import client

from fate_e2e.cluster.base import Cluster
from fate_e2e.waits import NotYet, wait_until


def _node_ready(node: client.V1Node) -> bool:
    return any(c.type == "Ready" and c.status == "True"
               for c in (node.status.conditions or []))


def _pod_ok(pod: client.V1Pod) -> bool:
    if pod.status.phase == "Succeeded":
        return True
    statuses = pod.status.container_statuses or []
    return pod.status.phase == "Running" and all(s.ready for s in statuses)


def wait_cluster_ready(cluster: Cluster, core: client.CoreV1Api, *, timeout: float) -> None:
    """Wait until every node is Ready and every kube-system pod is Running and ready."""

    def _nodes() -> int:
        nodes = core.list_node().items
        pending = [n.metadata.name for n in nodes if not _node_ready(n)]
        if not nodes or pending:
            raise NotYet(f"nodes not Ready: {', '.join(pending) or 'none registered'}")
        return len(nodes)

    def _system() -> int:
        pods = core.list_namespaced_pod("kube-system").items
        waiting = [f"{p.metadata.name}={p.status.phase}" for p in pods if not _pod_ok(p)]
        if not pods or waiting:
            raise NotYet(f"kube-system pods not ready: {', '.join(waiting) or 'none yet'}")
        return len(pods)

    wait_until(f"nodes of cluster {cluster.name} to be Ready", _nodes, timeout=timeout)
    wait_until(f"kube-system pods of cluster {cluster.name}", _system, timeout=timeout)
