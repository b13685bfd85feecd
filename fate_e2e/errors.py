"""Error types; the split drives the report's infrastructure/product categories."""

from __future__ import annotations


class FateE2EError(Exception):
    """Base class of every error fate-e2e raises on purpose."""


class InfraError(FateE2EError):
    """The test bed failed (cluster, images, timeouts before FATE started)."""

    def __str__(self) -> str:
        return f"[infra] {super().__str__()}"


class ProductFailure(AssertionError):
    """FATE itself misbehaved (toy failed, the federation did not heal)."""

    def __str__(self) -> str:
        return f"[product] {super().__str__()}"


class CommandError(InfraError):
    """A command the harness ran exited non-zero; carries its output tail."""

    def __init__(self, cmd: list[str], returncode: int, tail: str) -> None:
        self.cmd = cmd
        self.returncode = returncode
        self.tail = tail
        super().__init__(
            f"command failed (exit {returncode}): {' '.join(cmd)}\n--- output tail ---\n{tail}"
        )
