"""The scenario format (apiVersion fate-e2e/v1): model, loader, validation errors."""

from fate_e2e.scenario.errors import Problem, ScenarioError
from fate_e2e.scenario.loader import load_scenario, load_scenario_bytes, load_scenario_text
from fate_e2e.scenario.schema import Scenario

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_scenario_bytes",
    "load_scenario_text",
]
