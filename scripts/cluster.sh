#!/usr/bin/env bash
# A throwaway single-node Kubernetes cluster on this machine, for CI and for trying the Helm chart
# by hand. Everything it starts lives under CLUSTER_DIR and is removed by `stop`.
#
#   scripts/cluster.sh start        start etcd, containerd, the control plane, a node and CoreDNS;
#                                   waits for a Ready node and answering cluster DNS
#   scripts/cluster.sh stop         delete every pod, stop every process, undo mounts, network
#                                   devices and iptables rules, remove CLUSTER_DIR
#   scripts/cluster.sh load IMAGE…  copy images from the Docker engine into the node's containerd
#   scripts/cluster.sh env          print `export KUBECONFIG=…` and the other settings
#
# Binaries come from scripts/build-kubernetes.sh (cached); Debian packages from
# `scripts/install-system-deps.sh cluster` (etcd-server, containerd, the CNI plugins, conntrack, dig).
# Needs root. The cluster is Kubernetes v1.34 with cgroupfs (it also runs on cgroup v1 hosts) and
# containerd 1.6 as its own instance (own socket and root; a Docker engine's is left alone).
#
# Addresses and ports, chosen away from Docker's (172.17.0.0/16 and up), the compose stack's
# (18080, 18443, 40000-40003) and the test suites' (ephemeral ports):
#   node address   10.216.0.1/32 on lo    (no process listens on an outside interface)
#   pods           10.217.0.0/24          bridge cnc0, with host-local IPAM
#   services       10.218.0.0/24          cluster DNS at 10.218.0.10
#   apiserver      https://10.216.0.1:16443;   etcd 127.0.0.1:23790 and :23800
#   kubelet 20250, kube-proxy health 20256 / metrics 20249, controller-manager 20257,
#   scheduler 20259 (all on loopback or the node address)
# No NetworkPolicy enforcement (the bridge plugin has none).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-/tmp/conclave-cluster}"
node=conclave-node
node_ip=10.216.0.1
pod_cidr=10.217.0.0/24
service_cidr=10.218.0.0/24
api_ip=10.218.0.1
dns_ip=10.218.0.10
api_port=16443
bridge=cnc0
pause_image=conclave.local/pause:3.10
coredns_image=conclave.local/coredns:1.12.4
log() { echo "cluster: $*" >&2; }

sock="$dir/containerd/containerd.sock"
ctr_() { ctr --address "$sock" -n k8s.io "$@"; }
kubectl_() { "$bin/kubectl" --kubeconfig "$dir/admin.kubeconfig" "$@"; }

# Runs a component in the background with its log and pid under $dir.
# A function given as COMMAND must end in `exec`, so that the pid is the component's.
spawn() { # NAME COMMAND…
  local name="$1"; shift
  if declare -F "$1" >/dev/null; then
    (trap '' HUP; "$@") </dev/null >"$dir/logs/$name.log" 2>&1 &
  else
    nohup "$@" </dev/null >"$dir/logs/$name.log" 2>&1 &
  fi
  echo $! >"$dir/pids/$name"
}
# A pod's packet to a Service address that kube-proxy did not rewrite (a Service without
# endpoints, e.g. during a rollout) would be accepted by the CNI firewall plugin's FORWARD rules,
# which come before kube-proxy's, and routed out of the machine. It is refused at once instead,
# in CNI-ADMIN: the chain the firewall plugin consults first, left for administrators' rules.
service_reject() { # add|del
  local rules=("-d $service_cidr -p tcp -j REJECT --reject-with tcp-reset"
    "-d $service_cidr -j REJECT --reject-with icmp-port-unreachable")
  local rule
  iptables -w -N CNI-ADMIN 2>/dev/null || true
  for rule in "${rules[@]}"; do
    # shellcheck disable=SC2086 # each rule is a list of words
    if [ "$1" = add ]; then
      iptables -w -C CNI-ADMIN $rule 2>/dev/null || iptables -w -A CNI-ADMIN $rule
    else
      iptables -w -D CNI-ADMIN $rule 2>/dev/null || true
    fi
  done
}
# containerd, and the runc it starts, in a mount namespace whose root is "/": inside a chroot,
# one made by scripts/chroot-namespace-root.py (runc pivots containers onto that root, and
# `runc exec` enters them from it).
containerd_command() {
  local start=()
  mountpoint -q / || start=(python3 "$root/scripts/chroot-namespace-root.py")
  exec "${start[@]}" containerd --config "$dir/containerd/config.toml"
}
# Whether the cluster DNS answers NAME with ADDRESS.
resolves() { [ "$(dig +short +time=1 +tries=1 "@$dns_ip" "$1")" = "$2" ]; }
# Waits until a command succeeds, bounded.
wait_for() { # WHAT SECONDS COMMAND…
  local what="$1" seconds="$2"; shift 2
  local deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "$what: not ready after ${seconds} s"; return 1; fi
    sleep 1
  done
}

certificates() {
  local pki="$dir/pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=conclave-cluster-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  sign() { # NAME SUBJECT [SANS]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
    local ext="$pki/$1.ext"
    echo "extendedKeyUsage=serverAuth,clientAuth" >"$ext"
    [ -z "${3:-}" ] || echo "subjectAltName=$3" >>"$ext"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 2 -extfile "$ext" -out "$pki/$1.crt" 2>/dev/null
  }
  sign apiserver "/CN=kube-apiserver" \
    "IP:$node_ip,IP:$api_ip,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # One administrator identity for the control plane, the node and the operator: this cluster
  # lives for one CI run on one machine.
  sign admin "/O=system:masters/CN=conclave-cluster-admin"
  sign kubelet "/O=system:nodes/CN=system:node:$node" "IP:$node_ip,DNS:$node"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  cat >"$dir/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: conclave
    cluster: {server: "https://$node_ip:$api_port", certificate-authority: "$pki/ca.crt"}
users:
  - name: admin
    user: {client-certificate: "$pki/admin.crt", client-key: "$pki/admin.key"}
contexts:
  - name: conclave
    context: {cluster: conclave, user: admin, namespace: default}
current-context: conclave
EOF
}

containerd_config() {
  mkdir -p "$dir/containerd" "$dir/cni/conf" "$dir/cni/ipam"
  cat >"$dir/containerd/config.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  # Root here may lack CAP_SYS_RESOURCE: negative OOM scores are refused, so none are asked for.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/conf"
EOF
  # The firewall plugin lets pod traffic through a FORWARD policy of DROP (Docker sets one).
  cat >"$dir/cni/conf/10-conclave.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "conclave-cluster",
  "plugins": [
    {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$dir/cni/ipam",
              "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
EOF
}

node_config() {
  # Pods resolve only cluster names: CoreDNS has no upstream (nothing outside is reachable).
  echo "nameserver $dns_ip" >"$dir/resolv.conf"
  cat >"$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
address: $node_ip
port: 20250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 20248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$dir/pki/ca.crt"}
authorization: {mode: AlwaysAllow}
tlsCertFile: "$dir/pki/kubelet.crt"
tlsPrivateKeyFile: "$dir/pki/kubelet.key"
clusterDomain: cluster.local
clusterDNS: [$dns_ip]
resolvConf: "$dir/resolv.conf"
# A CI machine's disk can be nearly full; evicting the chart's pods for it would fail the run
# for the wrong reason.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
}

storage() {
  # PersistentVolumes on the node's disk under $dir, behind the default StorageClass.
  local i
  for i in 0 1 2; do mkdir -p "$dir/volumes/pv$i" && chmod 0777 "$dir/volumes/pv$i"; done
  {
    cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: conclave-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF
    for i in 0 1 2; do
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: conclave-local-pv$i}
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: conclave-local
  hostPath: {path: "$dir/volumes/pv$i", type: Directory}
EOF
    done
  } | kubectl_ apply -f - >&2
}

images() {
  # The pod sandbox and CoreDNS, each a single static binary on an empty image.
  local ctx; ctx="$(mktemp -d)"
  local name binary
  for pair in "$pause_image pause" "$coredns_image coredns"; do
    name="${pair% *}"; binary="${pair#* }"
    if ! docker image inspect "$name" >/dev/null 2>&1; then
      cp "$bin/$binary" "$ctx/$binary"
      printf 'FROM scratch\nCOPY %s /%s\nUSER 65532:65532\nENTRYPOINT ["/%s"]\n' "$binary" "$binary" "$binary" \
        >"$ctx/Dockerfile"
      docker build -q -t "$name" "$ctx" >/dev/null 2>"$dir/logs/image-build.log"
      rm -f "$ctx"/*
    fi
  done
  rm -rf "$ctx"
  load "$pause_image" "$coredns_image"
}

coredns() {
  sed -e "s|@COREDNS_IMAGE@|$coredns_image|g" -e "s|@DNS_IP@|$dns_ip|g" "$root/deploy/cluster/coredns.yaml" |
    kubectl_ apply -f - >&2
}

start() {
  [ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }
  if [ -d "$dir" ]; then log "$dir exists: a cluster is running or was not stopped; stopping it first"; stop; fi
  "$root/scripts/install-system-deps.sh" cluster
  bin="$("$root/scripts/build-kubernetes.sh")"
  for c in etcd containerd iptables conntrack openssl dig /usr/lib/cni/bridge; do
    command -v "$c" >/dev/null || [ -x "$c" ] || { log "$c is missing (scripts/install-system-deps.sh installs it)"; exit 1; }
  done
  local t0; t0=$(date +%s)
  mkdir -p "$dir"
  # Inside a chroot (a CI machine may be one) "/" is no mount point, and the kubelet looks its
  # root directory up among the mount points: the cluster's folder becomes one of its own, shared
  # so that the volumes the kubelet mounts reach containerd's namespace (see containerd_command).
  if ! mountpoint -q /; then mount --bind "$dir" "$dir" && mount --make-rshared "$dir"; fi
  mkdir -p "$dir/logs" "$dir/pids"
  echo "$bin" >"$dir/bin"
  ip addr add "$node_ip/32" dev lo 2>/dev/null || true
  service_reject add
  modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1 >/dev/null 2>&1 || true
  certificates
  containerd_config
  node_config

  spawn etcd etcd --name conclave --data-dir "$dir/etcd" \
    --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
    --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
    --initial-cluster conclave=http://127.0.0.1:23800 --listen-metrics-urls ""
  spawn containerd containerd_command
  local pki="$dir/pki"
  spawn kube-apiserver "$bin/kube-apiserver" --etcd-servers http://127.0.0.1:23790 \
    --bind-address "$node_ip" --advertise-address "$node_ip" --secure-port "$api_port" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --kubelet-client-certificate "$pki/admin.crt" \
    --kubelet-client-key "$pki/admin.key" --kubelet-preferred-address-types InternalIP \
    --service-cluster-ip-range "$service_cidr" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode Node,RBAC --allow-privileged=true --enable-priority-and-fairness=false \
    --profiling=false
  wait_for "kube-apiserver" 90 kubectl_ get --raw /readyz
  spawn kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$dir/admin.kubeconfig" \
    --authentication-kubeconfig "$dir/admin.kubeconfig" --authorization-kubeconfig "$dir/admin.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 20257 --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range "$service_cidr" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" --profiling=false
  spawn kube-scheduler "$bin/kube-scheduler" --kubeconfig "$dir/admin.kubeconfig" \
    --authentication-kubeconfig "$dir/admin.kubeconfig" --authorization-kubeconfig "$dir/admin.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 20259 --leader-elect=false --profiling=false
  wait_for "containerd" 30 ctr_ version
  spawn kubelet "$bin/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$dir/admin.kubeconfig" \
    --root-dir "$dir/kubelet" --cert-dir "$dir/pki" --hostname-override "$node" --node-ip "$node_ip"
  spawn kube-proxy "$bin/kube-proxy" --kubeconfig "$dir/admin.kubeconfig" --hostname-override "$node" \
    --proxy-mode iptables --masquerade-all --cluster-cidr "$pod_cidr" --conntrack-max-per-core 0 \
    --healthz-bind-address 127.0.0.1:20256 --metrics-bind-address 127.0.0.1:20249
  images
  wait_for "node $node" 90 kubectl_ wait --for=condition=Ready "node/$node" --timeout=5s
  storage
  coredns
  kubectl_ -n kube-system rollout status deployment/coredns --timeout=120s >&2
  wait_for "cluster DNS" 60 resolves kubernetes.default.svc.cluster.local "$api_ip"
  log "a Ready node with cluster DNS in $(($(date +%s) - t0)) s (KUBECONFIG=$dir/admin.kubeconfig)"
}

load() { # IMAGE…
  [ $# -gt 0 ] || return 0
  docker save "$@" | ctr_ images import - >/dev/null
}

stop_process() { # NAME
  local f="$dir/pids/$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"; rm -f "$f"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  [ -d "$dir" ] || return 0
  bin="$(cat "$dir/bin" 2>/dev/null || true)"
  # No controller recreates a pod and the kubelet tears every pod down through CNI, so the
  # network plugins remove their own rules; then the processes stop.
  stop_process kube-controller-manager
  stop_process kube-scheduler
  if [ -n "$bin" ] && kubectl_ get --raw /readyz >/dev/null 2>&1; then
    kubectl_ delete pods --all --all-namespaces --force --grace-period=0 --wait=false >/dev/null 2>&1 || true
    local deadline=$(($(date +%s) + 60))
    while [ -n "$(ctr_ tasks ls -q 2>/dev/null)" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
  fi
  stop_process kubelet
  stop_process kube-proxy
  [ -z "$bin" ] || "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
  stop_process kube-apiserver
  stop_process etcd
  # Whatever is still running (a stop after a failed start) is killed outright.
  local t
  for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
  stop_process containerd
  pkill -9 -f "containerd-shim-runc-v2 .*-address $sock" 2>/dev/null || true
  sleep 1
  # Mounts under $dir (volumes, overlay snapshots, sandboxes), deepest first.
  { findmnt -rn -o TARGET | grep -F "$dir/" || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  for ns in /run/netns/cni-*; do
    [ -e "$ns" ] || continue
    grep -qs "$ns" "$dir/cni/ipam"/*/* 2>/dev/null && { umount -l "$ns" 2>/dev/null; rm -f "$ns"; }
  done
  ip link delete "$bridge" 2>/dev/null || true
  ip addr del "$node_ip/32" dev lo 2>/dev/null || true
  service_reject del
  ! mountpoint -q "$dir" || umount -l "$dir"
  rm -rf --one-file-system "$dir"
  log "stopped"
}

env_lines() {
  bin="$(cat "$dir/bin")"
  cat <<EOF
export KUBECONFIG=$dir/admin.kubeconfig
export CLUSTER_DIR=$dir
export CLUSTER_NODE=$node
export CLUSTER_KUBELET_ROOT=$dir/kubelet
export PATH=$bin:\$PATH
EOF
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  load) shift; bin="$(cat "$dir/bin")"; load "$@" ;;
  env) env_lines ;;
  *) echo "usage: $0 start|stop|load IMAGE…|env" >&2; exit 2 ;;
esac
