"""Cross-field checks: what passes, what fails, and where the error points."""

from __future__ import annotations

import pytest

from fate_e2e.scenario import Scenario, ScenarioError, load_scenario_text
from fate_e2e.scenario.semantics import check_scenario

HEAD = """\
apiVersion: fate-e2e/v1
kind: Scenario
metadata: {name: semantics}
fate: {version: 2.2.0}
parties:
  - id: 9999
  - id: 10000
"""


def scenario(steps: str, head: str = HEAD, extra: str = "") -> str:
    return head + extra + "steps:\n  - deploy: {}\n" + steps


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "s.yaml")
    return [f"{p.line}: {p.path}: {p.message}" for p in info.value.problems]


def test_downgrade_and_upgrade_chains_are_valid() -> None:
    text = scenario("  - upgrade: {party: 9999, to: 2.1.1}\n"
                    "  - upgrade: {party: 9999, to: 2.2.0}\n"
                    "  - upgrade: {party: 10000, to: 2.1.1}\n")
    loaded = load_scenario_text(text)
    assert loaded.markers == ["e2e", "upgrade"]


def test_upgrade_to_the_version_reached_by_an_earlier_upgrade_is_refused() -> None:
    text = scenario("  - upgrade: {party: 9999, to: 2.1.1}\n"
                    "  - upgrade: {party: 10000, to: 2.1.1}\n"
                    "  - upgrade: {party: 9999, to: 2.1.1}\n")
    assert problems(text) == ["12: steps[3].upgrade.to: party 9999 is already on 2.1.1 at this "
                              "step; upgrade.to must name another version"]


def test_mixed_versions_track_each_party_from_its_own_start() -> None:
    head = HEAD.replace("  - id: 10000\n", "  - id: 10000\n    version: 2.1.1\n")
    load_scenario_text(scenario("  - upgrade: {party: 10000, to: 2.2.0}\n", head))
    assert problems(scenario("  - upgrade: {party: 10000, to: 2.1.1}\n", head)) == [
        "11: steps[1].upgrade.to: party 10000 is already on 2.1.1 at this step; upgrade.to "
        "must name another version"]


def test_pod_counts_follow_scale_steps() -> None:
    head = HEAD.replace("  - id: 9999\n", "  - id: 9999\n    modules: {zookeeper: {}}\n")
    ok = scenario("  - scale: {party: 9999, module: flow, replicas: 3}\n"
                  "  - podKill: {party: 9999, module: flow, count: 3}\n", head)
    assert load_scenario_text(ok).markers == ["chaos", "e2e", "scale"]
    gone = scenario("  - scale: {party: 9999, module: flow, replicas: 0}\n"
                    "  - podKill: {party: 9999, module: flow, count: all}\n", head)
    assert problems(gone) == ["12: steps[2].podKill.module: party 9999 runs no flow pods at "
                              "this step (replicas: 0)"]


def test_catch_and_finally_need_declared_parties_but_not_step_order() -> None:
    text = scenario("") + ("catch:\n  - exec: {party: 9999, module: flow, command: [ls]}\n"
                           "finally:\n  - wait: {until: ready, party: 10000}\n")
    load_scenario_text(text)
    bad = text.replace("party: 10000}", "party: 10001}")
    assert problems(bad) == ["13: finally[0].wait.party: party 10001 is not declared in "
                             "parties (declared: 9999, 10000)"]


def test_steps_before_any_deploy_are_refused_once_per_party() -> None:
    text = HEAD + ("steps:\n  - assert: {probe: pods-ready}\n"
                   "  - assert: {probe: pods-ready, party: 9999}\n"
                   "  - exec: {party: 9999, module: flow, command: [ls]}\n  - deploy: {}\n")
    assert problems(text) == [
        "9: steps[0].assert: no party is deployed yet at this step (add a deploy step before it)",
        "10: steps[1].assert.party: party 9999 is not deployed yet at this step (add a deploy "
        "step before it)"]


def test_wait_party_only_goes_with_until_ready() -> None:
    assert problems(scenario("  - wait: {duration: 30s, party: 9999}\n")) == [
        "10: steps[1].wait.party: 'party' only applies to until: ready"]


def test_toy_probe_arguments_are_checked() -> None:
    base = "  - assert: {probe: toy, party: 9999, args: ARGS}\n"
    load_scenario_text(scenario(base.replace("ARGS", "{host: 10000, timeout: 120}")))
    assert problems(scenario(base.replace("ARGS", "{host: 9999}"))) == [
        "10: steps[1].assert.args.host: the toy's host must be another party than its guest"]
    assert problems(scenario(base.replace("ARGS", "{timeout: 2m}"))) == [
        "10: steps[1].assert.args.timeout: expected a positive number of seconds"]
    assert problems(scenario("  - assert: {probe: listening, args: {port: 1}}\n")) == [
        "10: steps[1].assert.args.port: probe listening has no argument 'port' (it takes none)"]


def test_single_party_chaos_needs_probes_without_the_toy() -> None:
    head = HEAD.replace("  - id: 10000\n", "")
    kill = "  - podKill: {party: 9999, module: nginx}\n"
    assert problems(scenario(kill, head)) == [
        "9: steps[1].podKill.steadyState.probes: the toy probe needs at least two parties; "
        "list other probes"]
    load_scenario_text(scenario(kill.replace("}", ", steadyState: {probes: [pods-ready]}}"),
                                head))


def test_spark_setup_is_valid_with_its_modules() -> None:
    head = HEAD.replace("fate: {version: 2.2.0}", "fate: {version: 2.2.0, computing: spark}")
    for party in ("9999", "10000"):
        head = head.replace(f"  - id: {party}\n", f"  - id: {party}\n    modules: "
                            "{sparkMaster: {}, sparkWorker: {replicas: 1}}\n")
    loaded = load_scenario_text(scenario(
        "  - scale: {party: 10000, module: sparkWorker, replicas: 2}\n"
        "  - podKill: {party: 10000, module: sparkWorker, count: 2}\n", head))
    assert loaded.fate.computing == "spark"


def test_duplicate_default_namespace_points_at_the_party_id() -> None:
    head = HEAD.replace("  - id: 10000\n", "  - id: 10000\n    namespace: fate-1\n  - id: 1\n")
    assert problems(scenario("", head)) == [
        "9: parties[2].id: default namespace 'fate-1' is already used by party 10000 "
        "(parties[1])"]


def test_check_scenario_works_on_models_built_in_python() -> None:
    built = Scenario.model_validate({
        "apiVersion": "fate-e2e/v1", "kind": "Scenario", "metadata": {"name": "py"},
        "fate": {"version": "2.2.0"}, "parties": [{"id": 1}, {"id": 2}],
        "steps": [{"deploy": {}}, {"toy": {"guest": 1, "host": 3}}]})
    assert check_scenario(built) == [
        (("steps", 1, "toy", "host"), "party 3 is not declared in parties (declared: 1, 2)")]


def test_bug_scenarios_with_an_issue_may_expect_failure() -> None:
    text = scenario("", extra="issue: https://github.com/FederatedAI/FATE/issues/1\n"
                                "expect: fail\n")
    loaded = load_scenario_text(text)
    assert loaded.expect == "fail"
    assert "bug" in loaded.markers
