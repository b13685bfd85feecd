"""Pure parts of the lab's Go builds: the Kubernetes wrapper module and its ldflags."""

from __future__ import annotations

from fate_e2e.lab import gobuild
from fate_e2e.lab import versions as v

GOMOD = """module k8s.io/kubernetes

go 1.24.0

require (
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
\tgithub.com/other/thing => github.com/other/thing v1.0.0
)

replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl
"""


def test_staging_modules_from_replace_directives() -> None:
    assert gobuild.staging_modules(GOMOD) == ["k8s.io/api", "k8s.io/client-go",
                                              "k8s.io/kubectl"]


def test_wrapper_gomod_pins_every_staging_module() -> None:
    text = gobuild.kubernetes_gomod(["k8s.io/api", "k8s.io/kubectl"])
    assert f"require k8s.io/kubernetes {v.KUBERNETES_VERSION}" in text
    assert f"replace k8s.io/api => k8s.io/api {v.KUBERNETES_STAGING_VERSION}" in text
    assert f"replace k8s.io/kubectl => k8s.io/kubectl {v.KUBERNETES_STAGING_VERSION}" in text


def test_ldflags_set_version_in_both_packages() -> None:
    flags = gobuild.kubernetes_ldflags()
    for pkg in ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version"):
        assert f"-X {pkg}.gitVersion={v.KUBERNETES_VERSION}" in flags
        assert f"-X {pkg}.gitMajor=1" in flags
    assert flags.startswith("-s -w")


def test_component_images_match_kubeadm_list() -> None:
    images = v.component_images()
    assert images["etcd"] == f"registry.k8s.io/etcd:{v.ETCD_IMAGE_TAG}"
    assert images["coredns"] == f"registry.k8s.io/coredns/coredns:{v.COREDNS_VERSION}"
    assert images["kube-proxy"] == f"registry.k8s.io/kube-proxy:{v.KUBERNETES_VERSION}"
    assert len(images) == 7
