"""minikube provider: drives the minikube CLI with a per-profile kubeconfig."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from fate_e2e import proc
from fate_e2e.cluster.base import Cluster
from fate_e2e.errors import InfraError
from fate_e2e.scenario.schema import MinikubeSpec

Runner = Callable[..., str]


class MinikubeProvider:
    """One minikube profile; KUBECONFIG points into the work dir so ~/.kube stays untouched."""

    name = "minikube"

    def __init__(self, profile: str, work_dir: Path, spec: MinikubeSpec | None = None, *,
                 kubernetes_version: str | None = None, workers: int = 0,
                 runner: Runner = proc.run, binary: str | None = None) -> None:
        self.spec = spec or MinikubeSpec()
        self.profile = self.spec.profile or profile
        self.kubernetes_version = kubernetes_version
        self.workers = workers
        self.run = runner
        self.binary = binary
        self.kubeconfig = work_dir / "kubeconfig" / f"minikube-{self.profile}.yaml"

    def _bin(self) -> str:
        found = self.binary or shutil.which("minikube")
        if not found:
            raise InfraError("minikube not found on PATH")
        return found

    def _env(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def _minikube(self, *args: str, what: str | None = None,
                  timeout: float | None = None) -> str:
        return self.run([self._bin(), *args], what=what, env=self._env(), timeout=timeout)

    def start_command(self) -> list[str]:
        """The `minikube start` arguments for this profile."""
        args = ["start", "-p", self.profile, "--driver", self.spec.driver,
                "--cpus", str(self.spec.cpus), "--memory", _minikube_memory(self.spec.memory),
                "--nodes", str(1 + self.workers), "--keep-context=false"]
        if self.kubernetes_version:
            args += ["--kubernetes-version", self.kubernetes_version]
        return args

    def exists(self) -> bool:
        out = self.run([self._bin(), "profile", "list", "-o", "json"], env=self._env(),
                       check=False)
        return self.profile in profile_names(out)

    def create(self, *, timeout: float) -> Cluster:
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        self._minikube(*self.start_command(), what=f"minikube start {self.profile}",
                       timeout=timeout)
        return self._cluster(created=True)

    def attach(self) -> Cluster:
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        self._minikube("update-context", "-p", self.profile)
        return self._cluster(created=False)

    def delete(self) -> None:
        self._minikube("delete", "-p", self.profile, what=f"minikube delete {self.profile}",
                       timeout=600)

    def load_images(self, images: list[str]) -> None:
        for image in images:
            self._minikube("image", "load", "-p", self.profile, image,
                           what=f"minikube image load {image}", timeout=1800)

    def _cluster(self, *, created: bool) -> Cluster:
        return Cluster(name=self.profile, provider=self.name, kubeconfig=self.kubeconfig,
                       context=self.profile, created=created)


def _minikube_memory(quantity: str) -> str:
    """Kubernetes quantity (8Gi, 4096Mi) to minikube's --memory (8g, 4096m)."""
    for suffix, unit in (("Gi", "g"), ("Mi", "m"), ("G", "g"), ("M", "m")):
        if quantity.endswith(suffix):
            return quantity[: -len(suffix)] + unit
    return quantity


def profile_names(listing: str) -> set[str]:
    """Profile names in `minikube profile list -o json` output (valid and invalid ones)."""
    import json

    start = listing.find("{")
    try:
        data = json.loads(listing[start:]) if start >= 0 else {}
    except ValueError:
        return set()
    return {str(p.get("Name")) for key in ("valid", "invalid")
            for p in data.get(key) or [] if isinstance(p, dict)}
