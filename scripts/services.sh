#!/usr/bin/env bash
# Bring up every real service the tests and the quickstart use. Idempotent:
# a healthy service is reused, a second run starts nothing new.
#   Docker engine, local registry (127.0.0.1:5000), local/python:3.11 base image,
#   local Cloud Storage (0.0.0.0:9023, STORAGE_EMULATOR_HOST=http://127.0.0.1:9023).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/ensure-docker.sh"
bash "$here/ensure-registry.sh"
bash "$here/ensure-base-image.sh"
bash "$here/ensure-gcs.sh"
