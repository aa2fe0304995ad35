#!/usr/bin/env bash
# Create .venv and install the project with its test tools. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# Re-install when what is installed changes: the dependencies or this script.
stamp=.venv/.installed-$(cat pyproject.toml "$0" | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  # This machine's pip config names local mirrors that may be absent: drop that noise.
  # The venv's own pip is recent enough for editable installs from pyproject.toml. Not
  # --no-compile: with PYTHONDONTWRITEBYTECODE set (as it may be), every process would
  # compile what it imports again.
  .venv/bin/pip install -q -e '.[test,gcp,local,image]' 2>&1 \
    | { grep -v "^WARNING: Location" || true; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
