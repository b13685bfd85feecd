"""FATE configuration rendered per party: service_conf, route table, nginx routing.

Passwords never appear here: templates carry ``${MYSQL_PASSWORD}``-style
placeholders that the container fills from its Secret-backed environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from fate_e2e.install.base import PartyAddress
from fate_e2e.install.native.names import (
    AMQP_PORT,
    FLOW_GRPC_PORT,
    FLOW_HTTP_PORT,
    MYSQL_PORT,
    NGINX_HTTP_PORT,
    RABBITMQ_MNG_PORT,
    ZK_PORT,
)
from fate_e2e.scenario.schema import PartySpec


@dataclass(frozen=True)
class FlowSettings:
    """What shapes one party's fate_flow configuration."""

    party: PartySpec
    version: str
    computing: str
    replicas: int
    use_zookeeper: bool


def svc(party: PartySpec, name: str) -> str:
    return f"{name}.{party.ns}.svc.cluster.local"


def route_table(party: PartySpec, peers: Mapping[int, PartyAddress]) -> dict[int, dict[str, Any]]:
    """RabbitMQ route table: own broker in-cluster, peers at their node address + NodePort."""
    table: dict[int, dict[str, Any]] = {party.id: {"host": svc(party, "rabbitmq"),
                                                   "port": AMQP_PORT}}
    for pid, addr in sorted(peers.items()):
        if pid != party.id:
            table[pid] = {"host": addr.host, "port": addr.amqp_port}
    return table


def service_conf(settings: FlowSettings) -> dict[str, Any]:
    """fate_flow's service_conf.yaml for a party of a multi-party deployment."""
    party = settings.party
    conf: dict[str, Any] = {
        "party_id": str(party.id),
        "use_registry": "zookeeper" if settings.use_zookeeper else False,
        "log_level": 20,
        "fateflow": {"host": "${POD_IP}", "http_port": FLOW_HTTP_PORT,
                     "grpc_port": FLOW_GRPC_PORT, "proxy_name": "nginx"},
        "database": {"engine": "mysql", "decrypt_key": None,
                     "mysql": {"name": "fate_flow", "user": "fate", "passwd": "${MYSQL_PASSWORD}",
                               "host": svc(party, "mariadb"), "port": MYSQL_PORT,
                               "max_connections": 100, "stale_timeout": 30}},
        "default_engines": {"computing": settings.computing, "federation": "rabbitmq",
                            "storage": "file" if settings.computing == "spark"
                            else "standalone"},
        # version empty: fate_flow registers its provider under its own fateflow.env
        # version (fate-flow 2.1.0 ships FATE=2.1.0 with pyfate 2.1.1).
        "default_provider": {"name": "fate", "version": None, "device": "local"},
        "computing": {"standalone": {"cores": 8}},
        "federation": {
            "rabbitmq": {"host": svc(party, "rabbitmq"), "port": AMQP_PORT,
                         "mng_port": RABBITMQ_MNG_PORT, "user": "fate",
                         "password": "${RABBITMQ_PASSWORD}", "mode": "replication",
                         "max_message_size": 1048576},
            "nginx": {"host": svc(party, "nginx"), "http_port": NGINX_HTTP_PORT,
                      "protocol": "http"},
        },
        "hook_module": {"client_authentication": "fate_flow.hook.flow.client_authentication",
                        "site_authentication": "fate_flow.hook.flow.site_authentication",
                        "permission": "fate_flow.hook.flow.permission"},
        "authentication": {"client": False, "site": False, "permission": False},
        "model_store": {"engine": "file", "decrypt_key": None, "file": {"path": None}},
        "zookeeper": {"hosts": [f"{svc(party, 'zookeeper')}:{ZK_PORT}"], "use_acl": False},
    }
    if settings.computing == "spark":
        # FATE books job_cores (4) per job out of this: 8 lets two jobs run at once.
        conf["computing"]["spark"] = {"home": None, "cores": 8}
    return conf


def to_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def nginx_conf(party: PartySpec, peers: Mapping[int, PartyAddress]) -> str:
    """nginx routing scheduling calls on the dest-party-id header."""
    upstreams = [f"  upstream party_{party.id} {{ server {svc(party, 'flow')}:{FLOW_HTTP_PORT}; }}"]
    mapping = [f'    "{party.id}" party_{party.id};']
    for pid, addr in sorted(peers.items()):
        if pid == party.id:
            continue
        upstreams.append(f"  upstream party_{pid} {{ server {addr.host}:{addr.nginx_port}; }}")
        mapping.append(f'    "{pid}" party_{pid};')
    return "\n".join([
        "worker_processes 1;",
        "pid /tmp/nginx.pid;",
        "error_log /dev/stderr notice;",
        "events { worker_connections 1024; }",
        "http {",
        "  access_log /dev/stdout;",
        "  client_max_body_size 0;",
        "  proxy_read_timeout 300s;",
        *upstreams,
        "  map $http_dest_party_id $fate_route {",
        '    default "";',
        *mapping,
        "  }",
        "  server {",
        f"    listen {NGINX_HTTP_PORT};",
        '    location = /healthz { return 200 "ok\\n"; }',
        "    location / {",
        '      if ($fate_route = "") { return 502 "no route for dest-party-id\\n"; }',
        "      proxy_pass http://$fate_route;",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Connection \"\";",
        "    }",
        "  }",
        "}",
        "",
    ])
