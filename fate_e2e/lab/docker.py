"""The lab's private Docker daemon: own socket, exec-root, containerd and data-root.

It never touches a user's default daemon: it listens on unix:///run/fate-e2e/docker.sock,
keeps images under ``<cache>/docker``, creates no docker0 bridge, leaves the host's iptables
alone (one bridge ACCEPT rule only if FORWARD drops) and runs every container through
``runcwrap`` (a runc wrapper that drops capabilities missing from this VM's bounding set, so
``--privileged`` works).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fate_e2e import proc
from fate_e2e.cache import Stamp
from fate_e2e.errors import InfraError
from fate_e2e.paths import cache_dir
from fate_e2e.waits import NotYet, wait_until

RUNTIME_NAME = "fate-e2e-runc"
KIND_NETWORK = "kind"
DEFAULT_RUN_DIR = "/run/fate-e2e"
DEFAULT_ADDRESS_POOL = "10.250.0.0/16"
START_TIMEOUT = 120.0
STOP_TIMEOUT = 90.0


def run_dir() -> Path:
    """Runtime state (sockets, pidfiles): $FATE_E2E_RUN_DIR or /run/fate-e2e."""
    return Path(os.environ.get("FATE_E2E_RUN_DIR", DEFAULT_RUN_DIR))


def kind_bridge() -> str:
    """Host bridge name of the kind network; unique per run dir so two labs never share it."""
    if str(run_dir()) == DEFAULT_RUN_DIR:
        return "fe2e-kind"
    return "fe2e-" + hashlib.sha256(str(run_dir()).encode()).hexdigest()[:8]


def address_pool() -> str:
    """Where the private daemon allocates network subnets: $FATE_E2E_ADDRESS_POOL or 10.250/16."""
    return os.environ.get("FATE_E2E_ADDRESS_POOL", DEFAULT_ADDRESS_POOL)


def lab_bin_dir() -> Path:
    """Binaries the lab builds or links (runcwrap, kind, kubectl, docker)."""
    path = cache_dir() / "lab" / "bin"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = cache_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def socket_path() -> Path:
    return run_dir() / "docker.sock"


def docker_host() -> str:
    """The DOCKER_HOST URL of the private daemon."""
    return f"unix://{socket_path()}"


def docker_cli() -> str:
    """The docker client matching the daemon (Debian's), else whatever is on PATH."""
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise InfraError("docker CLI not found (apt-get install docker.io)")


@dataclass(frozen=True)
class DockerDaemon:
    """Handle on the running private daemon."""

    host: str
    cli: str

    def env(self) -> dict[str, str]:
        """os.environ plus DOCKER_HOST, with the lab's bin dir (docker, kind) first on PATH."""
        path = f"{lab_bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**os.environ, "DOCKER_HOST": self.host, "PATH": path}

    def docker(self, *args: str, **run_kwargs: Any) -> str:
        """Run the docker CLI against this daemon via fate_e2e.proc.run."""
        env = {**self.env(), **run_kwargs.pop("env", {})}
        return proc.run([self.cli, *args], env=env, **run_kwargs)


def _ping(sock: Path, timeout: float = 3.0) -> str:
    """GET /_ping on the daemon socket; return the body, or raise OSError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        conn.connect(str(sock))
        conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    return data.decode("latin-1").split("\r\n\r\n", 1)[-1]


def daemon_running() -> bool:
    """True when the private daemon answers /_ping."""
    try:
        return _ping(socket_path()) == "OK"
    except OSError:
        return False


def _ensure_packages() -> None:
    """Install Docker Engine (docker.io: dockerd, containerd, runc) from Debian if missing."""
    needed = ("dockerd", "containerd", "runc")
    if all(shutil.which(b) or Path("/usr/sbin", b).exists() for b in needed) and \
            Path("/usr/bin/docker").exists():
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    proc.run(["apt-get", "update"], what="apt-get update", env=env, timeout=600)
    proc.run(["apt-get", "install", "-y", "--no-install-recommends", "docker.io"],
             what="apt-get install docker.io", env=env, timeout=900)


def _real_runc() -> str:
    for candidate in ("/usr/sbin/runc", shutil.which("runc")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise InfraError("runc not found (apt-get install docker.io)")


def source_digest(src: Path) -> str:
    """Digest of a Go package's sources (go.mod and non-test .go files)."""
    digest = hashlib.sha256()
    sources = [f for f in sorted(src.glob("*.go")) if not f.name.endswith("_test.go")]
    for file in [*sources, src / "go.mod"]:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def _wrapper_stamp() -> tuple[Stamp, Path]:
    src = Path(__file__).parent / "runcwrap"
    key = {"source": source_digest(src), "runc": _real_runc()}
    return Stamp("runcwrap", key), lab_bin_dir() / f"runcwrap-{key['source']}"


def runtime_wrapper_built() -> bool:
    """True when runcwrap for the current sources is already built."""
    try:
        stamp, out = _wrapper_stamp()
    except InfraError:
        return False
    return stamp.done() and out.is_file()


def build_runtime_wrapper() -> Path:
    """Build runcwrap (fate_e2e/lab/runcwrap) once per source digest; return its path."""
    src = Path(__file__).parent / "runcwrap"
    stamp, out = _wrapper_stamp()
    runc = stamp.key["runc"]
    if stamp.done() and out.is_file():
        return out
    if shutil.which("go") is None:
        raise InfraError("go not found: the lab builds its runtime wrapper with Go")
    tmp = out.with_suffix(".tmp")
    proc.run(["go", "build", "-trimpath", "-ldflags", f"-s -w -X main.realRunc={runc}",
              "-o", str(tmp), "."], cwd=src, what="building runcwrap",
             env={"CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}, timeout=600)
    tmp.replace(out)
    stamp.mark(path=str(out), size=out.stat().st_size)
    return out


def _containerd_config(state: Path) -> str:
    root = cache_dir() / "docker" / "containerd"
    return "\n".join([
        "version = 2",
        f'root = "{root}"',
        f'state = "{state}"',
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        "[grpc]",
        f'  address = "{state / "containerd.sock"}"',
        "[ttrpc]",
        f'  address = "{state / "containerd.sock.ttrpc"}"',
        "[debug]",
        '  address = ""',
        "",
    ])


def _alive(pid: int, name: str) -> bool:
    """True when ``pid`` is a live (not zombie) process called ``name``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    state = stat[stat.rindex(")") + 2:].split(" ", 1)[0]
    return comm == name[:15] and state not in ("Z", "X")


def _pid_alive(pidfile: Path, name: str) -> int | None:
    """The pid recorded in ``pidfile`` if that process still runs as ``name``."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid, name) else None


def _spawn(argv: list[str], log: Path) -> int:
    with log.open("a", encoding="utf-8") as logf:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                 stderr=subprocess.STDOUT, start_new_session=True,
                                 close_fds=True)
    return child.pid


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start_containerd() -> Path:
    state = run_dir() / "containerd"
    sock = state / "containerd.sock"
    pidfile = run_dir() / "containerd.pid"
    if _pid_alive(pidfile, "containerd") and sock.exists():
        return sock
    state.mkdir(parents=True, exist_ok=True)
    sock.unlink(missing_ok=True)  # a socket left by a containerd that is gone
    config = run_dir() / "containerd.toml"
    config.write_text(_containerd_config(state))
    log = logs_dir() / "containerd.log"
    pid = _spawn([shutil.which("containerd") or "/usr/bin/containerd", "--config", str(config)],
                 log)
    pidfile.write_text(str(pid))

    def _up() -> None:
        if _pid_alive(pidfile, "containerd") is None:
            raise InfraError(f"containerd exited; log tail:\n{_tail(log)}")
        if not sock.exists():
            raise NotYet(f"{sock} not there yet")

    wait_until("private containerd socket", _up, timeout=START_TIMEOUT, interval=0.5)
    return sock


def _dockerd_argv(containerd_sock: Path, wrapper: Path) -> list[str]:
    rd = run_dir()
    return [
        shutil.which("dockerd") or "/usr/sbin/dockerd",
        "--host", docker_host(),
        "--exec-root", str(rd / "docker-exec"),
        "--pidfile", str(rd / "docker.pid"),
        "--data-root", str(cache_dir() / "docker"),
        "--containerd", str(containerd_sock),
        "--bridge", "none",
        "--iptables=false",
        "--ip-masq=false",
        "--ip-forward=false",
        "--default-address-pool", f"base={address_pool()},size=24",
        "--add-runtime", f"{RUNTIME_NAME}={wrapper}",
        "--default-runtime", RUNTIME_NAME,
        "--exec-opt", "native.cgroupdriver=cgroupfs",
        "--storage-driver", "overlay2",
    ]


def _ensure_cli_link(cli: str) -> None:
    """kind runs `docker` from PATH: link the matching client into the lab bin dir."""
    link = lab_bin_dir() / "docker"
    if link.is_symlink() and os.readlink(link) == cli:
        return
    tmp = link.with_name(".docker.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(cli)
    tmp.replace(link)


def _forward_rule() -> list[str]:
    bridge = kind_bridge()
    return ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"]


def ensure_bridge_forwarding() -> bool:
    """Let node-to-node traffic cross the kind bridge when the host's FORWARD policy is DROP.

    With br_netfilter, bridged packets traverse the host's FORWARD chain; a default Docker
    (iptables on) sets its policy to DROP. Returns True when a rule was added.
    """
    if shutil.which("iptables") is None:
        return False
    rules = proc.run(["iptables", "-S", "FORWARD"], check=False)
    if "-P FORWARD DROP" not in rules or " ".join(["-A", *_forward_rule()]) in rules:
        return False
    proc.run(["iptables", "-I", *_forward_rule()])
    return True


def remove_bridge_forwarding() -> None:
    """Remove the rule ensure_bridge_forwarding added, if any."""
    if shutil.which("iptables") is None:
        return
    rules = proc.run(["iptables", "-S", "FORWARD"], check=False)
    if " ".join(["-A", *_forward_rule()]) in rules:
        proc.run(["iptables", "-D", *_forward_rule()], check=False)


def ensure_network(daemon: DockerDaemon) -> None:
    """Create the `kind` network with a fixed bridge name (IPv4 only) if it is missing."""
    ensure_bridge_forwarding()
    names = daemon.docker("network", "ls", "--format", "{{.Name}}").split()
    if KIND_NETWORK in names:
        return
    daemon.docker("network", "create", "-d", "bridge",
                  "-o", f"com.docker.network.bridge.name={kind_bridge()}",
                  "-o", "com.docker.network.bridge.enable_ip_masquerade=false",
                  KIND_NETWORK, what="creating the kind network")


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    """Serialise daemon start-up between processes (two test runs, two builders)."""
    run_dir().mkdir(parents=True, exist_ok=True)
    with (run_dir() / "start.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start_dockerd() -> None:
    """Start containerd and dockerd (stale pidfiles from a previous boot removed first)."""
    _ensure_packages()
    wrapper = build_runtime_wrapper()
    (cache_dir() / "docker").mkdir(parents=True, exist_ok=True)
    containerd_sock = _start_containerd()
    pidfile = run_dir() / "docker.pid"
    if _pid_alive(pidfile, "dockerd") is None:
        pidfile.unlink(missing_ok=True)  # dockerd refuses to start over a pid it cannot check
    log = logs_dir() / "dockerd.log"
    pid = _spawn(_dockerd_argv(containerd_sock, wrapper), log)

    def _answers() -> None:
        if not _alive(pid, "dockerd"):
            raise InfraError(f"dockerd exited; log tail:\n{_tail(log)}")
        try:
            body = _ping(socket_path())
        except OSError as exc:
            raise NotYet(str(exc)) from exc
        if body != "OK":
            raise NotYet(f"/_ping said {body!r}")

    wait_until("private dockerd", _answers, timeout=START_TIMEOUT, interval=0.5,
               error=lambda exc: InfraError(f"{exc}\n--- dockerd log tail ---\n{_tail(log)}"))


def ensure_daemon() -> DockerDaemon:
    """Install, build and start what the private daemon needs; return a handle once it answers.

    All of it runs under one lock: builders started side by side on a cold machine would
    otherwise race to create the same network and links.
    """
    with _start_lock():
        if not daemon_running():
            _start_dockerd()
        cli = docker_cli()
        _ensure_cli_link(cli)
        daemon = DockerDaemon(host=docker_host(), cli=cli)
        ensure_network(daemon)
    return daemon


def _stop_pid(pidfile: Path, name: str, what: str) -> None:
    pid = _pid_alive(pidfile, name)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)

    def _gone() -> None:
        if _alive(pid, name):
            raise NotYet(f"{what} (pid {pid}) still running")

    try:
        wait_until(f"{what} to stop", _gone, timeout=STOP_TIMEOUT, interval=0.5)
    except InfraError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


def stop_daemon() -> None:
    """Stop the private dockerd and its containerd (images stay in the cache)."""
    _stop_pid(run_dir() / "docker.pid", "dockerd", "private dockerd")
    _stop_pid(run_dir() / "containerd.pid", "containerd", "private containerd")
    remove_bridge_forwarding()
