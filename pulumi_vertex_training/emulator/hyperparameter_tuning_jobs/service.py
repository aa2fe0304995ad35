"""JobService's HyperparameterTuningJob RPCs: thin translators from requests to the backend.

Plain Python, no gRPC (``server.py`` and ``rest.py`` adapt it); the RPC table and the
HTTP bindings are in ``routes.py``.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import masks
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.backend import TuningBackend


class TuningServicer:
    """``google.cloud.aiplatform.v1.JobService``, the HyperparameterTuningJob methods.

    Args:
        backend: the state and API meaning behind the RPCs.
    """

    def __init__(self, backend: TuningBackend) -> None:
        self.backend = backend

    def create_hyperparameter_tuning_job(
        self, request: aiplatform_v1.CreateHyperparameterTuningJobRequest
    ) -> aiplatform_v1.HyperparameterTuningJob:
        """CreateHyperparameterTuningJob. Output-only fields of the job are ignored."""
        return self.backend.create_hyperparameter_tuning_job(
            request.parent, request.hyperparameter_tuning_job
        )

    def get_hyperparameter_tuning_job(
        self, request: aiplatform_v1.GetHyperparameterTuningJobRequest
    ) -> aiplatform_v1.HyperparameterTuningJob:
        """GetHyperparameterTuningJob."""
        return self.backend.get_hyperparameter_tuning_job(request.name)

    def list_hyperparameter_tuning_jobs(
        self, request: aiplatform_v1.ListHyperparameterTuningJobsRequest
    ) -> aiplatform_v1.ListHyperparameterTuningJobsResponse:
        """ListHyperparameterTuningJobs; with a ``read_mask``, only its fields (``masks.py``)."""
        mask = masks.read_mask(request.read_mask, aiplatform_v1.HyperparameterTuningJob)
        jobs, next_page_token = self.backend.list_hyperparameter_tuning_jobs(
            request.parent, request.filter, request.page_size, request.page_token
        )
        return aiplatform_v1.ListHyperparameterTuningJobsResponse(
            hyperparameter_tuning_jobs=[mask(job) for job in jobs], next_page_token=next_page_token
        )

    def cancel_hyperparameter_tuning_job(
        self, request: aiplatform_v1.CancelHyperparameterTuningJobRequest
    ) -> None:
        """CancelHyperparameterTuningJob (asynchronous: poll for JOB_STATE_CANCELLED)."""
        self.backend.cancel_hyperparameter_tuning_job(request.name)

    def delete_hyperparameter_tuning_job(
        self, request: aiplatform_v1.DeleteHyperparameterTuningJobRequest
    ) -> operations_pb2.Operation:
        """DeleteHyperparameterTuningJob: a long-running Operation (done at once)."""
        return self.backend.delete_hyperparameter_tuning_job(request.name)
