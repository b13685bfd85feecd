"""Per-party credentials: generated once, kept in a Secret, never logged."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, fields
from typing import Any

from kubernetes.client.rest import ApiException

from fate_e2e.install.native.names import CREDENTIALS_SECRET
from fate_e2e.kube import Kube
from fate_e2e.report.redact import register_secret


@dataclass(frozen=True)
class Credentials:
    """Passwords of one party's MariaDB and RabbitMQ (user names are fixed: fate)."""

    mysql_password: str
    rabbitmq_password: str

    @classmethod
    def generate(cls) -> Credentials:
        return cls(*(secrets.token_urlsafe(18) for _ in fields(cls)))

    def env_names(self) -> dict[str, str]:
        """Secret key -> value, keys as the containers' environment names."""
        return {f.name.upper(): getattr(self, f.name) for f in fields(self)}

    def register(self) -> Credentials:
        """Make sure reports and logs redact these values."""
        for f in fields(self):
            register_secret(getattr(self, f.name))
        return self


def load_or_generate(kube: Kube | None, namespace: str) -> Credentials:
    """The party's existing credentials (so converges keep passwords), else new ones."""
    if kube is not None:
        try:
            secret = kube.core.read_namespaced_secret(CREDENTIALS_SECRET, namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
        else:
            data: dict[str, Any] = secret.data or {}
            values = {f.name: base64.b64decode(data.get(f.name.upper(), "")).decode()
                      for f in fields(Credentials)}
            if all(values.values()):
                return Credentials(**values).register()
    return Credentials.generate().register()
