#!/usr/bin/env bash
# Start a Docker engine unless one already answers. Idempotent.
# The engine runs with vfs storage and no iptables/bridge, which works inside
# unprivileged-ish sandboxes; user-defined bridge networks still work.
set -euo pipefail
log_dir=${VERTEX_SERVICES_LOG_DIR:-/tmp/pulumi-vertex-training}
mkdir -p "$log_dir"

if docker info >/dev/null 2>&1; then
  echo "docker: engine already answering"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "docker: no engine answers and dockerd is not installed; install docker.io as root" >&2
    exit 1
  fi
  echo "docker: installing docker.io"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  echo "docker: no engine answers and starting dockerd needs root" >&2
  exit 1
fi
echo "docker: starting dockerd (log: $log_dir/dockerd.log)"
nohup dockerd --storage-driver=vfs --iptables=false --bridge=none \
  >"$log_dir/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker: engine up"
    exit 0
  fi
  sleep 1
done
echo "docker: dockerd did not answer within 60s; see $log_dir/dockerd.log" >&2
tail -n 20 "$log_dir/dockerd.log" >&2 || true
exit 1
