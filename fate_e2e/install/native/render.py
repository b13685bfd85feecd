"""Render one party's manifests: namespace, credentials, config, services, workloads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fate_e2e.install.base import PartyAddress
from fate_e2e.install.native import scripts
from fate_e2e.install.native.config import (
    FlowSettings,
    nginx_conf,
    route_table,
    service_conf,
    to_yaml,
)
from fate_e2e.install.native.credentials import Credentials
from fate_e2e.install.native.endpoints import NGINX_EXTERNAL, RABBITMQ_EXTERNAL, placeholder
from fate_e2e.install.native.names import (
    AMQP_PORT,
    FLOW_GRPC_PORT,
    FLOW_HOME_CLAIM,
    FLOW_HTTP_PORT,
    MARIADB_CLAIM,
    MYSQL_PORT,
    NGINX_HTTP_PORT,
    RABBITMQ_MNG_PORT,
    ZK_PORT,
)
from fate_e2e.install.native.objects import (
    Obj,
    config_map,
    container,
    digest,
    exec_probe,
    field_env,
    http_probe,
    namespace,
    pvc,
    secret,
    secret_env,
    service,
    workload,
)
from fate_e2e.scenario.schema import ModuleSpec, PartySpec, Scenario

CONF_DIR = "/etc/fate-e2e"


@dataclass(frozen=True)
class Images:
    """Image references for one party's modules."""

    flow: str
    mariadb: str
    rabbitmq: str
    nginx: str
    zookeeper: str


@dataclass(frozen=True)
class PartyInputs:
    """Everything a party's manifests depend on."""

    party: PartySpec
    version: str
    computing: str
    images: Images
    peers: Mapping[int, PartyAddress]
    credentials: Credentials
    run_label: str
    flow_replicas: int | None = None
    spark_workers: int | None = None

    @property
    def flow_spec(self) -> ModuleSpec:
        spec = self.party.modules.flow
        if self.flow_replicas is not None:
            spec = spec.model_copy(update={"replicas": self.flow_replicas})
        return spec

    @property
    def use_zookeeper(self) -> bool:
        return self.party.modules.zookeeper is not None or self.flow_spec.replicas > 1


def base_objects(inputs: PartyInputs) -> list[Obj]:
    """Namespace, credentials and services: safe to apply before peers are known."""
    party = inputs.party
    objs = [
        namespace(party, inputs.run_label),
        secret(party, inputs.credentials.env_names()),
        service(party, "flow", "flow", {"http": FLOW_HTTP_PORT, "grpc": FLOW_GRPC_PORT}),
        service(party, "flow-headless", "flow", {"http": FLOW_HTTP_PORT}, headless=True),
        service(party, "mariadb", "mariadb", {"mysql": MYSQL_PORT}),
        service(party, "rabbitmq", "rabbitmq", {"amqp": AMQP_PORT, "mng": RABBITMQ_MNG_PORT}),
        service(party, RABBITMQ_EXTERNAL, "rabbitmq", {"amqp": AMQP_PORT}, node_port=True),
        service(party, "nginx", "nginx", {"http": NGINX_HTTP_PORT}),
        service(party, NGINX_EXTERNAL, "nginx", {"http": NGINX_HTTP_PORT}, node_port=True),
    ]
    if inputs.use_zookeeper:
        objs.append(service(party, "zookeeper", "zookeeper", {"client": ZK_PORT}))
    return objs


def mariadb_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.party.modules.mariadb
    script = scripts.MARIADB_START
    objs: list[Obj] = [config_map(party, "mariadb-start", {"start.sh": script}, "mariadb")]
    data: Obj
    if spec.persistence:
        objs.append(pvc(party, MARIADB_CLAIM, "mariadb", "2Gi"))
        data = {"name": "data", "persistentVolumeClaim": {"claimName": MARIADB_CLAIM}}
    else:
        data = {"name": "data", "emptyDir": {}}
    ready = exec_probe('mariadb -ufate -p"$MYSQL_PASSWORD" -h127.0.0.1 fate_flow '
                       "-e 'SELECT 1' >/dev/null", period=5, delay=3)
    main = container("mariadb", inputs.images.mariadb, spec, command=["sh", "/start/start.sh"],
                     ports={"mysql": MYSQL_PORT}, env=secret_env("MYSQL_PASSWORD"),
                     mounts=[{"name": "data", "mountPath": "/var/lib/mysql"},
                             {"name": "start", "mountPath": "/start"}],
                     readiness=ready)
    volumes = [data, {"name": "start", "configMap": {"name": "mariadb-start"}}]
    objs.append(workload(party, "mariadb", "StatefulSet", min(spec.replicas, 1),
                         version=inputs.version, containers=[main], volumes=volumes,
                         config_digest=digest(script, spec.persistence)))
    return objs


def rabbitmq_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.party.modules.rabbitmq
    script = scripts.RABBITMQ_START
    ready = exec_probe("/usr/lib/rabbitmq/bin/rabbitmq-diagnostics -q "
                       "check_port_connectivity >/dev/null", period=10, timeout=20, delay=10)
    main = container("rabbitmq", inputs.images.rabbitmq, spec,
                     command=["sh", "/start/start.sh"],
                     ports={"amqp": AMQP_PORT, "mng": RABBITMQ_MNG_PORT},
                     env=[*secret_env("RABBITMQ_PASSWORD"),
                          {"name": "HOME", "value": "/var/lib/rabbitmq"},
                          {"name": "RABBITMQ_NODENAME", "value": "rabbit@localhost"}],
                     mounts=[{"name": "data", "mountPath": "/var/lib/rabbitmq"},
                             {"name": "start", "mountPath": "/start"}],
                     readiness=ready)
    volumes = [{"name": "data", "emptyDir": {}},
               {"name": "start", "configMap": {"name": "rabbitmq-start"}}]
    return [config_map(party, "rabbitmq-start", {"start.sh": script}, "rabbitmq"),
            workload(party, "rabbitmq", "StatefulSet", min(spec.replicas, 1),
                     version=inputs.version, containers=[main], volumes=volumes,
                     config_digest=digest(script))]


def nginx_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.party.modules.nginx
    conf = nginx_conf(party, inputs.peers)
    main = container("nginx", inputs.images.nginx, spec,
                     command=["nginx", "-c", "/etc/fate-nginx/nginx.conf", "-g", "daemon off;"],
                     ports={"http": NGINX_HTTP_PORT},
                     mounts=[{"name": "conf", "mountPath": "/etc/fate-nginx"}],
                     readiness=http_probe("/healthz", NGINX_HTTP_PORT, period=5, delay=2))
    volumes = [{"name": "conf", "configMap": {"name": "nginx-conf"}}]
    return [config_map(party, "nginx-conf", {"nginx.conf": conf}, "nginx"),
            workload(party, "nginx", "Deployment", spec.replicas, version=inputs.version,
                     containers=[main], volumes=volumes, config_digest=digest(conf))]


def zookeeper_objects(inputs: PartyInputs) -> list[Obj]:
    party = inputs.party
    spec = party.modules.zookeeper or ModuleSpec()
    script = scripts.ZOOKEEPER_START
    main = container("zookeeper", inputs.images.zookeeper, spec,
                     command=["sh", "/start/start.sh"], ports={"client": ZK_PORT},
                     mounts=[{"name": "data", "mountPath": "/var/lib/zookeeper"},
                             {"name": "start", "mountPath": "/start"}],
                     readiness=exec_probe(f"zkCli.sh -server 127.0.0.1:{ZK_PORT} ls / "
                                          ">/dev/null 2>&1", period=10, timeout=20, delay=5))
    volumes = [{"name": "data", "emptyDir": {}},
               {"name": "start", "configMap": {"name": "zookeeper-start"}}]
    return [config_map(party, "zookeeper-start", {"start.sh": script}, "zookeeper"),
            workload(party, "zookeeper", "StatefulSet", 1, version=inputs.version,
                     containers=[main], volumes=volumes, config_digest=digest(script))]


def flow_config(inputs: PartyInputs) -> dict[str, str]:
    """The flow ConfigMap: service_conf and route table templates, plus the start script."""
    settings = FlowSettings(inputs.party, inputs.version, inputs.computing,
                            inputs.flow_spec.replicas, inputs.use_zookeeper)
    return {
        "service_conf.yaml": to_yaml(service_conf(settings)),
        "rabbitmq_route_table.yaml": to_yaml(route_table(inputs.party, inputs.peers)),
        "start.sh": scripts.FLOW_START,
    }


def flow_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.flow_spec
    data = flow_config(inputs)
    objs: list[Obj] = [config_map(party, "flow-conf", data, "flow")]
    if spec.persistence:
        objs.append(pvc(party, FLOW_HOME_CLAIM, "flow", "5Gi"))
        home: Obj = {"name": "home", "persistentVolumeClaim": {"claimName": FLOW_HOME_CLAIM}}
    else:
        home = {"name": "home", "emptyDir": {}}
    env = [field_env("POD_IP", "status.podIP"), field_env("POD_NAME", "metadata.name"),
           {"name": "PARTY_ID", "value": str(party.id)},
           {"name": "FATE_E2E_CONF_DIR", "value": CONF_DIR},
           *secret_env("MYSQL_PASSWORD", "RABBITMQ_PASSWORD")]
    main = container(
        "flow", inputs.images.flow, spec, command=["sh", f"{CONF_DIR}/start.sh"],
        ports={"http": FLOW_HTTP_PORT, "grpc": FLOW_GRPC_PORT}, env=env,
        mounts=[{"name": "conf", "mountPath": CONF_DIR},
                {"name": "home", "mountPath": scripts.FLOW_HOME}],
        readiness=http_probe("/v2/site/info/query", FLOW_HTTP_PORT, period=5, delay=5),
        startup=http_probe("/v2/site/info/query", FLOW_HTTP_PORT, period=5, failures=60,
                           delay=5))
    volumes = [{"name": "conf", "configMap": {"name": "flow-conf"}}, home]
    objs.append(workload(party, "flow", "StatefulSet", spec.replicas, version=inputs.version,
                         containers=[main], volumes=volumes, config_digest=digest(data),
                         service_name="flow-headless", grace=20))
    return objs


def render_party(inputs: PartyInputs) -> list[Obj]:
    """Every object of the party, in apply order."""
    objs = base_objects(inputs)
    objs += mariadb_objects(inputs) + rabbitmq_objects(inputs)
    if inputs.use_zookeeper:
        objs += zookeeper_objects(inputs)
    objs += nginx_objects(inputs) + flow_objects(inputs)
    return objs


def redacted(objs: list[Obj]) -> list[Obj]:
    """Copies safe to print: Secret values replaced."""
    out = []
    for obj in objs:
        if obj["kind"] == "Secret":
            obj = {**obj, "stringData": {k: "<redacted>" for k in obj.get("stringData", {})}}
        out.append(obj)
    return out


def as_documents(objs: list[Obj]) -> dict[str, str]:
    """Objects as YAML documents keyed like file names (kind-name.yaml)."""
    import yaml

    docs: dict[str, str] = {}
    for index, obj in enumerate(redacted(objs)):
        name = f"{index:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
        docs[name] = yaml.safe_dump(obj, sort_keys=False)
    return docs


def render_scenario(scenario: Scenario, party: PartySpec,
                    images: Images | None = None) -> dict[str, str]:
    """Offline rendering for `fate-e2e render`: peers as placeholders, secrets redacted."""
    from fate_e2e.install.native.images import images_for

    version = party.version or scenario.fate.version
    peers: dict[int, Any] = {p.id: placeholder(p) for p in scenario.parties if p.id != party.id}
    creds = Credentials("<redacted>", "<redacted>")
    inputs = PartyInputs(party, version, scenario.fate.computing,
                         images or images_for(scenario, version), peers, creds, "render")
    return as_documents(render_party(inputs))
