"""Debian images without a registry: debootstrap a rootfs, cache it as a tarball, docker import.

A base rootfs per (suite, variant, mirror) is cached once; each image extracts it, installs its
packages with apt in a chroot, runs its optional ``setup`` script, drops apt caches and docs and
is cached as ``<cache>/debian/rootfs-<digest>.tar.gz`` before ``docker import``.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from fate_e2e import proc
from fate_e2e.cache import Stamp, key_digest
from fate_e2e.errors import InfraError
from fate_e2e.lab.docker import ensure_daemon
from fate_e2e.lab.dockerbuild import DIGEST_LABEL, image_label
from fate_e2e.paths import cache_dir

# Bump when the way rootfs tarballs are made changes (invalidates every cached tarball).
FORMAT = 1
DEFAULT_MIRROR = "http://deb.debian.org/debian"
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8",
           "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
CLEANUP = ("rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb"
           " /usr/share/doc/* /usr/share/man/* /usr/share/info/* /var/log/apt/* /var/log/*.log"
           " /var/cache/debconf/*-old /tmp/* /usr/sbin/policy-rc.d; : > /etc/resolv.conf")


def debian_mirror(sources: Sequence[Path] = (Path("/etc/apt/sources.list"),
                                             Path("/etc/apt/sources.list.d"))) -> str:
    """The Debian mirror apt uses on this machine (deb.debian.org unless configured else)."""
    files: list[Path] = []
    for src in sources:
        files += sorted(src.glob("*")) if src.is_dir() else [src] if src.is_file() else []
    for file in files:
        for line in file.read_text(errors="replace").splitlines():
            words = line.split()
            urls = words[1:] if words[:1] == ["URIs:"] else \
                [w for w in words[1:] if "://" in w] if words[:1] == ["deb"] else []
            for url in urls:
                if url.rstrip("/").endswith("/debian"):
                    return url.rstrip("/")
    return DEFAULT_MIRROR


def debian_dir() -> Path:
    path = cache_dir() / "debian"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """Serialise builds of one artifact across processes."""
    with (debian_dir() / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _pack(root: Path, tarball: Path) -> None:
    tmp = tarball.with_name(tarball.name + ".tmp")
    proc.run(["tar", "--numeric-owner", "--use-compress-program=gzip -1", "-C", str(root),
              "-cf", str(tmp), "."], what=f"packing {tarball.name}", timeout=1800)
    tmp.replace(tarball)


def _in_chroot(root: Path, script: str, *, what: str, timeout: float) -> None:
    """Run ``script`` with sh -e inside ``root`` (own mount namespace, /proc mounted)."""
    inner = 'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -ec "$2"'
    proc.run(["unshare", "--mount", "--propagation", "private", "sh", "-ec", inner, "sh",
              str(root), script], what=what, env=APT_ENV, timeout=timeout)


def base_rootfs(suite: str, variant: str) -> Path:
    """A debootstrapped rootfs tarball for (suite, variant), built once."""
    mirror = debian_mirror()
    key = {"suite": suite, "variant": variant, "mirror": mirror, "format": FORMAT}
    digest = key_digest(key)
    tarball = debian_dir() / f"base-{suite}-{variant}-{digest}.tar.gz"
    stamp = Stamp(f"debian-base-{suite}-{variant}", key)
    with _locked(f"base-{digest}"):
        if stamp.done() and tarball.is_file():
            return tarball
        if shutil.which("debootstrap") is None:
            proc.run(["apt-get", "install", "-y", "debootstrap"],
                     what="apt-get install debootstrap",
                     env={"DEBIAN_FRONTEND": "noninteractive"}, timeout=600)
        root = _fresh_dir(debian_dir() / f"build-base-{digest}")
        started = time.monotonic()
        try:
            proc.run(["unshare", "--mount", "--propagation", "private", "debootstrap",
                      f"--variant={variant}", "--components=main", suite, str(root), mirror],
                     what=f"debootstrap {suite} ({variant})", env=APT_ENV, timeout=1800)
            _in_chroot(root, "apt-get clean; " + CLEANUP, what="cleaning base rootfs",
                       timeout=300)
            _pack(root, tarball)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        stamp.mark(seconds=round(time.monotonic() - started, 1), path=str(tarball),
                   size=tarball.stat().st_size)
    return tarball


def rootfs_tarball(packages: Sequence[str], *, suite: str = "bookworm",
                   variant: str = "minbase", setup: str | None = None) -> Path:
    """The cached rootfs tarball with ``packages`` installed and ``setup`` run."""
    base = base_rootfs(suite, variant)
    pkgs = sorted(set(packages))
    key = {"base": base.name, "packages": pkgs, "setup": setup or "", "format": FORMAT}
    digest = key_digest(key)
    tarball = debian_dir() / f"rootfs-{digest}.tar.gz"
    stamp = Stamp("debian-rootfs", key)
    with _locked(f"rootfs-{digest}"):
        if stamp.done() and tarball.is_file():
            return tarball
        if not pkgs and not setup:
            return base
        root = _fresh_dir(debian_dir() / f"build-rootfs-{digest}")
        started = time.monotonic()
        try:
            proc.run(["tar", "--numeric-owner", "-xzf", str(base), "-C", str(root)],
                     what="unpacking base rootfs", timeout=600)
            shutil.copyfile("/etc/resolv.conf", root / "etc" / "resolv.conf")
            (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
            (root / "usr/sbin/policy-rc.d").chmod(0o755)
            if pkgs:
                _in_chroot(root, "apt-get update -q && apt-get install -y -q "
                           "--no-install-recommends " + " ".join(pkgs),
                           what=f"apt-get install {' '.join(pkgs)}"[:100], timeout=3600)
            if setup:
                (root / "tmp" / "fate-e2e-setup.sh").write_text(setup)
                _in_chroot(root, "/bin/sh -e /tmp/fate-e2e-setup.sh", what="image setup script",
                           timeout=3600)
            _in_chroot(root, "apt-get clean; " + CLEANUP, what="cleaning rootfs", timeout=300)
            _pack(root, tarball)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        stamp.mark(seconds=round(time.monotonic() - started, 1), path=str(tarball),
                   size=tarball.stat().st_size, packages=pkgs)
    return tarball


def debian_image(tag: str, packages: Sequence[str], *, suite: str = "bookworm",
                 variant: str = "minbase", setup: str | None = None,
                 changes: Sequence[str] = ()) -> str:
    """Build (or reuse) a Debian image ``tag`` in the private daemon; return its image id."""
    daemon = ensure_daemon()
    key = {"suite": suite, "variant": variant, "packages": sorted(set(packages)),
           "setup": setup or "", "changes": list(changes), "mirror": debian_mirror(),
           "format": FORMAT}
    digest = key_digest(key)
    if image_label(daemon, tag) != digest:
        tarball = rootfs_tarball(packages, suite=suite, variant=variant, setup=setup)
        args = ["import", "--change", f"LABEL {DIGEST_LABEL}={digest}"]
        for change in changes:
            args += ["--change", change]
        daemon.docker(*args, str(tarball), tag, what=f"docker import {tag}", timeout=1800)
    image_id = daemon.docker("image", "inspect", "--format", "{{.Id}}", tag).strip()
    if not image_id:
        raise InfraError(f"image {tag} missing right after import")
    return image_id
