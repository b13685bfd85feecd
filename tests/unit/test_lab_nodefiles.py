"""The node's baked files: containerd config, units, manifests, the CNI agent script."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

from fate_e2e.lab import nodefiles
from fate_e2e.lab import versions as v


def test_containerd_config_fits_this_vm() -> None:
    cfg = tomllib.loads(nodefiles.CONTAINERD_CONFIG)
    cri = cfg["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["restrict_oom_score_adj"] is True
    assert cri["sandbox_image"] == v.component_images()["pause"]
    runc = cri["containerd"]["runtimes"]["runc"]
    assert runc["options"]["SystemdCgroup"] is True
    assert cri["cni"]["bin_dir"] == "/usr/lib/cni"


def test_units_never_need_cap_sys_resource() -> None:
    for path, (text, _) in nodefiles.node_files("#!/bin/sh\n").items():
        if "/systemd/" not in path:
            continue
        assert "OOMScoreAdjust=-" not in text, path
        assert "=infinity" not in text, path


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_cni_manifest_is_a_patchable_daemonset() -> None:
    text = nodefiles.DEFAULT_CNI_MANIFEST
    assert "would you kindly patch this file" in text  # kind adds CONTROL_PLANE_ENDPOINT
    kinds = {d["kind"]: d for d in _docs(text)}
    assert set(kinds) == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"}
    pod = kinds["DaemonSet"]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert pod["tolerations"] == [{"operator": "Exists"}]
    container = pod["containers"][0]
    assert container["image"] == nodefiles.CNI_AGENT_IMAGE
    assert isinstance(container["env"], list)
    assert container["securityContext"]["privileged"] is True


def test_storage_class_is_default_and_image_free() -> None:
    (sc,) = _docs(nodefiles.DEFAULT_STORAGE_MANIFEST)
    assert sc["kind"] == "StorageClass" and sc["metadata"]["name"] == "standard"
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc["provisioner"] == "kubernetes.io/host-path"


def test_kind_dir_has_version_and_manifests() -> None:
    files = nodefiles.kind_dir_files()
    assert files["version"].strip() == v.KUBERNETES_VERSION
    assert set(files) == {"version", "manifests/default-cni.yaml",
                          "manifests/default-storage.yaml"}


def test_write_files_script_writes_content_and_modes(tmp_path: Path) -> None:
    files = {str(tmp_path / "a" / "b.sh"): ("#!/bin/sh\necho 'quoted $x'\n", 0o755),
             str(tmp_path / "c.conf"): ("key = \"value\"\n", 0o644)}
    subprocess.run(["sh", "-e", "-c", nodefiles.write_files_script(files)], check=True)
    for path, (content, mode) in files.items():
        assert Path(path).read_text() == content
        assert stat.S_IMODE(Path(path).stat().st_mode) == mode


def test_node_setup_script_is_valid_shell() -> None:
    script = nodefiles.node_setup_script("#!/bin/bash\nexec \"$@\"\n")
    subprocess.run(["sh", "-n", "-c", script], check=True)
    assert "systemctl enable containerd.service kubelet.service" in script


def test_cni_agent_writes_conflist_and_routes(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(
        "#!/bin/sh\nprintf 'n1 10.244.0.0/24 10.250.0.2\\nn2 10.244.1.0/24 10.250.0.3\\n"
        "n3  \\n'\n")
    (bin_dir / "ip").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/ip.log\n")
    for tool in ("kubectl", "ip"):
        (bin_dir / tool).chmod(0o755)
    (tmp_path / "host" / "etc" / "cni" / "net.d").mkdir(parents=True)
    (tmp_path / "sa").mkdir()
    (tmp_path / "sa" / "token").write_text("t")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ONCE": "1",
           "HOST_ROOT": str(tmp_path / "host"), "SA_DIR": str(tmp_path / "sa"),
           "TMPDIR": str(tmp_path), "NODE_NAME": "n1", "CONTROL_PLANE_ENDPOINT": "cp:6443"}
    out = subprocess.run(["sh", "-c", nodefiles.CNI_AGENT], env=env, capture_output=True,
                         text=True, check=True, timeout=30)
    conf = json.loads((tmp_path / "host" / nodefiles.CNI_CONF.lstrip("/")).read_text())
    bridge = conf["plugins"][0]
    assert bridge["type"] == "bridge"
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.244.0.0/24"}]]
    assert (tmp_path / "ip.log").read_text().split("\n")[0] == \
        "route replace 10.244.1.0/24 via 10.250.0.3"
    assert "wrote" in out.stdout
    again = subprocess.run(["sh", "-c", nodefiles.CNI_AGENT], env=env, capture_output=True,
                           text=True, check=True, timeout=30)
    assert "wrote" not in again.stdout  # unchanged config is not rewritten
