"""Fuzz the loader: random text/bytes and mutated valid scenarios only ever give a
Scenario or a located ScenarioError (500 examples in all)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fate_e2e.scenario import Scenario, ScenarioError, load_scenario_bytes, load_scenario_text
from fate_e2e.scenario.errors import ROOT

SCENARIOS = Path(__file__).parent.parent.parent / "scenarios"
RICH = """\
apiVersion: fate-e2e/v1
kind: Scenario
metadata: {name: everything, description: every step kind, markers: [slow]}
issue: FATE-1234
expect: fail
cluster: {provider: kind, kubernetesVersion: v1.34.4, workers: 1, reuse: true, keep: on-failure}
fate:
  version: 2.1.1
  computing: spark
  timeout: 20m
  images: {flow: "local/fate-flow:2.1.1"}
parties:
  - id: 9999
    role: guest
    modules:
      flow: {replicas: 2, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {memory: 2Gi}}}
      zookeeper: {}
      sparkMaster: {}
      sparkWorker: {replicas: 1}
  - id: 10000
    namespace: party-b
    role: host
    version: 2.2.0
    modules: {sparkMaster: {}, sparkWorker: {persistence: false}}
steps:
  - deploy: {}
  - name: first toy
    toy: {guest: 9999, host: 10000}
  - podKill:
      party: 9999
      module: flow
      during: toy
      toy: {guest: 9999, host: 10000}
      steadyState: {probes: [pods-ready, flow-healthy], interval: 5s}
      recoveryTimeout: 5m
  - scale: {party: 9999, module: sparkWorker, replicas: 2}
  - upgrade: {party: 9999, to: 2.2.0}
  - wait: {until: ready, party: 10000}
  - wait: {duration: 10s}
  - exec: {party: 9999, module: zookeeper, command: [zkCli.sh, ls, /], expectOutput: "FATE"}
  - assert: {probe: toy, party: 10000, args: {host: 9999, timeout: 300}}
catch:
  - exec: {party: 10000, module: flow, command: [ls, /data/logs]}
finally:
  - assert: {probe: pods-ready}
"""
BASES: list[str] = [RICH] + [p.read_text() for p in sorted(SCENARIOS.rglob("*.yaml"))]
TREES = [yaml.safe_load(base) for base in BASES]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TOP_KEYS = set(yaml.safe_load(RICH)) | {"apiVersion", "kind"}
YAML_TOKENS = ["\n", "  ", "- ", ": ", "{", "}", "[", "]", ", ", "&a ", "*a", "<<: ", "!!str ",
               "!!python/name:os.system ", "'", '"', "\t", "#", "---\n", "? ", "|\n", "~",
               "apiVersion: fate-e2e/v1\n", "kind: Scenario\n", "steps", "parties", "id", "9999",
               "1e400", "0x1f", "-1", "true", "null", "deploy", "toy", "podKill", "5m", "\x00"]
YAML_LINES = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=20) | st.sampled_from(["5m", "all", "toy", "9999", "2.2.0"]))
VALUES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=3)
                      | st.dictionaries(st.text(max_size=8), kids, max_size=3), max_leaves=8)
FUZZ = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Examples per test: 100 + 60 + 120 + 220 = 500, bounded so the unit tier stays fast.
TEXT, BYTES, NOISE, MUTATED = 100, 60, 120, 220


def check_outcome(load: Any, *args: Any) -> Scenario | ScenarioError:
    """Load; a ScenarioError is fine if every problem is located and worded."""
    try:
        result = load(*args)
    except ScenarioError as exc:
        text = args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace")
        last = len(YAML_LINES.split(text))  # an upper bound: YAML's own line breaks
        for problem in exc.problems:
            assert 1 <= problem.line <= last, problem
            assert problem.path and problem.message, problem
            assert "internal error" not in problem.message, problem
        return exc
    assert isinstance(result, Scenario)
    return result


@settings(FUZZ, max_examples=TEXT)
@given(st.text(max_size=400))
@example("\x850")  # NEL is a YAML line break: the error line must still be in range
def test_random_text_only_raises_scenario_error(text: str) -> None:
    check_outcome(load_scenario_text, text, "fuzz.yaml")


@settings(FUZZ, max_examples=BYTES)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_scenario_error(data: bytes) -> None:
    check_outcome(load_scenario_bytes, data, "fuzz.yaml")


@settings(FUZZ, max_examples=NOISE)
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=60))
def test_yaml_shaped_noise_only_raises_scenario_error(tokens: list[str]) -> None:
    check_outcome(load_scenario_text, "".join(tokens), "fuzz.yaml")


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (not the root)."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def mutate(data: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if how == "delete":
        del parent[key]
    elif how == "replace":
        parent[key] = value
    elif how == "retype":
        old = parent[key]
        parent[key] = str(old) if not isinstance(old, str) else [old] if value else {"x": old}
    elif how == "extra" and isinstance(parent[key], dict):
        parent[key]["unknownField" if value is None else str(value)[:10]] = 1
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(key, parent[key])


@settings(FUZZ, max_examples=MUTATED)
@given(st.data(), st.sampled_from(range(len(TREES))))
def test_mutated_valid_scenarios_load_or_give_located_errors(data: st.DataObject,
                                                              base: int) -> None:
    tree = copy.deepcopy(TREES[base])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        candidates = paths(tree)
        if not candidates:
            break
        path = data.draw(st.sampled_from(candidates), label="path")
        how = data.draw(st.sampled_from(["delete", "replace", "retype", "extra", "duplicate"]))
        mutate(tree, path, how, data.draw(VALUES, label="value"))
    text = yaml.dump(tree, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    outcome = check_outcome(load_scenario_text, text, "mutated.yaml")
    if isinstance(outcome, ScenarioError):
        for problem in outcome.problems:
            top = problem.path.split(".")[0].split("[")[0]
            assert problem.path == ROOT or top in TOP_KEYS or top in tree, problem
        return
    dumped = yaml.dump(outcome.model_dump(by_alias=True, exclude_none=True), Dumper=DUMPER,
                       sort_keys=False)
    assert load_scenario_text(dumped, "dumped.yaml") == outcome


def test_every_base_is_valid() -> None:
    for base in BASES:
        assert isinstance(load_scenario_text(base), Scenario)


