"""build_images: every image a FATE deployment needs, built or reused, in the private daemon."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import replace

from fate_e2e.cache import Stamp
from fate_e2e.images import catalog
from fate_e2e.images.catalog import ImageSet, image_set
from fate_e2e.images.flow import flow_image
from fate_e2e.images.layers import Built, prune_replaced, remove_stale_containers
from fate_e2e.images.services import service_image
from fate_e2e.lab.docker import DockerDaemon, ensure_daemon


def say(built: Built) -> None:
    """One line per image: built or reused, time, size."""
    print(f"[fate-e2e] image {built.line()}", file=sys.__stderr__ or sys.stderr, flush=True)


def build_services(daemon: DockerDaemon) -> dict[str, Built]:
    """RabbitMQ, MariaDB, nginx and ZooKeeper images (shared by every FATE version)."""
    out: dict[str, Built] = {}
    for name in catalog.SERVICES:
        out[name] = service_image(daemon, name)
        say(out[name])
    return out


def build_flow(daemon: DockerDaemon, fate_version: str, *, spark: bool = False) -> list[Built]:
    """The flow image of ``fate_version`` (and its Spark flavour with ``spark``)."""
    rel = catalog.release(fate_version)
    built = [flow_image(daemon, rel)]
    if spark:
        from fate_e2e.images.spark import spark_image

        built.append(spark_image(daemon, rel))
    for item in built:
        say(item)
    return built


def build_images(fate_versions: Sequence[str], *, spark: bool = False) -> dict[str, ImageSet]:
    """Build or reuse every image for ``fate_versions``; map version -> ImageSet (with ids)."""
    daemon = ensure_daemon()
    remove_stale_containers(daemon)
    started = time.monotonic()
    services = build_services(daemon)
    result: dict[str, ImageSet] = {}
    for version in fate_versions:
        flows = build_flow(daemon, version, spark=spark)
        names = image_set(version, spark=spark)
        ids = {role: services[role].image_id for role in catalog.SERVICES}
        ids["flow"] = flows[0].image_id
        if spark:
            ids["flow_spark"] = flows[1].image_id
        result[names.fate_version] = replace(names, ids=ids)
        record(names.fate_version, [*services.values(), *flows], spark=spark)
    removed = prune_replaced(daemon)
    if removed:
        print(f"[fate-e2e] removed {len(removed)} image(s) replaced by this build",
              file=sys.__stderr__ or sys.stderr, flush=True)
    print(f"[fate-e2e] images ready in {time.monotonic() - started:.0f}s",
          file=sys.__stderr__ or sys.stderr, flush=True)
    return result


def record(fate_version: str, built: list[Built], *, spark: bool) -> None:
    """Keep the last build's figures (sizes, ids, seconds, reused) in a stamp per version."""
    stamp = Stamp(f"images-{fate_version}{'-spark' if spark else ''}",
                  {"fate_version": fate_version, "spark": spark})
    stamp.mark(images={b.tag: {"id": b.image_id, "size": b.size, "seconds": b.seconds,
                               "reused": b.reused, **b.facts} for b in built})
