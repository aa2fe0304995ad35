"""Drive a dynamic provider through the Pulumi SDK's own provider host, over gRPC.

``python -m pulumi.dynamic`` is what the Pulumi CLI starts for dynamic
resources in production. ``DynamicHost`` starts it the same way (a fresh
process: the provider must unpickle there) and speaks the ResourceProvider
protocol to it, with properties encoded as the engine encodes them (numbers as
doubles, unknowns as the sentinel string) and secrets handled as the engine handles
them: sent wrapped only if the host accepted secrets at Configure (the SDK's host
does not, so they go plain), and copied back by property name onto what Check,
Create, Update and Read return (``testing.wire.annotate_secrets``).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import grpc
from pulumi.dynamic import CheckResult, DiffResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_vertex_training.testing.wire import annotate_secrets, from_struct, plain

PROVIDER_KEY = "__provider"
URN = "urn:pulumi:dev::project::pulumi-python:dynamic/vertex:Resource::r"


def encode(props: dict[str, Any], keep_secrets: bool = True) -> Any:
    """A property dict as the google.protobuf.Struct the engine sends: secret wrappers
    (``rpc.wrap_rpc_secret``) as the secret signature, or stripped unless ``keep_secrets``
    (what the engine does for a provider that did not accept secrets)."""
    return asyncio.run(rpc.serialize_properties(props if keep_secrets else plain(props), {}))


def decode(struct: Any) -> dict[str, Any]:
    """A Struct from the host as a dict (unknowns kept as ``Unknown``, secret wrappers
    where they are)."""
    return from_struct(struct)


@dataclass(frozen=True)
class DiffResponse:
    """The host's answer to Diff: ``changes`` is 'some', 'none' or 'unknown'."""

    changes: str
    replaces: list[str]
    delete_before_replace: bool


class DynamicHost:
    """A running ``python -m pulumi.dynamic`` process and a stub talking to it.

    Example:
        >>> with DynamicHost(config={"gcp:project": "p"}) as host:  # doctest: +SKIP
        ...     provider = host.serialize(CustomJobProvider())
        ...     inputs, failures = host.check({}, {**props, "__provider": provider})
        ...     job_id, outputs = host.create(inputs)

    Args:
        config: stack config sent with Configure (namespaced keys).
        project: the Pulumi project name (``PULUMI_PROJECT``).
        env: extra environment for the host process (e.g. VERTEX_AI_EMULATOR_HOST).
    """

    def __init__(
        self,
        config: dict[str, str] | None = None,
        project: str = "project",
        env: dict[str, str] | None = None,
    ) -> None:
        self.config = dict(config or {})
        self.project = project
        self.env = {
            **os.environ,
            "PULUMI_PROJECT": project,
            "PULUMI_CONFIG": json.dumps(self.config),
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.stub: Any = None
        self._channel: grpc.Channel | None = None
        self.accept_secrets = False
        """What the host answered at Configure (the SDK's host: False)."""

    def start(self) -> DynamicHost:
        """Start the host and Configure it, as the engine does first."""
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            env=self.env,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().strip())
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        response = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                args=encode(self.config), acceptSecrets=True, acceptResources=True
            )
        )
        self.accept_secrets = bool(response.acceptSecrets)
        return self

    def _encode(self, props: dict[str, Any]) -> Any:
        return encode(props, keep_secrets=self.accept_secrets)

    def _returned(self, struct: Any, *sent: dict[str, Any]) -> dict[str, Any]:
        """What the host returned, with secrecy copied from ``sent`` as the engine does."""
        props = decode(struct)
        if not self.accept_secrets:
            for ins in sent:
                props = annotate_secrets(props, ins)
        return props

    def stop(self) -> None:
        """Stop the host process."""
        if self._channel is not None:
            self._channel.close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> DynamicHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def serialize(provider: Any) -> str:
        """The ``__provider`` string, exactly as ``pulumi.dynamic.Resource`` makes it."""
        return str(serialize_provider(provider))

    def check(
        self, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Check: (checked inputs incl. ``__provider``, failures as (property, reason))."""
        response = self.stub.Check(
            provider_pb2.CheckRequest(urn=URN, olds=self._encode(olds), news=self._encode(news))
        )
        failures = [(f.property, f.reason) for f in response.failures]
        return self._returned(response.inputs, news), failures

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResponse:
        """Diff old outputs against new checked inputs."""
        response = self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_, urn=URN, olds=self._encode(olds), news=self._encode(news)
            )
        )
        changes = {0: "unknown", 1: "none", 2: "some"}[response.changes]
        return DiffResponse(changes, list(response.replaces), response.deleteBeforeReplace)

    def create(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create: (id, outputs incl. ``__provider``)."""
        response = self.stub.Create(
            provider_pb2.CreateRequest(urn=URN, properties=self._encode(inputs))
        )
        return response.id, self._returned(response.properties, inputs)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Read: (id, outputs); an empty id means the resource is gone."""
        response = self.stub.Read(
            provider_pb2.ReadRequest(id=id_, urn=URN, properties=self._encode(props))
        )
        return response.id, self._returned(response.properties, props)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """Update: the new outputs."""
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_, urn=URN, olds=self._encode(olds), news=self._encode(news)
            )
        )
        return self._returned(response.properties, news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the resource."""
        self.stub.Delete(
            provider_pb2.DeleteRequest(id=id_, urn=URN, properties=self._encode(props))
        )


class EchoProvider(ResourceProvider):
    """A trivial provider: check and diff echo, no API calls. A benchmark baseline
    that lives in an importable module, as a provider must to load in the host."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Accept the inputs as they are."""
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Report no change."""
        return DiffResult(changes=False)
