"""Diagnostics built from fake Kubernetes API objects: descriptions, logs, events, manifests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import (
    CoreV1Event,
    CoreV1EventList,
    V1Container,
    V1ContainerPort,
    V1ContainerState,
    V1ContainerStateRunning,
    V1ContainerStateTerminated,
    V1ContainerStateWaiting,
    V1ContainerStatus,
    V1EnvVar,
    V1EnvVarSource,
    V1ObjectMeta,
    V1ObjectReference,
    V1Pod,
    V1PodCondition,
    V1PodList,
    V1PodSpec,
    V1PodStatus,
    V1Probe,
    V1ResourceRequirements,
    V1SecretKeySelector,
    V1TCPSocketAction,
)
from kubernetes.client.rest import ApiException

from fate_e2e.report.diagnostics import (
    Attachment,
    api_error,
    attach_diagnostics,
    collect,
    describe_pod,
    events_table,
    pod_status,
    pods_table,
    sort_events,
)
from fate_e2e.report.redact import MASK, clear_secrets, register_secret

T0 = dt.datetime(2026, 11, 28, 15, 0, 0, tzinfo=dt.UTC)


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def flow_pod() -> V1Pod:
    """A fate-flow pod whose main container crash-loops after an OOM kill."""
    env = [V1EnvVar(name="PARTY_ID", value="9999"),
           V1EnvVar(name="MYSQL_PASSWORD", value="Lr8vNq3Tz1"),
           V1EnvVar(name="RABBITMQ_PASSWORD", value_from=V1EnvVarSource(
               secret_key_ref=V1SecretKeySelector(name="fate-credentials", key="rabbitmq")))]
    spec = V1PodSpec(node_name="fate-worker", containers=[
        V1Container(name="fateflow", image="fate-e2e/fateflow:2.2.0", env=env,
                    ports=[V1ContainerPort(container_port=9380)],
                    resources=V1ResourceRequirements(limits={"memory": "1Gi"}),
                    readiness_probe=V1Probe(tcp_socket=V1TCPSocketAction(port=9380),
                                            period_seconds=5, timeout_seconds=1,
                                            failure_threshold=3)),
        V1Container(name="client", image="fate-e2e/client:2.2.0")],
        init_containers=[V1Container(name="wait-mysql", image="fate-e2e/tools:1")])
    status = V1PodStatus(
        phase="Running", pod_ip="10.244.1.7", host_ip="172.18.0.3", start_time=at(0),
        conditions=[V1PodCondition(type="Ready", status="False", reason="ContainersNotReady",
                                   last_transition_time=at(30))],
        init_container_statuses=[V1ContainerStatus(
            name="wait-mysql", image="fate-e2e/tools:1", image_id="sha256:aa", ready=True,
            restart_count=0, state=V1ContainerState(terminated=V1ContainerStateTerminated(
                exit_code=0, reason="Completed", started_at=at(1), finished_at=at(5))))],
        container_statuses=[
            V1ContainerStatus(
                name="fateflow", image="fate-e2e/fateflow:2.2.0", image_id="sha256:bb",
                ready=False, restart_count=3,
                state=V1ContainerState(waiting=V1ContainerStateWaiting(
                    reason="CrashLoopBackOff", message="back-off 40s restarting")),
                last_state=V1ContainerState(terminated=V1ContainerStateTerminated(
                    exit_code=137, reason="OOMKilled", started_at=at(60), finished_at=at(90)))),
            V1ContainerStatus(
                name="client", image="fate-e2e/client:2.2.0", image_id="sha256:cc",
                ready=True, restart_count=0,
                state=V1ContainerState(running=V1ContainerStateRunning(started_at=at(6))))])
    return V1Pod(metadata=V1ObjectMeta(name="fateflow-0", namespace="fate-9999",
                                       labels={"app": "fateflow"}), spec=spec, status=status)


def pending_pod() -> V1Pod:
    return V1Pod(metadata=V1ObjectMeta(name="mysql-0", namespace="fate-9999"),
                 spec=V1PodSpec(containers=[V1Container(name="mysql", image="mariadb:10")]),
                 status=V1PodStatus(phase="Pending", conditions=[V1PodCondition(
                     type="PodScheduled", status="False", reason="Unschedulable",
                     message="0/2 nodes are available: insufficient memory")]))


def event(name: str, reason: str, when: dt.datetime | None, message: str,
          kind: str = "Pod", type_: str = "Warning", created: dt.datetime | None = None,
          count: int | None = 1) -> CoreV1Event:
    return CoreV1Event(metadata=V1ObjectMeta(name=f"{name}.{reason}",
                                             creation_timestamp=created or T0),
                       involved_object=V1ObjectReference(kind=kind, name=name),
                       reason=reason, message=message, type=type_, last_timestamp=when,
                       count=count)


EVENTS = [
    event("fateflow-0", "BackOff", at(120), "Back-off restarting failed container", count=7),
    event("fateflow-0", "Pulled", at(10), "Container image already present", type_="Normal"),
    event("mysql-0", "FailedScheduling", None, "0/2 nodes are available",
          created=at(2)),
    event("fate-9999", "Other", at(50), "namespace event", kind="Namespace", type_="Normal"),
]


class FakeCore:
    """The few CoreV1Api calls diagnostics makes, answered from fixed objects."""

    def __init__(self, pods: list[V1Pod], events: list[CoreV1Event],
                 fail: dict[str, Exception] | None = None) -> None:
        self.pods = pods
        self.events = events
        self.fail = fail or {}
        self.log_calls: list[dict[str, Any]] = []

    def _maybe_fail(self, what: str) -> None:
        if what in self.fail:
            raise self.fail[what]

    def list_namespaced_pod(self, ns: str, **kw: Any) -> V1PodList:
        self._maybe_fail("pods")
        return V1PodList(items=[p for p in self.pods if p.metadata.namespace == ns])

    def list_namespaced_event(self, ns: str, **kw: Any) -> CoreV1EventList:
        self._maybe_fail("events")
        return CoreV1EventList(items=list(self.events))

    def list_namespaced_service(self, ns: str, **kw: Any) -> Any:
        raise ApiException(status=403, reason="Forbidden")

    def list_namespaced_endpoints(self, ns: str, **kw: Any) -> Any:
        return V1PodList(items=[])

    def list_namespaced_persistent_volume_claim(self, ns: str, **kw: Any) -> Any:
        return V1PodList(items=[])

    def read_namespaced_pod_log(self, name: str, ns: str, **kw: Any) -> str:
        self.log_calls.append({"name": name, **kw})
        if kw["container"] == "mysql":
            exc = ApiException(status=400, reason="Bad Request")
            exc.body = json.dumps({"message": 'container "mysql" is waiting to start'})
            raise exc
        which = "previous" if kw.get("previous") else "current"
        return f"{which} log of {name}/{kw['container']}\nMYSQL_PASSWORD=Lr8vNq3Tz1\n"


def test_pod_status_like_kubectl() -> None:
    assert pod_status(flow_pod()) == "CrashLoopBackOff"
    assert pod_status(pending_pod()) == "Pending"
    deleting = flow_pod()
    deleting.metadata.deletion_timestamp = at(200)
    assert pod_status(deleting) == "Terminating"
    init_wait = pending_pod()
    init_wait.spec.init_containers = [V1Container(name="init", image="x")]
    init_wait.status.init_container_statuses = [V1ContainerStatus(
        name="init", image="x", image_id="", ready=False, restart_count=0,
        state=V1ContainerState(waiting=V1ContainerStateWaiting(reason="ErrImagePull")))]
    assert pod_status(init_wait) == "Init:ErrImagePull"


def test_pods_table() -> None:
    table = pods_table([flow_pod(), pending_pod()])
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "STARTED", "IP", "NODE"]
    assert lines[1].split() == ["fateflow-0", "1/2", "CrashLoopBackOff", "3",
                                "2026-11-28T15:00:00Z", "10.244.1.7", "fate-worker"]
    assert lines[2].split()[:4] == ["mysql-0", "0/1", "Pending", "0"]


def test_describe_pod_reads_like_kubectl_describe() -> None:
    text = describe_pod(flow_pod(), sort_events(EVENTS))
    for expected in [
        "Name:           fateflow-0", "Namespace:      fate-9999",
        "Node:           fate-worker/172.18.0.3", "Status:         CrashLoopBackOff",
        "Labels:         app=fateflow", "Ready  False   2026-11-28T15:00:30Z  ContainersNotReady",
        "wait-mysql (init):", "Terminated (reason Completed, exit code 0)",
        "Waiting (reason CrashLoopBackOff)", "Message: back-off 40s restarting",
        "Last State:     Terminated (reason OOMKilled, exit code 137)",
        "Restart Count:  3", "Image ID:       sha256:bb", "Limits: memory=1Gi",
        "Readiness Probe: tcp-socket :9380", "Ports:          9380/TCP",
        "PARTY_ID=9999", f"MYSQL_PASSWORD={MASK}",
        "RABBITMQ_PASSWORD <- secret fate-credentials key rabbitmq",
        "Running (started 2026-11-28T15:00:06Z)", "BackOff", "Pulled",
    ]:
        assert expected in text, expected
    assert "FailedScheduling" not in text  # another pod's event


def test_describe_pending_pod_shows_scheduling_reason() -> None:
    text = describe_pod(pending_pod())
    assert "Unschedulable" in text and "insufficient memory" in text
    assert "(no status reported yet)" in text
    assert "Events:\n  (none)" in text


def test_events_sorted_by_time_with_fallbacks() -> None:
    ordered = sort_events(EVENTS)
    assert [e.reason for e in ordered] == ["FailedScheduling", "Pulled", "Other", "BackOff"]
    table = events_table(ordered)
    lines = table.splitlines()
    assert lines[0].split() == ["TIME", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"]
    assert "2026-11-28T15:02:00Z  Warning  BackOff" in lines[4]
    assert "Pod/fateflow-0" in lines[4] and " 7 " in lines[4]


def test_api_error_prefers_server_message() -> None:
    exc = ApiException(status=404, reason="Not Found")
    exc.body = json.dumps({"message": 'pods "x" not found'})
    assert api_error(exc) == 'HTTP 404: pods "x" not found'
    assert api_error(ApiException(status=500, reason="Internal")) == "HTTP 500: Internal"
    assert api_error(TimeoutError("read timed out")) == "TimeoutError: read timed out"


def by_name(items: list[Attachment]) -> dict[str, Attachment]:
    return {a.name: a for a in items}


def test_collect_gathers_logs_previous_logs_events_and_manifests() -> None:
    core = FakeCore([flow_pod(), pending_pod()], EVENTS)
    rendered = {"fate-9999/fateflow.yaml": "kind: Secret\ndata:\n  pw: THI4dk5xM1R6MQ==\n",
                "fate-9999/../evil.yaml": "a: 1\n"}
    items = collect(core, ["fate-9999"], rendered=rendered, since_seconds=None)
    named = by_name(items)
    assert set(named) == {
        "fate-9999 pods", "fate-9999/fateflow-0 describe", "fate-9999/mysql-0 describe",
        "fate-9999/fateflow-0/wait-mysql log", "fate-9999/fateflow-0/fateflow log",
        "fate-9999/fateflow-0/fateflow previous log", "fate-9999/fateflow-0/client log",
        "fate-9999/mysql-0/mysql log", "fate-9999 events",
        "manifest fate-9999/fateflow.yaml", "manifest fate-9999/../evil.yaml"}
    previous = [c for c in core.log_calls if c["previous"]]
    assert [(c["name"], c["container"]) for c in previous] == [("fateflow-0", "fateflow")]
    assert all(c["tail_lines"] and c["limit_bytes"] for c in core.log_calls)
    assert "previous log of fateflow-0/fateflow" in \
        named["fate-9999/fateflow-0/fateflow previous log"].text
    waiting = named["fate-9999/mysql-0/mysql log"].text
    assert waiting.startswith("(could not read log of mysql-0/mysql: HTTP 400: container")
    assert "could not read services in fate-9999: HTTP 403: Forbidden" in \
        named["fate-9999 pods"].text
    events = named["fate-9999 events"].text.splitlines()
    assert [line.split()[2] for line in events[1:]] == ["FailedScheduling", "Pulled", "Other",
                                                        "BackOff"]
    manifest = named["manifest fate-9999/fateflow.yaml"]
    assert manifest.kind == "application/yaml" and f"pw: {MASK}" in manifest.text
    assert named["manifest fate-9999/../evil.yaml"].filename == "manifests/fate-9999/evil.yaml"
    assert all(".." not in a.filename.split("/") for a in items)
    for item in items:
        assert "Lr8vNq3Tz1" not in item.text, item.name


def test_collect_notes_failing_calls_instead_of_raising() -> None:
    core = FakeCore([], [], fail={"pods": ApiException(status=401, reason="Unauthorized"),
                                  "events": ConnectionError("connection refused")})
    named = by_name(collect(core, ["fate-10000"]))
    assert named["fate-10000 pods"].text.startswith(
        "(could not read pods in fate-10000: HTTP 401: Unauthorized)")
    assert "could not read events in fate-10000: ConnectionError: connection refused" in \
        named["fate-10000 events"].text


def test_collect_survives_a_broken_api_object() -> None:
    broken = flow_pod()
    broken.spec = None  # describe and logs cannot work on this one
    named = by_name(collect(FakeCore([broken], EVENTS), ["fate-9999"]))
    assert named["fate-9999 pods"].text.startswith("(could not read pods table of fate-9999")
    assert named["fate-9999/fateflow-0 describe"].text.startswith(
        "(could not read description of fateflow-0: AttributeError")
    assert named["fate-9999/fateflow-0 logs"].text == "(no containers)"
    assert "BackOff" in named["fate-9999 events"].text  # the rest is still collected


def test_since_seconds_filters_events_and_reaches_log_calls() -> None:
    recent = event("fateflow-0", "Recent", dt.datetime.now(dt.UTC), "just now")
    core = FakeCore([flow_pod()], [*EVENTS, recent])
    named = by_name(collect(core, ["fate-9999"], since_seconds=600))
    events_text = named["fate-9999 events"].text
    assert "Recent" in events_text and "BackOff" not in events_text
    current = [c for c in core.log_calls if not c["previous"]]
    assert current and all(c["since_seconds"] == 600 for c in current)


def test_attach_diagnostics_writes_files_and_index(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    register_secret("Lr8vNq3Tz1")
    try:
        items = attach_diagnostics(FakeCore([flow_pod()], EVENTS), ["fate-9999"],
                                   rendered={"fate-9999/flow.yaml": "kind: ConfigMap\n"},
                                   dest=tmp_path / "diag",
                                   reason="[product] toy failed (pw Lr8vNq3Tz1)")
    finally:
        clear_secrets()
    written = sorted(p.relative_to(tmp_path / "diag").as_posix()
                     for p in (tmp_path / "diag").rglob("*") if p.is_file())
    assert "index.txt" in written
    assert "fate-9999/fateflow-0/fateflow-previous.log" in written
    assert "fate-9999/fateflow-0/describe.txt" in written
    assert "fate-9999/events.txt" in written and "manifests/fate-9999/flow.yaml" in written
    assert len(written) == len(items) + 1
    index = (tmp_path / "diag" / "index.txt").read_text()
    assert "reason: [product] toy failed" in index and "Lr8vNq3Tz1" not in index
    for path in (tmp_path / "diag").rglob("*"):
        if path.is_file():
            assert "Lr8vNq3Tz1" not in path.read_text()
