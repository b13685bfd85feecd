"""The offline kind lab against a real cluster it creates (and always deletes).

Builds or reuses the lab (`lab up`), creates a kind cluster from the lab's node image with a
unique name and a kubeconfig under a tmp dir, then checks: nodes Ready, kube-system Running,
CoreDNS resolving, a locally built image deployed, a NodePort answering from the host, a deleted
pod recreated, a PVC bound through the default StorageClass.
Workers: FATE_E2E_LAB_WORKERS (comma list, default "0,1": both layouts, one after the other).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import pytest

from fate_e2e import proc
from fate_e2e.images.debian import debian_image
from fate_e2e.lab import Lab
from fate_e2e.lab.build import lab_up
from fate_e2e.waits import NotYet, wait_until

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kind"
PROBE_IMAGE = "fate-e2e/lab-probe:1"
WORKERS = [int(w) for w in os.environ.get("FATE_E2E_LAB_WORKERS", "0,1").split(",") if w.strip()]


@dataclass
class LabCluster:
    """A kind cluster created for this module, with kubectl bound to its kubeconfig."""

    name: str
    kubeconfig: Path
    lab: Lab
    workers: int
    create_seconds: float = 0.0

    def kubectl(self, *args: str, **kwargs: Any) -> str:
        return proc.run([str(self.lab.kubectl), "--kubeconfig", str(self.kubeconfig), *args],
                        **kwargs)

    def get(self, *args: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.kubectl("get", *args, "-o", "json"))
        return data

    def apply(self, fixture: str, **values: str) -> None:
        text = Template((FIXTURES / fixture).read_text()).substitute(values)
        self.kubectl("apply", "-f", "-", input=text.encode())

    def kind(self, *args: str, **kwargs: Any) -> str:
        return proc.run([str(self.lab.kind), *args], env=self.lab.env(), **kwargs)


@pytest.fixture(scope="module")
def lab() -> Lab:
    built, _ = lab_up()
    return built


@pytest.fixture(scope="module")
def probe_image(lab: Lab) -> str:
    debian_image(PROBE_IMAGE, ["busybox"], changes=['CMD ["/bin/sh"]'])
    return PROBE_IMAGE


def _kind_config(workers: int) -> str:
    nodes = "\n".join(["- role: control-plane", *["- role: worker"] * workers])
    return f"kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n{nodes}\n"


@pytest.fixture(scope="module", params=WORKERS, ids=lambda w: f"workers{w}")
def cluster(request: pytest.FixtureRequest, lab: Lab, probe_image: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    workers: int = request.param
    work = tmp_path_factory.mktemp("lab")
    name = f"lab-{uuid.uuid4().hex[:6]}-w{workers}"
    config = work / "kind-config.yaml"
    config.write_text(_kind_config(workers))
    cl = LabCluster(name=name, kubeconfig=work / "kubeconfig", lab=lab, workers=workers)
    started = time.monotonic()
    try:
        cl.kind("create", "cluster", "--name", name, "--image", lab.node_image,
                "--kubeconfig", str(cl.kubeconfig), "--config", str(config),
                what=f"kind create cluster {name}", timeout=600)
        cl.create_seconds = time.monotonic() - started
        cl.kind("load", "docker-image", "--name", name, probe_image,
                what=f"kind load docker-image {probe_image}", timeout=600)
        yield cl
    finally:
        cl.kind("delete", "cluster", "--name", name, "--kubeconfig", str(cl.kubeconfig),
                what=f"kind delete cluster {name}", timeout=300, check=False)
        left = cl.kind("get", "clusters").split()
        assert name not in left, f"cluster {name} still exists after kind delete"


def _ready(obj: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in obj.get("status", {}).get("conditions", []))


def _wait_pod_done(cl: LabCluster, pod: str, timeout: float = 180) -> str:
    """Wait for a run-once pod to succeed; return its log (fail fast if it failed)."""

    def _probe() -> str:
        phase = cl.get("pod", pod).get("status", {}).get("phase")
        if phase == "Failed":
            pytest.fail(f"pod {pod} failed:\n{cl.kubectl('logs', pod, check=False)}")
        if phase != "Succeeded":
            raise NotYet(f"pod {pod} is {phase}")
        return cl.kubectl("logs", pod)

    return wait_until(f"pod {pod} to succeed", _probe, timeout=timeout)


def test_every_node_ready(cluster: LabCluster) -> None:
    def _probe() -> list[str]:
        nodes = cluster.get("nodes")["items"]
        not_ready = [n["metadata"]["name"] for n in nodes if not _ready(n)]
        if len(nodes) != 1 + cluster.workers or not_ready:
            raise NotYet(f"{len(nodes)} nodes, not ready: {not_ready}")
        return [n["metadata"]["name"] for n in nodes]

    names = wait_until("every node Ready", _probe, timeout=180)
    assert len(names) == 1 + cluster.workers


def test_kube_system_pods_running(cluster: LabCluster) -> None:
    def _probe() -> list[str]:
        pods = cluster.get("pods", "-n", "kube-system")["items"]
        waiting = [p["metadata"]["name"] for p in pods
                   if p["status"].get("phase") != "Running" or not _ready(p)]
        if not pods or waiting:
            raise NotYet(f"not running/ready: {waiting}")
        return [p["metadata"]["name"] for p in pods]

    names = wait_until("kube-system pods Running", _probe, timeout=240)
    for component in ("etcd-", "kube-apiserver-", "kube-controller-manager-",
                      "kube-scheduler-", "kube-proxy-", "coredns-", "fate-e2e-cni-"):
        assert any(n.startswith(component) for n in names), f"no {component}* pod in {names}"


def test_coredns_resolves_kubernetes_service(cluster: LabCluster, probe_image: str) -> None:
    cluster.apply("probe-dns.yaml", image=probe_image)
    out = _wait_pod_done(cluster, "lab-dns")
    service_ip = cluster.get("service", "kubernetes", "-n", "default")["spec"]["clusterIP"]
    assert service_ip in out.split(), out
    assert "kubernetes.default.svc.cluster.local" in out


@pytest.fixture(scope="module")
def probe_deployment(cluster: LabCluster, probe_image: str) -> str:
    cluster.apply("probe-deployment.yaml", image=probe_image)
    cluster.kubectl("rollout", "status", "deployment/lab-probe", "--timeout=180s",
                    what="rollout of lab-probe", timeout=200)
    return "lab-probe"


def _probe_pods(cluster: LabCluster) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cluster.get("pods", "-l", "app=lab-probe")["items"]
    return items


def test_local_image_deployment_runs(cluster: LabCluster, probe_deployment: str) -> None:
    pods = _probe_pods(cluster)
    assert len(pods) == 1
    pod = pods[0]
    assert pod["status"]["phase"] == "Running" and _ready(pod)
    assert pod["spec"]["containers"][0]["image"] == PROBE_IMAGE
    image_id = pod["status"]["containerStatuses"][0]["imageID"]
    assert image_id, "container has no image id"


def test_nodeport_answers_from_host(cluster: LabCluster, probe_deployment: str) -> None:
    port = cluster.get("service", probe_deployment)["spec"]["ports"][0]["nodePort"]
    addresses = [a["address"] for n in cluster.get("nodes")["items"]
                 for a in n["status"]["addresses"] if a["type"] == "InternalIP"]
    assert len(addresses) == 1 + cluster.workers
    for address in addresses:
        url = f"http://{address}:{port}/index.html"

        def _get(url: str = url) -> str:
            try:
                with urllib.request.urlopen(url, timeout=3) as resp:
                    body: str = resp.read().decode()
                    return body
            except (urllib.error.URLError, OSError) as exc:
                raise NotYet(f"{url}: {exc}") from exc

        body = wait_until(f"NodePort {url}", _get, timeout=90)
        assert body.startswith("lab-probe "), body


def test_deleted_pod_is_recreated(cluster: LabCluster, probe_deployment: str) -> None:
    old = _probe_pods(cluster)[0]["metadata"]
    cluster.kubectl("delete", "pod", old["name"], "--wait=false")

    def _probe() -> str:
        pods = _probe_pods(cluster)
        fresh = [p for p in pods if p["metadata"]["uid"] != old["uid"]
                 and p["status"].get("phase") == "Running" and _ready(p)]
        if not fresh:
            raise NotYet(f"pods: {[p['metadata']['name'] for p in pods]}")
        owner = fresh[0]["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "ReplicaSet"
        name: str = fresh[0]["metadata"]["name"]
        return name

    new_name = wait_until("replacement pod Ready", _probe, timeout=120)
    assert new_name != old["name"]


def test_pvc_bound_through_storage_class(cluster: LabCluster, probe_image: str) -> None:
    classes = cluster.get("storageclass")["items"]
    default = [c for c in classes if c["metadata"].get("annotations", {}).get(
        "storageclass.kubernetes.io/is-default-class") == "true"]
    assert [c["metadata"]["name"] for c in default] == ["standard"]
    cluster.apply("probe-pvc.yaml", image=probe_image)

    def _bound() -> dict[str, Any]:
        pvc = cluster.get("pvc", "lab-pvc")
        if pvc.get("status", {}).get("phase") != "Bound":
            raise NotYet(f"pvc is {pvc.get('status', {}).get('phase')}")
        return pvc

    pvc = wait_until("PVC lab-pvc Bound", _bound, timeout=120)
    assert pvc["spec"]["storageClassName"] == "standard"
    pv = cluster.get("pv", pvc["spec"]["volumeName"])
    assert pv["spec"]["storageClassName"] == "standard"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == \
        default[0]["provisioner"]
    assert _wait_pod_done(cluster, "lab-pvc-writer").strip() == "persisted"
