"""ScenarioError: every problem of a scenario file as ``file:line: field.path: message``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fate_e2e.errors import FateE2EError

ROOT = "<root>"

PathPart = str | int
YamlPath = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """``("steps", 2, "toy", "guest")`` -> ``steps[2].toy.guest``; empty -> ``<root>``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or ROOT


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located by line and YAML field path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class ScenarioError(FateE2EError):
    """A scenario file does not load; ``problems`` lists each error with its location."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
