"""SIGINT during `fate-e2e run` leaves no cluster, namespace or container behind; the cluster of
a run killed outright (SIGKILL) is reclaimed by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes.client.rest import ApiException

from fate_e2e.cluster import owner
from fate_e2e.cluster.kind import KindProvider
from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import ClusterPool, PooledCluster
from fate_e2e.scenario.schema import ClusterSpec
from fate_e2e.waits import NotYet, wait_until

pytestmark = pytest.mark.e2e


def scenario_file(tmp_path: Path, cluster: dict[str, object],
                  namespaces: tuple[str, str] = ("fate-9999", "fate-10000")) -> Path:
    doc = {
        "apiVersion": "fate-e2e/v1", "kind": "Scenario",
        "metadata": {"name": "sigint-probe"},
        "cluster": cluster,
        "fate": {"version": "2.2.0"},
        "parties": [{"id": 9999, "namespace": namespaces[0]},
                    {"id": 10000, "namespace": namespaces[1]}],
        "steps": [{"deploy": {}}, {"toy": {"guest": 10000, "host": 9999}}],
    }
    path = tmp_path / "sigint.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# A background job of a non-interactive shell (`.ci/run &`) inherits SIGINT ignored, and
# Python keeps an ignored SIGINT ignored: start the run as from a terminal, SIGINT default.
AS_FROM_A_TERMINAL = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


def start_run(path: Path, work: Path, *, own_group: bool = False) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", AS_FROM_A_TERMINAL, "-m", "fate_e2e.cli", "run", str(path),
           "--work-dir", str(work), "--results", str(work / "allure"), "--keep-cluster", "never",
           "--no-build"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=own_group)


def interrupt(proc: subprocess.Popen[bytes], timeout: float = 600) -> str:
    """SIGINT the run (only the run, like a CI runner's cancel) and collect its output."""
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=timeout)
    return out.decode("utf-8", "replace")


def kind_containers(provider: KindProvider, cluster: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-a", "--filter",
                          f"label=io.x-k8s.kind.cluster={cluster}", "--format", "{{.Names}}"],
                         env=provider.env, capture_output=True, text=True, check=True).stdout
    return out.split()


def node_ids(provider: KindProvider, cluster: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--no-trunc", "--filter",
                          f"label=io.x-k8s.kind.cluster={cluster}"],
                         env=provider.env, capture_output=True, text=True, check=True).stdout
    return out.split()


def test_sigint_while_creating_cluster_deletes_it(tmp_path: Path,
                                                  fate_cluster: PooledCluster) -> None:
    name = "fate-e2e-sigint"
    provider = KindProvider(name, tmp_path)
    assert not provider.exists(), f"leftover cluster {name} from an earlier run"
    proc = start_run(scenario_file(tmp_path, {"name": name, "keep": "never"}), tmp_path)

    def _created() -> None:
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stdout.read() if proc.stdout else ''}")
        if not kind_containers(provider, name):
            raise NotYet("no node container yet")

    wait_until(f"the run to start creating {name}", _created, timeout=300, interval=1)
    output = interrupt(proc)
    assert proc.returncode != 0, output
    assert not provider.exists(), f"cluster {name} left behind:\n{output}"
    assert kind_containers(provider, name) == [], output


def test_cluster_of_a_killed_run_is_reclaimed_by_the_next(tmp_path: Path,
                                                          fate_cluster: PooledCluster) -> None:
    """SIGKILL leaves the cluster behind; the next run deletes that orphan and starts fresh."""
    name = "fate-e2e-orphan"
    provider = KindProvider(name, tmp_path)
    assert not provider.exists(), f"leftover cluster {name} from an earlier run"
    first = tmp_path / "first"
    proc = start_run(scenario_file(tmp_path, {"name": name, "keep": "never"}), first,
                     own_group=True)
    kubeconfig = first / "kubeconfig" / f"kind-{name}.yaml"

    def _created() -> None:
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stdout.read() if proc.stdout else ''}")
        if not kubeconfig.exists():
            raise NotYet("kind has not written the kubeconfig yet")

    try:
        wait_until(f"the run to create {name}", _created, timeout=300, interval=1)
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its kind: no teardown at all
        proc.wait(timeout=60)
        orphaned = node_ids(provider, name)
        assert orphaned, "the killed run should have left its cluster"
        assert owner.orphan("kind", name) is not None

        pool = ClusterPool(RunOptions(work_dir=tmp_path / "second"))
        pooled = pool.acquire(ClusterSpec(name=name, keep="never", timeout=300))
        assert pooled.cluster.created, "the orphan must be replaced, not reused"
        fresh = node_ids(provider, name)
        assert fresh and not set(fresh) & set(orphaned), "the orphan's node containers survived"
        pool.release()
        assert kind_containers(provider, name) == []
        assert owner.read("kind", name) is None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if provider.exists():
            provider.delete()


def test_sigint_during_deploy_removes_its_namespaces(tmp_path: Path,
                                                     fate_cluster: PooledCluster) -> None:
    namespaces = ("sigint-9999", "sigint-10000")
    cluster = {"name": fate_cluster.cluster.name, "reuse": True, "keep": "never"}
    proc = start_run(scenario_file(tmp_path, cluster, namespaces), tmp_path)
    core = fate_cluster.kube.core

    def _deploying() -> None:
        if proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.stdout.read() if proc.stdout else ''}")
        pods = core.list_namespaced_pod(namespaces[1]).items if _exists(core, namespaces[1]) \
            else []
        if not pods:
            raise NotYet("deploy has not created pods yet")

    wait_until("the run to be deploying", _deploying, timeout=600, interval=1)
    output = interrupt(proc)
    assert proc.returncode != 0, output
    left = [ns for ns in namespaces if _exists(core, ns)]
    assert left == [], f"namespaces left behind: {left}\n{output}"
    provider = KindProvider(fate_cluster.cluster.name, tmp_path)
    assert provider.exists(), "the reused cluster must survive the interrupted run"


def _exists(core: object, namespace: str) -> bool:
    try:
        core.read_namespace(namespace)  # type: ignore[attr-defined]
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def test_environment_has_no_user_kubeconfig_writes() -> None:
    """The harness never writes ~/.kube/config (runs above used work-dir kubeconfigs)."""
    kube_config = Path(os.path.expanduser("~/.kube/config"))
    assert not kube_config.exists() or "fate-e2e" not in kube_config.read_text()
