"""ModelService: thin translators from requests to the :class:`~.backend.ModelBackend`.

Plain Python, no gRPC (see ``custom_jobs/service.py``); ``routes.py`` lists the RPCs and
their REST bindings.
"""

from __future__ import annotations

from google.cloud import aiplatform_v1
from google.longrunning import operations_pb2

from pulumi_vertex_training.emulator.models.backend import ModelBackend


class ModelServicer:
    """``google.cloud.aiplatform.v1.ModelService``, the Model Registry methods (COVERAGE.md).

    Args:
        backend: the state and API meaning behind the RPCs.
    """

    def __init__(self, backend: ModelBackend) -> None:
        self.backend = backend

    def upload_model(self, request: aiplatform_v1.UploadModelRequest) -> operations_pb2.Operation:
        """UploadModel: a long-running Operation, done at once (UploadModelResponse).
        Ignores ``service_account`` (nothing is read on the uploader's behalf)."""
        return self.backend.upload_model(
            request.parent, request.model, request.parent_model, request.model_id
        )

    def get_model(self, request: aiplatform_v1.GetModelRequest) -> aiplatform_v1.Model:
        """GetModel (``@version`` / ``@alias`` names a version)."""
        return self.backend.get_model(request.name)

    def list_models(
        self, request: aiplatform_v1.ListModelsRequest
    ) -> aiplatform_v1.ListModelsResponse:
        """ListModels. Ignores ``read_mask`` (every field is returned)."""
        models, token = self.backend.list_models(
            request.parent, request.filter, request.page_size, request.page_token, request.order_by
        )
        return aiplatform_v1.ListModelsResponse(models=models, next_page_token=token)

    def list_model_versions(
        self, request: aiplatform_v1.ListModelVersionsRequest
    ) -> aiplatform_v1.ListModelVersionsResponse:
        """ListModelVersions. Ignores ``read_mask``."""
        models, token = self.backend.list_model_versions(
            request.name, request.filter, request.page_size, request.page_token, request.order_by
        )
        return aiplatform_v1.ListModelVersionsResponse(models=models, next_page_token=token)

    def update_model(self, request: aiplatform_v1.UpdateModelRequest) -> aiplatform_v1.Model:
        """UpdateModel: the mask's paths of ``request.model`` (COVERAGE.md)."""
        return self.backend.update_model(request.model, list(request.update_mask.paths))

    def merge_version_aliases(
        self, request: aiplatform_v1.MergeVersionAliasesRequest
    ) -> aiplatform_v1.Model:
        """MergeVersionAliases."""
        return self.backend.merge_version_aliases(request.name, list(request.version_aliases))

    def delete_model(self, request: aiplatform_v1.DeleteModelRequest) -> operations_pb2.Operation:
        """DeleteModel: a long-running Operation, done at once (response Empty)."""
        return self.backend.delete_model(request.name)

    def delete_model_version(
        self, request: aiplatform_v1.DeleteModelVersionRequest
    ) -> operations_pb2.Operation:
        """DeleteModelVersion: a long-running Operation, done at once (response Empty)."""
        return self.backend.delete_model_version(request.name)
