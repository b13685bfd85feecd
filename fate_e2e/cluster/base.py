"""The one small Protocol every cluster provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Cluster:
    """A reachable cluster: its kubeconfig (never the user's ~/.kube/config) and context."""

    name: str
    provider: str
    kubeconfig: Path
    context: str | None = None
    created: bool = False
    node_image: str | None = None
    facts: dict[str, str] = field(default_factory=dict)

    def kubectl_args(self) -> list[str]:
        """Arguments that point kubectl at this cluster."""
        args = ["--kubeconfig", str(self.kubeconfig)]
        if self.context:
            args += ["--context", self.context]
        return args


class ClusterProvider(Protocol):
    """Creates (or attaches to) a cluster and deletes what it created."""

    name: str

    def exists(self) -> bool:
        """Whether the cluster this provider manages is already there."""
        ...

    def create(self, *, timeout: float) -> Cluster:
        """Create the cluster and return how to reach it (``created=True``)."""
        ...

    def attach(self) -> Cluster:
        """Reach the cluster that already exists (``created=False``)."""
        ...

    def delete(self) -> None:
        """Delete what this provider created; a no-op for clusters it did not create."""
        ...

    def load_images(self, images: list[str]) -> None:
        """Make locally built images available to the cluster's nodes."""
        ...
