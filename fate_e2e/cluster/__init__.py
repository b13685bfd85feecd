"""Cluster providers (kind, minikube, existing) behind one Protocol."""

from __future__ import annotations

from pathlib import Path

from fate_e2e.cluster.base import Cluster, ClusterProvider
from fate_e2e.scenario.schema import ClusterSpec

__all__ = ["Cluster", "ClusterProvider", "make_provider"]


def make_provider(spec: ClusterSpec, work_dir: Path, *, provider: str | None = None,
                  kubeconfig: str | None = None) -> ClusterProvider:
    """The provider for ``spec``; ``provider``/``kubeconfig`` override it (CLI options)."""
    kind = provider or ("existing" if kubeconfig else spec.provider)
    if kind == "kind":
        from fate_e2e.cluster.kind import KindProvider

        return KindProvider(spec.name, work_dir, node_image=spec.node_image,
                            workers=spec.workers)
    if kind == "minikube":
        from fate_e2e.cluster.minikube import MinikubeProvider

        return MinikubeProvider(spec.name, work_dir, spec.minikube,
                                kubernetes_version=spec.kubernetes_version,
                                workers=spec.workers)
    if kind == "existing":
        from fate_e2e.cluster.existing import ExistingProvider

        return ExistingProvider(spec.name, work_dir, kubeconfig=kubeconfig or spec.kubeconfig,
                                context=spec.context)
    raise ValueError(f"unknown provider {kind!r}")
