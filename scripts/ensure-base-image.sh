#!/usr/bin/env bash
# Build local/python:3.11 with debootstrap + `docker import` unless the engine has it. Idempotent.
#
# No Docker Hub here, so the Python base that training images build FROM is
# made from Debian packages. It behaves like the python images users build on:
# `python` and `pip` exist, pip may install system-wide (no EXTERNALLY-MANAGED
# marker), and the host's CA bundle is inside so pip reaches the index when the
# build runs on the host network.
set -euo pipefail
image=${VERTEX_BASE_IMAGE:-local/python:3.11}
suite=${VERTEX_BASE_SUITE:-bookworm}
mirror=${VERTEX_BASE_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image: $image already present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "base image: $image is missing and debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null 2>&1 || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
root=$(mktemp -d /tmp/vertex-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image: debootstrap $suite from $mirror (about a minute)"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
  "$suite" "$root" "$mirror" >/tmp/vertex-base-debootstrap.log 2>&1 || {
  echo "base image: debootstrap failed; see /tmp/vertex-base-debootstrap.log" >&2
  tail -n 20 /tmp/vertex-base-debootstrap.log >&2
  exit 1
}
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# pip as configured here (index mirrors, CA) so builds install what the host can.
if [ -f /etc/pip.conf ]; then cp /etc/pip.conf "$root/etc/pip.conf"; fi
ln -sf /usr/bin/python3 "$root/usr/local/bin/python"
ln -sf /usr/bin/pip3 "$root/usr/local/bin/pip"
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
echo "base image: importing as $image"
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
  -c 'ENV LANG=C.UTF-8' \
  -c 'ENV PIP_ROOT_USER_ACTION=ignore' \
  -c 'CMD ["python3"]' - "$image" >/dev/null
echo "base image: $image built"
