"""TrainingPipeline (custom task): normalize what a user declares and check every rule.

The pipeline is a CustomJob plus a model upload, so its ``training_task_inputs`` go
through :func:`~.custom_job.normalize_custom_job` (every CustomJobSpec rule and default),
their failures re-pathed from ``job_spec`` to ``training_task_inputs``; its
``model_to_upload`` through :func:`~.model.check_model` with a serving image required.
Canonical form as for CustomJob. Further rules (the emulator has them too, in
``emulator/training_pipelines/validation.py``):

- ``display_name`` required (1 to 128 characters);
- ``training_task_inputs`` required;
- with ``model_to_upload``: ``training_task_inputs.base_output_directory`` is required
  unless ``model_to_upload.artifact_uri`` is given, since the model is uploaded from
  the job's ``AIP_MODEL_DIR`` (``{base_output_directory}/model``);
- ``model_id`` and ``parent_model`` only with ``model_to_upload``, in their formats and
  agreeing (``model.check_upload_target``);
- ``labels``, ``encryption_spec`` as for jobs.

``training_task_definition`` is not an input: it is always :data:`CUSTOM_TASK_DEFINITION`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import names
from .args import to_plain
from .coerce import coerce_message, prune
from .custom_job import check_encryption_spec, normalize_custom_job
from .failures import Normalized, SpecFailure, is_unknown, missing, without_redundant
from .model import check_display_name, check_model, check_upload_target
from .resource_names import check_labels
from .schema import MESSAGES

if TYPE_CHECKING:
    from google.cloud.aiplatform_v1 import TrainingPipeline

CUSTOM_TASK_DEFINITION = (
    "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"
)
"""The custom training task: ``training_task_inputs`` is a CustomJobSpec."""

PIPELINE_FIELDS = tuple(MESSAGES["TrainingPipelineInput"])
"""The TrainingPipeline fields a user gives (``training_task_definition`` is implied)."""

_INPUTS = "training_task_inputs"


class NormalizedTrainingPipeline(Normalized):
    """The canonical TrainingPipeline inputs and every problem found, all at once."""


def normalize_training_pipeline(
    raw: Mapping[str, Any], *, location: str | None = None, project: str | None = None
) -> NormalizedTrainingPipeline:
    """Normalize and validate TrainingPipeline inputs (``TrainingPipelineArgs`` or dicts,
    snake_case or camelCase; any value may be UNKNOWN).

    Args:
        raw: display_name, training_task_inputs, model_to_upload, model_id, parent_model,
            labels, encryption_spec.
        location: the pipeline's region, when known (CMEK keys and ``parent_model`` must
            be in it).
        project: the pipeline's project, when known (``parent_model`` must be in it).

    Returns:
        NormalizedTrainingPipeline with the canonical value and all failures (never raises).
    """
    failures: list[SpecFailure] = []
    warnings: list[SpecFailure] = []
    plain = to_plain(raw)
    if not isinstance(plain, Mapping):
        coerce_message(plain, "TrainingPipelineInput", "", failures)
        return NormalizedTrainingPipeline({}, failures)
    table = MESSAGES["TrainingPipelineInput"]
    keys = [k for k in plain if isinstance(k, str) and names.resolve_key(k, table) == _INPUTS]
    inputs = plain[keys[0]] if len(keys) == 1 else None
    rest = {k: v for k, v in plain.items() if len(keys) != 1 or k != keys[0]}
    coerced = coerce_message(rest, "TrainingPipelineInput", "", failures)
    if not isinstance(coerced, dict):
        return NormalizedTrainingPipeline({}, failures)
    check_display_name(coerced.get("display_name"), "display_name", failures)
    check_labels(coerced.get("labels"), "labels", failures)
    check_encryption_spec(coerced.get("encryption_spec"), "encryption_spec", location, failures)
    spec = _inputs(inputs, location, failures, warnings)
    _check_model_to_upload(coerced, spec, location, project, failures)
    value = prune(coerced, "TrainingPipelineInput")
    if spec is not None:
        value[_INPUTS] = spec
    return NormalizedTrainingPipeline(value, without_redundant(failures), warnings)


def _inputs(
    inputs: Any, location: str | None, failures: list[SpecFailure], warnings: list[SpecFailure]
) -> Any:
    """The canonical CustomJobSpec of ``training_task_inputs``, or None when absent; its
    failures and warnings (uncertain machine facts) re-pathed under it."""
    if inputs is None:
        failures.append(missing(_INPUTS, "required: the CustomJobSpec the pipeline runs"))
        return None
    if is_unknown(inputs):
        return inputs
    job = normalize_custom_job(
        {"display_name": "training-pipeline", "job_spec": inputs}, location=location
    )
    for failure in job.failures:
        failures.append(dataclasses.replace(failure, path=_repath(failure.path)))
    for warning in job.warnings:
        warnings.append(dataclasses.replace(warning, path=_repath(warning.path)))
    return job.value.get("job_spec")


def _repath(path: str) -> str:
    return _INPUTS + path[len("job_spec") :] if path.startswith("job_spec") else path


def _check_model_to_upload(
    pipeline: dict[str, Any],
    spec: Any,
    location: str | None,
    project: str | None,
    failures: list[SpecFailure],
) -> None:
    model = pipeline.get("model_to_upload")
    model_id, parent_model = pipeline.get("model_id"), pipeline.get("parent_model")
    if model is None:
        for field, value in (("model_id", model_id), ("parent_model", parent_model)):
            if value not in (None, ""):
                failures.append(SpecFailure(field, "only allowed with model_to_upload", value))
        return
    check_upload_target(model_id, parent_model, "", location, failures, project=project)
    if not isinstance(model, dict):
        return
    check_model(model, "model_to_upload", location, failures, require_container=True)
    if model.get("artifact_uri") not in (None, "") or not isinstance(spec, dict):
        return  # "" is no artifact_uri on the wire (proto3): the model dir is needed then
    base = spec.get("base_output_directory")
    if base is None:
        failures.append(
            missing(
                f"{_INPUTS}.base_output_directory",
                "required with model_to_upload: the model is uploaded from its model/ "
                "folder (AIP_MODEL_DIR), unless model_to_upload.artifact_uri names another",
            )
        )


def training_pipeline_to_proto(canonical: dict[str, Any]) -> TrainingPipeline:
    """The TrainingPipeline to send in CreateTrainingPipelineRequest, from
    ``NormalizedTrainingPipeline.value``; ``training_task_inputs`` becomes the Struct."""
    from google.cloud.aiplatform_v1 import TrainingPipeline
    from google.protobuf import json_format

    from .hashing import has_unknowns

    if has_unknowns(canonical):
        raise ValueError("cannot build a request from a spec with unknown values")
    pipeline = TrainingPipeline()
    raw = TrainingPipeline.pb(pipeline)
    body = {k: v for k, v in canonical.items() if k in PIPELINE_FIELDS and k != _INPUTS}
    json_format.ParseDict(body, raw)
    raw.training_task_definition = CUSTOM_TASK_DEFINITION
    json_format.ParseDict(canonical.get(_INPUTS, {}), raw.training_task_inputs)
    return pipeline
