"""The trainer the tuning tests run (as ``python -c <this file>``) in local/python:3.11.

Parses the trial's ``--name=value`` args, scores them with ``--score`` (a Python
expression over the parameters), reports the score the way cloudml-hypertune does
(its file, written directly: the offline image has no cloudml-hypertune) and writes
what it saw of the trial's env to ``$AIP_MODEL_DIR/seen.json`` (a ``/gcs/`` path).

Fixed args: ``--score EXPR``, ``--metric ID`` (default ``score``), ``--sleep S``,
``--fail-if EXPR`` (exit 1 when true).
"""

import argparse
import json
import os
import sys
import time

METRICS = "/tmp/hypertune/output.metrics"
_lines = []


def report(tag, value, step):
    """cloudml-hypertune's report_hyperparameter_tuning_metric, file format and all."""
    os.makedirs(os.path.dirname(METRICS), exist_ok=True)
    body = {
        "checkpoint_path": "",
        "global_step": str(int(step)),
        tag: str(float(value)),
        "timestamp": time.time(),
        "trial": str(os.environ.get("CLOUD_ML_TRIAL_ID", 0)),
    }
    _lines.append(json.dumps(body, sort_keys=True))
    with open(METRICS, "w") as f:
        f.write("\n".join(_lines[-100:]) + "\n")


parser = argparse.ArgumentParser()
parser.add_argument("--score", default="0")
parser.add_argument("--metric", default="score")
parser.add_argument("--sleep", type=float, default=0.0)
parser.add_argument("--fail-if", default="False")
fixed, rest = parser.parse_known_args()
params = {}
for token in rest:
    name, _, text = token[2:].partition("=")
    try:
        params[name] = int(text)
    except ValueError:
        try:
            params[name] = float(text)
        except ValueError:
            params[name] = text
model_dir = os.environ.get("AIP_MODEL_DIR", "")
if model_dir.startswith("gs://"):
    folder = "/gcs/" + model_dir[len("gs://") :]
    os.makedirs(folder, exist_ok=True)
    seen = {
        "args": sys.argv[1:],
        "trial_env": os.environ.get("CLOUD_ML_TRIAL_ID"),
        "cluster_task": json.loads(os.environ["CLUSTER_SPEC"])["task"],
        "tf_task": json.loads(os.environ["TF_CONFIG"])["task"],
        "model_dir": model_dir,
    }
    with open(os.path.join(folder, "seen.json"), "w") as f:
        json.dump(seen, f)
time.sleep(fixed.sleep)
if eval(fixed.fail_if, {}, dict(params)):
    print("failing on purpose", params)
    sys.exit(1)
score = float(eval(fixed.score, {}, dict(params)))
report(fixed.metric, score - 1.0, 1)
report(fixed.metric, score, 2)
print("reported", score, params)
