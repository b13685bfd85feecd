"""Options shared by `fate-e2e run` and the pytest plugin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

KeepPolicy = Literal["never", "on-failure", "always"]


@dataclass(frozen=True)
class RunOptions:
    """Command-line overrides of what scenarios say."""

    work_dir: Path
    provider: str | None = None
    kubeconfig: str | None = None
    keep: KeepPolicy | None = None
    fate_version: str | None = None
    build: bool = True
    reuse: bool | None = None
