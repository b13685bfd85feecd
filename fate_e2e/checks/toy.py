"""The toy check: run FATE's toy job, then ask BOTH parties how it ended.

`flow test toy` exits 0 even when the job fails, so the verdict combines the
CLI's final status line with each party's own job record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fate_e2e.checks.flow_cli import FlowCli
from fate_e2e.checks.toy_output import PartyJob, ToyCliResult, parse_job_query, parse_toy
from fate_e2e.errors import ProductFailure
from fate_e2e.report.allure_io import attach_text
from fate_e2e.run.context import JobRecord, RunContext


@dataclass
class ToyResult:
    """The toy verdict with its evidence."""

    guest: int
    host: int
    cli: ToyCliResult
    party_jobs: dict[int, list[PartyJob]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    fate_elapsed_ms: int | None = None

    @property
    def job_id(self) -> str | None:
        return self.cli.job_id

    @property
    def success(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = f"toy guest {self.guest} -> host {self.host}, job {self.job_id or '-'}"
        if self.success:
            return f"{head}: success on both parties"
        return f"{head}: " + "; ".join(self.problems)


def judge(result: ToyResult) -> None:
    """Fill ``result.problems``: the CLI and every party must say success."""
    if not result.cli.success:
        detail = f" ({result.cli.detail})" if result.cli.detail else ""
        result.problems.append(f"toy CLI reported {result.cli.status}{detail}")
    if result.cli.job_id is None:
        return
    for party_id in (result.guest, result.host):
        jobs = result.party_jobs.get(party_id, [])
        mine = [j for j in jobs if j.party_id == str(party_id)] or jobs
        if not mine:
            result.problems.append(f"party {party_id} has no record of job {result.cli.job_id}")
            continue
        bad = [f"{j.role}={j.status}" for j in mine if j.status != "success"]
        if bad:
            result.problems.append(f"party {party_id} reports job {result.cli.job_id} as "
                                   f"{', '.join(bad)}")


def run_toy(ctx: RunContext, *, guest: int, host: int, timeout: float) -> ToyResult:
    """Run the toy from the guest's flow pod and judge it on both parties."""
    guest_party, host_party = ctx.party(guest), ctx.party(host)
    version = ctx.installer.installed_version(guest_party) or ctx.scenario.fate.version
    cli = FlowCli(ctx.kube, guest_party)
    started = time.monotonic()
    output = cli.toy(guest, host, timeout=timeout)
    attach_text(f"flow test toy -gid {guest} -hid {host}", output)
    result = ToyResult(guest, host, parse_toy(output, version),
                       seconds=time.monotonic() - started)
    if result.job_id:
        for party in (guest_party, host_party):
            query = FlowCli(ctx.kube, party).job_query(result.job_id)
            attach_text(f"flow job query on party {party.id}", query)
            code, message, jobs = parse_job_query(query)
            result.party_jobs[party.id] = jobs
            if code not in (0, None) and not jobs:
                result.problems.append(f"party {party.id}: job query failed: {message}")
        elapsed = [j.elapsed_ms for j in result.party_jobs.get(guest, []) if j.elapsed_ms]
        result.fate_elapsed_ms = max(elapsed) if elapsed else None
    judge(result)
    ctx.jobs.append(JobRecord(result.job_id or "-", guest, host,
                              "success" if result.success else "failed",
                              (result.fate_elapsed_ms or 0) / 1000 or result.seconds))
    return result


def require_toy(ctx: RunContext, *, guest: int, host: int, timeout: float) -> ToyResult:
    """Run the toy; on failure attach evidence, name unreachable parties, raise."""
    result = run_toy(ctx, guest=guest, host=host, timeout=timeout)
    ctx.record_time(f"toy_{guest}_{host}_wall", result.seconds)
    if result.fate_elapsed_ms:
        ctx.record_time(f"toy_{guest}_{host}_fate", result.fate_elapsed_ms / 1000)
    if result.success:
        return result
    from fate_e2e.checks.evidence import attach_toy_evidence, unreachable_parties

    attach_toy_evidence(ctx, result)
    unreachable = unreachable_parties(ctx, guest=guest, host=host)
    if unreachable:
        result.problems.append("unreachable: " + "; ".join(unreachable))
    raise ProductFailure(result.summary())
