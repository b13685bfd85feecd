"""The scenario loader: the malformed-file table, line precision, YAML edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from fate_e2e.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    load_scenario_bytes,
    load_scenario_text,
)
from fate_e2e.scenario.schema import Step

MALFORMED = Path(__file__).parent / "scenarios_malformed"
FIXTURES = sorted(MALFORMED.glob("*.yaml"))
EXPECT = b"# expect: "

VALID = """\
apiVersion: fate-e2e/v1
kind: Scenario
metadata:
  name: loader-test
fate:
  version: 2.2.0
parties:
  - id: 9999
  - id: 10000
steps:
  - deploy:
  - toy: {guest: 9999, host: 10000}
"""


def expected_line(path: Path) -> str:
    """The fixture's first-line comment: '# expect: LINE: PATH: MESSAGE'."""
    first = path.read_bytes().split(b"\n", 1)[0]
    assert first.startswith(EXPECT), f"{path.name} lacks its '# expect:' line"
    return f"{path}:{first[len(EXPECT):].decode()}"


def load_error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "t.yaml")
    return info.value


def test_the_table_has_at_least_30_malformed_scenarios() -> None:
    assert len(FIXTURES) >= 30
    names = [p.name for p in FIXTURES]
    assert len({n.split("-", 1)[1] for n in names}) == len(names), "duplicate slugs"


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_malformed_scenario_gives_its_single_expected_error(path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(info.value.problems) == 1, str(info.value)
    assert str(info.value) == expected_line(path)


def test_valid_text_loads_and_null_kind_means_defaults() -> None:
    scenario = load_scenario_text(VALID)
    assert isinstance(scenario, Scenario)
    assert [s.kind for s in scenario.steps] == ["deploy", "toy"]
    assert scenario.steps[0].args.model_dump() == {"parties": None}
    assert scenario.party(10000).ns == "fate-10000"


def test_problem_formats_as_file_line_path_message() -> None:
    problem = Problem("a.yaml", 7, "steps[2].toy.guest", "boom")
    assert str(problem) == "a.yaml:7: steps[2].toy.guest: boom"
    error = ScenarioError([problem, Problem("a.yaml", 9, "<root>", "bang")])
    assert str(error) == "a.yaml:7: steps[2].toy.guest: boom\na.yaml:9: <root>: bang"


def test_every_problem_is_reported_on_its_own_line_in_file_order() -> None:
    text = VALID.replace("name: loader-test", "name: Bad_Name").replace(
        "host: 10000}", "host: 10000, colour: red}")
    lines = str(load_error(text)).splitlines()
    assert lines == [
        "t.yaml:4: metadata.name: 'Bad_Name' is not a DNS-1123 label (lower-case letters, "
        "digits, '-', max 63)",
        "t.yaml:12: steps[1].toy.colour: unknown field 'colour' (allowed: guest, host)",
    ]


def test_error_points_at_the_key_line_inside_a_block() -> None:
    text = VALID.replace("  - id: 10000\n", "  - id: 10000\n    modules:\n      flow:\n"
                         "        resources:\n          limits:\n            cpu: lots\n")
    (problem,) = load_error(text).problems
    assert (problem.line, problem.path) == (14, "parties[1].modules.flow.resources.limits.cpu")


def test_missing_field_points_at_its_parent_block() -> None:
    (problem,) = load_error(VALID.replace("  version: 2.2.0\n", "  installer: helm\n")).problems
    assert (problem.line, problem.path, problem.message) == (
        5, "fate.version", "required field is missing")


def test_merge_keys_and_anchors_are_supported_with_lines() -> None:
    text = VALID + ("  - podKill: &kill\n      party: 9999\n      module: rabbitmq\n"
                    "  - podKill:\n      <<: *kill\n      module: nginx\n      count: 9\n")
    (problem,) = load_error(text).problems
    assert str(problem) == ("t.yaml:19: steps[3].podKill.count: count 9 is more than the 1 "
                            "nginx pod(s) of party 9999")
    ok = load_scenario_text(text.replace("      count: 9\n", ""))
    assert ok.steps[3].args.model_dump()["module"] == "nginx"
    assert ok.steps[3].args.model_dump()["party"] == 9999


def test_dates_stay_strings_and_a_bom_is_accepted() -> None:
    scenario = load_scenario_bytes(
        b"\xef\xbb\xbf" + VALID.replace("name: loader-test", "name: x\n  description: "
                                        "2024-05-01").encode())
    assert scenario.metadata.description == "2024-05-01"


@pytest.mark.parametrize(("text", "line", "start"), [
    ("", 1, "<root>: the file holds no YAML document"),
    ("   \n\n", 1, "<root>: the file holds no YAML document"),
    ("just a string\n", 1, "<root>: a scenario is a mapping"),
    ("a: [1, 2\n", 1, "<root>: invalid YAML:"),
    ("a: 1\n b: 2\n", 2, "<root>: invalid YAML: mapping values are not allowed here"),
    ("k: !custom x\n", 1, "k: unsupported YAML tag !custom"),
    ("k: !!set {a: null}\n", 1, "k: unsupported YAML tag !!set"),
    ("? [a, b]\n: c\n", 1, "<root>: mapping keys must be plain strings"),
    ("k: 0x" + "f" * 40 + "\n", 1, "k: number 0xffffffff"),
    ("k: " + "9" * 5000 + "\n", 1, "k: number 99999999"),
    ("[" * 5000, 1, "<root>: invalid YAML"),
    ("k: " + "[" * 40 + "]" * 40 + "\n", 1, "k" + "[0]" * 32 + ": nested more than 32 levels"),
    ("x: 1\n" * 2 + "y: &a {<<: *a}\n", 2, "x: duplicate key 'x' (first at line 1)"),
])
def test_yaml_edge_cases_are_located_scenario_errors(text: str, line: int, start: str) -> None:
    problem = load_error(text).problems[0]
    assert problem.line == line
    assert f"{problem.path}: {problem.message}".startswith(start), str(problem)


def test_a_huge_file_is_refused_before_parsing() -> None:
    (problem,) = load_error("a: 1\n" + "#" * 1_100_000).problems
    assert problem.message.startswith("file is larger than")


def test_load_scenario_reports_unreadable_paths(tmp_path: Path) -> None:
    for path in (tmp_path / "absent.yaml", tmp_path):
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert str(info.value).startswith(f"{path}:1: <root>: cannot read the file")


def test_snake_case_spelling_is_rejected_in_yaml_but_fine_in_python() -> None:
    error = load_error(VALID.replace("  version: 2.2.0\n", "  version: 2.2.0\n  timeout: 5m\n"
                                     "cluster:\n  node_image: kindest/node\n"))
    assert "did you mean 'nodeImage'?" in str(error)
    assert Step(pod_kill={"selector": "app=x"}).kind == "podKill"


def test_model_dump_round_trips_through_validation() -> None:
    scenario = load_scenario_text(VALID)
    again = Scenario.model_validate(scenario.model_dump(by_alias=True))
    assert again == scenario


def test_durations_are_bounded_and_finite() -> None:
    for value in ("0s", "8d", ".nan", ".inf", "999999999999", "200h"):
        error = load_error(VALID.replace("  - deploy:\n", f"  - timeout: {value}\n    deploy:\n"))
        assert error.problems[0].path == "steps[0].timeout", str(error)
    ok = load_scenario_text(VALID.replace("  - deploy:\n", "  - timeout: 1h30m\n    deploy:\n"))
    assert ok.steps[0].timeout == 5400.0
