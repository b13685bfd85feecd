"""Figures of a FATE scenario run: images, deploy-to-ready per party, toy times, overhead.

Usage: python bench/fate_bench.py [--run SCENARIO] [--work-dir DIR] [--no-images] [--json]
--run executes the scenario (through `fate-e2e run`, the lab and images reused) into a fresh
work dir first; otherwise the newest run under --work-dir is read. Image build figures come
from bench/images_bench.py (cold from the first build's stamps, warm measured now).
Prints figures; asserts nothing about wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


def run_scenario(scenario: Path, work: Path) -> float:
    """Run the scenario end to end; return its wall time."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "fate_e2e.cli", "run", str(scenario),
                    "--work-dir", str(work), "--results", str(work / "allure-results")],
                   check=False)
    return round(time.monotonic() - started, 1)


def newest_result(work: Path) -> dict[str, Any]:
    results = sorted(work.glob("runs/*/result.json"), key=lambda p: p.stat().st_mtime)
    if not results:
        raise SystemExit(f"no run under {work}/runs: run a scenario first (--run)")
    data: dict[str, Any] = json.loads(results[-1].read_text())
    data["run_dir"] = str(results[-1].parent)
    return data


def figures(result: dict[str, Any]) -> dict[str, Any]:
    timings: dict[str, float] = result.get("timings", {})
    return {
        "scenario": result["scenario"], "status": result["status"],
        "run_dir": result["run_dir"],
        "cluster_create_s": timings.get("cluster_create"),
        "load_images_s": timings.get("load_images"),
        "deploy_to_ready_s": {k.rsplit("_", 1)[1]: v for k, v in timings.items()
                              if k.startswith("deploy_to_ready_")},
        "toy_fate_s": {k[4:-5]: v for k, v in timings.items()
                       if k.startswith("toy_") and k.endswith("_fate")},
        "toy_wall_s": {k[4:-5]: v for k, v in timings.items()
                       if k.startswith("toy_") and k.endswith("_wall")},
        "total_s": timings.get("total"),
        "waiting_on_cluster_s": result.get("facts", {}).get("cluster_seconds", {}),
        "harness_overhead_ratio": timings.get("harness_overhead_ratio"),
        "recovery_s": {k[9:]: v for k, v in timings.items() if k.startswith("recovery:")},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", type=Path, help="scenario to run first")
    parser.add_argument("--work-dir", type=Path, default=Path(".fate-e2e-work"))
    parser.add_argument("--no-images", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.work_dir
    wall = None
    if args.run:
        work = Path(tempfile.mkdtemp(prefix="fate-bench-"))
        wall = run_scenario(args.run, work)
    report = figures(newest_result(work))
    report["wall_s"] = wall
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"scenario {report['scenario']}: {report['status']} ({report['run_dir']})")
        for key in ("wall_s", "cluster_create_s", "load_images_s", "total_s"):
            print(f"  {key:28} {report[key]}")
        for key in ("deploy_to_ready_s", "toy_fate_s", "toy_wall_s", "waiting_on_cluster_s",
                    "recovery_s"):
            for name, value in report[key].items():
                print(f"  {key + ' ' + name:28} {value}")
        print(f"  {'harness_overhead_ratio':28} {report['harness_overhead_ratio']}")
    if not args.no_images:
        subprocess.run([sys.executable, str(BENCH / "images_bench.py")], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
