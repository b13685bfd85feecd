"""Parsers of FATE toy and job-query output (FATE 2.x and 1.x); pure functions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_V2_STATUS = re.compile(r"^toy test job (?P<job>\S+) is (?P<status>\w+)\s*$", re.M)
_V2_TIMEOUT = re.compile(r"^timeout\.\.\.\s*$", re.M)
_V1_SUCCESS = re.compile(r"success to calculate secure_sum, it is (?P<sum>[-+0-9.eE]+)")
_V1_JOB = re.compile(r"job[_ ]?id\W+(?:is\W+)?(?P<job>\d{14,})", re.I)
_V1_FAIL = re.compile(r"job status is (?P<status>failed|canceled|timeout)", re.I)
TERMINAL_OK = "success"
TERMINAL_FAILED = ("failed", "canceled", "timeout")


@dataclass(frozen=True)
class ToyCliResult:
    """What the toy command said: job id, final status, and a submit error if any."""

    job_id: str | None
    status: str
    detail: str = ""

    @property
    def success(self) -> bool:
        return self.status == TERMINAL_OK


def _json_objects(text: str) -> list[dict[str, object]]:
    """JSON objects printed in ``text`` (FATE prints pretty JSON blocks)."""
    found: list[dict[str, object]] = []
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index != -1:
        try:
            obj, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        index = text.find("{", end)
    return found


def parse_toy_v2(text: str) -> ToyCliResult:
    """Parse `flow test toy` output of FATE 2.x; its exit code means nothing."""
    statuses = list(_V2_STATUS.finditer(text))
    if statuses:
        last = statuses[-1]
        status = last["status"].lower()
        if _V2_TIMEOUT.search(text[last.end():]):
            status = "timeout"
        return ToyCliResult(last["job"], status)
    for obj in _json_objects(text):
        code = obj.get("code")
        if isinstance(code, int) and code != 0:
            return ToyCliResult(None, "submit-failed",
                                f"code {code}: {obj.get('message', '')}".strip())
        job = obj.get("job_id")
        if isinstance(job, str):
            return ToyCliResult(job, "unknown", "submitted but no status line")
    if _V2_TIMEOUT.search(text):
        return ToyCliResult(None, "timeout", "no status before the CLI's timeout")
    tail = text.strip().splitlines()[-1:] or ["no output"]
    return ToyCliResult(None, "unparsed", tail[0][:300])


def parse_toy_v1(text: str) -> ToyCliResult:
    """Parse FATE 1.x toy output (`success to calculate secure_sum, it is N`)."""
    job = _V1_JOB.search(text)
    job_id = job["job"] if job else None
    success = _V1_SUCCESS.search(text)
    if success:
        return ToyCliResult(job_id, TERMINAL_OK, f"secure_sum={success['sum']}")
    failed = _V1_FAIL.search(text)
    if failed:
        return ToyCliResult(job_id, failed["status"].lower())
    for obj in _json_objects(text):
        code = obj.get("retcode", obj.get("code"))
        if isinstance(code, int) and code != 0:
            return ToyCliResult(job_id, "submit-failed",
                                f"code {code}: {obj.get('retmsg', obj.get('message', ''))}")
    return ToyCliResult(job_id, "unparsed", "no secure_sum result line")


def parse_toy(text: str, fate_version: str) -> ToyCliResult:
    """Dispatch on the FATE major version."""
    return parse_toy_v1(text) if fate_version.startswith("1.") else parse_toy_v2(text)


@dataclass(frozen=True)
class PartyJob:
    """One party's record of a job, as its own fate_flow reports it."""

    party_id: str
    role: str
    status: str
    elapsed_ms: int | None
    job_id: str = ""


def parse_job_query(text: str) -> tuple[int | None, str, list[PartyJob]]:
    """Parse `flow job query` output: (code, message, records)."""
    for obj in _json_objects(text):
        if "code" not in obj:
            continue
        code = obj.get("code")
        message = str(obj.get("message", ""))
        records: list[PartyJob] = []
        data = obj.get("data")
        for row in data if isinstance(data, list) else []:
            if not isinstance(row, dict):
                continue
            elapsed = row.get("elapsed")
            records.append(PartyJob(str(row.get("party_id", "")), str(row.get("role", "")),
                                    str(row.get("status", "")).lower(),
                                    int(elapsed) if isinstance(elapsed, int | float) else None,
                                   str(row.get("job_id", ""))))
        return (code if isinstance(code, int) else None), message, records
    return None, "no JSON in output", []
