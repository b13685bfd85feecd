"""Native installer rendering: routes from peers, secrets kept out, config digests."""

from __future__ import annotations

import yaml

from fate_e2e.install.base import PartyAddress
from fate_e2e.install.native.config import FlowSettings, nginx_conf, route_table, service_conf
from fate_e2e.install.native.credentials import Credentials
from fate_e2e.install.native.names import ANNOTATION_CONFIG
from fate_e2e.install.native.render import Images, PartyInputs, as_documents, render_party
from fate_e2e.scenario.schema import Modules, ModuleSpec, PartySpec

IMAGES = Images("flow:2.2.0", "mariadb:1", "rabbitmq:1", "nginx:1", "zk:1")
PEER = PartyAddress(10000, "172.18.0.2", 31001, 31002)


def inputs(party: PartySpec | None = None, **kw: object) -> PartyInputs:
    creds = Credentials("db-pass-XYZ", "mq-pass-XYZ")
    return PartyInputs(party or PartySpec(id=9999), "2.2.0", "standalone", IMAGES,
                       {10000: PEER}, creds, "run-1", **kw)  # type: ignore[arg-type]


def by_kind(objs: list[dict[str, object]], kind: str) -> dict[str, dict[str, object]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}  # type: ignore[index]


def test_route_table_points_peers_at_node_address_and_nodeport() -> None:
    table = route_table(PartySpec(id=9999), {10000: PEER})
    assert table[10000] == {"host": "172.18.0.2", "port": 31002}
    assert table[9999]["host"] == "rabbitmq.fate-9999.svc.cluster.local"


def test_nginx_routes_on_dest_party_id() -> None:
    conf = nginx_conf(PartySpec(id=9999), {10000: PEER})
    assert "upstream party_10000 { server 172.18.0.2:31001; }" in conf
    assert "upstream party_9999 { server flow.fate-9999.svc.cluster.local:9380; }" in conf
    assert "map $http_dest_party_id $fate_route" in conf


def test_service_conf_uses_placeholders_not_passwords() -> None:
    conf = service_conf(FlowSettings(PartySpec(id=9999), "2.2.0", "standalone", 1, False))
    assert conf["database"]["mysql"]["passwd"] == "${MYSQL_PASSWORD}"
    assert conf["federation"]["rabbitmq"]["password"] == "${RABBITMQ_PASSWORD}"
    assert conf["fateflow"]["proxy_name"] == "nginx"
    assert conf["use_registry"] is False


def test_scaled_flow_uses_zookeeper_registry() -> None:
    objs = render_party(inputs(replicas={"flow": 3}))
    flow = by_kind(objs, "StatefulSet")["flow"]
    assert flow["spec"]["replicas"] == 3  # type: ignore[index]
    assert "zookeeper" in by_kind(objs, "StatefulSet")
    conf = yaml.safe_load(by_kind(objs, "ConfigMap")["flow-conf"]["data"]["service_conf.yaml"])  # type: ignore[index]
    assert conf["use_registry"] == "zookeeper"


def test_rendered_documents_never_contain_passwords() -> None:
    docs = as_documents(render_party(inputs()))
    text = "\n".join(docs.values())
    assert "db-pass-XYZ" not in text and "mq-pass-XYZ" not in text
    assert "<redacted>" in text


def test_secret_holds_the_passwords_for_apply() -> None:
    secret = by_kind(render_party(inputs()), "Secret")["fate-credentials"]
    assert secret["stringData"] == {"MYSQL_PASSWORD": "db-pass-XYZ",  # type: ignore[comparison-overlap]
                                    "RABBITMQ_PASSWORD": "mq-pass-XYZ"}


def test_config_change_changes_the_pod_template_digest() -> None:
    def flow_digest(peer: PartyAddress) -> str:
        objs = render_party(PartyInputs(PartySpec(id=9999), "2.2.0", "standalone", IMAGES,
                                        {10000: peer}, Credentials("a", "b"), "r"))
        tmpl = by_kind(objs, "StatefulSet")["flow"]["spec"]["template"]  # type: ignore[index]
        return str(tmpl["metadata"]["annotations"][ANNOTATION_CONFIG])

    assert flow_digest(PEER) != flow_digest(PartyAddress(10000, "172.18.0.2", 31001, 1))


def test_mariadb_without_persistence_uses_emptydir() -> None:
    party = PartySpec(id=9999, modules=Modules(mariadb=ModuleSpec(persistence=False)))
    objs = render_party(inputs(party))
    assert "mariadb-data" not in by_kind(objs, "PersistentVolumeClaim")
    volumes = by_kind(objs, "StatefulSet")["mariadb"]["spec"]["template"]["spec"]["volumes"]  # type: ignore[index]
    assert {"name": "data", "emptyDir": {}} in volumes


def test_nodeport_services_for_cross_party_traffic() -> None:
    services = by_kind(render_party(inputs()), "Service")
    assert services["nginx-external"]["spec"]["type"] == "NodePort"  # type: ignore[index]
    assert services["rabbitmq-external"]["spec"]["type"] == "NodePort"  # type: ignore[index]
    assert "nodePort" not in str(services["nginx-external"])  # allocated by the cluster


def test_proc_net_tcp_listening_ports() -> None:
    from fate_e2e.checks.infra import proc_listening_ports

    table = """  sl  local_address rem_address   st tx_queue rx_queue
   0: 0A F40A01:24A4 00000000:0000 0A 00000000:00000000 00:00000000 00000000
   1: 00000000:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000
   2: 0A F40A01:24A4 0A F40A02:8F3C 01 00000000:00000000 00:00000000 00000000
"""
    assert proc_listening_ports(table.replace("0A F40A01", "0AF40A01")) == {0x24A4, 0x1628}


def test_an_upgrade_only_changes_fate_pod_templates() -> None:
    def templates(version: str) -> dict[str, object]:
        objs = render_party(PartyInputs(PartySpec(id=9999), version, "standalone", IMAGES,
                                        {10000: PEER}, Credentials("a", "b"), "r"))
        return {o["metadata"]["name"]: o["spec"]["template"] for o in objs
                if o["kind"] in ("StatefulSet", "Deployment")}

    old, new = templates("2.1.1"), templates("2.2.0")
    changed = sorted(name for name in old if old[name] != new[name])
    assert changed == ["flow"]
