"""Benchmark the offline kind lab: cold and warm time per stage, kind create, sizes.

    python bench/lab_bench.py                # cold figures from recorded runs, warm measured now
    python bench/lab_bench.py --cold DIR     # a truly cold lab in DIR (own cache, Go caches,
                                             # private daemon), measured, then warm, then down

Cold figures without --cold come from <cache>/lab/runs.jsonl: the last run in which each stage
really built (a stage's Go build may have hit a warm ~/.cache/go-build then; --cold avoids it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COLD_POOL = "10.251.0.0/16"


def cli(args: list[str], env: dict[str, str], *, check: bool = True) -> str:
    """Run `fate-e2e ARGS` in a subprocess with ``env``; stderr (progress) passes through."""
    out = subprocess.run([sys.executable, "-m", "fate_e2e.cli", *args], env=env,
                         stdout=subprocess.PIPE, text=True, check=False)
    if check and out.returncode != 0:
        raise SystemExit(f"fate-e2e {' '.join(args)} failed with exit {out.returncode}")
    return out.stdout


def lab_up(env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """One `lab up --json`; returns its report and the wall time around it."""
    started = time.monotonic()
    data: dict[str, Any] = json.loads(cli(["lab", "up", "--json"], env))
    return data, time.monotonic() - started


def stage_times(report: dict[str, Any]) -> dict[str, tuple[bool, float]]:
    return {s["name"]: (s["cached"], s["seconds"]) for s in report["run"]["stages"]}


def recorded_cold(cache: Path) -> dict[str, float]:
    """Per stage, the seconds of the last recorded run in which it really built.

    Stages built outside `lab up` fall back to their stamp's recorded build time.
    """
    cold: dict[str, float] = {}
    for stamp in sorted((cache / "stamps").glob("*.json"), key=lambda p: p.stat().st_mtime):
        name = stamp.stem.rsplit("-", 1)[0]
        seconds = json.loads(stamp.read_text()).get("seconds")
        if isinstance(seconds, (int, float)):
            cold[name] = float(seconds)
    runs = cache / "lab" / "runs.jsonl"
    if runs.is_file():
        for line in runs.read_text().splitlines():
            for stage in json.loads(line)["stages"]:
                if not stage["cached"]:
                    cold[stage["name"]] = stage["seconds"]
    return cold


def du(path: Path) -> int:
    if not path.exists():
        return 0
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=False)
    return int(out.stdout.split()[0]) if out.stdout else 0


def kind_create(lab: dict[str, Any], env: dict[str, str], workers: int) -> float:
    """Seconds of `kind create cluster` with the lab's node image (cluster deleted after)."""
    name = f"bench-{os.getpid()}"
    run_env = {**env, "DOCKER_HOST": lab["docker_host"],
               "PATH": f"{Path(lab['kind']).parent}{os.pathsep}{env.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "kind.yaml"
        nodes = ["- role: control-plane", *["- role: worker"] * workers]
        config.write_text("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
                          + "\n".join(nodes) + "\n")
        started = time.monotonic()
        try:
            subprocess.run([lab["kind"], "create", "cluster", "--name", name, "--image",
                            lab["node_image"], "--config", str(config), "--kubeconfig",
                            str(Path(tmp) / "kubeconfig")], env=run_env, check=True)
            return time.monotonic() - started
        finally:
            subprocess.run([lab["kind"], "delete", "cluster", "--name", name, "--kubeconfig",
                            str(Path(tmp) / "kubeconfig")], env=run_env, check=False)


def node_image_size(lab: dict[str, Any], env: dict[str, str]) -> int:
    out = subprocess.run([lab["docker_cli"], "image", "inspect", "--format", "{{.Size}}",
                          lab["node_image"]], env={**env, "DOCKER_HOST": lab["docker_host"]},
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def cold_env(root: Path) -> dict[str, str]:
    """An environment whose caches are all under ``root`` (nothing shared with the default)."""
    return {**os.environ, "FATE_E2E_CACHE": str(root / "cache"),
            "FATE_E2E_RUN_DIR": str(root / "run"), "FATE_E2E_ADDRESS_POOL": COLD_POOL,
            "GOCACHE": str(root / "gocache"), "GOMODCACHE": str(root / "gomod")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=Path, help="fresh dir for a truly cold lab build")
    parser.add_argument("--workers", type=int, default=0, help="workers for kind create")
    parser.add_argument("--keep", action="store_true", help="with --cold: keep its daemon up")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    result: dict[str, Any] = {}
    if args.cold:
        root = args.cold.resolve()
        if root.exists() and any(root.iterdir()):
            raise SystemExit(f"{root} is not empty: a cold run needs a fresh directory")
        root.mkdir(parents=True, exist_ok=True)
        env = cold_env(root)
        first, first_wall = lab_up(env)
        cold = {name: secs for name, (_, secs) in stage_times(first).items()}
        result["cold_total"] = first_wall
        result["go_cache_bytes"] = du(root / "gocache") + du(root / "gomod")
    else:
        env = dict(os.environ)
        cache = Path(env.get("FATE_E2E_CACHE", Path.home() / ".cache" / "fate-e2e"))
        cold = recorded_cold(cache)
    warm_report, warm_wall = lab_up(env)
    warm = {name: secs for name, (_, secs) in stage_times(warm_report).items()}
    rebuilt = warm_report["run"]["rebuilt"]
    lab = warm_report["lab"]
    cache_root = Path(env.get("FATE_E2E_CACHE", Path.home() / ".cache" / "fate-e2e"))
    result.update({
        "stages": {name: {"cold": cold.get(name), "warm": warm[name]} for name in warm},
        "warm_total": warm_wall, "warm_rebuilt": rebuilt,
        "kind_create_seconds": kind_create(lab, env, args.workers), "workers": args.workers,
        "cache_bytes": du(cache_root), "node_image_bytes": node_image_size(lab, env),
    })
    if args.cold and not args.keep:
        cli(["lab", "down"], env, check=False)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'stage':24}{'cold s':>10}{'warm s':>10}")
    for name, times in result["stages"].items():
        cold_s = f"{times['cold']:.1f}" if times["cold"] is not None else "-"
        print(f"{name:24}{cold_s:>10}{times['warm']:>10.1f}")
    if "cold_total" in result:
        print(f"{'lab up total (cold)':24}{result['cold_total']:>10.1f}")
    print(f"{'lab up total (warm)':24}{'':>10}{result['warm_total']:>10.1f}")
    print(f"warm run rebuilt: {', '.join(rebuilt) or 'nothing'}")
    print(f"kind create cluster ({args.workers} workers): {result['kind_create_seconds']:.1f}s")
    print(f"cache size: {result['cache_bytes'] / 1e9:.2f} GB ({cache_root})")
    if "go_cache_bytes" in result:
        print(f"Go build+module caches (cold run): {result['go_cache_bytes'] / 1e9:.2f} GB")
    print(f"node image size: {result['node_image_bytes'] / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
