"""The Installer Protocol: how a FATE deployment gets onto a cluster and changes there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from fate_e2e.scenario.schema import PartySpec


@dataclass(frozen=True)
class PartyAddress:
    """How other parties reach a party: a host plus its nginx and AMQP ports."""

    party_id: int
    host: str
    nginx_port: int
    amqp_port: int

    def describe(self) -> str:
        return f"party {self.party_id} at {self.host} (nginx {self.nginx_port}, " \
               f"amqp {self.amqp_port})"


class Installer(Protocol):
    """Installs, converges, scales, upgrades and removes FATE parties."""

    name: str

    def images(self, parties: Sequence[PartySpec]) -> list[str]:
        """Image references the parties need on the cluster's nodes."""
        ...

    def render(self, party: PartySpec) -> dict[str, str]:
        """The party's manifests as YAML documents keyed by a file name, secrets redacted."""
        ...

    def deploy(self, parties: Sequence[PartySpec], *, timeout: float, wait: bool = True) -> None:
        """Install or converge ``parties`` and (unless ``wait`` is False) wait until ready."""
        ...

    def scale(self, party: PartySpec, module: str, replicas: int, *, timeout: float,
              wait: bool = True) -> None:
        """Change a module's replicas and (unless ``wait`` is False) wait until ready."""
        ...

    def upgrade(self, party: PartySpec, version: str, *, timeout: float,
                wait: bool = True) -> None:
        """Roll a party to ``version`` (refusing downgrades) and wait until ready."""
        ...

    def routes(self, party: PartySpec) -> dict[int, PartyAddress]:
        """The peer addresses configured in ``party``'s deployment (as applied)."""
        ...

    def live_addresses(self) -> dict[int, PartyAddress]:
        """Every party's externally reachable address, read from the live cluster."""
        ...

    def desired_replicas(self, party: PartySpec) -> dict[str, int]:
        """Workload name -> replicas as the installer last applied them for ``party``."""
        ...

    def installed_version(self, party: PartySpec) -> str | None:
        """The FATE version installed for ``party`` (None when not installed)."""
        ...

    def uninstall(self, parties: Sequence[PartySpec], *, timeout: float) -> None:
        """Delete everything installed for ``parties`` and wait until it is gone."""
        ...
