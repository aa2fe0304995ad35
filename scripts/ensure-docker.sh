#!/usr/bin/env bash
# Start a Docker engine unless one already answers. Idempotent.
#
# Storage driver: overlay2 where the kernel has overlay and a test mount on the
# data root's filesystem succeeds (about 30x faster per container than vfs, which
# copies the whole image for every container and build step); vfs otherwise, and
# the reason is printed. VERTEX_DOCKER_STORAGE_DRIVER forces one.
# --iptables=false --bridge=none: no NAT or default bridge, which sandboxes refuse;
# user-defined bridge networks (one per emulator job) still work.
set -euo pipefail
log_dir=${VERTEX_SERVICES_LOG_DIR:-/tmp/pulumi-vertex-training}
data_root=${VERTEX_DOCKER_DATA_ROOT:-/var/lib/docker}
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

# Prints nothing and succeeds when overlay2 works on $data_root; else prints why not.
overlay2_problem() {
  if ! grep -qw overlay /proc/filesystems 2>/dev/null; then
    modprobe overlay >/dev/null 2>&1 || true
    grep -qw overlay /proc/filesystems 2>/dev/null || {
      echo "the kernel lists no overlay filesystem"
      return 1
    }
  fi
  mkdir -p "$data_root"
  local probe
  probe=$(mktemp -d "$data_root/.overlay-probe.XXXXXX")
  mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  if mount -t overlay overlay \
    -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" \
    2>"$probe.err"; then
    umount "$probe/merged"
    rm -rf "$probe" "$probe.err"
    return 0
  fi
  echo "a test overlay mount on $data_root failed: $(tr '\n' ' ' <"$probe.err")"
  rm -rf "$probe" "$probe.err"
  return 1
}

driver=${VERTEX_DOCKER_STORAGE_DRIVER:-}
if [ -z "$driver" ]; then
  if why=$(overlay2_problem); then
    driver=overlay2
  else
    driver=vfs
    echo "docker: overlay2 unavailable ($why); falling back to vfs (slow: a full image copy per container)"
  fi
fi
echo "docker: starting dockerd with --storage-driver=$driver (log: $log_dir/dockerd.log)"
nohup dockerd --data-root="$data_root" --storage-driver="$driver" --iptables=false --bridge=none \
  >"$log_dir/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker: engine up ($driver)"
    exit 0
  fi
  sleep 1
done
echo "docker: dockerd did not answer within 60s; see $log_dir/dockerd.log" >&2
tail -n 20 "$log_dir/dockerd.log" >&2 || true
exit 1
