"""``Image``: a training image built from local code, addressed by content.

The program (``TrainingImage``) hashes the build context and passes the hash
in as ``context_hash``; the provider tags the image with it. Create/update
first asks the registry for ``repository/image_name:<context_hash>``: when it
exists its digest is adopted and nothing is built; otherwise the image is
built with Docker, pushed, and pinned by digest (``image_uri`` is
``repository/image_name@sha256:...``).

Delete leaves pushed images in the registry: jobs may still reference them by
digest, and a registry's own cleanup policies are the right tool to expire them.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.output import Unknown

from pulumi_vertex_training.components.packaging import registry

IMAGE_NAME = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
CONTEXT_HASH = re.compile(r"^[0-9a-f]{64}$")
ARTIFACT_REGISTRY = re.compile(
    r"^(?P<location>[a-z0-9-]+)-docker\.pkg\.dev/(?P<project>[a-z0-9:.-]+)/(?P<repository>[a-z0-9-]+)$"
)
_IDENTITY_KEYS = ("context_hash", "repository", "image_name")
_PROGRESS_INTERVAL = 2.0
_ALWAYS = (": Pushed", ": Layer already exists")


def _known(value: Any) -> bool:
    return not isinstance(value, Unknown)


def parse_artifact_registry(repository: str) -> tuple[str, str, str] | None:
    """``(location, project, repository_id)`` of ``LOCATION-docker.pkg.dev/PROJECT/REPO``.

    None for any other repository.
    """
    match = ARTIFACT_REGISTRY.match(repository)
    if match is None:
        return None
    return match["location"], match["project"], match["repository"]


def ensure_repository(repository: str, timeout: float = 300.0) -> bool:
    """Make sure the Artifact Registry repository behind ``repository`` exists (DOCKER format).

    Returns:
        True when it was created, False when it was there.

    Raises:
        ValueError: ``repository`` is not ``LOCATION-docker.pkg.dev/PROJECT/REPO``.
        google.api_core.exceptions.GoogleAPICallError: the API refused (e.g. permission).
    """
    from google.api_core import exceptions
    from google.cloud import artifactregistry_v1

    from pulumi_vertex_training import client

    parsed = parse_artifact_registry(repository)
    if parsed is None:
        raise ValueError(
            f"repository {repository!r} is not an Artifact Registry repository "
            "(LOCATION-docker.pkg.dev/PROJECT/REPO); create_repository needs one"
        )
    location, project, repo_id = parsed
    api = client.artifact_registry_client()
    parent = f"projects/{project}/locations/{location}"
    try:
        api.get_repository(name=f"{parent}/repositories/{repo_id}")
        return False
    except exceptions.NotFound:
        pass
    try:
        operation = api.create_repository(
            parent=parent,
            repository_id=repo_id,
            repository=artifactregistry_v1.Repository(
                format_=artifactregistry_v1.Repository.Format.DOCKER,
                description="Training images pushed by pulumi-vertex-training",
            ),
        )
        client.wait_for_operation(operation, timeout)
    except exceptions.AlreadyExists:
        return False  # created concurrently: what we wanted
    except exceptions.PermissionDenied as exc:
        raise exceptions.PermissionDenied(
            f"cannot create the Artifact Registry repository {repository}: {exc.message}. "
            "Creating it needs roles/artifactregistry.admin on the project; or create it "
            "once by hand and set create_repository=False"
        ) from None
    return True


class _ThrottledLog:
    """Steps and layer results go out at once; chatty lines (pip output) every few seconds."""

    def __init__(self, resource: str) -> None:
        self._prefix = f"{resource}: "
        self._last = 0.0

    def __call__(self, line: str) -> None:
        now = time.monotonic()
        if (
            line.startswith("Step ")
            or line.endswith(_ALWAYS)
            or ": Mounted from " in line
            or now - self._last >= _PROGRESS_INTERVAL
        ):
            self._last = now
            pulumi.log.info(self._prefix + line[:300])


def _failures(props: dict[str, Any]) -> list[pulumi.dynamic.CheckFailure]:
    out: list[pulumi.dynamic.CheckFailure] = []

    def fail(prop: str, reason: str) -> None:
        out.append(pulumi.dynamic.CheckFailure(prop, reason))

    for key in ("source_dir", "base_image", "repository", "image_name", "context_hash"):
        value = props.get(key)
        if _known(value) and (not isinstance(value, str) or not value):
            fail(key, f"{key} is required (a non-empty string), got {value!r}")
    script, module = props.get("script"), props.get("python_module")
    if _known(script) and _known(module) and (script is None) == (module is None):
        fail("script", "exactly one of script or python_module must be given")
    context_hash = props.get("context_hash")
    if isinstance(context_hash, str) and context_hash and not CONTEXT_HASH.match(context_hash):
        fail("context_hash", f"context_hash must be 64 hex digits (sha256), got {context_hash!r}")
    name = props.get("image_name")
    if isinstance(name, str) and name and not IMAGE_NAME.match(name):
        fail(
            "image_name",
            f"image_name {name!r} is not a valid image name: lowercase letters, digits and "
            "separators (. _ - /), starting and ending with a letter or digit",
        )
    repository = props.get("repository")
    if isinstance(repository, str) and repository:
        try:
            registry.ImageReference.parse(repository + "/x")
        except ValueError:
            fail(
                "repository",
                f"repository {repository!r} must start with a registry host, e.g. "
                "us-central1-docker.pkg.dev/PROJECT/REPO or localhost:5000/team",
            )
        if ":" in repository.split("/", 1)[-1] or "@" in repository:
            fail("repository", f"repository {repository!r} must not carry a tag or digest")
        if props.get("create_repository") is True and parse_artifact_registry(repository) is None:
            fail(
                "create_repository",
                f"create_repository needs an Artifact Registry repository "
                f"(LOCATION-docker.pkg.dev/PROJECT/REPO), got {repository!r}",
            )
    return out


class ImageProvider(pulumi.dynamic.ResourceProvider):
    """Builds, pushes and pins a training image; rebuilds only when the content hash changes.

    Holds no clients or credentials (it is pickled into state): Docker and the
    registry are reached per call through ``packaging.registry``.
    """

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        """Reject missing or malformed inputs; unknown values (preview) are skipped."""
        return pulumi.dynamic.CheckResult(news, _failures(news))

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        """Replace when the content hash, repository or image name changes; nothing else matters.

        Moving the source folder, or any input that does not change the hash,
        is no change: the image would be the same bytes.
        """
        replaces = [
            k for k in _IDENTITY_KEYS if not _known(news.get(k)) or olds.get(k) != news.get(k)
        ]
        flag_changed = bool(olds.get("create_repository")) != bool(news.get("create_repository"))
        return pulumi.dynamic.DiffResult(
            changes=bool(replaces) or flag_changed,
            replaces=replaces,
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        """Adopt ``repository/image_name:<context_hash>`` when the registry has it, else build."""
        outs = self._ensure_image(props)
        return pulumi.dynamic.CreateResult(outs["image_uri"], outs)

    def update(
        self, _id: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        """Only ``create_repository`` changes in place: make sure of the image again, same id."""
        return pulumi.dynamic.UpdateResult(self._ensure_image(news))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """The image is gone when the registry no longer has its digest."""
        digest = props.get("digest")
        image = f"{props.get('repository')}/{props.get('image_name')}"
        if not digest or registry.find_remote_digest(f"{image}@{digest}") is None:
            return pulumi.dynamic.ReadResult(None, {})
        return pulumi.dynamic.ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leaves the pushed image in the registry (jobs may reference its digest)."""

    def _ensure_image(self, props: dict[str, Any]) -> dict[str, Any]:
        from pulumi_vertex_training.components.packaging.package import (
            prepare_image,
            resolve_package,
        )

        repository, image_name = str(props["repository"]), str(props["image_name"])
        context_hash = str(props["context_hash"])
        image = f"{repository}/{image_name}"
        log = _ThrottledLog(image)
        if props.get("create_repository") and ensure_repository(repository):
            pulumi.log.info(f"created Artifact Registry repository {repository}")
        digest = registry.find_remote_digest(f"{image}:{context_hash}")
        if digest is not None:
            pulumi.log.info(f"{image}:{context_hash[:12]} is in the registry: nothing to build")
        else:
            package = resolve_package(
                str(props["source_dir"]),
                script=props.get("script"),
                python_module=props.get("python_module"),
                requirements=props.get("requirements"),
                extra_packages=props.get("extra_packages"),
                extra_dirs=props.get("extra_dirs"),
                include_files=props.get("include_files"),
            )
            prepared = prepare_image(package, str(props["base_image"]))
            if prepared.context_hash != context_hash:
                raise registry.ImageError(
                    f"the files under {package.source_dir} changed while the deployment ran "
                    f"(hash {prepared.context_hash[:12]}, the program saw {context_hash[:12]}); "
                    "run it again"
                )
            pulumi.log.info(f"building {image}:{context_hash[:12]}")
            registry.build_image(
                prepared.context,
                prepared.dockerfile,
                f"{image}:{context_hash}",
                base_image=prepared.base_image,
                progress=log,
            )
            pulumi.log.info(f"pushing {image}:{context_hash[:12]}")
            digest = registry.push_image(image, context_hash, progress=log).digest
        return {
            **props,
            "image_uri": f"{image}@{digest}",
            "digest": digest,
            "tag": context_hash,
        }


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
        requirements: list[str] | None = None,
        extra_packages: list[str] | None = None,
        extra_dirs: list[str] | None = None,
        include_files: list[str] | None = None,
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
            "requirements": requirements,
            "extra_packages": extra_packages,
            "extra_dirs": extra_dirs,
            "include_files": include_files,
            "create_repository": create_repository,
            "image_uri": None,
            "digest": None,
            "tag": None,
        }
        super().__init__(ImageProvider(), resource_name, props, opts)
