"""Version-keyed build stamps: a stage is done when its stamp matches its key."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fate_e2e.paths import cache_dir


def key_digest(key: dict[str, Any]) -> str:
    """A short stable digest of a stage key (versions, inputs)."""
    blob = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class Stamp:
    """Marks that stage ``name`` finished for ``key``; lives under <cache>/stamps."""

    name: str
    key: dict[str, Any]

    @property
    def path(self) -> Path:
        return cache_dir() / "stamps" / f"{self.name}-{key_digest(self.key)}.json"

    def done(self) -> bool:
        return self.path.is_file()

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def mark(self, **facts: Any) -> None:
        """Record completion plus facts worth reporting (durations, sizes, ids)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": self.key, "finished": time.time(), **facts},
                                  indent=2, sort_keys=True))
        tmp.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
