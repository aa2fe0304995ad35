"""PipelineService (TrainingPipelines): thin translators from requests to the backend.

Plain Python, no gRPC (see ``custom_jobs/service.py``); ``routes.py`` lists the RPCs and
their REST bindings.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.training_pipelines.backend import PipelineBackend


class PipelineServicer:
    """``google.cloud.aiplatform.v1.PipelineService``, the TrainingPipeline methods.

    Args:
        backend: the state and API meaning behind the RPCs.
    """

    def __init__(self, backend: PipelineBackend) -> None:
        self.backend = backend

    def create_training_pipeline(
        self, request: aiplatform_v1.CreateTrainingPipelineRequest
    ) -> aiplatform_v1.TrainingPipeline:
        """CreateTrainingPipeline (custom task only). Output-only fields are ignored."""
        return self.backend.create_training_pipeline(request.parent, request.training_pipeline)

    def get_training_pipeline(
        self, request: aiplatform_v1.GetTrainingPipelineRequest
    ) -> aiplatform_v1.TrainingPipeline:
        """GetTrainingPipeline."""
        return self.backend.get_training_pipeline(request.name)

    def list_training_pipelines(
        self, request: aiplatform_v1.ListTrainingPipelinesRequest
    ) -> aiplatform_v1.ListTrainingPipelinesResponse:
        """ListTrainingPipelines. Ignores ``read_mask`` (every field is returned)."""
        pipelines, token = self.backend.list_training_pipelines(
            request.parent, request.filter, request.page_size, request.page_token
        )
        return aiplatform_v1.ListTrainingPipelinesResponse(
            training_pipelines=pipelines, next_page_token=token
        )

    def cancel_training_pipeline(
        self, request: aiplatform_v1.CancelTrainingPipelineRequest
    ) -> None:
        """CancelTrainingPipeline (asynchronous: poll for PIPELINE_STATE_CANCELLED)."""
        self.backend.cancel_training_pipeline(request.name)

    def delete_training_pipeline(
        self, request: aiplatform_v1.DeleteTrainingPipelineRequest
    ) -> operations_pb2.Operation:
        """DeleteTrainingPipeline: a long-running Operation (done at once, response Empty)."""
        return self.backend.delete_training_pipeline(request.name)
