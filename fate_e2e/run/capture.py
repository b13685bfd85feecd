"""`fate-e2e capture`: a failed run's work dir -> replayable scenario + diagnostics bundle."""

from __future__ import annotations

import json
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fate_e2e import __version__
from fate_e2e.errors import FateE2EError
from fate_e2e.report.redact import redact
from fate_e2e.scenario import load_scenario_text

BUNDLED_DIRS = ("manifests", "diagnostics", "evidence")


@dataclass(frozen=True)
class Capture:
    """What capture wrote."""

    scenario: Path
    bundle: Path
    versions: dict[str, Any]


def replay_document(scenario_text: str, result: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The run's scenario, turned into a bug scenario that pins what the run used."""
    doc: dict[str, Any] = yaml.safe_load(scenario_text)
    facts = result.get("facts", {})
    meta = doc.setdefault("metadata", {})
    meta["name"] = f"bug-{meta.get('name', 'scenario')}"[:63].rstrip("-")
    message = str(result.get("message", "")).splitlines()[0][:300] if result.get("message") \
        else "no message"
    meta["description"] = (f"Captured {time.strftime('%Y-%m-%d')} from {run_dir.name} "
                           f"({result.get('status')}): {message}")
    doc["issue"] = doc.get("issue") or f"captured:{run_dir.name} (replace with the tracker link)"
    doc["expect"] = "fail"
    if facts.get("kubernetes_version"):
        doc.setdefault("cluster", {}).setdefault("kubernetesVersion",
                                                 facts["kubernetes_version"])
    return doc


def versions(result: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """Versions and image IDs the run used (for the bundle)."""
    facts = result.get("facts", {})
    return {
        "fate_e2e": __version__,
        "fate": doc.get("fate", {}).get("version"),
        "party_versions": {str(p.get("id")): p.get("version") for p in doc.get("parties", [])
                           if p.get("version")},
        "kubernetes": facts.get("kubernetes_version"),
        "images": facts.get("images", {}),
        "status": result.get("status"),
        "message": result.get("message"),
        "timings": result.get("timings", {}),
        "findings": result.get("findings", []),
    }


def capture(run_dir: Path, out: Path) -> Capture:
    """Write <out>/<name>.yaml (validated) and <out>/<name>-bundle.tar.gz; redact everything."""
    result_file = run_dir / "result.json"
    scenario_file = run_dir / "scenario.yaml"
    if not result_file.is_file() or not scenario_file.is_file():
        raise FateE2EError(f"{run_dir} is not a fate-e2e run dir (needs result.json and "
                           "scenario.yaml)")
    result: dict[str, Any] = json.loads(result_file.read_text())
    doc = replay_document(scenario_file.read_text(), result, run_dir)
    text = "# Captured by fate-e2e capture: replays the failed run as a bug scenario.\n" \
        + yaml.safe_dump(doc, sort_keys=False)
    load_scenario_text(text, filename=f"{run_dir.name}/replay.yaml")  # must validate
    out.mkdir(parents=True, exist_ok=True)
    name = doc["metadata"]["name"]
    scenario_out = out / f"{name}.yaml"
    scenario_out.write_text(text)
    facts = versions(result, doc)
    bundle = out / f"{name}-bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        _add_text(tar, f"{name}/versions.json", json.dumps(facts, indent=2, default=str))
        _add_text(tar, f"{name}/result.json", result_file.read_text())
        _add_text(tar, f"{name}/scenario.yaml", scenario_file.read_text())
        for sub in BUNDLED_DIRS:
            base = run_dir / sub
            for path in sorted(base.rglob("*")) if base.is_dir() else []:
                if path.is_file():
                    _add_text(tar, f"{name}/{sub}/{path.relative_to(base)}",
                              path.read_text(errors="replace"))
    return Capture(scenario_out, bundle, facts)


def _add_text(tar: tarfile.TarFile, name: str, text: str) -> None:
    """Add a redacted text member."""
    import io

    data = redact(text).encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))
