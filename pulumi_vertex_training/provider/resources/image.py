"""``Image``: a training image in a registry, as the resource ``TrainingImage`` registers."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi.dynamic

from pulumi_vertex_training.provider.image import OUTPUT_KEYS, ImageProvider


class Image(pulumi.dynamic.Resource, module="vertex", name="Image"):
    """A training image in a registry, pinned by digest (see :class:`ImageProvider`).

    Most programs use :class:`~pulumi_vertex_training.components.training_image.TrainingImage`,
    which validates the package and computes ``context_hash`` in the program.
    """

    image_uri: pulumi.Output[str]
    """``repository/image_name@sha256:...``: put this in ``container_spec.image_uri``."""
    digest: pulumi.Output[str]
    """``sha256:...`` of the manifest."""
    tag: pulumi.Output[str]
    """The tag pushed: the context hash."""
    context_hash: pulumi.Output[str]
    """sha256 of the build context, Dockerfile and base image."""

    def __init__(
        self,
        resource_name: str,
        *,
        source_dir: str,
        base_image: str,
        repository: pulumi.Input[str],
        image_name: pulumi.Input[str],
        context_hash: str,
        script: str | None = None,
        python_module: str | None = None,
        requirements: Sequence[str] | None = None,
        extra_packages: Sequence[str] | None = None,
        extra_dirs: Sequence[str] | None = None,
        include_files: Sequence[str] | None = None,
        create_repository: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "source_dir": source_dir,
            "base_image": base_image,
            "repository": repository,
            "image_name": image_name,
            "context_hash": context_hash,
            "script": script,
            "python_module": python_module,
            "requirements": list(requirements) if requirements else None,
            "extra_packages": list(extra_packages) if extra_packages else None,
            "extra_dirs": list(extra_dirs) if extra_dirs else None,
            "include_files": list(include_files) if include_files else None,
            "create_repository": create_repository,
            **{key: None for key in OUTPUT_KEYS},
        }
        super().__init__(ImageProvider(), resource_name, props, opts)
