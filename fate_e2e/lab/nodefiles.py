"""Files baked into the kind node image: containerd/systemd config, CNI agent, manifests.

Written for Debian's containerd 1.6 / runc / CNI plugins inside a privileged container on a
cgroup v1 VM whose bounding set lacks CAP_SYS_RESOURCE: no negative OOMScoreAdjust, no raised
rlimits in units, ``restrict_oom_score_adj = true``.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping

from fate_e2e.lab import versions as v

CNI_AGENT_IMAGE = f"fate-e2e/cni-agent:{v.KUBERNETES_VERSION}"
CNI_CONF = "/etc/cni/net.d/10-fate-e2e.conflist"

# Debian packages of the node (kind's base list, minus what we do not use, plus
# containerd, runc and the CNI plugins, which kind builds itself).
NODE_PACKAGES = (
    "systemd", "conntrack", "iptables", "nftables", "iproute2", "ethtool", "util-linux",
    "mount", "kmod", "libseccomp2", "pigz", "bash", "ca-certificates", "curl", "jq", "procps",
    "netbase", "containerd", "runc", "containernetworking-plugins",
)

# Packages of the Debian base shared by kube-proxy and the CNI agent.
K8S_DEBIAN_PACKAGES = ("iptables", "nftables", "conntrack", "iproute2", "netbase", "kmod")

CONTAINERD_CONFIG = f"""version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{v.component_images()['pause']}"
  tolerate_missing_hugepages_controller = true
  # runc may not lower oom_score_adj here (no CAP_SYS_RESOURCE in the bounding set)
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
"""

CONTAINERD_SERVICE = """[Unit]
Description=containerd container runtime (fate-e2e kind node)
After=network.target local-fs.target
StartLimitIntervalSec=0

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
"""

KUBELET_SERVICE = """[Unit]
Description=kubelet (fate-e2e kind node)
ConditionPathExists=/var/lib/kubelet/config.yaml

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=1s
CPUAccounting=true
MemoryAccounting=true
Slice=kubelet.slice
KillMode=process

[Install]
WantedBy=multi-user.target
"""

KUBELET_KUBEADM_DROPIN = """[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""  # noqa: E501

KUBELET_CGROUP_DROPIN = """[Service]
# cgroup v1: the entrypoint makes /kubelet; make sure the systemd hierarchy has it too
ExecStartPre=/bin/sh -euc "if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/systemd/kubelet ]; then mkdir -p /sys/fs/cgroup/systemd/kubelet; fi"
"""  # noqa: E501

KUBELET_SLICE = """[Unit]
Description=slice of the kubelet
Before=slices.target

[Slice]
MemoryAccounting=true
CPUAccounting=true
"""

SYSCTL = """# pods reach docker's DNS through the node's rewritten 127.0.0.11 rules
net.ipv4.conf.all.route_localnet=1
net.ipv4.conf.all.arp_ignore=0
"""

CNI_AGENT = r"""#!/bin/sh
# fate-e2e CNI agent: writes this node's bridge conflist from its spec.podCIDR and keeps
# routes to every other node's pod CIDR (via that node's InternalIP). Runs hostNetwork.
set -u
conf="${HOST_ROOT:-/host}${CNI_CONF:-/etc/cni/net.d/10-fate-e2e.conflist}"
sa="${SA_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}"
tmp="${TMPDIR:-/tmp}"
server="https://${CONTROL_PLANE_ENDPOINT:-${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}}"
render() {
  cat <<EOF
{
  "cniVersion": "0.4.0",
  "name": "fate-e2e",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
      "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$1"}]],
               "routes": [{"dst": "0.0.0.0/0"}]}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}
query='{range .items[*]}{.metadata.name}{" "}{.spec.podCIDR}{" "}'
query="$query"'{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
while :; do
  if kubectl --server="$server" --token="$(cat "$sa/token")" --certificate-authority="$sa/ca.crt" \
      get nodes -o jsonpath="$query" > "$tmp/nodes" 2>"$tmp/err"; then
    while read -r name cidr ip; do
      [ -n "$cidr" ] || continue
      if [ "$name" = "$NODE_NAME" ]; then
        render "$cidr" > "$tmp/conf"
        if ! cmp -s "$tmp/conf" "$conf"; then
          cp "$tmp/conf" "$conf.tmp" && mv "$conf.tmp" "$conf" && echo "wrote $conf for $cidr"
        fi
      elif [ -n "$ip" ]; then
        ip route replace "$cidr" via "$ip" || echo "route $cidr via $ip failed"
      fi
    done < "$tmp/nodes"
  else
    cat "$tmp/err"
  fi
  [ -z "${ONCE:-}" ] || break
  sleep "${INTERVAL:-5}"
done
"""

DEFAULT_CNI_MANIFEST = f"""# fate-e2e CNI: per-node bridge + host-local, routes between nodes.
# would you kindly patch this file
apiVersion: v1
kind: ServiceAccount
metadata:
  name: fate-e2e-cni
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: fate-e2e-cni
rules:
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: fate-e2e-cni
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: fate-e2e-cni
subjects:
- kind: ServiceAccount
  name: fate-e2e-cni
  namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fate-e2e-cni
  namespace: kube-system
  labels:
    app: fate-e2e-cni
spec:
  selector:
    matchLabels:
      app: fate-e2e-cni
  template:
    metadata:
      labels:
        app: fate-e2e-cni
    spec:
      hostNetwork: true
      dnsPolicy: Default
      serviceAccountName: fate-e2e-cni
      priorityClassName: system-node-critical
      tolerations:
      - operator: Exists
      containers:
      - name: agent
        image: {CNI_AGENT_IMAGE}
        imagePullPolicy: Never
        command: ["/usr/local/bin/fate-e2e-cni-agent"]
        env:
        - name: NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        - name: CNI_CONF
          value: {CNI_CONF}
        securityContext:
          privileged: true
        resources:
          requests:
            cpu: 10m
            memory: 20Mi
        volumeMounts:
        - name: cni-conf
          mountPath: /host/etc/cni/net.d
      volumes:
      - name: cni-conf
        hostPath:
          path: /etc/cni/net.d
          type: DirectoryOrCreate
"""

# kind enables kube-controller-manager's --enable-hostpath-provisioner: dynamic hostPath
# PVs with no extra image; Delete reclaim removes the PV objects.
DEFAULT_STORAGE_MANIFEST = """# fate-e2e default StorageClass: in-tree hostPath provisioner
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
"""

BASE_TWEAKS = """find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/*
rm -f /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/basic.target.wants/*
rm -f /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl*
echo ReadKMsg=no >> /etc/systemd/journald.conf
ln -sf /lib/systemd/systemd /sbin/init
mkdir -p /etc/kubernetes/manifests /etc/cni/net.d /kind
systemctl enable containerd.service kubelet.service
systemctl mask systemd-binfmt.service
"""  # noqa: E501


def node_files(entrypoint: str) -> dict[str, tuple[str, int]]:
    """Path -> (content, mode) baked into the node base image."""
    return {
        "/usr/local/bin/entrypoint": (entrypoint, 0o755),
        "/etc/containerd/config.toml": (CONTAINERD_CONFIG, 0o644),
        "/etc/systemd/system/containerd.service": (CONTAINERD_SERVICE, 0o644),
        "/etc/systemd/system/kubelet.service": (KUBELET_SERVICE, 0o644),
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf": (KUBELET_KUBEADM_DROPIN, 0o644),
        "/etc/systemd/system/kubelet.service.d/11-fate-e2e.conf": (KUBELET_CGROUP_DROPIN, 0o644),
        "/etc/systemd/system/kubelet.slice": (KUBELET_SLICE, 0o644),
        "/etc/default/kubelet": (
            "KUBELET_EXTRA_ARGS=--runtime-cgroups=/system.slice/containerd.service\n", 0o644),
        "/etc/crictl.yaml": ("runtime-endpoint: unix:///run/containerd/containerd.sock\n", 0o644),
        "/etc/sysctl.d/10-fate-e2e-network.conf": (SYSCTL, 0o644),
    }


def kind_dir_files() -> dict[str, str]:
    """Files under /kind in the node: the Kubernetes version and the CNI/storage manifests."""
    return {
        "version": v.KUBERNETES_VERSION + "\n",
        "manifests/default-cni.yaml": DEFAULT_CNI_MANIFEST,
        "manifests/default-storage.yaml": DEFAULT_STORAGE_MANIFEST,
    }


def write_files_script(files: Mapping[str, tuple[str, int]]) -> str:
    """A shell script that writes ``files`` (base64 inside, so any content is safe)."""
    lines = []
    for path, (content, mode) in sorted(files.items()):
        blob = base64.b64encode(content.encode()).decode()
        quoted = shlex.quote(path)
        lines += [f"mkdir -p \"$(dirname {quoted})\"",
                  f"echo {blob} | base64 -d > {quoted}", f"chmod {mode:o} {quoted}"]
    return "\n".join(lines) + "\n"


def node_setup_script(entrypoint: str) -> str:
    """The chroot setup of the node base image: files first, then the systemd tweaks."""
    return "set -e\n" + write_files_script(node_files(entrypoint)) + BASE_TWEAKS
