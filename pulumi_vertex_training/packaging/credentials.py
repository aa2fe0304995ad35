"""Which files of a build context look like credentials: by name, and by content.

A key under an innocent name (``deploy_key``, ``conf/key.txt``, a service
account JSON saved as ``credentials``) is as dangerous in an image as one
called ``key.pem``: anyone who can pull the image can read it. So the guard
looks at both:

* **names** (:func:`name_reason`): key and key-store files (``*.pem``,
  ``*.key``, ``*.p12``, ``*.pfx``, ...), SSH keys, environment files
  (``.env``, ``.env.*``, ``*.env``, ``.envrc``), ``.netrc``, ``.pypirc``,
  ``.git-credentials``, ``.pgpass``, ``.aws/credentials`` and
  ``application_default_credentials.json``;
* **content** (:class:`ContentScanner`), fed the chunks the hasher reads, so
  each file is read once and never whole: PEM private keys (any armour: RSA,
  EC, OpenSSH, PKCS#8, encrypted, PGP), JSON members ``"private_key"``,
  ``"client_secret"`` and ``"refresh_token"`` (service-account and
  authorized-user credentials, OAuth clients), Docker ``"auths"`` with an
  ``auth``/``identitytoken``, AWS secret access keys, and tokens in ``.npmrc``.

Content rules look for the secret itself, not for words about it: a README that
says "private key" or a ``.py`` file with ``password = os.environ[...]`` passes.
Binary files (a NUL byte in the first 8000 bytes, git's test) are not scanned:
weights and data shards cannot hold a text credential file, and scanning them
would cost as much as hashing them. Every rule is a row of one table below.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass

RULES_VERSION = "1"
"""Bump when a rule changes: verdicts cached under other rules are then recomputed."""

_BINARY_PROBE = 8000  # bytes git looks at to call a file binary
_OVERLAP = 4096  # every content match is shorter: a match cut by a chunk border is seen whole

_NAME_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("*.pem", "*.key"), "a key or certificate file"),
    (("*.p12", "*.pfx"), "a PKCS#12 key store"),
    (("*.jks", "*.keystore"), "a Java key store"),
    (("*.ppk",), "a PuTTY private key"),
    (("id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*"), "an SSH key"),
    ((".env", ".env.*", "*.env", ".envrc"), "an environment file"),
    ((".netrc", "_netrc"), "a netrc file (logins and passwords)"),
    ((".pypirc",), "a PyPI configuration (upload credentials)"),
    ((".git-credentials",), "a Git credential store"),
    ((".pgpass",), "a PostgreSQL password file"),
    (("application_default_credentials.json",), "Google application default credentials"),
)
_PATH_RULES: tuple[tuple[str, str], ...] = ((".aws/credentials", "AWS credentials"),)


@dataclass(frozen=True)
class _ContentRule:
    needle: bytes  # cheap bytes.find() before the regex; the regex starts with it
    pattern: re.Pattern[bytes]
    reason: str
    names: frozenset[str] | None = None  # only files with these base names


_JSON_STRING = rb'\s{0,16}:\s{0,16}"[^"\s]{6,}"'
_CONTENT_RULES: tuple[_ContentRule, ...] = (
    _ContentRule(
        b"-----BEGIN ",
        re.compile(
            rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
            rb"[\s\S]{0,300}?[A-Za-z0-9+/]{32}"
        ),
        "a PEM private key",
    ),
    _ContentRule(
        b'"private_key"',
        re.compile(rb'"private_key"\s{0,16}:\s{0,16}"'),
        'a JSON "private_key" (service account credentials)',
    ),
    _ContentRule(
        b'"client_secret"',
        re.compile(rb'"client_secret"' + _JSON_STRING),
        'a JSON "client_secret" (OAuth client or authorized-user credentials)',
    ),
    _ContentRule(
        b'"refresh_token"',
        re.compile(rb'"refresh_token"' + _JSON_STRING),
        'a JSON "refresh_token" (authorized-user credentials)',
    ),
    _ContentRule(
        b'"auths"',
        re.compile(
            rb'"auths"\s{0,16}:\s{0,16}\{[\s\S]{0,2048}?"(?:auth|identitytoken)"'
            rb'\s{0,16}:\s{0,16}"[^"\s]{4,}"'
        ),
        "Docker registry credentials (auths)",
    ),
    _ContentRule(
        b"aws_secret_access_key",
        re.compile(rb"aws_secret_access_key\s{0,16}[=:]\s{0,16}[\"']?[A-Za-z0-9/+]{40}"),
        "an AWS secret access key",
    ),
    _ContentRule(
        b"AWS_SECRET_ACCESS_KEY",
        re.compile(rb"AWS_SECRET_ACCESS_KEY\s{0,16}[=:]\s{0,16}[\"']?[A-Za-z0-9/+]{40}"),
        "an AWS secret access key",
    ),
    _ContentRule(
        b"_auth",
        re.compile(rb"_auth(?:Token)?\s{0,16}=\s{0,16}[^\s#;]"),
        "an npm registry token",
        frozenset({".npmrc"}),
    ),
    _ContentRule(
        b"_password",
        re.compile(rb"_password\s{0,16}=\s{0,16}[^\s#;]"),
        "an npm registry password",
        frozenset({".npmrc"}),
    ),
)


_ANY_NAME = re.compile("|".join(fnmatch.translate(p) for ps, _ in _NAME_RULES for p in ps))


def name_reason(path: str) -> str | None:
    """Why ``path`` (relative, POSIX) looks like a credential file by its name, or None.

    >>> name_reason("certs/server.pem")
    'a key or certificate file'
    >>> name_reason("trainer/task.py") is None
    True
    """
    name = path.rpartition("/")[2].lower()
    if _ANY_NAME.match(name):  # one regex for the common case: no rule matches
        for patterns, reason in _NAME_RULES:
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                return reason
    lowered = path.lower()
    for suffix, reason in _PATH_RULES:
        if lowered == suffix or lowered.endswith("/" + suffix):
            return reason
    return None


class ContentScanner:
    """Looks for credentials in a file's bytes as they stream past, in bounded memory.

    Feed it every chunk the hasher reads, in order; :attr:`verdict` is then the
    reason the content looks like a credential, or None. It keeps only the last
    few KiB between chunks, so a key cut by a chunk border is still found.

    Example:
        >>> scanner = ContentScanner("conf/key.txt")
        >>> scanner.feed(b"-----BEGIN PRIVATE KEY-----\\n" + b"A" * 64)
        >>> scanner.verdict
        'a PEM private key'
    """

    def __init__(self, path: str) -> None:
        name = posixpath.basename(path).lower()
        self._rules = [r for r in _CONTENT_RULES if r.names is None or name in r.names]
        self._carry = b""
        self._started = False
        self._binary = False
        self.verdict: str | None = None

    @property
    def done(self) -> bool:
        """True when more bytes cannot change the verdict (found, or a binary file)."""
        return self._binary or self.verdict is not None

    def feed(self, chunk: bytes) -> None:
        """Scan the next ``chunk`` of the file."""
        if self.done or not chunk:
            return
        if not self._started:
            self._started = True
            if b"\0" in chunk[:_BINARY_PROBE]:
                self._binary = True
                return
        buffer = self._carry + chunk if self._carry else chunk
        for rule in self._rules:
            at = buffer.find(rule.needle)
            while at != -1:
                if rule.pattern.match(buffer, at):
                    self.verdict = rule.reason
                    return
                at = buffer.find(rule.needle, at + 1)
        self._carry = buffer[-_OVERLAP:]
