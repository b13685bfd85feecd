"""Names, labels and ports of what the native installer creates in a party's namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fate_e2e.errors import InfraError
from fate_e2e.scenario.schema import PartySpec

if TYPE_CHECKING:
    from fate_e2e.kube import Kube

MANAGER = "fate-e2e"
LABEL_MANAGED = "app.kubernetes.io/managed-by"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_MODULE = "fate-e2e/module"
LABEL_PARTY = "fate-e2e/party"
LABEL_VERSION = "fate-e2e/fate-version"
ANNOTATION_CONFIG = "fate-e2e/config-digest"

FLOW_HTTP_PORT = 9380
FLOW_GRPC_PORT = 9360
NGINX_HTTP_PORT = 9300
NGINX_GRPC_PORT = 9310
AMQP_PORT = 5672
RABBITMQ_MNG_PORT = 15672
MYSQL_PORT = 3306
ZK_PORT = 2181
SPARK_MASTER_PORT = 7077
SPARK_UI_PORT = 8080

CREDENTIALS_SECRET = "fate-credentials"
FLOW_HOME_CLAIM = "flow-home"
MARIADB_CLAIM = "mariadb-data"
SHARED_DATA_CLAIM = "shared-data"

# YAML module name -> workload (Deployment/StatefulSet) name and container name.
WORKLOADS = {
    "flow": "flow",
    "mariadb": "mariadb",
    "rabbitmq": "rabbitmq",
    "nginx": "nginx",
    "zookeeper": "zookeeper",
    "sparkMaster": "spark-master",
    "sparkWorker": "spark-worker",
}


def labels(party: PartySpec, module: str | None = None) -> dict[str, str]:
    """The labels every object of ``party`` (and ``module``) carries."""
    out = {LABEL_MANAGED: MANAGER, LABEL_PART_OF: "fate", LABEL_PARTY: str(party.id)}
    if module:
        out[LABEL_MODULE] = WORKLOADS[module]
    return out


def selector(party: PartySpec, module: str) -> dict[str, str]:
    """The pod selector of a module's workload."""
    return {LABEL_PARTY: str(party.id), LABEL_MODULE: WORKLOADS[module]}


def selector_text(party: PartySpec, module: str) -> str:
    return ",".join(f"{k}={v}" for k, v in selector(party, module).items())


def module_pods(kube: Kube, party: PartySpec, module: str, *, ready_only: bool = True) -> list[str]:
    """Names of a module's pods (ready ones first-class), sorted by name."""
    pods = kube.pods(party.ns, selector_text(party, module))
    names = []
    for pod in pods:
        if pod.metadata.deletion_timestamp:
            continue
        ready = any(c.type == "Ready" and c.status == "True"
                    for c in (pod.status.conditions or []))
        if ready or not ready_only:
            names.append(str(pod.metadata.name))
    return sorted(names)


def module_pod(kube: Kube, party: PartySpec, module: str) -> str:
    """One ready pod of the module (the first by name)."""
    names = module_pods(kube, party, module)
    if not names:
        raise InfraError(f"party {party.id}: no ready {module} pod in namespace {party.ns}")
    return names[0]
