"""Assemble the component images and the kind node image in the private daemon.

Component images are ``FROM scratch`` + a static binary (kube-proxy and the CNI agent: a small
Debian base). The node starts from a debootstrapped bookworm base with containerd, runc and the
CNI plugins from Debian; the component images are imported into its containerd content store
(``ctr images import --no-unpack``, pinned) and the container is committed as the node image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fate_e2e.cache import key_digest
from fate_e2e.errors import CommandError, InfraError
from fate_e2e.images.debian import debian_image
from fate_e2e.lab import nodefiles
from fate_e2e.lab import versions as v
from fate_e2e.lab.docker import DockerDaemon
from fate_e2e.lab.dockerbuild import DIGEST_LABEL, build_image, image_id, image_label
from fate_e2e.lab.gobuild import lab_dir, module_dir
from fate_e2e.lab.stages import StageResult, say
from fate_e2e.waits import NotYet, wait_until

K8S_DEBIAN_BASE = f"fate-e2e/k8s-debian-base:{v.DEBIAN_SUITE}"
NODE_BASE = f"fate-e2e/kind-node-base:{v.DEBIAN_SUITE}"
NODE_STAGE = f"fate-e2e/kind-node-stage:{v.KUBERNETES_VERSION}"
BUILD_CONTAINER = "fate-e2e-node-build"
# --no-unpack: no overlay-on-overlay at build time (unpacked when the node first runs them);
# --compress-blobs: store gzip layers, the node's /var (copied per node) shrinks accordingly.
IMPORT_FLAGS = ("--all-platforms", "--no-unpack", "--digests", "--compress-blobs")
PATH_ENV = "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"


@dataclass(frozen=True)
class Binaries:
    """Paths of every binary the node and its images need."""

    kubernetes: Path  # directory holding the 7 Kubernetes binaries
    etcd: Path
    coredns: Path
    pause: Path
    crictl: Path

    def k8s(self, name: str) -> Path:
        return self.kubernetes / name


def _scratch_dockerfile(dest: str, entrypoint: bool) -> str:
    name = Path(dest).name
    lines = ["FROM scratch", f"COPY {name} {dest}", PATH_ENV]
    if entrypoint:
        lines.append(f'ENTRYPOINT ["{dest}"]')
    return "\n".join(lines)


def build_component_images(daemon: DockerDaemon, bins: Binaries) -> dict[str, Any]:
    """Tag every image the node needs; return {ref: image id} and what was rebuilt."""
    refs = v.component_images()
    ids: dict[str, str] = {}
    built: list[str] = []

    def _record(ref: str, result: tuple[str, bool]) -> None:
        ids[ref] = result[0]
        if result[1]:
            built.append(ref)

    scratch = {
        "kube-apiserver": ("/usr/local/bin/kube-apiserver", bins.k8s("kube-apiserver"), False),
        "kube-controller-manager": ("/usr/local/bin/kube-controller-manager",
                                    bins.k8s("kube-controller-manager"), False),
        "kube-scheduler": ("/usr/local/bin/kube-scheduler", bins.k8s("kube-scheduler"), False),
        "etcd": ("/usr/local/bin/etcd", bins.etcd, False),
        "coredns": ("/coredns", bins.coredns, True),
        "pause": ("/pause", bins.pause, True),
    }
    for name, (dest, src, entry) in scratch.items():
        _record(refs[name], build_image(daemon, refs[name], _scratch_dockerfile(dest, entry),
                                        {Path(dest).name: src}))
    base_id = debian_image(K8S_DEBIAN_BASE, nodefiles.K8S_DEBIAN_PACKAGES, suite=v.DEBIAN_SUITE)
    _record(refs["kube-proxy"], build_image(
        daemon, refs["kube-proxy"],
        f"FROM {K8S_DEBIAN_BASE}\nCOPY kube-proxy /usr/local/bin/kube-proxy\n{PATH_ENV}",
        {"kube-proxy": bins.k8s("kube-proxy")}, base_id=base_id))
    _record(nodefiles.CNI_AGENT_IMAGE, build_image(
        daemon, nodefiles.CNI_AGENT_IMAGE,
        f"FROM {K8S_DEBIAN_BASE}\nCOPY kubectl fate-e2e-cni-agent /usr/local/bin/\n{PATH_ENV}\n"
        'ENTRYPOINT ["/usr/local/bin/fate-e2e-cni-agent"]',
        {"kubectl": bins.k8s("kubectl"), "fate-e2e-cni-agent": nodefiles.CNI_AGENT},
        base_id=base_id))
    return {"ids": ids, "built": built}


def kind_entrypoint() -> str:
    """kind's node entrypoint script, read from the kind module (Go proxy), not from GitHub."""
    path = module_dir(v.KIND_MODULE, v.KIND_VERSION) / "images/base/files/usr/local/bin/entrypoint"
    if not path.is_file():
        raise InfraError(f"kind module has no {path}")
    return path.read_text()


def build_node_base(daemon: DockerDaemon) -> str:
    """The bookworm node base: systemd, containerd, runc, CNI plugins, baked config."""
    return debian_image(
        NODE_BASE, nodefiles.NODE_PACKAGES, suite=v.DEBIAN_SUITE,
        setup=nodefiles.node_setup_script(kind_entrypoint()),
        changes=["ENV container=docker",
                 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'])


def _stage_files(bins: Binaries) -> dict[str, Path | str]:
    files: dict[str, Path | str] = {name: bins.k8s(name)
                                    for name in ("kubeadm", "kubelet", "kubectl")}
    files["crictl"] = bins.crictl
    for rel, text in nodefiles.kind_dir_files().items():
        files[f"kind/{rel}"] = text
    return files


def _save_images(daemon: DockerDaemon, ids: dict[str, str]) -> Path:
    """One `docker save` archive of every component image (deleted after assembly)."""
    archive = lab_dir("node") / f"images-{key_digest(ids)}.tar"
    tmp = archive.with_suffix(".tmp")
    daemon.docker("save", "-o", str(tmp), *sorted(ids), what="docker save component images",
                  timeout=1800)
    tmp.replace(archive)
    return archive


def _remove_build_container(daemon: DockerDaemon) -> None:
    daemon.docker("rm", "-f", "-v", BUILD_CONTAINER, check=False)


def assemble_node(daemon: DockerDaemon, stage_id: str, archive: Path, refs: list[str],
                  digest: str) -> None:
    """Import the component images into the stage image's containerd and commit the node."""
    _remove_build_container(daemon)
    daemon.docker("run", "-d", "--privileged", "--network", "none", "--name", BUILD_CONTAINER,
                  "--entrypoint", "/bin/sleep", stage_id, "infinity")
    try:
        daemon.docker("exec", "-d", BUILD_CONTAINER, "sh", "-c",
                      "containerd >/tmp/containerd.log 2>&1")

        def _ctr_up() -> None:
            try:
                daemon.docker("exec", BUILD_CONTAINER, "ctr", "version")
            except CommandError as exc:
                raise NotYet(exc.tail.splitlines()[-1] if exc.tail else "no answer") from exc

        wait_until("containerd in the node build container", _ctr_up, timeout=60, interval=1)
        daemon.docker("cp", str(archive), f"{BUILD_CONTAINER}:/images.tar")
        daemon.docker("exec", BUILD_CONTAINER, "ctr", "--namespace=k8s.io", "images", "import",
                      *IMPORT_FLAGS, "/images.tar",
                      what="importing component images into the node", timeout=1800)
        listed = daemon.docker("exec", BUILD_CONTAINER, "ctr", "--namespace=k8s.io", "images",
                               "list", "-q").split()
        missing = [r for r in refs if r not in listed and f"docker.io/{r}" not in listed]
        if missing:
            raise InfraError(f"node build: images missing after import: {missing}")
        for ref in refs:  # pinned: the kubelet's image GC never removes them
            name = ref if ref in listed else f"docker.io/{ref}"
            daemon.docker("exec", BUILD_CONTAINER, "ctr", "--namespace=k8s.io", "images",
                          "label", name, "io.cri-containerd.pinned=pinned")
        daemon.docker("exec", BUILD_CONTAINER, "sh", "-c",
                      "rm -f /images.tar; pkill containerd; while pgrep -x containerd >/dev/null;"
                      " do sleep 0.2; done; rm -rf /tmp/* /run/containerd", timeout=120)
        daemon.docker("commit",
                      "--change", 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
                      "--change", 'CMD []',
                      "--change", f"LABEL {DIGEST_LABEL}={digest}",
                      BUILD_CONTAINER, v.node_image(), what=f"docker commit {v.node_image()}",
                      timeout=1800)
    finally:
        _remove_build_container(daemon)


def build_node_image(daemon: DockerDaemon, bins: Binaries) -> StageResult:
    """Build (or reuse) fate-e2e/kind-node:<kubernetes version>."""
    started = time.monotonic()
    say("node-image: checking component images and node layers")
    components = build_component_images(daemon, bins)
    base_id = build_node_base(daemon)
    stage_id, _ = build_image(daemon, NODE_STAGE, f"FROM {NODE_BASE}\nSTOPSIGNAL SIGRTMIN+3\n"
                              "COPY kubeadm kubelet kubectl /usr/bin/\n"
                              "COPY crictl /usr/local/bin/\nCOPY kind/ /kind/",
                              _stage_files(bins), base_id=base_id)
    ids: dict[str, str] = components["ids"]
    digest = key_digest({"stage": stage_id, "images": ids, "import": IMPORT_FLAGS})
    if image_label(daemon, v.node_image()) == digest:
        seconds = time.monotonic() - started
        say(f"node-image: {v.node_image()} up to date, nothing rebuilt")
        return StageResult("node-image", True, seconds, node_image_facts(daemon))
    archive = _save_images(daemon, ids)
    try:
        assemble_node(daemon, stage_id, archive, sorted(ids), digest)
    finally:
        archive.unlink(missing_ok=True)
    # drop superseded lab-built images (untagged ones carrying our digest label)
    daemon.docker("image", "prune", "-f", "--filter", f"label={DIGEST_LABEL}", check=False)
    seconds = round(time.monotonic() - started, 1)
    facts = {**node_image_facts(daemon), "seconds": seconds,
             "rebuilt_components": components["built"]}
    say(f"node-image: built {v.node_image()} in {seconds}s")
    return StageResult("node-image", False, seconds, facts)


def node_image_facts(daemon: DockerDaemon) -> dict[str, Any]:
    """Id and size of the node image."""
    out = daemon.docker("image", "inspect", "--format", "{{.Id}} {{.Size}}", v.node_image())
    ident, size = out.split()
    return {"image": v.node_image(), "id": ident, "size": int(size)}


def node_image_present(daemon: DockerDaemon) -> bool:
    try:
        image_id(daemon, v.node_image())
    except CommandError:
        return False
    return True
