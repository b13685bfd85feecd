"""Which fate_flow instance may be killed while a job runs: the one running none of its tasks."""

from __future__ import annotations

import shlex
from types import SimpleNamespace
from typing import Any

import pytest

from fate_e2e.checks import instances
from fate_e2e.checks.instances import running_task_ips, spare_instance

PODS = {"flow-0": "10.244.0.68", "flow-1": "10.244.0.70", "flow-2": "10.244.0.71"}


def test_spare_instance_avoids_the_task_runner() -> None:
    assert spare_instance(PODS, {"10.244.0.71"}) == "flow-1"
    assert spare_instance(PODS, {"10.244.0.68"}) == "flow-2"
    assert spare_instance(PODS, set()) == "flow-2"


def test_no_spare_instance_when_every_one_runs_a_task() -> None:
    assert spare_instance(PODS, set(PODS.values())) is None
    assert spare_instance({}, set()) is None


def _fake_ctx(monkeypatch: pytest.MonkeyPatch, stdout: str) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def fake_exec(ns: str, pod: str, cmd: list[str], **kwargs: Any) -> Any:
        seen.append(shlex.split(cmd[-1])[-1])  # the SQL given to mariadb -e
        return SimpleNamespace(stdout=stdout)

    monkeypatch.setattr(instances, "module_pod", lambda kube, party, module: f"{module}-0")
    ctx = SimpleNamespace(kube=SimpleNamespace(exec=fake_exec))
    return ctx, seen


def test_running_task_ips_asks_for_this_jobs_running_tasks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, seen = _fake_ctx(monkeypatch, "10.244.0.71\nNULL\n")
    party = SimpleNamespace(id=9999, ns="fate-9999")
    assert running_task_ips(ctx, party, "202611290422047997160") == {"10.244.0.71"}
    assert "f_job_id='202611290422047997160'" in seen[0]
    assert "f_party_id='9999'" in seen[0]
    assert "f_party_status='running'" in seen[0]


def test_running_task_ips_refuses_what_is_not_a_job_id(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, seen = _fake_ctx(monkeypatch, "")
    with pytest.raises(ValueError, match="not a FATE job id"):
        running_task_ips(ctx, SimpleNamespace(id=9999, ns="fate-9999"), "1' OR '1'='1")
    assert seen == []
