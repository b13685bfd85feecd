"""existing provider: a cluster someone else runs, reached through a kubeconfig."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from fate_e2e.cluster.base import Cluster
from fate_e2e.errors import InfraError


class ExistingProvider:
    """Copies the chosen context of a kubeconfig into the work dir; never creates or deletes."""

    name = "existing"

    def __init__(self, name: str, work_dir: Path, *, kubeconfig: str | None = None,
                 context: str | None = None) -> None:
        self.cluster_name = name
        self.source = Path(kubeconfig or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
                           or Path.home() / ".kube" / "config").expanduser()
        self.context = context
        self.kubeconfig = work_dir / "kubeconfig" / f"existing-{name}.yaml"

    def exists(self) -> bool:
        return self.source.is_file()

    def create(self, *, timeout: float) -> Cluster:
        raise InfraError(f"provider 'existing' cannot create clusters; {self.source} not found")

    def attach(self) -> Cluster:
        if not self.source.is_file():
            raise InfraError(f"kubeconfig {self.source} not found")
        try:
            doc = yaml.safe_load(self.source.read_text())
        except yaml.YAMLError as exc:
            raise InfraError(f"kubeconfig {self.source} is not valid YAML: {exc}") from None
        context = self.context or doc.get("current-context")
        minimal = minify(doc, context)
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        self.kubeconfig.write_text(yaml.safe_dump(minimal, sort_keys=False))
        self.kubeconfig.chmod(0o600)
        return Cluster(name=self.cluster_name, provider=self.name, kubeconfig=self.kubeconfig,
                       context=context, created=False)

    def delete(self) -> None:
        """Nothing to delete: the cluster is not ours."""

    def load_images(self, images: list[str]) -> None:
        if images:
            raise InfraError("provider 'existing' cannot load local images; push them to a "
                             "registry the cluster can pull from and set fate.images")


def minify(doc: dict[str, object], context: str | None) -> dict[str, object]:
    """Keep only ``context`` with its cluster and user (like `kubectl config view --minify`)."""
    contexts = {c["name"]: c for c in _named(doc, "contexts")}
    if not context or context not in contexts:
        raise InfraError(f"context {context!r} not in kubeconfig (have: {', '.join(contexts)})")
    ctx = contexts[context]
    spec = ctx.get("context", {})
    clusters = [c for c in _named(doc, "clusters") if c["name"] == spec.get("cluster")]
    users = [u for u in _named(doc, "users") if u["name"] == spec.get("user")]
    return {"apiVersion": "v1", "kind": "Config", "current-context": context,
            "contexts": [ctx], "clusters": clusters, "users": users}


def _named(doc: dict[str, object], key: str) -> list[dict[str, Any]]:
    items = doc.get(key) or []
    if not isinstance(items, list):
        raise InfraError(f"kubeconfig: '{key}' is not a list")
    return [i for i in items if isinstance(i, dict) and "name" in i]
