"""Service images from Debian packages: RabbitMQ, MariaDB, nginx, ZooKeeper.

Each is a debootstrap rootfs (debian_image) plus our entry script from ``entry/``; none
bakes a user, password or Erlang cookie: credentials come from env at start.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

from fate_e2e.images import catalog
from fate_e2e.images.catalog import ServiceImage
from fate_e2e.images.debian import debian_image
from fate_e2e.images.layers import Built, image_id, image_size
from fate_e2e.lab.docker import DockerDaemon

ENTRY_DIR = Path(__file__).parent / "entry"
TINI = '["/usr/bin/tini", "--"]'


def install_file(source: str, target: str, mode: str = "0755") -> str:
    """Shell lines that write ``entry/<source>`` to ``target`` inside the rootfs."""
    data = base64.b64encode((ENTRY_DIR / source).read_bytes()).decode()
    return f"echo '{data}' | base64 -d > {target}\nchmod {mode} {target}\n"


def version_check(svc: ServiceImage) -> str:
    """Fail the build when Debian's package left the series the tag promises."""
    return (f'v=$(dpkg-query -W -f \'${{Version}}\' {svc.package})\n'
            f'case "${{v#*:}}" in {svc.series}.*) ;; *) echo "{svc.package} is $v, '
            f'not {svc.series}.x" >&2; exit 1;; esac\n'
            f'echo "$v" > /etc/fate-e2e-{svc.name}-version\n')


def rabbitmq_setup(svc: ServiceImage) -> str:
    return (version_check(svc)
            + "echo '[rabbitmq_management,rabbitmq_federation,"
              "rabbitmq_federation_management].' > /etc/rabbitmq/enabled_plugins\n"
            + "rm -rf /var/lib/rabbitmq/mnesia /var/lib/rabbitmq/.erlang.cookie"
              " /var/log/rabbitmq/*\n"
            + install_file("run-rabbitmq.sh", "/usr/local/bin/run-rabbitmq"))


def mariadb_setup(svc: ServiceImage) -> str:
    return (version_check(svc)
            + "rm -rf /var/lib/mysql/* /var/log/mysql/*\n"
            + install_file("run-mariadb.sh", "/usr/local/bin/run-mariadb"))


def nginx_setup(svc: ServiceImage) -> str:
    return (version_check(svc)
            + "rm -f /etc/nginx/sites-enabled/default\n"
            + "ln -sf /dev/stdout /var/log/nginx/access.log\n"
            + "ln -sf /dev/stderr /var/log/nginx/error.log\n")


def zookeeper_setup(svc: ServiceImage) -> str:
    return (version_check(svc)
            + "adduser --system --group --home /var/lib/zookeeper --no-create-home zookeeper\n"
            + "install -d -o zookeeper -g zookeeper /var/lib/zookeeper /var/log/zookeeper\n"
            + "mkdir -p /etc/zookeeper\n"
            + install_file("zk-log4j.conf", "/etc/zookeeper/log4j.properties", "0644")
            + install_file("run-zookeeper.sh", "/usr/local/bin/run-zookeeper")
            + install_file("zkcli.sh", "/usr/local/bin/zkcli")
            + "ln -s zkcli /usr/local/bin/zkCli.sh\n")


SPECS = {
    "rabbitmq": (("rabbitmq-server", "tini"), rabbitmq_setup,
                 [f"ENTRYPOINT {TINI}", 'CMD ["/usr/local/bin/run-rabbitmq"]',
                  "EXPOSE 5672 15672", "ENV LANG=C.UTF-8"]),
    "mariadb": (("mariadb-server", "tini"), mariadb_setup,
                [f"ENTRYPOINT {TINI}", 'CMD ["/usr/local/bin/run-mariadb"]', "EXPOSE 3306"]),
    "nginx": (("nginx", "tini"), nginx_setup,
              [f"ENTRYPOINT {TINI}", 'CMD ["nginx", "-g", "daemon off;"]', "EXPOSE 80"]),
    # Debian's `zookeeper` package drags in the full default-jre (X11 libs); its jar package
    # with the headless JRE is the same ZooKeeper, started by our own script.
    "zookeeper": (("libzookeeper-java", "openjdk-17-jre-headless", "adduser", "tini"),
                  zookeeper_setup,
                  [f"ENTRYPOINT {TINI}", 'CMD ["/usr/local/bin/run-zookeeper"]',
                   "EXPOSE 2181 2888 3888"]),
}


def service_image(daemon: DockerDaemon, name: str) -> Built:
    """Build (or reuse) one service image; says whether it was reused."""
    svc = catalog.SERVICES[name]
    packages, setup, changes = SPECS[name]
    started = time.monotonic()
    before = image_id(daemon, svc.tag)
    found = debian_image(svc.tag, packages, suite=catalog.DEBIAN_SUITE, setup=setup(svc),
                         changes=[*changes, f"LABEL fate-e2e.service={name}"])
    seconds = round(time.monotonic() - started, 1)
    return Built(svc.tag, found, image_size(daemon, found), seconds, before == found,
                 {"package": svc.package})
