"""Who is who among a party's fate_flow instances: pods, ZooKeeper entries, task runners."""

from __future__ import annotations

import re
import shlex
from urllib.parse import unquote

from fate_e2e.install.native.names import ZK_PORT, module_pod, module_pods
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import PartySpec

ZK_FLOW_PATH = "/FATE-COMPONENTS/fate-flow"


def flow_pod_ips(ctx: RunContext, party: PartySpec) -> dict[str, str]:
    """Ready flow pods of the party: name -> pod IP."""
    names = set(module_pods(ctx.kube, party, "flow"))
    return {p.metadata.name: p.status.pod_ip for p in ctx.kube.pods(party.ns)
            if p.metadata.name in names}


def registered_flows(ctx: RunContext, party: PartySpec) -> list[str]:
    """fate_flow instances registered in the party's ZooKeeper (decoded znode names)."""
    pod = module_pod(ctx.kube, party, "zookeeper")
    script = f"zkcli -server 127.0.0.1:{ZK_PORT} ls {ZK_FLOW_PATH} 2>/dev/null | tail -n 1"
    out = ctx.kube.exec(party.ns, pod, ["sh", "-c", script], container="zookeeper",
                        timeout=60).stdout.strip()
    match = re.search(r"\[(.*)\]\s*$", out)
    if not match:
        return []
    return [unquote(x.strip()) for x in match.group(1).split(",") if x.strip()]


def _mariadb_rows(ctx: RunContext, party: PartySpec, sql: str) -> list[str]:
    """First column of each row ``sql`` returns from the party's MariaDB (NULLs dropped)."""
    pod = module_pod(ctx.kube, party, "mariadb")
    cmd = (f'mariadb -u"$MARIADB_USER" -p"$MARIADB_PASSWORD" -h127.0.0.1 "$MARIADB_DATABASE" '
           f"-N -e {shlex.quote(sql)}")
    res = ctx.kube.exec(party.ns, pod, ["sh", "-c", cmd], container="mariadb", timeout=60)
    return [line.strip() for line in res.stdout.splitlines()
            if line.strip() and line.strip() != "NULL"]


def task_run_ips(ctx: RunContext, party: PartySpec) -> set[str]:
    """Distinct instance addresses that ran tasks of ``party`` (FATE's t_task table)."""
    return set(_mariadb_rows(ctx, party,
                             f"SELECT DISTINCT f_run_ip FROM t_task WHERE f_party_id='{party.id}'"))


def running_task_ips(ctx: RunContext, party: PartySpec, job_id: str) -> set[str]:
    """Addresses of the instances whose executor runs a task of ``job_id`` on ``party`` now."""
    if not re.fullmatch(r"\d+", job_id):
        raise ValueError(f"not a FATE job id: {job_id!r}")
    return set(_mariadb_rows(ctx, party, (
        f"SELECT DISTINCT f_run_ip FROM t_task WHERE f_job_id='{job_id}' "
        f"AND f_party_id='{party.id}' AND f_party_status='running'")))


def spare_instance(pods: dict[str, str], busy_ips: set[str]) -> str | None:
    """The last (by name) flow pod whose address runs none of ``busy_ips``, if any."""
    spare = sorted(name for name, ip in pods.items() if ip not in busy_ips)
    return spare[-1] if spare else None
