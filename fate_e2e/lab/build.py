"""`lab up`: every stage in order, each cached by version, timed and recorded."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fate_e2e.lab import Lab, find_lab, write_manifest
from fate_e2e.lab import versions as v
from fate_e2e.lab.docker import (
    daemon_running,
    ensure_daemon,
    lab_bin_dir,
    runtime_wrapper_built,
)
from fate_e2e.lab.gobuild import (
    build_coredns,
    build_crictl,
    build_etcd,
    build_kind,
    build_kubernetes,
    build_pause,
    lab_dir,
)
from fate_e2e.lab.node import Binaries, build_node_image
from fate_e2e.lab.stages import StageResult, say


@dataclass
class UpReport:
    """What one `lab up` did: per-stage results and the total wall time."""

    stages: list[StageResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rebuilt(self) -> list[str]:
        return [s.name for s in self.stages if not s.cached]

    def to_json(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 1), "rebuilt": self.rebuilt,
                "stages": [asdict(s) for s in self.stages]}


def _link(target: Path, name: str) -> Path:
    """Symlink ``target`` into the lab bin dir as ``name`` (kind runs from PATH there)."""
    link = lab_bin_dir() / name
    if not (link.is_symlink() and os.readlink(link) == str(target)):
        tmp = link.with_name(f".{name}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        tmp.replace(link)
    return link


def _record_run(report: UpReport) -> None:
    """Append this run's timings to <cache>/lab/runs.jsonl (read by bench/lab_bench.py)."""
    with (lab_dir() / "runs.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"at": time.time(), **report.to_json()}) + "\n")


def lab_up() -> tuple[Lab, UpReport]:
    """Build or reuse every lab artifact; return the lab and what this run did."""
    started = time.monotonic()
    report = UpReport()
    t0 = time.monotonic()
    was_running, wrapper_built = daemon_running(), runtime_wrapper_built()
    daemon = ensure_daemon()
    # cached = nothing built (starting a stopped daemon is not a rebuild)
    report.stages.append(StageResult("docker-daemon", wrapper_built, time.monotonic() - t0,
                                     {"docker_host": daemon.host,
                                      "started": not was_running}))
    kind, res = build_kind()
    report.stages.append(res)
    k8s_bin, res = build_kubernetes()
    report.stages.append(res)
    etcd, res = build_etcd()
    report.stages.append(res)
    coredns, res = build_coredns()
    report.stages.append(res)
    crictl, res = build_crictl()
    report.stages.append(res)
    pause, res = build_pause()
    report.stages.append(res)
    bins = Binaries(kubernetes=k8s_bin, etcd=etcd, coredns=coredns, pause=pause, crictl=crictl)
    report.stages.append(build_node_image(daemon, bins))
    lab = Lab(kind=_link(kind, "kind"), kubectl=_link(k8s_bin / "kubectl", "kubectl"),
              node_image=v.node_image(), kubernetes_version=v.KUBERNETES_VERSION,
              docker_host=daemon.host, docker_cli=daemon.cli)
    report.seconds = time.monotonic() - started
    write_manifest(lab, {"last_up": report.to_json()})
    _record_run(report)
    found = find_lab()
    assert found is not None, "lab manifest unreadable right after writing it"
    rebuilt = ", ".join(report.rebuilt) or "nothing (everything cached)"
    say(f"lab up: done in {report.seconds:.1f}s; rebuilt: {rebuilt}")
    say(f"lab up: DOCKER_HOST={daemon.host} kind={lab.kind} node image={lab.node_image}")
    return found, report
