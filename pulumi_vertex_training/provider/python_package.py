"""PythonPackageProvider: a training package's sdist on Cloud Storage, addressed by content.

The program (``PythonPackage``) validates the source and hashes it
(``packaging/sdist.py``) and passes the hash in as ``content_hash``; the object is
``<staging prefix>/<hash[:16]>/<name>-<version>.tar.gz``. Create first looks for an
sdist under ``<prefix>/<hash[:16]>/``: when one is there it is adopted and nothing
is built or uploaded; otherwise the sdist is built and uploaded create-only
(``if_generation_match=0``), so two deployments racing upload one object.

Delete leaves the object in the bucket: it is content-addressed, other stacks
or already-submitted jobs may name it, and bucket lifecycle rules are the right
tool to expire staging objects (as for images left in a registry).

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.python_package.PythonPackageProvider`` by name.
"""

from __future__ import annotations

import tempfile
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider

from pulumi_vertex_training.provider import progress
from pulumi_vertex_training.provider import python_package_api as api
from pulumi_vertex_training.provider.python_package_api import PackageUploadError
from pulumi_vertex_training.provider.values import check_failures, to_spec, unchanged
from pulumi_vertex_training.spec.artifacts import check_package_upload, parse_staging_uri

IDENTITY_KEYS = ("content_hash", "staging_uri")
"""A change to either is another object: replace."""
OUTPUT_KEYS = ("package_uri",)

__all__ = ["IDENTITY_KEYS", "OUTPUT_KEYS", "PackageUploadError", "PythonPackageProvider"]


class PythonPackageProvider(ResourceProvider):
    """Builds and uploads a Python package sdist; uploads only when the object is missing.

    Holds no clients (it is pickled into state): the storage client is built per call.
    """

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Reject missing or malformed inputs; unknown values (preview) are skipped."""
        return CheckResult(news, check_failures(check_package_upload(to_spec(news))))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace when the content hash or the staging URI changes; nothing else matters."""
        replaces = [k for k in IDENTITY_KEYS if not unchanged(olds.get(k), news.get(k))]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the sdist under ``<prefix>/<hash16>/`` when present, else build and upload it."""
        outs = self._ensure_package(props)
        return CreateResult(outs["package_uri"], outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The package is gone when its object is."""
        if not api.object_exists(str(id_)):
            return ReadResult(None, {})
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leaves the object in the bucket (content-addressed; see the module docstring)."""

    def _ensure_package(self, props: dict[str, Any]) -> dict[str, Any]:
        from pulumi_vertex_training.packaging.context import ensure_same_source
        from pulumi_vertex_training.packaging.sdist import build_sdist, object_name, resolve_source

        bucket, prefix = parse_staging_uri(str(props["staging_uri"]))
        content_hash = str(props["content_hash"])
        sdists = api.list_sdists(bucket, object_name(prefix, content_hash, ""))
        if len(sdists) == 1:
            progress.info(f"gs://{bucket}/{sdists[0]} exists: nothing to upload")
            name = sdists[0]
        else:
            source = resolve_source(
                str(props["source_dir"]),
                script=props.get("script"),
                python_module=props.get("python_module_arg"),
                requirements=props.get("requirements"),
            )
            ensure_same_source(source.root, source.content_hash, content_hash)
            with tempfile.TemporaryDirectory(prefix="vt-package-") as tmp:
                path = build_sdist(source, tmp)
                name = object_name(prefix, content_hash, path.name)
                api.upload_sdist(str(path), bucket, name)
        return {**props, "package_uri": f"gs://{bucket}/{name}"}
