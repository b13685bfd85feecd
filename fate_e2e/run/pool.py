"""Clusters shared by the scenarios of one session; deleted at the end as keep says."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from fate_e2e.cluster import make_provider, owner
from fate_e2e.cluster.base import Cluster, ClusterProvider
from fate_e2e.cluster.ready import wait_cluster_ready
from fate_e2e.errors import InfraError
from fate_e2e.kube import Kube
from fate_e2e.run.options import KeepPolicy, RunOptions
from fate_e2e.scenario.schema import ClusterSpec

log = logging.getLogger(__name__)


@dataclass
class PooledCluster:
    """A cluster in use by this session, with what is needed to tear it down."""

    provider: ClusterProvider
    cluster: Cluster
    kube: Kube
    keep: KeepPolicy
    failed: bool = False
    loaded_images: set[str] = field(default_factory=set)
    create_seconds: float | None = None


class ClusterPool:
    """Provision each named cluster once per session; tear down what the session created."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.clusters: dict[str, PooledCluster] = {}

    def acquire(self, spec: ClusterSpec) -> PooledCluster:
        """The session's cluster for ``spec``: created, reused or attached, and Ready."""
        if spec.name in self.clusters:
            return self.clusters[spec.name]
        provider = make_provider(spec, self.options.work_dir, provider=self.options.provider,
                                 kubeconfig=self.options.kubeconfig)
        keep: KeepPolicy = self.options.keep or spec.keep
        started = time.monotonic()
        create_seconds: float | None = None
        if provider.name == "existing":
            cluster = provider.attach()
        elif provider.exists() and not self._reclaim_orphan(provider, spec):
            reuse = spec.reuse if self.options.reuse is None else self.options.reuse
            if not reuse:
                raise InfraError(self._taken_message(provider, spec))
            cluster = provider.attach()
        else:
            owner.claim(provider.name, spec.name, keep=keep, work_dir=self.options.work_dir)
            try:
                cluster = provider.create(timeout=spec.timeout)
            except BaseException:
                # A half-created cluster is still ours: delete it unless keep says keep.
                if keep == "never":
                    self._delete_quietly(provider)
                    owner.forget(provider.name, spec.name)
                raise
            create_seconds = time.monotonic() - started
        kube = Kube(cluster)
        pooled = PooledCluster(provider, cluster, kube, keep, create_seconds=create_seconds)
        self.clusters[spec.name] = pooled
        wait_cluster_ready(cluster, kube.core, timeout=spec.timeout)
        return pooled

    def load_images(self, pooled: PooledCluster, images: list[str]) -> None:
        """Load images the session has not loaded into this cluster yet."""
        missing = [i for i in images if i not in pooled.loaded_images]
        if missing:
            pooled.provider.load_images(missing)
            pooled.loaded_images.update(missing)

    def release(self, interrupted: bool = False) -> list[str]:
        """Delete every cluster this session created, unless its keep policy says keep."""
        notes: list[str] = []
        for name, pooled in list(self.clusters.items()):
            if not pooled.cluster.created:
                continue
            keep = pooled.keep == "always" or (
                pooled.keep == "on-failure" and (pooled.failed or interrupted))
            if keep:
                owner.mark_kept(pooled.provider.name, name)
                notes.append(f"kept cluster {name}: kubeconfig {pooled.cluster.kubeconfig}")
                continue
            pooled.provider.delete()
            owner.forget(pooled.provider.name, name)
            notes.append(f"deleted cluster {name}")
            del self.clusters[name]
        for note in notes:
            log.info(note)
        return notes

    def _reclaim_orphan(self, provider: ClusterProvider, spec: ClusterSpec) -> bool:
        """Delete a cluster a dead run created and could not tear down; True if it did.

        A cluster the scenario may reuse is left for reuse.
        """
        reuse = spec.reuse if self.options.reuse is None else self.options.reuse
        dead = owner.orphan(provider.name, spec.name)
        if dead is None or reuse:
            return False
        log.warning("%s cluster %s was left behind by a run that died (%s): deleting it",
                    provider.name, spec.name, dead.describe())
        provider.delete()
        owner.forget(provider.name, spec.name)
        return True

    @staticmethod
    def _taken_message(provider: ClusterProvider, spec: ClusterSpec) -> str:
        creator = owner.read(provider.name, spec.name)
        if creator is not None and creator.keep == owner.KEPT:
            why = f"a run kept it ({creator.describe()})"
        elif creator is not None and creator.alive():
            why = f"it is in use by a running fate-e2e ({creator.describe()})"
        else:
            why = "fate-e2e did not create it"
        return (f"{provider.name} cluster {spec.name!r} already exists and the scenario does "
                f"not allow reuse: {why}; set cluster.reuse: true (or --reuse-cluster, "
                "--fate-reuse-cluster in pytest), or delete it")

    @staticmethod
    def _delete_quietly(provider: ClusterProvider) -> None:
        try:
            if provider.exists():
                provider.delete()
        except Exception as exc:  # teardown must not hide the creation error
            log.warning("could not delete half-created cluster: %s", exc)
