"""Allure labels of a scenario test: title, description, tags, issue link, severity."""

from __future__ import annotations

from typing import Any

import allure

from fate_e2e.scenario.schema import Scenario


def label_scenario(scenario: Scenario) -> None:
    """Describe the running scenario test in the Allure result (no-op without allure)."""
    dynamic: Any = allure.dynamic  # allure's API is untyped
    dynamic.title(scenario.metadata.name)
    if scenario.metadata.description:
        dynamic.description(scenario.metadata.description)
    dynamic.tag(*scenario.markers)
    dynamic.parameter("fate.version", scenario.fate.version)
    dynamic.parameter("cluster.provider", scenario.cluster.provider)
    dynamic.label("suite", "scenarios/bugs" if scenario.issue else "scenarios")
    if scenario.issue:
        dynamic.issue(scenario.issue, scenario.issue)
