"""Figures of the offline FATE images: wheelhouse and image build times (cold from the stamps
of the first build, warm measured now), image and venv sizes, smoke-check times.

Usage: python bench/images_bench.py [--fate-version X ...] [--cold] [--smoke] [--json]
--cold deletes this module's images and wheelhouses first (pip's own cache stays), so the
build below is a real cold build. Prints figures; asserts nothing about wall-clock time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
from typing import Any

from fate_e2e.errors import CommandError
from fate_e2e.images import catalog
from fate_e2e.images.build import build_images
from fate_e2e.images.wheelhouse import wheelhouse_root
from fate_e2e.lab.docker import ensure_daemon
from fate_e2e.paths import cache_dir


def our_tags(versions: list[str]) -> list[str]:
    tags = [catalog.PYTHON_BASE_TAG, catalog.torch_tag(), *(s.tag for s in
                                                            catalog.SERVICES.values())]
    return tags + [t for v in versions for t in (catalog.venv_tag(v), catalog.flow_tag(v))]


def make_cold(versions: list[str]) -> None:
    """Remove the images and wheelhouses so the next build starts from nothing of ours."""
    daemon = ensure_daemon()
    for tag in reversed(our_tags(versions)):
        with contextlib.suppress(CommandError):
            daemon.docker("rmi", "-f", tag)
    shutil.rmtree(wheelhouse_root(), ignore_errors=True)
    for stamp in (cache_dir() / "stamps").glob("wheelhouse-*.json"):
        stamp.unlink()
    for stamp in (cache_dir() / "stamps").glob("image-*.json"):
        stamp.unlink()


def stamps(prefix: str) -> dict[str, dict[str, Any]]:
    """The newest stamp per artifact (path or tag) among ``<cache>/stamps/<prefix>*``."""
    newest: dict[str, tuple[float, str, dict[str, Any]]] = {}
    for path in (cache_dir() / "stamps").glob(f"{prefix}*.json"):
        data = json.loads(path.read_text())
        facts = {k: v for k, v in data.items() if k not in ("key", "wheel_files", "packages")}
        artifact = str(data.get("path") or path.stem.rsplit("-", 1)[0])
        if artifact not in newest or data["finished"] > newest[artifact][0]:
            newest[artifact] = (data["finished"], path.stem, facts)
    return {stem: facts for _, stem, facts in sorted(newest.values(), key=lambda t: t[1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fate-version", action="append", dest="versions")
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    versions = [catalog.release(v).version for v in (args.versions or ["2.2.0", "2.1.1"])]
    if args.cold:
        make_cold(versions)
    started = time.monotonic()
    sets = build_images(versions)
    build_seconds = round(time.monotonic() - started, 1)
    daemon = ensure_daemon()
    sizes: dict[str, int] = {}
    for tag in our_tags(versions):
        sizes[tag] = int(daemon.docker("image", "inspect", "--format", "{{.Size}}", tag))
    report: dict[str, Any] = {
        "mode": "cold" if args.cold else "warm", "build_seconds": build_seconds,
        "image_bytes": sizes, "wheelhouses": stamps("wheelhouse-"),
        "images": stamps("image-"), "last_build": stamps("images-"),
        "wheelhouse_dir_bytes": {p.name: sum(f.stat().st_size for f in p.glob("*.whl"))
                                 for p in sorted(wheelhouse_root().iterdir()) if p.is_dir()
                                 and not p.name.startswith(".")},
    }
    if args.smoke:
        from fate_e2e.images.smoke import smoke_image_set

        report["smoke"] = {}
        for index, images in enumerate(sets.values()):
            for result in smoke_image_set(daemon, images, services=index == 0):
                report["smoke"][result.image] = {"ok": result.ok, "seconds": result.seconds,
                                                 **result.details}
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"build_images({versions}) [{report['mode']}]: {build_seconds}s")
    print("image sizes:")
    for tag, size in sizes.items():
        print(f"  {tag:36} {size / 1e6:8.0f} MB")
    print("wheelhouses (their last real build, from the stamps):")
    for name, facts in report["wheelhouses"].items():
        print(f"  {name:40} {facts.get('seconds', '?'):>7}s {facts.get('bytes', 0) / 1e6:7.0f} MB"
              f" {facts.get('wheels', '?')} wheels, built from source: "
              f"{facts.get('source_built', [])}")
    print("committed layers (their last real build, from the stamps):")
    for name, facts in report["images"].items():
        venv = facts.get("venv_bytes")
        print(f"  {name:40} {facts.get('seconds', '?'):>7}s image {facts.get('size', 0) / 1e6:6.0f}"
              f" MB" + (f", venv {venv / 1e6:.0f} MB" if venv else ""))
    for image, facts in report.get("smoke", {}).items():
        print(f"smoke {image}: {facts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
