"""Failure diagnostics: pod descriptions, logs (previous containers too), events, manifests.

Built from Kubernetes API objects into ``kubectl describe``-like text; every API call
that fails is noted in the output instead of raising. Everything is redacted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fate_e2e.report.allure_io import attach_text, step
from fate_e2e.report.redact import redact

if TYPE_CHECKING:
    from kubernetes.client import CoreV1Api

log = logging.getLogger(__name__)

LOG_TAIL_LINES = 1000
LOG_LIMIT_BYTES = 1024 * 1024
API_TIMEOUT = 30
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Attachment:
    """One piece of evidence: a title for Allure, a relative file name, redacted text."""

    name: str
    filename: str
    text: str
    kind: str = "text/plain"


def api_error(exc: BaseException) -> str:
    """A one-line reason for a failed API call (the server's message when there is one)."""
    status = getattr(exc, "status", None)
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, (str, bytes)) and body:
        try:
            message = str(json.loads(body).get("message", ""))
        except (ValueError, AttributeError):
            message = body.decode(errors="replace") if isinstance(body, bytes) else body
    if not message:
        message = str(getattr(exc, "reason", "") or exc) or type(exc).__name__
    message = " ".join(message.split())
    return f"HTTP {status}: {message}" if status else f"{type(exc).__name__}: {message}"


def _guard(what: str, call: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run an API call; return (result, None) or (None, note about the failure)."""
    try:
        return call(), None
    except Exception as exc:  # diagnostics must never raise
        note = f"(could not read {what}: {api_error(exc)})"
        log.info("diagnostics: %s", note)
        return None, note


def _list(core: CoreV1Api, method: str, ns: str, what: str) -> tuple[list[Any], str | None]:
    """The items of ``core.<method>(ns)``, or ([], note) when the call fails."""
    result, note = _guard(f"{what} in {ns}",
                          lambda: getattr(core, method)(ns, _request_timeout=API_TIMEOUT))
    return list(getattr(result, "items", None) or []), note


def when(value: Any) -> dt.datetime | None:
    """An API timestamp as an aware datetime (naive ones are UTC)."""
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def fmt_time(value: Any) -> str:
    """ISO time with seconds, or '-'."""
    moment = when(value)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "-"


def _safe(part: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", part).strip("._")
    return cleaned or "_"


# --- pods -----------------------------------------------------------------------------------

def _containers(pod: Any) -> list[tuple[str, Any, Any]]:
    """(kind, spec, status) of the init and regular containers of ``pod``."""
    spec = pod.spec
    status = pod.status
    out: list[tuple[str, Any, Any]] = []
    for kind, specs, statuses in (
            ("init", getattr(spec, "init_containers", None),
             getattr(status, "init_container_statuses", None)),
            ("main", getattr(spec, "containers", None),
             getattr(status, "container_statuses", None))):
        by_name = {s.name: s for s in statuses or []}
        out.extend((kind, c, by_name.get(c.name)) for c in specs or [])
    return out


def pod_status(pod: Any) -> str:
    """The STATUS column of ``kubectl get pods`` (CrashLoopBackOff, Terminating, ...)."""
    if pod.metadata.deletion_timestamp is not None:
        return "Terminating"
    reason = getattr(pod.status, "reason", None) or pod.status.phase or "Unknown"
    for kind, _spec, cstatus in _containers(pod):
        state = getattr(cstatus, "state", None)
        if state is None:
            continue
        if state.waiting is not None and state.waiting.reason:
            if kind == "init":
                return f"Init:{state.waiting.reason}"
            reason = state.waiting.reason
        elif state.terminated is not None and state.terminated.reason and kind == "main":
            reason = state.terminated.reason
        elif state.terminated is not None and kind == "init" and state.terminated.exit_code:
            return f"Init:{state.terminated.reason or 'Error'}"
    return str(reason)


def _ready_count(pod: Any) -> str:
    statuses = getattr(pod.status, "container_statuses", None) or []
    total = len(getattr(pod.spec, "containers", None) or [])
    return f"{sum(1 for s in statuses if s.ready)}/{total}"


def _restarts(pod: Any) -> int:
    return sum(int(s.restart_count or 0) for _k, _c, s in _containers(pod) if s is not None)


def pods_table(pods: Sequence[Any]) -> str:
    """A ``kubectl get pods -o wide``-like table."""
    rows = [("NAME", "READY", "STATUS", "RESTARTS", "STARTED", "IP", "NODE")]
    for pod in pods:
        rows.append((pod.metadata.name, _ready_count(pod), pod_status(pod), str(_restarts(pod)),
                     fmt_time(pod.status.start_time), pod.status.pod_ip or "-",
                     pod.spec.node_name or "-"))
    return _table(rows)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows) + "\n"


def _state(state: Any) -> list[str]:
    if state is None:
        return ["-"]
    if state.running is not None:
        return [f"Running (started {fmt_time(state.running.started_at)})"]
    if state.waiting is not None:
        lines = [f"Waiting (reason {state.waiting.reason or '-'})"]
        if state.waiting.message:
            lines.append(f"  Message: {state.waiting.message}")
        return lines
    if state.terminated is not None:
        t = state.terminated
        lines = [f"Terminated (reason {t.reason or '-'}, exit code {t.exit_code}"
                 + (f", signal {t.signal}" if t.signal else "") + ")",
                 f"  Started: {fmt_time(t.started_at)}  Finished: {fmt_time(t.finished_at)}"]
        if t.message:
            lines.append(f"  Message: {t.message.strip()}")
        return lines
    return ["-"]


def _env_lines(spec: Any) -> list[str]:
    lines = []
    for var in getattr(spec, "env", None) or []:
        source = var.value_from
        if source is None:
            lines.append(f"{var.name}={var.value if var.value is not None else ''}")
        elif source.secret_key_ref is not None:
            ref = source.secret_key_ref
            lines.append(f"{var.name} <- secret {ref.name} key {ref.key}")
        elif source.config_map_key_ref is not None:
            ref = source.config_map_key_ref
            lines.append(f"{var.name} <- configmap {ref.name} key {ref.key}")
        elif source.field_ref is not None:
            lines.append(f"{var.name} <- field {source.field_ref.field_path}")
        else:
            lines.append(f"{var.name} <- (valueFrom)")
    for src in getattr(spec, "env_from", None) or []:
        ref = src.secret_ref or src.config_map_ref
        kind = "secret" if src.secret_ref is not None else "configmap"
        lines.append(f"(all keys of {kind} {getattr(ref, 'name', '?')})")
    return lines


def _resources(spec: Any) -> list[str]:
    res = getattr(spec, "resources", None)
    out = []
    for label in ("requests", "limits"):
        values = getattr(res, label, None) if res is not None else None
        if values:
            out.append(f"{label.capitalize()}: "
                       + ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    return out


def _container_block(kind: str, spec: Any, cstatus: Any) -> list[str]:
    lines = [f"  {spec.name}{' (init)' if kind == 'init' else ''}:",
             f"    Image:          {spec.image}"]
    if cstatus is not None:
        lines.append(f"    Image ID:       {cstatus.image_id or '-'}")
    if spec.command:
        lines.append(f"    Command:        {' '.join(spec.command)}")
    if spec.args:
        lines.append(f"    Args:           {' '.join(spec.args)}")
    ports = [f"{p.container_port}/{p.protocol or 'TCP'}" for p in spec.ports or []]
    if ports:
        lines.append(f"    Ports:          {', '.join(ports)}")
    if cstatus is None:
        lines.append("    State:          (no status reported yet)")
    else:
        state = _state(cstatus.state)
        lines.append(f"    State:          {state[0]}")
        lines.extend(f"                    {extra}" for extra in state[1:])
        if cstatus.last_state is not None and (cstatus.last_state.terminated is not None
                                               or cstatus.last_state.waiting is not None):
            last = _state(cstatus.last_state)
            lines.append(f"    Last State:     {last[0]}")
            lines.extend(f"                    {extra}" for extra in last[1:])
        lines.append(f"    Ready:          {cstatus.ready}")
        lines.append(f"    Restart Count:  {cstatus.restart_count or 0}")
    lines.extend(f"    {r}" for r in _resources(spec))
    for probe in ("liveness_probe", "readiness_probe", "startup_probe"):
        if getattr(spec, probe, None) is not None:
            lines.append(f"    {probe.replace('_', ' ').title()}: {_probe(getattr(spec, probe))}")
    env = _env_lines(spec)
    if env:
        lines.append("    Environment:")
        lines.extend(f"      {e}" for e in env)
    mounts = [f"{m.mount_path} from {m.name}{' (ro)' if m.read_only else ''}"
              for m in spec.volume_mounts or []]
    if mounts:
        lines.append("    Mounts:")
        lines.extend(f"      {m}" for m in mounts)
    return lines


def _probe(probe: Any) -> str:
    if probe.http_get is not None:
        what = f"http-get :{probe.http_get.port}{probe.http_get.path or '/'}"
    elif probe.tcp_socket is not None:
        what = f"tcp-socket :{probe.tcp_socket.port}"
    elif getattr(probe, "_exec", None) is not None:
        what = "exec " + " ".join(probe._exec.command or [])
    else:
        what = "?"
    return (f"{what} delay={probe.initial_delay_seconds or 0}s timeout={probe.timeout_seconds}s "
            f"period={probe.period_seconds}s failure={probe.failure_threshold}")


def describe_pod(pod: Any, events: Sequence[Any] = ()) -> str:
    """A ``kubectl describe pod``-like text built from the V1Pod (and its events)."""
    meta, spec, status = pod.metadata, pod.spec, pod.status
    lines = [f"Name:           {meta.name}",
             f"Namespace:      {meta.namespace}",
             f"Node:           {spec.node_name or '-'}"
             + (f"/{status.host_ip}" if status.host_ip else ""),
             f"Start Time:     {fmt_time(status.start_time)}",
             f"Status:         {pod_status(pod)} (phase {status.phase or '-'})"]
    if meta.deletion_timestamp is not None:
        lines.append(f"Deleting since: {fmt_time(meta.deletion_timestamp)}")
    if status.reason:
        lines.append(f"Reason:         {status.reason}")
    if status.message:
        lines.append(f"Message:        {status.message}")
    lines.append(f"IP:             {status.pod_ip or '-'}")
    if meta.labels:
        lines.append("Labels:         " + ", ".join(f"{k}={v}" for k, v in
                                                   sorted(meta.labels.items())))
    owners = [f"{o.kind}/{o.name}" for o in meta.owner_references or []]
    if owners:
        lines.append(f"Controlled By:  {', '.join(owners)}")
    lines.append("Conditions:")
    rows = [("  Type", "Status", "Since", "Reason", "Message")]
    rows += [(f"  {c.type}", str(c.status), fmt_time(c.last_transition_time), c.reason or "",
              (c.message or "").replace("\n", " ")) for c in status.conditions or []]
    lines.append(_table(rows).rstrip("\n") if len(rows) > 1 else "  (none reported)")
    containers = _containers(pod)
    lines.append("Containers:")
    for kind, cspec, cstatus in containers:
        lines.extend(_container_block(kind, cspec, cstatus))
    volumes = [f"  {v.name}: {_volume_kind(v)}" for v in spec.volumes or []]
    if volumes:
        lines.append("Volumes:")
        lines.extend(volumes)
    own = [e for e in events if _involves(e, "Pod", meta.name)]
    lines.append("Events:")
    lines.append(events_table(own) if own else "  (none)\n")
    return redact("\n".join(lines).rstrip("\n") + "\n")


def _volume_kind(volume: Any) -> str:
    for attr in ("persistent_volume_claim", "config_map", "secret", "empty_dir", "host_path",
                 "projected", "downward_api"):
        source = getattr(volume, attr, None)
        if source is not None:
            name = (getattr(source, "claim_name", None) or getattr(source, "name", None)
                    or getattr(source, "secret_name", None) or getattr(source, "path", None))
            return f"{attr.replace('_', ' ')}{f' {name}' if name else ''}"
    return "other"


# --- events ---------------------------------------------------------------------------------

def event_time(event: Any) -> dt.datetime:
    """When an event last happened (last, series, event time, first, created)."""
    series = getattr(event, "series", None)
    candidates = (getattr(event, "last_timestamp", None),
                  getattr(series, "last_observed_time", None) if series is not None else None,
                  getattr(event, "event_time", None), getattr(event, "first_timestamp", None),
                  getattr(event.metadata, "creation_timestamp", None))
    for value in candidates:
        moment = when(value)
        if moment is not None:
            return moment
    return _EPOCH


def _involves(event: Any, kind: str, name: str) -> bool:
    obj = event.involved_object
    return obj is not None and obj.kind == kind and obj.name == name


def sort_events(events: Iterable[Any]) -> list[Any]:
    """Events oldest first."""
    return sorted(events, key=event_time)


def events_table(events: Sequence[Any]) -> str:
    """Time, type, reason, object, count and message of each event (already sorted)."""
    rows = [("TIME", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE")]
    for e in events:
        obj = e.involved_object
        count = e.count or (e.series.count if getattr(e, "series", None) is not None else 1)
        rows.append((fmt_time(event_time(e)), e.type or "-", e.reason or "-",
                     f"{obj.kind}/{obj.name}" if obj is not None else "-", str(count or 1),
                     " ".join((e.message or "").split())))
    return _table(rows)


# --- collection -----------------------------------------------------------------------------

def _logs(core: CoreV1Api, ns: str, pod: Any, since_seconds: int | None) -> list[Attachment]:
    out: list[Attachment] = []
    name = pod.metadata.name
    for _kind, spec, cstatus in _containers(pod):
        restarted = cstatus is not None and (
            (cstatus.restart_count or 0) > 0
            or (cstatus.last_state is not None and cstatus.last_state.terminated is not None))
        for previous in (False, True) if restarted else (False,):
            label = "previous log" if previous else "log"
            kwargs: dict[str, Any] = {"container": spec.name, "previous": previous,
                                      "tail_lines": LOG_TAIL_LINES,
                                      "limit_bytes": LOG_LIMIT_BYTES, "timestamps": True,
                                      "_request_timeout": API_TIMEOUT}
            if since_seconds is not None and not previous:
                kwargs["since_seconds"] = since_seconds
            text, note = _guard(f"{label} of {name}/{spec.name}",
                                functools.partial(core.read_namespaced_pod_log, name, ns, **kwargs))
            body = note or (str(text) if text else "(empty log)")
            suffix = "-previous" if previous else ""
            out.append(Attachment(f"{ns}/{name}/{spec.name} {label}",
                                  f"{_safe(ns)}/{_safe(name)}/{_safe(spec.name)}{suffix}.log",
                                  redact(body)))
    return out


def _services(core: CoreV1Api, ns: str) -> str:
    lines = []
    services, note = _list(core, "list_namespaced_service", ns, "services")
    if note:
        lines.append(note)
    for svc in services:
        ports = ", ".join(f"{p.port}/{p.protocol or 'TCP'}" for p in svc.spec.ports or [])
        lines.append(f"service {svc.metadata.name}: {svc.spec.type} {svc.spec.cluster_ip} "
                     f"ports {ports or '-'}")
    endpoints, note = _list(core, "list_namespaced_endpoints", ns, "endpoints")
    if note:
        lines.append(note)
    for ep in endpoints:
        ready = sum(len(s.addresses or []) for s in ep.subsets or [])
        not_ready = sum(len(s.not_ready_addresses or []) for s in ep.subsets or [])
        lines.append(f"endpoints {ep.metadata.name}: {ready} ready, {not_ready} not ready")
    claims, note = _list(core, "list_namespaced_persistent_volume_claim", ns, "claims")
    if note:
        lines.append(note)
    for pvc in claims:
        lines.append(f"pvc {pvc.metadata.name}: {pvc.status.phase}")
    return "\n".join(lines) + "\n" if lines else "(no services, endpoints or claims)\n"


def collect_namespace(core: CoreV1Api, ns: str, *,
                      since_seconds: int | None = None) -> list[Attachment]:
    """Pods overview, per-pod descriptions and logs, services and events of one namespace."""
    out: list[Attachment] = []
    event_items, events_note = _list(core, "list_namespaced_event", ns, "events")
    events = sort_events(event_items)
    if since_seconds is not None:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=since_seconds)
        events = [e for e in events if event_time(e) >= cutoff]
    pod_items, pods_note = _list(core, "list_namespaced_pod", ns, "pods")
    pods = sorted(pod_items, key=lambda p: str(getattr(p.metadata, "name", "")))
    table, table_note = _guard(f"pods table of {ns}", functools.partial(pods_table, pods))
    overview = pods_note or table_note or (str(table) if pods else "(no pods)\n")
    out.append(Attachment(f"{ns} pods", f"{_safe(ns)}/pods.txt",
                          redact(overview + "\n" + _services(core, ns))))
    for pod in pods:
        name = str(getattr(pod.metadata, "name", "?"))
        text, note = _guard(f"description of {name}", functools.partial(describe_pod, pod, events))
        out.append(Attachment(f"{ns}/{name} describe", f"{_safe(ns)}/{_safe(name)}/describe.txt",
                              redact(note or str(text))))
        logs, note = _guard(f"logs of {name}", functools.partial(_logs, core, ns, pod,
                                                                 since_seconds))
        out.extend(logs or [Attachment(f"{ns}/{name} logs", f"{_safe(ns)}/{_safe(name)}/logs.txt",
                                       redact(note or "(no containers)"))])
    events_text = events_note or (events_table(events) if events else "(no events)\n")
    out.append(Attachment(f"{ns} events", f"{_safe(ns)}/events.txt", redact(events_text)))
    return out


def collect(core: CoreV1Api, namespaces: Sequence[str], *,
            rendered: Mapping[str, str] | None = None,
            since_seconds: int | None = None) -> list[Attachment]:
    """Everything worth attaching for ``namespaces``, plus the rendered manifests (redacted)."""
    out: list[Attachment] = []
    for ns in namespaces:
        try:
            out.extend(collect_namespace(core, ns, since_seconds=since_seconds))
        except Exception as exc:  # a bug here must not hide the failure being diagnosed
            out.append(Attachment(f"{ns} diagnostics error", f"{_safe(ns)}/error.txt",
                                  redact(f"collecting diagnostics of {ns} failed: "
                                         f"{type(exc).__name__}: {exc}")))
    for name, text in sorted((rendered or {}).items()):
        parts = [_safe(p) for p in name.split("/") if p not in ("", ".", "..")]
        kind = "application/yaml" if name.endswith((".yaml", ".yml")) else "text/plain"
        out.append(Attachment(f"manifest {name}", "/".join(["manifests", *parts]),
                              redact(text), kind))
    return out


def write_attachments(attachments: Sequence[Attachment], dest: Path,
                      reason: str | None = None) -> list[Path]:
    """Write each attachment under ``dest`` (plus an index); return the written paths."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for item in attachments:
        path = dest / item.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.text, encoding="utf-8")
        written.append(path)
    index = [f"collected: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}"]
    if reason:
        index.append(f"reason: {redact(reason)}")
    index += ["", *(f"{a.filename}\t{a.name}" for a in attachments)]
    (dest / "index.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    return written


def attach_diagnostics(core: CoreV1Api, namespaces: Sequence[str], *,
                       rendered: Mapping[str, str] | None = None,
                       since_seconds: int | None = None, dest: Path | None = None,
                       reason: str | None = None) -> list[Attachment]:
    """Collect diagnostics, attach them to the current Allure test and write them to ``dest``."""
    with step(f"diagnostics of {', '.join(namespaces)}"):
        attachments = collect(core, namespaces, rendered=rendered, since_seconds=since_seconds)
        if reason:
            attach_text("failure reason", reason)
        for item in attachments:
            attach_text(item.name, item.text, item.kind)
        if dest is not None:
            try:
                paths = write_attachments(attachments, dest, reason)
                log.info("diagnostics: %d files under %s", len(paths), dest)
            except OSError as exc:
                log.warning("diagnostics: could not write under %s: %s", dest, exc)
    return attachments
