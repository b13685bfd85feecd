"""Prove each built image really works: start it in the foreground, probe it, remove it.

Containers run on the private daemon's ``kind`` network; probes go only to the addresses
of the containers started here. Passwords are random per run and reach containers through
the environment (``--env NAME``), never through a command line.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fate_e2e.checks.toy_output import parse_job_query, parse_toy_v2
from fate_e2e.errors import CommandError, InfraError, ProductFailure
from fate_e2e.images.catalog import ImageSet
from fate_e2e.images.flow import RUN_UID
from fate_e2e.images.layers import container_name, remove_container
from fate_e2e.lab.docker import KIND_NETWORK, DockerDaemon
from fate_e2e.waits import NotYet, wait_until

FLOW_START_TIMEOUT = 180.0
TOY_TIMEOUT = 600.0


@dataclass
class SmokeResult:
    """What one image's check saw: ok or not, timings, details worth reporting."""

    image: str
    ok: bool
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        facts = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.image}: {verdict} in {self.seconds:.1f}s ({facts})"


@contextlib.contextmanager
def container(daemon: DockerDaemon, image: str, purpose: str, *, env: dict[str, str],
              args: tuple[str, ...] = (), cmd: tuple[str, ...] = (),
              name: str | None = None) -> Iterator[str]:
    """Run ``image`` detached on the kind network; remove it (with volumes) afterwards."""
    name = name or container_name(f"smoke-{purpose}")
    run = ["run", "--detach", "--name", name, "--network", KIND_NETWORK, *args]
    for key in env:
        run += ["--env", key]
    daemon.docker(*run, image, *cmd, env=env, what=f"starting {purpose} ({image})")
    try:
        yield name
    finally:
        remove_container(daemon, name)


def container_ip(daemon: DockerDaemon, name: str) -> str:
    fmt = f'{{{{(index .NetworkSettings.Networks "{KIND_NETWORK}").IPAddress}}}}'
    address = daemon.docker("inspect", "--format", fmt, name).strip()
    if not address:
        raise InfraError(f"container {name} has no address on network {KIND_NETWORK}")
    return address


def ensure_running(daemon: DockerDaemon, name: str) -> None:
    """Raise InfraError (with the container log) when ``name`` exited."""
    state = daemon.docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                          name).strip()
    if not state.startswith("running"):
        logs = daemon.docker("logs", "--tail", "40", name, check=False)
        raise InfraError(f"container {name} is {state}; log tail:\n{logs}")


def foreground_process(daemon: DockerDaemon, name: str) -> str:
    """``uid: command`` of the container's main process (the child of tini, PID 1)."""
    top = daemon.docker("top", name, "-o", "pid,ppid,uid,args").splitlines()[1:]
    rows = [line.split(None, 3) for line in top if line.strip()]
    init = next((r for r in rows if "tini" in r[3]), None)
    if init is None:
        raise InfraError(f"{name}: tini is not running as the container's init: {top}")
    children = [f"{r[2]}: {r[3]}" for r in rows if r[1] == init[0]]
    if not children:
        raise InfraError(f"{name}: nothing runs under tini: {top}")
    return children[0]


def wait_port(daemon: DockerDaemon, name: str, host: str, port: int, timeout: float) -> None:
    def _probe() -> None:
        ensure_running(daemon, name)
        try:
            with socket.create_connection((host, port), timeout=3):
                return
        except OSError as exc:
            raise NotYet(f"{host}:{port}: {exc}") from exc

    wait_until(f"{name} port {port}", _probe, timeout=timeout, interval=1.0)


def http_get(url: str, *, user: str | None = None, password: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, body) of a GET; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    if user is not None and password is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def run_toy(daemon: DockerDaemon, name: str, image: str) -> dict[str, Any]:
    """Wait for fate_flow in ``name``, run the single-party toy, demand success everywhere."""
    started = time.monotonic()
    address = container_ip(daemon, name)
    wait_port(daemon, name, address, 9380, FLOW_START_TIMEOUT)
    wait_port(daemon, name, address, 9360, 30)
    ready = round(time.monotonic() - started, 1)
    main = foreground_process(daemon, name)
    if "fate_flow_server.py" not in main or not main.startswith(f"{RUN_UID}:"):
        raise InfraError(f"{name}: tini's child is {main!r}, not fate_flow_server.py as fate")
    daemon.docker("exec", name, "flow", "init", "--ip", address, "--port", "9380")
    toy_started = time.monotonic()
    out = daemon.docker("exec", name, "flow", "test", "toy", "-gid", "9999", "-hid", "9999",
                        what=f"toy job in {image}", timeout=TOY_TIMEOUT)
    toy = parse_toy_v2(out)
    statuses: list[str] = []
    if toy.job_id:
        query = daemon.docker("exec", name, "flow", "job", "query", "-j", toy.job_id)
        statuses = [record.status for record in parse_job_query(query)[2]]
    details = {"job": toy.job_id, "toy": toy.status, "parties": statuses, "ready_s": ready,
               "main": main[:60], "toy_s": round(time.monotonic() - toy_started, 1),
               "host": address}
    if not toy.success or not statuses or set(statuses) != {"success"}:
        logs = daemon.docker("exec", name, "sh", "-c",
                             "tail -n 30 /data/fate_flow/logs/fate_flow/*.log", check=False)
        raise ProductFailure(f"toy job {toy.job_id} in {image}: {toy.status} {toy.detail},"
                             f" parties {statuses}\n{logs}")
    return details


def smoke_flow(daemon: DockerDaemon, image: str) -> SmokeResult:
    """Standalone fate_flow in the foreground + a single-party toy job that must succeed."""
    started = time.monotonic()
    with container(daemon, image, "flow", env={"FATE_PARTY_ID": "9999"}) as name:
        details = run_toy(daemon, name, image)
    return SmokeResult(image, True, round(time.monotonic() - started, 1), details)


def default_service_conf(daemon: DockerDaemon, image: str) -> dict[str, Any]:
    """The package's service_conf.yaml baked into a flow image."""
    text = daemon.docker("run", "--rm", "--network", "none", "--entrypoint", "cat", image,
                         "/opt/fate/conf.default/service_conf.yaml")
    conf: dict[str, Any] = yaml.safe_load(text)
    return conf


def spark_flow_conf(base: dict[str, Any], mq_host: str, user: str,
                    flow_name: str) -> dict[str, Any]:
    """Spark computing, RabbitMQ federation (client mode), file storage; no password in it.

    Scheduling calls go through the ``nginx`` proxy setting, pointed at the flow itself (by
    its container name, which Docker's DNS resolves): one party needs no real proxy.
    """
    conf = dict(base)
    conf["default_engines"] = {"computing": "spark", "federation": "rabbitmq",
                               "storage": "file"}
    conf["fateflow"] = {**conf.get("fateflow", {}), "proxy_name": "nginx"}
    federation = dict(conf.get("federation") or {})
    federation["rabbitmq"] = {"host": mq_host, "port": 5672, "mng_port": 15672, "user": user,
                              "password": "", "mode": "client"}
    federation["nginx"] = {"host": flow_name, "http_port": 9380, "protocol": "http"}
    conf["federation"] = federation
    return conf


def smoke_flow_spark(daemon: DockerDaemon, image: str, rabbitmq_image: str) -> SmokeResult:
    """Spark flavour: a toy job on Spark (local master) with RabbitMQ federation succeeds."""
    started = time.monotonic()
    user, password = "fate", secrets.token_urlsafe(12)
    mq_env = {"RABBITMQ_USER": user, "RABBITMQ_PASSWORD": password}
    with tempfile.TemporaryDirectory(prefix="fate-e2e-spark-") as tmp, \
            container(daemon, rabbitmq_image, "spark-mq", env=mq_env) as mq:
        mq_ip = container_ip(daemon, mq)
        wait_port(daemon, mq, mq_ip, 5672, 120)
        conf_dir, spark_dir = Path(tmp) / "conf", Path(tmp) / "spark"
        conf_dir.mkdir()
        spark_dir.mkdir()
        flow_name = container_name("smoke-flow-spark")
        conf = spark_flow_conf(default_service_conf(daemon, image), mq_ip, user, flow_name)
        (conf_dir / "service_conf.yaml").write_text(yaml.safe_dump(conf))
        (conf_dir / "rabbitmq_route_table.yaml").write_text(
            yaml.safe_dump({"9999": {"host": mq_ip, "port": 5672}}))
        (spark_dir / "spark-defaults.conf").write_text(
            "spark.master local[2]\nspark.pyspark.python /opt/fate/venv/bin/python\n")
        for path in [Path(tmp), conf_dir, spark_dir, *conf_dir.iterdir(), *spark_dir.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        args = ("--volume", f"{conf_dir}:/etc/fate-flow:ro",
                "--volume", f"{spark_dir}:/opt/fate/spark-conf:ro")
        env = {"FATE_PARTY_ID": "9999", "FATE_FLOW_RABBITMQ_PASSWORD": password}
        with container(daemon, image, "flow-spark", env=env, args=args,
                       name=flow_name) as name:
            details = run_toy(daemon, name, image)
            used = daemon.docker("exec", name, "sh", "-c", "grep -rl 'SparkContext: Running Spark'"
                                 f" /data/fate_flow/logs/{details['job']} | wc -l").strip()
            if used in ("", "0"):
                raise ProductFailure(f"toy job {details['job']} in {image} succeeded but its"
                                     " logs show no Spark context: Spark was not used")
            details["spark_task_logs"] = int(used)
    return SmokeResult(image, True, round(time.monotonic() - started, 1),
                       {**details, "computing": "spark local[2]", "federation": "rabbitmq"})


def smoke_rabbitmq(daemon: DockerDaemon, image: str) -> SmokeResult:
    """Management API answers for the user set at start; federation plugin is loaded."""
    started = time.monotonic()
    user, password = "fate", secrets.token_urlsafe(12)
    env = {"RABBITMQ_USER": user, "RABBITMQ_PASSWORD": password}
    with container(daemon, image, "rabbitmq", env=env) as name:
        address = container_ip(daemon, name)
        wait_port(daemon, name, address, 5672, 120)
        url = f"http://{address}:15672/api/overview"

        def _overview() -> dict[str, Any]:
            ensure_running(daemon, name)
            try:
                status, body = http_get(url, user=user, password=password)
            except OSError as exc:
                raise NotYet(str(exc)) from exc
            if status != 200:
                raise NotYet(f"HTTP {status}")
            overview: dict[str, Any] = json.loads(body)
            return overview

        overview = wait_until("rabbitmq management API", _overview, timeout=60, interval=1)
        wrong, _ = http_get(url, user=user, password=password + "x")
        types = {t.get("name") for t in overview.get("exchange_types", [])}
        if wrong != 401 or "x-federation-upstream" not in types:
            raise InfraError(f"rabbitmq: bad password gave HTTP {wrong}, exchange types {types}")
        users = daemon.docker("exec", "--user", "rabbitmq", "--env", "HOME=/var/lib/rabbitmq",
                              name, "/usr/lib/rabbitmq/bin/rabbitmqctl", "list_users", "-q")
        if not any(line.split()[:1] == [user] for line in users.splitlines()):
            raise InfraError(f"rabbitmqctl list_users does not show {user}:\n{users}")
        main = foreground_process(daemon, name)
        details = {"version": overview.get("rabbitmq_version"), "bad_password_http": wrong,
                   "rabbitmqctl": "ok",
                   "federation": True, "main": main[:60]}
    return SmokeResult(image, True, round(time.monotonic() - started, 1), details)


def smoke_mariadb(daemon: DockerDaemon, image: str) -> SmokeResult:
    """The user/database set at start answer a SQL query over TCP."""
    started = time.monotonic()
    password = secrets.token_urlsafe(12) + "'q"
    env = {"MARIADB_DATABASE": "fate_flow", "MARIADB_USER": "fate",
           "MARIADB_PASSWORD": password}
    with container(daemon, image, "mariadb", env=env) as name:
        address = container_ip(daemon, name)
        wait_port(daemon, name, address, 3306, 120)
        query = ["exec", "--env", "MYSQL_PWD", name, "mariadb", "-h", "127.0.0.1",
                 "-u", "fate", "fate_flow", "-N", "-e",
                 "CREATE TABLE IF NOT EXISTS t (x INT); INSERT INTO t VALUES (42);"
                 " SELECT SUM(x), DATABASE(), CURRENT_USER() FROM t"]

        def _query() -> str:
            ensure_running(daemon, name)
            try:
                return daemon.docker(*query, env={"MYSQL_PWD": password}).strip()
            except CommandError as exc:
                raise NotYet(exc.tail[-200:]) from exc

        row = wait_until("mariadb SQL as fate", _query, timeout=60, interval=1)
        if not row.startswith("42\tfate_flow\tfate@"):
            raise InfraError(f"mariadb: unexpected query result {row!r}")
        main = foreground_process(daemon, name)
    return SmokeResult(image, True, round(time.monotonic() - started, 1),
                       {"row": row.replace("\t", " "), "main": main[:60]})


NGINX_TEST_CONF = """\
map $http_dest_party_id $fate_e2e_backend {
    default 127.0.0.1:8081;
    10000 127.0.0.1:8082;
}
server {
    listen 80;
    location / { proxy_pass http://$fate_e2e_backend; }
}
server { listen 8081; location / { return 200 "party 9999\\n"; } }
server { listen 8082; location / { return 200 "party 10000\\n"; } }
"""


def smoke_nginx(daemon: DockerDaemon, image: str) -> SmokeResult:
    """A mounted conf routes on the dest-party-id header (as the FATE proxy conf will)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fate-e2e-nginx-") as tmp:
        conf = Path(tmp) / "smoke.conf"
        conf.write_text(NGINX_TEST_CONF)
        os.chmod(tmp, 0o755)
        conf.chmod(0o644)
        args = ("--volume", f"{conf}:/etc/nginx/conf.d/smoke.conf:ro")
        with container(daemon, image, "nginx", env={}, args=args) as name:
            address = container_ip(daemon, name)
            wait_port(daemon, name, address, 80, 60)
            _, plain = http_get(f"http://{address}/")
            _, routed = http_get(f"http://{address}/", headers={"dest-party-id": "10000"})
            if plain.strip() != "party 9999" or routed.strip() != "party 10000":
                raise InfraError(f"nginx routing: {plain!r} / {routed!r}")
            main = foreground_process(daemon, name)
            version = daemon.docker("exec", name, "nginx", "-v").strip()
    return SmokeResult(image, True, round(time.monotonic() - started, 1),
                       {"routing": "dest-party-id ok", "version": version, "main": main})


def four_letter(address: str, port: int, word: str) -> str:
    with socket.create_connection((address, port), timeout=5) as conn:
        conn.sendall(word.encode())
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    return data.decode(errors="replace")


def smoke_zookeeper(daemon: DockerDaemon, image: str) -> SmokeResult:
    """ruok answers imok; zkcli lists and creates znodes."""
    started = time.monotonic()
    with container(daemon, image, "zookeeper", env={}) as name:
        address = container_ip(daemon, name)
        wait_port(daemon, name, address, 2181, 120)

        def _ruok() -> str:
            ensure_running(daemon, name)
            try:
                answer = four_letter(address, 2181, "ruok")
            except OSError as exc:
                raise NotYet(str(exc)) from exc
            if answer != "imok":
                raise NotYet(f"ruok -> {answer!r}")
            return answer

        wait_until("zookeeper ruok", _ruok, timeout=60, interval=1)
        daemon.docker("exec", name, "zkcli", "-server", "127.0.0.1:2181", "create",
                      "/fate-e2e-smoke", "ok")
        listing = daemon.docker("exec", name, "zkcli", "-server", "127.0.0.1:2181", "ls", "/")
        if "fate-e2e-smoke" not in listing or "zookeeper" not in listing:
            raise InfraError(f"zookeeper ls / gave:\n{listing}")
        main = foreground_process(daemon, name)
        mode = next((ln for ln in four_letter(address, 2181, "srvr").splitlines()
                     if ln.startswith("Mode:")), "Mode: ?")
    return SmokeResult(image, True, round(time.monotonic() - started, 1),
                       {"ruok": "imok", "ls": "ok", "mode": mode.split(": ")[-1],
                        "main": main[:60]})


SERVICE_CHECKS = {"rabbitmq": smoke_rabbitmq, "mariadb": smoke_mariadb, "nginx": smoke_nginx,
                  "zookeeper": smoke_zookeeper}


def smoke_image_set(daemon: DockerDaemon, images: ImageSet, *,
                    services: bool = True) -> list[SmokeResult]:
    """Check the flow image (toy job) and, with ``services``, each service image."""
    results = [smoke_flow(daemon, images.flow)]
    if images.flow_spark:
        results.append(smoke_flow_spark(daemon, images.flow_spark, images.rabbitmq))
    if services:
        tags = images.tags()
        results += [check(daemon, tags[role]) for role, check in SERVICE_CHECKS.items()]
    return results
