"""What a running scenario knows: cluster, installer, versions, jobs seen, findings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fate_e2e.cluster.base import Cluster
from fate_e2e.install.base import Installer
from fate_e2e.kube import Kube
from fate_e2e.scenario.schema import PartySpec, Scenario


@dataclass
class JobRecord:
    """A FATE job the scenario ran, for later probes (history kept, records lost)."""

    job_id: str
    guest: int
    host: int
    status: str
    seconds: float | None = None


@dataclass
class RunContext:
    """State threaded through every step of one scenario run."""

    scenario: Scenario
    work_dir: Path
    cluster: Cluster
    kube: Kube
    installer: Installer
    deployed: set[int] = field(default_factory=set)
    jobs: list[JobRecord] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def party(self, party_id: int) -> PartySpec:
        return self.scenario.party(party_id)

    def finding(self, text: str) -> None:
        """Record an observation worth reporting (not a failure by itself)."""
        self.findings.append(text)

    def record_time(self, name: str, seconds: float) -> None:
        self.timings[name] = round(seconds, 2)
