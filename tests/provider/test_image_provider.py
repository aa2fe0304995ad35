"""ImageProvider against the real engine and the local registry.

Builds are counted with ``registry.builds_started()``, never timed.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.packaging.context import (
    DOCKERFILE_NAME,
    SourceChangedError,
    write_context_tar,
)
from pulumi_vertex_training.packaging.package import prepare_image, resolve_package
from pulumi_vertex_training.provider import image_api
from pulumi_vertex_training.provider.image import ImageProvider

pytestmark = pytest.mark.docker

BASE_IMAGE = "local/python:3.11"


def image_props(source: Path, repository: str, **overrides: Any) -> dict[str, Any]:
    """Props as the Image resource sends them, with the hash the program computes."""
    props: dict[str, Any] = {
        "source_dir": str(source),
        "script": None,
        "python_module": "trainer.task",
        "base_image": BASE_IMAGE,
        "repository": repository,
        "image_name": "trainer",
        "requirements": None,
        "extra_packages": None,
        "extra_dirs": None,
        "include_files": None,
        "create_repository": False,
    }
    props.update(overrides)
    package = resolve_package(
        props["source_dir"], script=props["script"], python_module=props["python_module"]
    )
    props["context_hash"] = prepare_image(package, props["base_image"]).context_hash
    return props


def created(provider: ImageProvider, props: dict[str, Any]) -> dict[str, Any]:
    check = provider.check({}, props)
    assert check.failures == []
    result = provider.create(check.inputs)
    assert result.outs is not None and result.id == result.outs["image_uri"]
    return result.outs


def test_create_builds_and_pushes_once_then_adopts_when_hash_unchanged(
    make_package: Callable[..., Path], repository: str, capfd: pytest.CaptureFixture[str]
) -> None:
    provider = ImageProvider()
    props = image_props(make_package(), repository)
    builds = registry.builds_started()

    first = created(provider, props)
    assert registry.builds_started() == builds + 1
    image = f"{repository}/trainer"
    assert first["image_uri"] == f"{image}@{first['digest']}"
    assert first["tag"] == props["context_hash"]
    assert registry.find_remote_digest(f"{image}:{first['tag']}") == first["digest"]

    # Same hash: a second create (a new stack, a crashed `up`) and an update build nothing.
    capfd.readouterr()
    again = created(provider, props)
    updated = provider.update(first["image_uri"], first, {**props, "create_repository": False})
    assert registry.builds_started() == builds + 1
    assert again["image_uri"] == first["image_uri"]
    assert updated.outs is not None and updated.outs["digest"] == first["digest"]
    assert "nothing to build" in "".join(capfd.readouterr())

    read = provider.read(first["image_uri"], first)
    assert read.id == first["image_uri"]


def test_code_change_pushes_only_the_code_layer_when_dependencies_unchanged(
    make_package: Callable[..., Path], repository: str, capfd: pytest.CaptureFixture[str]
) -> None:
    provider = ImageProvider()
    source = make_package()
    first = created(provider, image_props(source, repository))
    # Unique per run: identical bytes pushed by an earlier run would be mounted, not pushed.
    (source / "trainer/task.py").write_text(f"print('one line changed {uuid.uuid4().hex}')\n")
    capfd.readouterr()
    second = created(provider, image_props(source, repository))
    log = "".join(capfd.readouterr())

    assert second["context_hash"] != first["context_hash"]
    old = registry.get_manifest(first["image_uri"])["layers"]
    new = registry.get_manifest(second["image_uri"])["layers"]
    # Base, mkdir, requirements.txt COPY and its pip RUN come from cache: same blobs.
    assert len(old) == len(new) >= 4
    assert [layer["digest"] for layer in old[:-1]] == [layer["digest"] for layer in new[:-1]]
    assert old[-1]["digest"] != new[-1]["digest"]
    # ... and the push uploaded exactly one layer, the code.
    assert log.count(": Pushed") == 1, log
    assert log.count(": Layer already exists") == len(new) - 1, log


def no_cache_build(docker_client: Any, props: dict[str, Any], tag: str) -> None:
    """``docker build --no-cache`` of what ``props`` describe: a chain of new layers, newer
    than the pushed ones (what a CI runner without cache, or a pruned engine, makes)."""
    package = resolve_package(props["source_dir"], python_module=props["python_module"])
    prepared = prepare_image(package, props["base_image"])
    with tempfile.TemporaryFile() as tar:
        write_context_tar(prepared.context, prepared.dockerfile, tar)
        tar.seek(0)
        for chunk in docker_client.api.build(
            fileobj=tar,
            custom_context=True,
            dockerfile=DOCKERFILE_NAME,
            tag=tag,
            network_mode="host",
            nocache=True,
            rm=True,
            decode=True,
        ):
            assert "error" not in chunk, chunk


def pushed_after_code_change(
    provider: ImageProvider, source: Path, first_props: dict[str, Any], capfd: Any
) -> str:
    # Unique per run: identical bytes pushed by an earlier run would be mounted, not pushed.
    (source / "trainer/task.py").write_text(f"print('one line changed {uuid.uuid4().hex}')\n")
    capfd.readouterr()
    news = image_props(source, first_props["repository"])
    check = provider.check(first_props, news)  # as the engine does on an update: olds first
    assert check.failures == []
    result = provider.create(check.inputs)
    assert result.outs is not None
    return "".join(capfd.readouterr())


def test_code_change_pushes_only_the_code_layer_when_a_no_cache_build_came_between(
    make_package: Callable[..., Path],
    repository: str,
    docker_client: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    provider = ImageProvider()
    source = make_package()
    props = image_props(source, repository)
    first = created(provider, props)
    no_cache_build(docker_client, props, f"{repository}/trainer:no-cache")
    try:
        log = pushed_after_code_change(provider, source, props, capfd)
    finally:
        docker_client.images.remove(f"{repository}/trainer:no-cache")
    # The pushed image seeds the cache: its mkdir, requirements and pip layers are reused.
    assert log.count(": Pushed") == 1, log
    assert (
        log.count(": Layer already exists")
        == len(registry.get_manifest(first["image_uri"])["layers"]) - 1
    ), log


def test_code_change_pushes_only_the_code_layer_when_the_engine_never_had_the_image(
    make_package: Callable[..., Path],
    repository: str,
    docker_client: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # A fresh CI runner: the pushed image is pulled to seed the build cache.
    provider = ImageProvider()
    source = make_package()
    props = image_props(source, repository)
    first = created(provider, props)
    no_cache_build(docker_client, props, f"{repository}/trainer:no-cache")
    docker_client.images.remove(f"{repository}/trainer:{first['tag']}")
    try:
        log = pushed_after_code_change(provider, source, props, capfd)
    finally:
        docker_client.images.remove(f"{repository}/trainer:no-cache")
    assert f"pulled {repository}/trainer:{first['tag'][:12]}" in log, log
    assert log.count(": Pushed") == 1, log


def test_build_goes_on_without_cache_saying_why_when_the_old_image_cannot_be_pulled(
    repository: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    gone = f"{repository}/trainer:{'c' * 64}"  # never pushed, or expired by a cleanup policy
    assert image_api.build_cache_sources(gone, f"{repository}/trainer:{'d' * 64}") == []
    said = "".join(capfd.readouterr()) + caplog.text
    assert "building without the layers of" in said and "could not pull" in said


def test_check_names_the_image_pushed_before_as_cache_when_the_resource_existed() -> None:
    olds = {
        "repository": "127.0.0.1:5000/p",
        "image_name": "trainer",
        "context_hash": "a" * 64,
        "source_dir": "/src",
        "python_module": "trainer.task",
        "base_image": BASE_IMAGE,
    }
    news = {**olds, "context_hash": "b" * 64}
    provider = ImageProvider()
    assert provider.check(olds, news).inputs["cache_from"] == f"127.0.0.1:5000/p/trainer:{'a' * 64}"
    assert "cache_from" not in provider.check({}, news).inputs


def test_diff_replaces_only_when_hash_repository_or_name_changes(tmp_path: Path) -> None:
    provider = ImageProvider()
    olds = {
        "context_hash": "a" * 64,
        "repository": "r.example/p",
        "image_name": "n",
        "source_dir": "/old/place",
        "create_repository": False,
    }
    moved = provider.diff("id", olds, {**olds, "source_dir": "/new/place"})
    assert moved.changes is False and moved.replaces == []
    for key, value in (
        ("context_hash", "b" * 64),
        ("repository", "r.example/q"),
        ("image_name", "m"),
    ):
        diff = provider.diff("id", olds, {**olds, key: value})
        assert diff.changes is True and diff.replaces == [key]
    flag = provider.diff("id", olds, {**olds, "create_repository": True})
    assert flag.changes is True and flag.replaces == []


@pytest.mark.parametrize(
    ("overrides", "prop", "reason"),
    [
        ({"image_name": "Bad Name"}, "image_name", "not a valid image name"),
        ({"repository": "no-host"}, "repository", "must start with a registry host"),
        ({"repository": "r.example/p:tag"}, "repository", "must not carry a tag"),
        ({"context_hash": "xyz"}, "context_hash", "64 hex digits"),
        ({"script": "t.py"}, "script", "exactly one of script or python_module"),
        ({"base_image": ""}, "base_image", "required: a non-empty string"),
        ({"create_repository": True}, "create_repository", "Artifact Registry repository"),
    ],
)
def test_check_fails_naming_the_property_when_input_is_bad(overrides, prop, reason) -> None:
    props = {
        "source_dir": "/src",
        "python_module": "trainer.task",
        "base_image": BASE_IMAGE,
        "repository": "127.0.0.1:5000/p",
        "image_name": "trainer",
        "context_hash": "a" * 64,
        **overrides,
    }
    failures = ImageProvider().check({}, props).failures
    assert [(f.property, reason in f.reason) for f in failures] == [(prop, True)]


def test_read_reports_gone_when_registry_lost_the_digest(repository: str) -> None:
    props = {
        "repository": repository,
        "image_name": "never-pushed",
        "digest": "sha256:" + "0" * 64,
    }
    assert ImageProvider().read("x", props).id is None


def test_create_fails_with_how_to_start_docker_when_no_engine_answers(
    make_package: Callable[..., Path],
    repository: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    props = image_props(make_package(), repository)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(
        registry.DockerUnavailableError, match=r"no Docker engine answers.*Start one"
    ):
        ImageProvider().create(props)


def test_create_fails_when_files_changed_since_the_program_hashed_them(
    make_package: Callable[..., Path], repository: str
) -> None:
    source = make_package()
    props = image_props(source, repository)
    (source / "trainer/task.py").write_text("print('edited during up')\n")
    with pytest.raises(SourceChangedError, match="changed while the deployment ran"):
        ImageProvider().create(props)
