"""The native installer: our own manifests, server-side applied, waited on with tenacity."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from fate_e2e.cluster.base import Cluster
from fate_e2e.errors import InfraError
from fate_e2e.install.base import PartyAddress
from fate_e2e.install.native.apply import Applier
from fate_e2e.install.native.credentials import load_or_generate
from fate_e2e.install.native.endpoints import live_addresses
from fate_e2e.install.native.images import images_for
from fate_e2e.install.native.names import LABEL_MANAGED, LABEL_VERSION, MANAGER, WORKLOADS
from fate_e2e.install.native.readiness import wait_party_ready, wait_routes
from fate_e2e.install.native.render import (
    PartyInputs,
    as_documents,
    base_objects,
    render_party,
)
from fate_e2e.kube import Kube
from fate_e2e.report.allure_io import attach_text
from fate_e2e.scenario.schema import PartySpec, Scenario


class NativeInstaller:
    """Installs each party into its namespace from manifests fate-e2e renders itself."""

    name = "native"

    def __init__(self, scenario: Scenario, kube: Kube, cluster: Cluster, run_dir: Path) -> None:
        self.scenario = scenario
        self.kube = kube
        self.cluster = cluster
        self.run_dir = run_dir
        self.applier = Applier(kube)
        self.run_label = run_dir.name[:63].strip("-.") or "run"
        # Live overrides of what the scenario says (scale, upgrade) per party.
        self.replicas: dict[tuple[int, str], int] = {}
        self.versions: dict[int, str] = {}
        self.route_overrides: dict[int, dict[int, dict[str, Any]]] = {}
        self.rendered: dict[int, list[dict[str, Any]]] = {}
        # Seconds from the start of the last deploy until each party was ready.
        self.ready_seconds: dict[int, float] = {}

    # ------------------------------------------------------------ inputs

    def version_of(self, party: PartySpec) -> str:
        return self.versions.get(party.id) or party.version or self.scenario.fate.version

    def images(self, parties: Sequence[PartySpec]) -> list[str]:
        refs: list[str] = []
        for party in parties:
            imgs = images_for(self.scenario, self.version_of(party))
            refs += [imgs.flow, imgs.mariadb, imgs.rabbitmq, imgs.nginx]
            if any(p.modules.zookeeper or p.modules.flow.replicas > 1 for p in parties):
                refs.append(imgs.zookeeper)
        return list(dict.fromkeys(refs))

    def _inputs(self, party: PartySpec, peers: dict[int, PartyAddress]) -> PartyInputs:
        creds = load_or_generate(self.kube, party.ns)
        peers = {pid: self._override(party.id, addr) for pid, addr in peers.items()}
        return PartyInputs(
            party=party, version=self.version_of(party), computing=self.scenario.fate.computing,
            images=images_for(self.scenario, self.version_of(party)), peers=peers,
            credentials=creds, run_label=self.run_label,
            replicas={m: n for (pid, m), n in self.replicas.items() if pid == party.id})

    def _override(self, party_id: int, addr: PartyAddress) -> PartyAddress:
        """Apply deliberate route breakage (negative tests) to a peer's address."""
        change = dict(self.route_overrides.get(party_id, {}).get(addr.party_id, {}))
        spec = self.scenario.party(party_id).route_overrides.get(addr.party_id)
        if spec is not None:
            change.update(spec.model_dump(by_alias=True, exclude_none=True))
        if not change:
            return addr
        return PartyAddress(addr.party_id, str(change.get("host", addr.host)),
                            int(change.get("nginxPort", addr.nginx_port)),
                            int(change.get("amqpPort", addr.amqp_port)))

    def _overridden(self, party_id: int, peer_id: int) -> bool:
        """Whether the route from ``party_id`` to ``peer_id`` is deliberately changed."""
        return bool(self.route_overrides.get(party_id, {}).get(peer_id)) or \
            peer_id in self.scenario.party(party_id).route_overrides

    def break_route(self, party_id: int, peer_id: int, **change: Any) -> None:
        """Make ``party_id``'s route to ``peer_id`` wrong (e.g. amqpPort=1) on next deploy."""
        self.route_overrides.setdefault(party_id, {})[peer_id] = change

    # ------------------------------------------------------------ protocol

    def render(self, party: PartySpec) -> dict[str, str]:
        objs = self.rendered.get(party.id)
        if objs is None:
            return {}
        return as_documents(objs)

    def live_addresses(self) -> dict[int, PartyAddress]:
        return live_addresses(self.kube, self.scenario.parties)

    def routes(self, party: PartySpec) -> dict[int, PartyAddress]:
        cm = self.kube.core.read_namespaced_config_map("flow-conf", party.ns)
        table = yaml.safe_load((cm.data or {}).get("rabbitmq_route_table.yaml", "")) or {}
        nginx = self.applier.get("v1", "ConfigMap", "nginx-conf", party.ns) or {}
        text = (nginx.get("data") or {}).get("nginx.conf", "")
        out: dict[int, PartyAddress] = {}
        for pid, entry in table.items():
            if int(pid) == party.id:
                continue
            port = _upstream_port(text, int(pid))
            out[int(pid)] = PartyAddress(int(pid), str(entry["host"]), port, int(entry["port"]))
        return out

    def deploy(self, parties: Sequence[PartySpec], *, timeout: float, wait: bool = True) -> None:
        started = time.monotonic()
        everyone = self.scenario.parties
        if not self.rendered:
            self._clear_leftovers(everyone, timeout)
        # Services of every party first: their NodePorts are the cross-party addresses.
        for party in everyone:
            self.applier.apply(base_objects(self._inputs(party, {})))
        peers = self.live_addresses()
        attach_text("cross-party addresses (from the live cluster)",
                    "\n".join(a.describe() for a in peers.values()))
        staged: dict[int, list[dict[str, Any]]] = {}
        for party in parties:
            objs = render_party(self._inputs(party, peers))
            self.rendered[party.id] = objs
            self._save(party, objs)
            first, staged[party.id] = split_backends(objs)
            self.applier.apply(first)
        if wait:
            # Databases and brokers first, so fate_flow does not crash-loop against them.
            for party in parties:
                backends = {name: n for name, n in self.desired_replicas(party).items()
                            if name in BACKENDS}
                wait_party_ready(self.kube, party, backends, timeout=self._left(started, timeout))
        for party in parties:
            self.applier.apply(staged[party.id])
        if not wait:
            return
        for party in parties:
            wait_party_ready(self.kube, party, self.desired_replicas(party),
                             timeout=self._left(started, timeout))
        # Ready pods are not yet a federation: wait until each party's nginx routes to
        # itself and to every installed peer.
        installed = sorted(self.rendered)
        for party in parties:
            if self.desired_replicas(party).get(WORKLOADS["flow"], 0) > 0:
                routes = [d for d in installed if not self._overridden(party.id, d)]
                wait_routes(self.kube, party, routes, timeout=self._left(started, timeout))
            self.ready_seconds[party.id] = round(time.monotonic() - started, 2)

    @staticmethod
    def _left(started: float, timeout: float) -> float:
        return max(60.0, timeout - (time.monotonic() - started))

    def desired_replicas(self, party: PartySpec) -> dict[str, int]:
        objs = self.rendered.get(party.id)
        if objs is None:  # not deployed by this run: what the cluster says
            live = [*self.kube.apps.list_namespaced_stateful_set(party.ns).items,
                    *self.kube.apps.list_namespaced_deployment(party.ns).items]
            return {str(w.metadata.name): int(w.spec.replicas or 0) for w in live}
        return {o["metadata"]["name"]: int(o["spec"]["replicas"]) for o in objs
                if o["kind"] in ("Deployment", "StatefulSet")}

    def scale(self, party: PartySpec, module: str, replicas: int, *, timeout: float,
              wait: bool = True) -> None:
        self.replicas[(party.id, module)] = replicas
        self.deploy([party], timeout=timeout, wait=wait)

    def upgrade(self, party: PartySpec, version: str, *, timeout: float,
                wait: bool = True) -> None:
        from fate_e2e.chaos.upgrading import check_upgrade

        check_upgrade(self.installed_version(party), version)
        self.versions[party.id] = version
        self.deploy([party], timeout=timeout, wait=wait)

    def installed_version(self, party: PartySpec) -> str | None:
        live = self.applier.get("apps/v1", "StatefulSet", WORKLOADS["flow"], party.ns)
        if live is None:
            return None
        return str(live["metadata"].get("labels", {}).get(LABEL_VERSION)) or None

    def uninstall(self, parties: Sequence[PartySpec], *, timeout: float) -> None:
        self.applier.delete_namespaces([p.ns for p in parties], timeout=timeout)

    # ------------------------------------------------------------ helpers

    def _clear_leftovers(self, parties: Sequence[PartySpec], timeout: float) -> None:
        """Start clean: remove party namespaces an earlier run left; refuse foreign ones."""
        stale = []
        for party in parties:
            ns = self.applier.get("v1", "Namespace", party.ns)
            if ns is None:
                continue
            labels = ns["metadata"].get("labels") or {}
            if labels.get(LABEL_MANAGED) != MANAGER:
                raise InfraError(f"namespace {party.ns} exists and was not created by fate-e2e; "
                                 f"pick another namespace for party {party.id}")
            if labels.get("fate-e2e/run") != self.run_label:
                attach_text(f"removed leftover namespace {party.ns}",
                            f"left by run {labels.get('fate-e2e/run')}")
                stale.append(party.ns)
        self.applier.delete_namespaces(stale, timeout=timeout)

    def _save(self, party: PartySpec, objs: list[dict[str, Any]]) -> None:
        """Keep the rendered (redacted) manifests in the run dir for capture/diagnostics."""
        out = self.run_dir / "manifests" / party.ns
        out.mkdir(parents=True, exist_ok=True)
        for name, text in as_documents(objs).items():
            (out / name).write_text(text)


BACKENDS = (WORKLOADS["mariadb"], WORKLOADS["rabbitmq"], WORKLOADS["zookeeper"])


def split_backends(objs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(everything but the FATE workloads, the FATE workloads: flow, nginx, Spark)."""
    later = [o for o in objs if o["kind"] in ("Deployment", "StatefulSet")
             and o["metadata"]["name"] not in BACKENDS]
    return [o for o in objs if o not in later], later


def _upstream_port(nginx_conf: str, party_id: int) -> int:
    import re

    match = re.search(rf"upstream party_{party_id} {{ server [^:]+:(\d+);", nginx_conf)
    return int(match.group(1)) if match else 0
