"""Before a scenario: build or reuse the lab and images; pick the installer."""

from __future__ import annotations

from pathlib import Path

from fate_e2e.errors import InfraError
from fate_e2e.install.base import Installer
from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import PooledCluster
from fate_e2e.scenario.schema import Scenario, UpgradeStep


def fate_versions(scenario: Scenario) -> list[str]:
    """Every FATE version the scenario touches: default, per-party, upgrade targets."""
    versions = {scenario.fate.version}
    versions.update(p.version for p in scenario.parties if p.version)
    for item in [*scenario.steps, *scenario.catch, *scenario.finally_]:
        if isinstance(item.upgrade, UpgradeStep):
            versions.add(item.upgrade.to)
    return sorted(versions)


def uses_spark(scenario: Scenario) -> bool:
    return scenario.fate.computing == "spark"


def prepare_tooling(scenario: Scenario, options: RunOptions) -> None:
    """For kind: the offline lab and the FATE images, each built once and then reused."""
    provider = options.provider or ("existing" if options.kubeconfig
                                    else scenario.cluster.provider)
    if provider != "kind" or not options.build:
        return
    from fate_e2e.images import build_images
    from fate_e2e.lab.build import lab_up

    lab_up()
    build_images(fate_versions(scenario), spark=uses_spark(scenario))


def make_installer(scenario: Scenario, pooled: PooledCluster, run_dir: Path) -> Installer:
    """The installer the scenario names, bound to the cluster."""
    if scenario.fate.installer == "native":
        from fate_e2e.install.native.installer import NativeInstaller

        return NativeInstaller(scenario, pooled.kube, pooled.cluster, run_dir)
    raise InfraError(f"installer {scenario.fate.installer!r} is not available in this version "
                     "of fate-e2e (available: native)")


def image_ids(images: list[str]) -> dict[str, str]:
    """Local image IDs of ``images`` (kind lab daemon); empty when there is no lab."""
    from fate_e2e.lab import find_lab

    lab = find_lab()
    if lab is None or not images:
        return {}
    out = lab.docker.docker("image", "inspect", "--format", "{{.Id}}", *images, check=False)
    ids = [line.strip() for line in out.splitlines() if line.startswith("sha256:")]
    return dict(zip(images, ids, strict=False)) if len(ids) == len(images) else {}
