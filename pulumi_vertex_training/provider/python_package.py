"""``PythonPackageUpload``: a training package's sdist on Cloud Storage, addressed by content.

The program (``PythonPackage``) validates the source and hashes it
(``components/packaging/sdist.py``) and passes the hash in as
``content_hash``; the object is ``<staging prefix>/<hash[:16]>/<name>-<version>.tar.gz``.
Create first looks for an sdist under ``<prefix>/<hash[:16]>/``: when one is
there it is adopted and nothing is built or uploaded; otherwise the sdist is
built and uploaded with ``if_generation_match=0`` (create-only, so two
deployments racing upload one object). Cloud Storage is reached through
``client.storage_client`` (``STORAGE_EMULATOR_HOST`` for the local one).

Delete leaves the object in the bucket: it is content-addressed, other stacks
or already-submitted jobs may name it, and bucket lifecycle rules are the right
tool to expire staging objects (as for images left in a registry).
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.output import Unknown

STAGING_URI = re.compile(
    r"^gs://(?P<bucket>[a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:/(?P<prefix>.*))?$"
)
CONTENT_HASH = re.compile(r"^[0-9a-f]{64}$")
_IDENTITY_KEYS = ("content_hash", "staging_uri")


class PackageUploadError(RuntimeError):
    """Cloud Storage refused or could not be reached; the message says which and where."""


def _known(value: Any) -> bool:
    return not isinstance(value, Unknown)


def parse_staging_uri(uri: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``gs://bucket[/prefix]``; the prefix without edge slashes.

    >>> parse_staging_uri("gs://my-bucket/staging/pkgs/")
    ('my-bucket', 'staging/pkgs')

    Raises:
        ValueError: not a ``gs://`` URI with a valid bucket name.
    """
    match = STAGING_URI.match(uri) if isinstance(uri, str) else None
    if match is None or ".." in match["bucket"]:
        raise ValueError(
            f"staging_uri {uri!r} must be gs://BUCKET[/PREFIX] with a valid bucket name "
            "(3-222 characters: lowercase letters, digits, '-', '_', '.')"
        )
    return match["bucket"], (match["prefix"] or "").strip("/")


def _failures(props: dict[str, Any]) -> list[pulumi.dynamic.CheckFailure]:
    out: list[pulumi.dynamic.CheckFailure] = []
    for key in ("source_dir", "staging_uri", "content_hash", "python_module"):
        value = props.get(key)
        if _known(value) and (not isinstance(value, str) or not value):
            out.append(pulumi.dynamic.CheckFailure(key, f"{key} is required, got {value!r}"))
    uri = props.get("staging_uri")
    if isinstance(uri, str) and uri:
        try:
            parse_staging_uri(uri)
        except ValueError as err:
            out.append(pulumi.dynamic.CheckFailure("staging_uri", str(err)))
    digest = props.get("content_hash")
    if isinstance(digest, str) and digest and not CONTENT_HASH.match(digest):
        out.append(
            pulumi.dynamic.CheckFailure(
                "content_hash", f"content_hash must be 64 hex digits (sha256), got {digest!r}"
            )
        )
    return out


def _storage_call(what: str, call: Any) -> Any:
    """Run a storage call, turning transport and API errors into one clear error."""
    import requests
    from google.api_core import exceptions as gexc

    from pulumi_vertex_training import client

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


class PythonPackageProvider(pulumi.dynamic.ResourceProvider):
    """Builds and uploads a Python package sdist; uploads only when the object is missing.

    Holds no clients (it is pickled into state): the storage client is built per call.
    """

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        """Reject missing or malformed inputs; unknown values (preview) are skipped."""
        return pulumi.dynamic.CheckResult(news, _failures(news))

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        """Replace when the content hash or the staging URI changes; nothing else matters."""
        replaces = [
            k for k in _IDENTITY_KEYS if not _known(news.get(k)) or olds.get(k) != news.get(k)
        ]
        return pulumi.dynamic.DiffResult(
            changes=bool(replaces), replaces=replaces, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        """Adopt the sdist under ``<prefix>/<hash16>/`` when present, else build and upload it."""
        outs = self._ensure_package(props)
        return pulumi.dynamic.CreateResult(outs["package_uri"], outs)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """The package is gone when its object is."""
        from pulumi_vertex_training import client

        bucket, _, name = str(id_).removeprefix("gs://").partition("/")
        storage = client.storage_client()
        blob = _storage_call(
            f"read {id_}", lambda: storage.bucket(bucket).get_blob(name, retry=_retry())
        )
        if blob is None:
            return pulumi.dynamic.ReadResult(None, {})
        return pulumi.dynamic.ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leaves the object in the bucket (content-addressed; see the module docstring)."""

    def _ensure_package(self, props: dict[str, Any]) -> dict[str, Any]:
        from pulumi_vertex_training import client
        from pulumi_vertex_training.components.packaging.context import PackagingError
        from pulumi_vertex_training.components.packaging.sdist import (
            build_sdist,
            object_name,
            resolve_source,
        )

        bucket_name, prefix = parse_staging_uri(str(props["staging_uri"]))
        content_hash = str(props["content_hash"])
        storage = client.storage_client()
        bucket = storage.bucket(bucket_name)
        folder = object_name(prefix, content_hash, "")
        existing = _storage_call(
            f"list gs://{bucket_name}/{folder}",
            lambda: list(storage.list_blobs(bucket_name, prefix=folder, retry=_retry())),
        )
        sdists = sorted(b.name for b in existing if b.name.endswith(".tar.gz"))
        if len(sdists) == 1:
            pulumi.log.info(f"gs://{bucket_name}/{sdists[0]} exists: nothing to upload")
            name = sdists[0]
        else:
            source = resolve_source(
                str(props["source_dir"]),
                script=props.get("script"),
                python_module=props.get("python_module_arg"),
                requirements=props.get("requirements"),
            )
            if source.content_hash != content_hash:
                raise PackagingError(
                    f"the files under {source.root} changed while the deployment ran "
                    f"(hash {source.content_hash[:12]}, the program saw {content_hash[:12]}); "
                    "run it again"
                )
            with tempfile.TemporaryDirectory(prefix="vt-package-") as tmp:
                path = build_sdist(source, tmp)
                name = object_name(prefix, content_hash, path.name)
                blob = bucket.blob(name)
                pulumi.log.info(f"uploading {path.name} to gs://{bucket_name}/{name}")
                _upload(blob, str(path), f"upload gs://{bucket_name}/{name}")
        return {**props, "package_uri": f"gs://{bucket_name}/{name}"}


def _retry() -> Any:
    """The storage client's default retry; short against a local Cloud Storage.

    Against the local one, a refused connection means it is not running, which
    retrying for two minutes (the default) would only hide.
    """
    from google.cloud.storage.retry import DEFAULT_RETRY

    from pulumi_vertex_training import client

    return DEFAULT_RETRY.with_timeout(5.0) if client.storage_emulator_host() else DEFAULT_RETRY


def _upload(blob: Any, path: str, what: str) -> None:
    from google.api_core import exceptions as gexc

    try:
        _storage_call(
            what,
            lambda: blob.upload_from_filename(
                path, content_type="application/gzip", if_generation_match=0
            ),
        )
    except PackageUploadError as err:
        # Another deployment uploaded the same content first: same bytes, fine.
        if not isinstance(err.__cause__, gexc.PreconditionFailed):
            raise


class PythonPackageUpload(pulumi.dynamic.Resource, module="vertex", name="PythonPackageUpload"):
    """A Python package sdist on Cloud Storage (see :class:`PythonPackageProvider`).

    Most programs use :class:`~pulumi_vertex_training.components.python_package.PythonPackage`,
    which validates the source and computes ``content_hash`` in the program.
    """

    package_uri: pulumi.Output[str]
    """``gs://bucket/prefix/<hash16>/<name>-<version>.tar.gz``, for ``package_uris``."""
    python_module: pulumi.Output[str]
    """The module a job runs (``python_package_spec.python_module``)."""
    content_hash: pulumi.Output[str]
    """sha256 of the package source (files, module, requirements)."""

    def __init__(
        self,
        resource_name: str,
        *,
        source_dir: str,
        staging_uri: pulumi.Input[str],
        content_hash: str,
        python_module: str,
        script: str | None = None,
        python_module_arg: str | None = None,
        requirements: list[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "source_dir": source_dir,
            "staging_uri": staging_uri,
            "content_hash": content_hash,
            "python_module": python_module,
            "script": script,
            "python_module_arg": python_module_arg,
            "requirements": requirements,
            "package_uri": None,
        }
        super().__init__(PythonPackageProvider(), resource_name, props, opts)
