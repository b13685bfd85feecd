"""In-pod checks through testinfra's kubectl backend."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from typing import Any

from fate_e2e.errors import InfraError
from fate_e2e.install.native.names import module_pod
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PartySpec


def _kubectl_dir() -> str:
    """Directory holding a kubectl binary: the lab's when built, else PATH's."""
    try:
        from fate_e2e.lab import find_lab

        lab = find_lab()
    except ImportError:
        lab = None
    if lab is not None:
        return str(lab.kubectl.parent)
    found = shutil.which("kubectl")
    if not found:
        raise InfraError("kubectl not found (build the lab or install kubectl)")
    return os.path.dirname(found)


def pod_host(ctx: RunContext, party: PartySpec, module: str) -> Any:
    """A testinfra host for a module's first ready pod."""
    import testinfra

    pod = module_pod(ctx.kube, party, module)
    uri = (f"kubectl://{pod}?container={module}&namespace={party.ns}"
           f"&kubeconfig={ctx.cluster.kubeconfig}")
    if ctx.cluster.context:
        uri += f"&context={ctx.cluster.context}"
    return testinfra.get_host(uri)


def listening_sockets(ctx: RunContext, party: PartySpec,
                      expected: Mapping[str, Sequence[int]]) -> list[str]:
    """Problems found: each module's pod must listen on each expected TCP port."""
    path = os.environ.get("PATH", "")
    kubectl_dir = _kubectl_dir()
    os.environ["PATH"] = f"{kubectl_dir}{os.pathsep}{path}"
    problems: list[str] = []
    try:
        for module, ports in expected.items():
            listening = listening_ports(pod_host(ctx, party, module))
            for port in ports:
                if port not in listening:
                    problems.append(f"party {party.id} {module} is not listening on tcp {port}")
    finally:
        os.environ["PATH"] = path
    return problems


def listening_ports(host: Any) -> set[int]:
    """TCP ports in LISTEN state: via ss/netstat when the image has them, else /proc/net."""
    try:
        sockets = host.socket.get_listening_sockets()
    except RuntimeError:  # neither ss nor netstat in the image
        return proc_listening_ports("\n".join(
            host.file(path).content_string for path in ("/proc/net/tcp", "/proc/net/tcp6")
            if host.file(path).exists))
    return {int(s.rsplit(":", 1)[1]) for s in sockets if s.startswith("tcp://")}


def proc_listening_ports(table: str) -> set[int]:
    """Ports of /proc/net/tcp{,6} rows in state 0A (LISTEN)."""
    ports = set()
    for line in table.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
