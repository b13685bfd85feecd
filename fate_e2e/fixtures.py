"""Fixtures for tests written in Python: fate_cluster, fate_deployment, toy_job, chaos."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from fate_e2e.pytest_items import OPTIONS_KEY, session_pool
from fate_e2e.run.pool import PooledCluster
from fate_e2e.scenario.schema import ClusterSpec

if TYPE_CHECKING:
    from fate_e2e.checks.toy import ToyResult
    from fate_e2e.run.context import RunContext

DEFAULT_PARTIES = (9999, 10000)


class DeploymentFactory(Protocol):
    """Deploys FATE parties on the session cluster; removed after the test."""

    def __call__(self, *, parties: Sequence[int] = DEFAULT_PARTIES, version: str = "2.2.0",
                 party_fields: dict[int, dict[str, Any]] | None = None,
                 timeout: float = 1200.0) -> RunContext: ...


class ToyRunner(Protocol):
    """Runs the toy example between two deployed parties and returns the verdict."""

    def __call__(self, deployment: RunContext, *, guest: int, host: int,
                 timeout: float = 600.0) -> ToyResult: ...


@pytest.fixture(scope="session")
def fate_cluster(request: pytest.FixtureRequest) -> PooledCluster:
    """The session's cluster (created once; deleted at session end as --keep-cluster says)."""
    from fate_e2e.run.prepare import prepare_tooling
    from fate_e2e.scenario.schema import FateSpec, PartySpec, Scenario

    options = request.config.stash[OPTIONS_KEY]
    spec = ClusterSpec(name="fate-e2e", reuse=True)
    probe = Scenario.model_validate({
        "apiVersion": "fate-e2e/v1", "kind": "Scenario", "metadata": {"name": "fixtures"},
        "cluster": spec.model_dump(by_alias=True),
        "fate": FateSpec(version="2.2.0").model_dump(by_alias=True),
        "parties": [PartySpec(id=i).model_dump(by_alias=True) for i in DEFAULT_PARTIES],
        "steps": [{"deploy": {}}]})
    prepare_tooling(probe, options)
    return session_pool(request.config).acquire(spec)


@pytest.fixture
def fate_deployment(fate_cluster: PooledCluster,
                    request: pytest.FixtureRequest) -> Iterator[DeploymentFactory]:
    """Factory deploying parties into the session cluster; uninstalls them afterwards.

    ``party_fields`` adds scenario fields per party id (e.g. namespace, routeOverrides).
    """
    from fate_e2e.run.deployments import deploy_parties

    created: list[RunContext] = []
    options = request.config.stash[OPTIONS_KEY]
    name = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:50] or "test"

    def factory(*, parties: Sequence[int] = DEFAULT_PARTIES, version: str = "2.2.0",
                party_fields: dict[int, dict[str, Any]] | None = None,
                timeout: float = 1200.0) -> RunContext:
        ctx = deploy_parties(session_pool(request.config), fate_cluster, options, name=name,
                             parties=parties, version=version,
                             party_fields=party_fields or {}, timeout=timeout)
        created.append(ctx)
        return ctx

    yield factory
    for ctx in reversed(created):
        ctx.installer.uninstall(ctx.scenario.parties, timeout=600)


@pytest.fixture
def toy_job() -> ToyRunner:
    """Run the toy example and get a verdict that checked both parties' job status."""
    from fate_e2e.checks.toy import run_toy

    def runner(deployment: RunContext, *, guest: int, host: int,
               timeout: float = 600.0) -> ToyResult:
        return run_toy(deployment, guest=guest, host=host, timeout=timeout)

    return runner


@pytest.fixture
def chaos() -> Any:
    """The chaos toolbox: pod kill, scale, steady-state probes, verdicts."""
    from fate_e2e import chaos as toolbox

    return toolbox
