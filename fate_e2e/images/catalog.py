"""What fate-e2e builds: FATE releases (wheel pins), service images, their tags.

Names only; nothing here builds or touches Docker. ``image_set`` is what the installer
uses to find the tags of one FATE version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from fate_e2e.errors import InfraError

REPO: Final = "fate-e2e"
DEBIAN_SUITE: Final = "bookworm"
# Debian bookworm's python3 is 3.11: every wheel is built for cp311.
PYTHON_VERSION: Final = "3.11"

# One torch for every release: pyfate 2.1.1 pins it, pyfate 2.2.0 runs the toy with it
# (verified), and it is by far the smallest CUDA-built torch on PyPI (cu11 deps ~1.4 GB
# installed, against ~4 GB of cu12 deps for torch 2.x). Shared as one image layer.
TORCH_VERSION: Final = "1.13.1"
# setuptools >= 81 drops pkg_resources (FATE imports it); the venv's own (ensurepip, 66) is
# replaced so the version comes from the wheelhouse, not from the Debian point release.
SETUPTOOLS_PIN: Final = "setuptools>=77,<81"

# fate_flow's requirements without the typing-extensions==4.8.0 pin that clashes with torch.
_FLOW_2_2_REQUIREMENTS: Final = (
    "apsw>=3.10", "Flask==2.2.5", "grpcio==1.62.1", "grpcio-tools==1.62.1", "requests<2.26.0",
    "urllib3==1.26.18", "cachetools==3.0.0", "filelock==3.3.1", "pydantic==1.10.12", "webargs",
    "peewee==3.17.1", "python-dotenv==0.13.0", "pyyaml", "networkx", "psutil>=5.7.0",
    "casbin-peewee-adapter", "casbin", "pymysql", "kazoo", "shortuuid",
    "cos-python-sdk-v5==1.9.27", "ruamel.yaml==0.16", "boto3", "pika==1.2.1",
)
_FLOW_2_1_REQUIREMENTS: Final = (
    "apsw", "Flask==2.2.5", "grpcio==1.59.3", "grpcio-tools==1.59.3", "requests", "urllib3",
    "cachetools", "filelock", "pydantic==1.10.12", "webargs", "peewee", "python-dotenv",
    "pyyaml", "networkx", "psutil", "casbin-peewee-adapter", "casbin", "pymysql", "kazoo",
    "shortuuid", "cos-python-sdk-v5", "typing-extensions", "ruamel.yaml==0.16", "boto3",
    "pika==1.2.1",
)
# pyfate 2.1.1 leaves these open; newer numpy breaks torch 1.13's ABI and newer
# transformers/accelerate want torch 2: pin what pyfate 2.2.0 pins.
_PYFATE_2_1_PINS: Final = ("numpy<2", "transformers==4.37.2", "accelerate==0.27.2")
# Spark flavour: pyspark 3.5 runs on Debian's Java 17; storage `file` needs pyarrow
# (< 20: newer ones need numpy 2, which torch 1.13 and pyfate do not take).
SPARK_REQUIREMENTS: Final = ("pyspark==3.5.9", "pyarrow<20")


@dataclass(frozen=True)
class FateRelease:
    """The PyPI packages that make one FATE version, and the extra pins it needs."""

    version: str
    pyfate: str
    fate_flow: str
    fate_client: str
    flow_requirements: tuple[str, ...]
    extra_pins: tuple[str, ...] = ()
    torch: str = TORCH_VERSION

    def requirements(self) -> list[str]:
        """Top-level requirements of the venv (fate-flow itself is installed with --no-deps)."""
        return [f"pyfate[rabbitmq]=={self.pyfate}", f"fate-client=={self.fate_client}",
                f"torch=={self.torch}", SETUPTOOLS_PIN, *self.extra_pins,
                *self.flow_requirements]


RELEASES: Final = {
    "2.2.0": FateRelease("2.2.0", pyfate="2.2.0", fate_flow="2.2.0", fate_client="2.2.0",
                         flow_requirements=_FLOW_2_2_REQUIREMENTS),
    # fate-client has only 2.2.0 on PyPI; its `flow` CLI drives fate-flow 2.1.0 (toy verified).
    "2.1.1": FateRelease("2.1.1", pyfate="2.1.1", fate_flow="2.1.0", fate_client="2.2.0",
                         flow_requirements=_FLOW_2_1_REQUIREMENTS, extra_pins=_PYFATE_2_1_PINS),
}
ALIASES: Final = {"2.2": "2.2.0", "2.1": "2.1.1", "2.1.x": "2.1.1"}


@dataclass(frozen=True)
class ServiceImage:
    """A Debian-packaged service: the package, its upstream major.minor, the tag."""

    name: str
    package: str
    series: str

    @property
    def tag(self) -> str:
        return f"{REPO}/{self.name}:{self.series}"


SERVICES: Final = {
    "rabbitmq": ServiceImage("rabbitmq", "rabbitmq-server", "3.10"),
    "mariadb": ServiceImage("mariadb", "mariadb-server", "10.11"),
    "nginx": ServiceImage("nginx", "nginx", "1.22"),
    "zookeeper": ServiceImage("zookeeper", "libzookeeper-java", "3.8"),
}


def release(fate_version: str) -> FateRelease:
    """The FateRelease for a version or alias (``2.1`` means 2.1.1 + fate-flow 2.1.0)."""
    key = ALIASES.get(fate_version, fate_version)
    try:
        return RELEASES[key]
    except KeyError:
        known = ", ".join([*RELEASES, *ALIASES])
        raise InfraError(f"unknown FATE version {fate_version!r}; known: {known}") from None


def flow_tag(fate_version: str, *, spark: bool = False) -> str:
    """``fate-e2e/fate-flow:<version>`` (``-spark`` suffix for the Spark flavour)."""
    version = release(fate_version).version
    return f"{REPO}/fate-flow:{version}{'-spark' if spark else ''}"


def torch_tag(torch_version: str = TORCH_VERSION) -> str:
    """The shared python + torch layer image every flow image starts from."""
    return f"{REPO}/fate-torch:{torch_version}"


def venv_tag(fate_version: str) -> str:
    """The torch layer plus one release's venv (the flow image without its entry script)."""
    return f"{REPO}/fate-venv:{release(fate_version).version}"


PYTHON_BASE_TAG: Final = f"{REPO}/fate-python:{DEBIAN_SUITE}"


@dataclass(frozen=True)
class ImageSet:
    """Tags of every image one FATE deployment needs (all in the private daemon)."""

    fate_version: str
    flow: str
    mariadb: str
    rabbitmq: str
    nginx: str
    zookeeper: str
    flow_spark: str | None = None
    ids: dict[str, str] = field(default_factory=dict, compare=False)

    def tags(self) -> dict[str, str]:
        """Role -> tag for every image in the set."""
        out = {"flow": self.flow, "mariadb": self.mariadb, "rabbitmq": self.rabbitmq,
               "nginx": self.nginx, "zookeeper": self.zookeeper}
        if self.flow_spark:
            out["flow_spark"] = self.flow_spark
        return out


def image_set(fate_version: str, *, spark: bool = False) -> ImageSet:
    """The tags for ``fate_version`` (names only: nothing is built or checked)."""
    rel = release(fate_version)
    return ImageSet(
        fate_version=rel.version, flow=flow_tag(rel.version),
        mariadb=SERVICES["mariadb"].tag, rabbitmq=SERVICES["rabbitmq"].tag,
        nginx=SERVICES["nginx"].tag, zookeeper=SERVICES["zookeeper"].tag,
        flow_spark=flow_tag(rel.version, spark=True) if spark else None,
    )
