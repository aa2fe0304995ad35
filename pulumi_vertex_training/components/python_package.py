"""``PythonPackage``: local training code as an sdist on Cloud Storage, for python_package_spec.

Example:
    >>> package = vt.PythonPackage(  # doctest: +SKIP
    ...     "trainer", source_dir="src/trainer", script="task.py",
    ...     requirements=["scikit-learn"], staging_uri="gs://my-bucket/staging")
    >>> vt.CustomJob("train", job_spec={"worker_pool_specs": [{  # doctest: +SKIP
    ...     "machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
    ...     "python_package_spec": {
    ...         "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest",
    ...         "package_uris": [package.package_uri],
    ...         "python_module": package.python_module}}]})
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from pulumi_vertex_training.packaging.context import PackagingError
from pulumi_vertex_training.packaging.sdist import resolve_source
from pulumi_vertex_training.provider.resources import PythonPackageUpload
from pulumi_vertex_training.spec import SpecFailure
from pulumi_vertex_training.spec.artifacts import check_staging_uri


class PythonPackage(pulumi.ComponentResource):
    """A Python package built from local code and uploaded to Cloud Storage under its content hash.

    ``source_dir`` is either a project (``pyproject.toml`` or ``setup.py``: its
    sdist is built by the ``build`` package, isolated; name the module with
    ``python_module`` or ``script``) or a bare folder or ``.py`` script, wrapped
    as the Vertex SDK's ``CustomJob.from_local_script`` wraps it (package
    ``aiplatform_custom_trainer_script``, ``requirements`` as its
    ``install_requires``; ``script="task.py"`` runs
    ``aiplatform_custom_trainer_script.task``). See
    ``packaging/sdist.py`` for the exact rules.

    The program validates and hashes the source as it runs, so mistakes fail
    at preview and preview knows whether the package changes; ``up`` builds
    and uploads only when no object for the hash exists. ``source_dir``,
    ``script``, ``python_module`` and ``requirements`` must be plain values;
    ``staging_uri`` (``gs://bucket[/prefix]``) may be an Output.

    Outputs: ``package_uri`` (for ``python_package_spec.package_uris``),
    ``python_module`` (for ``python_package_spec.python_module``) and
    ``content_hash``.

    Raises:
        PackagingError: the source is missing or malformed, or ``staging_uri``
            is not ``gs://bucket[/prefix]`` (each message names the argument).
    """

    package_uri: pulumi.Output[str]
    python_module: pulumi.Output[str]
    content_hash: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        source_dir: str,
        staging_uri: pulumi.Input[str],
        script: str | None = None,
        python_module: str | None = None,
        requirements: Sequence[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Everything local is checked before the component registers (nothing half-made).
        failures: list[SpecFailure] = []
        check_staging_uri(staging_uri, failures)
        if failures:
            raise PackagingError("; ".join(str(f) for f in failures))
        source = resolve_source(
            source_dir, script=script, python_module=python_module, requirements=requirements
        )
        super().__init__("vertex:components:PythonPackage", resource_name, None, opts)
        upload = PythonPackageUpload(
            resource_name,
            source_dir=source.root,
            staging_uri=staging_uri,
            content_hash=source.content_hash,
            python_module=source.python_module,
            script=script,
            python_module_arg=python_module,
            requirements=list(source.requirements) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.package_uri = upload.package_uri
        self.python_module = pulumi.Output.from_input(source.python_module)
        self.content_hash = pulumi.Output.from_input(source.content_hash)
        self.register_outputs(
            {
                "package_uri": self.package_uri,
                "python_module": self.python_module,
                "content_hash": self.content_hash,
            }
        )
