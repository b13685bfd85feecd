"""Categories: infrastructure vs product failures, bug replays; same verdict in Allure 2 and 3."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from fate_e2e.errors import CommandError, InfraError, ProductFailure
from fate_e2e.report.categories import CATEGORIES, allure3_rules, categories_json, classify
from fate_e2e.waits import WaitTimeout


def allure_message(exc: BaseException) -> str:
    """The statusDetails.message allure-pytest writes for an exception."""
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


CASES = [
    ("broken", allure_message(InfraError("kind cluster did not come up")),
     "Infrastructure failures"),
    ("broken", allure_message(WaitTimeout("pods of fate-9999 ready", 600, "0/3 ready")),
     "Infrastructure failures"),
    ("broken", allure_message(CommandError(["docker", "load"], 1, "no space left\nline 2")),
     "Infrastructure failures"),
    ("failed", allure_message(ProductFailure("toy job 202611 is failed on party 10000")),
     "Product failures"),
    ("failed", allure_message(ProductFailure("federation did not heal\nafter 300s")),
     "Product failures"),
    ("skipped", "XFAIL bug #12 still reproduces: [product] toy failed\n\ntrace",
     "Expected failures of bug scenarios"),
    ("failed", "Failed: [fixed] bug #12 no longer reproduces: the scenario passed",
     "Bug no longer reproduces"),
    ("failed", "AssertionError: assert 1 == 2", "Unclassified assertion failures"),
    ("broken", "TypeError: 'NoneType' object is not subscriptable", "Harness errors"),
]


@pytest.mark.parametrize(("status", "message", "expected"), CASES)
def test_classify(status: str, message: str, expected: str) -> None:
    category = classify(status, message)
    assert category is not None and category.name == expected


@pytest.mark.parametrize(("status", "message"), [("passed", ""),
                                                 ("skipped", "Skipped: e2e tier")])
def test_passes_and_plain_skips_have_no_category(status: str, message: str) -> None:
    assert classify(status, message) is None


@pytest.mark.parametrize(("status", "message", "expected"), CASES)
def test_each_result_matches_exactly_one_category(status: str, message: str,
                                                  expected: str) -> None:
    matching = [c.name for c in CATEGORIES if c.matches(status, message)]
    assert matching == [expected]


def test_categories_json_shape() -> None:
    data = categories_json()
    assert [c["name"] for c in data] == [c.name for c in CATEGORIES]
    for entry in data:
        assert set(entry) == {"name", "description", "matchedStatuses", "messageRegex"}
        assert entry["matchedStatuses"]
    rules = allure3_rules(data)
    assert all("description" not in r for r in rules)
    assert rules[0]["messageRegex"] == data[0]["messageRegex"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_allure3_javascript_matching_agrees() -> None:
    """Allure 3 takes the first rule whose status matches and whose regex `.test()`s."""
    rules = allure3_rules(categories_json())
    script = """
const [rules, cases] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const pick = ([status, message]) => {
  const r = rules.find(r => r.matchedStatuses.includes(status)
                         && new RegExp(r.messageRegex).test(message));
  return r ? r.name : null;
};
process.stdout.write(JSON.stringify(cases.map(pick)));
"""
    cases = [[s, m] for s, m, _ in CASES]
    out = subprocess.run(["node", "-e", script], input=json.dumps([rules, cases]),
                         capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == [e for _, _, e in CASES]
