"""Build the lab's binaries from Go modules: kind, Kubernetes, etcd, CoreDNS, pause."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from fate_e2e import proc
from fate_e2e.errors import InfraError
from fate_e2e.lab import versions as v
from fate_e2e.lab.docker import source_digest
from fate_e2e.lab.stages import StageResult, run_stage
from fate_e2e.paths import cache_dir

GO_TIMEOUT = 3 * 3600.0
PACKAGE_DIR = Path(__file__).parent


def go_env() -> dict[str, str]:
    """Environment for every lab Go build (same flags as the warm-up build)."""
    return {**v.GO_BUILD_ENV, "GOWORK": "off"}


def go_binary() -> str:
    go = shutil.which("go")
    if go is None:
        raise InfraError("go not found: the lab builds kind and Kubernetes from Go modules")
    return go


def go_version() -> str:
    return proc.run([go_binary(), "env", "GOVERSION"], env=go_env()).strip()


def lab_dir(*parts: str) -> Path:
    path = cache_dir().joinpath("lab", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def module_dir(module: str, version: str) -> Path:
    """Download ``module@version`` through the module proxy; return its directory."""
    out = proc.run([go_binary(), "mod", "download", "-json", f"{module}@{version}"],
                   env=go_env(), what=f"go mod download {module}@{version}", timeout=1800)
    info: dict[str, Any] = json.loads(out[out.index("{"):])
    if "Dir" not in info:
        raise InfraError(f"go mod download {module}@{version}: {info.get('Error', info)}")
    return Path(info["Dir"])


def _sizes(paths: list[Path]) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in paths}


def build_kind() -> tuple[Path, StageResult]:
    """The kind CLI (go install sigs.k8s.io/kind@KIND_VERSION)."""
    bindir = lab_dir("kind", v.KIND_VERSION)
    binary = bindir / "kind"
    key = {"kind": v.KIND_VERSION, "go": go_version()}

    def _build() -> dict[str, Any]:
        proc.run([go_binary(), "install", *v.GO_BUILD_FLAGS, "-ldflags", "-s -w",
                  f"{v.KIND_MODULE}@{v.KIND_VERSION}"],
                 env={**go_env(), "GOBIN": str(bindir)}, what="go install kind",
                 timeout=GO_TIMEOUT)
        return {"sizes": _sizes([binary])}

    return binary, run_stage("kind-cli", key, [binary], _build)


def staging_modules(kubernetes_gomod: str) -> list[str]:
    """The k8s.io staging modules that k8s.io/kubernetes replaces with ./staging/... paths."""
    return sorted(set(re.findall(r"^\s*(?:replace\s+)?(k8s\.io/[\w.-]+)\s+=>\s+\./staging/",
                                 kubernetes_gomod, flags=re.MULTILINE)))


def kubernetes_gomod(staging: list[str]) -> str:
    """go.mod of the wrapper module that builds the Kubernetes binaries."""
    lines = ["module fate-e2e.local/k8sbuild", "", "go 1.24.0", "",
             f"require k8s.io/kubernetes {v.KUBERNETES_VERSION}", ""]
    lines += [f"replace {m} => {m} {v.KUBERNETES_STAGING_VERSION}" for m in staging]
    return "\n".join(lines) + "\n"


def kubernetes_ldflags() -> str:
    """Version ldflags (what hack/lib/version.sh sets) plus stripping."""
    major, minor = v.KUBERNETES_VERSION.lstrip("v").split(".")[:2]
    values = {"gitVersion": v.KUBERNETES_VERSION, "gitMajor": major, "gitMinor": minor,
              "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z"}
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version"):
        flags += [f"-X {pkg}.{k}={val}" for k, val in values.items()]
    return " ".join(flags)


def build_kubernetes() -> tuple[Path, StageResult]:
    """kubeadm, kubelet, kubectl and the control-plane binaries at KUBERNETES_VERSION."""
    bindir = lab_dir("kubernetes", v.KUBERNETES_VERSION, "bin")
    binaries = [bindir / b for b in v.KUBERNETES_BINARIES]
    key = {"kubernetes": v.KUBERNETES_VERSION, "staging": v.KUBERNETES_STAGING_VERSION,
           "go": go_version(), "ldflags": kubernetes_ldflags()}

    def _build() -> dict[str, Any]:
        src = lab_dir("src", f"kubernetes-{v.KUBERNETES_VERSION}")
        upstream = module_dir("k8s.io/kubernetes", v.KUBERNETES_VERSION)
        staging = staging_modules((upstream / "go.mod").read_text())
        if not staging:
            raise InfraError("found no staging modules in k8s.io/kubernetes go.mod")
        (src / "go.mod").write_text(kubernetes_gomod(staging))
        imports = "\n".join(f'\t_ "k8s.io/kubernetes/cmd/{b}"' for b in v.KUBERNETES_BINARIES)
        (src / "tools.go").write_text(
            f"//go:build tools\n\npackage tools\n\nimport (\n{imports}\n)\n")
        proc.run([go_binary(), "mod", "tidy"], cwd=src, env=go_env(),
                 what="go mod tidy (kubernetes)", timeout=1800)
        proc.run([go_binary(), "build", *v.GO_BUILD_FLAGS, "-ldflags", kubernetes_ldflags(),
                  "-o", f"{bindir}/",
                  *[f"k8s.io/kubernetes/cmd/{b}" for b in v.KUBERNETES_BINARIES]],
                 cwd=src, env=go_env(), what="go build kubernetes (7 binaries)",
                 timeout=GO_TIMEOUT)
        out = proc.run([str(bindir / "kubeadm"), "version", "-o", "short"]).strip()
        if out != v.KUBERNETES_VERSION:
            raise InfraError(f"kubeadm reports {out!r}, expected {v.KUBERNETES_VERSION}")
        return {"sizes": _sizes(binaries)}

    return bindir, run_stage("kubernetes-binaries", key, binaries, _build)


ETCD_MAIN = """package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""


def build_etcd() -> tuple[Path, StageResult]:
    """etcd server: a tiny main around go.etcd.io/etcd/server/v3/etcdmain."""
    bindir = lab_dir("etcd", v.ETCD_VERSION)
    binary = bindir / "etcd"
    key = {"etcd": v.ETCD_VERSION, "go": go_version()}

    def _build() -> dict[str, Any]:
        src = lab_dir("src", f"etcd-{v.ETCD_VERSION}")
        (src / "go.mod").write_text("module fate-e2e.local/etcd\n\ngo 1.24\n\n"
                                    f"require go.etcd.io/etcd/server/v3 {v.ETCD_VERSION}\n")
        (src / "main.go").write_text(ETCD_MAIN)
        proc.run([go_binary(), "mod", "tidy"], cwd=src, env=go_env(),
                 what="go mod tidy (etcd)", timeout=1800)
        proc.run([go_binary(), "build", *v.GO_BUILD_FLAGS, "-ldflags", "-s -w", "-o",
                  str(binary), "."], cwd=src, env=go_env(), what="go build etcd",
                 timeout=GO_TIMEOUT)
        return {"sizes": _sizes([binary])}

    return binary, run_stage("etcd-binary", key, [binary], _build)


def build_coredns() -> tuple[Path, StageResult]:
    """CoreDNS (its module has a main package and no replace directives)."""
    bindir = lab_dir("coredns", v.COREDNS_VERSION)
    binary = bindir / "coredns"
    key = {"coredns": v.COREDNS_VERSION, "go": go_version()}

    def _build() -> dict[str, Any]:
        proc.run([go_binary(), "install", *v.GO_BUILD_FLAGS, "-ldflags", "-s -w",
                  f"github.com/coredns/coredns@{v.COREDNS_VERSION}"],
                 env={**go_env(), "GOBIN": str(bindir)}, what="go install coredns",
                 timeout=GO_TIMEOUT)
        return {"sizes": _sizes([binary])}

    return binary, run_stage("coredns-binary", key, [binary], _build)


def build_crictl() -> tuple[Path, StageResult]:
    """crictl (sigs.k8s.io/cri-tools), used by kind inside the node."""
    bindir = lab_dir("crictl", v.CRICTL_VERSION)
    binary = bindir / "crictl"
    key = {"crictl": v.CRICTL_VERSION, "go": go_version()}

    def _build() -> dict[str, Any]:
        proc.run([go_binary(), "install", *v.GO_BUILD_FLAGS, "-ldflags", "-s -w",
                  f"sigs.k8s.io/cri-tools/cmd/crictl@{v.CRICTL_VERSION}"],
                 env={**go_env(), "GOBIN": str(bindir)}, what="go install crictl",
                 timeout=GO_TIMEOUT)
        return {"sizes": _sizes([binary])}

    return binary, run_stage("crictl-binary", key, [binary], _build)


def build_pause() -> tuple[Path, StageResult]:
    """The pod sandbox binary from fate_e2e/lab/pause."""
    src = PACKAGE_DIR / "pause"
    digest = source_digest(src)
    binary = lab_dir("pause", digest) / "pause"
    key = {"source": digest, "go": go_version()}

    def _build() -> dict[str, Any]:
        proc.run([go_binary(), "build", *v.GO_BUILD_FLAGS, "-ldflags", "-s -w", "-o",
                  str(binary), "."], cwd=src, env=go_env(), what="go build pause",
                 timeout=600)
        return {"sizes": _sizes([binary])}

    return binary, run_stage("pause-binary", key, [binary], _build)
