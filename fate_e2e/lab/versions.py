"""Every version the lab builds, pinned in one place."""

from __future__ import annotations

from typing import Final

# kind CLI (Go module). v0.32+ moved its node base to trixie, whose systemd does not
# boot on cgroup v1 here; we only take the CLI and its base-image files from v0.30.0.
KIND_MODULE: Final = "sigs.k8s.io/kind"
KIND_VERSION: Final = "v0.30.0"

# Kubernetes (k8s.io/kubernetes + its staging modules at v0.<minor>.<patch>).
KUBERNETES_VERSION: Final = "v1.34.4"
KUBERNETES_STAGING_VERSION: Final = "v0.34.4"
KUBERNETES_BINARIES: Final = (
    "kubeadm", "kubelet", "kubectl", "kube-apiserver", "kube-controller-manager",
    "kube-scheduler", "kube-proxy",
)

# What `kubeadm config images list --kubernetes-version v1.34.4` prints.
ETCD_VERSION: Final = "v3.6.5"
ETCD_IMAGE_TAG: Final = "3.6.5-0"
COREDNS_VERSION: Final = "v1.12.1"
PAUSE_IMAGE_TAG: Final = "3.10.1"
# crictl in the node (kind load docker-image asks it whether an image is present).
CRICTL_VERSION: Final = "v1.34.0"
IMAGE_REGISTRY: Final = "registry.k8s.io"

# Node base and component base images (debootstrap).
DEBIAN_SUITE: Final = "bookworm"

# Tag of the assembled kind node image.
NODE_IMAGE_REPO: Final = "fate-e2e/kind-node"

# Go build flags shared with the lead's warm-up build, so ~/.cache/go-build hits.
GO_BUILD_ENV: Final = {"CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
GO_BUILD_FLAGS: Final = ("-trimpath",)


def node_image() -> str:
    """The kind node image tag built by the lab."""
    return f"{NODE_IMAGE_REPO}:{KUBERNETES_VERSION}"


def component_images() -> dict[str, str]:
    """Component name -> image reference exactly as kubeadm lists it."""
    reg = IMAGE_REGISTRY
    images = {name: f"{reg}/{name}:{KUBERNETES_VERSION}" for name in (
        "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")}
    images["coredns"] = f"{reg}/coredns/coredns:{COREDNS_VERSION}"
    images["pause"] = f"{reg}/pause:{PAUSE_IMAGE_TAG}"
    images["etcd"] = f"{reg}/etcd:{ETCD_IMAGE_TAG}"
    return images


def all_versions() -> dict[str, str]:
    """Every pinned version, for stamps and `lab status`."""
    return {
        "kind": KIND_VERSION, "kubernetes": KUBERNETES_VERSION,
        "kubernetes_staging": KUBERNETES_STAGING_VERSION, "etcd": ETCD_VERSION,
        "etcd_image": ETCD_IMAGE_TAG, "coredns": COREDNS_VERSION, "pause": PAUSE_IMAGE_TAG,
        "crictl": CRICTL_VERSION,
        "debian": DEBIAN_SUITE,
    }
