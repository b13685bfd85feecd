"""Render one party's manifests: namespace, credentials, config, services, workloads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fate_e2e.install.base import PartyAddress
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
    SPARK_MASTER_PORT,
    SPARK_UI_PORT,
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

_ATTR = {"sparkMaster": "spark_master", "sparkWorker": "spark_worker"}


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
    replicas: Mapping[str, int] = field(default_factory=dict)

    def spec(self, module: str) -> ModuleSpec:
        """The module's spec with live replica changes (scale steps) applied."""
        base = getattr(self.party.modules, _ATTR.get(module, module)) or ModuleSpec()
        if module in self.replicas:
            return base.model_copy(update={"replicas": self.replicas[module]})
        return base

    @property
    def flow_spec(self) -> ModuleSpec:
        return self.spec("flow")

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


FLOW_HOME = "/data/fate_flow"
FLOW_CONF_MOUNT = "/etc/fate-flow"


def mariadb_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.spec("mariadb")
    objs: list[Obj] = []
    data: Obj
    if spec.persistence:
        objs.append(pvc(party, MARIADB_CLAIM, "mariadb", "2Gi"))
        data = {"name": "data", "persistentVolumeClaim": {"claimName": MARIADB_CLAIM}}
    else:
        data = {"name": "data", "emptyDir": {}}
    # Ready = FATE's own user can log in to FATE's database over TCP.
    ready = exec_probe('mariadb -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" -h127.0.0.1 '
                       "\"$MARIADB_DATABASE\" -e 'SELECT 1' >/dev/null", period=5, delay=3)
    env = [{"name": "MARIADB_DATABASE", "value": "fate_flow"},
           {"name": "MARIADB_USER", "value": "fate"},
           *secret_env(MARIADB_PASSWORD="MYSQL_PASSWORD")]
    main = container("mariadb", inputs.images.mariadb, spec, ports={"mysql": MYSQL_PORT},
                     env=env, mounts=[{"name": "data", "mountPath": "/var/lib/mysql"}],
                     readiness=ready)
    objs.append(workload(party, "mariadb", "StatefulSet", min(spec.replicas, 1),
                         version=inputs.version, containers=[main], volumes=[data],
                         config_digest=digest(spec.persistence)))
    return objs


def rabbitmq_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.spec("rabbitmq")
    # Ready = every listener (AMQP, management) accepts connections.
    ready = exec_probe("/usr/lib/rabbitmq/bin/rabbitmq-diagnostics -q "
                       "check_port_connectivity >/dev/null", period=10, timeout=30, delay=10)
    env = [{"name": "RABBITMQ_USER", "value": "fate"},
           *secret_env(RABBITMQ_PASSWORD="RABBITMQ_PASSWORD"),
           {"name": "HOME", "value": "/var/lib/rabbitmq"}]
    main = container("rabbitmq", inputs.images.rabbitmq, spec,
                     ports={"amqp": AMQP_PORT, "mng": RABBITMQ_MNG_PORT}, env=env,
                     mounts=[{"name": "data", "mountPath": "/var/lib/rabbitmq"}],
                     readiness=ready)
    return [workload(party, "rabbitmq", "StatefulSet", min(spec.replicas, 1),
                     version=inputs.version, containers=[main],
                     volumes=[{"name": "data", "emptyDir": {}}], config_digest=digest())]


def nginx_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.spec("nginx")
    conf = nginx_conf(party, inputs.peers)
    main = container("nginx", inputs.images.nginx, spec,
                     args=["nginx", "-c", "/etc/fate-nginx/nginx.conf", "-g", "daemon off;"],
                     ports={"http": NGINX_HTTP_PORT},
                     mounts=[{"name": "conf", "mountPath": "/etc/fate-nginx"}],
                     readiness=http_probe("/healthz", NGINX_HTTP_PORT, period=5, delay=2))
    volumes = [{"name": "conf", "configMap": {"name": "nginx-conf"}}]
    return [config_map(party, "nginx-conf", {"nginx.conf": conf}, "nginx"),
            workload(party, "nginx", "Deployment", spec.replicas, version=inputs.version,
                     containers=[main], volumes=volumes, config_digest=digest(conf))]


def zookeeper_objects(inputs: PartyInputs) -> list[Obj]:
    party = inputs.party
    spec = inputs.spec("zookeeper")
    ready = exec_probe(f"zkcli -server 127.0.0.1:{ZK_PORT} ls / >/dev/null 2>&1", period=10,
                       timeout=30, delay=5)
    main = container("zookeeper", inputs.images.zookeeper, spec, ports={"client": ZK_PORT},
                     mounts=[{"name": "data", "mountPath": "/var/lib/zookeeper"}],
                     readiness=ready)
    return [workload(party, "zookeeper", "StatefulSet", min(spec.replicas, 1),
                     version=inputs.version,
                     containers=[main], volumes=[{"name": "data", "emptyDir": {}}],
                     config_digest=digest())]


SPARK_CONF_MOUNT = "/etc/fate-spark"
SPARK_WORKER_UI_PORT = 8081
RUN_UID = 1000  # the images' ``fate`` user


def spark_master_url(party: PartySpec) -> str:
    return f"spark://spark-master.{party.ns}.svc.cluster.local:{SPARK_MASTER_PORT}"


def spark_defaults(party: PartySpec) -> str:
    """spark-defaults.conf of the flow pod (client mode; the driver host is added at start).

    One core per application: every party's job gets cores, and a job needing more than
    the workers have waits (the "starved" state of the scale-out check).
    """
    return "\n".join([
        f"spark.master {spark_master_url(party)}",
        "spark.submit.deployMode client",
        "spark.cores.max 1",
        "spark.executor.cores 1",
        "spark.executor.memory 1g",
        "spark.pyspark.python /opt/fate/venv/bin/python",
        "spark.ui.enabled false",
        "",
    ])


# Prepares the Spark flavour of the flow pod, then starts run-flow: spark-defaults.conf with
# this pod as the driver host, and FATE's job defaults with one 1-core executor per task.
SPARK_FLOW_START = (
    f'cat {SPARK_CONF_MOUNT}/spark-defaults.conf > "$SPARK_CONF_DIR/spark-defaults.conf" && '
    'echo "spark.driver.host $POD_IP" >> "$SPARK_CONF_DIR/spark-defaults.conf" && '
    f"mkdir -p /tmp/fate-flow-conf && cp {FLOW_CONF_MOUNT}/* /tmp/fate-flow-conf/ && "
    "python3 -c 'import yaml; p=\"/opt/fate/conf.default/job_default_config.yaml\"; "
    "c=yaml.safe_load(open(p)); c[\"task_run\"][\"spark\"]={\"num-executors\": 1, "
    "\"executor-cores\": 1}; "
    "yaml.safe_dump(c, open(\"/tmp/fate-flow-conf/job_default_config.yaml\", \"w\"))' && "
    "FATE_FLOW_CONF_MOUNT=/tmp/fate-flow-conf exec /opt/fate/bin/run-flow"
)


def spark_objects(inputs: PartyInputs) -> list[Obj]:
    """Spark standalone: a master (with its Service) and workers sharing the flow home."""
    party = inputs.party
    master_spec, worker_spec = inputs.spec("sparkMaster"), inputs.spec("sparkWorker")
    env = [field_env("POD_IP", "status.podIP"), field_env("SPARK_LOCAL_HOSTNAME", "status.podIP"),
           {"name": "HOME", "value": "/tmp"}]
    master = container(
        "sparkMaster", inputs.images.flow, master_spec,
        args=["sh", "-c", "exec spark-class org.apache.spark.deploy.master.Master "
              f'--host "$POD_IP" --port {SPARK_MASTER_PORT} --webui-port {SPARK_UI_PORT}'],
        ports={"spark": SPARK_MASTER_PORT, "ui": SPARK_UI_PORT}, env=env,
        readiness=http_probe("/json/", SPARK_UI_PORT, period=5, delay=5))
    worker = container(
        "sparkWorker", inputs.images.flow, worker_spec,
        args=["sh", "-c", "exec spark-class org.apache.spark.deploy.worker.Worker --cores 1 "
              f"--memory 2g --webui-port {SPARK_WORKER_UI_PORT} --work-dir /tmp/spark-work "
              f"{spark_master_url(party)}"],
        ports={"ui": SPARK_WORKER_UI_PORT}, env=env,
        mounts=[{"name": "home", "mountPath": FLOW_HOME}],
        readiness=http_probe("/json/", SPARK_WORKER_UI_PORT, period=5, delay=5))
    worker["securityContext"] = {"runAsUser": RUN_UID, "runAsGroup": RUN_UID}
    home = _flow_home_volume(inputs)
    return [
        service(party, "spark-master", "sparkMaster",
                {"spark": SPARK_MASTER_PORT, "ui": SPARK_UI_PORT}),
        workload(party, "sparkMaster", "Deployment", master_spec.replicas,
                 version=inputs.version, containers=[master], volumes=[],
                 config_digest=digest()),
        workload(party, "sparkWorker", "Deployment", worker_spec.replicas,
                 version=inputs.version, containers=[worker], volumes=[home],
                 config_digest=digest()),
    ]


def _flow_home_volume(inputs: PartyInputs) -> Obj:
    """The flow home: the PVC (shared with Spark workers, same path) or an emptyDir."""
    if inputs.flow_spec.persistence:
        return {"name": "home", "persistentVolumeClaim": {"claimName": FLOW_HOME_CLAIM}}
    return {"name": "home", "emptyDir": {}}


def flow_config(inputs: PartyInputs) -> dict[str, str]:
    """The flow ConfigMap: service_conf (no secrets: they come from env) and route table."""
    settings = FlowSettings(inputs.party, inputs.version, inputs.computing,
                            inputs.flow_spec.replicas, inputs.use_zookeeper)
    return {
        "service_conf.yaml": to_yaml(service_conf(settings)),
        "rabbitmq_route_table.yaml": to_yaml(route_table(inputs.party, inputs.peers)),
    }


def flow_objects(inputs: PartyInputs) -> list[Obj]:
    party, spec = inputs.party, inputs.flow_spec
    data = flow_config(inputs)
    objs: list[Obj] = [config_map(party, "flow-conf", data, "flow")]
    if spec.persistence:
        objs.append(pvc(party, FLOW_HOME_CLAIM, "flow", "5Gi"))
    home = _flow_home_volume(inputs)
    spark = inputs.computing == "spark"
    env = [field_env("POD_IP", "status.podIP"), field_env("FATE_FLOW_HOST", "status.podIP"),
           {"name": "FATE_PARTY_ID", "value": str(party.id)},
           {"name": "FATE_FLOW_CONF_MOUNT", "value": FLOW_CONF_MOUNT},
           *secret_env(FATE_FLOW_DB_PASSWORD="MYSQL_PASSWORD",
                       FATE_FLOW_RABBITMQ_PASSWORD="RABBITMQ_PASSWORD",
                       RABBITMQ_PASSWORD="RABBITMQ_PASSWORD")]
    mounts = [{"name": "conf", "mountPath": FLOW_CONF_MOUNT},
              {"name": "home", "mountPath": FLOW_HOME}]
    args = None
    if spark:
        objs.append(config_map(party, "spark-conf", {"spark-defaults.conf":
                                                     spark_defaults(party)}, "flow"))
        mounts.append({"name": "spark", "mountPath": SPARK_CONF_MOUNT})
        env.append(field_env("SPARK_LOCAL_HOSTNAME", "status.podIP"))
        # Client mode: executors call the driver back at this pod's address. FATE's own
        # job defaults ask for 2 executors x 2 cores per task: one executor of one core
        # instead, so a party's job needs one core and a 1-core worker can run it.
        args = ["sh", "-c", SPARK_FLOW_START]
    main = container(
        "flow", inputs.images.flow, spec, args=args,
        ports={"http": FLOW_HTTP_PORT, "grpc": FLOW_GRPC_PORT}, env=env, mounts=mounts,
        readiness=http_probe("/v2/site/info/query", FLOW_HTTP_PORT, period=5, delay=5),
        startup=http_probe("/v2/site/info/query", FLOW_HTTP_PORT, period=5, failures=60,
                           delay=5))
    volumes = [{"name": "conf", "configMap": {"name": "flow-conf"}}, home]
    if spark:
        volumes.append({"name": "spark", "configMap": {"name": "spark-conf"}})
    objs.append(workload(party, "flow", "StatefulSet", spec.replicas, version=inputs.version,
                         containers=[main], volumes=volumes,
                         config_digest=digest(data, spark_defaults(party) if spark else ""),
                         service_name="flow-headless", grace=20))
    return objs


def render_party(inputs: PartyInputs) -> list[Obj]:
    """Every object of the party, in apply order."""
    objs = base_objects(inputs)
    objs += mariadb_objects(inputs) + rabbitmq_objects(inputs)
    if inputs.use_zookeeper:
        objs += zookeeper_objects(inputs)
    objs += nginx_objects(inputs) + flow_objects(inputs)
    if inputs.computing == "spark":
        objs += spark_objects(inputs)
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
