#!/usr/bin/env bash
# The quickstart, end to end on this machine: local services, the Vertex AI
# emulator, then the root Pulumi project (examples/quickstart) on stack `local`:
# an image autopackaged from examples/quickstart/src, pushed to the local
# registry, run as a CustomJob until it succeeds.
#
# With the Pulumi CLI (installed with its official installer where missing):
#   pulumi login into .pulumi-state/, stack `local`, `pulumi up --yes`.
# Where the CLI cannot be had (an offline machine), the same program runs
# through the in-process runner (pulumi_vertex_training.testing).
#   QUICKSTART_RUNNER=cli|inprocess forces one; QUICKSTART_DESTROY=1 tears down after.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Each step says how long it took: a newcomer sees where the first minutes go.
step_started=$SECONDS
step_name=""
step() {
  finish_step
  step_name=$1
  step_started=$SECONDS
  echo "== $1"
}
finish_step() {
  if [ -n "$step_name" ]; then
    echo "   (${step_name%%:*} took $((SECONDS - step_started))s)"
  fi
}
trap finish_step EXIT

step "1/4 Python environment (.venv)"
bash scripts/bootstrap.sh

step "2/4 Local services: Docker engine, registry 127.0.0.1:5000, base image"
bash scripts/services.sh

step "3/4 Vertex AI emulator"
.venv/bin/vertex-local start --data-dir "$root/.vertex-local" --port 8470 --rest-port 8471
export VERTEX_AI_EMULATOR_HOST=127.0.0.1:8470

step "4/4 pulumi up (stack local)"
runner=${QUICKSTART_RUNNER:-}
if [ -z "$runner" ]; then
  if ! command -v pulumi >/dev/null 2>&1 && [ ! -x "$HOME/.pulumi/bin/pulumi" ]; then
    echo "Pulumi CLI not found; trying its official installer (https://get.pulumi.com)"
    if curl -fsSL --max-time 30 https://get.pulumi.com -o /tmp/pulumi-install.sh 2>/dev/null \
        && sh /tmp/pulumi-install.sh --silent >/tmp/pulumi-install.log 2>&1; then
      echo "Pulumi CLI installed in ~/.pulumi/bin"
    else
      echo "The Pulumi CLI cannot be installed here (no access to get.pulumi.com)."
    fi
  fi
  export PATH="$HOME/.pulumi/bin:$PATH"
  if command -v pulumi >/dev/null 2>&1; then runner=cli; else runner=inprocess; fi
fi

if [ "$runner" = cli ]; then
  export PATH="$HOME/.pulumi/bin:$PATH"
  export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-}
  mkdir -p .pulumi-state
  pulumi login "file://$root/.pulumi-state"
  pulumi stack select local --create --non-interactive
  pulumi up --yes --stack local --skip-preview
  [ "${QUICKSTART_DESTROY:-0}" = 1 ] && pulumi destroy --yes --stack local
else
  echo "Running the program in-process instead (pulumi_vertex_training.testing: same"
  echo "providers, same emulator; state in .pulumi-state/local.json)."
  .venv/bin/python -m pulumi_vertex_training.testing up . --stack local \
    --state-file .pulumi-state/local.json
  if [ "${QUICKSTART_DESTROY:-0}" = 1 ]; then
    .venv/bin/python -m pulumi_vertex_training.testing destroy . --stack local \
      --state-file .pulumi-state/local.json
  fi
fi

finish_step
step_name=""
cat <<MSG

Done in ${SECONDS}s. See the job in the emulator:
  .venv/bin/vertex-local jobs
  .venv/bin/vertex-local logs <JOB_ID>          # the trainer's output
  ls .vertex-local/gcs/quickstart/runs/model/   # the model it saved (gs://quickstart/runs/model/)
Stop the emulator with: .venv/bin/vertex-local stop --data-dir .vertex-local
MSG
