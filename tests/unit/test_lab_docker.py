"""Unit tests of the private Docker daemon helpers (no daemon needed)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from fate_e2e.lab import docker


@pytest.fixture
def lab_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FATE_E2E_RUN_DIR", str(tmp_path / "run"))
    return tmp_path


def test_dockerd_is_private(lab_dirs: Path) -> None:
    argv = docker._dockerd_argv(lab_dirs / "run" / "c.sock", Path("/x/runcwrap"))
    joined = " ".join(argv)
    assert f"--host unix://{lab_dirs}/run/docker.sock" in joined
    assert f"--data-root {lab_dirs}/cache/docker" in joined
    assert f"--exec-root {lab_dirs}/run/docker-exec" in joined
    assert "--bridge none" in joined
    assert "--iptables=false" in argv and "--ip-forward=false" in argv
    assert f"--default-runtime {docker.RUNTIME_NAME}" in joined
    assert f"{docker.RUNTIME_NAME}=/x/runcwrap" in argv


def test_env_points_at_private_socket(lab_dirs: Path) -> None:
    daemon = docker.DockerDaemon(host=docker.docker_host(), cli="/usr/bin/docker")
    env = daemon.env()
    assert env["DOCKER_HOST"] == f"unix://{lab_dirs}/run/docker.sock"
    assert env["PATH"].split(os.pathsep)[0] == str(docker.lab_bin_dir())


def test_daemon_not_running_without_socket(lab_dirs: Path) -> None:
    assert not docker.daemon_running()


def test_ping_reads_body(lab_dirs: Path) -> None:
    path = lab_dirs / "run"
    path.mkdir()
    sock_path = path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)

    def _serve() -> None:
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK")
        conn.close()

    thread = threading.Thread(target=_serve, daemon=True)
    thread.start()
    try:
        assert docker.daemon_running()
    finally:
        thread.join(5)
        server.close()


def test_alive_checks_name_and_pid(tmp_path: Path) -> None:
    comm = Path("/proc/self/comm").read_text().strip()
    assert docker._alive(os.getpid(), comm)
    assert not docker._alive(os.getpid(), "surely-not-this")
    pidfile = tmp_path / "x.pid"
    pidfile.write_text("not a pid")
    assert docker._pid_alive(pidfile, comm) is None
    pidfile.write_text(str(os.getpid()))
    assert docker._pid_alive(pidfile, comm) == os.getpid()


def test_containerd_config_is_private(lab_dirs: Path) -> None:
    text = docker._containerd_config(lab_dirs / "run" / "containerd")
    assert f'address = "{lab_dirs}/run/containerd/containerd.sock"' in text
    assert f'root = "{lab_dirs}/cache/docker/containerd"' in text
    assert "io.containerd.grpc.v1.cri" in text


def test_runtime_wrappersource_digest_ignores_tests(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n")
    (tmp_path / "main.go").write_text("package main\n")
    before = docker.source_digest(tmp_path)
    (tmp_path / "main_test.go").write_text("package main\n")
    assert docker.source_digest(tmp_path) == before
    (tmp_path / "main.go").write_text("package main\n// changed\n")
    assert docker.source_digest(tmp_path) != before


def test_forwarding_rule_only_when_policy_drops(lab_dirs: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    policy = {"rules": "-P FORWARD ACCEPT\n"}

    def fake_run(cmd: list[str], **_: object) -> str:
        calls.append(list(cmd))
        return policy["rules"] if "-S" in cmd else ""

    monkeypatch.setattr("fate_e2e.lab.docker.shutil.which", lambda name: f"/usr/sbin/{name}")
    monkeypatch.setattr("fate_e2e.lab.docker.proc.run", fake_run)
    assert docker.ensure_bridge_forwarding() is False
    policy["rules"] = "-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n"
    assert docker.ensure_bridge_forwarding() is True
    bridge = docker.kind_bridge()
    assert calls[-1] == ["iptables", "-I", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"]
    policy["rules"] += f"-A FORWARD -i {bridge} -o {bridge} -j ACCEPT\n"
    assert docker.ensure_bridge_forwarding() is False


def test_bridge_name_differs_per_run_dir(lab_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = docker.kind_bridge()
    assert custom.startswith("fe2e-") and len(custom) <= 15
    monkeypatch.setenv("FATE_E2E_RUN_DIR", docker.DEFAULT_RUN_DIR)
    assert docker.kind_bridge() == "fe2e-kind" != custom


def test_network_and_links_are_made_under_the_start_lock(lab_dirs: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builders on a cold machine must not race to create the kind network."""
    import fcntl

    seen: list[bool] = []

    def locked() -> bool:
        with (docker.run_dir() / "start.lock").open("w") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(other, fcntl.LOCK_UN)
            return False

    monkeypatch.setattr(docker, "daemon_running", lambda: True)
    monkeypatch.setattr(docker, "docker_cli", lambda: "/usr/bin/docker")
    monkeypatch.setattr(docker, "_ensure_cli_link", lambda cli: seen.append(locked()))
    monkeypatch.setattr(docker, "ensure_network", lambda daemon: seen.append(locked()))
    docker.ensure_daemon()
    assert seen == [True, True]
    assert not locked()
