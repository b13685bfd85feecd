"""Every scenario shipped in scenarios/ (recursively) loads; two-party-basic says what it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from fate_e2e.scenario import load_scenario, load_scenario_text
from fate_e2e.scenario.schema import AssertStep, DeployStep, ToyStep

SCENARIOS = Path(__file__).parent.parent.parent / "scenarios"
FILES = sorted(p for p in SCENARIOS.rglob("*") if p.suffix in (".yaml", ".yml"))


def test_there_are_example_scenarios() -> None:
    assert SCENARIOS / "two-party-basic.yaml" in FILES


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIOS)) for p in FILES])
def test_shipped_scenario_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.metadata.name
    assert "e2e" in scenario.markers


def test_two_party_basic_deploys_both_parties_and_runs_the_toy_both_ways() -> None:
    scenario = load_scenario(SCENARIOS / "two-party-basic.yaml")
    assert (scenario.cluster.provider, scenario.fate.version, scenario.fate.installer) == (
        "kind", "2.2.0", "native")
    assert [(p.id, p.ns) for p in scenario.parties] == [(9999, "fate-9999"),
                                                        (10000, "fate-10000")]
    deploy, toy1, toy2, *checks = scenario.steps
    assert isinstance(deploy.args, DeployStep) and deploy.args.parties == [9999, 10000]
    assert deploy.timeout == 1200.0
    assert isinstance(toy1.args, ToyStep) and (toy1.args.guest, toy1.args.host) == (10000, 9999)
    assert isinstance(toy2.args, ToyStep) and (toy2.args.guest, toy2.args.host) == (9999, 10000)
    probes = set()
    for step in checks:
        assert isinstance(step.args, AssertStep)
        probes.add((step.args.probe, step.args.party))
    assert probes == {(probe, party) for probe in ("listening", "routes-configured")
                      for party in (9999, 10000)}
    assert scenario.finally_ == [] and scenario.expect == "pass"


def doc_examples() -> list[str]:
    """The YAML blocks of docs/scenario-format.md that are whole scenarios."""
    text = (SCENARIOS.parent / "docs" / "scenario-format.md").read_text()
    blocks = text.split("```yaml\n")[1:]
    return [b.split("```", 1)[0] for b in blocks if b.startswith("apiVersion:")]


def test_the_format_reference_examples_validate() -> None:
    examples = doc_examples()
    assert len(examples) >= 3
    for text in examples:
        load_scenario_text(text, "docs/scenario-format.md")
