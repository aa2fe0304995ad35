"""ImageProvider: a training image built from local code, addressed by content.

The program (``TrainingImage``) hashes the build context and passes the hash
in as ``context_hash``; the provider tags the image with it. Create/update
first asks the registry for ``repository/image_name:<context_hash>``: when it
exists its digest is adopted and nothing is built; otherwise the image is
built with Docker, pushed, and pinned by digest (``image_uri`` is
``repository/image_name@sha256:...``). The image pushed before (named by
``check()`` from the old inputs, pulled when the engine lacks it) seeds the
build cache, so a code change uploads only the code layer.

Delete leaves pushed images in the registry: jobs may still reference them by
digest, and a registry's own cleanup policies are the right tool to expire them.

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.image.ImageProvider`` by name.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from pulumi_vertex_training.provider import image_api, progress
from pulumi_vertex_training.provider.values import check_failures, to_spec, unchanged
from pulumi_vertex_training.spec.artifacts import check_image

IDENTITY_KEYS = ("context_hash", "repository", "image_name")
"""A change to any of these is another image: replace."""
OUTPUT_KEYS = ("image_uri", "digest", "tag")
CACHE_FROM_KEY = "cache_from"
"""Input set by check(): the image pushed before, whose layers seed the next build."""


def previous_image(olds: dict[str, Any]) -> str | None:
    """``repository/image_name:context_hash`` of the old inputs, or None on a create.

    >>> previous_image({"repository": "r.io/p", "image_name": "t", "context_hash": "ab"})
    'r.io/p/t:ab'
    """
    parts = [olds.get(k) for k in ("repository", "image_name", "context_hash")]
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return f"{parts[0]}/{parts[1]}:{parts[2]}"


class ImageProvider(ResourceProvider):
    """Builds, pushes and pins a training image; rebuilds only when the content hash changes.

    Holds no clients or credentials (it is pickled into state): Docker and the
    registry are reached per call through ``image_api``.
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Reject missing or malformed inputs; unknown values (preview) are skipped.

        When the resource existed, the image it pushed (``repository/image_name:<old
        context_hash>``, from ``olds``) becomes the ``cache_from`` input: a rebuild reuses
        its layers, so a code change pushes only the code layer on any machine.
        """
        inputs = {k: v for k, v in news.items() if k != CACHE_FROM_KEY}
        previous = previous_image(olds)
        if previous is not None:
            inputs[CACHE_FROM_KEY] = previous
        return CheckResult(inputs, check_failures(check_image(to_spec(news))))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace when the content hash, repository or image name changes; nothing else matters.

        Moving the source folder, or any input that does not change the hash,
        is no change: the image would be the same bytes.
        """
        replaces = [k for k in IDENTITY_KEYS if not unchanged(olds.get(k), news.get(k))]
        flag_changed = bool(olds.get("create_repository")) != bool(news.get("create_repository"))
        return DiffResult(
            changes=bool(replaces) or flag_changed,
            replaces=replaces,
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt ``repository/image_name:<context_hash>`` when the registry has it, else build."""
        outs = self._ensure_image(props)
        return CreateResult(outs["image_uri"], outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only ``create_repository`` changes in place: make sure of the image again, same id."""
        return UpdateResult(self._ensure_image(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The image is gone when the registry no longer has its digest."""
        digest = props.get("digest")
        image = f"{props.get('repository')}/{props.get('image_name')}"
        if not digest or image_api.find_digest(f"{image}@{digest}") is None:
            return ReadResult(None, {})
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leaves the pushed image in the registry (jobs may reference its digest)."""

    def _ensure_image(self, props: dict[str, Any]) -> dict[str, Any]:
        from pulumi_vertex_training.packaging.context import ensure_same_source
        from pulumi_vertex_training.packaging.package import prepare_image, resolve_package

        repository, image_name = str(props["repository"]), str(props["image_name"])
        context_hash = str(props["context_hash"])
        image = f"{repository}/{image_name}"
        if props.get("create_repository") and image_api.ensure_repository(repository):
            progress.info(f"created Artifact Registry repository {repository}")
        image_api.say_credentials(repository)
        digest = image_api.find_digest(f"{image}:{context_hash}")
        if digest is not None:
            progress.info(f"{image}:{context_hash[:12]} is in the registry: nothing to build")
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
            ensure_same_source(package.source_dir, prepared.context_hash, context_hash)
            digest = image_api.build_and_push(
                prepared.context,
                prepared.dockerfile,
                image,
                context_hash,
                prepared.base_image,
                cache_from=props.get(CACHE_FROM_KEY),
            )
        return {**props, "image_uri": f"{image}@{digest}", "digest": digest, "tag": context_hash}
