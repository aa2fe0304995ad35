"""The digest cache of build contexts (issue 19): an unchanged context is only stat-ed.

Files are counted as they are opened, never timed. Most tests write files and
hash them at once; the racy-file rule would (rightly) distrust such fresh
entries for two seconds, so ``settled`` turns that window off where a test is
about something else. The racy rule has tests of its own, with the real window.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from pulumi_vertex_training.packaging import hash_cache
from pulumi_vertex_training.packaging.context import (
    CredentialFileError,
    collect_context,
    hash_context,
)
from pulumi_vertex_training.packaging.hash_cache import CACHE_DIR_ENV, HashCache

DOCKERFILE = "FROM local/python:3.11\n"
BASE = "local/python:3.11"
PKCS8_KEY = b"-----BEGIN PRIVATE KEY-----\n" + b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" * 2 + b"\n"

TREE = {
    "trainer/__init__.py": b"",
    "trainer/task.py": b"print('train')\n",
    "requirements.txt": b"six\n",
    "data/a.bin": os.urandom(3000),
    "data/b.bin": os.urandom(5000),
}


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def digest(root: Path, **kwargs: object) -> str:
    return hash_context(collect_context(root, **kwargs), DOCKERFILE, BASE)  # type: ignore[arg-type]


def reference_hash(root: Path) -> str:
    """The hash as the scheme defines it, computed here independently of the package."""
    h = hashlib.sha256(b"pulumi-vertex-training/context/v1\n")
    for text in (BASE, DOCKERFILE):
        h.update(len(text.encode()).to_bytes(8, "big") + text.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
        h.update(rel.encode() + b"\0" + f"{mode:o}".encode() + b"\0")
        h.update(b"F" + hashlib.sha256(path.read_bytes()).digest() + b"\n")
    return h.hexdigest()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust entries of files written a moment ago (see the module docstring)."""
    monkeypatch.setattr(hash_cache, "RACY_WINDOW_NS", 0)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths opened for reading (``open`` and ``os.open``) while the test runs."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)):
            seen.append(os.fspath(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def counting_os_open(path: object, *args: object, **kwargs: object) -> int:
        seen.append(os.fspath(path))  # type: ignore[call-overload]
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(os, "open", counting_os_open)
    yield seen


def read_under(seen: list[str], root: Path) -> list[str]:
    return sorted(os.path.relpath(p, root) for p in seen if p.startswith(str(root) + os.sep))


def test_hash_is_the_same_with_and_without_cache_when_cold_warm_or_changed(
    tmp_path: Path, cache_dir: Path, settled: None
) -> None:
    root = make_tree(tmp_path / "src", TREE)
    expected = reference_hash(root)
    assert digest(root, use_cache=False) == expected
    assert digest(root) == expected  # cold: fills the cache
    assert list(cache_dir.glob("*.json"))
    assert digest(root) == expected  # warm
    (root / "data/a.bin").write_bytes(os.urandom(3000))
    changed = reference_hash(root)
    assert changed != expected
    assert digest(root) == changed == digest(root, use_cache=False)


def test_unchanged_context_reads_no_file_when_cache_is_warm(
    tmp_path: Path, cache_dir: Path, settled: None, opened: list[str]
) -> None:
    root = make_tree(tmp_path / "src", TREE)
    first = digest(root)
    assert read_under(opened, root) == sorted(TREE)
    opened.clear()
    assert digest(root) == first
    assert read_under(opened, root) == []


def test_one_changed_file_is_the_only_one_read_when_cache_is_warm(
    tmp_path: Path, cache_dir: Path, settled: None, opened: list[str]
) -> None:
    root = make_tree(tmp_path / "src", TREE)
    digest(root)
    (root / "trainer/task.py").write_text("print('v2')\n")
    (root / "trainer/new.py").write_text("X = 1\n")
    opened.clear()
    assert digest(root) == reference_hash(root)
    assert read_under(opened, root) == ["trainer/new.py", "trainer/task.py"]


def test_in_place_edit_with_same_size_and_mtime_is_caught_when_just_read(
    tmp_path: Path, cache_dir: Path
) -> None:
    # Real racy window: written, hashed and edited within the same moment.
    root = make_tree(tmp_path / "src", TREE)
    path = root / "trainer/task.py"
    digest(root)
    before = path.stat()
    path.write_bytes(b"print('TRAIN')\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same mtime
    assert path.stat().st_size == before.st_size
    assert digest(root) == reference_hash(root)


def test_in_place_edit_with_same_size_and_mtime_is_caught_when_entry_settled(
    tmp_path: Path, cache_dir: Path, settled: None
) -> None:
    # A trusted entry: the changed ctime gives the edit away (mtime was put back).
    root = make_tree(tmp_path / "src", TREE)
    path = root / "trainer/task.py"
    digest(root)
    before = path.stat()
    path.write_bytes(b"print('TRAIN')\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert digest(root) == reference_hash(root)


def fake_stat(size: int, mtime_ns: int, ctime_ns: int, ino: int = 7) -> os.stat_result:
    stat = SimpleNamespace(st_size=size, st_mtime_ns=mtime_ns, st_ctime_ns=ctime_ns, st_ino=ino)
    return stat  # type: ignore[return-value]


SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("mtime_ns", "ctime_ns", "trusted"),
    [
        (100 * SECOND, 100 * SECOND, False),  # same second as the read (1 s granularity)
        (100 * SECOND + 400_000_000, 99 * SECOND, False),  # mtime newer than the read
        (99 * SECOND, 99 * SECOND, False),  # 1.5 s before: inside a 2 s tick (FAT)
        (97 * SECOND, 100 * SECOND, False),  # old mtime put back, fresh ctime (cp -p)
        (97 * SECOND, 98 * SECOND, True),  # both older than the read by more than 2 s
    ],
)
def test_racily_clean_entry_is_not_trusted_when_not_older_than_its_reading(
    tmp_path: Path, cache_dir: Path, mtime_ns: int, ctime_ns: int, trusted: bool
) -> None:
    read_ns = 100 * SECOND + 500_000_000
    cache = HashCache.open(str(tmp_path / "src"))
    assert cache.path is not None and cache.path.parent == cache_dir
    st = fake_stat(10, mtime_ns, ctime_ns)
    cache.record("a.py", st, "ab" * 32, None, read_ns)
    cache.save(["."])
    again = HashCache.open(str(tmp_path / "src"))
    assert (again.lookup("a.py", st) is not None) is trusted
    assert again.lookup("a.py", fake_stat(11, mtime_ns, ctime_ns)) is None  # other size
    assert again.lookup("a.py", fake_stat(10, mtime_ns, ctime_ns, ino=8)) is None  # replaced


def test_unchanged_credential_is_refused_without_reading_it_again(
    tmp_path: Path, cache_dir: Path, settled: None, opened: list[str]
) -> None:
    root = make_tree(tmp_path / "src", {**TREE, "conf/key.txt": PKCS8_KEY})
    for _ in range(2):
        opened.clear()
        with pytest.raises(CredentialFileError, match=r"conf/key\.txt \(a PEM private key\)"):
            collect_context(root)
    assert read_under(opened, root) == []
    assert "conf/key.txt" in collect_context(root, include=["conf/key.txt"]).paths
    assert read_under(opened, root) == []


def test_cache_lives_outside_the_context_and_is_never_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "src", TREE)
    home = tmp_path / "home"
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    assert hash_cache.cache_dir() == home / ".cache" / "pulumi-vertex-training"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hash_cache.cache_dir() == tmp_path / "xdg" / "pulumi-vertex-training"
    expected = reference_hash(root)

    monkeypatch.setenv(CACHE_DIR_ENV, str(root / ".cache"))  # inside: not used
    assert digest(root) == expected == digest(root)
    assert not (root / ".cache").exists()

    monkeypatch.setenv(CACHE_DIR_ENV, "")  # off
    assert hash_cache.cache_dir() is None
    assert digest(root) == expected


def cache_file(cache_dir: Path) -> Path:
    (path,) = cache_dir.glob("*.json")
    return path


def tamper_digests(path: Path, *, fix_checksum: bool) -> None:
    header_line, body = path.read_bytes().split(b"\n", 1)
    entries = json.loads(body)
    for entry in entries.values():
        entry[5] = "0" * 64
        entry[6] = None
    new_body = json.dumps(entries).encode()
    header = json.loads(header_line)
    if fix_checksum:
        header["sha256"] = hashlib.sha256(new_body).hexdigest()
    path.write_bytes(json.dumps(header).encode() + b"\n" + new_body)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.write_bytes(b"\x00garbage{"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:-20]), id="truncated"),
        pytest.param(lambda p: tamper_digests(p, fix_checksum=False), id="checksum-mismatch"),
        pytest.param(
            lambda p: p.write_bytes(p.read_bytes().replace(b'"rules": "', b'"rules": "0', 1)),
            id="other-rules",
        ),
        pytest.param(lambda p: os.chmod(p, 0o666), id="world-writable"),
        pytest.param(
            lambda p: os.chown(p, 65534, 65534),
            id="other-owner",
            marks=pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown"),
        ),
    ],
)
def test_corrupt_or_foreign_cache_is_ignored_when_loaded(
    tmp_path: Path, cache_dir: Path, settled: None, spoil: object
) -> None:
    root = make_tree(tmp_path / "src", {**TREE, "conf/key.txt": PKCS8_KEY})
    expected = digest(root, include=["conf/key.txt"])
    spoil(cache_file(cache_dir))  # type: ignore[operator]
    assert digest(root, include=["conf/key.txt"]) == expected
    with pytest.raises(CredentialFileError):  # a verdict it held is not trusted either
        collect_context(root)


def test_cache_of_another_folder_is_ignored_when_copied_over(
    tmp_path: Path, cache_dir: Path, settled: None
) -> None:
    a = make_tree(tmp_path / "a", TREE)
    b = make_tree(tmp_path / "b", {**TREE, "trainer/task.py": b"print('other')\n"})
    digest(a)
    (a_cache,) = cache_dir.glob("*.json")
    digest(b)
    (b_cache,) = set(cache_dir.glob("*.json")) - {a_cache}
    b_cache.write_bytes(a_cache.read_bytes())  # a's entries, same relative paths
    assert digest(b) == reference_hash(b)


def _hash_many(root: str, cache: str, rounds: int, queue: multiprocessing.Queue) -> None:
    os.environ[CACHE_DIR_ENV] = cache
    queue.put({digest(Path(root)) for _ in range(rounds)})


def test_two_programs_hashing_at_once_get_the_right_hash_and_a_whole_cache(
    tmp_path: Path, cache_dir: Path
) -> None:
    root = make_tree(tmp_path / "src", TREE)
    for i in range(200):
        (root / f"more/f{i}.py").parent.mkdir(exist_ok=True)
        (root / f"more/f{i}.py").write_text(f"X = {i}\n")
    expected = reference_hash(root)
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = context.Queue()
    workers = [
        context.Process(target=_hash_many, args=(str(root), str(cache_dir), 15, queue))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert results == [{expected}, {expected}]
    assert [p.name for p in cache_dir.iterdir() if p.name.startswith(".tmp-")] == []
    header = json.loads(cache_file(cache_dir).read_bytes().split(b"\n", 1)[0])
    assert header["root"] == str(root)


def cached_roots(cache_dir: Path) -> dict[str, Path]:
    return {
        json.loads(p.read_bytes().split(b"\n", 1)[0])["root"]: p for p in cache_dir.glob("*.json")
    }


def test_caches_of_least_recently_used_folders_are_pruned_when_too_many(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hash_cache, "MAX_CACHE_FILES", 3)
    roots = [make_tree(tmp_path / f"src{i}", {"a.py": b"A = %d\n" % i}) for i in range(5)]
    for i, root in enumerate(roots[:4]):
        digest(root)
        os.utime(cached_roots(cache_dir)[str(root)], (1000 + i, 1000 + i))  # used long ago
    digest(roots[0])  # used again now: recently used, kept
    digest(roots[4])
    assert set(cached_roots(cache_dir)) == {str(roots[0]), str(roots[3]), str(roots[4])}


def test_cache_folder_is_private_when_created(tmp_path: Path, cache_dir: Path) -> None:
    digest(make_tree(tmp_path / "src", TREE))
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    assert cache_file(cache_dir).stat().st_mode & 0o077 == 0
