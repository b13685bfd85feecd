"""Wheelhouses built on the host (gcc here, none in images), cached per FATE version.

``<cache>/wheelhouse/torch-<v>/`` holds torch and its CUDA deps (shared by every release);
``<cache>/wheelhouse/<fate version>[-spark]/`` holds the rest plus ``requirements.txt``
(what to install) and the fate-flow wheel, installed with ``--no-deps``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fate_e2e import proc
from fate_e2e.cache import Stamp
from fate_e2e.errors import InfraError
from fate_e2e.images.catalog import (
    PYTHON_VERSION,
    SETUPTOOLS_PIN,
    SPARK_REQUIREMENTS,
    FateRelease,
)
from fate_e2e.paths import cache_dir

# Bump when the way wheelhouses are made changes.
FORMAT = 1
PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
           "PIP_PROGRESS_BAR": "off"}
REQUIREMENTS_FILE = "requirements.txt"


@dataclass(frozen=True)
class Wheelhouse:
    """A built wheelhouse: its dir, what to install from it, and its stamp facts."""

    path: Path
    requirements: Path
    facts: dict[str, object]


def wheelhouse_root() -> Path:
    path = cache_dir() / "wheelhouse"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """Serialise one wheelhouse build across processes."""
    with (wheelhouse_root() / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def host_python() -> str:
    """A Python 3.11 on the host, so built wheels match Debian bookworm's python3."""
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == PYTHON_VERSION:
        return sys.executable
    found = shutil.which(f"python{PYTHON_VERSION}")
    if found is None:
        raise InfraError(f"python{PYTHON_VERSION} is needed on the host to build cp311 wheels")
    return found


def dir_size(path: Path) -> int:
    """Total bytes of the regular files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _pip(args: list[str], *, what: str, log: Path) -> str:
    return proc.run([host_python(), "-m", "pip", *args], what=what, env=PIP_ENV,
                    timeout=3600, log=log)


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def torch_wheelhouse(torch_version: str) -> Wheelhouse:
    """torch==<v>, its CUDA runtime wheels and setuptools: built once, shared by releases."""
    name = f"torch-{torch_version}"
    key = {"torch": torch_version, "setuptools": SETUPTOOLS_PIN, "python": PYTHON_VERSION,
           "format": FORMAT}
    return _build(name, key, [f"torch=={torch_version}", SETUPTOOLS_PIN], find_links=[],
                  extra_download=None)


def release_wheelhouse(rel: FateRelease) -> Wheelhouse:
    """Everything ``rel`` needs except the torch wheelhouse's files; fate-flow added no-deps."""
    torch = torch_wheelhouse(rel.torch)
    reqs = rel.requirements()
    key = {"release": rel.version, "pyfate": rel.pyfate, "fate_flow": rel.fate_flow,
           "fate_client": rel.fate_client, "requirements": reqs, "torch": rel.torch,
           "python": PYTHON_VERSION, "format": FORMAT}
    return _build(rel.version, key, reqs, find_links=[torch.path],
                  extra_download=f"fate-flow=={rel.fate_flow}")


def spark_wheelhouse(rel: FateRelease) -> Wheelhouse:
    """pyspark (built from its sdist) + pyarrow, resolved against the release's numpy."""
    base = release_wheelhouse(rel)
    torch = torch_wheelhouse(rel.torch)
    reqs = [*SPARK_REQUIREMENTS, *pinned(base.path, "numpy")]
    key = {"release": rel.version, "requirements": reqs, "base": base.facts.get("wheel_files"),
           "python": PYTHON_VERSION, "format": FORMAT}
    return _build(f"{rel.version}-spark", key, reqs, find_links=[torch.path, base.path],
                  extra_download=None)


def pinned(wheel_dir: Path, *names: str) -> list[str]:
    """``name==version`` for each named project that has a wheel in ``wheel_dir``."""
    pins = []
    for wheel in sorted(wheel_dir.glob("*.whl")):
        project, version = wheel.name.split("-")[:2]
        if project.lower().replace("_", "-") in names:
            pins.append(f"{project}=={version}")
    return pins


def _build(name: str, key: dict[str, object], reqs: list[str], *, find_links: list[Path],
           extra_download: str | None) -> Wheelhouse:
    root = wheelhouse_root()
    final = root / name
    stamp = Stamp(f"wheelhouse-{name}", key)
    with locked(name):
        if stamp.done() and (final / REQUIREMENTS_FILE).is_file():
            return Wheelhouse(final, final / REQUIREMENTS_FILE, {**stamp.info(), "reused": True})
        work = _fresh(root / f".build-{name}")
        log = work / "pip.log"
        (work / REQUIREMENTS_FILE).write_text("".join(f"{r}\n" for r in reqs))
        started = time.monotonic()
        links = [arg for p in find_links for arg in ("--find-links", str(p))]
        _pip(["wheel", "--wheel-dir", str(work), *links, "-r", str(work / REQUIREMENTS_FILE)],
             what=f"pip wheel ({name})", log=log)
        if extra_download:
            _pip(["download", "--no-deps", "--dest", str(work), extra_download],
                 what=f"pip download {extra_download}", log=log)
        shared = {f.name for p in find_links for f in p.glob("*.whl")}
        for wheel in work.glob("*.whl"):
            if wheel.name in shared:
                wheel.unlink()
        seconds = round(time.monotonic() - started, 1)
        wheels = sorted(w.name for w in work.glob("*.whl"))
        log.unlink()
        if final.exists():
            shutil.rmtree(final)
        os.replace(work, final)
        stamp.mark(seconds=seconds, bytes=dir_size(final), wheels=len(wheels),
                   wheel_files=wheels, path=str(final),
                   source_built=[w for w in wheels if w.endswith("-linux_x86_64.whl")])
    return Wheelhouse(final, final / REQUIREMENTS_FILE, {**stamp.info(), "reused": False})
