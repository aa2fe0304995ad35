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
extras='.[test,gcp,local,image]'
if [ ! -f "$stamp" ]; then
  # uv, not pip, installs the dependencies: it resolves and fetches them in parallel and
  # links them from its cache (~/.cache/uv), a fresh venv in seconds where pip took a
  # minute and a half. It reads no pip config: where it cannot install (an index only
  # pip is configured for), pip does. This machine's pip config names local mirrors that
  # may be absent: drop that noise.
  quiet_pip() { "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
  # Compiled now, in parallel on every core: the test processes import the same
  # modules at once and would each compile them (scripts/test.sh lets them reuse .pyc).
  if ! { quiet_pip .venv/bin/pip install -q 'uv>=0.5' && [ -x .venv/bin/uv ] \
      && .venv/bin/uv pip install -q --python .venv/bin/python --compile-bytecode -e "$extras"; }; then
    echo "bootstrap: uv could not install the project; installing with pip (slower)" >&2
    quiet_pip .venv/bin/pip install -q -e "$extras"
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
