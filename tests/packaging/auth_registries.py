"""Registries that enforce authentication, on free loopback ports, for a test session.

- ``basic``: Debian's ``docker-registry`` with ``auth: htpasswd`` (bcrypt only): it takes
  user ``oauth2accesstoken`` with :attr:`AuthRegistries.token` as the password.
- ``bearer``: the same registry with ``auth: token``: it answers ``401 WWW-Authenticate:
  Bearer realm=...,service=...,scope=...`` as ``*-docker.pkg.dev`` does, and the client
  (the Docker engine, or our own HTTP calls) gets a JWT from :class:`TokenService`, a
  loopback token service that takes the same Basic credentials.
- :class:`FakeOAuth`: a loopback OAuth2 token endpoint issuing :attr:`AuthRegistries.token`
  (or whatever a test puts in ``issue``), for Application Default Credentials whose
  ``token_uri`` points at it (the ``google_adc`` fixture): google-auth refreshes for
  real, over plain HTTP.

The fixtures ``auth_registries`` (session) and ``google_adc`` are imported, as
``auth_registries_fixture`` and ``google_adc_fixture``, by the test modules that use them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pulumi_vertex_training.packaging.registry_auth import GOOGLE_REGISTRIES_ENV, GOOGLE_USER

ISSUER = "vt-test-token-issuer"
SERVICE = "vt-test-registry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def access_token(prefix: str = "ya29.") -> str:
    """A token shaped like Google's (over 72 bytes: bcrypt checks only the first 72, so
    tokens differ at the start)."""
    return prefix + secrets.token_urlsafe(150)


class _Server:
    """A ThreadingHTTPServer on a free loopback port, run in a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _send_json(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class FakeOAuth(_Server):
    """``POST /token`` (OAuth2 form): answers ``{"access_token": issue(), ...}``.

    Takes the JWT-bearer grant a ``service_account`` ADC file makes (the assertion is not
    verified) and the refresh-token grant; ``requests`` records each grant type.
    """

    def __init__(self, token: str) -> None:
        self.issue: Callable[[], str] = lambda: token
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(size).decode()))
                grant = form.get("grant_type", "")
                outer.requests.append(grant)
                if self.path != "/token" or not grant:
                    _send_json(self, 400, {"error": "invalid_grant"})
                    return
                body = {"access_token": outer.issue(), "expires_in": 3600, "token_type": "Bearer"}
                _send_json(self, 200, body)

        super().__init__(Handler)
        self.token_uri = f"http://127.0.0.1:{self.port}/token"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(public_key: Any) -> str:
    """The key id distribution 2.8 matches a JWT's ``kid`` against (libtrust's format)."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, len(b32), 4))


class TokenService(_Server):
    """Docker's token authentication (``GET /token?service=&scope=`` with Basic auth),
    as Artifact Registry's token service answers it: an ES256 JWT (signed with
    ``cryptography`` alone) granting ``actions`` of what ``scope`` asks.

    ``accept(user, password)`` decides; ``requests`` records (user, service, scopes).
    """

    def __init__(self, accept: Callable[[str, str], bool]) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.accept = accept
        self.actions = {"pull", "push"}
        self.requests: list[tuple[str, str, list[str]]] = []
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vt test token signer")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                header = self.headers.get("Authorization") or ""
                user, password = "", ""
                if header.lower().startswith("basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                scopes = [s for scope in query.get("scope", []) for s in scope.split(" ") if s]
                service = query.get("service", [""])[0]
                outer.requests.append((user, service, scopes))
                if url.path != "/token" or not outer.accept(user, password):
                    # Always a JSON body: the engine shows "code: message" from it.
                    errors = [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]
                    _send_json(self, 401, {"errors": errors})
                    return
                token = outer.jwt(user, service, scopes)
                _send_json(self, 200, {"token": token, "access_token": token, "expires_in": 300})

        super().__init__(Handler)
        self.realm = f"http://127.0.0.1:{self.port}/token"

    def jwt(self, user: str, service: str, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        access = []
        for scope in scopes:  # repository:NAME:pull,push
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            granted = [a for a in actions.split(",") if a in self.actions]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": SERVICE,  # a string: distribution 2.8 refuses a list
            "exp": now + 300,
            "nbf": now - 1,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        header = {"typ": "JWT", "alg": "ES256", "kid": libtrust_kid(self.key.public_key())}
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        r, s = decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def start_registry(workdir: Path, auth: str) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``docker-registry serve`` on a free loopback port with ``auth`` (a YAML block);
    returns the process and ``127.0.0.1:PORT`` once ``/v2/`` answers."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("docker-registry is not installed; scripts/services.sh installs it")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {workdir / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n{auth}"
    )
    log = (workdir / "registry.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    log.close()
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
            break
        except urllib.error.HTTPError:  # 401: up, and asking for credentials
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_process(process)
                raise RuntimeError((workdir / "registry.log").read_text()[-2000:]) from None
            time.sleep(0.05)
    return process, f"127.0.0.1:{port}"


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class AuthRegistries:
    """The session's registries that enforce auth, and the token they take."""

    token: str
    """The access token the registries take (and FakeOAuth issues by default)."""
    basic: str
    """``127.0.0.1:PORT`` of the htpasswd registry."""
    bearer: str
    """``127.0.0.1:PORT`` of the token-auth registry."""
    oauth: FakeOAuth
    tokens: TokenService
    service_account: dict[str, str] = field(repr=False)
    """A service-account key (its ``token_uri`` is FakeOAuth) for ADC files."""

    def reset(self) -> None:
        self.oauth.issue = lambda: self.token
        self.oauth.requests.clear()
        self.tokens.actions = {"pull", "push"}
        self.tokens.requests.clear()


def _service_account(token_uri: str) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "registry-auth-test",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": "pusher@registry-auth-test.iam.gserviceaccount.com",
        "client_id": "112233445566778899001",
        "token_uri": token_uri,
    }


@pytest.fixture(scope="session", name="auth_registries")
def auth_registries_fixture(
    docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthRegistries]:
    """An htpasswd registry and a token-auth registry with its token service, and the
    OAuth endpoint issuing the token both take; all stopped at the end of the session."""
    import bcrypt

    root = tmp_path_factory.mktemp("auth-registries")
    token = access_token()
    oauth = FakeOAuth(token)
    tokens = TokenService(  # Artifact Registry takes docker-credential-gcloud's user too
        lambda user, password: (
            user in (GOOGLE_USER, "_dcgcloud_token") and secrets.compare_digest(password, token)
        )
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        htpasswd = root / "htpasswd"  # cost 4: the registry checks it on every request
        hashed = bcrypt.hashpw(token.encode()[:72], bcrypt.gensalt(4)).decode()
        htpasswd.write_text(f"{GOOGLE_USER}:{hashed}\n")
        basic_process, basic = start_registry(
            root / "basic", f"auth:\n  htpasswd:\n    realm: vt-test\n    path: {htpasswd}\n"
        )
        processes.append(basic_process)
        (root / "signer.pem").write_bytes(tokens.cert_pem)
        bearer_process, bearer = start_registry(
            root / "bearer",
            f"auth:\n  token:\n    realm: {tokens.realm}\n    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n    rootcertbundle: {root / 'signer.pem'}\n",
        )
        processes.append(bearer_process)
        yield AuthRegistries(token, basic, bearer, oauth, tokens, _service_account(oauth.token_uri))
    finally:
        for process in processes:
            stop_process(process)
        tokens.stop()
        oauth.stop()


@pytest.fixture(name="google_adc")
def google_adc_fixture(
    auth_registries: AuthRegistries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AuthRegistries:
    """Application Default Credentials whose token endpoint is the loopback FakeOAuth, and
    both auth registries named in ``PULUMI_VERTEX_TRAINING_GOOGLE_REGISTRIES``.

    The ADC file is a ``service_account`` key: google-auth honours its ``token_uri``. An
    ``authorized_user`` file (what ``gcloud auth application-default login`` writes)
    would not do: google-auth ignores its ``token_uri`` and always posts to
    oauth2.googleapis.com (``from_authorized_user_info`` in
    https://github.com/googleapis/google-auth-library-python/blob/main/google/oauth2/credentials.py).
    Docker's config is an empty folder, so no helper of the machine's takes part.
    """
    auth_registries.reset()
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps(auth_registries.service_account))
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # never ~/.config/gcloud
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    monkeypatch.setenv(GOOGLE_REGISTRIES_ENV, f"{auth_registries.basic},{auth_registries.bearer}")
    return auth_registries


def write_helper(bindir: Path, name: str, script: str) -> Path:
    """A fake ``docker-credential-<name>`` (a shell script) in ``bindir``."""
    bindir.mkdir(parents=True, exist_ok=True)
    helper = bindir / f"docker-credential-{name}"
    helper.write_text("#!/bin/sh\n" + script)
    helper.chmod(0o755)
    return helper


def answering_helper(log: Path, user: str, secret: str) -> str:
    """A helper script that logs the server it is asked about and answers user/secret."""
    answer = json.dumps({"Username": user, "Secret": secret})
    return (
        f'[ "$1" = get ] || exit 0\nread -r server; echo "$server" >> "{log}"\necho \'{answer}\'\n'
    )


def write_docker_config(**config: Any) -> None:
    """Write ``$DOCKER_CONFIG/config.json`` (the folder ``google_adc`` set)."""
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.write_text(json.dumps(config))
