"""``TrainingImage``: gcloud's autopackaging (``local-package-path=,script=``) as a resource."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi

from pulumi_vertex_training.packaging.context import PackagingError
from pulumi_vertex_training.packaging.package import prepare_image, resolve_package
from pulumi_vertex_training.packaging.registry import require_docker
from pulumi_vertex_training.provider.resources import Image
from pulumi_vertex_training.spec import SpecFailure
from pulumi_vertex_training.spec.artifacts import check_image_name, check_repository


def default_image_name(resource_name: str) -> str:
    """An image name from a resource name: lowercase ``[a-z0-9._-]``, no edge separators.

    >>> default_image_name("My Trainer_v2!")
    'my-trainer_v2'
    """
    name = re.sub(r"[^a-z0-9._-]+", "-", resource_name.lower())
    name = re.sub(r"[._-]{2,}", "-", name).strip("._-")
    return name or "training-image"


class TrainingImage(pulumi.ComponentResource):
    """A training image built from a local package, pushed, and pinned by digest.

    What ``gcloud ai custom-jobs create --worker-pool-spec=...,executor-image-uri=BASE,
    local-package-path=DIR,script=task.py`` does, as a resource: it renders the same
    Dockerfile (dependency layers before the code), hashes the build context in
    the program (so ``pulumi preview`` knows whether the image changes without
    building), and on ``up`` builds and pushes only when the registry does not
    already have ``repository/image_name:<context_hash>``.

    Hashing reads each file once; the digests are cached per folder (outside it,
    in ``~/.cache/pulumi-vertex-training`` or ``$PULUMI_VERTEX_TRAINING_CACHE_DIR``),
    so an unchanged ``up`` only stats the files. A rebuild reuses the layers of
    the image pushed before (pulled when the engine lacks them), so a code change
    pushes only the code layer.

    ``source_dir``, ``script``, ``python_module``, ``base_image``, ``requirements``,
    ``extra_packages``, ``extra_dirs`` and ``include_files`` must be plain values,
    not Outputs: the program reads the files and hashes them while it runs.
    ``repository`` and ``image_name`` may be Outputs.

    Args:
        resource_name: the component's name; also the default image name (sanitized).
        source_dir: the package directory (the build context).
        script: entry script, relative to ``source_dir`` (``.py`` runs with python,
            anything else with ``/bin/bash``). Exactly one of ``script``/``python_module``.
        python_module: entry module, e.g. ``trainer.task`` (``trainer/task.py`` must exist).
        base_image: the image to build on (gcloud's ``executor-image-uri``).
        repository: where to push: ``LOCATION-docker.pkg.dev/PROJECT/REPO`` or any
            registry path (``localhost:5000/team``).
        image_name: the image's name under ``repository``; default from ``resource_name``.
        requirements: PyPI requirement specifiers to pip-install.
        extra_packages: local package files (relative to ``source_dir``) to pip-install.
        extra_dirs: further directories (relative to ``source_dir``) to copy in.
        include_files: files the credential guard refuses that you really want in the
            image. The guard looks at names (``*.pem``, ``*.p12``, ``.env``, ``.netrc``,
            ``.aws/credentials``, ...) and at content (PEM private keys, service-account
            and authorized-user JSON, Docker ``auths``, AWS secret keys, ...) under any
            name; ``packaging/credentials.py`` holds the table.
        create_repository: create the Artifact Registry repository if missing.
        opts: resource options.

    Raises:
        DockerNotInstalledError: at once, when docker-py is not installed (``pip install
            docker``, or the ``pulumi-vertex-training[image]`` extra).
        PackagingError: at once, before anything registers, for a missing
            ``source_dir``, a script outside it, both or neither of
            script/python_module, a missing module file, extra package or dir,
            an unreadable file or directory in the context, or credential-looking
            files (``CredentialFileError``, naming each file and why).
    """

    image_uri: pulumi.Output[str]
    """``repository/image_name@sha256:...``."""
    digest: pulumi.Output[str]
    """``sha256:...`` of the pushed manifest."""
    tag: pulumi.Output[str]
    """The tag pushed (the context hash)."""
    context_hash: pulumi.Output[str]
    """sha256 of the files, the Dockerfile and the base image."""
    dockerfile: str
    """The rendered Dockerfile (known in the program)."""

    def __init__(
        self,
        resource_name: str,
        *,
        source_dir: str,
        base_image: str,
        repository: pulumi.Input[str],
        script: str | None = None,
        python_module: str | None = None,
        image_name: pulumi.Input[str] | None = None,
        requirements: Sequence[str] | None = None,
        extra_packages: Sequence[str] | None = None,
        extra_dirs: Sequence[str] | None = None,
        include_files: Sequence[str] | None = None,
        create_repository: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Everything local is checked before the component registers, so a typo
        # fails the program at once instead of leaving a half-registered tree.
        require_docker()  # `up` builds with docker-py: say so at preview when it is missing
        for field, value in (("source_dir", source_dir), ("base_image", base_image)):
            if not isinstance(value, str):
                raise PackagingError(
                    f"{field} must be a plain string (it is read in the program), got {value!r}"
                )
        package = resolve_package(
            source_dir,
            script=script,
            python_module=python_module,
            requirements=requirements,
            extra_packages=extra_packages,
            extra_dirs=extra_dirs,
            include_files=include_files,
        )
        prepared = prepare_image(package, base_image)
        name = image_name if image_name is not None else default_image_name(resource_name)
        failures: list[SpecFailure] = []
        check_image_name(name, failures)
        check_repository(repository, create_repository, failures)
        if failures:
            raise PackagingError("; ".join(str(f) for f in failures))

        super().__init__("vertex:components:TrainingImage", resource_name, None, opts)
        self.dockerfile = prepared.dockerfile
        image = Image(
            resource_name,
            source_dir=package.source_dir,
            base_image=base_image,
            repository=repository,
            image_name=name,
            context_hash=prepared.context_hash,
            script=package.script,
            python_module=package.python_module,
            requirements=list(package.requirements) or None,
            extra_packages=list(package.extra_packages) or None,
            extra_dirs=list(package.extra_dirs) or None,
            include_files=list(package.include_files) or None,
            create_repository=create_repository,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image_uri = image.image_uri
        self.digest = image.digest
        self.tag = image.tag
        # Known in the program: preview shows it even when the image is not built yet.
        self.context_hash = pulumi.Output.from_input(prepared.context_hash)
        self.register_outputs(
            {
                "image_uri": self.image_uri,
                "digest": self.digest,
                "tag": self.tag,
                "context_hash": self.context_hash,
            }
        )
