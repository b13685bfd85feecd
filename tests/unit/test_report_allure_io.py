"""Allure helpers: environment.properties, categories.json, steps and redacted attachments."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fate_e2e.report.allure_io import (
    attach_file,
    attach_text,
    format_properties,
    merge_fact,
    parse_properties,
    record_environment,
    step,
    write_categories,
    write_environment,
)
from fate_e2e.report.categories import categories_json
from fate_e2e.report.redact import MASK, clear_secrets, register_secret


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20).filter(lambda k: k.strip() == k),
                       st.text(max_size=40).filter(lambda v: v.strip() == v), max_size=8))
def test_properties_round_trip(facts: dict[str, str]) -> None:
    assert parse_properties(format_properties(facts)) == facts


def test_parse_properties_reads_common_forms() -> None:
    text = "# comment\n! other\nfate.version=2.2.0\nk8s: v1.34.4\n  spaced = x y \nempty=\n"
    assert parse_properties(text) == {"fate.version": "2.2.0", "k8s": "v1.34.4",
                                      "spaced": "x y ", "empty": ""}


def test_merge_fact_keeps_every_value_once() -> None:
    assert merge_fact(None, "2.2.0") == "2.2.0"
    assert merge_fact("2.2.0", "2.1.1") == "2.1.1, 2.2.0"
    assert merge_fact("2.1.1, 2.2.0", "2.2.0") == "2.1.1, 2.2.0"


def test_write_environment_merges_scenarios(tmp_path: Path) -> None:
    write_environment(tmp_path, {"fate.version": "2.2.0", "kubernetes.version": "v1.34.4",
                                 "cluster.provider": "kind"})
    write_environment(tmp_path, {"fate.version": "2.1.1", "image.fateflow": "sha256:1f2e"})
    write_environment(tmp_path, {"fate.version": "2.2.0", "blank": "  "})
    facts = parse_properties((tmp_path / "environment.properties").read_text())
    assert facts == {"fate.version": "2.1.1, 2.2.0", "kubernetes.version": "v1.34.4",
                     "cluster.provider": "kind", "image.fateflow": "sha256:1f2e"}
    assert not [p for p in tmp_path.iterdir() if p.name != "environment.properties"]


def test_write_environment_redacts_values(tmp_path: Path) -> None:
    register_secret("Hq5pV8sLw3")
    try:
        write_environment(tmp_path, {"note": "dsn mysql://fate:Hq5pV8sLw3@db"})
    finally:
        clear_secrets()
    text = (tmp_path / "environment.properties").read_text()
    assert "Hq5pV8sLw3" not in text and MASK in text


def test_write_environment_is_safe_under_concurrency(tmp_path: Path) -> None:
    threads = [threading.Thread(target=write_environment,
                                args=(tmp_path, {f"k{i}": str(i), "shared": f"v{i}"}))
               for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    facts = parse_properties((tmp_path / "environment.properties").read_text())
    assert {k: v for k, v in facts.items() if k != "shared"} == {f"k{i}": str(i)
                                                                  for i in range(16)}
    assert facts["shared"].split(", ") == sorted(f"v{i}" for i in range(16))


def test_write_categories(tmp_path: Path) -> None:
    path = write_categories(tmp_path / "results")
    assert json.loads(path.read_text()) == categories_json()


def test_helpers_only_log_without_allure(caplog: pytest.LogCaptureFixture, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import fate_e2e.report.allure_io as allure_io

    # Also when this suite itself runs with --alluredir.
    monkeypatch.setattr(allure_io, "active_results_dir", lambda: None)
    caplog.set_level(logging.INFO, logger="fate_e2e.report")
    with step("deploy party 9999"):
        attach_text("toy output", "password: Nv6tQ1zXk9\nok")
    (tmp_path / "x.yaml").write_text("a: 1\n")
    attach_file(tmp_path / "x.yaml")
    assert record_environment({"fate.version": "2.2.0"}) is None
    logged = caplog.text
    assert "step: deploy party 9999" in logged
    assert "attachment 'toy output'" in logged and "attachment 'x.yaml'" in logged
    assert "fate.version=2.2.0" in logged
    assert "Nv6tQ1zXk9" not in logged


INNER_TEST = textwrap.dedent('''
    from pathlib import Path
    from fate_e2e.report.allure_io import (active_results_dir, attach_file, attach_text,
                                           record_environment, step)
    from fate_e2e.report.redact import register_secret

    def test_with_evidence(tmp_path):
        register_secret("Wm4rT7yQp2")
        with step("install party 9999 with Wm4rT7yQp2"):
            attach_text("pod log", "connected with Wm4rT7yQp2\\nMYSQL_PASSWORD=Kd9sLq2Vx7")
        log = tmp_path / "flow.log"
        log.write_text("token: Jc3nB8vRt5\\n")
        attach_file(log, "flow log")
        png = tmp_path / "shot.png"
        png.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(range(256)))
        attach_file(png)
        assert active_results_dir() is not None
        record_environment({"fate.version": "2.2.0", "cluster.provider": "kind"})
''')


def test_real_allure_results_are_redacted(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    results = tmp_path / "results"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-o", "addopts=", "--alluredir", str(results), "test_inner.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (result_file,) = results.glob("*-result.json")
    result = json.loads(result_file.read_text())
    assert result["status"] == "passed"
    (top,) = result["steps"]
    assert top["name"] == f"install party 9999 with {MASK}"
    attachments = {a["name"]: a for a in top["attachments"] + result["attachments"]}
    assert set(attachments) == {"pod log", "flow log", "shot.png"}
    for name in ("pod log", "flow log"):
        body = (results / attachments[name]["source"]).read_text()
        assert MASK in body
        for secret in ("Wm4rT7yQp2", "Kd9sLq2Vx7", "Jc3nB8vRt5"):
            assert secret not in body
    assert (results / attachments["shot.png"]["source"]).read_bytes().startswith(b"\x89PNG")
    assert attachments["shot.png"]["type"] == "image/png"
    env = parse_properties((results / "environment.properties").read_text())
    assert env == {"fate.version": "2.2.0", "cluster.provider": "kind"}
