"""How a trainer reports its metric to Vertex AI's hyperparameter tuning, without a package.

Vertex AI reads what cloudml-hypertune writes: JSON lines in
``/tmp/hypertune/output.metrics`` (``$CLOUD_ML_HP_METRIC_FILE`` if set), the last
100 reports, each ``{"<metric tag>": "<value>", "global_step": "<step>",
"timestamp": <seconds>, "trial": "<CLOUD_ML_TRIAL_ID>"}``. This class writes that
file with the same method, so ``pip install cloudml-hypertune`` and ``import
hypertune`` is a drop-in replacement where PyPI is reachable (the local base image
installs nothing).
"""

import collections
import json
import os
import time

DEFAULT_PATH = "/tmp/hypertune/output.metrics"
DEFAULT_TAG = "training/hptuning/metric"
KEPT = 100


class HyperTune:
    """cloudml-hypertune's ``HyperTune``: report a metric, rewrite the file."""

    def __init__(self):
        self.path = os.environ.get("CLOUD_ML_HP_METRIC_FILE", DEFAULT_PATH)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.trial = os.environ.get("CLOUD_ML_TRIAL_ID", "0")
        self.reports = collections.deque(maxlen=KEPT)

    def report_hyperparameter_tuning_metric(
        self, hyperparameter_metric_tag, metric_value, global_step=None
    ):
        """Record ``metric_value`` under its tag (the study's ``metric_id``) at ``global_step``."""
        self.reports.append(
            {
                hyperparameter_metric_tag or DEFAULT_TAG: str(float(metric_value)),
                "global_step": str(int(global_step) if global_step else 0),
                "timestamp": time.time(),
                "trial": str(self.trial),
            }
        )
        with open(self.path, "w") as f:
            for report in self.reports:
                f.write(json.dumps(report, sort_keys=True) + "\n")
