"""Deployments for tests written in Python (the fate_deployment fixture)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fate_e2e.run.context import RunContext
from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import ClusterPool, PooledCluster
from fate_e2e.run.prepare import make_installer, prepare_tooling
from fate_e2e.run.scenario_run import new_run_dir
from fate_e2e.scenario.schema import Scenario


def scenario_for(name: str, cluster: str, parties: Sequence[int], version: str,
                 party_fields: Mapping[int, Mapping[str, Any]]) -> Scenario:
    """A one-step (deploy) scenario describing the requested parties."""
    docs = [{"id": pid, **party_fields.get(pid, {})} for pid in parties]
    return Scenario.model_validate({
        "apiVersion": "fate-e2e/v1", "kind": "Scenario", "metadata": {"name": name},
        "cluster": {"name": cluster, "reuse": True}, "fate": {"version": version},
        "parties": docs, "steps": [{"deploy": {}}]})


def deploy_parties(pool: ClusterPool, pooled: PooledCluster, options: RunOptions, *, name: str,
                   parties: Sequence[int], version: str,
                   party_fields: Mapping[int, Mapping[str, Any]],
                   timeout: float) -> RunContext:
    """Build images if needed, load them, install the parties and wait until ready."""
    scenario = scenario_for(name, pooled.cluster.name, parties, version, party_fields)
    prepare_tooling(scenario, options)
    run_dir = new_run_dir(options, scenario)
    installer = make_installer(scenario, pooled, run_dir)
    pool.load_images(pooled, installer.images(scenario.parties))
    ctx = RunContext(scenario=scenario, work_dir=run_dir, cluster=pooled.cluster,
                     kube=pooled.kube, installer=installer)
    installer.deploy(scenario.parties, timeout=timeout)
    ctx.deployed.update(parties)
    return ctx
