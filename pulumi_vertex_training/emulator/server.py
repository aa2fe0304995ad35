"""Wires the emulator together and serves it: gRPC here, REST through ``rest.py``.

``google.cloud.aiplatform_v1`` ships no ``*_pb2_grpc`` servicers (proto-plus
only), so the gRPC side is a table of generic handlers using the proto-plus
``serialize``/``deserialize`` of each request and response type. Errors cross
into gRPC once, here: an ``EmulatorError`` becomes its code, message and details
(``rpc_errors.abort``) and the Google client raises the matching
``google.api_core.exceptions`` class; a method no table serves is UNIMPLEMENTED,
named (``rpc_errors.UnknownMethods``).

Example:
    >>> from pulumi_vertex_training.emulator.server import EmulatorServer
    >>> with EmulatorServer(pathlib.Path(".vertex-local")) as emulator:  # doctest: +SKIP
    ...     os.environ["VERTEX_AI_EMULATOR_HOST"] = emulator.grpc_address
"""

from __future__ import annotations

import functools
import logging
import os
import pathlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from typing import TYPE_CHECKING, Any

import grpc

from pulumi_vertex_training.emulator import rest, rpc_errors, rpcs
from pulumi_vertex_training.emulator.cloud_logging.collector import close_collector, collector_for
from pulumi_vertex_training.emulator.cloud_logging.service import LoggingServicer
from pulumi_vertex_training.emulator.console import Sources as ConsoleSources
from pulumi_vertex_training.emulator.custom_jobs import network_cap
from pulumi_vertex_training.emulator.custom_jobs.backend import BuildJobRun, JobBackend
from pulumi_vertex_training.emulator.custom_jobs.service import JobServicer
from pulumi_vertex_training.emulator.data_dir_lock import DataDirLock
from pulumi_vertex_training.emulator.exceptions import EmulatorError
from pulumi_vertex_training.emulator.execution.types import Runner
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs import routes as tuning_routes
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.backend import TuningBackend
from pulumi_vertex_training.emulator.hyperparameter_tuning_jobs.service import TuningServicer
from pulumi_vertex_training.emulator.models import routes as model_routes
from pulumi_vertex_training.emulator.models.backend import ModelBackend
from pulumi_vertex_training.emulator.models.service import ModelServicer
from pulumi_vertex_training.emulator.operations import OperationsServicer
from pulumi_vertex_training.emulator.persistent_resources.backend import (
    DEFAULT_DELAY,
    PersistentResourceBackend,
)
from pulumi_vertex_training.emulator.persistent_resources.service import (
    PersistentResourceServicer,
)
from pulumi_vertex_training.emulator.storage.artifact_registry import ArtifactRegistryServicer
from pulumi_vertex_training.emulator.store import STATE_FILE, Store, instance_id
from pulumi_vertex_training.emulator.training_pipelines import routes as pipeline_routes
from pulumi_vertex_training.emulator.training_pipelines.backend import PipelineBackend
from pulumi_vertex_training.emulator.training_pipelines.service import PipelineServicer

if TYPE_CHECKING:
    from pulumi_vertex_training.emulator.crash import CrashHook

log = logging.getLogger(__name__)

__all__ = ["STATE_FILE", "EmulatorServer", "FaultHook", "instance_id"]

GRPC_WORKERS = 16
"""Threads serving RPCs. Every RPC is short (memory, or one commit); more threads only
contend for the interpreter's lock: further RPCs wait in gRPC's queue instead."""

FaultHook = Callable[[str, str, Any], None]
"""``hook(phase, method, request)``, called with phase ``"before"`` and ``"after"`` each RPC
(``method`` is the snake_case servicer method). Raising an ``EmulatorError`` from it answers
the RPC with that error: the seam for fault injection. None (the default) means no faults."""


class _Hooked:
    """A servicer whose every method is counted and, when a fault hook is set,
    calls it before and after dispatch (gRPC and REST alike)."""

    def __init__(self, servicer: Any, hook: FaultHook | None, calls: Counter[str]) -> None:
        self._servicer = servicer
        self._hook = hook
        self._calls = calls

    def __getattr__(self, method: str) -> Any:
        target = getattr(self._servicer, method)
        if not callable(target):
            return target

        def call(request: Any, *rest: Any) -> Any:
            self._calls[method] += 1
            if self._hook is not None:
                self._hook("before", method, request)
            response = target(request, *rest)
            if self._hook is not None:
                self._hook("after", method, request)
            return response

        return call


class EmulatorServer:
    """The local Vertex AI: every service of ``rpcs.py`` over gRPC (and REST), jobs run by a Runner.

    Args:
        data_dir: holds the SQLite state, the saved logs and the /gcs folders.
        host: interface to bind (loopback by default).
        port: gRPC port; 0 picks a free one (see :attr:`grpc_address`).
        rest_port: REST port; 0 picks a free one; None serves no REST.
        runner: runs the containers; default ``execution.runner.DockerRunner``.
        fault_hook: see :data:`FaultHook`; None disables fault injection.
        poll_interval: seconds between two polls of the runner.
        build_job_run: CustomJob -> JobRun; default ``execution.cluster.build_job_run``.
        image_map: ``(URI prefix, local image)`` pairs for python_package_spec
            executor images (``--image-map``), handed to ``execution.cluster.build_job_run``.
        persistent_resource_delay: seconds each PersistentResource operation takes
            (provisioning, update, reboot, delete).
        max_job_networks: how many jobs may hold a Docker network at once, the
            others wait in JOB_STATE_QUEUED; None: ``$VERTEX_LOCAL_MAX_JOB_NETWORKS``,
            else 16 (``custom_jobs/network_cap.py``). Raises ValueError when below 1.
        crash: kills the process at a chosen engine call (tests only, ``crash.py``;
            used by the default runner).
    """

    def __init__(
        self,
        data_dir: pathlib.Path,
        host: str = "127.0.0.1",
        port: int = 0,
        rest_port: int | None = 0,
        runner: Runner | None = None,
        fault_hook: FaultHook | None = None,
        poll_interval: float = 0.2,
        build_job_run: BuildJobRun | None = None,
        image_map: Sequence[tuple[str, str]] = (),
        persistent_resource_delay: float = DEFAULT_DELAY,
        max_job_networks: int | None = None,
        crash: CrashHook | None = None,
    ) -> None:
        self.data_dir = pathlib.Path(data_dir).resolve()
        self.max_job_networks = network_cap.max_job_networks(max_job_networks, os.environ)
        self._crash = crash
        self.host = host
        self._port = port
        self._rest_port = rest_port
        self._runner = runner
        self._fault_hook = fault_hook
        self._poll_interval = poll_interval
        self._build_job_run = build_job_run
        if build_job_run is None and image_map:
            from pulumi_vertex_training.emulator.execution import cluster

            self._build_job_run = functools.partial(
                cluster.build_job_run, image_map=tuple(image_map)
            )
        self._grpc: grpc.Server | None = None
        self._rest: Any = None
        self._persistent_resource_delay = persistent_resource_delay
        self._persistent_resource_servicer: Any = None
        self._logging_servicer: Any = None
        self.persistent_resources: PersistentResourceBackend | None = None
        self.backend: JobBackend | None = None
        self.tuning: TuningBackend | None = None
        self._tuning_servicer: Any = None
        self.models: ModelBackend | None = None
        self.pipelines: PipelineBackend | None = None
        # Rooms with their own RPC tables and REST bindings: (service, rpcs, key, bindings,
        # servicer).
        self._rooms: list[tuple[str, Any, str, Any, Any]] = []
        self.store: Store | None = None
        self._lock: DataDirLock | None = None
        self.port: int | None = None
        self.rest_port: int | None = None
        self.calls: Counter[str] = Counter()
        """RPCs served so far, by servicer method (``create_custom_job``, ...): lets tests
        assert that a no-op ``pulumi up`` made no mutating call."""

    @property
    def grpc_address(self) -> str:
        """``host:port`` to put in ``VERTEX_AI_EMULATOR_HOST`` (after :meth:`start`)."""
        if self.port is None:
            raise RuntimeError("the emulator is not started")
        return f"{_connect_host(self.host)}:{self.port}"

    @property
    def rest_address(self) -> str | None:
        """``host:port`` of the REST endpoint, or None when REST is not served."""
        if self.rest_port is None:
            return None
        return f"{_connect_host(self.host)}:{self.rest_port}"

    def start(self) -> EmulatorServer:
        """Lock the data dir, open the state, reconcile with the runner, start the monitor
        and bind the ports.

        Raises:
            DataDirInUse: another emulator serves the data dir (``data_dir_lock.py``).
            OSError: a port is taken.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = DataDirLock.acquire(self.data_dir)
        try:
            self._open()
        except BaseException:
            self.stop()
            raise
        log.info("serving gRPC on %s, REST on %s", self.grpc_address, self.rest_address)
        return self

    def _open(self) -> None:
        self.store = Store(self.data_dir / STATE_FILE)
        ident = instance_id(self.store)
        runner = self._runner
        if runner is None:
            from pulumi_vertex_training.emulator.execution.runner import DockerRunner

            runner = DockerRunner(self.data_dir, ident, crash=self._crash)
        self.persistent_resources = PersistentResourceBackend(
            self.store, self._persistent_resource_delay
        )
        self.tuning = TuningBackend(self.store, self.data_dir, self._poll_interval)
        self.backend = JobBackend(
            self.store,
            runner,
            self.data_dir,
            ident,
            build_job_run=self.tuning.trial_job_runs(self._build_job_run),
            poll_interval=self._poll_interval,
            scheduler=self.persistent_resources,
            max_job_networks=self.max_job_networks,
        )
        self.persistent_resources.attach_jobs(self.backend.cancel_custom_job)
        self.tuning.attach_jobs(self.backend)
        self.backend.start()
        self.persistent_resources.start()
        self.tuning.start()
        self._tuning_servicer = _Hooked(TuningServicer(self.tuning), self._fault_hook, self.calls)
        self.models = ModelBackend(self.store)
        self.pipelines = PipelineBackend(
            self.store, self.backend, self.models, self.data_dir, self._poll_interval
        )
        self.pipelines.start()
        pipelines = _Hooked(PipelineServicer(self.pipelines), self._fault_hook, self.calls)
        models = _Hooked(ModelServicer(self.models), self._fault_hook, self.calls)
        self._rooms = [
            (pipeline_routes.GRPC_SERVICE, pipeline_routes.RPCS, pipeline_routes.SERVICE,
             pipeline_routes.BINDINGS, pipelines),
            (model_routes.GRPC_SERVICE, model_routes.RPCS, model_routes.SERVICE,
             model_routes.BINDINGS, models),
        ]  # fmt: skip
        self._persistent_resource_servicer = _Hooked(
            PersistentResourceServicer(self.persistent_resources), self._fault_hook, self.calls
        )
        jobs: Any = _Hooked(JobServicer(self.backend), self._fault_hook, self.calls)
        self._logging_servicer = _Hooked(
            LoggingServicer(collector_for(self.data_dir), runner), self._fault_hook, self.calls
        )
        operations: Any = _Hooked(
            OperationsServicer(
                self.backend,
                self.persistent_resources,
                routes={"/trainingPipelines/": self.pipelines, "/models/": self.models},
            ),
            self._fault_hook,
            self.calls,
        )
        self._start_grpc(jobs, operations)
        if self._rest_port is not None:
            self._start_rest(jobs, operations)

    def stop(self) -> None:
        """Stop serving; running job containers keep running (a restart reattaches them)."""
        if self._rest is not None:
            self._rest.stop()
            self._rest = None
        if self._grpc is not None:
            self._grpc.stop(grace=1).wait()
            self._grpc = None
        if self.tuning is not None:
            self.tuning.stop()
            self.tuning = None
        if self.pipelines is not None:
            self.pipelines.stop()
            self.pipelines = None
        if self.backend is not None:
            self.backend.stop()
            close = getattr(self.backend.runner, "close", None)
            if close is not None:  # DockerRunner: its gateway forwarders
                close()
            self.backend = None
        if self.persistent_resources is not None:
            self.persistent_resources.stop()
            self.persistent_resources = None
        close_collector(self.data_dir)
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._lock is not None:  # last: nothing of this emulator touches the dir now
            self._lock.release()
            self._lock = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_grpc(self, jobs: Any, operations: Any) -> None:
        # so_reuseport off: with it, a second emulator could bind the same port silently.
        server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=GRPC_WORKERS, thread_name_prefix="vertex-local-grpc"
            ),
            options=[("grpc.so_reuseport", 0)],
        )
        assert self.store is not None  # opened by start()
        registry = _Hooked(ArtifactRegistryServicer(self.store), self._fault_hook, self.calls)
        services = (
            (rpcs.JOB_SERVICE, rpcs.JOB_RPCS, jobs),
            (rpcs.JOB_SERVICE, tuning_routes.RPCS, self._tuning_servicer),
            (rpcs.OPERATIONS_SERVICE, rpcs.OPERATIONS_RPCS, operations),
            (
                rpcs.PERSISTENT_RESOURCE_SERVICE,
                rpcs.PERSISTENT_RESOURCE_RPCS,
                self._persistent_resource_servicer,
            ),
            (rpcs.ARTIFACT_REGISTRY_SERVICE, rpcs.ARTIFACT_REGISTRY_RPCS, registry),
            (rpcs.LOGGING_SERVICE, rpcs.LOGGING_RPCS, self._logging_servicer),
            *((service, table, servicer) for service, table, _, _, servicer in self._rooms),
        )
        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    service,
                    {
                        rpc.name: (_stream_handler if rpc.streaming else _handler)(
                            getattr(servicer, rpc.method), rpc.deserialize, rpc.serialize
                        )
                        for rpc in table
                    },
                )
                for service, table, servicer in services
            ]
            + [rpc_errors.UnknownMethods()]  # last: whatever no table serves
        )
        address = f"{self.host}:{self._port}"
        try:
            port = server.add_insecure_port(address)
        except RuntimeError as err:  # grpc >= 1.50 raises; older versions return 0
            raise OSError(f"cannot bind the gRPC port {address}: {err}") from err
        if not port:
            raise OSError(f"cannot bind the gRPC port {address} (in use?)")
        server.start()
        self._grpc, self.port = server, port

    def _start_rest(self, jobs: Any, operations: Any) -> None:
        gateway = rest.RestGateway(
            jobs,
            operations,
            self.host,
            self._rest_port or 0,
            persistent_resource_servicer=self._persistent_resource_servicer,
            extra_services=(
                (tuning_routes.SERVICE, self._tuning_servicer, tuning_routes.BINDINGS),
                *((key, servicer, bindings) for _, _, key, bindings, servicer in self._rooms),
            ),
            console=ConsoleSources(
                self.backend,
                self.tuning,
                self.persistent_resources,
                self.tuning.trial_job_runs(self._build_job_run) if self.tuning else None,
                pipelines=self.pipelines,
                models=self.models,
            ),
        )
        gateway.start()
        self._rest, self.rest_port = gateway, gateway.port


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host


def _handler(
    method: Callable[[Any], Any],
    deserialize: Callable[[bytes], Any],
    serialize: Callable[[Any], bytes],
) -> grpc.RpcMethodHandler:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(request)
        except EmulatorError as err:
            rpc_errors.abort(context, err)
        except Exception as err:  # an emulator bug: answer INTERNAL, keep serving
            log.exception("unexpected error in %s", getattr(method, "__name__", method))
            rpc_errors.abort(context, EmulatorError(f"emulator error: {err!r}"))  # INTERNAL

    return grpc.unary_unary_rpc_method_handler(
        call, request_deserializer=deserialize, response_serializer=serialize
    )


def _stream_handler(
    method: Callable[[Iterator[Any], threading.Event], Iterator[Any]],
    deserialize: Callable[[bytes], Any],
    serialize: Callable[[Any], bytes],
) -> grpc.RpcMethodHandler:
    def call(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        stopped = threading.Event()
        context.add_callback(stopped.set)  # the client cancelled, or the server stops
        try:
            yield from method(requests, stopped)
        except EmulatorError as err:
            context.abort(err.code, err.message)
        except Exception as err:  # an emulator bug: answer INTERNAL, keep serving
            log.exception("unexpected error in %s", getattr(method, "__name__", method))
            context.abort(grpc.StatusCode.INTERNAL, f"emulator error: {err!r}")

    return grpc.stream_stream_rpc_method_handler(
        call, request_deserializer=deserialize, response_serializer=serialize
    )
