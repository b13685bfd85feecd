"""The offline kind lab: private Docker daemon, kind and Kubernetes built here, node image.

``find_lab()`` returns the built lab (None before ``fate-e2e lab up``); the kind provider uses
its ``kind`` binary, ``node_image`` and ``env()`` (DOCKER_HOST of the private daemon).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fate_e2e.lab import versions
from fate_e2e.lab.docker import DockerDaemon
from fate_e2e.paths import cache_dir


def manifest_path() -> Path:
    """Where `lab up` records what it built."""
    return cache_dir() / "lab" / "lab.json"


@dataclass(frozen=True)
class Lab:
    """A built lab: binaries, node image and the private daemon they use."""

    kind: Path
    kubectl: Path
    node_image: str
    kubernetes_version: str
    docker_host: str
    docker_cli: str

    @property
    def docker(self) -> DockerDaemon:
        return DockerDaemon(host=self.docker_host, cli=self.docker_cli)

    def env(self) -> dict[str, str]:
        """os.environ plus DOCKER_HOST of the private daemon, lab binaries first on PATH."""
        return self.docker.env()

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "kubectl": str(self.kubectl),
                "node_image": self.node_image, "kubernetes_version": self.kubernetes_version,
                "docker_host": self.docker_host, "docker_cli": self.docker_cli,
                "versions": versions.all_versions()}


def find_lab() -> Lab | None:
    """The lab `fate-e2e lab up` built for the pinned versions, or None."""
    try:
        data = json.loads(manifest_path().read_text())
    except (OSError, ValueError):
        return None
    if data.get("versions") != versions.all_versions():
        return None
    lab = Lab(kind=Path(data["kind"]), kubectl=Path(data["kubectl"]),
              node_image=data["node_image"], kubernetes_version=data["kubernetes_version"],
              docker_host=data["docker_host"], docker_cli=data["docker_cli"])
    if not (lab.kind.is_file() and lab.kubectl.is_file()):
        return None
    return lab


def write_manifest(lab: Lab, extra: dict[str, Any]) -> None:
    """Record the built lab (read back by find_lab)."""
    path = manifest_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**lab.to_json(), **extra}, indent=2, sort_keys=True))
    tmp.replace(path)


__all__ = ["Lab", "find_lab", "manifest_path", "write_manifest"]
