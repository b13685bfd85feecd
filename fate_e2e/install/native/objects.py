"""Builders of plain Kubernetes objects (dicts) used by the native installer."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fate_e2e.install.native.names import (
    ANNOTATION_CONFIG,
    CREDENTIALS_SECRET,
    LABEL_MODULE,
    LABEL_VERSION,
    WORKLOADS,
    labels,
    selector,
)
from fate_e2e.scenario.schema import ModuleSpec, PartySpec

Obj = dict[str, Any]
FATE_MODULES = ("flow", "sparkMaster", "sparkWorker")


def digest(*parts: object) -> str:
    """A short digest of config contents; put on pod templates so changes roll pods."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def meta(party: PartySpec, name: str, module: str | None = None) -> Obj:
    return {"name": name, "namespace": party.ns, "labels": labels(party, module)}


def namespace(party: PartySpec, run_label: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": party.ns,
                         "labels": {**labels(party), "fate-e2e/run": run_label}}}


def secret(party: PartySpec, data: dict[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta(party, CREDENTIALS_SECRET), "stringData": data}


def config_map(party: PartySpec, name: str, data: dict[str, str],
               module: str | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(party, name, module),
            "data": data}


def service(party: PartySpec, name: str, module: str, ports: dict[str, int], *,
            node_port: bool = False, headless: bool = False) -> Obj:
    spec: Obj = {"selector": selector(party, module),
                 "ports": [{"name": n, "port": p, "targetPort": p, "protocol": "TCP"}
                           for n, p in ports.items()]}
    if node_port:
        spec["type"] = "NodePort"
    if headless:
        spec["clusterIP"] = "None"
        spec["publishNotReadyAddresses"] = True
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(party, name, module),
            "spec": spec}


def pvc(party: PartySpec, name: str, module: str, size: str = "1Gi") -> Obj:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": meta(party, name, module),
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": size}}}}


def secret_env(**env_to_key: str) -> list[Obj]:
    """Environment variables (name=Secret key) taken from the party's credentials Secret."""
    return [{"name": name, "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET,
                                                          "key": key}}}
            for name, key in env_to_key.items()]


def field_env(name: str, path: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def exec_probe(script: str, *, period: int = 10, timeout: int = 10, failures: int = 3,
               delay: int = 5) -> Obj:
    return {"exec": {"command": ["sh", "-c", script]}, "periodSeconds": period,
            "timeoutSeconds": timeout, "failureThreshold": failures,
            "initialDelaySeconds": delay}


def http_probe(path: str, port: int, *, period: int = 10, failures: int = 3,
               delay: int = 5) -> Obj:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period,
            "timeoutSeconds": 10, "failureThreshold": failures, "initialDelaySeconds": delay}


def container(module: str, image: str, spec: ModuleSpec, *, args: list[str] | None = None,
              ports: dict[str, int], env: list[Obj] | None = None,
              mounts: list[Obj] | None = None, readiness: Obj | None = None,
              startup: Obj | None = None, liveness: Obj | None = None) -> Obj:
    # The image's ENTRYPOINT (tini) stays; ``args`` replaces its CMD when given.
    out: Obj = {"name": WORKLOADS[module], "image": image, "imagePullPolicy": "IfNotPresent",
                "ports": [{"name": n, "containerPort": p} for n, p in ports.items()],
                "env": env or [], "volumeMounts": mounts or []}
    if args:
        out["args"] = args
    resources = spec.resources.model_dump(exclude_defaults=True)
    if resources:
        out["resources"] = resources
    for key, value in (("readinessProbe", readiness), ("startupProbe", startup),
                       ("livenessProbe", liveness)):
        if value:
            out[key] = value
    return out


def workload(party: PartySpec, module: str, kind: str, replicas: int, *, version: str,
             containers: list[Obj], volumes: list[Obj], config_digest: str,
             service_name: str | None = None, grace: int = 30) -> Obj:
    """A Deployment or StatefulSet running one module of a party."""
    pod_labels = {**labels(party, module), LABEL_MODULE: WORKLOADS[module]}
    if module in FATE_MODULES:
        # Only FATE's own pods carry the version: an upgrade must not restart the
        # databases and brokers, whose images do not change with FATE.
        pod_labels[LABEL_VERSION] = version
    spec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": selector(party, module)},
        "template": {
            "metadata": {"labels": pod_labels,
                         "annotations": {ANNOTATION_CONFIG: config_digest}},
            "spec": {"containers": containers, "volumes": volumes,
                     "terminationGracePeriodSeconds": grace,
                     "enableServiceLinks": False},
        },
    }
    if kind == "StatefulSet":
        spec["serviceName"] = service_name or WORKLOADS[module]
        spec["podManagementPolicy"] = "Parallel"
    else:
        spec["strategy"] = {"type": "Recreate"}
    obj_meta = meta(party, WORKLOADS[module], module)
    obj_meta["labels"][LABEL_VERSION] = version
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": obj_meta, "spec": spec}
