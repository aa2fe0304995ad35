"""The only place that builds Google API clients.

Every client the providers and components use comes from here, per call:
providers are pickled into Pulumi state, so they must never hold a client.

When ``VERTEX_AI_EMULATOR_HOST=host:port`` is set (like ``PUBSUB_EMULATOR_HOST``),
every Vertex AI, Artifact Registry and Cloud Logging client talks to the local
emulator over an insecure channel with anonymous credentials; otherwise to the
regional endpoint ``{location}-aiplatform.googleapis.com`` (``logging.googleapis.com``
for logs) with Application Default Credentials.
:func:`console_url` follows the same switch: the emulator's web console
(:func:`emulator_console`), or the Cloud console.

Example:
    >>> from pulumi_vertex_training import client
    >>> jobs = client.job_service_client("us-central1")  # doctest: +SKIP
    >>> jobs.get_custom_job(name="projects/p/locations/us-central1/customJobs/1")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy imports stay lazy: the provider host imports this module at start
    import grpc
    from google.api_core.operation import Operation
    from google.cloud.aiplatform_v1 import (
        JobServiceClient,
        ModelServiceClient,
        PersistentResourceServiceClient,
        PipelineServiceClient,
    )
    from google.cloud.artifactregistry_v1 import ArtifactRegistryClient
    from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2Client
    from google.cloud.storage import Client as StorageClient

EMULATOR_HOST_ENV = "VERTEX_AI_EMULATOR_HOST"
"""Environment variable naming the local emulator's gRPC address (``host:port``)."""

_channels: dict[str, grpc.Channel] = {}
_channels_lock = threading.Lock()


def emulator_host() -> str | None:
    """The emulator's ``host:port`` when ``VERTEX_AI_EMULATOR_HOST`` is set, else None."""
    host = os.environ.get(EMULATOR_HOST_ENV, "").strip()
    return host or None


def api_endpoint(location: str) -> str:
    """The Vertex AI endpoint for a location (the emulator's address when set).

    Vertex AI resources are regional: ``us-central1`` is served by
    ``us-central1-aiplatform.googleapis.com``; ``global`` by ``aiplatform.googleapis.com``.
    """
    host = emulator_host()
    if host:
        return host
    if location == "global":
        return "aiplatform.googleapis.com"
    return f"{location}-aiplatform.googleapis.com"


def _emulator_channel(host: str) -> grpc.Channel:
    # One insecure channel per address per process: channels are thread-safe
    # and expensive to set up, and the provider host runs calls on 4 threads.
    import grpc

    with _channels_lock:
        channel = _channels.get(host)
        if channel is None:
            channel = grpc.insecure_channel(
                host,
                options=[
                    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                    ("grpc.enable_retries", 0),
                ],
            )
            _channels[host] = channel
        return channel


def job_service_client(location: str) -> JobServiceClient:
    """A ``JobServiceClient`` for ``location`` (or the emulator)."""
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.job_service.transports import (
        JobServiceGrpcTransport,
    )

    host = emulator_host()
    if host:
        return aiplatform_v1.JobServiceClient(
            transport=JobServiceGrpcTransport(channel=_emulator_channel(host), host=host)
        )
    return aiplatform_v1.JobServiceClient(client_options={"api_endpoint": api_endpoint(location)})


def persistent_resource_client(location: str) -> PersistentResourceServiceClient:
    """A ``PersistentResourceServiceClient`` for ``location`` (or the emulator)."""
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.persistent_resource_service.transports import (
        PersistentResourceServiceGrpcTransport,
    )

    host = emulator_host()
    if host:
        return aiplatform_v1.PersistentResourceServiceClient(
            transport=PersistentResourceServiceGrpcTransport(
                channel=_emulator_channel(host), host=host
            )
        )
    return aiplatform_v1.PersistentResourceServiceClient(
        client_options={"api_endpoint": api_endpoint(location)}
    )


def pipeline_service_client(location: str) -> PipelineServiceClient:
    """A ``PipelineServiceClient`` (TrainingPipelines) for ``location`` (or the emulator)."""
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.pipeline_service.transports import (
        PipelineServiceGrpcTransport,
    )

    host = emulator_host()
    if host:
        return aiplatform_v1.PipelineServiceClient(
            transport=PipelineServiceGrpcTransport(channel=_emulator_channel(host), host=host)
        )
    return aiplatform_v1.PipelineServiceClient(
        client_options={"api_endpoint": api_endpoint(location)}
    )


def model_service_client(location: str) -> ModelServiceClient:
    """A ``ModelServiceClient`` (the Model Registry) for ``location`` (or the emulator)."""
    from google.cloud import aiplatform_v1
    from google.cloud.aiplatform_v1.services.model_service.transports import (
        ModelServiceGrpcTransport,
    )

    host = emulator_host()
    if host:
        return aiplatform_v1.ModelServiceClient(
            transport=ModelServiceGrpcTransport(channel=_emulator_channel(host), host=host)
        )
    return aiplatform_v1.ModelServiceClient(client_options={"api_endpoint": api_endpoint(location)})


def artifact_registry_client() -> ArtifactRegistryClient:
    """An ``ArtifactRegistryClient`` (or one talking to the emulator)."""
    from google.cloud import artifactregistry_v1
    from google.cloud.artifactregistry_v1.services.artifact_registry.transports import (
        ArtifactRegistryGrpcTransport,
    )

    host = emulator_host()
    if host:
        return artifactregistry_v1.ArtifactRegistryClient(
            transport=ArtifactRegistryGrpcTransport(channel=_emulator_channel(host), host=host)
        )
    return artifactregistry_v1.ArtifactRegistryClient()


def logging_client() -> LoggingServiceV2Client:
    """A Cloud Logging ``LoggingServiceV2Client`` (GAPIC, gRPC: the only transport it has),
    or one talking to the emulator, which serves replica logs as Vertex AI writes them."""
    from google.cloud.logging_v2.services.logging_service_v2 import LoggingServiceV2Client
    from google.cloud.logging_v2.services.logging_service_v2.transports import (
        LoggingServiceV2GrpcTransport,
    )

    host = emulator_host()
    if host:
        return LoggingServiceV2Client(
            transport=LoggingServiceV2GrpcTransport(channel=_emulator_channel(host), host=host)
        )
    return LoggingServiceV2Client()


STORAGE_EMULATOR_HOST_ENV = "STORAGE_EMULATOR_HOST"
"""Environment variable naming a local Cloud Storage (``http://host:port``), as
google-cloud-storage itself reads it."""


def storage_emulator_host() -> str | None:
    """The local Cloud Storage's URL when ``STORAGE_EMULATOR_HOST`` is set, else None."""
    host = os.environ.get(STORAGE_EMULATOR_HOST_ENV, "").strip()
    return host or None


def storage_client(project: str | None = None) -> StorageClient:
    """A Cloud Storage client; anonymous against ``STORAGE_EMULATOR_HOST`` when it is set.

    google-cloud-storage itself sends requests to ``STORAGE_EMULATOR_HOST``;
    what it does not do is skip the Application Default Credentials lookup,
    which fails on a machine without any: so the emulator gets anonymous
    credentials (and a placeholder project, which bucket creation needs).
    """
    from google.cloud import storage

    if storage_emulator_host():
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=project or "local", credentials=AnonymousCredentials())
    return storage.Client(project=project)


def google_access_token() -> str:
    """A fresh OAuth2 access token from Application Default Credentials.

    The password of user ``oauth2accesstoken`` for Google's registries (``*-docker.pkg.dev``;
    ``packaging/registry_auth.py`` decides which hosts get it). Refreshed on every call;
    the token is used at once and never stored on a provider or in state.
    """
    import google.auth
    import google.auth.transport.requests

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


def wait_for_operation(operation: Operation, timeout: float) -> Any:
    """Wait for a long-running operation; polls fast against the emulator.

    Raises:
        google.api_core.exceptions.GoogleAPICallError: the operation failed.
        concurrent.futures.TimeoutError: it did not finish within ``timeout`` seconds.
    """
    from google.api_core.future import polling as lro

    # DEFAULT_POLLING retries the "not done yet" signal; a plain Retry would raise it.
    if emulator_host():
        polling = lro.DEFAULT_POLLING.with_delay(initial=0.05, maximum=0.5, multiplier=1.5)
    else:
        polling = lro.DEFAULT_POLLING.with_delay(initial=1.0, maximum=20.0, multiplier=1.5)
    return operation.result(timeout=timeout, polling=polling.with_timeout(timeout))


EMULATOR_CONSOLE_ENV = "VERTEX_AI_EMULATOR_CONSOLE"
"""Environment variable naming the emulator's REST base URL (``http://127.0.0.1:8471``),
where its web console lives under ``/console``; read only with ``VERTEX_AI_EMULATOR_HOST``."""


def emulator_console() -> str | None:
    """The local console's base URL (``http://host:port/console``) when the emulator is used.

    The rule: with ``VERTEX_AI_EMULATOR_HOST`` set, ``VERTEX_AI_EMULATOR_CONSOLE`` when it
    is set too (the REST base URL ``vertex-local`` prints; a trailing ``/console`` is
    accepted), else the port after the gRPC one on the same host, which is where
    ``vertex-local`` serves REST by default (gRPC 8470, REST 8471). None without an
    emulator, or when the gRPC address has no port to count from.
    ``VERTEX_AI_EMULATOR_HOST=127.0.0.1:8470`` gives ``http://127.0.0.1:8471/console``.
    """
    host = emulator_host()
    if host is None:
        return None
    explicit = os.environ.get(EMULATOR_CONSOLE_ENV, "").strip().rstrip("/")
    if explicit:
        return explicit if explicit.endswith("/console") else f"{explicit}/console"
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit() or not 0 < int(port) < 65535:
        return None
    return f"http://{name}:{int(port) + 1}/console"


_CONSOLE_KINDS = (
    "customJobs", "hyperparameterTuningJobs", "persistentResources", "trainingPipelines",
    "models",
)  # fmt: skip


def console_url(resource_name: str) -> str:
    """The console page of a CustomJob, HyperparameterTuningJob, PersistentResource,
    TrainingPipeline or Model (a model name may end in ``@{version}``; without one, its
    default version): the Cloud console's, or the local emulator's
    (:func:`emulator_console`) when ``VERTEX_AI_EMULATOR_HOST`` is set. Locally every kind
    has its own page, ``{console}/{resource name}``; a model version is an anchor on its
    model's page (``.../models/42@2`` -> ``.../models/42#version-2``, an alias likewise:
    the page marks each version id and alias), since the local console has one page per
    model, listing its versions.

    >>> console_url("projects/p/locations/us-central1/customJobs/123")
    'https://console.cloud.google.com/vertex-ai/locations/us-central1/training/123/cpu?project=p'
    >>> console_url("projects/p/locations/us-central1/hyperparameterTuningJobs/7")
    'https://console.cloud.google.com/vertex-ai/locations/us-central1/training/7?project=p'
    >>> console_url("projects/p/locations/us-central1/trainingPipelines/7")
    'https://console.cloud.google.com/vertex-ai/locations/us-central1/training/7?project=p'
    >>> console_url("projects/p/locations/us-central1/models/42@2")
    'https://console.cloud.google.com/vertex-ai/models/locations/us-central1/models/42/versions/2?project=p'
    """
    parts = resource_name.split("/")
    if len(parts) != 6 or parts[0] != "projects" or parts[2] != "locations":
        return ""
    project, location, kind, ident = parts[1], parts[3], parts[4], parts[5]
    if kind not in _CONSOLE_KINDS:
        return ""
    if emulator_host() is not None:
        local = emulator_console()
        if not local:
            return ""
        if kind == "models" and "@" in ident:
            model, _, version = resource_name.partition("@")
            return f"{local}/{model}#version-{version}"
        return f"{local}/{resource_name}"
    if kind in ("trainingPipelines", "hyperparameterTuningJobs"):
        # the SDK's _dashboard_uri for both: "training", no /cpu
        return (
            f"https://console.cloud.google.com/vertex-ai/locations/{location}"
            f"/training/{ident}?project={project}"
        )
    if kind == "models":
        model_id, _, version = ident.partition("@")
        return (
            f"https://console.cloud.google.com/vertex-ai/models/locations/{location}"
            f"/models/{model_id}/versions/{version or 'default'}?project={project}"
        )
    if kind == "customJobs":
        return (
            f"https://console.cloud.google.com/vertex-ai/locations/{location}"
            f"/training/{ident}/cpu?project={project}"
        )
    return (
        f"https://console.cloud.google.com/vertex-ai/locations/{location}"
        f"/persistent-resources/{ident}?project={project}"
    )
