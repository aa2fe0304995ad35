#!/usr/bin/env bash
# Bring up every real service the tests and the quickstart use. Idempotent:
# a healthy service is reused, a second run starts nothing new.
#   Docker engine, local registry (127.0.0.1:5000), local/python:3.11 base image,
#   local Cloud Storage (127.0.0.1:9023 only, STORAGE_EMULATOR_HOST=http://127.0.0.1:9023),
#   Debian's chromium and chromium-driver (the console's browser tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/ensure-docker.sh"
# An engine that was already running is left alone; say which storage driver it uses,
# and how to switch when it copies whole images (vfs) where overlay2 would work.
driver=$(docker info --format '{{.Driver}}' 2>/dev/null || echo unknown)
echo "docker: storage driver $driver"
if [ "$driver" = vfs ] && grep -qw overlay /proc/filesystems 2>/dev/null; then
  echo "docker: vfs copies the whole image for every container and build step; overlay2 is" \
    "about 30x faster and this kernel has overlay: stop dockerd and run scripts/ensure-docker.sh"
fi
bash "$here/ensure-registry.sh"
bash "$here/ensure-test-tools.sh"
bash "$here/ensure-base-image.sh"
bash "$here/ensure-gcs.sh"
bash "$here/ensure-chromium.sh"
