"""Hypothesis strategies for CustomJob and PersistentResource inputs, built from spec/schema.py.

Every field of every message in ``schema.MESSAGES`` gets a strategy from its kind, so a
field added to the schema is fuzzed without touching this file. ``EXAMPLES`` adds, by
field name, values at and around the edges of the rules (lengths, bounds, formats) so
the fuzzer reaches both sides of each rule rather than only "wrong type".

- :func:`custom_jobs` / :func:`persistent_resources`: well-formed-ish inputs (the right
  shape and types, values near the rules' edges), for check() vs emulator agreement;
  their machine specs come from the machine catalog too (:func:`catalog_machines`);
- :data:`trees`: anything JSON-ish (plus UNKNOWN), for "check() never raises".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import pulumi_vertex_training
from pulumi_vertex_training.spec import UNKNOWN
from pulumi_vertex_training.spec.enums import ENUMS
from pulumi_vertex_training.spec.schema import MESSAGES, Field

# Fields left out of the agreement fuzz, and why:
# - persistent_resource_id: whether it is accepted depends on state (the resource must
#   exist), not on validity; its format is covered by spec unit tests.
SKIPPED = frozenset({"persistent_resource_id"})

_LONG = "x" * 129
EXAMPLES: dict[str, list[Any]] = {
    "display_name": ["train", "Train job 1", "", " ", "x" * 128, _LONG],
    "machine_type": ["n1-standard-4", "a2-highgpu-1g", "ct5lp-hightpu-4t", "N1-standard-4",
                     "n1_standard_4", "n1", "", "cloud-tpu"],
    "image_uri": ["local/python:3.11", "us-docker.pkg.dev/p/r/i:t", "", "has space"],
    "executor_image_uri": ["us-docker.pkg.dev/vertex-ai/training/pytorch:latest", ""],
    "package_uris": [["gs://bucket/p.tar.gz"], [], ["gs://"], ["gs://bucket/"], ["gs://b/p.whl"],
                     ["http://x/p.whl"]],
    "python_module": ["trainer.task", "task", "1bad", "", "a..b"],
    "replica_count": [-1, 0, 1, 2, 3, 1000, 1001],
    "accelerator_count": [-1, 0, 1, 2, 8],
    "boot_disk_size_gb": [0, 50, 99, 100, 500, 64000, 64001],
    "boot_disk_type": ["pd-ssd", "pd-standard", "hyperdisk-balanced", "ssd"],
    "network": ["projects/123/global/networks/vpc", "projects/my-proj/global/networks/vpc",
                "projects/123/global/networks/Bad", "vpc"],
    "service_account": ["trainer@p.iam.gserviceaccount.com", "trainer", ""],
    "output_uri_prefix": ["gs://bucket/out", "gs://bucket", "gs://b/out", "gs://", "s3://b/out",
                          ""],
    "kms_key_name": ["projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
                     "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k", "key", ""],
    "timeout": ["1s", "0s", "-1s", "3600s", "604800s", "700000s", "1.5s"],
    "max_wait_duration": ["0s", "60s", "-5s"],
    "name": ["TOKEN", "_x", "a1", "1A", "", "A-B"],
    "value": ["v", "", "x y"],
    "server": ["10.0.0.2", ""],
    "path": ["/export", "export", ""],
    "mount_point": ["data", "a/b", "", ".."],
    "gpu_partition_size": ["1g.10gb", "big"],
    "tpu_topology": ["2x2", "2x2x1", "2"],
    "reserved_ip_ranges": [["range-1"], [""], []],
    "tensorboard": ["projects/p/locations/us-central1/tensorboards/1", "tb"],
    "experiment": ["projects/p/locations/us-central1/metadataStores/default/contexts/exp", "e"],
    "models": [["projects/p/locations/us-central1/models/m"], ["m"]],
    "protected_artifact_location_id": ["us-central1", "Moon"],
    "resource_id": ["warm", "warm-pool-2", "Warm", "1abc", "a" * 64, ""],
    "id": ["pool-0", "gpu", "Pool", ""],
    "min_replica_count": [-1, 0, 1, 2],
    "max_replica_count": [0, 1, 2, 4],
    "domain": ["example.com.", "example.com", ""],
    "network_attachment": ["att", "projects/p/regions/us-central1/networkAttachments/a", "a/b"],
}  # fmt: skip

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters=";'\"[]\\", exclude_categories=["Cs"]),
    max_size=12,
)
# Letters of each Unicode category the label rules name (Ll, Lu, Lt, Lm, Lo), numbers
# (Nd, Nl, No), a 3-byte character (42 of them: 126 bytes, 43: 129).
_LABEL_CHARS = "abcXY09-_é ǅʰⅻ²中"
_LABEL_KEYS = st.one_of(
    st.sampled_from(["team", "env", "a" * 63, "a" * 64, "b" * 65, "Team", "1x", "é-ü", "k_2", "",
                     "中" * 42, "中" * 43, "_k", "ʰk", "ⅻ"]),
    st.text(alphabet=_LABEL_CHARS, max_size=8),
)  # fmt: skip
_LABEL_VALUES = st.one_of(
    st.sampled_from(["", "v1", "a" * 63, "a" * 64, "b" * 65, "Prod", "x y", "ü-2", "中" * 42,
                     "中" * 43, "ǅ"]),
    st.text(alphabet=_LABEL_CHARS, max_size=8),
)  # fmt: skip
labels = st.dictionaries(_LABEL_KEYS, _LABEL_VALUES, max_size=3)
"""Label maps near the label rules' edges (length 63/64/65, bytes 126/129, case, first
character, Unicode categories)."""


def _scalar(name: str, spec: Field) -> st.SearchStrategy[Any]:
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind in ("int32", "int64"):
        return st.integers(min_value=-2, max_value=5)
    if spec.kind == "duration":
        return st.sampled_from(["1s", "0s", "-1s", "86400s", "0.5s"])
    if spec.kind == "enum":
        kind = ENUMS[spec.enum]
        return st.sampled_from([*kind.allowed(), kind.unspecified])
    if spec.kind == "map":
        return labels
    return _TEXT


def field_values(name: str, spec: Field, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for field ``name`` of kind ``spec``: EXAMPLES first, else by kind."""
    if spec.kind == "message":
        element: st.SearchStrategy[Any] = message(spec.message, depth=depth + 1)
    else:
        element = _scalar(name, spec)
    if name in EXAMPLES:
        examples = EXAMPLES[name]
        listed = isinstance(examples[0], list)
        if listed or not spec.repeated:
            return st.sampled_from(examples)
        element = st.sampled_from(examples)
    if spec.repeated:
        return st.lists(element, max_size=2 if depth else 3)
    return element


def message(
    name: str, *, required: dict[str, Any] | None = None, depth: int = 0
) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts of message ``name``: the ``required`` entries plus any of its other fields."""
    required = dict(required or {})
    if depth > 3:
        return st.fixed_dictionaries(required)
    optional = {
        field: field_values(field, spec, depth)
        for field, spec in MESSAGES[name].items()
        if field not in required and field not in SKIPPED
    }
    # A few optional fields at a time: each disagreement stays attributable to a field.
    return st.lists(st.sampled_from(sorted(optional)), max_size=2, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {**required, **{field: optional[field] for field in chosen}}
        )
    )


CATALOG = json.loads(
    (Path(pulumi_vertex_training.__file__).parent / "data" / "machine_catalog.json").read_text()
)
"""The machine catalog both check() and the emulator read (read here as plain JSON)."""
_FAMILIES: dict[str, Any] = CATALOG["machine_families"]
_TABLES = [
    (machine_type, accelerator, counts)
    for family in _FAMILIES.values()
    for accelerator, by_type in family.get("accelerators", {}).items()
    for machine_type, counts in by_type.items()
]
_ACCELERATORS = sorted({a for _, a, _ in _TABLES} | {"NVIDIA_TESLA_K80", "TPU_V4_POD"})
_TOPOLOGIES = [
    (machine_type, topology)
    for family in _FAMILIES.values()
    for machine_type, topologies in family.get("tpu_topologies", {}).items()
    for topology in topologies
]


def _listed(counts: Any) -> list[int]:
    if isinstance(counts, list):
        return counts
    pods = [counts["pod_min"] * k for k in (1, 2)] + [counts["pod_min"] + 16]
    return [*counts.get("counts", []), *pods]


@st.composite
def catalog_machines(draw: st.DrawFn) -> dict[str, Any]:
    """MachineSpecs built from the machine catalog: valid triples (machine type,
    accelerator, count), counts the type does not take, accelerators of another family,
    CPU-only types with and without GPUs, sizes a known family lacks, unknown families,
    TPU topologies of the type and of others; sometimes a reservation."""
    kind = draw(st.sampled_from(["valid", "count", "wrong", "bare", "size", "tpu", "unknown"]))
    machine: dict[str, Any]
    if kind in ("valid", "count", "wrong"):
        machine_type, accelerator, counts = draw(st.sampled_from(_TABLES))
        if kind == "wrong":
            accelerator = draw(st.sampled_from(_ACCELERATORS))
        listed = _listed(counts) or [1]
        count = draw(st.sampled_from(listed if kind == "valid" else [1, 2, 3, 4, 8, 16, *listed]))
        machine = {"machine_type": machine_type, "accelerator_type": accelerator,
                   "accelerator_count": count}  # fmt: skip
    elif kind == "bare":
        family = draw(st.sampled_from(sorted(_FAMILIES)))
        machine = {"machine_type": draw(st.sampled_from(_FAMILIES[family]["types"]))}
        if draw(st.booleans()):
            machine["accelerator_type"] = draw(st.sampled_from(_ACCELERATORS))
    elif kind == "size":
        family = draw(st.sampled_from(sorted(_FAMILIES)))
        machine = {"machine_type": f"{family}-{draw(st.sampled_from(['3', '999', '2', '1g']))}"}
    elif kind == "tpu":
        machine_type, topology = draw(st.sampled_from(_TOPOLOGIES))
        topology = draw(st.sampled_from([topology, topology, "3x3", "2x2x1"]))
        machine = {"machine_type": machine_type, "tpu_topology": topology}
    else:
        machine = {"machine_type": draw(st.sampled_from(["zz-fake-9", "c3-standard-8"]))}
    if draw(st.integers(0, 4)) == 0:
        kinds = ["ANY_RESERVATION", "NO_RESERVATION"]
        machine["reservation_affinity"] = {
            "reservation_affinity_type": draw(st.sampled_from(kinds))
        }
    return machine


_MACHINE = st.one_of(
    message(
        "MachineSpec",
        required={"machine_type": st.sampled_from(EXAMPLES["machine_type"][:3] * 3 + ["n1"])},
    ),
    catalog_machines(),
    catalog_machines(),
)
_CONTAINER = message(
    "ContainerSpec", required={"image_uri": st.sampled_from(EXAMPLES["image_uri"][:2] * 3 + [""])}
)
_PACKAGE = message(
    "PythonPackageSpec",
    required={
        "executor_image_uri": st.just(EXAMPLES["executor_image_uri"][0]),
        "package_uris": st.sampled_from(EXAMPLES["package_uris"]),
        "python_module": st.sampled_from(EXAMPLES["python_module"]),
    },
)


@st.composite
def _pool(draw: st.DrawFn, index: int) -> dict[str, Any]:
    if index > 0 and draw(st.integers(0, 5)) == 0:
        return {}  # a placeholder pool
    required: dict[str, Any] = {"machine_spec": _MACHINE}
    task = draw(st.integers(0, 4))
    if task < 3:
        required["container_spec"] = _CONTAINER
    elif task == 3:
        required["python_package_spec"] = _PACKAGE
    base = draw(message("WorkerPoolSpec", required=required, depth=1))
    if task == 3:
        base.pop("container_spec", None)
    elif task < 3:
        base.pop("python_package_spec", None)
    if "replica_count" in base and draw(st.booleans()):
        base["replica_count"] = 1 if index == 0 else max(1, base["replica_count"])
    return base


@st.composite
def custom_jobs(draw: st.DrawFn) -> dict[str, Any]:
    """A CustomJob (display_name, job_spec, labels, encryption_spec): right shape and
    types, 1 to 5 pools (5 is one too many), values near the rules' edges."""
    count = draw(st.integers(1, 5))
    pools = [draw(_pool(i)) for i in range(count)]
    spec = draw(message("CustomJobSpec", required={"worker_pool_specs": st.just(pools)}))
    job = draw(
        message(
            "CustomJob",
            required={
                "display_name": st.sampled_from(["train"] * 4 + EXAMPLES["display_name"]),
                "job_spec": st.just(spec),
            },
        )
    )
    return job


@st.composite
def persistent_resources(draw: st.DrawFn) -> dict[str, Any]:
    """PersistentResource inputs (with resource_id): right shape, values near the edges."""
    pools = draw(
        st.lists(
            message("ResourcePool", required={"machine_spec": _MACHINE}, depth=1),
            min_size=1,
            max_size=3,
        )
    )
    return draw(
        message(
            "PersistentResourceInput",
            required={
                "resource_id": st.sampled_from(["warm"] * 3 + EXAMPLES["resource_id"]),
                "resource_pools": st.just(pools),
            },
        )
    )


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["n1-standard-4", "gs://b/x", "2h", "NVIDIA_TESLA_T4", "-1s"]),
    st.just(UNKNOWN),
)
_KEYS = st.one_of(
    st.sampled_from(sorted({f for table in MESSAGES.values() for f in table})), st.text(max_size=6)
)
trees = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=20,
)
"""Anything JSON-ish, with real field names as keys and UNKNOWN among the leaves."""


# -- TrainingPipelines (custom task) and the Model they upload --------------------------

EXAMPLES.update(
    {
        "artifact_uri": ["gs://models-bkt/m", "gs://models-bkt", "gs://b/m", "s3://b/m", ""],
        "version_aliases": [["prod"], ["default"], ["Prod"], ["prod", "prod"], ["a"], ["a-"],
                            ["x" * 128], ["x" * 129], []],
        "predict_route": ["/predict", "predict", ""],
        "health_route": ["/health", "health"],
        "container_port": [0, 1, 8080, 65535, 65536],
        "instance_schema_uri": ["gs://models-bkt/i.yaml", "http://x/i.yaml"],
        "model_id": ["churn", "churn_2", "9lives", "-m", "Churn", "a" * 63, "a" * 64, ""],
        "parent_model": ["projects/p/locations/us-central1/models/1",
                         "projects/p/locations/us-central1/models/1@2",
                         "projects/p/locations/europe-west4/models/1", "models/1", ""],
    }
)  # fmt: skip
"""Values at the Model rules' edges (aliases, routes, ports, ids, parent model forms)."""


@st.composite
def training_pipelines(draw: st.DrawFn) -> dict[str, Any]:
    """vt.TrainingPipeline inputs: ``job_spec`` a generated CustomJobSpec (as for
    :func:`custom_jobs`), often a ``model_to_upload`` with a serving container, and
    sometimes ``model_id``/``parent_model`` (with or without a model), labels, CMEK."""
    job = draw(custom_jobs())
    pipeline: dict[str, Any] = {"display_name": job["display_name"], "job_spec": job["job_spec"]}
    if draw(st.integers(0, 3)):
        container = message(
            "ModelContainerSpec",
            required={"image_uri": st.sampled_from(EXAMPLES["image_uri"][:2] * 3 + [""])},
        )
        required: dict[str, Any] = {"display_name": st.sampled_from(["model"] * 3 + ["", _LONG])}
        if draw(st.integers(0, 5)):
            required["container_spec"] = container
        pipeline["model_to_upload"] = draw(message("Model", required=required, depth=1))
    extra = message("TrainingPipelineInput", depth=1).map(
        lambda fields: {
            k: v
            for k, v in fields.items()
            if k in ("model_id", "parent_model", "labels", "encryption_spec")
        }
    )
    pipeline.update(draw(extra))
    return pipeline
