"""Cluster ownership records: orphans of dead runs are reclaimed, kept or busy clusters are not."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fate_e2e.cluster import owner
from fate_e2e.cluster.base import Cluster
from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import ClusterPool, PooledCluster
from fate_e2e.scenario.schema import ClusterSpec


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Provider:
    name = "kind"

    def __init__(self) -> None:
        self.deleted = 0

    def delete(self) -> None:
        self.deleted += 1


def write_dead_record(cache: Path, name: str, keep: str = "never") -> None:
    """A record as left by a creator that is gone: another boot's id."""
    path = cache / "clusters" / f"kind-{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "boot_id": "another-boot",
                                "start_ticks": "1", "keep": keep, "work_dir": "/w",
                                "created_at": 0.0}))


def test_this_process_is_alive_so_its_cluster_is_no_orphan(tmp_path: Path) -> None:
    owner.claim("kind", "c", keep="never", work_dir=tmp_path)
    record = owner.read("kind", "c")
    assert record is not None and record.alive() and record.pid == os.getpid()
    assert owner.orphan("kind", "c") is None


def test_process_start_tells_a_reused_pid_apart() -> None:
    assert owner.process_start(os.getpid()) != ""
    assert owner.process_start(2**22 + 7) == ""


@pytest.mark.parametrize(("keep", "is_orphan"), [
    ("never", True), ("on-failure", False), ("always", False), (owner.KEPT, False)])
def test_only_never_kept_clusters_of_dead_runs_are_orphans(own_cache: Path, keep: str,
                                                           is_orphan: bool) -> None:
    write_dead_record(own_cache, "c", keep)
    assert (owner.orphan("kind", "c") is not None) is is_orphan


def test_mark_kept_and_forget(own_cache: Path) -> None:
    write_dead_record(own_cache, "c")
    owner.mark_kept("kind", "c")
    assert owner.orphan("kind", "c") is None
    owner.forget("kind", "c")
    assert owner.read("kind", "c") is None


def test_pool_reclaims_an_orphan_unless_reuse_is_allowed(own_cache: Path, tmp_path: Path) -> None:
    write_dead_record(own_cache, "c")
    provider = Provider()
    reusing = ClusterPool(RunOptions(work_dir=tmp_path, reuse=True))
    assert not reusing._reclaim_orphan(provider, ClusterSpec(name="c"))  # type: ignore[arg-type]
    assert provider.deleted == 0
    pool = ClusterPool(RunOptions(work_dir=tmp_path))
    assert pool._reclaim_orphan(provider, ClusterSpec(name="c"))  # type: ignore[arg-type]
    assert provider.deleted == 1 and owner.read("kind", "c") is None


def test_taken_message_says_who_holds_the_cluster(own_cache: Path, tmp_path: Path) -> None:
    spec, provider = ClusterSpec(name="c"), Provider()
    assert "did not create it" in ClusterPool._taken_message(provider, spec)  # type: ignore[arg-type]
    owner.claim("kind", "c", keep="never", work_dir=tmp_path)
    message = ClusterPool._taken_message(provider, spec)  # type: ignore[arg-type]
    assert f"in use by a running fate-e2e (pid {os.getpid()}" in message
    owner.mark_kept("kind", "c")
    assert "a run kept it" in ClusterPool._taken_message(provider, spec)  # type: ignore[arg-type]


@pytest.mark.parametrize(("keep", "record_after"), [("never", None), ("always", owner.KEPT)])
def test_release_forgets_deleted_and_marks_kept(tmp_path: Path, keep: str,
                                                record_after: str | None) -> None:
    owner.claim("kind", "c", keep=keep, work_dir=tmp_path)
    pool = ClusterPool(RunOptions(work_dir=tmp_path))
    pool.clusters["c"] = PooledCluster(Provider(), Cluster("c", "kind", Path("/k"), created=True),  # type: ignore[arg-type]
                                       None, keep)  # type: ignore[arg-type]
    pool.release()
    record = owner.read("kind", "c")
    assert (record.keep if record else None) == record_after
