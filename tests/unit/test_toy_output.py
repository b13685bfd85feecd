"""The toy verdict parsers on recorded FATE 2.x and 1.x output samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from fate_e2e.checks.toy import ToyResult, judge
from fate_e2e.checks.toy_output import (
    PartyJob,
    ToyCliResult,
    parse_job_query,
    parse_toy,
    parse_toy_v1,
    parse_toy_v2,
)

SAMPLES = Path(__file__).parent / "samples" / "toy"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


@pytest.mark.parametrize(("name", "job", "status"), [
    ("v2_success.txt", "202611281530123456789", "success"),
    ("v2_failed.txt", "202611281531000000001", "failed"),
    ("v2_timeout.txt", "202611281532000000002", "timeout"),
    ("v2_submit_error.txt", None, "submit-failed"),
])
def test_v2_samples(name: str, job: str | None, status: str) -> None:
    result = parse_toy_v2(sample(name))
    assert (result.job_id, result.status) == (job, status)
    assert result.success is (status == "success")


def test_v2_submit_error_keeps_message() -> None:
    assert "connection refused" in parse_toy_v2(sample("v2_submit_error.txt")).detail


def test_v2_last_status_wins_over_earlier_success_word() -> None:
    text = "toy test job 1 is success\ntoy test job 1 is failed\n"
    assert parse_toy_v2(text).status == "failed"


def test_v2_garbage_is_unparsed_not_success() -> None:
    result = parse_toy_v2("Traceback (most recent call last):\n  boom\n")
    assert result.status == "unparsed" and not result.success


@pytest.mark.parametrize(("name", "job", "status"), [
    ("v1_success.txt", "202201071043112358132", "success"),
    ("v1_failed.txt", "202201071050000000001", "failed"),
    ("v1_submit_error.txt", None, "submit-failed"),
])
def test_v1_samples(name: str, job: str | None, status: str) -> None:
    result = parse_toy_v1(sample(name))
    assert (result.job_id, result.status) == (job, status)


def test_v1_success_reports_the_sum() -> None:
    assert parse_toy_v1(sample("v1_success.txt")).detail == "secure_sum=1999.9999999999998"


def test_dispatch_on_major_version() -> None:
    assert parse_toy(sample("v1_success.txt"), "1.11.4").success
    assert not parse_toy(sample("v1_success.txt"), "2.2.0").success


def test_job_query_parsing() -> None:
    code, _, jobs = parse_job_query(sample("job_query_success.txt"))
    assert code == 0
    assert jobs == [PartyJob("10000", "guest", "success", 21873, "202611281530123456789")]
    code, message, jobs = parse_job_query(sample("job_query_missing.txt"))
    assert code == 1001 and jobs == [] and "No found job" in message


def _result(cli_status: str, guest: str, host: str) -> ToyResult:
    result = ToyResult(10000, 9999, ToyCliResult("j1", cli_status))
    result.party_jobs = {10000: [PartyJob("10000", "guest", guest, 1)],
                         9999: [PartyJob("9999", "host", host, 1)]}
    judge(result)
    return result


def test_verdict_needs_cli_and_both_parties() -> None:
    assert _result("success", "success", "success").success
    failed_host = _result("success", "success", "failed")
    assert not failed_host.success
    assert "party 9999 reports job j1 as host=failed" in failed_host.summary()


def test_cli_exit_zero_on_failed_job_is_still_a_failure() -> None:
    # The toy CLI exits 0 here; only the parsed status and the parties count.
    result = _result("failed", "failed", "failed")
    assert not result.success
    assert "toy CLI reported failed" in result.summary()


def test_missing_party_record_is_a_failure() -> None:
    result = ToyResult(10000, 9999, ToyCliResult("j1", "success"))
    result.party_jobs = {10000: [PartyJob("10000", "guest", "success", 1)]}
    judge(result)
    assert "party 9999 has no record of job j1" in result.summary()
