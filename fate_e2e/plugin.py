"""pytest plugin: options, markers, fixture re-exports and scenario YAML collection."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fate_e2e import progress
from fate_e2e.fixtures import chaos, fate_cluster, fate_deployment, toy_job
from fate_e2e.paths import default_work_dir
from fate_e2e.pytest_items import OPTIONS_KEY, POOL_KEY, ScenarioFile, is_scenario_file
from fate_e2e.report.allure_io import write_categories
from fate_e2e.run.options import RunOptions

__all__ = ["chaos", "fate_cluster", "fate_deployment", "toy_job"]

MARKERS = {
    "e2e": "needs a real cluster (opt in with -m e2e)",
    "chaos": "injects failures (pod kill)",
    "scale": "changes a module's replicas",
    "upgrade": "upgrades FATE in place",
    "bug": "replays a known deployment bug (expect: pass|fail)",
    "slow": "long-running; tox -e e2e-slow",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fate-e2e", "FATE end-to-end scenarios")
    group.addoption("--fate-provider", choices=["kind", "minikube", "existing"], default=None,
                    help="cluster provider, overriding each scenario's cluster.provider")
    group.addoption("--kubeconfig", default=None,
                    help="use this kubeconfig (implies provider existing); never written")
    group.addoption("--keep-cluster", choices=["never", "on-failure", "always"], default=None,
                    help="keep clusters (and failed parties) after the run")
    group.addoption("--fate-version", default=None, help="override fate.version")
    group.addoption("--fate-work-dir", default=None,
                    help="where runs keep kubeconfigs, manifests and diagnostics")
    group.addoption("--fate-no-build", action="store_true",
                    help="do not build the lab or images (they must exist)")
    group.addoption("--fate-reuse-cluster", action="store_true", default=None,
                    help="attach to an existing cluster of the scenario's name (never deleted)")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    _progress_around_capture(config)
    results = getattr(config.option, "allure_report_dir", None)
    if results:
        write_categories(Path(results))
    work = config.getoption("--fate-work-dir")
    config.stash[OPTIONS_KEY] = RunOptions(
        work_dir=Path(work).resolve() if work else default_work_dir().resolve(),
        provider=config.getoption("--fate-provider"),
        kubeconfig=config.getoption("--kubeconfig"),
        keep=config.getoption("--keep-cluster"),
        fate_version=config.getoption("--fate-version"),
        build=not config.getoption("--fate-no-build"),
        reuse=config.getoption("--fate-reuse-cluster"),
    )


def _progress_around_capture(config: pytest.Config) -> None:
    """Progress lines of waits reach the terminal even while pytest captures output."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None:
        return

    def write(text: str) -> None:
        with capman.global_and_fixture_disabled():
            sys.stderr.write(text)
            sys.stderr.flush()

    progress.set_sink(write, tty=sys.stderr.isatty())
    config.add_cleanup(lambda: progress.set_sink(None))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ScenarioFile | None:
    if is_scenario_file(file_path):
        result: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return result
    return None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    pool = session.config.stash.get(POOL_KEY, None)
    if pool is not None:
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        for note in pool.release(interrupted=interrupted):
            print(f"[fate-e2e] {note}")
