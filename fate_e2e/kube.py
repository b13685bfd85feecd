"""Thin helpers over the kubernetes client: clients per cluster, pod exec, pod queries."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

from fate_e2e.cluster.base import Cluster
from fate_e2e.errors import InfraError
from fate_e2e.timing import cluster_time

_EXEC_LOCK = threading.Lock()


@dataclass(frozen=True)
class ExecResult:
    """What a command run inside a pod returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Kube:
    """API clients bound to one cluster's kubeconfig (never the default one)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    @cached_property
    def api(self) -> client.ApiClient:
        return config.new_client_from_config(config_file=str(self.cluster.kubeconfig),
                                             context=self.cluster.context)

    @cached_property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @cached_property
    def _exec_core(self) -> client.CoreV1Api:
        # stream() swaps its ApiClient's request path to websockets while it runs: a
        # client of its own keeps other threads' plain API calls off that path.
        return client.CoreV1Api(config.new_client_from_config(
            config_file=str(self.cluster.kubeconfig), context=self.cluster.context))

    @cached_property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @cached_property
    def version(self) -> str:
        """The API server's gitVersion (e.g. v1.34.4)."""
        info = client.VersionApi(self.api).get_code()
        return str(info.git_version)

    def pods(self, namespace: str, selector: str | None = None) -> list[client.V1Pod]:
        """Pods in ``namespace`` matching a label selector."""
        items: list[client.V1Pod] = self.core.list_namespaced_pod(
            namespace, label_selector=selector or "").items
        return items

    def exec(self, namespace: str, pod: str, command: list[str], *,
             container: str | None = None, timeout: float = 300.0) -> ExecResult:
        """Run ``command`` in a pod; return exit code, stdout and stderr."""
        kwargs: dict[str, Any] = {"command": command, "stderr": True, "stdin": False,
                                  "stdout": True, "tty": False, "_preload_content": False}
        if container:
            kwargs["container"] = container
        with cluster_time("exec"):
            return self._exec(namespace, pod, kwargs, command, timeout)

    def _exec(self, namespace: str, pod: str, kwargs: dict[str, Any], command: list[str],
              timeout: float) -> ExecResult:
        try:
            # Serialise websocket set-up on the exec client (see _exec_core).
            with _EXEC_LOCK:
                resp = stream(self._exec_core.connect_get_namespaced_pod_exec, pod,
                              namespace, **kwargs)
            resp.run_forever(timeout=timeout)
            out = resp.read_stdout() or ""
            err = resp.read_stderr() or ""
            if resp.is_open():
                resp.close()
                raise InfraError(f"command in {namespace}/{pod} did not finish within "
                                 f"{timeout:.0f}s: {' '.join(command)}")
            status = resp.read_channel(3)
            return ExecResult(_exit_code(status), out, err)
        except ApiException as exc:
            raise InfraError(f"exec in {namespace}/{pod} failed: {exc.reason}") from exc


def _exit_code(status: str) -> int:
    """Decode the exec status channel (a v1.Status JSON) into an exit code."""
    if not status:
        return 0
    data = json.loads(status)
    if data.get("status") == "Success":
        return 0
    for cause in data.get("details", {}).get("causes", []):
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message", 1))
    return 1
