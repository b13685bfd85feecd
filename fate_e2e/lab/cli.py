"""`fate-e2e lab up|status|down`: build, inspect and stop the offline kind lab."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fate_e2e import proc
from fate_e2e.errors import FateE2EError
from fate_e2e.lab import find_lab, manifest_path
from fate_e2e.lab import versions as v
from fate_e2e.lab.docker import daemon_running, docker_host, stop_daemon
from fate_e2e.paths import cache_dir

LAB_STAMP_PREFIXES = ("runcwrap", "kind-cli", "kubernetes-binaries", "etcd-binary",
                      "coredns-binary", "crictl-binary", "pause-binary", "debian-")


def register(subparsers: Any) -> None:
    """Add `lab up`, `lab status` and `lab down`."""
    lab = subparsers.add_parser("lab", help="build/inspect/stop the offline kind lab")
    sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="build or reuse the lab (cached by version)")
    up.add_argument("--json", action="store_true", help="print the run's stage report as JSON")
    up.set_defaults(func=cmd_up)
    status = sub.add_parser("status", help="what is built, running and cached")
    status.add_argument("--json", action="store_true", help="print status as JSON")
    status.set_defaults(func=cmd_status)
    down = sub.add_parser("down", help="delete lab clusters and stop the private daemon")
    down.add_argument("--purge", action="store_true",
                      help="also delete the lab's cache (binaries, images, docker data-root)")
    down.set_defaults(func=cmd_down)


def cmd_up(args: argparse.Namespace) -> int:
    from fate_e2e.lab.build import lab_up

    try:
        lab, report = lab_up()
    except FateE2EError as exc:
        print(f"lab up failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"lab": lab.to_json(), "run": report.to_json()}, indent=2))
        return 0
    for stage in report.stages:
        state = "cached" if stage.cached else "built"
        print(f"{stage.name:22} {state:7} {stage.seconds:8.1f}s")
    print(f"total {report.seconds:.1f}s; DOCKER_HOST={lab.docker_host}")
    print(f"kind {lab.kind}\nnode image {lab.node_image}")
    leftover = kind_clusters()
    if leftover:
        print(f"note: kind clusters still exist: {', '.join(leftover)} "
              "(fate-e2e lab down deletes them)")
    return 0


def dir_size(path: Path) -> int:
    """Bytes used on disk under ``path`` (du, so hard links count once)."""
    if not path.exists():
        return 0
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=False)
    return int(out.stdout.split()[0]) if out.stdout else 0


def kind_clusters() -> list[str]:
    """Clusters kind sees in the private daemon (empty when it is not running)."""
    lab = find_lab()
    if lab is None or not daemon_running():
        return []
    out = proc.run([str(lab.kind), "get", "clusters"], env=lab.env())
    return parse_clusters(out)


def parse_clusters(output: str) -> list[str]:
    """Cluster names from `kind get clusters` (stderr's "No kind clusters found." ignored)."""
    return [line.strip() for line in output.splitlines()
            if line.strip() and " " not in line.strip()]


def status() -> dict[str, Any]:
    """The lab's state: versions, built artifacts, daemon, clusters, cache size."""
    lab = find_lab()
    running = daemon_running()
    info: dict[str, Any] = {"versions": v.all_versions(), "built": lab is not None,
                            "docker_host": docker_host(), "daemon_running": running,
                            "cache_dir": str(cache_dir()),
                            "cache_bytes": dir_size(cache_dir())}
    if lab is not None:
        info["lab"] = lab.to_json()
        if running:
            out = lab.docker.docker("image", "inspect", "--format", "{{.Size}}",
                                    lab.node_image, check=False).strip()
            info["node_image_bytes"] = int(out) if out.isdigit() else None
            info["clusters"] = kind_clusters()
    return info


def cmd_status(args: argparse.Namespace) -> int:
    info = status()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"lab built: {'yes' if info['built'] else 'no (run: fate-e2e lab up)'}")
    print(f"versions: {', '.join(f'{k} {val}' for k, val in info['versions'].items())}")
    state = "running" if info["daemon_running"] else "stopped"
    print(f"private dockerd: {state} at {info['docker_host']}")
    if "lab" in info:
        print(f"kind: {info['lab']['kind']}\nnode image: {info['lab']['node_image']}"
              + (f" ({info['node_image_bytes'] / 1e6:.0f} MB)"
                 if info.get("node_image_bytes") else ""))
    if "clusters" in info:
        print(f"clusters: {', '.join(info['clusters']) or 'none'}")
    print(f"cache: {info['cache_dir']} ({info['cache_bytes'] / 1e9:.2f} GB)")
    return 0


def purge_cache() -> None:
    """Remove what the lab put in the cache (keeps other components' stamps)."""
    root = cache_dir()
    for name in ("lab", "docker", "debian"):
        shutil.rmtree(root / name, ignore_errors=True)
    for stamp in (root / "stamps").glob("*.json"):
        if stamp.name.startswith(LAB_STAMP_PREFIXES):
            stamp.unlink()


def cmd_down(args: argparse.Namespace) -> int:
    lab = find_lab()
    try:
        for name in kind_clusters():
            assert lab is not None
            proc.run([str(lab.kind), "delete", "cluster", "--name", name], env=lab.env(),
                     what=f"kind delete cluster {name}", timeout=300)
        stop_daemon()
    except FateE2EError as exc:
        print(f"lab down failed: {exc}", file=sys.stderr)
        return 1
    if args.purge:
        purge_cache()
        manifest_path().unlink(missing_ok=True)
        print(f"lab down: daemon stopped, cache purged under {cache_dir()}")
    else:
        print("lab down: clusters deleted, daemon stopped; cache kept")
    return 0
