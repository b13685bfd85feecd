"""Scale-out experiments: new fate_flow instances register and run tasks; Spark workers join."""

from __future__ import annotations

import json
import time
from typing import Any

from fate_e2e.chaos.background import BackgroundToy
from fate_e2e.chaos.experiment import run_experiment
from fate_e2e.chaos.faults import block_recovery
from fate_e2e.chaos.verdict import Timeline, Verdict
from fate_e2e.checks.instances import flow_pod_ips, running_task_ips, spare_instance, task_run_ips
from fate_e2e.checks.toy import run_toy
from fate_e2e.errors import InfraError, ProductFailure
from fate_e2e.install.native.names import SPARK_UI_PORT, module_pod
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PartySpec, ScaleStep
from fate_e2e.waits import NotYet, wait_until

MAX_TOYS_FOR_COVERAGE = 6


def scale_experiment(ctx: RunContext, args: ScaleStep, timeout: float) -> Verdict:
    """Dispatch on the module being scaled."""
    party = ctx.party(args.party)
    if args.module == "flow":
        return _scale_flow(ctx, party, args, timeout)
    return _scale_spark(ctx, party, args, timeout)


def _scale_flow(ctx: RunContext, party: PartySpec, args: ScaleStep, timeout: float) -> Verdict:
    """New instances must register in ZooKeeper, run tasks and keep jobs succeeding."""
    name = f"scale flow of party {party.id} to {args.replicas}"
    peer = next(p.id for p in ctx.scenario.parties if p.id != party.id)

    def inject(timeline: Timeline) -> float:
        if args.block_recovery:
            done = block_recovery(ctx, party.id, "zookeeper")
            timeline.add(f"negative control: {done}, nothing can register")
        struck = time.monotonic()
        ctx.installer.scale(party, "flow", args.replicas, timeout=timeout,
                            wait=not args.block_recovery)
        ctx.record_time(f"scale_flow_{party.id}_to_{args.replicas}_ready",
                        time.monotonic() - struck)
        pods = flow_pod_ips(ctx, party)
        timeline.add(f"{len(pods)} flow pod(s) ready: {', '.join(sorted(pods))}")
        if args.block_recovery:
            return struck
        _cover_instances(ctx, party, peer, timeline, timeout)
        if args.kill_during_jobs:
            _kill_one_during_toy(ctx, party, peer, timeline, timeout)
        return struck

    return run_experiment(ctx, name, args.steady_state, inject,
                          recovery_timeout=args.recovery_timeout,
                          after_checks=["flow-registered", "flow-tasks"])


def _cover_instances(ctx: RunContext, party: PartySpec, peer: int, timeline: Timeline,
                     timeout: float) -> None:
    """Run toys (at most 6) until every flow instance shows up in the task table."""
    for attempt in range(1, MAX_TOYS_FOR_COVERAGE + 1):
        pods = flow_pod_ips(ctx, party)
        ran = task_run_ips(ctx, party)
        if all(ip in ran for ip in pods.values()):
            timeline.add(f"all {len(pods)} instances ran tasks (t_task.f_run_ip)")
            return
        result = run_toy(ctx, guest=party.id, host=peer, timeout=timeout)
        timeline.add(f"toy {attempt}: {result.summary()}")
        if not result.success:
            raise ProductFailure(f"toy failed after scaling party {party.id}'s flow: "
                                 f"{result.summary()}")


def _kill_one_during_toy(ctx: RunContext, party: PartySpec, peer: int, timeline: Timeline,
                         timeout: float) -> None:
    """Kill an instance while a job runs on another; jobs must go on through the others.

    The victim runs none of the job's tasks. What FATE does with the in-flight job is a
    finding: FATE 2.2 (``auto_retries: 0``) was seen failing it, the task's callbacks having
    been routed to the dead instance. The verdict: a job started right after the kill,
    while the replacement starts, succeeds through the remaining instances.
    """
    from kubernetes import client

    toy = BackgroundToy(ctx, party.id, peer, timeout=timeout)
    job = toy.start_and_wait_running()

    def _task_running() -> set[str]:
        busy = running_task_ips(ctx, party, job)
        if not busy:
            if not toy.is_running():
                raise RuntimeError(f"job {job} ended before a task of it was seen running")
            raise NotYet(f"no task of job {job} running on party {party.id} yet")
        return busy

    busy = wait_until(f"a task of job {job} running on party {party.id}", _task_running,
                      timeout=180, interval=0.5)
    pods = flow_pod_ips(ctx, party)
    victim = spare_instance(pods, busy)
    runners = sorted(name for name, ip in pods.items() if ip in busy) or sorted(busy)
    if victim is None:
        raise InfraError(f"every flow instance of party {party.id} runs a task of job {job}: "
                         "none can be killed without killing the job's task")
    ctx.kube.core.delete_namespaced_pod(victim, party.ns,
                                        body=client.V1DeleteOptions(grace_period_seconds=0))
    timeline.add(f"killed {victim} while job {job} ran its task on {', '.join(runners)}")
    after = run_toy(ctx, guest=party.id, host=peer, timeout=timeout)
    timeline.add(f"toy right after the kill: {after.summary()}")
    result = toy.join()
    timeline.add(f"in-flight job {job}: {result.summary()}")
    did = "completed" if result.success else "failed"
    ctx.finding(f"FATE {did} in-flight job {job} when flow instance {victim} was killed "
                f"(its task ran on {', '.join(runners)}): {result.summary()}")
    if not after.success:
        raise ProductFailure(f"the job started right after instance {victim} was killed "
                             f"failed on the remaining instances: {after.summary()}")


def spark_master_status(ctx: RunContext, party: PartySpec) -> dict[str, Any]:
    """The Spark master's /json/ status document."""
    pod = module_pod(ctx.kube, party, "sparkMaster")
    out = ctx.kube.exec(party.ns, pod, ["sh", "-c", "python3 -c \"import urllib.request;print("
                        f"urllib.request.urlopen('http://127.0.0.1:{SPARK_UI_PORT}/json/')"
                        ".read().decode())\""], container="spark-master", timeout=60).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def _scale_spark(ctx: RunContext, party: PartySpec, args: ScaleStep, timeout: float) -> Verdict:
    """Starved then scaled: an app WAITING for cores runs once workers are added.

    Two toy jobs run at once (both directions), so the party's master holds two
    applications while its workers have one core: the second one waits.
    """
    name = f"scale Spark workers of party {party.id} to {args.replicas}"
    peer = next(p.id for p in ctx.scenario.parties if p.id != party.id)

    def inject(timeline: Timeline) -> float:
        toys = [BackgroundToy(ctx, party.id, peer, timeout=timeout),
                BackgroundToy(ctx, peer, party.id, timeout=timeout)]
        for toy in toys:
            job = toy.start_and_wait_running()
            timeline.add(f"toy job {job} running ({toy.guest} -> {toy.host})")

        def _waiting() -> str:
            apps = spark_master_status(ctx, party).get("activeapps") or []
            waiting = [a for a in apps if a.get("state") == "WAITING"]
            if not waiting:
                raise NotYet(f"apps: {[(a.get('id'), a.get('state')) for a in apps]}")
            return str(waiting[0].get("id"))

        app = wait_until("a Spark application WAITING for cores", _waiting, timeout=600)
        before = {w.get("id") for w in spark_master_status(ctx, party).get("workers") or []}
        timeline.add(f"starved: application {app} is WAITING on party {party.id}'s master")
        struck = time.monotonic()
        ctx.installer.scale(party, "sparkWorker", args.replicas, timeout=timeout)

        def _scaled() -> str:
            status = spark_master_status(ctx, party)
            alive = int(status.get("aliveworkers") or 0)
            running = [a for a in status.get("activeapps") or []
                       if a.get("id") == app and a.get("state") == "RUNNING"]
            busy_new = [w for w in status.get("workers") or [] if w.get("id") not in before
                        and w.get("state") == "ALIVE" and int(w.get("coresused") or 0) > 0]
            done = app in [a.get("id") for a in status.get("completedapps") or []]
            if alive < args.replicas or not (running or done) or not (busy_new or done):
                raise NotYet(f"aliveworkers={alive}, {app} running={bool(running)}, "
                             f"executor on a new worker={bool(busy_new)}")
            return str(busy_new[0].get("id")) if busy_new else "(app finished)"

        worker = wait_until(f"{args.replicas} alive workers and {app} running", _scaled,
                            timeout=600, interval=1.0)
        timeline.add(f"scaled after {time.monotonic() - struck:.1f}s: aliveworkers>="
                     f"{args.replicas}, {app} got an executor on new worker {worker}")
        ctx.record_time(f"spark_scale_{party.id}_unstarved", time.monotonic() - struck)
        for toy in toys:
            result = toy.join()
            timeline.add(f"toy {toy.guest} -> {toy.host}: {result.summary()}")
            if not result.success:
                raise ProductFailure(f"after scaling Spark workers: {result.summary()}")
        return struck

    return run_experiment(ctx, name, args.steady_state, inject,
                          recovery_timeout=args.recovery_timeout)
