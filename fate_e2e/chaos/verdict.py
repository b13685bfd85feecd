"""Chaos verdicts: Pass, Fail or Error, with the failing probe and a timeline."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from fate_e2e.checks.probes import ProbeResult
from fate_e2e.errors import InfraError, ProductFailure

Status = Literal["Pass", "Fail", "Error"]


@dataclass
class Timeline:
    """Timestamped events of one experiment (seconds since it started)."""

    started: float = field(default_factory=time.monotonic)
    events: list[tuple[float, str]] = field(default_factory=list)

    def add(self, text: str) -> float:
        at = time.monotonic() - self.started
        self.events.append((at, text))
        return at

    def render(self) -> str:
        return "\n".join(f"{at:8.1f}s  {text}" for at, text in self.events)


@dataclass
class Verdict:
    """How a chaos experiment ended and why."""

    experiment: str
    status: Status
    reason: str
    failing: ProbeResult | None = None
    recovery_seconds: float | None = None
    timeline: Timeline = field(default_factory=Timeline)
    findings: list[str] = field(default_factory=list)

    def headline(self) -> str:
        rec = (f", recovered in {self.recovery_seconds:.1f}s"
               if self.recovery_seconds is not None else "")
        return f"{self.experiment}: {self.status} - {self.reason}{rec}"

    def raise_unless_pass(self) -> None:
        """Fail -> ProductFailure (the federation did not heal); Error -> InfraError."""
        if self.status == "Fail":
            raise ProductFailure(self.headline())
        if self.status == "Error":
            raise InfraError(self.headline())
