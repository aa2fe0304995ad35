"""Build/push errors users can reach, each saying what to do (real engine, real registry)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.packaging.context import collect_context

pytestmark = pytest.mark.docker


def test_build_fails_naming_base_image_when_it_does_not_exist(
    tmp_path: Path, docker_client
) -> None:
    (tmp_path / "task.py").write_text("print(1)\n")
    with pytest.raises(registry.BaseImageNotFoundError, match="local/does-not-exist:1") as err:
        registry.build_image(
            collect_context(tmp_path),
            'FROM local/does-not-exist:1\nCOPY [".", "."]\n',
            "vt-test/missing-base:x",
            base_image="local/does-not-exist:1",
        )
    assert "docker pull" in str(err.value)


def test_build_fails_with_log_tail_when_a_run_step_fails(tmp_path: Path, docker_client) -> None:
    (tmp_path / "task.py").write_text("print(1)\n")
    with pytest.raises(registry.BuildFailedError) as err:
        registry.build_image(
            collect_context(tmp_path),
            "FROM local/python:3.11\nRUN echo about-to-fail-7 && exit 3\n",
            "vt-test/failing-run:x",
            base_image="local/python:3.11",
        )
    message = str(err.value)
    assert "RUN echo about-to-fail-7" in message  # the step
    assert "non-zero code: 3" in message
    assert "about-to-fail-7" in message.split("last lines of the build log")[1]  # the tail


def test_push_fails_naming_repository_and_role_when_registry_refuses(docker_client) -> None:
    target = "127.0.0.1:5999/vt-test/refused"  # nothing listens there
    docker_client.images.get("local/python:3.11").tag(target, "x")
    try:
        with pytest.raises(registry.PushRefusedError) as err:
            registry.push_image(target, "x")
    finally:
        docker_client.images.remove(f"{target}:x")
    assert target in str(err.value)
    assert "roles/artifactregistry.writer" in str(err.value)
    assert "connection refused" in str(err.value)


def test_docker_client_says_how_to_start_docker_when_no_engine_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/dead.sock")
    with pytest.raises(registry.DockerUnavailableError, match="DOCKER_HOST") as err:
        registry.docker_client()
    assert str(tmp_path) in str(err.value)


@pytest.mark.usefixtures("registry")
def test_find_remote_digest_is_none_when_tag_missing() -> None:
    assert registry.find_remote_digest("127.0.0.1:5000/vt-nothing/here:nope") is None


def test_find_remote_digest_raises_when_registry_unreachable() -> None:
    with pytest.raises(
        registry.RegistryError, match=r"could not reach the registry 127\.0\.0\.1:5999"
    ):
        registry.find_remote_digest("127.0.0.1:5999/a/b:c")


@pytest.mark.parametrize(
    ("ref", "parts"),
    [
        ("127.0.0.1:5000/a/b:t", ("127.0.0.1:5000", "a/b", "t", None)),
        (
            "us-docker.pkg.dev/p/r/img@sha256:ab",
            ("us-docker.pkg.dev", "p/r/img", None, "sha256:ab"),
        ),
        ("localhost/x", ("localhost", "x", None, None)),
    ],
)
def test_image_reference_splits_host_path_tag_digest_when_parsed(ref, parts) -> None:
    parsed = registry.ImageReference.parse(ref)
    assert (parsed.host, parsed.path, parsed.tag, parsed.digest) == parts


@pytest.mark.parametrize("ref", ["python:3.11", "trainer", "local/python:3.11"])
def test_image_reference_raises_when_no_registry_host(ref: str) -> None:
    with pytest.raises(ValueError, match="must start with a registry host"):
        registry.ImageReference.parse(ref)
