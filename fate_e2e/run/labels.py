"""Allure labels of a scenario test: title, description, tags, issue link, severity."""

from __future__ import annotations

import allure

from fate_e2e.scenario.schema import Scenario


def label_scenario(scenario: Scenario) -> None:
    """Describe the running scenario test in the Allure result (no-op without allure)."""
    allure.dynamic.title(scenario.metadata.name)
    if scenario.metadata.description:
        allure.dynamic.description(scenario.metadata.description)
    allure.dynamic.tag(*scenario.markers)
    allure.dynamic.parameter("fate.version", scenario.fate.version)
    allure.dynamic.parameter("cluster.provider", scenario.cluster.provider)
    allure.dynamic.label("suite", "scenarios/bugs" if scenario.issue else "scenarios")
    if scenario.issue:
        allure.dynamic.issue(scenario.issue, scenario.issue)
