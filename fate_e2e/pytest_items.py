"""Scenario YAML files as pytest items; each step becomes an Allure step."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import ClusterPool
from fate_e2e.scenario.schema import Scenario

POOL_KEY = pytest.StashKey[ClusterPool]()
OPTIONS_KEY = pytest.StashKey[RunOptions]()
_MARK = "apiVersion: fate-e2e/"


def is_scenario_file(path: Path) -> bool:
    """A .yaml/.yml file that declares the fate-e2e apiVersion near its top."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return _MARK in head


def session_pool(config: pytest.Config) -> ClusterPool:
    """The session's cluster pool, created on first use."""
    if POOL_KEY not in config.stash:
        config.stash[POOL_KEY] = ClusterPool(config.stash[OPTIONS_KEY])
    return config.stash[POOL_KEY]


class ScenarioFile(pytest.File):
    """One scenario YAML file; yields a single ScenarioItem (or a load error item)."""

    def collect(self) -> Iterator[pytest.Item]:
        from fate_e2e.scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(self.path)
        except ScenarioError as exc:
            yield InvalidScenarioItem.from_parent(self, name=self.path.stem, error=exc)
            return
        item = ScenarioItem.from_parent(self, name=scenario.metadata.name, scenario=scenario)
        for marker in scenario.markers:
            item.add_marker(marker)
        yield item


class InvalidScenarioItem(pytest.Item):
    """Reports a scenario file that does not validate, with its file:line errors."""

    def __init__(self, *, error: Exception, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"invalid scenario {self.path.name}"


class ScenarioItem(pytest.Item):
    """Runs one scenario through the session's cluster pool and applies its verdict."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        from fate_e2e.run.labels import label_scenario
        from fate_e2e.run.scenario_run import run_scenario

        label_scenario(self.scenario)
        outcome = run_scenario(self.scenario, session_pool(self.config),
                               self.config.stash[OPTIONS_KEY], source=self.path)
        if outcome.status == "xfailed":
            pytest.xfail(outcome.message)
        if outcome.status == "fixed":
            pytest.fail(f"[fixed] {outcome.message}", pytrace=False)
        if outcome.error is not None:
            raise outcome.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        error = excinfo.value
        head = f"{self.scenario.metadata.name}: {error}"
        if isinstance(error, AssertionError) or type(error).__module__.startswith("fate_e2e"):
            return head
        # A harness bug: show where it happened, without pytest's own frames.
        frames = traceback.format_exception(type(error), error, error.__traceback__)
        return f"{head}\n[harness error {type(error).__name__}]\n" + "".join(frames[-12:])

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.scenario.metadata.name}"
