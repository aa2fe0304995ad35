"""What the TrainingPipeline provider tests share: raw props as the resource sends them."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from tests.provider.conftest import python_job_spec

SERVING = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"
_counter = itertools.count()


def pipeline_props(code: str = "print('hello')", **overrides: Any) -> dict[str, Any]:
    """Raw props as vt.TrainingPipeline sends them (before check): one pool running
    ``python -c code``, an output directory, a model to upload."""
    props: dict[str, Any] = {
        "project": "test-project",
        "location": "us-central1",
        "display_name": f"pipeline-{next(_counter)}",
        "job_spec": python_job_spec(
            code, base_output_directory={"output_uri_prefix": "gs://pl-bucket/run"}
        ),
        "model_to_upload": {"display_name": "model", "container_spec": {"image_uri": SERVING}},
        "model_id": None,
        "parent_model": None,
        "labels": None,
        "encryption_spec": None,
        "wait": "none",
        "on_delete": "cancel",
        "wait_timeout": None,
        "logs": None,
        "triggers": None,
        # unique per call: pipelines of earlier tests are never adopted by accident
        "resource_key": f"tests/dev/{uuid.uuid4().hex}",
    }
    props.update(overrides)
    return props
