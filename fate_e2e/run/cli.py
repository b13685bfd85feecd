"""`fate-e2e run`, `render` and `capture`: scenarios from the command line."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = "reports/allure-results"


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run scenario files end to end (through pytest)")
    run.add_argument("files", nargs="+", type=Path, help="scenario YAML files or directories")
    run.add_argument("--provider", choices=["kind", "minikube", "existing"])
    run.add_argument("--kubeconfig")
    run.add_argument("--keep-cluster", choices=["never", "on-failure", "always"])
    run.add_argument("--fate-version")
    run.add_argument("--work-dir", type=Path)
    run.add_argument("--results", type=Path, default=Path(RESULTS_DIR),
                     help=f"Allure results directory (default {RESULTS_DIR})")
    run.add_argument("--no-build", action="store_true", help="do not build lab or images")
    run.add_argument("--reuse-cluster", action="store_true",
                     help="attach to an existing cluster of the scenario's name (kept)")
    run.set_defaults(func=cmd_run)

    render = sub.add_parser("render", help="print the manifests a scenario would apply")
    render.add_argument("file", type=Path)
    render.add_argument("--party", type=int, help="only this party")
    render.set_defaults(func=cmd_render)

    capture = sub.add_parser("capture", help="turn a failed run's work dir into a replayable "
                             "bug scenario and a diagnostics bundle")
    capture.add_argument("run_dir", type=Path, nargs="?",
                         help="a run dir (<work-dir>/runs/...); default: the newest failed run")
    capture.add_argument("--work-dir", type=Path, help="where to look for the newest run")
    capture.add_argument("--out", type=Path, default=Path("scenarios/bugs"),
                         help="where the scenario and bundle go (default scenarios/bugs)")
    capture.set_defaults(func=cmd_capture)


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent of `fate-e2e run`."""
    argv = [str(f) for f in args.files] + ["-m", "e2e", "-p", "no:cacheprovider",
                                           "--alluredir", str(args.results), "-rA"]
    for opt, value in (("--fate-provider", args.provider), ("--kubeconfig", args.kubeconfig),
                       ("--keep-cluster", args.keep_cluster),
                       ("--fate-version", args.fate_version),
                       ("--fate-work-dir", args.work_dir)):
        if value:
            argv += [opt, str(value)]
    if args.no_build:
        argv.append("--fate-no-build")
    if args.reuse_cluster:
        argv.append("--fate-reuse-cluster")
    return argv


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    # SIGTERM (CI timeouts) tears down like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        print("fate-e2e: SIGINT is ignored (a background job of a non-interactive shell): "
              "Ctrl-C will not stop this run; SIGTERM still stops it and tears down",
              file=sys.stderr)
    code = pytest.main(pytest_args(args))
    return int(code)


def cmd_render(args: argparse.Namespace) -> int:
    from fate_e2e.install.native.render import render_scenario
    from fate_e2e.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.file)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return 2
    for party in scenario.parties:
        if args.party and party.id != args.party:
            continue
        for name, text in render_scenario(scenario, party).items():
            print(f"# --- party {party.id}: {name}")
            print(text.rstrip())
    return 0


def newest_failed_run(work_dir: Path) -> Path | None:
    """The most recent run under ``work_dir`` that did not pass."""
    import json

    runs = sorted(work_dir.glob("runs/*/result.json"), key=lambda p: p.stat().st_mtime)
    for result in reversed(runs):
        if json.loads(result.read_text()).get("status") not in ("passed", "xfailed"):
            return result.parent
    return None


def cmd_capture(args: argparse.Namespace) -> int:
    from fate_e2e.errors import FateE2EError
    from fate_e2e.paths import default_work_dir
    from fate_e2e.run.capture import capture

    run_dir = args.run_dir or newest_failed_run(args.work_dir or default_work_dir())
    if run_dir is None:
        print("no failed run found; pass a run dir", file=sys.stderr)
        return 2
    try:
        result = capture(run_dir, args.out)
    except FateE2EError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"scenario: {result.scenario}")
    print(f"bundle:   {result.bundle}")
    return 0
