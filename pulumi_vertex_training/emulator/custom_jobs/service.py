"""JobService (custom-job RPCs): thin translators from requests to the backend.

Plain Python, no gRPC: ``server.py`` adapts these methods to gRPC and ``rest.py``
to HTTP. Each raises ``exceptions.EmulatorError`` subclasses, which those layers
turn into the wire error.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator import masks
from pulumi_vertex_training.emulator.custom_jobs.backend import JobBackend


class JobServicer:
    """``google.cloud.aiplatform.v1.JobService``, the custom-job methods (see COVERAGE.md).

    Args:
        backend: the state and API meaning behind the RPCs.
    """

    def __init__(self, backend: JobBackend) -> None:
        self.backend = backend

    def create_custom_job(
        self, request: aiplatform_v1.CreateCustomJobRequest
    ) -> aiplatform_v1.CustomJob:
        """CreateCustomJob. Output-only fields of ``request.custom_job`` are ignored."""
        return self.backend.create_custom_job(request.parent, request.custom_job)

    def get_custom_job(self, request: aiplatform_v1.GetCustomJobRequest) -> aiplatform_v1.CustomJob:
        """GetCustomJob."""
        return self.backend.get_custom_job(request.name)

    def list_custom_jobs(
        self, request: aiplatform_v1.ListCustomJobsRequest
    ) -> aiplatform_v1.ListCustomJobsResponse:
        """ListCustomJobs; with a ``read_mask``, only its fields of each job (``masks.py``)."""
        mask = masks.read_mask(request.read_mask, aiplatform_v1.CustomJob)
        jobs, next_page_token = self.backend.list_custom_jobs(
            request.parent, request.filter, request.page_size, request.page_token
        )
        # Built on the raw messages: proto-plus's marshalling of 100 jobs cost more than
        # finding them.
        response = aiplatform_v1.ListCustomJobsResponse.pb()(next_page_token=next_page_token)
        response.custom_jobs.extend(aiplatform_v1.CustomJob.pb(mask(job)) for job in jobs)
        return aiplatform_v1.ListCustomJobsResponse.wrap(response)

    def cancel_custom_job(self, request: aiplatform_v1.CancelCustomJobRequest) -> None:
        """CancelCustomJob (asynchronous: poll GetCustomJob for JOB_STATE_CANCELLED)."""
        self.backend.cancel_custom_job(request.name)

    def delete_custom_job(
        self, request: aiplatform_v1.DeleteCustomJobRequest
    ) -> operations_pb2.Operation:
        """DeleteCustomJob: a long-running Operation (done at once, response Empty)."""
        return self.backend.delete_custom_job(request.name)
