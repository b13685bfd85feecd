"""Unit tests of the smoke checks' pure parts (conf building, result lines)."""

from __future__ import annotations

from typing import Any

from fate_e2e.images import smoke

BASE: dict[str, Any] = {"party_id": "9999",
        "fateflow": {"host": "127.0.0.1", "http_port": 9380, "proxy_name": "osx"},
        "default_engines": {"computing": "standalone", "federation": "standalone",
                            "storage": "standalone"},
        "federation": {"osx": {"host": "127.0.0.1", "port": 9370}}}


def test_spark_conf_switches_engines_and_proxies_to_itself() -> None:
    conf = smoke.spark_flow_conf(BASE, "10.250.0.9", "fate", "flow-c")
    assert conf["default_engines"] == {"computing": "spark", "federation": "rabbitmq",
                                       "storage": "file"}
    assert conf["fateflow"]["proxy_name"] == "nginx"
    assert conf["fateflow"]["http_port"] == 9380
    assert conf["federation"]["nginx"] == {"host": "flow-c", "http_port": 9380,
                                           "protocol": "http"}
    mq = conf["federation"]["rabbitmq"]
    assert (mq["host"], mq["port"], mq["mng_port"], mq["user"], mq["mode"]) == \
        ("10.250.0.9", 5672, 15672, "fate", "client")
    assert mq["password"] == "", "the password must come from the env, not the mounted file"
    assert conf["federation"]["osx"] == BASE["federation"]["osx"]
    assert BASE["default_engines"]["computing"] == "standalone", "input left untouched"


def test_failed_result_line_says_failed() -> None:
    assert "FAILED" in smoke.SmokeResult("x", False, 1.0).line()
