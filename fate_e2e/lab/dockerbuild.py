"""`docker build` of small images in the private daemon, skipped when the digest label matches."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from fate_e2e.cache import key_digest
from fate_e2e.errors import CommandError
from fate_e2e.lab.docker import DockerDaemon
from fate_e2e.paths import cache_dir

DIGEST_LABEL = "fate-e2e.digest"


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def image_label(daemon: DockerDaemon, ref: str, label: str = DIGEST_LABEL) -> str | None:
    """A label of image ``ref``; None when the image does not exist."""
    try:
        out = daemon.docker("image", "inspect", "--format",
                            f'{{{{index .Config.Labels "{label}"}}}}', ref)
    except CommandError:
        return None
    return out.strip()


def image_id(daemon: DockerDaemon, ref: str) -> str:
    return daemon.docker("image", "inspect", "--format", "{{.Id}}", ref).strip()


def context_digest(dockerfile: str, files: Mapping[str, Path | str]) -> str:
    """Digest of a build: the Dockerfile plus each context file's name and content."""
    parts: dict[str, str] = {"Dockerfile": dockerfile}
    for name, src in sorted(files.items()):
        parts[name] = file_digest(src) if isinstance(src, Path) else \
            hashlib.sha256(src.encode()).hexdigest()
    return key_digest(parts)


def _populate(ctx: Path, files: Mapping[str, Path | str]) -> None:
    for name, src in files.items():
        dest = ctx / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, Path):
            try:
                os.link(src, dest)
            except OSError:
                shutil.copy2(src, dest)
            continue
        dest.write_text(src)
        if src.startswith("#!"):
            dest.chmod(0o755)


def build_image(daemon: DockerDaemon, tag: str, dockerfile: str,
                files: Mapping[str, Path | str], *, base_id: str = "") -> tuple[str, bool]:
    """Build ``tag`` from ``dockerfile`` and context ``files`` (name -> path or text).

    Returns (image id, built?); nothing is built when the tag carries the same digest.
    ``base_id`` (the FROM image id) joins the digest so a rebuilt base rebuilds this image.
    """
    digest = key_digest({"ctx": context_digest(dockerfile, files), "base": base_id})
    if image_label(daemon, tag) == digest:
        return image_id(daemon, tag), False
    scratch = cache_dir() / "lab" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        ctx = Path(tmp)
        _populate(ctx, files)
        (ctx / "Dockerfile").write_text(dockerfile + f"\nLABEL {DIGEST_LABEL}={digest}\n")
        daemon.docker("build", "--network", "none", "--pull=false", "-t", tag, str(ctx),
                      what=f"docker build {tag}", timeout=1800,
                      env={"DOCKER_BUILDKIT": "0"})
    return image_id(daemon, tag), True
