"""``PythonPackageUpload``: an sdist on Cloud Storage, as the resource ``PythonPackage``
registers."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.python_package import OUTPUT_KEYS, PythonPackageProvider


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
        requirements: Sequence[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "source_dir": source_dir,
            "staging_uri": staging_uri,
            "content_hash": content_hash,
            "python_module": python_module,
            "script": script,
            "python_module_arg": python_module_arg,
            "requirements": list(requirements) if requirements else None,
            **{key: None for key in OUTPUT_KEYS},
        }
        super().__init__(PythonPackageProvider(), resource_name, props, opts)
