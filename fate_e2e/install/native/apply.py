"""Server-side apply of rendered objects (idempotent) and namespace removal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubernetes import dynamic
from kubernetes.client.rest import ApiException

from fate_e2e.errors import InfraError
from fate_e2e.install.native.names import MANAGER
from fate_e2e.kube import Kube
from fate_e2e.waits import NotYet, wait_until


class Applier:
    """Applies objects with server-side apply under the fate-e2e field manager."""

    def __init__(self, kube: Kube) -> None:
        self.client = dynamic.DynamicClient(kube.api)
        self.kube = kube

    def _resource(self, obj: dict[str, Any]) -> Any:
        return self.client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])

    def apply(self, objects: Iterable[dict[str, Any]]) -> None:
        """Create or converge every object (forcing ownership of conflicting fields)."""
        for obj in objects:
            meta = obj["metadata"]
            try:
                self._resource(obj).server_side_apply(
                    body=obj, name=meta["name"], namespace=meta.get("namespace"),
                    field_manager=MANAGER, force_conflicts=True)
            except ApiException as exc:
                where = f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']}"
                raise InfraError(f"applying {where} failed: {exc.status} {exc.reason}: "
                                 f"{_message(exc)}") from None

    def get(self, api_version: str, kind: str, name: str,
            namespace: str | None = None) -> dict[str, Any] | None:
        """The live object as a dict, or None when it does not exist."""
        resource = self.client.resources.get(api_version=api_version, kind=kind)
        try:
            live = resource.get(name=name, namespace=namespace)
        except dynamic.exceptions.NotFoundError:
            return None
        result: dict[str, Any] = live.to_dict()
        return result

    def delete_namespaces(self, namespaces: list[str], *, timeout: float) -> None:
        """Delete namespaces (all at once) and wait until every one is gone."""
        for namespace in namespaces:
            try:
                self.kube.core.delete_namespace(namespace)
            except ApiException as exc:
                if exc.status != 404:
                    raise InfraError(f"deleting namespace {namespace} failed: "
                                     f"{exc.reason}") from None

        def _gone() -> None:
            left = []
            for namespace in namespaces:
                try:
                    ns = self.kube.core.read_namespace(namespace)
                except ApiException as exc:
                    if exc.status == 404:
                        continue
                    raise
                left.append(f"{namespace} is {ns.status.phase}")
            if left:
                raise NotYet(", ".join(left))

        if namespaces:
            wait_until(f"namespace(s) {', '.join(namespaces)} to be deleted", _gone,
                       timeout=timeout)


def _message(exc: ApiException) -> str:
    import json

    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        return str(exc.body)[:300]
    return str(body.get("message", ""))[:500]
