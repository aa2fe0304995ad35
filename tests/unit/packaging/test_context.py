"""Build context: which files, the content hash, the deterministic tar."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from pulumi_vertex_training.packaging.context import (
    DOCKERFILE_NAME,
    SOURCE_DATE_EPOCH,
    CredentialFileError,
    PackagingError,
    collect_context,
    hash_context,
    write_context_tar,
)
from pulumi_vertex_training.packaging.ignore import DockerIgnore, IgnoreRules

DOCKERFILE = "FROM local/python:3.11\n"
BASE = "local/python:3.11"


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


TREE = {
    "trainer/__init__.py": "",
    "trainer/task.py": "print('train')\n",
    "requirements.txt": "six\n",
    "data/notes.md": "# notes\n",
}


def digest(root: Path, **kwargs) -> str:
    return hash_context(collect_context(root, **kwargs), DOCKERFILE, BASE)


def test_hash_is_equal_when_same_tree_in_two_folders_with_other_mtimes_and_umask(tmp_path):
    a = make_tree(tmp_path / "a", TREE)
    old = os.umask(0o077)  # b's files get 0600/0700: only the executable bit may count
    try:
        b = make_tree(tmp_path / "elsewhere" / "b", dict(reversed(TREE.items())))
    finally:
        os.umask(old)
    for i, path in enumerate(sorted(b.rglob("*"))):
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert digest(a) == digest(b)


def test_hash_changes_when_one_byte_changes(tmp_path):
    root = make_tree(tmp_path, TREE)
    before = digest(root)
    (root / "trainer/task.py").write_text("print('train!')\n")
    assert digest(root) != before


def test_hash_changes_when_executable_bit_changes(tmp_path):
    root = make_tree(tmp_path, TREE)
    before = digest(root)
    os.chmod(root / "trainer/task.py", 0o755)
    assert digest(root) != before


def test_hash_changes_when_file_renamed_or_dockerfile_or_base_changes(tmp_path):
    root = make_tree(tmp_path, TREE)
    context = collect_context(root)
    before = hash_context(context, DOCKERFILE, BASE)
    assert hash_context(context, DOCKERFILE + "ENV A=1\n", BASE) != before
    assert hash_context(context, DOCKERFILE, "local/python:3.12") != before
    (root / "data/notes.md").rename(root / "data/notes2.md")
    assert digest(root) != before


def test_context_never_takes_vcs_venvs_caches_when_present(tmp_path):
    root = make_tree(
        tmp_path,
        {
            **TREE,
            ".git/config": "x",
            ".venv/lib/x.py": "x",
            "venv/bin/python": "x",
            "env3/pyvenv.cfg": "home = /usr",
            "env3/lib/site.py": "x",
            "trainer/__pycache__/task.cpython-311.pyc": "x",
            "trainer/old.pyc": "x",
            ".pytest_cache/v/x": "x",
            "node_modules/a/index.js": "x",
        },
    )
    assert collect_context(root).paths == sorted(TREE)


def test_ignored_files_do_not_count_when_dockerignore_or_gcloudignore_name_them(tmp_path):
    root = make_tree(tmp_path, TREE)
    before = digest(root)
    make_tree(
        root,
        {
            ".dockerignore": "data/big/**\n*.log\n.gitignore\n",
            ".gcloudignore": "scratch/\n#!include:.gitignore\n",
            ".gitignore": "*.tmp\n",
            "data/big/blob.bin": "x" * 100,
            "run.log": "log",
            "trainer/deep/scratch/x.py": "x",
            "trainer/t.tmp": "x",
        },
    )
    assert collect_context(root).paths == sorted(TREE)
    assert digest(root) == before  # the ignore files are rules, not content


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        (["*.md"], "README.md", True),
        (["*.md"], "docs/README.md", False),  # anchored at the root, unlike gitignore
        (["**/*.md"], "docs/README.md", True),
        (["docs"], "docs/a/b.txt", True),  # a matching parent excludes all below
        (["docs", "!docs/keep.txt"], "docs/keep.txt", False),
        (["*", "!trainer"], "trainer/task.py", False),
        (["/build/"], "build/x", True),
        (["te?t.py"], "test.py", True),
        (["[a-c]*.py"], "b.py", True),
        (["[!a-c]*.py"], "b.py", False),
        (["# comment", ""], "x", False),
    ],
)
def test_dockerignore_matches_like_docker_when_pattern_is(patterns, path, ignored):
    assert DockerIgnore(patterns).matches(path) is ignored


def test_gcloudignore_matches_at_any_depth_when_pattern_has_no_slash():
    rules = IgnoreRules([], ["*.md", "!keep.md"])
    assert rules.is_ignored("docs/README.md")
    assert not rules.is_ignored("docs/keep.md")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("sa.json", '{"type": "service_account", "private_key": "-----BEGIN"}'),
        ("certs/server.pem", "x"),
        ("tls.key", "x"),
        (".env", "A=1"),
        (".env.production", "A=1"),
        ("home/id_rsa", "x"),
        ("id_ed25519.pub", "x"),
    ],
)
def test_credential_guard_refuses_file_naming_it_when_not_listed(tmp_path, name, content):
    root = make_tree(tmp_path, {**TREE, name: content})
    with pytest.raises(CredentialFileError) as err:
        collect_context(root)
    assert name in str(err.value)
    assert "include_files" in str(err.value) and ".dockerignore" in str(err.value)
    assert err.value.files == [name]


def test_credential_guard_allows_file_when_listed_explicitly(tmp_path):
    root = make_tree(tmp_path, {**TREE, "sa.json": '{"private_key": "k"}'})
    assert "sa.json" in collect_context(root, include=["sa.json"]).paths


def test_credential_guard_ignores_file_when_dockerignore_leaves_it_out(tmp_path):
    root = make_tree(tmp_path, {**TREE, ".env": "A=1", ".dockerignore": ".env\n"})
    assert ".env" not in collect_context(root).paths


def test_plain_json_passes_guard_when_it_has_no_private_key(tmp_path):
    root = make_tree(tmp_path, {**TREE, "config.json": '{"lr": 0.1}'})
    assert "config.json" in collect_context(root).paths


def test_roots_limit_context_to_copied_paths_when_given(tmp_path):
    root = make_tree(tmp_path, {**TREE, ".env": "secret, but never copied"})
    context = collect_context(root, roots=["requirements.txt", "trainer"])
    assert context.paths == ["requirements.txt", "trainer/__init__.py", "trainer/task.py"]


def test_collect_raises_when_source_dir_missing(tmp_path):
    with pytest.raises(PackagingError, match="is not a directory"):
        collect_context(tmp_path / "nope")


def test_symlink_travels_as_link_when_in_context(tmp_path):
    root = make_tree(tmp_path, TREE)
    os.symlink("task.py", root / "trainer/main.py")
    context = collect_context(root)
    link = next(f for f in context.files if f.path == "trainer/main.py")
    assert link.link_target == "task.py"
    before = hash_context(context, DOCKERFILE, BASE)
    (root / "trainer/main.py").unlink()
    os.symlink("__init__.py", root / "trainer/main.py")
    assert digest(root) != before


def tar_bytes(root: Path) -> bytes:
    buffer = io.BytesIO()
    write_context_tar(collect_context(root), DOCKERFILE, buffer)
    return buffer.getvalue()


def test_tar_is_byte_identical_when_trees_differ_only_in_mtime_and_folder(tmp_path):
    a = make_tree(tmp_path / "a", TREE)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    for path in b.rglob("*"):
        os.utime(path, (5, 5))
    assert tar_bytes(a) == tar_bytes(b)


def test_tar_holds_exactly_the_context_with_fixed_metadata_when_written(tmp_path):
    root = make_tree(tmp_path, TREE)
    os.chmod(root / "trainer/task.py", 0o700)
    with tarfile.open(fileobj=io.BytesIO(tar_bytes(root))) as tar:
        members = {m.name: m for m in tar.getmembers()}
        ignore = tar.extractfile(".dockerignore")
        assert ignore is not None and DOCKERFILE_NAME in ignore.read().decode()
    files = {n for n, m in members.items() if m.isfile()} - {".dockerignore", DOCKERFILE_NAME}
    assert files == set(TREE)
    assert {n for n, m in members.items() if m.isdir()} == {"trainer", "data"}
    assert {m.mtime for m in members.values()} == {SOURCE_DATE_EPOCH}
    assert {(m.uid, m.gid) for m in members.values()} == {(0, 0)}
    assert members["trainer/task.py"].mode == 0o755
    assert members["requirements.txt"].mode == 0o644
