"""The Installer Protocol: how a FATE deployment gets onto a cluster and changes there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fate_e2e.scenario.schema import PartySpec


@dataclass(frozen=True)
class PartyEndpoint:
    """Where a party's services answer from outside its namespace (node address + NodePort)."""

    party_id: int
    host: str
    flow_http_port: int
    rabbitmq_port: int
    rabbitmq_mng_port: int


class Installer(Protocol):
    """Installs, converges, scales, upgrades and removes FATE parties."""

    name: str

    def images(self, parties: Sequence[PartySpec]) -> list[str]:
        """Image references the parties need on the cluster's nodes."""
        ...

    def render(self, party: PartySpec) -> dict[str, str]:
        """The party's manifests as YAML documents keyed by a file name, secrets redacted."""
        ...

    def deploy(self, parties: Sequence[PartySpec], *, timeout: float) -> None:
        """Install or converge ``parties`` and wait until each is ready."""
        ...

    def scale(self, party: PartySpec, module: str, replicas: int, *, timeout: float) -> None:
        """Change a module's replicas and wait for the new members to be ready."""
        ...

    def upgrade(self, party: PartySpec, version: str, *, timeout: float) -> None:
        """Roll a party to ``version`` (refusing downgrades) and wait until ready."""
        ...

    def installed_version(self, party: PartySpec) -> str | None:
        """The FATE version installed for ``party`` (None when not installed)."""
        ...

    def uninstall(self, parties: Sequence[PartySpec], *, timeout: float) -> None:
        """Delete everything installed for ``parties`` and wait until it is gone."""
        ...
