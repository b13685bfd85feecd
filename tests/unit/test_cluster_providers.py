"""Cluster providers: command construction and kubeconfig handling, without clusters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fate_e2e.cluster import make_provider
from fate_e2e.cluster.existing import ExistingProvider, minify
from fate_e2e.cluster.kind import KindProvider, kind_config
from fate_e2e.cluster.minikube import MinikubeProvider
from fate_e2e.errors import InfraError
from fate_e2e.scenario.schema import ClusterSpec, MinikubeSpec


class Recorder:
    """A fake command runner that records argv/env and answers from a table."""

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.answers = answers or {}

    def __call__(self, cmd: list[str], **kwargs: Any) -> str:
        self.calls.append((list(cmd), dict(kwargs.get("env") or {})))
        return self.answers.get(" ".join(cmd[1:3]), "")


def test_minikube_start_command(tmp_path: Path) -> None:
    spec = MinikubeSpec(profile="qual", driver="docker", cpus=4, memory="8Gi")
    provider = MinikubeProvider("fate", tmp_path, spec, kubernetes_version="v1.34.4",
                                workers=1, runner=Recorder(), binary="/bin/minikube")
    assert provider.start_command() == [
        "start", "-p", "qual", "--driver", "docker", "--cpus", "4", "--memory", "8g",
        "--nodes", "2", "--keep-context=false", "--kubernetes-version", "v1.34.4"]


def test_minikube_never_touches_default_kubeconfig(tmp_path: Path) -> None:
    runner = Recorder()
    provider = MinikubeProvider("fate", tmp_path, None, runner=runner, binary="/bin/minikube")
    cluster = provider.create(timeout=60)
    provider.load_images(["fate-e2e/fate-flow:2.2.0"])
    provider.delete()
    argvs = [c[0][1:] for c in runner.calls]
    assert argvs[0][:3] == ["start", "-p", "fate"]
    assert argvs[1] == ["image", "load", "-p", "fate", "fate-e2e/fate-flow:2.2.0"]
    assert argvs[2] == ["delete", "-p", "fate"]
    for _, env in runner.calls:
        assert env["KUBECONFIG"] == str(tmp_path / "kubeconfig" / "minikube-fate.yaml")
    assert cluster.kubeconfig.parent == tmp_path / "kubeconfig"
    assert cluster.created and cluster.context == "fate"


def test_kind_create_uses_own_kubeconfig_and_image(tmp_path: Path) -> None:
    runner = Recorder()
    provider = KindProvider("c1", tmp_path, workers=2, runner=runner,
                            tooling=("/lab/kind", {"DOCKER_HOST": "unix:///x.sock"}, "img:1"))
    cluster = provider.create(timeout=300)
    argv, env = runner.calls[0]
    assert argv[:5] == ["/lab/kind", "create", "cluster", "--name", "c1"]
    assert argv[argv.index("--kubeconfig") + 1] == str(cluster.kubeconfig)
    assert argv[argv.index("--image") + 1] == "img:1"
    assert env["DOCKER_HOST"] == "unix:///x.sock"
    config = yaml.safe_load(Path(argv[argv.index("--config") + 1]).read_text())
    assert [n["role"] for n in config["nodes"]] == ["control-plane", "worker", "worker"]
    assert cluster.context == "kind-c1"


def test_kind_exists_parses_cluster_list(tmp_path: Path) -> None:
    runner = Recorder({"get clusters": "other\nc1\n"})
    provider = KindProvider("c1", tmp_path, runner=runner, tooling=("kind", {}, None))
    assert provider.exists()
    assert not KindProvider("c", tmp_path, runner=runner, tooling=("kind", {}, None)).exists()


def test_kind_config_single_node() -> None:
    assert yaml.safe_load(kind_config(0))["nodes"] == [{"role": "control-plane"}]


KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "a",
    "contexts": [{"name": "a", "context": {"cluster": "ca", "user": "ua"}},
                 {"name": "b", "context": {"cluster": "cb", "user": "ub"}}],
    "clusters": [{"name": "ca", "cluster": {"server": "https://127.0.0.1:1"}},
                 {"name": "cb", "cluster": {"server": "https://127.0.0.1:2"}}],
    "users": [{"name": "ua", "user": {"token": "secret-a"}},
              {"name": "ub", "user": {"token": "secret-b"}}],
}


def test_existing_copies_only_the_chosen_context(tmp_path: Path) -> None:
    source = tmp_path / "user-config"
    source.write_text(yaml.safe_dump(KUBECONFIG))
    before = source.read_text()
    cluster = ExistingProvider("prod", tmp_path / "work", kubeconfig=str(source),
                               context="b").attach()
    copied = yaml.safe_load(cluster.kubeconfig.read_text())
    assert copied["current-context"] == "b"
    assert [c["name"] for c in copied["clusters"]] == ["cb"]
    assert "secret-a" not in cluster.kubeconfig.read_text()
    assert source.read_text() == before  # the user's file is never written
    assert not cluster.created


def test_existing_unknown_context_is_a_clear_error() -> None:
    with pytest.raises(InfraError, match="context 'zz' not in kubeconfig"):
        minify(KUBECONFIG, "zz")


def test_existing_cannot_create_or_load(tmp_path: Path) -> None:
    provider = ExistingProvider("x", tmp_path, kubeconfig=str(tmp_path / "missing"))
    assert not provider.exists()
    with pytest.raises(InfraError):
        provider.create(timeout=1)
    with pytest.raises(InfraError, match="cannot load local images"):
        provider.load_images(["a"])


def test_make_provider_overrides(tmp_path: Path) -> None:
    spec = ClusterSpec(name="fate-e2e")
    assert make_provider(spec, tmp_path).name == "kind"
    assert make_provider(spec, tmp_path, provider="minikube").name == "minikube"
    assert make_provider(spec, tmp_path, kubeconfig="/k").name == "existing"


def test_kind_dead_cluster_is_deleted_not_reused(tmp_path: Path) -> None:
    runner = Recorder({"get clusters": "c1\n", "ps -a": "c1-control-plane exited\n"})
    provider = KindProvider("c1", tmp_path, runner=runner, tooling=("kind", {}, None))
    assert not provider.exists()
    assert runner.calls[-1][0][:5] == ["kind", "delete", "cluster", "--name", "c1"]


def test_kind_running_cluster_exists(tmp_path: Path) -> None:
    runner = Recorder({"get clusters": "c1\n", "ps -a": "c1-control-plane running\n"})
    provider = KindProvider("c1", tmp_path, runner=runner, tooling=("kind", {}, None))
    assert provider.exists()
    assert all(call[0][1] != "delete" for call in runner.calls)


def test_minikube_profile_listing() -> None:
    from fate_e2e.cluster.minikube import profile_names

    listing = ('{"invalid":[{"Name":"old"}],"valid":[{"Name":"fate","Status":"Running"},'
               '{"Name":"other"}]}')
    assert profile_names(listing) == {"old", "fate", "other"}
    assert profile_names("* minikube not found") == set()
