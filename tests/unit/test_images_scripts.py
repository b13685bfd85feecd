"""Unit tests of the shell pieces baked into service images (run with the host's sh)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fate_e2e.images import catalog, services

ENTRY = Path(services.__file__).parent / "entry"


@pytest.mark.parametrize("script", sorted(p.name for p in ENTRY.glob("*.sh")))
def test_entry_scripts_parse(script: str) -> None:
    subprocess.run(["sh", "-n", str(ENTRY / script)], check=True)


def run_sh(script: str, tmp_path: Path, version: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with a fake dpkg-query printing ``version``."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "dpkg-query"
    fake.write_text(f"#!/bin/sh\nprintf '%s' '{version}'\n")
    fake.chmod(0o755)
    script = script.replace("/etc/fate-e2e-", f"{tmp_path}/fate-e2e-")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    return subprocess.run(["sh", "-ec", script], env=env, text=True, capture_output=True,
                          check=False)


@pytest.mark.parametrize(("name", "version", "ok"), [
    ("rabbitmq", "3.10.8-1.1+deb12u1", True),
    ("rabbitmq", "3.11.0-1", False),
    ("rabbitmq", "3.1.0-1", False),
    ("mariadb", "1:10.11.19-0+deb12u1", True),
    ("mariadb", "1:10.5.1-1", False),
    ("zookeeper", "3.8.0-11+deb12u2", True),
])
def test_version_check_guards_the_tag(tmp_path: Path, name: str, version: str,
                                      ok: bool) -> None:
    done = run_sh(services.version_check(catalog.SERVICES[name]), tmp_path, version)
    assert (done.returncode == 0) is ok, done.stderr
    if ok:
        assert (tmp_path / f"fate-e2e-{name}-version").read_text().strip() == version


def test_install_file_writes_the_exact_bytes(tmp_path: Path) -> None:
    target = tmp_path / "run-mariadb"
    done = run_sh(services.install_file("run-mariadb.sh", str(target)), tmp_path, "x")
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == (ENTRY / "run-mariadb.sh").read_bytes()
    assert os.access(target, os.X_OK)


def sql_escape(function: str, value: str) -> str:
    """Run one of run-mariadb's quoting functions on ``value``."""
    text = (ENTRY / "run-mariadb.sh").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith(f"{function}()"))
    done = subprocess.run(["sh", "-c", f'{line}\n{function} "$1"', "sh", value],
                          text=True, capture_output=True, check=True)
    return done.stdout


def test_mariadb_password_quoting() -> None:
    assert sql_escape("sql_string", "a'b\\c") == "a\\'b\\\\c"
    assert sql_escape("sql_name", "fa`te") == "fa``te"


@pytest.mark.parametrize("name", ["rabbitmq", "mariadb"])
def test_services_refuse_to_start_without_credentials(tmp_path: Path, name: str) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RABBITMQ_", "MARIADB_"))}
    done = subprocess.run(["sh", str(ENTRY / f"run-{name}.sh")], env=env, text=True,
                          capture_output=True, check=False)
    assert done.returncode != 0
    assert "set " in done.stderr
