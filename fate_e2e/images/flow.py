"""The FATE flow image: python base -> shared torch layer -> one venv layer per release.

Layout inside the image (see docs/images.md): venv /opt/fate/venv (owned by ``fate``,
uid 1000), entry script /opt/fate/bin/run-flow, pristine conf /opt/fate/conf.default,
live conf /opt/fate/conf, home (data, jobs, logs, model, upload, sqlite) /data/fate_flow.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from fate_e2e.cache import key_digest
from fate_e2e.images import catalog
from fate_e2e.images.catalog import FateRelease
from fate_e2e.images.debian import debian_image
from fate_e2e.images.layers import Built, commit_layer, image_id, image_size
from fate_e2e.images.wheelhouse import release_wheelhouse, torch_wheelhouse
from fate_e2e.lab.docker import DockerDaemon
from fate_e2e.paths import cache_dir

VENV = "/opt/fate/venv"
FLOW_HOME = "/data/fate_flow"
RUN_UID = 1000
PYTHON_PACKAGES = ("python3", "python3-venv", "lsof", "procps", "tini")
# Bump when the scripts below change in a way their text does not show.
FORMAT = 1

BASE_SETUP = f"""\
groupadd --gid {RUN_UID} fate
useradd --uid {RUN_UID} --gid {RUN_UID} --home-dir /home/fate --create-home --shell /bin/bash fate
install -d -o {RUN_UID} -g {RUN_UID} /opt/fate /opt/fate/bin /opt/fate/conf {FLOW_HOME}
"""
PATH_ENV = (f"PATH={VENV}/bin:/opt/fate/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
            ":/sbin:/bin")
VENV_SIZE = f"echo fate-e2e-fact venv_bytes $(du -sb {VENV} | cut -f1)"


def python_base(daemon: DockerDaemon) -> Built:
    """Debian bookworm + python3 (3.11), venv, lsof, procps, tini and the ``fate`` user."""
    started = time.monotonic()
    before = image_id(daemon, catalog.PYTHON_BASE_TAG)
    found = debian_image(catalog.PYTHON_BASE_TAG, PYTHON_PACKAGES, suite=catalog.DEBIAN_SUITE,
                         setup=BASE_SETUP, changes=["ENV LANG=C.UTF-8", f"ENV {PATH_ENV}"])
    return Built(catalog.PYTHON_BASE_TAG, found, image_size(daemon, found),
                 round(time.monotonic() - started, 1), before == found, {})


def torch_image(daemon: DockerDaemon, torch_version: str = catalog.TORCH_VERSION) -> Built:
    """The venv with torch (and its CUDA runtime wheels) only: shared by every release."""
    base = python_base(daemon)
    wheels = torch_wheelhouse(torch_version)
    script = "\n".join([
        f"python3 -m venv {VENV}",
        f"{VENV}/bin/pip install --no-index --find-links /wheels/torch "
        f"'torch=={torch_version}' '{catalog.SETUPTOOLS_PIN}'",
        VENV_SIZE,
    ])
    key = {"base": base.image_id, "wheels": wheels.facts.get("wheel_files"), "script": script,
           "format": FORMAT}
    return commit_layer(daemon, base=base.tag, tag=catalog.torch_tag(torch_version), key=key,
                        script=script, mounts={wheels.path: "/wheels/torch"},
                        user=f"{RUN_UID}:{RUN_UID}", changes=["USER root"])


def entry_stage(rel: FateRelease) -> Path:
    """A host dir holding run-flow (with the venv shebang), bind-mounted into the build."""
    stage = cache_dir() / "images" / f"stage-{rel.version}"
    stage.mkdir(parents=True, exist_ok=True)
    source = (Path(__file__).parent / "entry" / "run_flow.py").read_text()
    target = stage / "run-flow"
    target.write_text(f"#!{VENV}/bin/python\n{source}")
    target.chmod(0o755)
    return stage


def flow_changes(rel: FateRelease, *, spark: bool) -> list[str]:
    """Image config: env, ports, entrypoint, labels; runs as root until run-flow drops."""
    return [
        "USER root", f"ENV {PATH_ENV}", "ENV LANG=C.UTF-8", f"ENV FATE_FLOW_HOME={FLOW_HOME}",
        "ENV PYTHONUNBUFFERED=1", f"WORKDIR {FLOW_HOME}", "EXPOSE 9380 9360",
        'ENTRYPOINT ["/usr/bin/tini", "--"]', 'CMD ["/opt/fate/bin/run-flow"]',
        f"LABEL fate-e2e.fate-version={rel.version}",
        f"LABEL fate-e2e.pyfate={rel.pyfate} fate-e2e.fate-flow={rel.fate_flow}"
        f" fate-e2e.fate-client={rel.fate_client} fate-e2e.torch={rel.torch}"
        f" fate-e2e.spark={'yes' if spark else 'no'}",
    ]


def venv_script(rel: FateRelease) -> str:
    """Install the release's packages offline into the torch venv; keep the pristine conf."""
    pip = f"{VENV}/bin/pip install --no-index --find-links /wheels/torch --find-links /wheels/fate"
    site = f"{VENV}/lib/python{catalog.PYTHON_VERSION}/site-packages"
    return "\n".join([
        f"{pip} -r /wheels/fate/requirements.txt",
        f"{pip} --no-deps 'fate-flow=={rel.fate_flow}'",
        f"{VENV}/bin/pip check || echo 'pip check: conflicts above are expected (fate-flow pins)'",
        f"mkdir -p /opt/fate/conf.default && cp -r {site}/fate_flow/conf/. /opt/fate/conf.default/",
        f"{VENV}/bin/python -c 'import torch, fate.arch, fate_client, fate_flow'",
        VENV_SIZE,
    ])


def venv_image(daemon: DockerDaemon, rel: FateRelease) -> Built:
    """``fate-e2e/fate-venv:<version>``: torch layer + the release's venv (no entry script)."""
    torch = torch_image(daemon, rel.torch)
    wheels = release_wheelhouse(rel)
    script = venv_script(rel)
    key = {"base": torch.image_id, "wheels": wheels.facts.get("wheel_files"), "script": script,
           "format": FORMAT}
    mounts = {torch_wheelhouse(rel.torch).path: "/wheels/torch", wheels.path: "/wheels/fate"}
    return commit_layer(daemon, base=torch.tag, tag=catalog.venv_tag(rel.version), key=key,
                        script=script, mounts=mounts, user=f"{RUN_UID}:{RUN_UID}",
                        changes=["USER root"])


def flow_image(daemon: DockerDaemon, rel: FateRelease) -> Built:
    """``fate-e2e/fate-flow:<version>``: the venv image + run-flow and the image config.

    Its seconds cover every layer below it (wheelhouses, torch, venv); reused only if all were.
    """
    started = time.monotonic()
    venv = venv_image(daemon, rel)
    stage = entry_stage(rel)
    script = "install -m 0755 /stage/run-flow /opt/fate/bin/run-flow"
    changes = flow_changes(rel, spark=False)
    key = {"base": venv.image_id, "script": script, "changes": changes,
           "entry": key_digest({"run-flow": (stage / "run-flow").read_text()}),
           "format": FORMAT}
    built = commit_layer(daemon, base=venv.tag, tag=catalog.flow_tag(rel.version), key=key,
                         script=script, mounts={stage: "/stage"}, changes=changes)
    venv_bytes = venv.facts.get("venv_bytes")
    return replace(built, seconds=round(time.monotonic() - started, 1),
                   reused=built.reused and venv.reused,
                   facts={**built.facts, "venv_bytes": venv_bytes,
                          "venv_layer_seconds": venv.seconds, "venv_layer_reused": venv.reused})
