"""Benchmark of TrainingImage's packaging on a generated context (prints, asserts nothing).

Run: ``.venv/bin/python bench/image.py [--files 5000] [--megabytes 200] [--registry HOST:PORT]``

Each figure is measured in the same run, against its baseline:
- hashing the context (collect + sha256) vs ``tar -c | sha256sum`` of the same tree;
- a no-change ``up`` (hash + registry HEAD, nothing built) vs ``docker build`` with a warm cache;
- a one-file change (rebuild + push) vs a full ``docker build --no-cache``;
- bytes pushed by that change vs the image's size.

The generated data sits in ``data/`` (``extra_dirs``), a dependency layer ahead of
the code, as gcloud's Dockerfile orders it; the change edits ``trainer/task.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.packaging.package import prepare_image, resolve_package
from pulumi_vertex_training.provider.image import ImageProvider

T = TypeVar("T")
BASE_IMAGE = "local/python:3.11"


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def generate(root: Path, files: int, megabytes: int) -> None:
    """A trainer package plus ``data/`` (an extra dir) adding up to ``megabytes`` in ``files``."""
    size = megabytes * 1024 * 1024 // files
    (root / "trainer").mkdir(parents=True)
    (root / "trainer/__init__.py").write_text("")
    (root / "trainer/task.py").write_text("print('bench')\n")
    for i in range(files):
        shard = root / f"data/{i // 100:03d}"
        shard.mkdir(parents=True, exist_ok=True)
        # Random bytes: incompressible, like model weights or dataset shards.
        (shard / f"part-{i:05d}.bin").write_bytes(os.urandom(size))


def props(source: Path, repository: str) -> dict[str, Any]:
    package = resolve_package(str(source), python_module="trainer.task", extra_dirs=["data"])
    return {
        "source_dir": str(source),
        "python_module": "trainer.task",
        "extra_dirs": ["data"],
        "base_image": BASE_IMAGE,
        "repository": repository,
        "image_name": "bench",
        "context_hash": prepare_image(package, BASE_IMAGE).context_hash,
    }


def docker_build(source: Path, dockerfile: str, tag: str, *extra: str) -> None:
    subprocess.run(
        ["docker", "build", "-q", "--network", "host", "-t", tag, *extra, "-f", "-", str(source)],
        input=dockerfile.encode(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--registry", default="127.0.0.1:5000")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vt-bench-"))
    source = work / "pkg"
    try:
        generate(source, args.files, args.megabytes)
        repository = f"{args.registry}/bench-{uuid.uuid4().hex[:8]}"
        image = f"{repository}/bench"
        provider = ImageProvider()
        print(f"context: {args.files} files, {args.megabytes} MB under {source}", flush=True)

        package = resolve_package(str(source), python_module="trainer.task", extra_dirs=["data"])
        prepared, t_hash = timed(lambda: prepare_image(package, BASE_IMAGE))
        _, t_tar = timed(
            lambda: subprocess.run(
                f"tar -C {source} -c . | sha256sum",
                shell=True,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        )
        print(f"hash the context:        {t_hash:7.2f} s   (tar -c | sha256sum: {t_tar:7.2f} s)")

        first, t_first = timed(lambda: provider.create(props(source, repository)).outs)
        assert first is not None
        print(f"first up (build + push): {t_first:7.2f} s")

        builds = registry.builds_started()
        _, t_noop = timed(lambda: provider.create(props(source, repository)))
        _, t_warm = timed(lambda: docker_build(source, prepared.dockerfile, f"{image}:warm-cache"))
        print(
            f"no-change up:            {t_noop:7.2f} s   "
            f"(docker build, warm cache: {t_warm:7.2f} s; "
            f"builds started: {registry.builds_started() - builds})"
        )

        (source / "trainer/task.py").write_text(f"print('bench {uuid.uuid4().hex}')\n")
        second, t_change = timed(lambda: provider.create(props(source, repository)).outs)
        assert second is not None
        changed = prepare_image(
            resolve_package(str(source), python_module="trainer.task", extra_dirs=["data"]),
            BASE_IMAGE,
        )
        _, t_cold = timed(
            lambda: docker_build(source, changed.dockerfile, f"{image}:no-cache", "--no-cache")
        )
        print(
            f"one-file change up:      {t_change:7.2f} s   "
            f"(docker build --no-cache: {t_cold:7.2f} s)"
        )

        old = {layer["digest"] for layer in registry.get_manifest(first["image_uri"])["layers"]}
        layers = registry.get_manifest(second["image_uri"])["layers"]
        pushed = sum(layer["size"] for layer in layers if layer["digest"] not in old)
        total = sum(layer["size"] for layer in layers)
        print(
            f"bytes pushed by change:  {pushed / 1e3:7.1f} kB  (image: {total / 1e6:.1f} MB "
            f"compressed, {len(layers)} layers)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
