#!/usr/bin/env bash
# Serve the local Cloud Storage (gcp-storage-emulator over the emulator's /gcs folders,
# pulumi_vertex_training/emulator/storage/gcs.py) unless one answers already. Idempotent.
#   VERTEX_GCS_PORT      port (default 9023)
#   VERTEX_GCS_HOST      interface (default 127.0.0.1, loopback only: the server is
#                        unauthenticated and holds the packages jobs install. Job
#                        containers reach it through a forwarder the emulator opens on
#                        their job network's gateway while the network exists,
#                        pulumi_vertex_training/emulator/execution/gateway_forward.py;
#                        another value exposes the buckets to whatever reaches it)
#   VERTEX_GCS_DATA_DIR  the buckets' folder (default .vertex-local/gcs, the folder
#                        `vertex-local serve` mounts at /gcs: one store for both)
# Then: export STORAGE_EMULATOR_HOST=http://127.0.0.1:$VERTEX_GCS_PORT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
log_dir=${VERTEX_SERVICES_LOG_DIR:-/tmp/pulumi-vertex-training}
port=${VERTEX_GCS_PORT:-9023}
host=${VERTEX_GCS_HOST:-127.0.0.1}
data_dir=${VERTEX_GCS_DATA_DIR:-$root/.vertex-local/gcs}
python=${VERTEX_PYTHON:-$root/.venv/bin/python}
mkdir -p "$log_dir" "$data_dir"

if curl -fsS "http://127.0.0.1:$port/storage/v1/b?project=local" >/dev/null 2>&1; then
  echo "gcs: already answering on 127.0.0.1:$port"
  # One started by an older version of this script listens on every interface.
  if command -v ss >/dev/null 2>&1; then
    beyond=$(ss -Hltn "sport = :$port" | awk '{print $4}' |
      grep -Ev '^(127\.|\[::1\]|\[::ffff:127\.)' || true)
    if [ -n "$beyond" ] && [ "$host" != "0.0.0.0" ]; then
      echo "gcs: warning: it also listens on $(echo "$beyond" | tr '\n' ' ')- it was started" \
        "with another VERTEX_GCS_HOST (older versions of this script used 0.0.0.0);" \
        "stop it and run this script again to serve loopback only" >&2
    fi
  fi
  exit 0
fi
if ! "$python" -c "import gcp_storage_emulator" >/dev/null 2>&1; then
  echo "gcs: installing gcp-storage-emulator into $python's environment"
  "$python" -m pip install -q "gcp-storage-emulator>=2026.7"
fi
echo "gcs: starting on $host:$port, buckets in $data_dir (log: $log_dir/gcs.log)"
(cd "$root" && nohup "$python" -m pulumi_vertex_training.emulator.storage.gcs \
  --host "$host" --port "$port" --root "$data_dir" >"$log_dir/gcs.log" 2>&1 &)
for _ in $(seq 1 40); do
  if curl -fsS "http://127.0.0.1:$port/storage/v1/b?project=local" >/dev/null 2>&1; then
    echo "gcs: up; export STORAGE_EMULATOR_HOST=http://127.0.0.1:$port"
    exit 0
  fi
  sleep 0.25
done
echo "gcs: did not answer on 127.0.0.1:$port; see $log_dir/gcs.log" >&2
tail -n 20 "$log_dir/gcs.log" >&2 || true
exit 1
