"""Offline FATE images: flow (from PyPI wheels), RabbitMQ, MariaDB, nginx, ZooKeeper.

Public API for installers: ``ImageSet``, ``image_set`` (names only) and ``build_images``
(build or reuse in the private daemon). How to run each image: docs/images.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from fate_e2e.images.catalog import ImageSet, image_set


def build_images(fate_versions: Sequence[str], *, spark: bool = False) -> dict[str, ImageSet]:
    """Build or reuse every image for ``fate_versions``; map version -> ImageSet (with ids)."""
    from fate_e2e.images.build import build_images as _build

    return _build(fate_versions, spark=spark)


__all__ = ["ImageSet", "build_images", "image_set"]
