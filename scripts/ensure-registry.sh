#!/usr/bin/env bash
# Serve Debian's docker-registry on 127.0.0.1:5000 unless a registry answers there. Idempotent.
set -euo pipefail
log_dir=${VERTEX_SERVICES_LOG_DIR:-/tmp/pulumi-vertex-training}
addr=${VERTEX_REGISTRY_ADDR:-127.0.0.1:5000}
data_dir=${VERTEX_REGISTRY_DATA:-/var/lib/pulumi-vertex-training/registry}
mkdir -p "$log_dir"

if curl -fsS "http://$addr/v2/" >/dev/null 2>&1; then
  echo "registry: already answering on $addr"
  exit 0
fi
bin=$(command -v docker-registry || true)
if [ -z "$bin" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "registry: docker-registry is not installed; install it as root (apt-get install docker-registry)" >&2
    exit 1
  fi
  echo "registry: installing docker-registry"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
  bin=$(command -v docker-registry)
fi
# Debian's package starts a system service on install where an init system
# runs; in containers there is none, so we run our own with our own config.
mkdir -p "$data_dir"
config="$log_dir/registry.yml"
cat >"$config" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $data_dir
  delete:
    enabled: true
http:
  addr: $addr
YAML
echo "registry: starting on $addr (log: $log_dir/registry.log)"
nohup "$bin" serve "$config" >"$log_dir/registry.log" 2>&1 &
for _ in $(seq 1 30); do
  if curl -fsS "http://$addr/v2/" >/dev/null 2>&1; then
    echo "registry: up"
    exit 0
  fi
  sleep 0.5
done
echo "registry: did not answer on $addr; see $log_dir/registry.log" >&2
tail -n 20 "$log_dir/registry.log" >&2 || true
exit 1
