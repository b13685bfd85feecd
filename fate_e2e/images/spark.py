"""The Spark flavour of the flow image: flow image + Java 17 (Debian) + pyspark + pyarrow.

fate_flow runs ``spark-submit`` in client mode; SPARK_HOME is the pyspark package, the master
comes from ``$SPARK_CONF_DIR/spark-defaults.conf`` (mount it). The same image runs Spark
master/worker processes (``spark-class org.apache.spark.deploy.master.Master``), since
executors run pyfate code.
"""

from __future__ import annotations

from fate_e2e.images import catalog
from fate_e2e.images.catalog import FateRelease
from fate_e2e.images.flow import FORMAT, RUN_UID, VENV, VENV_SIZE, flow_changes, flow_image
from fate_e2e.images.layers import Built, commit_layer
from fate_e2e.images.wheelhouse import release_wheelhouse, spark_wheelhouse, torch_wheelhouse
from fate_e2e.lab.docker import DockerDaemon

JAVA_PACKAGE = "openjdk-17-jre-headless"
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
SPARK_CONF_DIR = "/opt/fate/spark-conf"
APT_CLEANUP = ("rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb"
               " /usr/share/doc/* /usr/share/man/* /var/log/apt/* /var/log/dpkg.log")


def spark_script(rel: FateRelease) -> str:
    """apt-get Java (needs the network), then pip install pyspark/pyarrow offline as fate."""
    pip = (f"setpriv --reuid={RUN_UID} --regid={RUN_UID} --clear-groups {VENV}/bin/pip install"
           " --no-index --find-links /wheels/torch --find-links /wheels/fate"
           " --find-links /wheels/spark")
    pins = " ".join(f"'{r}'" for r in catalog.SPARK_REQUIREMENTS)
    return "\n".join([
        "export DEBIAN_FRONTEND=noninteractive",
        # The base rootfs drops /usr/share/man; Java's postinst needs man1 for alternatives.
        "mkdir -p /usr/share/man/man1",
        "apt-get update -q",
        f"apt-get install -y -q --no-install-recommends {JAVA_PACKAGE}",
        APT_CLEANUP,
        f"{pip} {pins}",
        f"install -d -o {RUN_UID} -g {RUN_UID} {SPARK_CONF_DIR}",
        "java -version",
        f"{VENV}/bin/python -c 'import pyspark, pyarrow; print(pyspark.__version__)'",
        VENV_SIZE,
    ])


def spark_image(daemon: DockerDaemon, rel: FateRelease) -> Built:
    """``fate-e2e/fate-flow:<version>-spark`` on top of the release's flow image."""
    flow = flow_image(daemon, rel)
    wheels = spark_wheelhouse(rel)
    script = spark_script(rel)
    changes = [*flow_changes(rel, spark=True), f"ENV JAVA_HOME={JAVA_HOME}",
               f"ENV SPARK_CONF_DIR={SPARK_CONF_DIR}", f"ENV PYSPARK_PYTHON={VENV}/bin/python"]
    key = {"base": flow.image_id, "wheels": wheels.facts.get("wheel_files"), "script": script,
           "changes": changes, "format": FORMAT}
    mounts = {torch_wheelhouse(rel.torch).path: "/wheels/torch",
              release_wheelhouse(rel).path: "/wheels/fate", wheels.path: "/wheels/spark"}
    return commit_layer(daemon, base=flow.tag, tag=catalog.flow_tag(rel.version, spark=True),
                        key=key, script=script, mounts=mounts, network="host", changes=changes)
