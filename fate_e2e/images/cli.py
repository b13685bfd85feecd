"""`fate-e2e images build|list|verify`: offline FATE and service images in the private daemon."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from fate_e2e.errors import FateE2EError
from fate_e2e.images import catalog

OUR_REPOS = ("fate-flow", "fate-venv", "fate-torch", "fate-python", *(s.name for s in
                                                        catalog.SERVICES.values()))


def register(subparsers: Any) -> None:
    """Add `images build`, `images list` and `images verify`."""
    images = subparsers.add_parser("images", help="build/list/verify the offline FATE images")
    sub = images.add_subparsers(dest="images_command", metavar="ACTION", required=True)
    build = sub.add_parser("build", help="build or reuse the images of FATE versions")
    add_versions(build)
    build.set_defaults(func=cmd_build)
    listing = sub.add_parser("list", help="fate-e2e images in the private daemon")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(func=cmd_list)
    verify = sub.add_parser("verify", help="build, then run each image and probe it "
                                           "(standalone toy job in the flow image)")
    add_versions(verify)
    verify.add_argument("--flow-only", action="store_true", help="skip the service images")
    verify.set_defaults(func=cmd_verify)


def add_versions(parser: argparse.ArgumentParser) -> None:
    known = ", ".join([*catalog.RELEASES, *catalog.ALIASES])
    parser.add_argument("--fate-version", action="append", required=True, dest="fate_versions",
                        metavar="X", help=f"FATE version (repeatable); known: {known}")
    parser.add_argument("--spark", action="store_true", help="also the Spark flow flavour")


def cmd_build(args: argparse.Namespace) -> int:
    from fate_e2e.images.build import build_images

    try:
        sets = build_images(args.fate_versions, spark=args.spark)
    except FateE2EError as exc:
        print(f"images build failed: {exc}", file=sys.stderr)
        return 1
    for version, images in sets.items():
        print(f"FATE {version}:")
        for role, tag in images.tags().items():
            print(f"  {role:11} {tag}  {images.ids.get(role, '')[7:19]}")
    return 0


def our_images() -> list[dict[str, Any]]:
    """Tag, id and size of every fate-e2e image this module builds."""
    from fate_e2e.lab.docker import ensure_daemon

    daemon = ensure_daemon()
    out = daemon.docker("images", "--format", "{{json .}}", "--filter", "reference=fate-e2e/*")
    rows = []
    for line in out.splitlines():
        item = json.loads(line)
        if item["Repository"].split("/", 1)[-1] not in OUR_REPOS:
            continue
        tag = f"{item['Repository']}:{item['Tag']}"
        size = int(daemon.docker("image", "inspect", "--format", "{{.Size}}", tag).strip())
        rows.append({"tag": tag, "id": item["ID"], "size": size, "created": item["CreatedSince"]})
    return sorted(rows, key=lambda r: str(r["tag"]))


def cmd_list(args: argparse.Namespace) -> int:
    try:
        rows = our_images()
    except FateE2EError as exc:
        print(f"images list failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['tag']:36} {row['id']:14} {row['size'] / 1e6:9.0f} MB  {row['created']}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from fate_e2e.images.build import build_images
    from fate_e2e.images.smoke import smoke_image_set
    from fate_e2e.lab.docker import ensure_daemon

    try:
        sets = build_images(args.fate_versions, spark=args.spark)
        daemon = ensure_daemon()
        failed = False
        for index, images in enumerate(sets.values()):
            services = not args.flow_only and index == 0
            for result in smoke_image_set(daemon, images, services=services):
                print(result.line())
                failed = failed or not result.ok
    except (FateE2EError, AssertionError) as exc:
        print(f"images verify failed: {exc}", file=sys.stderr)
        return 1
    return 1 if failed else 0
