"""Failure injection with verdicts: pod kill, scale, upgrade; steady-state probes."""

from fate_e2e.chaos.experiment import run_experiment
from fate_e2e.chaos.faults import kill_pods, wait_replaced
from fate_e2e.chaos.steady import probe_round, wait_recovered
from fate_e2e.chaos.upgrading import UpgradeRefused, check_upgrade
from fate_e2e.chaos.verdict import Timeline, Verdict

__all__ = ["Timeline", "UpgradeRefused", "Verdict", "check_upgrade", "kill_pods",
           "probe_round", "run_experiment", "wait_recovered", "wait_replaced"]
