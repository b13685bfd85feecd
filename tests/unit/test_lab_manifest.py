"""find_lab / write_manifest, cached stages and the lab CLI (no daemon, no builds)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from fate_e2e.lab import Lab, find_lab, manifest_path, write_manifest
from fate_e2e.lab import cli as lab_cli
from fate_e2e.lab.stages import run_stage


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _lab(tmp_path: Path) -> Lab:
    for name in ("kind", "kubectl"):
        (tmp_path / name).write_text("#!/bin/sh\n")
    return Lab(kind=tmp_path / "kind", kubectl=tmp_path / "kubectl", node_image="n:1",
               kubernetes_version="v1.34.4", docker_host="unix:///x.sock",
               docker_cli="/usr/bin/docker")


def test_no_lab_before_up(cache: Path) -> None:
    assert find_lab() is None


def test_manifest_round_trip(cache: Path, tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    write_manifest(lab, {"last_up": {"seconds": 1}})
    assert find_lab() == lab
    assert lab.env()["DOCKER_HOST"] == "unix:///x.sock"


def test_stale_versions_mean_no_lab(cache: Path, tmp_path: Path) -> None:
    write_manifest(_lab(tmp_path), {})
    data = json.loads(manifest_path().read_text())
    data["versions"]["kubernetes"] = "v0.0.1"
    manifest_path().write_text(json.dumps(data))
    assert find_lab() is None


def test_missing_binary_means_no_lab(cache: Path, tmp_path: Path) -> None:
    write_manifest(_lab(tmp_path), {})
    (tmp_path / "kind").unlink()
    assert find_lab() is None


def test_stage_builds_once_then_reports_cached(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "artifact"
    calls: list[int] = []

    def _build() -> dict[str, int]:
        calls.append(1)
        out.write_text("x")
        return {"size": 1}

    first = run_stage("demo", {"v": 1}, [out], _build)
    second = run_stage("demo", {"v": 1}, [out], _build)
    assert (first.cached, second.cached) == (False, True)
    assert second.facts["size"] == 1 and "seconds" in second.facts
    assert len(calls) == 1
    out.unlink()
    assert not run_stage("demo", {"v": 1}, [out], _build).cached
    assert not run_stage("demo", {"v": 2}, [out], _build).cached
    assert len(calls) == 3


def test_cli_registers_up_status_down() -> None:
    parser = argparse.ArgumentParser()
    lab_cli.register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["lab", "up"]).func is lab_cli.cmd_up
    assert parser.parse_args(["lab", "status", "--json"]).json is True
    args = parser.parse_args(["lab", "down", "--purge"])
    assert args.func is lab_cli.cmd_down and args.purge is True


def test_purge_keeps_other_components_stamps(cache: Path) -> None:
    stamps = cache / "stamps"
    stamps.mkdir(parents=True)
    (stamps / "kubernetes-binaries-1.json").write_text("{}")
    (stamps / "debian-rootfs-2.json").write_text("{}")
    (stamps / "fate-image-3.json").write_text("{}")
    (cache / "lab").mkdir()
    lab_cli.purge_cache()
    assert sorted(p.name for p in stamps.iterdir()) == ["fate-image-3.json"]
    assert not (cache / "lab").exists()


def test_parse_clusters_ignores_kind_messages() -> None:
    assert lab_cli.parse_clusters("No kind clusters found.\n") == []
    assert lab_cli.parse_clusters("a\nlab-1-w0\n") == ["a", "lab-1-w0"]
