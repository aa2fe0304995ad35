"""The emulator's TrainingPipelines (custom task): state, API meaning, and following the job.

Method names are the RPC names in snake_case. A pipeline is a CustomJob plus an upload:

1. CreateTrainingPipeline validates (``validation.py``), creates the backing CustomJob
   through :class:`~.custom_jobs.backend.JobBackend` (display name, labels and CMEK of
   the pipeline, the ``training_task_inputs`` as its spec) and stores the pipeline,
   QUEUED, with ``training_task_metadata = {"backingCustomJob": <job name>}``.
2. A monitor thread reads each active pipeline's job (``get_custom_job``) every
   ``poll_interval`` seconds and moves the pipeline along (``states.steps``): job
   QUEUED/PENDING -> PENDING, RUNNING -> RUNNING, CANCELLING -> CANCELLING, FAILED ->
   FAILED with the job's error, CANCELLED -> CANCELLED (code 1).
3. Job SUCCEEDED: with ``model_to_upload``, the model is uploaded from
   ``model_to_upload.artifact_uri`` or else ``{base_output_directory}/model`` (the job's
   ``AIP_MODEL_DIR``) through :class:`~.models.backend.ModelBackend`; ``model_to_upload``
   becomes the uploaded Model (unversioned ``name``, ``version_id``), then SUCCEEDED. An
   empty model folder, or a refused upload, FAILS the pipeline saying why.

CancelTrainingPipeline moves it to CANCELLING and cancels the job; the job's end decides
the pipeline's. Everything is in the Store: a restarted emulator follows the pipelines
again (their jobs reattached), and finds a model uploaded just before a crash
(``find_uploaded_by``) rather than uploading it twice.
"""

from __future__ import annotations

import logging
import pathlib
import threading
from typing import Any

from google.cloud.aiplatform_v1 import (
    CustomJob,
    JobState,
    Model,
    TrainingPipeline,
)
from google.longrunning import operations_pb2
from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2

from pulumi_vertex_training.emulator import common_validation, filters, records
from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend
from pulumi_vertex_training.emulator.exceptions import (
    EmulatorError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from pulumi_vertex_training.emulator.execution.cluster import gcs_local_path
from pulumi_vertex_training.emulator.models.backend import ModelBackend
from pulumi_vertex_training.emulator.store import Store
from pulumi_vertex_training.emulator.training_pipelines import states, validation

log = logging.getLogger(__name__)

PIPELINE_KIND = "trainingPipeline"
OPERATION_KIND = "trainingPipelineOperation"
BACKING_JOB = "backingCustomJob"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_OUTPUT_ONLY = (
    "name", "state", "error", "create_time", "start_time", "end_time", "update_time",
    "training_task_metadata",
)  # fmt: skip

PIPELINE_FIELDS: dict[str, filters.FieldSpec] = {
    "display_name": filters.FieldSpec(
        "string", lambda p: p.display_name, frozenset({"=", "!=", ":"})
    ),
    "state": filters.FieldSpec(
        "enum", lambda p: p.state, frozenset({"=", "!="}), enum=states.PipelineState
    ),
    "training_task_definition": filters.FieldSpec(
        "string", lambda p: p.training_task_definition, frozenset({"=", "!=", ":"})
    ),
    "create_time": filters.FieldSpec(
        "timestamp", lambda p: p.create_time, frozenset({"=", "!=", "<", "<=", ">", ">="})
    ),
    "labels": filters.FieldSpec("labels", lambda p: p.labels, frozenset({"=", "!=", ":"})),
}
"""ListTrainingPipelines' filter fields, as its request documents them."""

# Job state -> the pipeline state it means (SUCCEEDED is handled apart: the upload).
_FOLLOW = {
    JobState.JOB_STATE_QUEUED: states.PENDING,
    JobState.JOB_STATE_PENDING: states.PENDING,
    JobState.JOB_STATE_RUNNING: states.RUNNING,
    JobState.JOB_STATE_CANCELLING: states.CANCELLING,
    JobState.JOB_STATE_FAILED: states.FAILED,
    JobState.JOB_STATE_CANCELLED: states.CANCELLED,
}


class PipelineBackend:
    """TrainingPipelines, persisted, each run as a CustomJob and followed to its end.

    Args:
        store: where pipelines and their operations live.
        jobs: creates, reads and cancels the backing CustomJobs (public methods only).
        models: the Model Registry the trained models are uploaded to.
        data_dir: the emulator's data dir (the local Cloud Storage under ``gcs/``).
        poll_interval: seconds between two looks at the jobs.
    """

    operation_kind = OPERATION_KIND
    """The store kind of its long-running operations (``operations.py`` looks there)."""

    def __init__(
        self,
        store: Store,
        jobs: JobBackend,
        models: ModelBackend,
        data_dir: pathlib.Path,
        poll_interval: float = 0.2,
    ) -> None:
        self.store = store
        self.jobs = jobs
        self.models = models
        self.data_dir = pathlib.Path(data_dir)
        self.poll_interval = poll_interval
        self._lock = threading.RLock()
        self._pipelines: dict[str, Any] = {}
        for data in store.list(PIPELINE_KIND):
            pb = json_format.ParseDict(data, TrainingPipeline.pb()(), ignore_unknown_fields=True)
            self._pipelines[pb.name] = pb
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start following the active pipelines' jobs (resumes those stored)."""
        self._thread = threading.Thread(
            target=self._loop, name="vertex-local-training-pipelines", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop following; the pipelines resume on the next start."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # ---- RPCs ------------------------------------------------------------------------

    def create_training_pipeline(self, parent: str, training_pipeline: Any) -> TrainingPipeline:
        """Validate, create the backing CustomJob, store the pipeline (QUEUED).

        Raises InvalidArgument, Unimplemented (another task definition), NotFound
        (``parent_model``), AlreadyExists (``model_id``), and what creating the job raises.
        """
        common_validation.parse_parent(parent)
        pb = TrainingPipeline.pb()()
        pb.CopyFrom(TrainingPipeline.pb(training_pipeline))
        spec = validation.validate_training_pipeline(pb, parent)
        for field in _OUTPUT_ONLY:
            pb.ClearField(field)
        if pb.HasField("model_to_upload"):
            self.models.check_upload_target(pb.parent_model, pb.model_id, parent)
        job = CustomJob.pb()(display_name=pb.display_name, labels=dict(pb.labels))
        job.job_spec.CopyFrom(spec)
        if pb.HasField("encryption_spec"):
            job.encryption_spec.CopyFrom(pb.encryption_spec)
        try:
            created = self.jobs.create_custom_job(parent, CustomJob.wrap(job))
        except EmulatorError as err:
            raise validation.repathed(err) from None
        pb.name = f"{parent}/trainingPipelines/{self.store.next_id('trainingPipeline')}"
        pb.state = states.INITIAL
        now = records.now()
        pb.create_time.CopyFrom(now)
        pb.update_time.CopyFrom(now)
        pb.training_task_metadata.struct_value.fields[BACKING_JOB].string_value = created.name
        with self._lock:
            self._pipelines[pb.name] = pb
            self._save(pb)
            return TrainingPipeline.wrap(_copy(pb))

    def get_training_pipeline(self, name: str) -> TrainingPipeline:
        """The pipeline named ``name``. Raises InvalidArgument, NotFound."""
        with self._lock:
            return TrainingPipeline.wrap(_copy(self._get(name)))

    def list_training_pipelines(
        self, parent: str, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> tuple[list[TrainingPipeline], str]:
        """One page of the pipelines under ``parent``, newest first, and the next token."""
        common_validation.parse_parent(parent)
        matches = filters.compile_filter(filter, PIPELINE_FIELDS)
        if page_size < 0:
            raise InvalidArgument(
                violations=[("page_size", f"page_size: {page_size} must not be negative")]
            )
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = records.decode_page_token(page_token)
        if after and not after.isdigit():
            raise InvalidArgument(
                violations=[
                    ("page_token", f"page_token: {page_token!r} is not a token this service gave")
                ]
            )
        with self._lock:
            found = [
                TrainingPipeline.wrap(_copy(p))
                for p in sorted(self._pipelines.values(), key=_id, reverse=True)
                if p.name.startswith(parent + "/") and (not after or _id(p) < int(after))
            ]
        page = [p for p in found if matches(p)]
        if len(page) <= size:
            return page, ""
        page = page[:size]
        return page, records.encode_page_token(str(_id(TrainingPipeline.pb(page[-1]))))

    def cancel_training_pipeline(self, name: str) -> None:
        """CANCELLING now, and the job is cancelled; CANCELLED once the job is.

        No-op on a CANCELLING pipeline; FailedPrecondition on a finished one.
        """
        with self._lock:
            pipeline = self._get(name)
            if pipeline.state == states.CANCELLING:
                return
            if pipeline.state in states.TERMINAL:
                raise FailedPrecondition(
                    f"Cannot cancel {name}: it is {states.PipelineState(pipeline.state).name} "
                    "and has already finished."
                )
            self._move(pipeline, states.CANCELLING)
            job_name = _backing_job(pipeline)
        try:
            self.jobs.cancel_custom_job(job_name)
        except (FailedPrecondition, NotFound):
            pass  # the job ended meanwhile: the monitor follows its end

    def delete_training_pipeline(self, name: str) -> operations_pb2.Operation:
        """Delete a finished pipeline (its CustomJob and Model stay); the Operation is done.

        Raises NotFound, and FailedPrecondition for a pipeline that has not finished.
        """
        with self._lock:
            state = self._get(name).state
            if state not in states.TERMINAL:
                raise FailedPrecondition(
                    f"Cannot delete {name}: it is {states.PipelineState(state).name}. Cancel it "
                    "and wait for PIPELINE_STATE_CANCELLED (or for it to finish) first."
                )
            del self._pipelines[name]
            self.store.delete(PIPELINE_KIND, name)
        return records.deleted_operation(self.store, OPERATION_KIND, name)

    def get_operation(self, name: str) -> operations_pb2.Operation:
        """A pipeline operation by name. Raises InvalidArgument, NotFound."""
        common_validation.check_operation_name(name)
        return records.load_operation(self.store, OPERATION_KIND, name)

    # ---- following the jobs ----------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            try:
                self.poll_once()
            except Exception:  # keep following: one bad poll must not strand every pipeline
                log.exception("training pipeline poll failed")

    def poll_once(self) -> None:
        """Look at every active pipeline's job once and move the pipeline along."""
        with self._lock:
            active = [p.name for p in self._pipelines.values() if p.state in states.ACTIVE]
        for name in active:
            try:
                self._follow(name)
            except Exception:
                log.exception("following %s failed", name)

    def _follow(self, name: str) -> None:
        with self._lock:
            pipeline = self._pipelines.get(name)
            if pipeline is None or pipeline.state in states.TERMINAL:
                return
            job_name = _backing_job(pipeline)
        try:
            job = self.jobs.get_custom_job(job_name)
        except NotFound:
            self._advance(name, states.FAILED, _status(code_pb2.INTERNAL, f"The backing CustomJob "
                      f"{job_name} no longer exists."))  # fmt: skip
            return
        if job.state == JobState.JOB_STATE_SUCCEEDED:
            self._succeed(name, job)
            return
        target = _FOLLOW.get(job.state)
        if target is None:
            return
        error: status_pb2.Status | None = None
        if target == states.FAILED:
            error = status_pb2.Status()
            error.CopyFrom(CustomJob.pb(job).error)
        elif target == states.CANCELLED:
            error = _status(code_pb2.CANCELLED, "CANCELED")
        self._advance(name, target, error)

    def _succeed(self, name: str, job: CustomJob) -> None:
        with self._lock:
            pipeline = _copy(self._pipelines[name])
        if not pipeline.HasField("model_to_upload"):
            self._advance(name, states.SUCCEEDED)
            return
        uploaded = self.models.find_uploaded_by(name)
        if uploaded is None:
            try:
                uploaded = self._upload(pipeline, job)
            except EmulatorError as err:
                self._advance(name, states.FAILED, _status(err.code.value[0], err.message))
                return
        with self._lock:
            current = self._pipelines.get(name)
            if current is None or current.state in states.TERMINAL:
                return
            current.model_to_upload.CopyFrom(Model.pb(uploaded))
            self._move(current, states.SUCCEEDED)

    def _upload(self, pipeline: Any, job: CustomJob) -> Model:
        model = Model.pb()()
        model.CopyFrom(pipeline.model_to_upload)
        if pipeline.HasField("encryption_spec") and not model.HasField("encryption_spec"):
            # TrainingPipeline.encryption_spec: the model "is also secured by this key if
            # model_to_upload is not set separately".
            model.encryption_spec.CopyFrom(pipeline.encryption_spec)
        if not model.artifact_uri:
            base = job.job_spec.base_output_directory.output_uri_prefix.rstrip("/")
            model.artifact_uri = f"{base}/model"
        folder = gcs_local_path(self.data_dir, model.artifact_uri)
        if not folder.is_dir() or not any(p.is_file() for p in folder.rglob("*")):
            raise FailedPrecondition(
                f"There are no files under {model.artifact_uri!r} to upload as the model: the "
                "trainer must save the model to os.environ['AIP_MODEL_DIR']."
            )
        parent = pipeline.name.split("/trainingPipelines/")[0]
        return self.models.upload(
            parent,
            model,
            pipeline.parent_model,
            pipeline.model_id,
            training_pipeline=pipeline.name,
            field=f"{validation.FIELD}.model_to_upload",
        )

    def _advance(self, name: str, target: int, error: status_pb2.Status | None = None) -> None:
        """Move pipeline ``name`` towards ``target`` (every step in between), under the lock."""
        with self._lock:
            pipeline = self._pipelines.get(name)
            if pipeline is not None:
                self._move(pipeline, target, error)

    # ---- records ---------------------------------------------------------------------

    def _move(self, pipeline: Any, target: int, error: status_pb2.Status | None = None) -> None:
        steps = states.steps(pipeline.state, target)
        if not steps:
            return
        now = records.now()
        for new in steps:
            states.check_transition(pipeline.state, new)
            pipeline.state = new
            if new == states.RUNNING:
                pipeline.start_time.CopyFrom(now)
            log.info("%s -> %s", pipeline.name, states.PipelineState(new).name)
        pipeline.update_time.CopyFrom(now)
        if target in states.TERMINAL:
            pipeline.end_time.CopyFrom(now)
            if error is not None and target != states.SUCCEEDED:
                pipeline.error.CopyFrom(error)
        self._save(pipeline)

    def _get(self, name: str) -> Any:
        validation.check_training_pipeline_name(name)
        pipeline = self._pipelines.get(name)
        if pipeline is None:
            raise NotFound(f"TrainingPipeline {name} not found.")
        return pipeline

    def _save(self, pipeline: Any) -> None:
        self.store.put(PIPELINE_KIND, pipeline.name, json_format.MessageToDict(pipeline))


def _copy(pipeline: Any) -> Any:
    clone = TrainingPipeline.pb()()
    clone.CopyFrom(pipeline)
    return clone


def _id(pipeline: Any) -> int:
    return int(pipeline.name.rsplit("/", 1)[1])


def _backing_job(pipeline: Any) -> str:
    return str(pipeline.training_task_metadata.struct_value.fields[BACKING_JOB].string_value)


def _status(code: int, message: str) -> status_pb2.Status:
    return records.status(code, message)
