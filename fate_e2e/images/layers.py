"""Image layers made by running a command in a container and committing it.

The wheelhouse is bind-mounted read-only (``--network none``), so wheels never land in a
layer. A layer image carries the digest of its inputs as a label; a matching label means
"reused".
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fate_e2e.cache import Stamp, key_digest
from fate_e2e.errors import CommandError, InfraError
from fate_e2e.lab.docker import DockerDaemon
from fate_e2e.lab.dockerbuild import DIGEST_LABEL, image_label
from fate_e2e.paths import cache_dir

CONTAINER_PREFIX = "fate-e2e-build-"
# Ids of layer images whose tag moved to a new build in this process (see prune_replaced).
REPLACED: list[str] = []


@dataclass(frozen=True)
class Built:
    """One image after build_* : tag, id, size in bytes, build seconds, reused or not."""

    tag: str
    image_id: str
    size: int
    seconds: float
    reused: bool
    facts: dict[str, Any]

    def line(self) -> str:
        """One human line: tag, size, and built/reused with the time it took."""
        how = "reused" if self.reused else "built"
        return (f"{self.tag}: {how} in {self.seconds:.1f}s, {self.size / 1e6:.0f} MB,"
                f" id {self.image_id[7:19]}")


def image_id(daemon: DockerDaemon, tag: str) -> str | None:
    """The id of ``tag``, None when absent."""
    try:
        return daemon.docker("image", "inspect", "--format", "{{.Id}}", tag).strip() or None
    except CommandError:
        return None


def image_size(daemon: DockerDaemon, tag: str) -> int:
    """The image's size in bytes as `docker image inspect` reports it (all layers)."""
    return int(daemon.docker("image", "inspect", "--format", "{{.Size}}", tag).strip())


def container_name(purpose: str) -> str:
    """A unique, docker-safe container name for a build step."""
    safe = re.sub(r"[^a-zA-Z0-9_.-]+", "-", purpose).strip("-")
    return f"{CONTAINER_PREFIX}{safe}-{os.getpid()}-{time.monotonic_ns() % 10**6}"


def remove_container(daemon: DockerDaemon, name: str) -> None:
    """docker rm -f (with anonymous volumes), best effort: never masks the caller's error."""
    try:
        daemon.docker("rm", "-f", "-v", name)
    except CommandError as exc:
        if "No such container" not in exc.tail:
            print(f"[fate-e2e] could not remove container {name}: {exc.tail[-200:]}",
                  file=sys.__stderr__ or sys.stderr, flush=True)


def remove_stale_containers(daemon: DockerDaemon) -> list[str]:
    """Remove build/smoke containers left by fate-e2e processes that no longer run."""
    names = daemon.docker("ps", "-a", "--format", "{{.Names}}",
                          "--filter", f"name={CONTAINER_PREFIX}").split()
    stale = []
    for name in names:
        match = re.match(rf"{CONTAINER_PREFIX}.*-(\d+)-\d+$", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            remove_container(daemon, name)
            stale.append(name)
    return stale


def commit_layer(daemon: DockerDaemon, *, base: str, tag: str, key: dict[str, Any],
                 script: str, mounts: dict[Path, str], changes: list[str],
                 user: str = "0:0", network: str = "none", timeout: float = 3600) -> Built:
    """Run ``script`` (sh -ec) in ``base`` with ``mounts`` (ro), commit it as ``tag``.

    Reused when ``tag`` already carries the digest of ``key`` (which must include the base id).
    ``network`` stays "none" unless the script needs apt (then "host").
    """
    digest = key_digest(key)
    stamp = Stamp(f"image-{tag.replace('/', '_').replace(':', '-')}", key)
    started = time.monotonic()
    with tag_lock(tag):
        return _commit_locked(daemon, base=base, tag=tag, digest=digest, stamp=stamp,
                              started=started, script=script, mounts=mounts, changes=changes,
                              user=user, network=network, timeout=timeout)


@contextlib.contextmanager
def tag_lock(tag: str) -> Iterator[None]:
    """Serialise builds of one tag across processes (a second builder then reuses it)."""
    locks = cache_dir() / "images" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{re.sub(r'[^a-zA-Z0-9_.-]+', '_', tag)}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _commit_locked(daemon: DockerDaemon, *, base: str, tag: str, digest: str, stamp: Stamp,
                   started: float, script: str, mounts: dict[Path, str], changes: list[str],
                   user: str, network: str, timeout: float) -> Built:
    if image_label(daemon, tag) == digest:
        found = image_id(daemon, tag) or ""
        facts = stamp.info() if stamp.done() else {}
        return Built(tag, found, image_size(daemon, tag), time.monotonic() - started, True,
                     facts)
    previous = image_id(daemon, tag)
    name = container_name(tag)
    args = ["run", "--name", name, "--network", network, "--user", user, "--entrypoint", "",
            "--env", "PIP_NO_CACHE_DIR=1", "--env", "PIP_DISABLE_PIP_VERSION_CHECK=1"]
    for host_path, target in mounts.items():
        args += ["--volume", f"{host_path}:{target}:ro"]
    try:
        output = daemon.docker(*args, base, "/bin/sh", "-ec", script, what=f"building {tag}",
                               timeout=timeout)
        commit = ["commit", "--change", f"LABEL {DIGEST_LABEL}={digest}"]
        for change in changes:
            commit += ["--change", change]
        daemon.docker(*commit, name, tag, what=f"docker commit {tag}", timeout=timeout)
    finally:
        remove_container(daemon, name)
    committed = image_id(daemon, tag)
    if not committed:
        raise InfraError(f"image {tag} missing right after commit")
    if previous and previous != committed:
        REPLACED.append(previous)
    seconds = round(time.monotonic() - started, 1)
    size = image_size(daemon, tag)
    facts = {"seconds": seconds, "size": size, "id": committed, **report_facts(output)}
    stamp.mark(**facts)
    return Built(tag, committed, size, seconds, False, facts)


def report_facts(output: str) -> dict[str, Any]:
    """``fate-e2e-fact NAME VALUE`` lines a build script printed, as a dict of ints/strings."""
    facts: dict[str, Any] = {}
    for line in output.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0] == "fate-e2e-fact":
            value = parts[2].strip()
            facts[parts[1]] = int(value) if value.isdigit() else value
    return facts


def prune_replaced(daemon: DockerDaemon) -> list[str]:
    """Delete the images this process replaced (children first); keep any still in use."""
    removed: list[str] = []
    progress = True
    while progress:
        progress = False
        for old in list(reversed(REPLACED)):
            try:
                daemon.docker("rmi", old)
            except CommandError:
                continue
            REPLACED.remove(old)
            removed.append(old)
            progress = True
    return removed
