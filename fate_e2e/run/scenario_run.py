"""Run one scenario: provision, install, steps, catch/finally, teardown, verdict."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from fate_e2e import timing
from fate_e2e.errors import InfraError
from fate_e2e.report.allure_io import attach_text, record_environment, step
from fate_e2e.run.context import RunContext
from fate_e2e.run.options import RunOptions
from fate_e2e.run.pool import ClusterPool
from fate_e2e.run.prepare import fate_versions, image_ids, make_installer, prepare_tooling
from fate_e2e.run.steps import execute_step
from fate_e2e.scenario.schema import Scenario, Step

log = logging.getLogger(__name__)

Status = Literal["passed", "failed", "broken", "xfailed", "fixed", "interrupted"]


@dataclass
class Outcome:
    """How a scenario ended, after its expectation (expect: pass|fail) is applied."""

    status: Status
    message: str = ""
    error: BaseException | None = None
    run_dir: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "xfailed")


def apply_overrides(scenario: Scenario, options: RunOptions) -> Scenario:
    """The scenario with command-line overrides (FATE version) applied."""
    if not options.fate_version:
        return scenario
    fate = scenario.fate.model_copy(update={"version": options.fate_version})
    return scenario.model_copy(update={"fate": fate})


def as_infra(exc: Exception) -> Exception:
    """Errors of the Kubernetes API or its transport are test-bed failures, not harness bugs."""
    module = type(exc).__module__
    if module.startswith(("kubernetes.", "urllib3.", "websocket")):
        infra = InfraError(f"Kubernetes API error: {type(exc).__name__}: {str(exc)[:500]}")
        infra.__cause__ = exc
        return infra
    return exc


def overhead_ratio(total: float, waiting: float) -> float:
    """(total - time waiting on the cluster) / total: the harness's own share."""
    return round(max(0.0, total - waiting) / total, 4) if total > 0 else 0.0


def new_run_dir(options: RunOptions, scenario: Scenario) -> Path:
    """A fresh directory for this run's artifacts (manifests, diagnostics, result)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = options.work_dir / "runs" / f"{stamp}-{scenario.metadata.name}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = run_dir.with_name(f"{stamp}-{scenario.metadata.name}-{suffix}")
    run_dir.mkdir(parents=True)
    return run_dir


def run_scenario(scenario: Scenario, pool: ClusterPool, options: RunOptions, *,
                 source: Path | None = None) -> Outcome:
    """Run ``scenario`` on a cluster from ``pool``; never raises except KeyboardInterrupt."""
    scenario = apply_overrides(scenario, options)
    run_dir = new_run_dir(options, scenario)
    started, waited_before = time.monotonic(), timing.snapshot()
    (run_dir / "scenario.yaml").write_text(
        source.read_text() if source else yaml.safe_dump(scenario.model_dump(by_alias=True)))
    ctx: RunContext | None = None
    error: BaseException | None = None
    interrupted = False
    try:
        ctx = _setup(scenario, pool, options, run_dir)
        _run_steps(ctx, scenario.steps, "step")
    except KeyboardInterrupt as exc:
        error, interrupted = exc, True
    except Exception as exc:
        error = as_infra(exc)
    if ctx is not None and error is not None and not interrupted:
        _run_catch(ctx, error)
    if ctx is not None and not interrupted:
        _run_finally(ctx)
    outcome = _verdict(scenario, error, interrupted)
    outcome.run_dir = run_dir
    if ctx is not None:
        ctx.record_time("total", time.monotonic() - started)
        waited = timing.since(waited_before)
        ctx.facts["cluster_seconds"] = waited
        # A ratio, not seconds: kept at 4 decimals (record_time rounds to 2).
        ctx.timings["harness_overhead_ratio"] = overhead_ratio(
            ctx.timings["total"], sum(waited.values()))
        outcome.timings = dict(ctx.timings)
        outcome.findings = list(ctx.findings)
        ctx.facts["status"] = outcome.status
        _teardown(ctx, pool, outcome)
    elif not outcome.ok:
        _mark_failed(pool, scenario)
    _write_result(run_dir, scenario, outcome, ctx)
    if interrupted:
        assert isinstance(error, KeyboardInterrupt)
        raise error
    return outcome


def _setup(scenario: Scenario, pool: ClusterPool, options: RunOptions,
           run_dir: Path) -> RunContext:
    with step("prepare lab and images"):
        prepare_tooling(scenario, options)
    with step(f"provision cluster {scenario.cluster.name}"):
        started = time.monotonic()
        pooled = pool.acquire(scenario.cluster)
        provision = time.monotonic() - started
    installer = make_installer(scenario, pooled, run_dir)
    ctx = RunContext(scenario=scenario, work_dir=run_dir, cluster=pooled.cluster,
                     kube=pooled.kube, installer=installer)
    ctx.record_time("provision", provision)
    if pooled.create_seconds is not None:
        ctx.record_time("cluster_create", pooled.create_seconds)
    images = installer.images(scenario.parties)
    with step("load images into the cluster"):
        started = time.monotonic()
        pool.load_images(pooled, images)
        ctx.record_time("load_images", time.monotonic() - started)
    ctx.facts["kubernetes_version"] = pooled.kube.version
    ctx.facts["images"] = image_ids(images) or {i: "(remote)" for i in images}
    record_environment({
        "fate.version": ", ".join(fate_versions(scenario)),
        "kubernetes.version": ctx.facts["kubernetes_version"],
        "cluster.provider": pooled.cluster.provider,
        "cluster.node_image": pooled.cluster.node_image or "-",
        **{f"image.{tag}": ident for tag, ident in ctx.facts["images"].items()},
    })
    return ctx


def _run_steps(ctx: RunContext, steps: list[Step], label: str) -> None:
    for index, item in enumerate(steps):
        title = f"{label} {index + 1}: {item.title}"
        with step(title):
            seconds = execute_step(ctx, item)
        ctx.record_time(f"{label}{index + 1}:{item.title}", seconds)


def _run_catch(ctx: RunContext, error: BaseException) -> None:
    """Diagnostics first (the state right after the failure), then the catch steps."""
    from fate_e2e.run.diagnose import diagnose

    diagnose(ctx, reason=str(error))
    if ctx.scenario.catch:
        try:
            _run_steps(ctx, ctx.scenario.catch, "catch")
        except Exception as exc:  # a failing catch step must not hide the real failure
            attach_text("catch step failed", str(exc))


def _run_finally(ctx: RunContext) -> None:
    if ctx.scenario.finally_:
        try:
            _run_steps(ctx, ctx.scenario.finally_, "finally")
        except Exception as exc:
            attach_text("finally step failed", str(exc))


def _verdict(scenario: Scenario, error: BaseException | None, interrupted: bool) -> Outcome:
    if interrupted:
        return Outcome("interrupted", "interrupted by SIGINT", error)
    product = isinstance(error, AssertionError)
    if scenario.expect == "fail":
        if product:
            return Outcome("xfailed", f"bug {scenario.issue} still reproduces: {error}", error)
        if error is None:
            return Outcome("fixed", f"bug {scenario.issue} no longer reproduces: the scenario "
                           "passed; flip it to expect: pass", None)
    if error is None:
        return Outcome("passed")
    return Outcome("failed" if product else "broken", str(error), error)


def _mark_failed(pool: ClusterPool, scenario: Scenario) -> None:
    pooled = pool.clusters.get(scenario.cluster.name)
    if pooled is not None:
        pooled.failed = True


def _teardown(ctx: RunContext, pool: ClusterPool, outcome: Outcome) -> None:
    """Remove the scenario's parties unless its keep policy wants them kept."""
    pooled = pool.clusters.get(ctx.scenario.cluster.name)
    keep = pooled.keep if pooled else "never"
    if not outcome.ok and pooled is not None:
        pooled.failed = True
    if keep == "always" or (keep == "on-failure" and not outcome.ok):
        ctx.finding(f"kept namespaces of {ctx.scenario.metadata.name} (keep: {keep})")
        return
    with step("teardown parties"):
        try:
            ctx.installer.uninstall(ctx.scenario.parties, timeout=600)
        except InfraError as exc:
            log.warning("teardown of %s failed: %s", ctx.scenario.metadata.name, exc)
            if pooled is not None:
                pooled.failed = True


def _write_result(run_dir: Path, scenario: Scenario, outcome: Outcome,
                  ctx: RunContext | None) -> None:
    data = {
        "scenario": scenario.metadata.name,
        "status": outcome.status,
        "message": outcome.message,
        "issue": scenario.issue,
        "expect": scenario.expect,
        "timings": outcome.timings,
        "findings": outcome.findings,
        "facts": ctx.facts if ctx else {},
        "jobs": [vars(j) for j in ctx.jobs] if ctx else [],
    }
    (run_dir / "result.json").write_text(json.dumps(data, indent=2, default=str))
