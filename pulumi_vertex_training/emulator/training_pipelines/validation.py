"""CreateTrainingPipeline's request validation, as Vertex AI does it: independent of provider code.

Only the custom task is served (``CUSTOM_TASK``); another ``training_task_definition`` is
UNIMPLEMENTED naming it. Every other rule is INVALID_ARGUMENT naming the field path
under ``training_pipeline``, all violations at once: the pipeline's own fields, the
``training_task_inputs`` (normalized by ``task_inputs.py``, then judged by the
CustomJob rules of ``custom_jobs/validation.py``, their paths moved from
``custom_job.job_spec`` to ``training_pipeline.training_task_inputs``) and
``model_to_upload`` (the upload rules of ``models/validation.py``).
"""

from __future__ import annotations

import re
from typing import Any

from google.cloud.aiplatform_v1 import CustomJob

from pulumi_vertex_training.emulator import common_validation as common
from pulumi_vertex_training.emulator.custom_jobs import validation as job_validation
from pulumi_vertex_training.emulator.exceptions import (
    EmulatorError,
    InvalidArgument,
    Unimplemented,
    Violation,
)
from pulumi_vertex_training.emulator.models import validation as model_validation
from pulumi_vertex_training.emulator.training_pipelines import task_inputs

CUSTOM_TASK = "gs://google-cloud-aiplatform/schema/trainingjob/definition/custom_task_1.0.0.yaml"
"""The custom training task (``aiplatform.schema.training_job.definition.custom_task``)."""

FIELD = "training_pipeline"
INPUTS = f"{FIELD}.training_task_inputs"
PIPELINE_NAME_RE = re.compile(rf"{common.PARENT_PATTERN}/trainingPipelines/(?P<id>[0-9]{{1,20}})")
"""Used with fullmatch: ASCII digits only, no trailing newline."""


def check_training_pipeline_name(name: str, field: str = "name") -> None:
    """INVALID_ARGUMENT unless ``name`` is ``projects/{p}/locations/{l}/trainingPipelines/{n}``."""
    if not PIPELINE_NAME_RE.fullmatch(name):
        raise InvalidArgument(
            violations=[
                (
                    field,
                    f"{field}: {name!r} is not a valid TrainingPipeline name; expected "
                    "projects/{project}/locations/{location}/trainingPipelines/{numeric id}",
                )
            ]
        )


def repath(message: str) -> str:
    """A CustomJob error message with its paths moved under ``training_task_inputs``."""
    return message.replace("custom_job.job_spec", INPUTS)


def repathed(err: EmulatorError) -> EmulatorError:
    """The backing CustomJob's creation error as the pipeline's: the same type, its paths
    moved under ``training_task_inputs``, an InvalidArgument's field violations kept."""
    if isinstance(err, InvalidArgument):
        return InvalidArgument(
            repath(err.message), [(repath(f), repath(d)) for f, d in err.violations]
        )
    return type(err)(repath(err.message))


def validate_training_pipeline(pipeline: Any, parent: str) -> Any:
    """The CustomJobSpec to run (a raw protobuf), or raise.

    ``pipeline`` is the raw TrainingPipeline; output-only fields are ignored. Raises
    Unimplemented for a task other than :data:`CUSTOM_TASK` or an ``input_data_config``,
    and InvalidArgument listing every other rule broken.
    """
    definition = pipeline.training_task_definition
    if not definition:
        raise InvalidArgument(
            violations=[
                (
                    f"{FIELD}.training_task_definition",
                    f"{FIELD}.training_task_definition is required "
                    f"(for custom training: {CUSTOM_TASK})",
                )
            ]
        )
    if definition != CUSTOM_TASK:
        raise Unimplemented(
            f"{FIELD}.training_task_definition: {definition!r} is not served by the Vertex AI "
            f"emulator; only custom training ({CUSTOM_TASK}) is"
        )
    if pipeline.HasField("input_data_config"):
        raise Unimplemented(
            f"{FIELD}.input_data_config: Vertex AI managed datasets are not emulated; "
            "read the data from Cloud Storage in the trainer instead"
        )
    errors: list[Violation] = []
    common.check_display_name(pipeline.display_name, f"{FIELD}.display_name", errors, required=True)
    common.check_labels(dict(pipeline.labels), f"{FIELD}.labels", errors)
    kms = pipeline.encryption_spec.kms_key_name
    if pipeline.HasField("encryption_spec") and not common.KMS_KEY_RE.match(kms):
        errors.append(
            (
                f"{FIELD}.encryption_spec.kms_key_name",
                f"{FIELD}.encryption_spec.kms_key_name: {kms!r} must be projects/{{p}}/locations/"
                "{l}/keyRings/{kr}/cryptoKeys/{k}",
            )
        )
    if not pipeline.HasField("training_task_inputs"):
        errors.append((INPUTS, f"{INPUTS} is required: the CustomJobSpec to run"))
        spec, spec_errors = None, [(INPUTS, "missing")]
    else:
        spec, spec_errors = task_inputs.to_custom_job_spec(pipeline.training_task_inputs, INPUTS)
        errors += spec_errors
    if spec_errors:
        spec = None  # not judged further: its values are not what was meant
    else:
        errors += _job_spec_errors(spec)
    _check_model_to_upload(pipeline, parent, spec, errors)
    if errors:
        raise InvalidArgument(violations=errors)
    return spec


def _job_spec_errors(spec: Any) -> list[Violation]:
    job = CustomJob.pb()(display_name="training-pipeline")
    job.job_spec.CopyFrom(spec)
    try:
        job_validation.validate_custom_job(job)
    except InvalidArgument as err:
        return [(repath(field), repath(description)) for field, description in err.violations]
    return []


def _check_model_to_upload(pipeline: Any, parent: str, spec: Any, errors: list[Violation]) -> None:
    model_id, parent_model = pipeline.model_id, pipeline.parent_model
    if not pipeline.HasField("model_to_upload"):
        for field, value in (("model_id", model_id), ("parent_model", parent_model)):
            if value:
                errors.append(
                    (
                        f"{FIELD}.{field}",
                        f"{FIELD}.{field}: {value!r} is only allowed with model_to_upload",
                    )
                )
        return
    model = pipeline.model_to_upload
    model_validation.check_model(model, f"{FIELD}.model_to_upload", errors, require_container=True)
    model_validation.check_model_id(model_id, f"{FIELD}.model_id", errors)
    model_validation.check_parent_model(parent_model, parent, f"{FIELD}.parent_model", errors)
    if parent_model and model_id and parent_model.rsplit("/", 1)[1] != model_id:
        errors.append(
            (
                f"{FIELD}.model_id",
                f"{FIELD}.model_id: {model_id!r} differs from the id of parent_model "
                f"{parent_model!r}; give one of them",
            )
        )
    has_output = spec is not None and bool(spec.base_output_directory.output_uri_prefix)
    if spec is not None and not model.artifact_uri and not has_output:
        errors.append(
            (
                f"{INPUTS}.base_output_directory",
                f"{INPUTS}.base_output_directory is required with model_to_upload: the model is "
                "uploaded from its model/ folder (AIP_MODEL_DIR), unless "
                "model_to_upload.artifact_uri names another folder",
            )
        )
