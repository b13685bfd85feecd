"""Image references for a party: fate-e2e's own builds unless the scenario overrides them."""

from __future__ import annotations

from fate_e2e.install.native.render import Images
from fate_e2e.scenario.schema import Scenario


def images_for(scenario: Scenario, version: str) -> Images:
    """The images of FATE ``version`` (built offline by fate-e2e), with fate.images overrides."""
    from fate_e2e.images import image_set

    spark = scenario.fate.computing == "spark"
    built = image_set(version, spark=spark)
    over = scenario.fate.images
    flow = built.flow_spark if spark and built.flow_spark else built.flow
    return Images(flow=over.flow or flow, mariadb=over.mariadb or built.mariadb,
                  rabbitmq=over.rabbitmq or built.rabbitmq, nginx=over.nginx or built.nginx,
                  zookeeper=over.zookeeper or built.zookeeper)
