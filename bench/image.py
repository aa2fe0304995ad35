"""Benchmark of TrainingImage's packaging on a generated context (prints, asserts nothing).

Run: ``.venv/bin/python bench/image.py [--files 5000] [--megabytes 200] [--registry HOST:PORT]``

Each figure is measured in the same run, against its baseline:
- hashing the context with no cache (read + sha256 + credential scan) vs
  ``tar -c | sha256sum`` of the same tree;
- a no-change ``up`` (the program's hash + the registry HEAD, nothing built), with a
  cold and with a warm digest cache, vs ``docker build`` of the same context with a
  warm layer cache (best of ``--repeat`` each; the goal is 0.05x or better);
- a one-file change (hash, rebuild, push) vs ``docker build --no-cache``;
- the same change after a ``--no-cache`` build: with the pushed image as cache
  (what ``up`` does) vs the engine's own newest layers (what it did before), in
  layers and bytes pushed.

The generated data sits in ``data/`` (``extra_dirs``), a dependency layer ahead of
the code, as gcloud's Dockerfile orders it; the change edits ``trainer/task.py``.
Everything built is removed at the end: local images, the pushed manifests and
blobs (the registry reclaims their space on its next garbage collection), the
generated files and the digest caches (kept in the run's folder, not ``~/.cache``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from pulumi_vertex_training.packaging import registry
from pulumi_vertex_training.packaging.context import collect_context, hash_context
from pulumi_vertex_training.packaging.hash_cache import CACHE_DIR_ENV
from pulumi_vertex_training.packaging.package import prepare_image, resolve_package
from pulumi_vertex_training.provider.image import ImageProvider

T = TypeVar("T")
BASE_IMAGE = "local/python:3.11"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    return min(timed(fn)[1] for _ in range(repeat))


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
    """The Image resource's inputs, with the hash the program computes (as TrainingImage does)."""
    return {
        "source_dir": str(source),
        "python_module": "trainer.task",
        "extra_dirs": ["data"],
        "base_image": BASE_IMAGE,
        "repository": repository,
        "image_name": "bench",
        "context_hash": prepared(source).context_hash,
    }


def up(provider: ImageProvider, source: Path, repository: str, olds: dict[str, Any]) -> Any:
    """What ``pulumi up`` does for the image: the program's hash, check(), create()."""
    news = props(source, repository)
    return provider.create(provider.check(olds, news).inputs).outs


def prepared(source: Path) -> Any:
    package = resolve_package(str(source), python_module="trainer.task", extra_dirs=["data"])
    return prepare_image(package, BASE_IMAGE)


def docker_build(source: Path, dockerfile: str, tag: str, *extra: str) -> None:
    subprocess.run(
        ["docker", "build", "-q", "--network", "host", "-t", tag, *extra, "-f", "-", str(source)],
        input=dockerfile.encode(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def pushed_layers(before: Any, after: Any) -> tuple[int, int]:
    """(layers, bytes) of ``after``'s manifest that ``before``'s did not have."""
    old = {layer["digest"] for layer in registry.get_manifest(before)["layers"]}
    new = [layer for layer in registry.get_manifest(after)["layers"] if layer["digest"] not in old]
    return len(new), sum(layer["size"] for layer in new)


def remove_pushed(registry_host: str, image_path: str) -> None:
    """Delete every manifest and layer blob of ``image_path`` from the registry."""
    base = f"http://{registry_host}/v2/{image_path}"
    tags = requests.get(f"{base}/tags/list", timeout=30).json().get("tags") or []
    blobs: set[str] = set()
    digests: set[str] = set()
    for tag in tags:
        answer = requests.get(
            f"{base}/manifests/{tag}", headers={"Accept": MANIFEST_V2}, timeout=30
        )
        if answer.status_code != 200:
            continue
        digests.add(answer.headers["Docker-Content-Digest"])
        manifest = answer.json()
        blobs.update(layer["digest"] for layer in manifest.get("layers", []))
        blobs.add(manifest["config"]["digest"])
    for digest in digests:
        requests.delete(f"{base}/manifests/{digest}", timeout=30)
    for digest in blobs:
        requests.delete(f"{base}/blobs/{digest}", timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each no-change figure")
    parser.add_argument("--verbose", action="store_true", help="show build and push progress")
    args = parser.parse_args()
    # Without an engine, progress lines go to stderr; keep the figures readable.
    quiet = contextlib.nullcontext() if args.verbose else contextlib.redirect_stderr(io.StringIO())
    with quiet:
        run(args)


def run(args: argparse.Namespace) -> None:
    """Measure and print (to stdout); see the module docstring."""
    work = Path(tempfile.mkdtemp(prefix="vt-bench-"))
    source = work / "pkg"
    os.environ[CACHE_DIR_ENV] = str(work / "cache")  # never the user's cache
    repository = f"{args.registry}/bench-{uuid.uuid4().hex[:8]}"
    image = f"{repository}/bench"
    engine = registry.docker_client()
    try:
        generate(source, args.files, args.megabytes)
        provider = ImageProvider()
        driver = engine.info().get("Driver", "?")
        print(
            f"context: {args.files} files, {args.megabytes} MB under {source}; "
            f"Docker storage driver: {driver}",
            flush=True,
        )

        context, t_hash = timed(
            lambda: collect_context(source, roots=["data", "trainer"], use_cache=False)
        )
        hash_context(context, "", BASE_IMAGE)
        _, t_tar = timed(
            lambda: subprocess.run(
                f"tar -C {source} -c . | sha256sum",
                shell=True,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        )
        print(
            f"hash, no cache:           {t_hash:7.2f} s   (tar -c | sha256sum: {t_tar:.2f} s, "
            f"{t_hash / t_tar:.2f}x)"
        )

        first, t_first = timed(lambda: up(provider, source, repository, {}))
        print(f"first up (build + push):  {t_first:7.2f} s")
        first_props = props(source, repository)

        builds = registry.builds_started()
        cold_runs = []
        for i in range(args.repeat):  # each run with an empty cache: it reads every byte
            os.environ[CACHE_DIR_ENV] = str(work / f"cache-cold-{i}")
            cold_runs.append(timed(lambda: up(provider, source, repository, first_props))[1])
        t_cold = min(cold_runs)
        # The last cold run filled its cache more than 2 s after the files were written,
        # so its entries are trusted (the racy-file rule re-reads younger ones).
        t_warm = best_of(args.repeat, lambda: up(provider, source, repository, first_props))
        dockerfile = prepared(source).dockerfile
        docker_build(source, dockerfile, f"{image}:warm-cache")  # Docker's own cache is warm
        t_docker = best_of(
            args.repeat, lambda: docker_build(source, dockerfile, f"{image}:warm-cache")
        )
        print(
            f"no-change up, cold cache: {t_cold:7.2f} s   ({t_cold / t_docker:.3f}x "
            f"docker build with a warm cache: {t_docker:.2f} s; reads every byte, as before)"
        )
        print(
            f"no-change up, warm cache: {t_warm:7.2f} s   ({t_warm / t_docker:.3f}x; "
            f"goal 0.05x; builds started: {registry.builds_started() - builds})"
        )

        (source / "trainer/task.py").write_text(f"print('bench {uuid.uuid4().hex}')\n")
        _, t_rehash = timed(lambda: prepared(source))  # the program's part: one file read
        second, t_change = timed(lambda: up(provider, source, repository, first_props))
        _, t_nocache = timed(
            lambda: docker_build(source, dockerfile, f"{image}:no-cache", "--no-cache")
        )
        layers, size = pushed_layers(first["image_uri"], second["image_uri"])
        print(
            f"one-file change up:       {t_change:7.2f} s   (docker build --no-cache: "
            f"{t_nocache:.2f} s); its hash {t_rehash:.2f} s; pushed {layers} layer(s), "
            f"{size / 1e3:.1f} kB"
        )

        # The engine's newest layers now come from that --no-cache build, not the registry.
        second_props = props(source, repository)
        (source / "trainer/task.py").write_text(f"print('bench {uuid.uuid4().hex}')\n")
        third, t_third = timed(lambda: up(provider, source, repository, second_props))
        layers, size = pushed_layers(second["image_uri"], third["image_uri"])
        before = f"{image}:engine-cache"  # the same change built as before: no cache_from

        def engine_cache_up() -> None:
            built = prepared(source)
            registry.build_image(built.context, built.dockerfile, before, base_image=BASE_IMAGE)
            registry.push_image(image, "engine-cache")

        _, t_before = timed(engine_cache_up)
        old_layers, old_size = pushed_layers(third["image_uri"], before)
        print(
            f"change after --no-cache:  {t_third:7.2f} s   pushed {layers} layer(s), "
            f"{size / 1e6:.3f} MB (with the engine's own cache, as before: {t_before:.2f} s, "
            f"{old_layers} layer(s), {old_size / 1e6:.1f} MB)"
        )
    finally:
        for tagged in engine.images.list(name=image):
            for tag in tagged.tags:
                with contextlib.suppress(Exception):
                    engine.images.remove(tag, noprune=False)
        with contextlib.suppress(requests.RequestException):
            remove_pushed(args.registry, image.split("/", 1)[1])
        engine.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
