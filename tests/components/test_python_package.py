"""PythonPackage against the local Cloud Storage: upload once, adopt, replace, and every error."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_vertex_training as vt
from pulumi_vertex_training import client
from pulumi_vertex_training.packaging.sdist import resolve_source
from pulumi_vertex_training.provider.python_package import PythonPackageProvider
from pulumi_vertex_training.testing import ProgramRunner

CONFIG = {"gcp:project": "p", "gcp:region": "us-central1"}


@pytest.fixture
def bucket(local_gcs: Any) -> str:
    name = f"vt-comp-{uuid.uuid4().hex[:8]}"
    client.storage_client("p").create_bucket(name)
    return name


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "trainer"
    root.mkdir()
    (root / "task.py").write_text("print('train')\n")
    return root


def package_program(source: Path, staging_uri: str, **kwargs: Any) -> Callable[[], None]:
    def program() -> None:
        package = vt.PythonPackage("pkg", source_dir=str(source), staging_uri=staging_uri, **kwargs)
        pulumi.export("package_uri", package.package_uri)
        pulumi.export("python_module", package.python_module)
        pulumi.export("content_hash", package.content_hash)

    return program


def staging_uploads(local_gcs: Any, bucket: str) -> list[str]:
    return [name for b, name in local_gcs.storage.uploads if b == bucket]


def test_up_uploads_once_and_a_code_change_uploads_a_new_object(
    local_gcs: Any, bucket: str, source: Path
) -> None:
    stack = ProgramRunner(
        package_program(source, f"gs://{bucket}/staging", script="task.py"), config=CONFIG
    )
    assert (
        stack.preview().ops() == [("create", "pkg")] or ("create", "pkg") in stack.preview().ops()
    )

    first = stack.up().outputs
    expected = resolve_source(source, script="task.py")
    assert first["content_hash"] == expected.content_hash
    assert first["python_module"] == "aiplatform_custom_trainer_script.task"
    assert first["package_uri"] == (
        f"gs://{bucket}/staging/{expected.content_hash[:16]}/aiplatform_custom_trainer_script-0.1.tar.gz"
    )
    assert len(staging_uploads(local_gcs, bucket)) == 1

    assert stack.up().changed() == []
    assert len(staging_uploads(local_gcs, bucket)) == 1

    (source / "task.py").write_text("print('train harder')\n")
    third = stack.up()
    assert "replace" in [s.op for s in third.changed() if s.name == "pkg"]
    assert third.outputs["package_uri"] != first["package_uri"]
    assert len(staging_uploads(local_gcs, bucket)) == 2


def test_create_adopts_an_existing_object_without_building_or_uploading(
    local_gcs: Any, bucket: str, source: Path
) -> None:
    resolved = resolve_source(source, script="task.py")
    props = {
        "source_dir": str(source),
        "staging_uri": f"gs://{bucket}/s",
        "content_hash": resolved.content_hash,
        "python_module": resolved.python_module,
        "script": "task.py",
    }
    provider = PythonPackageProvider()
    made = provider.create(provider.check({}, props).inputs)
    before = len(staging_uploads(local_gcs, bucket))

    (source / "task.py").unlink()  # building again would fail: adoption must not build
    again = provider.create(props)

    assert again.id == made.id
    assert len(staging_uploads(local_gcs, bucket)) == before
    assert provider.read(made.id, made.outs or {}).id == made.id


def test_read_drops_a_package_whose_object_was_deleted(
    local_gcs: Any, bucket: str, source: Path
) -> None:
    resolved = resolve_source(source, script="task.py")
    props = {
        "source_dir": str(source),
        "staging_uri": f"gs://{bucket}/s",
        "content_hash": resolved.content_hash,
        "python_module": resolved.python_module,
        "script": "task.py",
    }
    provider = PythonPackageProvider()
    made = provider.create(props)
    bucket_name, _, name = made.id.removeprefix("gs://").partition("/")
    client.storage_client().bucket(bucket_name).blob(name).delete()

    assert not provider.read(made.id, made.outs or {}).id


@pytest.mark.parametrize(
    "uri", ["s3://bucket/x", "gs://", "gs://Upper/x", "bucket/prefix", "gs://a/x"]
)
def test_bad_staging_uri_fails_in_the_program_naming_it(source: Path, uri: str) -> None:
    stack = ProgramRunner(package_program(source, uri, script="task.py"), config=CONFIG)

    with pytest.raises(Exception, match=r"staging_uri .* must be gs://BUCKET\[/PREFIX\]"):
        stack.preview()


def test_bad_staging_uri_from_an_output_is_a_check_failure() -> None:
    result = PythonPackageProvider().check(
        {},
        {
            "source_dir": "/src",
            "staging_uri": "https://bucket/x",
            "content_hash": "0" * 64,
            "python_module": "m",
        },
    )

    assert [f.property for f in result.failures] == ["staging_uri"]


def test_missing_source_fails_in_the_program_naming_it(tmp_path: Path) -> None:
    stack = ProgramRunner(
        package_program(tmp_path / "gone", "gs://bucket/x", script="task.py"), config=CONFIG
    )

    with pytest.raises(Exception, match=r"source_dir '.*gone' does not exist"):
        stack.preview()


def test_build_failure_fails_up_naming_the_file_and_quoting_the_builder(
    local_gcs: Any, bucket: str, tmp_path: Path
) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    )
    (root / "backend.py").write_text(
        "def build_sdist(d, c=None):\n    raise RuntimeError('version missing in backend')\n"
    )
    stack = ProgramRunner(
        package_program(root, f"gs://{bucket}/s", python_module="backend"), config=CONFIG
    )

    with pytest.raises(Exception) as err:  # the SDK re-wraps ValueErrors
        stack.up()

    assert str(root / "pyproject.toml") in str(err.value)
    assert "version missing in backend" in str(err.value)


def test_missing_bucket_fails_up_saying_so(local_gcs: Any, source: Path) -> None:
    stack = ProgramRunner(
        package_program(source, "gs://no-such-bucket-vt/s", script="task.py"), config=CONFIG
    )

    with pytest.raises(Exception, match="does the bucket exist"):
        stack.up()


@pytest.fixture
def unreachable_gcs(local_gcs: Any) -> Iterator[str]:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    previous = os.environ["STORAGE_EMULATOR_HOST"]
    os.environ["STORAGE_EMULATOR_HOST"] = url
    try:
        yield url
    finally:
        os.environ["STORAGE_EMULATOR_HOST"] = previous


def test_unreachable_storage_fails_up_naming_the_endpoint(
    unreachable_gcs: str, source: Path
) -> None:
    stack = ProgramRunner(package_program(source, "gs://bkt/s", script="task.py"), config=CONFIG)

    with pytest.raises(Exception, match=f"cannot reach Cloud Storage at {unreachable_gcs}"):
        stack.up()
