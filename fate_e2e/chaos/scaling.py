"""Scale-out experiments: new fate_flow instances register and run tasks; Spark workers join."""

from __future__ import annotations

import json
import re
import shlex
import time

from fate_e2e.chaos.background import BackgroundToy
from fate_e2e.chaos.steady import first_failure, probe_round, wait_recovered
from fate_e2e.chaos.verdict import Timeline, Verdict
from fate_e2e.checks.toy import run_toy
from fate_e2e.errors import FateE2EError
from fate_e2e.install.native.names import SPARK_UI_PORT, ZK_PORT, module_pod, module_pods
from fate_e2e.report.allure_io import attach_text, step
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PartySpec, ScaleStep
from fate_e2e.waits import NotYet, WaitTimeout, wait_until

ZK_FLOW_PATH = "/FATE-COMPONENTS/fate-flow"
MAX_TOYS_FOR_COVERAGE = 6


def registered_flows(ctx: RunContext, party: PartySpec) -> list[str]:
    """Instances of fate_flow registered in the party's ZooKeeper."""
    pod = module_pod(ctx.kube, party, "zookeeper")
    out = ctx.kube.exec(party.ns, pod, ["sh", "-c", f"zkcli -server 127.0.0.1:{ZK_PORT} "
                                        f"ls {ZK_FLOW_PATH} 2>/dev/null | tail -n 1"],
                        container="zookeeper", timeout=60).stdout.strip()
    match = re.search(r"\[(.*)\]\s*$", out)
    if not match:
        return []
    return [x.strip() for x in match.group(1).split(",") if x.strip()]


def task_run_ips(ctx: RunContext, party: PartySpec) -> set[str]:
    """Distinct instance addresses that ran tasks of ``party`` (FATE's t_task table)."""
    pod = module_pod(ctx.kube, party, "mariadb")
    sql = f"SELECT DISTINCT f_run_ip FROM t_task WHERE f_party_id='{party.id}'"
    cmd = f'mariadb -ufate -p"$MARIADB_PASSWORD" -h127.0.0.1 fate_flow -N -e {shlex.quote(sql)}'
    res = ctx.kube.exec(party.ns, pod, ["sh", "-c", cmd], container="mariadb", timeout=60)
    return {line.strip() for line in res.stdout.splitlines() if line.strip()
            and line.strip() != "NULL"}


def flow_pod_ips(ctx: RunContext, party: PartySpec) -> dict[str, str]:
    """Ready flow pods of the party: name -> pod IP."""
    names = set(module_pods(ctx.kube, party, "flow"))
    return {p.metadata.name: p.status.pod_ip for p in ctx.kube.pods(party.ns)
            if p.metadata.name in names}


def scale_experiment(ctx: RunContext, args: ScaleStep, timeout: float) -> Verdict:
    """Dispatch on the module being scaled."""
    party = ctx.party(args.party)
    if args.module == "flow":
        return _scale_flow(ctx, party, args, timeout)
    return _scale_spark(ctx, party, args, timeout)


def _before(ctx: RunContext, args: ScaleStep, name: str, timeline: Timeline) -> Verdict | None:
    failed = first_failure(probe_round(ctx, args.steady_state.probes, ctx.scenario.parties))
    if failed is not None:
        return Verdict(name, "Error", f"steady state not established: {failed.describe()}",
                       failed, timeline=timeline)
    timeline.add("steady state established")
    return None


def _scale_flow(ctx: RunContext, party: PartySpec, args: ScaleStep, timeout: float) -> Verdict:
    name = f"scale flow of party {party.id} to {args.replicas}"
    timeline = Timeline()
    verdict = _before(ctx, args, name, timeline)
    if verdict is not None:
        return verdict
    peer = next(p.id for p in ctx.scenario.parties if p.id != party.id)
    try:
        with step(f"{name}: apply through the installer"):
            started = time.monotonic()
            ctx.installer.scale(party, "flow", args.replicas, timeout=timeout)
            ctx.record_time(f"scale_flow_{party.id}_ready", time.monotonic() - started)
            pods = flow_pod_ips(ctx, party)
            timeline.add(f"{len(pods)} flow pods ready: {', '.join(sorted(pods))}")
        with step(f"{name}: every instance registers in ZooKeeper"):
            def _registered() -> list[str]:
                found = registered_flows(ctx, party)
                if len(found) < args.replicas:
                    raise NotYet(f"{len(found)}/{args.replicas} registered: {found}")
                return found

            found = wait_until(f"{args.replicas} fate_flow instances in ZooKeeper",
                               _registered, timeout=300)
            attach_text("zookeeper registrations", "\n".join(found))
            timeline.add(f"{len(found)} instances registered under {ZK_FLOW_PATH}")
        with step(f"{name}: every instance runs tasks"):
            missing = _cover_instances(ctx, party, peer, timeline, timeout)
            if missing:
                return Verdict(name, "Fail", "instances that never ran a task: "
                               + ", ".join(missing), timeline=timeline)
        if args.kill_during_jobs:
            with step(f"{name}: kill one instance while a job runs"):
                result = _kill_one_during_toy(ctx, party, peer, timeline, timeout)
                if not result:
                    return Verdict(name, "Fail", "the job failed after one instance was killed",
                                   timeline=timeline)
        with step(f"{name}: steady state after"):
            failing = wait_recovered(ctx, args.steady_state.probes, ctx.scenario.parties,
                                     timeout=args.recovery_timeout,
                                     interval=args.steady_state.interval, timeline=timeline)
    except (FateE2EError, WaitTimeout) as exc:
        return Verdict(name, "Error", str(exc), timeline=timeline)
    finally:
        attach_text(f"{name} timeline", timeline.render())
    if failing is not None:
        return Verdict(name, "Fail", failing.describe(), failing, timeline=timeline)
    verdict = Verdict(name, "Pass", f"{args.replicas} instances registered, ran tasks and "
                      "kept the federation working", timeline=timeline)
    ctx.finding(verdict.headline())
    return verdict


def _cover_instances(ctx: RunContext, party: PartySpec, peer: int, timeline: Timeline,
                     timeout: float) -> list[str]:
    """Run toys until every flow instance shows up in the task table; return the missing."""
    pods = flow_pod_ips(ctx, party)
    for attempt in range(1, MAX_TOYS_FOR_COVERAGE + 1):
        ran = task_run_ips(ctx, party)
        missing = [f"{n} ({ip})" for n, ip in sorted(pods.items()) if ip not in ran]
        if not missing:
            timeline.add(f"all {len(pods)} instances ran tasks (t_task.f_run_ip)")
            return []
        result = run_toy(ctx, guest=party.id, host=peer, timeout=timeout)
        timeline.add(f"toy {attempt}: {result.summary()}")
    ran = task_run_ips(ctx, party)
    return [f"{n} ({ip})" for n, ip in sorted(pods.items()) if ip not in ran]


def _kill_one_during_toy(ctx: RunContext, party: PartySpec, peer: int, timeline: Timeline,
                         timeout: float) -> bool:
    from kubernetes import client

    toy = BackgroundToy(ctx, party.id, peer, timeout=timeout)
    job = toy.start_and_wait_running()
    victim = sorted(flow_pod_ips(ctx, party))[-1]
    ctx.kube.core.delete_namespaced_pod(victim, party.ns,
                                        body=client.V1DeleteOptions(grace_period_seconds=0))
    timeline.add(f"killed {victim} while job {job} ran")
    result = toy.join()
    timeline.add(f"job {job}: {result.summary()}")
    return result.success


def spark_master_status(ctx: RunContext, party: PartySpec) -> dict[str, object]:
    """The Spark master's /json/ status document."""
    pod = module_pod(ctx.kube, party, "sparkMaster")
    out = ctx.kube.exec(party.ns, pod, ["sh", "-c", "python3 -c \"import urllib.request;print("
                        f"urllib.request.urlopen('http://127.0.0.1:{SPARK_UI_PORT}/json/')"
                        ".read().decode())\""], container="spark-master", timeout=60).stdout
    data: dict[str, object] = json.loads(out)
    return data


def _scale_spark(ctx: RunContext, party: PartySpec, args: ScaleStep, timeout: float) -> Verdict:
    """Starved then scaled: an app WAITING for cores starts once a worker is added."""
    name = f"scale Spark workers of party {party.id} to {args.replicas}"
    timeline = Timeline()
    peer = next(p.id for p in ctx.scenario.parties if p.id != party.id)
    try:
        toy = BackgroundToy(ctx, peer, party.id, timeout=timeout)
        job = toy.start_and_wait_running()
        timeline.add(f"toy job {job} running with the current workers")

        def _waiting() -> str:
            status = spark_master_status(ctx, party)
            apps = status.get("activeapps") or []
            waiting = [a for a in apps if isinstance(a, dict) and a.get("state") == "WAITING"]
            if not waiting:
                raise NotYet(f"apps: {[a.get('state') for a in apps if isinstance(a, dict)]}")
            return str(waiting[0].get("id"))

        app = wait_until("a Spark application WAITING for cores", _waiting, timeout=300)
        timeline.add(f"starved: application {app} is WAITING")
        started = time.monotonic()
        ctx.installer.scale(party, "sparkWorker", args.replicas, timeout=timeout)

        def _alive() -> int:
            status = spark_master_status(ctx, party)
            alive = int(str(status.get("aliveworkers", 0)))
            apps = status.get("activeapps") or []
            running = [a for a in apps if isinstance(a, dict) and a.get("id") == app
                       and a.get("state") == "RUNNING"]
            if alive < args.replicas or not running:
                raise NotYet(f"aliveworkers={alive}, {app} running={bool(running)}")
            return alive

        alive = wait_until(f"{args.replicas} alive workers running {app}", _alive, timeout=300)
        timeline.add(f"scaled: aliveworkers={alive}, {app} RUNNING after "
                     f"{time.monotonic() - started:.1f}s")
        result = toy.join()
        timeline.add(f"job {job}: {result.summary()}")
    except (FateE2EError, WaitTimeout) as exc:
        return Verdict(name, "Error", str(exc), timeline=timeline)
    finally:
        attach_text(f"{name} timeline", timeline.render())
    if not result.success:
        return Verdict(name, "Fail", result.summary(), timeline=timeline)
    return Verdict(name, "Pass", f"starved app {app} ran after scale-out", timeline=timeline)
