"""Unit tests of the image catalog: tags, releases, requirement sets."""

from __future__ import annotations

import pytest

from fate_e2e.errors import InfraError
from fate_e2e.images import ImageSet, catalog, image_set


def test_image_set_names_for_2_2_0() -> None:
    images = image_set("2.2.0")
    assert isinstance(images, ImageSet)
    assert images.flow == "fate-e2e/fate-flow:2.2.0"
    assert images.rabbitmq == "fate-e2e/rabbitmq:3.10"
    assert images.mariadb == "fate-e2e/mariadb:10.11"
    assert images.nginx == "fate-e2e/nginx:1.22"
    assert images.zookeeper == "fate-e2e/zookeeper:3.8"
    assert images.flow_spark is None
    assert set(images.tags()) == {"flow", "mariadb", "rabbitmq", "nginx", "zookeeper"}


def test_spark_flavour_tag() -> None:
    images = image_set("2.2.0", spark=True)
    assert images.flow_spark == "fate-e2e/fate-flow:2.2.0-spark"
    assert images.tags()["flow_spark"] == images.flow_spark


@pytest.mark.parametrize("alias", ["2.1", "2.1.x", "2.1.1"])
def test_2_1_aliases_resolve_to_pyfate_2_1_1(alias: str) -> None:
    rel = catalog.release(alias)
    assert (rel.version, rel.pyfate, rel.fate_flow, rel.fate_client) == \
        ("2.1.1", "2.1.1", "2.1.0", "2.2.0")
    assert image_set(alias).flow == "fate-e2e/fate-flow:2.1.1"


def test_unknown_version_is_an_infra_error_listing_known_ones() -> None:
    with pytest.raises(InfraError, match=r"2\.2\.0"):
        image_set("9.9.9")


@pytest.mark.parametrize("version", sorted(catalog.RELEASES))
def test_requirements_pin_shared_torch_and_drop_typing_extensions_pin(version: str) -> None:
    reqs = catalog.release(version).requirements()
    assert f"torch=={catalog.TORCH_VERSION}" in reqs
    assert catalog.SETUPTOOLS_PIN in reqs
    assert not any(r.startswith("typing-extensions==") for r in reqs)
    assert not any(r.startswith("fate-flow") for r in reqs)
    assert f"pyfate[rabbitmq]=={catalog.release(version).pyfate}" in reqs
    names = [r.split("==")[0].split("<")[0].split(">")[0].lower() for r in reqs]
    assert len(names) == len(set(names)), "a requirement is listed twice"


def test_every_release_shares_one_torch() -> None:
    assert {rel.torch for rel in catalog.RELEASES.values()} == {catalog.TORCH_VERSION}
