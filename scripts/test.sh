#!/usr/bin/env bash
# Everything CI checks: services up, lint, types, the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/services.sh
.venv/bin/ruff check pulumi_vertex_training tests bench examples
.venv/bin/ruff format --check pulumi_vertex_training tests bench examples
.venv/bin/mypy
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
