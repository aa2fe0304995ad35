"""Python package API calls: Cloud Storage (is the sdist there? upload it).

The provider (``python_package.py``) decides; these do, with a storage client
built per call by ``client.py`` (``STORAGE_EMULATOR_HOST`` for the local one) and
the retry policy of ``retries.py``. Every error becomes one
:class:`PackageUploadError` that says what failed and where.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import progress, retries

T = TypeVar("T")


class PackageUploadError(RuntimeError):
    """Cloud Storage refused or could not be reached; the message says which and where."""


def _storage_call(what: str, call: Callable[[], T]) -> T:
    """Run a storage call, turning transport and API errors into one clear error."""
    import requests
    from google.api_core import exceptions as gexc

    try:
        return call()
    except (requests.exceptions.ConnectionError, gexc.RetryError) as err:
        if isinstance(err, gexc.RetryError) and not isinstance(
            err.cause, requests.exceptions.ConnectionError
        ):
            raise PackageUploadError(f"cannot {what}: {err}") from err
        where = client.storage_emulator_host() or "storage.googleapis.com"
        raise PackageUploadError(
            f"cannot reach Cloud Storage at {where} to {what}: {err}. For the local one, "
            "start it (scripts/ensure-gcs.sh) and export STORAGE_EMULATOR_HOST"
        ) from err
    except gexc.NotFound as err:
        raise PackageUploadError(f"cannot {what}: {err.message} (does the bucket exist?)") from err
    except gexc.GoogleAPICallError as err:
        raise PackageUploadError(f"cannot {what}: {err}") from err


def object_exists(uri: str) -> bool:
    """Whether ``gs://bucket/name`` exists."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    storage = client.storage_client()
    blob = _storage_call(
        f"read {uri}",
        lambda: storage.bucket(bucket).get_blob(name, retry=retries.storage_retry()),
    )
    return blob is not None


def list_sdists(bucket: str, folder: str) -> list[str]:
    """Names of the ``.tar.gz`` objects under ``gs://bucket/folder``, sorted."""
    storage = client.storage_client()
    found = _storage_call(
        f"list gs://{bucket}/{folder}",
        lambda: list(storage.list_blobs(bucket, prefix=folder, retry=retries.storage_retry())),
    )
    return sorted(b.name for b in found if b.name.endswith(".tar.gz"))


def upload_sdist(path: str, bucket: str, name: str) -> None:
    """Upload a file as ``gs://bucket/name``, create-only: when another deployment uploaded
    the same content-addressed object first, that is the same bytes, and fine."""
    from google.api_core import exceptions as gexc

    blob = client.storage_client().bucket(bucket).blob(name)
    progress.info(f"uploading {name.rsplit('/', 1)[-1]} to gs://{bucket}/{name}")
    try:
        _storage_call(
            f"upload gs://{bucket}/{name}",
            lambda: blob.upload_from_filename(
                path, content_type="application/gzip", if_generation_match=0
            ),
        )
    except PackageUploadError as err:
        if not isinstance(err.__cause__, gexc.PreconditionFailed):
            raise
