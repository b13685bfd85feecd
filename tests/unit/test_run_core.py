"""Runner logic without a cluster: verdicts, keep policies, capture, overhead ratio."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from fate_e2e.cluster.base import Cluster
from fate_e2e.errors import InfraError, ProductFailure
from fate_e2e.report.redact import register_secret
from fate_e2e.run.capture import capture
from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import ClusterPool, PooledCluster
from fate_e2e.run.scenario_run import _verdict, as_infra, overhead_ratio
from fate_e2e.scenario import load_scenario_text

BASE = """apiVersion: fate-e2e/v1
kind: Scenario
metadata: {name: s}
fate: {version: 2.2.0}
parties: [{id: 9999}, {id: 10000}]
steps: [{deploy: {}}, {toy: {guest: 10000, host: 9999}}]
"""
BUG = BASE + "issue: BUG-1\nexpect: fail\n"


def test_verdicts() -> None:
    plain, bug = load_scenario_text(BASE), load_scenario_text(BUG)
    assert _verdict(plain, None, False).status == "passed"
    assert _verdict(plain, ProductFailure("toy failed"), False).status == "failed"
    assert _verdict(plain, InfraError("no cluster"), False).status == "broken"
    assert _verdict(plain, KeyboardInterrupt(), True).status == "interrupted"
    assert _verdict(bug, ProductFailure("lost"), False).status == "xfailed"
    fixed = _verdict(bug, None, False)
    assert fixed.status == "fixed" and "no longer reproduces" in fixed.message
    # An infrastructure failure never counts as the bug reproducing.
    assert _verdict(bug, InfraError("kind failed"), False).status == "broken"


def test_api_errors_are_infra() -> None:
    from kubernetes.client.rest import ApiException

    assert isinstance(as_infra(ApiException(status=500, reason="boom")), InfraError)
    bug = ValueError("harness bug")
    assert as_infra(bug) is bug


def test_overhead_ratio() -> None:
    assert overhead_ratio(100.0, 90.0) == 0.1
    assert overhead_ratio(0.0, 0.0) == 0.0


class FakeProvider:
    name = "kind"

    def __init__(self) -> None:
        self.deleted = 0

    def delete(self) -> None:
        self.deleted += 1


def pooled(keep: str, created: bool = True, failed: bool = False) -> tuple[Any, FakeProvider]:
    provider = FakeProvider()
    cluster = Cluster("c", "kind", Path("/k"), created=created)
    return PooledCluster(provider, cluster, None, keep, failed=failed), provider  # type: ignore[arg-type]


@pytest.mark.parametrize(("keep", "failed", "interrupted", "deleted"), [
    ("never", False, False, 1), ("never", True, False, 1), ("never", False, True, 1),
    ("on-failure", False, False, 1), ("on-failure", True, False, 0),
    ("on-failure", False, True, 0), ("always", False, False, 0),
])
def test_release_follows_keep_policy(tmp_path: Path, keep: str, failed: bool,
                                     interrupted: bool, deleted: int) -> None:
    pool = ClusterPool(RunOptions(work_dir=tmp_path))
    entry, provider = pooled(keep, failed=failed)
    pool.clusters["c"] = entry
    pool.release(interrupted=interrupted)
    assert provider.deleted == deleted


def test_release_never_deletes_clusters_it_did_not_create(tmp_path: Path) -> None:
    pool = ClusterPool(RunOptions(work_dir=tmp_path))
    entry, provider = pooled("never", created=False)
    pool.clusters["c"] = entry
    pool.release()
    assert provider.deleted == 0


def test_capture_makes_a_valid_bug_scenario_and_redacted_bundle(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "20261128-101010-s"
    (run / "diagnostics" / "fate-9999").mkdir(parents=True)
    (run / "scenario.yaml").write_text(BASE)
    register_secret("Sup3rS3cretPassw0rd")
    (run / "diagnostics" / "fate-9999" / "flow-0.log").write_text(
        "connecting with password Sup3rS3cretPassw0rd\n")
    (run / "result.json").write_text(json.dumps({
        "status": "failed", "message": "[product] toy failed",
        "facts": {"kubernetes_version": "v1.34.4", "images": {"fate-e2e/fate-flow:2.2.0":
                                                             "sha256:abc"}}}))
    result = capture(run, tmp_path / "out")
    scenario = load_scenario_text(result.scenario.read_text())
    assert scenario.expect == "fail" and scenario.issue
    assert scenario.metadata.name == "bug-s"
    assert result.versions["images"] == {"fate-e2e/fate-flow:2.2.0": "sha256:abc"}
    with tarfile.open(result.bundle) as tar:
        names = tar.getnames()
        log = tar.extractfile("bug-s/diagnostics/fate-9999/flow-0.log")
        assert log is not None
        assert b"Sup3rS3cretPassw0rd" not in log.read()
    assert "bug-s/versions.json" in names
    assert yaml.safe_load(result.scenario.read_text())["cluster"]["kubernetesVersion"] == \
        "v1.34.4"
