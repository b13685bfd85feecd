"""kind provider: the lab's kind and node image when built, else kind on PATH."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from fate_e2e import proc
from fate_e2e.cluster.base import Cluster
from fate_e2e.errors import InfraError
from fate_e2e.timing import cluster_time

Runner = Callable[..., str]
log = logging.getLogger(__name__)


def kind_config(workers: int) -> str:
    """A kind Cluster config: one control plane plus ``workers`` workers."""
    nodes: list[dict[str, Any]] = [{"role": "control-plane"}]
    nodes += [{"role": "worker"} for _ in range(workers)]
    doc = {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", "nodes": nodes}
    return yaml.safe_dump(doc, sort_keys=False)


class KindProvider:
    """Creates, attaches to and deletes one kind cluster through the kind CLI."""

    name = "kind"

    def __init__(self, cluster_name: str, work_dir: Path, *, node_image: str | None = None,
                 workers: int = 0, runner: Runner = proc.run,
                 tooling: tuple[str, dict[str, str], str | None] | None = None) -> None:
        self.cluster_name = cluster_name
        self.work_dir = work_dir
        self.workers = workers
        self.run = runner
        self.kubeconfig = work_dir / "kubeconfig" / f"kind-{cluster_name}.yaml"
        self._node_image = node_image
        self._tooling = tooling

    @property
    def tooling(self) -> tuple[str, dict[str, str], str | None]:
        """(kind binary, environment with DOCKER_HOST, default node image), found lazily."""
        if self._tooling is None:
            self._tooling = _locate_kind()
        return self._tooling

    @property
    def env(self) -> dict[str, str]:
        return self.tooling[1]

    @property
    def node_image(self) -> str | None:
        return self._node_image or self.tooling[2]

    def _kind(self, *args: str, what: str | None = None, timeout: float | None = None) -> str:
        with cluster_time("kind"):
            return self.run([self.tooling[0], *args], what=what, env=self.env, timeout=timeout)

    def exists(self) -> bool:
        """Whether the cluster is there and alive; a dead one (its nodes stopped, e.g. by a
        reboot of the machine) is deleted first, so it can neither be reused nor leak."""
        out = self._kind("get", "clusters")
        if self.cluster_name not in out.split():
            return False
        stopped = self._stopped_nodes()
        if stopped:
            log.warning("kind cluster %s has stopped node(s) %s: deleting the dead cluster",
                        self.cluster_name, ", ".join(stopped))
            self.delete()
            return False
        return True

    def _stopped_nodes(self) -> list[str]:
        """Node containers of this cluster that are not running."""
        out = self.run(["docker", "ps", "-a", "--filter",
                        f"label=io.x-k8s.kind.cluster={self.cluster_name}",
                        "--format", "{{.Names}} {{.State}}"], env=self.env)
        return [line.split()[0] for line in out.splitlines()
                if line.strip() and not line.endswith(" running")]

    def create(self, *, timeout: float) -> Cluster:
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        config_file = self.work_dir / "kubeconfig" / f"kind-{self.cluster_name}-config.yaml"
        config_file.write_text(kind_config(self.workers))
        args = ["create", "cluster", "--name", self.cluster_name, "--kubeconfig",
                str(self.kubeconfig), "--config", str(config_file), "--retain"]
        if self.node_image:
            args += ["--image", self.node_image]
        self._kind(*args, what=f"kind create cluster {self.cluster_name}", timeout=timeout)
        return self._cluster(created=True)

    def attach(self) -> Cluster:
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        text = self._kind("get", "kubeconfig", "--name", self.cluster_name)
        self.kubeconfig.write_text(text)
        return self._cluster(created=False)

    def delete(self) -> None:
        self._kind("delete", "cluster", "--name", self.cluster_name, "--kubeconfig",
                   str(self.kubeconfig), what=f"kind delete cluster {self.cluster_name}",
                   timeout=300)

    def load_images(self, images: list[str]) -> None:
        if images:
            self._kind("load", "docker-image", "--name", self.cluster_name, *images,
                       what=f"loading {len(images)} image(s) into {self.cluster_name}",
                       timeout=1800)

    def node_containers(self) -> list[str]:
        """Names of this cluster's node containers."""
        return self._kind("get", "nodes", "--name", self.cluster_name).split()

    def _cluster(self, *, created: bool) -> Cluster:
        return Cluster(name=self.cluster_name, provider=self.name, kubeconfig=self.kubeconfig,
                       context=f"kind-{self.cluster_name}", created=created,
                       node_image=self.node_image,
                       facts={"docker_host": self.env.get("DOCKER_HOST", "")})


def _locate_kind() -> tuple[str, dict[str, str], str | None]:
    """The kind binary, its environment (DOCKER_HOST) and the default node image."""
    from fate_e2e.lab import find_lab

    lab = find_lab()
    if lab is not None:
        from fate_e2e.lab.docker import ensure_daemon

        ensure_daemon()
        return str(lab.kind), lab.env(), lab.node_image
    binary = shutil.which("kind")
    if binary is None:
        raise InfraError("kind not found: build the lab (fate-e2e lab up) or put kind on PATH")
    return binary, dict(os.environ), None
