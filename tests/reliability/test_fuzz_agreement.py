"""check() and the emulator agree on what a valid CustomJob / PersistentResource /
HyperparameterTuningJob is.

The emulator validates on its own (emulator/custom_jobs/validation.py), as Vertex AI would; the
providers' check() validates through spec/. For generated, well-formed-ish inputs
(tests/strategies.py, built from spec/schema.py; tests/tuning_strategies.py, from
spec/study_schema.py):

1. check() never raises: bad input only ever yields its own CheckFailures;
2. what check() accepts, the emulator accepts (CreateCustomJob / CreatePersistentResource /
   CreateHyperparameterTuningJob over gRPC, jobs on a runner that runs no containers);
3. what the emulator rejects, check() rejects at the same field (the field paths in the
   INVALID_ARGUMENT message against check()'s failure paths; a path and its parent or
   child count as the same field; an answer gRPC had to cut is read over REST in full,
   :func:`refused_paths`);
4. where check() rejects a field the emulator accepts, the rule is in ``STRICTER`` with
   the reason (test_check_is_stricter_than_the_service_only_where_listed shows each).

Example counts: ``FUZZ_EXAMPLES`` (default 300 per property, about 15 s; two thirds of it
for pipelines, ``PIPELINE_EXAMPLES``). A long run,
``FUZZ_EXAMPLES=2000`` (6,000 generated inputs in all), passed in 86 s after the fixes
listed in the commit that added this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1 import (
    JobServiceClient,
    PersistentResourceServiceClient,
    PipelineServiceClient,
)
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from pulumi_vertex_training.client import (
    job_service_client,
    persistent_resource_client,
    pipeline_service_client,
    wait_for_operation,
)
from pulumi_vertex_training.emulator.rpc_errors import NOT_LISTED
from pulumi_vertex_training.emulator.server import EmulatorServer
from pulumi_vertex_training.provider import custom_job_api
from pulumi_vertex_training.provider.custom_job import CustomJobProvider
from pulumi_vertex_training.provider.hyperparameter_tuning_job import (
    HyperparameterTuningJobProvider,
)
from pulumi_vertex_training.provider.persistent_resource import PersistentResourceProvider
from pulumi_vertex_training.provider.training_pipeline import TrainingPipelineProvider
from pulumi_vertex_training.spec import (
    custom_job_to_proto,
    normalize_custom_job,
    normalize_hyperparameter_tuning_job,
    normalize_persistent_resource,
    persistent_resource_to_proto,
    spec_hash,
    tuning_job_to_proto,
)
from tests.emulator.fake_runner import FakeRunner, no_cluster
from tests.reliability.support import PARENT, PROJECT
from tests.strategies import custom_jobs, persistent_resources, training_pipelines, trees
from tests.tuning_strategies import tuning_jobs

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
PIPELINE_EXAMPLES = max(1, EXAMPLES * 2 // 3)
"""Two thirds of EXAMPLES for the pipeline agreement: each example creates a pipeline
and its CustomJob, so 300 took 22-42 s on 2 shared cores; 200 keeps it near 20 s."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

POOL = r"job_spec\.worker_pool_specs\[\d+\]"
STRICTER: dict[str, str] = {
    r"encryption_spec\.kms_key_name": "an encryption_spec without a key is dropped from the "
    "request (proto3), so the job would run without CMEK; and the key must be in the job's "
    "region, which Vertex only finds when the job starts",
    r"job_spec\.base_output_directory\.output_uri_prefix|.*package_uris\[\d+\]": "Cloud "
    "Storage bucket naming (3-63 characters, ...): Vertex only fails when the job runs",
    r"job_spec\.(experiment|experiment_run|tensorboard|models\[\d+\]"
    r"|protected_artifact_location_id)": "names of other services' resources (Experiments, "
    "TensorBoard, Model Registry): the emulator does not model those services",
    r"job_spec\.psc_interface_config(\..*)?|job_spec\.reserved_ip_ranges(\[\d+\])?": "PSC-I "
    "and VPC peering are not modelled by the emulator (COVERAGE.md)",
    r"job_spec\.scheduling\.(timeout|max_wait_duration)": "timeout 0s reads as unset on the "
    "wire but is surely a mistake; max_wait_duration only applies with FLEX_START",
    POOL + r"\.(container_spec|python_package_spec)\.env\[\d+\]\.name": "a variable named "
    "twice: the container would see only one value",
    POOL + r"\.(lustre_mounts|nfs_mounts)\[\d+\]\..*": "Lustre is not modelled; a mount "
    "point must be one directory name, unique per pool, and an empty mount is a mistake",
    POOL + r"\.machine_spec\.(gpu_partition_size|reservation_affinity\..*)": (
        "MIG partitions and reservation names are not modelled by the emulator"
    ),
    POOL + r"\.python_package_spec\.python_module": "must be a dotted module name "
    "(python -m would fail at run time)",
    POOL + r"\.container_spec\.image_uri": "an image reference with spaces cannot be pulled",
    POOL + r"\.replica_count": "an explicit 0 reads as unset on the wire (primary pool: 1) "
    "but is surely a mistake",
    POOL + r"\.(python_package_spec|container_spec)(\..*)?": "both container_spec and "
    "python_package_spec: the request's oneof silently keeps one",
}
"""check() rules the emulator does not enforce at create, by field path pattern: why."""

RPOOL = r"resource_pools\[\d+\]"
PR_STRICTER: dict[str, str] = {
    r"psc_interface_config(\..*)?|reserved_ip_ranges(\[\d+\])?": "PSC-I and VPC peering "
    "are not modelled by the emulator",
    RPOOL + r"\.machine_spec\.(gpu_partition_size|reservation_affinity\..*)": (
        "MIG partitions and reservation names are not modelled by the emulator"
    ),
    r"encryption_spec\.kms_key_name": STRICTER[r"encryption_spec\.kms_key_name"],
    r"resource_runtime_spec\..*": "Ray on Vertex and custom service accounts on a "
    "persistent resource are not modelled by the emulator",
}
"""The same, for PersistentResource paths."""

_PARAM = r"study_spec\.parameters\[\d+\](\.conditional_parameter_specs\[\d+\]\.parameter_spec)?"
HPT_STRICTER: dict[str, str] = {
    **{re.sub(r"(^|\|)job_spec", r"\1trial_job_spec", p): why for p, why in STRICTER.items()},
    r"parallel_trial_count": "more trials at once than in all: the reference is silent, the "
    "service caps it; a larger value can only be a mistake",
    r"study_spec\.metrics\[\d+\]\.goal": "the field doc says Required; unset reads as "
    "MAXIMIZE on the wire, which is a loss silently maximized",
    _PARAM + r"\.(double|integer)_value_spec\.(min|max)_value": "a bound left out reads as 0 "
    "on the wire (proto3), so [0.1, unset] is [0.1, 0]: both bounds must be given",
    _PARAM + r"\.categorical_value_spec\.values\[\d+\]": "a category listed twice is "
    "surely a mistake (the reference is silent)",
    r"study_spec\.(decay_curve_stopping_spec|median_automated_stopping_spec"
    r"|convex_automated_stopping_spec)": "the automated stopping specs are a oneof: on the "
    "wire the last one given silently wins",
    r"study_spec\.convex_automated_stopping_spec\.min_step_count|study_spec\."
    r"study_stopping_config\.min_num_trials": "a minimum above its maximum (the emulator "
    "accepts and ignores stopping settings)",
    r"study_spec\.study_stopping_config\.(minimum|maximum)_runtime_constraint\.end_time": (
        "not an RFC 3339 time with a zone: no Timestamp can carry it, so the request would go "
        "without it"
    ),
}
"""The same, for HyperparameterTuningJob paths: the CustomJob rules under trial_job_spec,
and ``spec/study.py``'s and ``spec/hyperparameter_tuning_job.py``'s deliberate extras."""

PR_UNRESOLVED: dict[str, str] = {}
"""Service-only refusals found and not fixed yet, by path pattern: why (none now: the
replica_count / autoscaling rules are settled in COVERAGE.md, rules C1, A0-A4, D1-D2)."""


PIPELINE_STRICTER: dict[str, str] = {
    **STRICTER,
    r"model_to_upload\.encryption_spec\.kms_key_name": STRICTER[r"encryption_spec\.kms_key_name"],
    r"model_to_upload\.(artifact_uri|predict_schemata\..*)": "Cloud Storage bucket naming "
    "(3-63 characters, ...): the emulator checks the gs:// form only; Vertex AI fails the "
    "upload when the job has run, hours later",
    r"model_to_upload\.container_spec\.(invoke_route_prefix|deployment_timeout"
    r"|shared_memory_size_mb)": "serving settings the emulator never uses (nothing is "
    "deployed): check() refuses what the field docs rule out (a route not starting with /, "
    "a timeout of 0s or less, negative shared memory)",
    r"model_to_upload\.container_spec\.env\[(\d+|\*)\]\.name": "a variable without a name "
    "cannot be sent (the request drops it) and one named twice reaches the container once",
    r"model_to_upload\.container_spec\.(grpc_)?ports\[(\d+|\*)\]\.container_port": "port 0 "
    "reads as unset on the wire (the request drops the port) but is surely a mistake",
}
"""check() rules the emulator does not enforce at CreateTrainingPipeline, by path: why.
The CustomJob ones hold for the embedded spec (its paths are ``job_spec.*`` on both
sides once the emulator's ``training_task_inputs`` is read as ``job_spec``)."""


REST: list[str] = []
"""The REST address of the module's emulator (set by the ``emulator`` fixture)."""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """An emulator whose jobs run no containers; VERTEX_AI_EMULATOR_HOST points at it.
    It serves REST too, for the answers gRPC cuts (:func:`refused_paths`)."""
    server = EmulatorServer(
        tmp_path_factory.mktemp("fuzz"),
        rest_port=0,
        runner=FakeRunner(),
        build_job_run=no_cluster,
        persistent_resource_delay=0.0,
    ).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("VERTEX_AI_EMULATOR_HOST", server.grpc_address)
    REST[:] = [str(server.rest_address)]
    try:
        yield server
    finally:
        mp.undo()
        server.stop()


_PATH = re.compile(r"""^(?:(?:[a-z_]+|\[\d+\]|\[(?:'[^']*'|"[^"]*")\]|\.)+)""")
_MAP_KEY = re.compile(r"""\[(?:'[^']*'|"(?:[^"\\]|\\.)*")\]""")


_ENV_INDEX = re.compile(r"\.(env|ports|grpc_ports)\[\d+\]")


def normal(path: str) -> str:
    """A field path with map keys blurred (``labels["k"]`` and ``labels['k']`` alike), and
    env and (serving) port indexes too: normalization drops ``{}`` entries, so a rejected
    list reaches the service shifted."""
    return _ENV_INDEX.sub(r".\1[*]", _MAP_KEY.sub("[*]", path)).rstrip(".")


def emulator_paths(message: str, root: str) -> list[str]:
    """The field path each '; '-joined error of an INVALID_ARGUMENT message starts with."""
    paths = []
    # Errors are joined with "; ", which some errors also contain: split before a root.
    for error in re.split(rf"; (?={re.escape(root)})", message):
        error = error.strip()
        if error.startswith(root + "."):
            error = error[len(root) + 1 :]
        match = _PATH.match(error)
        paths.append(normal(match.group(0)) if match else "?" + error[:40])
    return paths


def refused_paths(
    err: exceptions.InvalidArgument, root: str, client: type[Any], rpc: str, **request: Any
) -> list[str]:
    """The field paths of the service's refusal ``err`` (a gRPC answer to ``rpc``).

    An answer that would not fit gRPC's 8 KiB of trailers lists its first violations only
    and says how many more it had (``rpc_errors.NOT_LISTED``); the rest would then read as
    accepted. So the same request goes again over REST, whose answer has them all
    (``client``: the GAPIC client class, ``rpc`` its method, ``request`` the arguments)."""
    message = str(err.message)
    if NOT_LISTED in message:
        rest = client(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint="http://" + REST[0]),
        )
        try:
            getattr(rest, rpc)(**request)
        except exceptions.BadRequest as full:  # HTTP 400: INVALID_ARGUMENT over REST
            message = str(full.message).partition(": ")[2]  # after "{method} {url}: "
        else:
            raise AssertionError(f"REST accepted what gRPC refused: {message}")
        assert NOT_LISTED not in message, message
    return emulator_paths(message, root)


def related(a: str, b: str) -> bool:
    """The same field, or one is the parent of the other."""
    return a == b or a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))


def stricter_rule(path: str, rules: dict[str, str] | None = None) -> str | None:
    """The STRICTER pattern a check-only failure path falls under, if any."""
    return next((p for p in (rules or STRICTER) if re.fullmatch(p, path)), None)


def agree(
    check_paths: list[str],
    service_paths: list[str] | None,
    stricter: dict[str, str] | None = None,
    unresolved: dict[str, str] | None = None,
) -> None:
    """Assert properties 2-4 for one input (``service_paths`` None: the service accepted)."""
    note(f"check: {check_paths}\nservice: {service_paths}")
    refused = list(service_paths or [])
    service_paths = [
        p for p in service_paths or [] if not any(re.fullmatch(u, p) for u in unresolved or {})
    ] or (None if service_paths is None else [])
    if not check_paths:
        assert not service_paths, f"check() accepted what the service refused: {service_paths}"
    for path in service_paths or []:
        assert any(related(path, c) for c in check_paths), (
            f"the service refused {path} but check() did not (check failures: {check_paths})"
        )
    for path in check_paths:
        if any(related(path, s) for s in refused):
            continue
        if any(re.fullmatch(u, path) for u in unresolved or {}):
            continue
        assert stricter_rule(path, stricter) is not None, (
            f"check() refused {path} and the service accepted it; "
            "fix one side, or list the rule in STRICTER with the reason"
        )


def _job_props(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "location": "us-central1",
        **job,
        "wait": "none",
        "on_delete": "cancel",
        "resource_key": "fuzz/dev/job",
    }


def _create_job(job: dict[str, Any]) -> list[str] | None:
    normalized = normalize_custom_job(job)
    try:
        request = custom_job_to_proto(normalized.value)
    except Exception:  # not even a request the client library can build
        return ["<unbuildable>"]
    request.labels[custom_job_api.SPEC_HASH_LABEL] = spec_hash(normalized.value)
    request.labels[custom_job_api.RESOURCE_LABEL] = "0" * 32
    try:
        job_service_client("us-central1").create_custom_job(parent=PARENT, custom_job=request)
    except exceptions.InvalidArgument as err:
        return refused_paths(
            err, "custom_job", JobServiceClient, "create_custom_job",
            parent=PARENT, custom_job=request,
        )  # fmt: skip
    return None


@FUZZ
@given(trees, trees, trees)
@pytest.mark.slow
def test_check_never_raises_on_arbitrary_input(spec: Any, labels: Any, pools: Any) -> None:
    CustomJobProvider().check({}, {"job_spec": spec, "labels": labels, "display_name": pools})
    PersistentResourceProvider().check({}, {"resource_pools": pools, "labels": labels})


@FUZZ
@given(custom_jobs())
@pytest.mark.slow
def test_check_and_the_emulator_agree_on_custom_jobs(emulator: Any, job: dict[str, Any]) -> None:
    result = CustomJobProvider().check({}, _job_props(job))
    check_paths = [normal(f.property) for f in result.failures]
    service = _create_job(job)
    if service == ["<unbuildable>"]:
        assert check_paths, "check() accepted a job no request can carry"
        return
    agree(check_paths, service)


_ids = iter(range(10**9))


def _create_resource(resource: dict[str, Any]) -> list[str] | None:
    normalized = normalize_persistent_resource(resource)
    try:
        request = persistent_resource_to_proto(normalized.value)
    except Exception:
        return ["<unbuildable>"]
    rid = resource.get("resource_id")
    # A fresh id per example when the generated one is valid, so ids never collide.
    if isinstance(rid, str) and re.fullmatch(r"[a-z][-a-z0-9]{0,50}", rid):
        rid = f"{rid}-{next(_ids)}"
    try:
        operation = persistent_resource_client("us-central1").create_persistent_resource(
            parent=PARENT, persistent_resource=request, persistent_resource_id=rid
        )
        wait_for_operation(operation, 30)
    except exceptions.InvalidArgument as err:
        paths = refused_paths(
            err, "persistent_resource", PersistentResourceServiceClient,
            "create_persistent_resource",
            parent=PARENT, persistent_resource=request, persistent_resource_id=rid,
        )  # fmt: skip
        return ["resource_id" if p == "persistent_resource_id" else p for p in paths]
    return None


@FUZZ
@given(persistent_resources())
@pytest.mark.slow
def test_check_and_the_emulator_agree_on_persistent_resources(
    emulator: Any, resource: dict[str, Any]
) -> None:
    props = {"project": PROJECT, "location": "us-central1", **resource}
    result = PersistentResourceProvider().check({}, props)
    check_paths = [normal(f.property) for f in result.failures]
    service = _create_resource(resource)
    if service == ["<unbuildable>"]:
        assert check_paths, "check() accepted a resource no request can carry"
        return
    if service == ["resource_id"]:  # the id is checked first, alone: nothing else to compare
        assert "resource_id" in check_paths, check_paths
        return
    agree(check_paths, service, PR_STRICTER, PR_UNRESOLVED)


def _create_tuning_job(job: dict[str, Any]) -> list[str] | None:
    normalized = normalize_hyperparameter_tuning_job(job)
    try:
        request = tuning_job_to_proto(normalized.value)
    except Exception:  # not even a request the client library can build
        return ["<unbuildable>"]
    request.labels[custom_job_api.SPEC_HASH_LABEL] = spec_hash(normalized.value)
    request.labels[custom_job_api.RESOURCE_LABEL] = "0" * 32
    service = job_service_client("us-central1")
    try:
        created = service.create_hyperparameter_tuning_job(
            parent=PARENT, hyperparameter_tuning_job=request
        )
    except exceptions.InvalidArgument as err:
        return refused_paths(
            err, "hyperparameter_tuning_job", JobServiceClient,
            "create_hyperparameter_tuning_job",
            parent=PARENT, hyperparameter_tuning_job=request,
        )  # fmt: skip
    try:  # no trial needs to run
        service.cancel_hyperparameter_tuning_job(name=created.name)
    except exceptions.FailedPrecondition:
        pass  # it ended already
    return None


@FUZZ
@given(tuning_jobs())
@pytest.mark.slow
def test_check_and_the_emulator_agree_on_tuning_jobs(emulator: Any, job: dict[str, Any]) -> None:
    result = HyperparameterTuningJobProvider().check({}, _job_props(job))
    check_paths = [normal(f.property) for f in result.failures]
    service = _create_tuning_job(job)
    if service == ["<unbuildable>"]:
        assert check_paths, "check() accepted a tuning job no request can carry"
        return
    agree(check_paths, service, HPT_STRICTER)


@pytest.mark.parametrize(
    "name", ["train\nFAILED", "\x1b[2Jtrain", "train\x00", "\t", "a\x85", "ok name"]
)
def test_check_and_the_emulator_agree_on_display_names_with_control_characters(
    emulator: Any, name: str
) -> None:
    job = {"display_name": name, "job_spec": {"worker_pool_specs": [
        {"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
         "container_spec": {"image_uri": "local/python:3.11"}}]}}  # fmt: skip
    result = CustomJobProvider().check({}, _job_props(job))
    check_paths = [normal(f.property) for f in result.failures]
    service = _create_job(job)
    if name == "ok name":
        assert (check_paths, service) == ([], None)
    else:  # both refuse, and blame the same field
        assert (set(check_paths), set(service or [])) == ({"display_name"}, {"display_name"})


@pytest.mark.parametrize("count", [2, 1000, 1001, 2**31 - 1])
def test_check_and_the_emulator_agree_on_the_replica_cap(emulator: Any, count: int) -> None:
    pool = {"machine_spec": {"machine_type": "n1-standard-4"},
            "container_spec": {"image_uri": "local/python:3.11"}}  # fmt: skip
    job = {"display_name": "cap", "job_spec": {"worker_pool_specs": [
        {**pool, "replica_count": 1}, {**pool, "replica_count": count}]}}  # fmt: skip
    check_paths = [
        normal(f.property) for f in CustomJobProvider().check({}, _job_props(job)).failures
    ]
    service = _create_job(job)
    if count <= 1000:
        assert (check_paths, service) == ([], None)
    else:
        blamed = "job_spec.worker_pool_specs[1].replica_count"
        assert (check_paths, service) == ([blamed], [blamed])


@pytest.mark.parametrize(
    ("rule", "why"),
    [*STRICTER.items(), *PR_STRICTER.items(), *HPT_STRICTER.items(), *PIPELINE_STRICTER.items()],
    ids=lambda v: str(v)[:40],
)
def test_check_is_stricter_than_the_service_only_where_listed(rule: str, why: str) -> None:
    """Each deliberate strictness names its rule (a path pattern) and why; the fuzz
    tests above fail on any check-only refusal outside these lists."""
    re.compile(rule)
    assert len(why) > 30


@pytest.mark.parametrize("draw", [st.integers()])
def test_paths_are_compared_field_by_field(draw: Any) -> None:
    assert emulator_paths(
        "custom_job.labels['Team']: a label key must start with a lowercase letter; "
        "custom_job.job_spec.worker_pool_specs[1].replica_count: 0 is not allowed",
        "custom_job",
    ) == ["labels[*]", "job_spec.worker_pool_specs[1].replica_count"]
    assert normal('labels["Team"]') == "labels[*]"
    assert related("job_spec.worker_pool_specs[0]", "job_spec.worker_pool_specs[0].container_spec")
    assert not related("job_spec.network", "job_spec.network_x")


# -- TrainingPipelines: the embedded job spec is the CustomJob's, at job_spec.* ----------


def _pipeline_props(pipeline: dict[str, Any]) -> dict[str, Any]:
    return {**_job_props(pipeline), "resource_key": "fuzz/dev/pipeline"}


def _create_pipeline(pipeline: dict[str, Any]) -> list[str] | None:
    provider = TrainingPipelineProvider()
    normalized, _ = provider.normalize(pipeline, "us-central1")
    try:
        request = provider.to_proto(normalized.value)
    except Exception:  # not even a request the client library can build
        return ["<unbuildable>"]
    if isinstance(pipeline.get("model_to_upload"), dict) and not request.model_to_upload:
        return ["<model dropped>"]  # every field proto3 cannot tell from absent
    try:
        pipeline_service_client("us-central1").create_training_pipeline(
            parent=PARENT, training_pipeline=request
        )
    except exceptions.InvalidArgument as err:
        paths = refused_paths(
            err, "training_pipeline", PipelineServiceClient, "create_training_pipeline",
            parent=PARENT, training_pipeline=request,
        )  # fmt: skip
        return [re.sub(r"^training_task_inputs", "job_spec", p) for p in paths]
    except (exceptions.NotFound, exceptions.AlreadyExists):
        return None  # valid, but parent_model is missing or model_id taken: state, not rules
    return None


@settings(FUZZ, max_examples=PIPELINE_EXAMPLES)
@given(training_pipelines())
@pytest.mark.slow
def test_check_and_the_emulator_agree_on_training_pipelines(
    emulator: Any, pipeline: dict[str, Any]
) -> None:
    result = TrainingPipelineProvider().check({}, _pipeline_props(pipeline))
    check_paths = [normal(f.property) for f in result.failures]
    service = _create_pipeline(pipeline)
    if service == ["<unbuildable>"]:
        assert check_paths, "check() accepted a pipeline no request can carry"
        return
    if service == ["<model dropped>"]:  # e.g. only display_name "": the request has no model
        assert any(p.startswith("model_to_upload") for p in check_paths), check_paths
        return
    agree(check_paths, service, PIPELINE_STRICTER)


@FUZZ
@given(trees, trees)
def test_pipeline_check_never_raises_on_arbitrary_input(spec: Any, model: Any) -> None:
    TrainingPipelineProvider().check({}, {"job_spec": spec, "model_to_upload": model})
