"""Unit tests of run-flow, the flow image's entry script (no container needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fate_e2e.images.entry import run_flow

SETTINGS = '''# GRPC
GRPC_SERVER_MAX_WORKERS = None
LOG_DIR = ""
DATA_DIR = ""
MODEL_DIR = ""
JOB_DIR = ""
DEFAULT_FATE_DIR = ""
DEFAULT_SERVER_CONF_PATH = ""
UPLOAD_DATA_HOME = ""
SQLITE_FILE_DIR = ""
SQLITE_FILE_NAME = "fate_flow_sqlite.db"
ADMIN_KEY = "fate_flow_admin"
'''
BASE_CONF = {"party_id": "9999", "log_level": 20,
             "fateflow": {"host": "127.0.0.1", "http_port": 9380, "grpc_port": 9360},
             "database": {"engine": "sqlite", "mysql": {"user": "fate", "passwd": "fate"}}}


def test_settings_point_at_home_with_conf_outside_it() -> None:
    text = run_flow.settings_text(SETTINGS, "/data/fate_flow", "/opt/fate/conf")
    ns: dict[str, object] = {}
    exec(text, ns)  # the rewritten module must stay valid Python
    assert ns["DATA_DIR"] == "/data/fate_flow/data"
    assert ns["JOB_DIR"] == "/data/fate_flow/jobs"
    assert ns["LOG_DIR"] == "/data/fate_flow/logs"
    assert ns["MODEL_DIR"] == "/data/fate_flow/model"
    assert ns["UPLOAD_DATA_HOME"] == "/data/fate_flow/upload"
    assert ns["SQLITE_FILE_NAME"] == "/data/fate_flow/fate_flow_sqlite.db"
    assert ns["DEFAULT_SERVER_CONF_PATH"] == "/opt/fate/conf"
    assert ns["ADMIN_KEY"] == "fate_flow_admin"
    assert run_flow.settings_text(text, "/data/fate_flow", "/opt/fate/conf") == text


def test_settings_without_an_expected_name_is_refused() -> None:
    with pytest.raises(SystemExit, match="JOB_DIR"):
        run_flow.settings_text(SETTINGS.replace('JOB_DIR = ""\n', ""), "/h", "/c")


def test_env_overrides_types_and_secrets() -> None:
    env = {"FATE_FLOW_HOST": "10.1.2.3", "FATE_FLOW_HTTP_PORT": "19380",
           "FATE_PARTY_ID": "10000", "FATE_FLOW_DB_PASSWORD": "0123",
           "FATE_FLOW_RABBITMQ_PASSWORD": "yes"}
    conf = run_flow.service_conf(BASE_CONF, env)
    assert conf["fateflow"] == {"host": "10.1.2.3", "http_port": 19380, "grpc_port": 9360}
    assert conf["party_id"] == "10000"
    assert conf["database"]["mysql"]["passwd"] == "0123"
    assert conf["federation"]["rabbitmq"]["password"] == "yes"


def test_host_defaults_to_own_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostbyname", lambda _name: "10.250.0.7")
    assert run_flow.service_conf(BASE_CONF, {})["fateflow"]["host"] == "10.250.0.7"


def test_loopback_own_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostbyname", lambda _name: "127.0.1.1")
    with pytest.raises(SystemExit, match="FATE_FLOW_HOST"):
        run_flow.service_conf(BASE_CONF, {})


def test_conf_dir_layers_defaults_mount_then_env(tmp_path: Path) -> None:
    defaults, mount, conf_dir = tmp_path / "d", tmp_path / "m", tmp_path / "c"
    defaults.mkdir()
    mount.mkdir()
    (defaults / "service_conf.yaml").write_text(yaml.safe_dump(BASE_CONF))
    (defaults / "casbin_model.conf").write_text("default casbin")
    mounted = {**BASE_CONF, "default_engines": {"computing": "standalone",
                                                "federation": "rabbitmq"}}
    (mount / "service_conf.yaml").write_text(yaml.safe_dump(mounted))
    (mount / "rabbitmq_route_table.yaml").write_text("9999: {host: mq, port: 5672}\n")
    (mount / "..data").mkdir()  # Kubernetes ConfigMap internals are skipped
    conf = run_flow.build_conf_dir(defaults, mount, conf_dir,
                                   {"FATE_FLOW_HOST": "10.0.0.9", "FATE_PARTY_ID": "9999"})
    written = yaml.safe_load((conf_dir / "service_conf.yaml").read_text())
    assert written == conf
    assert written["default_engines"]["federation"] == "rabbitmq"
    assert written["fateflow"]["host"] == "10.0.0.9"
    assert (conf_dir / "casbin_model.conf").read_text() == "default casbin"
    assert (conf_dir / "rabbitmq_route_table.yaml").is_file()
    assert (conf_dir / "service_conf.yaml").stat().st_mode & 0o077 == 0


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1))
def test_any_password_round_trips_as_a_string(password: str) -> None:
    conf = run_flow.service_conf(BASE_CONF, {"FATE_FLOW_HOST": "10.0.0.1",
                                             "FATE_FLOW_DB_PASSWORD": password})
    again = yaml.safe_load(yaml.safe_dump(conf))
    assert again["database"]["mysql"]["passwd"] == password
