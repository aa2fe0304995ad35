"""An in-process stand-in for the Pulumi engine, for dynamic providers.

It runs a Pulumi program under ``pulumi.runtime.set_mocks`` and, for every
dynamic resource the program registers, does what the engine would: unpickle
the provider from ``__provider`` as the dynamic-provider host does, call
``check``, then ``diff`` against the saved state, then ``create`` / ``update`` /
replace, and keep the outputs as state between runs. Resources of other
providers (pulumi-gcp, ...) cannot run here: a ``mock_resource`` callback gives
their id and outputs. The engine's rules it follows (check before diff, unknown
values at preview, replacement order as ``delete_before_replace`` asks, secrets
stripped before a provider sees them and copied back onto what it returns) are in
``Engine``'s methods. State keeps secrets marked where they are, as the CLI's state
does (``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"value": ...}``), but not encrypted.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime._serialization import _deserialize
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import massage, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from pulumi_vertex_training.testing.wire import (
    annotate_secrets,
    from_struct,
    has_secret,
    plain,
    round_trip,
    to_wire,
)

PROVIDER_KEY = "__provider"
DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"

log = logging.getLogger("pulumi_vertex_training.testing")


class CheckFailed(Exception):
    """A resource's check() refused its inputs, as ``pulumi preview`` would.

    Deliberately not a ValueError: the SDK re-wraps ValueErrors raised while
    registering dependents, which would hide the message.
    """

    def __init__(self, resource: str, failures: list[tuple[str, str]]) -> None:
        self.resource = resource
        self.failures = failures
        lines = "\n".join(f"  {prop}: {reason}" for prop, reason in failures)
        super().__init__(f"{resource}: check failed:\n{lines}")


@dataclass(frozen=True)
class Step:
    """One thing the engine did to one resource: ``op`` is create, same,
    update, replace, delete, read, refresh or refresh-deleted."""

    op: str
    type: str
    name: str

    @property
    def key(self) -> str:
        """``type::name``, the key of the resource in the state."""
        return f"{self.type}::{self.name}"


MockResource = Callable[[pulumi_mocks.MockResourceArgs], tuple[str, dict[str, Any]]]
MockCall = Callable[[pulumi_mocks.MockCallArgs], dict[str, Any]]
"""Result of an invoke (``gcp.organizations.get_project``, ...) by its ``token`` and ``args``."""


def default_mock_resource(args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
    """For a non-dynamic resource: id ``<name>-id`` and its inputs as outputs."""
    return f"{args.name}-id", dict(args.inputs)


@dataclass
class _Run:
    dry_run: bool
    steps: list[Step] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    replaced: list[dict[str, Any]] = field(default_factory=list)


class Engine(pulumi_mocks.Mocks):
    """Runs programs against saved state; see ``ProgramRunner`` for the public face."""

    def __init__(
        self,
        state: dict[str, Any] | None = None,
        *,
        config: dict[str, str] | None = None,
        project: str = "project",
        stack: str = "dev",
        mock_resource: MockResource | None = None,
        mock_call: MockCall | None = None,
    ) -> None:
        self.state: dict[str, Any] = state if state is not None else {}
        self.state.setdefault("resources", {})
        self.state.setdefault("outputs", {})
        self.config = dict(config or {})
        self.project = project
        self.stack = stack
        self.mock_resource = mock_resource or default_mock_resource
        self.mock_call = mock_call
        self._lock = threading.RLock()
        self._providers: dict[str, ResourceProvider] = {}
        self._run = _Run(dry_run=True)

    # -- providers -----------------------------------------------------------

    def provider(self, props: dict[str, Any]) -> ResourceProvider:
        """Unpickle and configure a provider exactly as ``python -m pulumi.dynamic`` does."""
        pickled = props[PROVIDER_KEY]
        with self._lock:
            provider = self._providers.get(pickled)
            if provider is None:
                provider = _deserialize(lambda: dill.loads(base64.b64decode(pickled)))
                provider.configure(ConfigureRequest(Config(self.config, self.project)))
                self._providers[pickled] = provider
            return provider

    # -- pulumi.runtime.mocks.Mocks -------------------------------------------

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        # No failures is an empty list: the mock monitor iterates it.
        return (self.mock_call(args) if self.mock_call else {}), []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        # Only reached through ReadResource/RegisterResource of our monitor.
        raise NotImplementedError

    def register(
        self, typ: str, name: str, inputs: dict[str, Any], custom: bool, import_id: str
    ) -> tuple[str, dict[str, Any]]:
        """Handle one RegisterResource: the engine's step for this resource."""
        key = f"{typ}::{name}"
        with self._lock:
            self._run.seen.add(key)
            old = self.state["resources"].get(key)
        if not typ.startswith(DYNAMIC_TYPE_PREFIX):
            return self._register_plain(key, typ, name, inputs, custom, old)
        return self._register_dynamic(key, typ, name, inputs, old)

    def read(self, typ: str, name: str, resource_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Handle ``Resource.get(name, id)``: read the live resource; never managed."""
        key = f"{typ}::{name}"
        props = plain(inputs)
        result = self.provider(props).read(resource_id, dict(props))
        if not result.id:
            raise LookupError(f"{key}: resource {resource_id!r} does not exist")
        outs = {**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]}
        outs = round_trip(annotate_secrets(outs, inputs))
        with self._lock:
            self._run.seen.add(key)
            self._run.steps.append(Step("read", typ, name))
        return outs

    def _register_plain(
        self,
        key: str,
        typ: str,
        name: str,
        inputs: dict[str, Any],
        custom: bool,
        old: dict[str, Any] | None,
    ) -> tuple[str, dict[str, Any]]:
        if custom:
            resource_id, outs = self.mock_resource(
                pulumi_mocks.MockResourceArgs(typ, name, inputs, custom=True)
            )
        else:  # a component: the engine keeps only its registered outputs
            resource_id, outs = "", dict(inputs)
        new_inputs = round_trip(inputs)
        if old is None:
            op = "create"
        elif plain(old["inputs"]) != plain(new_inputs):
            op = "update"
        else:
            op = "same"
        with self._lock:
            self._run.steps.append(Step(op, typ, name))
            if not self._run.dry_run:
                self.state["resources"][key] = {
                    "type": typ,
                    "name": name,
                    "custom": custom,
                    "id": resource_id,
                    "inputs": new_inputs,
                    "outputs": round_trip(annotate_secrets(outs, inputs)),
                }
        return resource_id, outs

    def _register_dynamic(
        self, key: str, typ: str, name: str, inputs: dict[str, Any], old: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any]]:
        dry_run = self._run.dry_run
        # The provider sees plain values (the SDK's host does not accept secrets); what it
        # returns is marked secret by property name from what went in, as the engine does.
        news = plain(inputs)
        provider = self.provider(news)
        checked = provider.check(plain(old["inputs"]) if old else {}, dict(news))
        if checked.failures:
            raise CheckFailed(key, [(f.property, f.reason) for f in checked.failures])
        checked_inputs = round_trip(
            annotate_secrets({**(checked.inputs or {}), PROVIDER_KEY: news[PROVIDER_KEY]}, inputs)
        )

        def done(op: str, resource_id: str, outs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            outs = round_trip(outs)
            with self._lock:
                self._run.steps.append(Step(op, typ, name))
                if not dry_run:
                    self.state["resources"][key] = {
                        "type": typ,
                        "name": name,
                        "custom": True,
                        "id": resource_id,
                        "inputs": checked_inputs,
                        "outputs": outs,
                        "secret_outputs": sorted(
                            k for k, v in outs.items() if k != PROVIDER_KEY and has_secret(v)
                        ),
                    }
            return resource_id, to_wire(outs)

        def provider_outs(result: Any) -> dict[str, Any]:
            outs = {**(result.outs or {}), PROVIDER_KEY: news[PROVIDER_KEY]}
            return annotate_secrets(outs, checked_inputs)

        if old is None:
            if dry_run:
                return done("create", "", checked_inputs)
            created = provider.create(plain(checked_inputs))
            return done("create", created.id, provider_outs(created))

        diff = provider.diff(old["id"], plain(old["outputs"]), plain(checked_inputs))
        changed = (
            diff.changes
            if diff.changes is not None
            else plain(old["inputs"]) != plain(checked_inputs)
        )
        if not changed:
            return done("same", old["id"], old["outputs"])
        if diff.replaces:
            if dry_run:
                return done("replace", "", checked_inputs)
            if diff.delete_before_replace:
                self._delete(old)
            created = provider.create(plain(checked_inputs))
            if not diff.delete_before_replace:
                # create-before-delete: the old one goes at the end of the run, and only
                # once its replacement exists (a failed create leaves it in place)
                with self._lock:
                    self._run.replaced.append(old)
            return done("replace", created.id, provider_outs(created))
        if dry_run:
            return done("update", old["id"], checked_inputs)
        updated = provider.update(old["id"], plain(old["outputs"]), plain(checked_inputs))
        return done("update", old["id"], provider_outs(updated))

    def _delete(self, resource: dict[str, Any]) -> None:
        if resource.get("custom") and resource["type"].startswith(DYNAMIC_TYPE_PREFIX):
            outputs = plain(resource["outputs"])
            self.provider(outputs).delete(resource["id"], outputs)

    # -- runs ----------------------------------------------------------------

    def run(
        self, program: Callable[[], Any], *, dry_run: bool
    ) -> tuple[dict[str, Any], list[Step]]:
        """Run the program once (preview when ``dry_run``); returns (stack outputs, steps)."""
        # set_mocks installs a mock engine and monitor process-wide; put back what was
        # there, so that providers called directly afterwards log as without an engine.
        engine, monitor = pulumi_settings.SETTINGS.engine, pulumi_settings.SETTINGS.monitor
        try:
            return self._run_program(program, dry_run=dry_run)
        finally:
            pulumi_settings.SETTINGS.engine = engine
            pulumi_settings.SETTINGS.monitor = monitor

    def _run_program(
        self, program: Callable[[], Any], *, dry_run: bool
    ) -> tuple[dict[str, Any], list[Step]]:
        self._run = _Run(dry_run=dry_run)
        pulumi.runtime.set_all_config(dict(self.config))
        pulumi_settings.ROOT.set(None)
        pulumi_settings.SETTINGS.outputs.clear()
        loop = asyncio.new_event_loop()
        # After a failed registration every dependent's future carries the same
        # error; the run raises it once, so asyncio's "never retrieved" report
        # of the copies is noise.
        loop.set_exception_handler(lambda _loop, context: log.debug("%s", context.get("message")))
        asyncio.set_event_loop(loop)
        pulumi_mocks.set_mocks(
            self,
            project=self.project,
            stack=self.stack,
            preview=dry_run,
            monitor=_Monitor(self),
            logger=log,
        )
        stack = pulumi_settings.get_root_resource()
        try:
            _sync_await(run_pulumi_func(program))
        except BaseException:
            # The engine lets registrations in flight finish before it stops.
            manager = pulumi_settings.SETTINGS.rpc_manager
            while manager.rpcs:
                try:
                    _sync_await(manager.rpcs.pop())
                except Exception:  # already reported through the first error
                    pass
            raise
        finally:
            for old in self._run.replaced:
                self._run.steps.append(Step("delete-replaced", old["type"], old["name"]))
                self._delete(old)
        # pulumi.export() lands on the Stack's outputs, which set_mocks already
        # finished with: serialize them ourselves, as Stack._finish would.
        exported = getattr(stack, "outputs", {})
        outputs = from_struct(_sync_await(rpc.serialize_properties(massage(exported, []), {})))
        stale = [k for k in reversed(list(self.state["resources"])) if k not in self._run.seen]
        for key in stale:
            resource = self.state["resources"][key]
            self._run.steps.append(Step("delete", resource["type"], resource["name"]))
            if not dry_run:
                self._delete(resource)
                del self.state["resources"][key]
        if not dry_run:
            self.state["outputs"] = to_wire(dict(outputs))
        return dict(outputs), list(self._run.steps)

    def refresh(self) -> list[Step]:
        """Read every dynamic resource's live state, as ``pulumi refresh`` does."""
        steps: list[Step] = []
        for key, resource in list(self.state["resources"].items()):
            if not resource["type"].startswith(DYNAMIC_TYPE_PREFIX):
                continue
            outputs = plain(resource["outputs"])
            result = self.provider(outputs).read(resource["id"], outputs)
            if not result.id:
                del self.state["resources"][key]
                steps.append(Step("refresh-deleted", resource["type"], resource["name"]))
                continue
            resource["id"] = result.id
            resource["outputs"] = round_trip(
                annotate_secrets(
                    {**(result.outs or {}), PROVIDER_KEY: outputs[PROVIDER_KEY]},
                    resource["outputs"],
                )
            )
            if result.inputs is not None:
                resource["inputs"] = round_trip(
                    annotate_secrets(
                        {**result.inputs, PROVIDER_KEY: outputs[PROVIDER_KEY]}, resource["inputs"]
                    )
                )
            steps.append(Step("refresh", resource["type"], resource["name"]))
        return steps

    def destroy(self) -> list[Step]:
        """Delete every resource in reverse registration order, as ``pulumi destroy``."""
        steps: list[Step] = []
        for key in reversed(list(self.state["resources"])):
            resource = self.state["resources"][key]
            self._delete(resource)
            del self.state["resources"][key]
            steps.append(Step("delete", resource["type"], resource["name"]))
        self.state["outputs"] = {}
        return steps


class _Monitor(pulumi_mocks.MockMonitor):
    """The mock monitor, keeping unknowns (preview) and routing to the Engine."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.engine = engine

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        pulumi_mocks._ensure_event_loop()
        inputs = from_struct(request.object)  # secrets stay where they are, as in the engine
        resource_id, outs = self.engine.register(
            request.type, request.name, inputs, bool(request.custom), request.importId
        )
        # Kept as the engine keeps them in its state, so tests can assert on the graph.
        saved = self.engine.state["resources"].get(f"{request.type}::{request.name}")
        if saved is not None and not self.engine._run.dry_run:
            saved["parent"] = request.parent
            saved["dependencies"] = sorted(set(request.dependencies))
        struct = _sync_await(rpc.serialize_properties(outs, {}))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, outs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=struct)

    def ReadResource(self, request: Any) -> Any:
        pulumi_mocks._ensure_event_loop()
        inputs = from_struct(request.properties)
        outs = self.engine.read(request.type, request.name, request.id, inputs)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, request.id, outs)
        struct = _sync_await(rpc.serialize_properties(to_wire(outs), {}))
        return resource_pb2.ReadResourceResponse(urn=urn, properties=struct)
