"""Where fate-e2e keeps its cache (persists across runs) and work dirs (per run)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The artifact cache: $FATE_E2E_CACHE or ~/.cache/fate-e2e."""
    env = os.environ.get("FATE_E2E_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "fate-e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_work_dir() -> Path:
    """The default per-run work dir: $FATE_E2E_WORK_DIR or ./.fate-e2e-work."""
    env = os.environ.get("FATE_E2E_WORK_DIR")
    return Path(env) if env else Path.cwd() / ".fate-e2e-work"
