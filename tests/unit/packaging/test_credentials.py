"""The credential guard of a build context: names and content, one table (issue 13).

Every refused case must name the file and say how to include it on purpose
(``include_files=``); every passing case must go into the context untouched.
"""

from __future__ import annotations

import builtins
import os
import tracemalloc
from pathlib import Path

import pytest

from pulumi_vertex_training.packaging.context import (
    CredentialFileError,
    PackagingError,
    collect_context,
    hash_context,
)
from pulumi_vertex_training.packaging.sdist import resolve_source

TREE = {"trainer/__init__.py": b"", "trainer/task.py": b"print('train')\n"}

# Fake material, shaped like the real thing (never a real key).
PEM_BODY = b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
RSA_KEY = b"-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY + b"\n-----END RSA PRIVATE KEY-----\n"
PKCS8_KEY = b"-----BEGIN PRIVATE KEY-----\n" + PEM_BODY + b"\n-----END PRIVATE KEY-----\n"
OPENSSH_KEY = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + PEM_BODY + b"\n-----END OPENSSH PRIVATE KEY-----\n"
)
SERVICE_ACCOUNT = (
    b'{\n  "type": "service_account",\n  "project_id": "p",\n  "private_key_id": "0a1b",\n'
    b'  "private_key": "-----BEGIN PRIVATE KEY-----\\n' + PEM_BODY + b"\\n-----END PRIVATE "
    b'KEY-----\\n",\n  "client_email": "sa@p.iam.gserviceaccount.com"\n}\n'
)
AUTHORIZED_USER = (
    b'{"client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",'
    b' "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty", "refresh_token": "1//0gdQ5-fake-token",'
    b' "type": "authorized_user"}'
)
DOCKER_CONFIG = b'{"auths": {"us-docker.pkg.dev": {"auth": "b2F1dGgyYWNjZXNzdG9rZW46eHl6"}}}'
PKCS12 = bytes.fromhex("3082 0a4f 0201 0330 820a 1506 092a 8648 86f7 0d01 0701 a082") + b"\0" * 64

REFUSED = [
    ("deploy_key", RSA_KEY),
    ("conf/key.txt", PKCS8_KEY),
    ("keys/bastion", OPENSSH_KEY),
    ("credentials", SERVICE_ACCOUNT),
    ("backup/sa.json.bak", SERVICE_ACCOUNT),
    ("sa.json", b'{"type": "service_account", "private_key": "-----BEGIN"}'),
    ("application_default_credentials.json", AUTHORIZED_USER),
    ("conf/gcloud-user.json", AUTHORIZED_USER),
    (".docker/config.json", DOCKER_CONFIG),
    ("certs/client.p12", PKCS12),
    ("certs/client.pfx", PKCS12),
    ("certs/server.pem", b"x"),
    ("tls.key", b"x"),
    (".netrc", b"machine example.com login me password hunter2\n"),
    (".pypirc", b"[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcfake\n"),
    (".git-credentials", b"https://me:ghp_fake0123456789@github.com\n"),
    (".npmrc", b"//registry.npmjs.org/:_authToken=npm_fake0123456789\n"),
    (
        ".aws/credentials",
        b"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        b"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ),
    (
        "deploy/settings.sh",
        b"export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ),
    ("prod.env", b"DB_PASSWORD=hunter2\n"),
    (".envrc", b"export TOKEN=abc\n"),
    (".env", b"A=1\n"),
    (".env.production", b"A=1\n"),
    ("home/id_rsa", b"x"),
    ("id_ed25519.pub", b"x"),
]

PASSING = [
    ("README.md", b"Never commit a private key. Keep the private key in Secret Manager.\n"),
    ("docs/keys.md", b"A key file starts with -----BEGIN PRIVATE KEY----- and ends ...\n"),
    ("config.json", b'{"lr": 0.1, "optimizer": {"type": "adam"}, "private": true}\n'),
    ("trainer/db.py", b"password = os.environ['DB_PASSWORD']  # the password comes from env\n"),
    (".npmrc", b"registry=https://registry.npmjs.org/\n"),
    (".docker/config.json", b'{"credHelpers": {"us-docker.pkg.dev": "gcloud"}, "auths": {}}'),
    ("data/shard-000.bin", b"\0\1\2" + os.urandom(4096) + PKCS8_KEY),  # binary data
    ("keys.py", b"KEYS = ['a', 'b']\n"),
]


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_VERTEX_TRAINING_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=[name for name, _ in REFUSED])
def test_guard_refuses_credential_naming_file_and_include_files_when_not_listed(
    tmp_path: Path, name: str, content: bytes
) -> None:
    root = make_tree(tmp_path / "src", {**TREE, name: content})
    with pytest.raises(CredentialFileError) as err:
        collect_context(root)
    assert err.value.files == [name]
    message = str(err.value)
    assert name in message and "include_files=" in message


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=[name for name, _ in REFUSED])
def test_guard_lets_credential_through_when_named_in_include(
    tmp_path: Path, name: str, content: bytes
) -> None:
    root = make_tree(tmp_path / "src", {**TREE, name: content})
    assert name in collect_context(root, include=[name]).paths


@pytest.mark.parametrize(("name", "content"), PASSING, ids=[name for name, _ in PASSING])
def test_guard_passes_ordinary_file_when_content_only_mentions_secrets(
    tmp_path: Path, name: str, content: bytes
) -> None:
    root = make_tree(tmp_path / "src", {**TREE, name: content})
    assert name in collect_context(root).paths


def test_guard_lists_every_refused_file_at_once_when_several(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {**TREE, "deploy_key": RSA_KEY, ".netrc": b"machine x\n"})
    with pytest.raises(CredentialFileError) as err:
        collect_context(root)
    assert err.value.files == [".netrc", "deploy_key"]


def test_guard_finds_key_when_it_straddles_read_chunks(tmp_path: Path) -> None:
    # The armour starts a few bytes before a 1 MiB boundary: the scan must see across it.
    text = b"x" * ((1 << 20) - 10) + PKCS8_KEY
    root = make_tree(tmp_path / "src", {**TREE, "weights/notes.txt": text})
    with pytest.raises(CredentialFileError, match=r"weights/notes\.txt"):
        collect_context(root)


def test_large_json_is_scanned_in_bounded_memory_when_hashed(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", TREE)
    size = 48 << 20
    with open(root / "big.json", "wb") as fh:
        fh.write(b'{"rows": "')
        block = b"abcdefghij" * 10_000
        for _ in range(size // len(block)):
            fh.write(block)
        fh.write(b'"}\n')
    tracemalloc.start()
    try:
        context = collect_context(root)
        hash_context(context, "FROM x\n", "x")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "big.json" in context.paths
    assert peak < 8 << 20, f"peak {peak / 1e6:.1f} MB while hashing a {size >> 20} MB file"


def test_unreadable_directory_is_an_error_naming_it_when_in_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "src", {**TREE, "trainer/private/x.py": b"x = 1\n"})
    locked = str(root / "trainer" / "private")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if os.fspath(path) == locked:  # what a mode-000 directory does to anyone but root
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(PackagingError, match=r"trainer/private") as err:
        collect_context(root)
    assert "Permission denied" in str(err.value)


def test_unreadable_directory_is_no_error_when_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(
        tmp_path / "src",
        {**TREE, "trainer/private/x.py": b"", ".dockerignore": b"trainer/private\n"},
    )
    locked = str(root / "trainer" / "private")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    assert collect_context(root).paths == sorted(TREE)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file")
def test_unreadable_file_is_an_error_naming_it_when_in_context(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {**TREE, "trainer/secret.py": b"x = 1\n"})
    os.chmod(root / "trainer/secret.py", 0)
    with pytest.raises(PackagingError, match=r"trainer/secret\.py"):
        collect_context(root)


def test_unreadable_file_is_an_error_naming_it_when_open_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same as the mode-000 test above, for a run as root (root reads anything).
    root = make_tree(tmp_path / "src", {**TREE, "trainer/secret.py": b"x = 1\n"})
    locked = str(root / "trainer" / "secret.py")
    real_open = builtins.open

    def fake_open(file: object, *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", fake_open)
    with pytest.raises(PackagingError, match=r"trainer/secret\.py"):
        collect_context(root)


def test_python_package_source_is_guarded_by_content_when_a_folder(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"task.py": b"print(1)\n", "conf/key.txt": PKCS8_KEY})
    with pytest.raises(CredentialFileError, match=r"conf/key\.txt"):
        resolve_source(root, script="task.py")


def test_python_package_source_is_guarded_by_content_when_a_single_script(
    tmp_path: Path,
) -> None:
    script = tmp_path / "task.py"
    script.write_bytes(b'KEY = """' + PKCS8_KEY + b'"""\n')
    with pytest.raises(CredentialFileError, match=r"task\.py"):
        resolve_source(script)
