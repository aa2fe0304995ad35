#!/usr/bin/env bash
# What the registry-authentication tests run besides Python packages (those are in
# pyproject's test extra: bcrypt for htpasswd entries, cryptography for token JWTs):
# Debian's docker-registry, which they start on free loopback ports with htpasswd and
# token auth. ensure-registry.sh installs it only when nothing answers on :5000;
# this makes sure it is there either way. Idempotent.
set -euo pipefail
if command -v docker-registry >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test tools: docker-registry is not installed; install it as root (apt-get install docker-registry)" >&2
  exit 1
fi
echo "test tools: installing docker-registry"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
