"""run-flow: start fate_flow in the foreground from env vars and a mounted conf dir.

Baked into the flow image as /opt/fate/bin/run-flow (run by the image's venv python).
Steps: point fate_flow's settings.py at FATE_FLOW_HOME and the container-local conf dir,
build that conf dir (package defaults < files of FATE_FLOW_CONF_MOUNT < env overrides),
create the home dirs, drop root to the ``fate`` user, exec fate_flow_server.py.
Only the standard library and PyYAML (a fate_flow dependency) are used.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

DEFAULT_HOME = "/data/fate_flow"
DEFAULT_CONF_DIR = "/opt/fate/conf"
DEFAULT_CONF_MOUNT = "/etc/fate-flow"
SERVICE_CONF = "service_conf.yaml"
RUN_USER = "fate"
HOME_SUBDIRS = ("data", "model", "jobs", "logs", "upload")

# env var -> path of the service_conf.yaml key it sets; values are parsed as YAML scalars.
ENV_OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "FATE_PARTY_ID": ("party_id",),
    "FATE_FLOW_HOST": ("fateflow", "host"),
    "FATE_FLOW_HTTP_PORT": ("fateflow", "http_port"),
    "FATE_FLOW_GRPC_PORT": ("fateflow", "grpc_port"),
    "FATE_FLOW_LOG_LEVEL": ("log_level",),
    "FATE_FLOW_DB_PASSWORD": ("database", "mysql", "passwd"),
    "FATE_FLOW_RABBITMQ_PASSWORD": ("federation", "rabbitmq", "password"),
    "FATE_FLOW_ZOOKEEPER_PASSWORD": ("zookeeper", "password"),
}
# Values kept as strings whatever they look like (passwords, party ids).
STRING_ENV = {"FATE_PARTY_ID", "FATE_FLOW_DB_PASSWORD", "FATE_FLOW_RABBITMQ_PASSWORD",
              "FATE_FLOW_ZOOKEEPER_PASSWORD", "FATE_FLOW_HOST"}


def package_dir() -> Path:
    """The installed fate_flow package (found without importing it: that reads settings)."""
    for entry in sys.path:
        candidate = Path(entry) / "fate_flow"
        if (candidate / "fate_flow_server.py").is_file():
            return candidate
    raise SystemExit("run-flow: fate_flow is not installed in this python")


def settings_text(original: str, home: str, conf_dir: str) -> str:
    """settings.py with the dirs ``fate_flow init --home`` sets, but conf outside the home."""
    values = {
        "LOG_DIR": f"{home}/logs", "DATA_DIR": f"{home}/data", "MODEL_DIR": f"{home}/model",
        "JOB_DIR": f"{home}/jobs", "UPLOAD_DATA_HOME": f"{home}/upload",
        "SQLITE_FILE_NAME": f"{home}/fate_flow_sqlite.db",
        "DEFAULT_SERVER_CONF_PATH": conf_dir,
    }
    text = original
    for name, value in values.items():
        text, count = re.subn(rf"^{name}\s*=.*$", f"{name} = {value!r}", text, flags=re.M)
        if count != 1:
            raise SystemExit(f"run-flow: {name} not found once in fate_flow/settings.py")
    return text


def set_path(conf: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set conf[path[0]][path[1]]... = value, creating mappings on the way."""
    node = conf
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[path[-1]] = value


def env_value(name: str, raw: str) -> Any:
    """The YAML value an override env var stands for (ports as ints, secrets as strings)."""
    return raw if name in STRING_ENV else yaml.safe_load(raw)


def own_ip() -> str:
    """The address this container's hostname resolves to (the pod IP in Kubernetes)."""
    address = socket.gethostbyname(socket.gethostname())
    if address.startswith("127."):
        raise SystemExit("run-flow: hostname resolves to loopback; set FATE_FLOW_HOST")
    return address


def service_conf(base: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """``base`` with the env overrides applied; fateflow.host defaults to the own IP."""
    conf = dict(base)
    for name, path in ENV_OVERRIDES.items():
        if env.get(name):
            set_path(conf, path, env_value(name, env[name]))
    if not env.get("FATE_FLOW_HOST") and env.get("FATE_FLOW_KEEP_HOST") != "1":
        set_path(conf, ("fateflow", "host"), own_ip())
    return conf


def build_conf_dir(defaults: Path, mount: Path, conf_dir: Path,
                   env: Mapping[str, str]) -> dict[str, Any]:
    """Fill ``conf_dir``: package defaults, then the mount's files, then service_conf + env."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    for source in (defaults, mount):
        if source.is_dir():
            for item in sorted(source.iterdir()):
                if item.is_file():
                    shutil.copyfile(item, conf_dir / item.name)
    base = yaml.safe_load((conf_dir / SERVICE_CONF).read_text()) or {}
    conf = service_conf(base, env)
    target = conf_dir / SERVICE_CONF
    target.write_text(yaml.safe_dump(conf, default_flow_style=False, sort_keys=False))
    target.chmod(0o600)
    return conf


def prepare_home(home: Path, uid: int, gid: int) -> None:
    """Create the home's dirs; when root, hand any of them not owned by the run user to it."""
    for sub in HOME_SUBDIRS:
        (home / sub).mkdir(parents=True, exist_ok=True)
    if os.getuid() != 0:
        return
    for top in [home, *(home / sub for sub in HOME_SUBDIRS)]:
        if top.stat().st_uid != uid:
            for path in [top, *top.rglob("*")]:
                os.lchown(path, uid, gid)


def main() -> None:
    env = os.environ
    home = Path(env.get("FATE_FLOW_HOME", DEFAULT_HOME))
    conf_dir = Path(env.get("FATE_FLOW_CONF_DIR", DEFAULT_CONF_DIR))
    mount = Path(env.get("FATE_FLOW_CONF_MOUNT", DEFAULT_CONF_MOUNT))
    pkg = package_dir()
    settings = pkg / "settings.py"
    original = settings.read_text()
    wanted = settings_text(original, str(home), str(conf_dir))
    if wanted != original:
        settings.write_text(wanted)
    conf = build_conf_dir(Path(env.get("FATE_FLOW_DEFAULT_CONF", "/opt/fate/conf.default")),
                          mount, conf_dir, env)
    user = pwd.getpwnam(RUN_USER)
    prepare_home(home, user.pw_uid, user.pw_gid)
    if os.getuid() == 0:
        for path in [conf_dir, *conf_dir.iterdir()]:
            os.lchown(path, user.pw_uid, user.pw_gid)
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
        os.environ["HOME"] = user.pw_dir
    os.chdir(home)
    flow = conf.get("fateflow", {})
    print(f"run-flow: fate_flow on {flow.get('host')}:{flow.get('http_port')} (grpc "
          f"{flow.get('grpc_port')}), party {conf.get('party_id')}, home {home}, "
          f"conf {conf_dir}, logs {home}/logs/fate_flow", flush=True)
    server = str(pkg / "fate_flow_server.py")
    os.execv(sys.executable, [sys.executable, server, *sys.argv[1:]])


if __name__ == "__main__":
    main()
