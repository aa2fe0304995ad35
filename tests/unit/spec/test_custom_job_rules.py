"""Each CustomJob rule: a valid base, one mutation per row, the failure's path and reason."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vertex_training.spec import normalize_custom_job
from tests.unit.spec.spec_cases import DELETE, full_job, make_job, mutate

P0 = "job_spec.worker_pool_specs[0]"
P1 = "job_spec.worker_pool_specs[1]"
MS = f"{P0}.machine_spec"
CS = f"{P0}.container_spec"
PP = f"{P0}.python_package_spec"
SCHED = "job_spec.scheduling"
NET = "projects/123456/global/networks/vpc"
KMS = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
CONTEXT = "projects/p/locations/us-central1/metadataStores/default/contexts/"
WORKER = {
    "machine_spec": {"machine_type": "n1-standard-4"},
    "replica_count": 2,
    "container_spec": {"image_uri": "img"},
}
PACKAGE = {
    "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-12.py310:latest",
    "package_uris": ["gs://my-bucket/trainer-0.1.tar.gz"],
    "python_module": "trainer.task",
}


def _pool0_package(**changes: Any) -> dict[str, Any]:
    job = mutate(make_job(), f"{P0}.container_spec", DELETE)
    return mutate(job, PP, {**PACKAGE, **changes})


# (id, mutations [(path, value)], expected failure path, phrase in the reason)
CASES: list[tuple[str, list[tuple[str, Any]], str, str]] = [
    ("display_name missing", [("display_name", DELETE)], "display_name", "required"),
    ("display_name empty", [("display_name", "")], "display_name", "required"),
    ("display_name too long", [("display_name", "x" * 129)], "display_name", "at most 128"),
    ("display_name not a string", [("display_name", 5)], "display_name", "must be a string"),
    (
        "display_name with a newline",
        [("display_name", "train\nFAILED")],
        "display_name",
        "control character '\\n' at position 5",
    ),
    (
        "display_name with a terminal escape",
        [("display_name", "\x1b[2Jtrain")],
        "display_name",
        "control character",
    ),
    ("display_name with NUL", [("display_name", "train\x00")], "display_name", "control"),
    ("display_name with DEL", [("display_name", "a\x7f")], "display_name", "control"),
    ("display_name only a tab", [("display_name", "\t")], "display_name", "blank"),
    ("job_spec missing", [("job_spec", DELETE)], "job_spec", "required"),
    ("job_spec not an object", [("job_spec", "x")], "job_spec", "must be an object"),
    ("no pools", [("job_spec.worker_pool_specs", [])], "job_spec.worker_pool_specs", "1 to 4"),
    (
        "pools not a list",
        [("job_spec.worker_pool_specs", "x")],
        "job_spec.worker_pool_specs",
        "must be a list",
    ),
    ("pool 0 empty", [(P0, {})], P0, "must not be empty"),
    ("pool 0 two replicas", [(f"{P0}.replica_count", 2)], f"{P0}.replica_count", "must be 1"),
    (
        "pool 1 zero replicas",
        [(P1, {**WORKER, "replica_count": 0})],
        f"{P1}.replica_count",
        "write {}",
    ),
    (
        "pool 1 negative replicas",
        [(P1, {**WORKER, "replica_count": -1})],
        f"{P1}.replica_count",
        "1 or more",
    ),
    (
        "pool 1 over the replica cap",
        [(P1, {**WORKER, "replica_count": 1001})],
        f"{P1}.replica_count",
        "at most 1000",
    ),
    (
        "pool 1 with 2**31 - 1 replicas",
        [(P1, {**WORKER, "replica_count": 2**31 - 1})],
        f"{P1}.replica_count",
        "at most 1000",
    ),
    (
        "replica_count not whole",
        [(f"{P0}.replica_count", 1.5)],
        f"{P0}.replica_count",
        "whole number",
    ),
    ("machine_spec missing", [(f"{P0}.machine_spec", DELETE)], MS, "required"),
    ("machine_type missing", [(f"{MS}.machine_type", DELETE)], f"{MS}.machine_type", "required"),
    (
        "machine_type with spaces",
        [(f"{MS}.machine_type", "n1 standard 4")],
        f"{MS}.machine_type",
        "did you mean 'n1-standard-4'",
    ),
    (
        "machine_type upper case",
        [(f"{MS}.machine_type", "N1-STANDARD-4")],
        f"{MS}.machine_type",
        "lowercase",
    ),
    (
        "machine_type one word",
        [(f"{MS}.machine_type", "standard")],
        f"{MS}.machine_type",
        "like n1-standard-4",
    ),
    (
        "accelerator count without type",
        [(f"{MS}.accelerator_count", 2)],
        f"{MS}.accelerator_count",
        "needs an accelerator_type",
    ),
    (
        "accelerator type with count 0",
        [(f"{MS}.accelerator_type", "NVIDIA_TESLA_T4"), (f"{MS}.accelerator_count", 0)],
        f"{MS}.accelerator_count",
        "1 or more",
    ),
    (
        "accelerator count negative",
        [(f"{MS}.accelerator_type", "NVIDIA_TESLA_T4"), (f"{MS}.accelerator_count", -2)],
        f"{MS}.accelerator_count",
        "1 or more",
    ),
    (
        "accelerator type unknown",
        [(f"{MS}.accelerator_type", "NVIDIA_TESLA_T5")],
        f"{MS}.accelerator_type",
        "did you mean NVIDIA_TESLA_T4",
    ),
    (
        "accelerator type number out of range",
        [(f"{MS}.accelerator_type", 99)],
        f"{MS}.accelerator_type",
        "not a AcceleratorType number",
    ),
    (
        "accelerator type wrong type",
        [(f"{MS}.accelerator_type", ["T4"])],
        f"{MS}.accelerator_type",
        "must be a string",
    ),
    (
        "accelerator type bool",
        [(f"{MS}.accelerator_type", True)],
        f"{MS}.accelerator_type",
        "must be one of",
    ),
    (
        "accelerator_count int32 overflow",
        [(f"{MS}.accelerator_count", 2**40)],
        f"{MS}.accelerator_count",
        "int32",
    ),
    (
        "gpu partition format",
        [(f"{MS}.accelerator_type", "NVIDIA_TESLA_A100"), (f"{MS}.gpu_partition_size", "1g10gb")],
        f"{MS}.gpu_partition_size",
        "1g.10gb",
    ),
    (
        "gpu partition without accelerator",
        [(f"{MS}.gpu_partition_size", "1g.10gb")],
        f"{MS}.gpu_partition_size",
        "needs an accelerator_type",
    ),
    ("tpu topology format", [(f"{MS}.tpu_topology", "2by2")], f"{MS}.tpu_topology", "2x2"),
    (
        "reservation type missing",
        [(f"{MS}.reservation_affinity", {"key": "k"})],
        f"{MS}.reservation_affinity.reservation_affinity_type",
        "required",
    ),
    (
        "reservation key without specific",
        [
            (
                f"{MS}.reservation_affinity",
                {"reservation_affinity_type": "ANY_RESERVATION", "key": "k"},
            )
        ],
        f"{MS}.reservation_affinity.key",
        "only allowed with SPECIFIC_RESERVATION",
    ),
    (
        "reservation values without specific",
        [
            (
                f"{MS}.reservation_affinity",
                {"reservation_affinity_type": "NO_RESERVATION", "values": ["v"]},
            )
        ],
        f"{MS}.reservation_affinity.values",
        "only allowed with SPECIFIC_RESERVATION",
    ),
    (
        "specific reservation without key",
        [
            (
                f"{MS}.reservation_affinity",
                {"reservation_affinity_type": "SPECIFIC_RESERVATION", "values": ["v"]},
            )
        ],
        f"{MS}.reservation_affinity.key",
        "compute.googleapis.com/reservation-name",
    ),
    (
        "specific reservation without values",
        [(f"{MS}.reservation_affinity", {"reservation_affinity_type": "SPECIFIC", "key": "k"})],
        f"{MS}.reservation_affinity.values",
        "required",
    ),
    (
        "specific reservation bad name",
        [
            (
                f"{MS}.reservation_affinity",
                {
                    "reservation_affinity_type": "SPECIFIC_RESERVATION",
                    "key": "compute.googleapis.com/reservation-name",
                    "values": ["my-res"],
                },
            )
        ],
        f"{MS}.reservation_affinity.values[0]",
        "projects/{project}/zones/{zone}/reservations",
    ),
    (
        "no task",
        [(f"{P0}.container_spec", DELETE)],
        f"{P0}.container_spec",
        "container_spec or python_package_spec",
    ),
    ("both tasks", [(PP, PACKAGE)], PP, "not both"),
    ("image_uri missing", [(f"{CS}.image_uri", DELETE)], f"{CS}.image_uri", "required"),
    ("image_uri with spaces", [(f"{CS}.image_uri", "img :1")], f"{CS}.image_uri", "without spaces"),
    (
        "command not a list",
        [(f"{CS}.command", "python train.py")],
        f"{CS}.command",
        "must be a list",
    ),
    ("args item is a dict", [(f"{CS}.args", [{"a": 1}])], f"{CS}.args[0]", "must be a string"),
    (
        "env name not identifier",
        [(f"{CS}.env", [{"name": "1X", "value": "v"}])],
        f"{CS}.env[0].name",
        "C identifier",
    ),
    ("env name missing", [(f"{CS}.env", [{"value": "v"}])], f"{CS}.env[0].name", "required"),
    (
        "env duplicate",
        [(f"{CS}.env", [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}])],
        f"{CS}.env[1].name",
        "duplicate",
    ),
    (
        "env too many",
        [(f"{CS}.env", {f"V{i}": "x" for i in range(101)})],
        f"{CS}.env",
        "at most 100",
    ),
    ("env value bool", [(f"{CS}.env", {"A": True})], f"{CS}.env[0].value", "must be a string"),
    (
        "env unknown key",
        [(f"{CS}.env", [{"name": "A", "val": "1"}])],
        f"{CS}.env[0].val",
        "did you mean 'value'",
    ),
    (
        "disk type",
        [(f"{P0}.disk_spec", {"boot_disk_type": "pd-fast"})],
        f"{P0}.disk_spec.boot_disk_type",
        "pd-ssd",
    ),
    (
        "disk too small",
        [(f"{P0}.disk_spec", {"boot_disk_size_gb": 50})],
        f"{P0}.disk_spec.boot_disk_size_gb",
        "between 100 and 64000",
    ),
    (
        "disk too big",
        [(f"{P0}.disk_spec", {"boot_disk_size_gb": 65000})],
        f"{P0}.disk_spec.boot_disk_size_gb",
        "between 100 and 64000",
    ),
    (
        "nfs missing fields",
        [(f"{P0}.nfs_mounts", [{"server": "10.0.0.2"}])],
        f"{P0}.nfs_mounts[0].path",
        "required",
    ),
    (
        "nfs relative path",
        [(f"{P0}.nfs_mounts", [{"server": "s", "path": "x", "mount_point": "m"}])],
        f"{P0}.nfs_mounts[0].path",
        "start with '/'",
    ),
    (
        "nfs nested mount point",
        [(f"{P0}.nfs_mounts", [{"server": "s", "path": "/x", "mount_point": "a/b"}])],
        f"{P0}.nfs_mounts[0].mount_point",
        "one directory name",
    ),
    (
        "nfs duplicate mount point",
        [
            (
                f"{P0}.nfs_mounts",
                [
                    {"server": "s", "path": "/x", "mount_point": "m"},
                    {"server": "t", "path": "/y", "mount_point": "m"},
                ],
            )
        ],
        f"{P0}.nfs_mounts[1].mount_point",
        "unique",
    ),
    (
        "lustre missing fields",
        [(f"{P0}.lustre_mounts", [{"instance_ip": "10.0.0.3"}])],
        f"{P0}.lustre_mounts[0].filesystem",
        "required",
    ),
    (
        "mounts not objects",
        [(f"{P0}.nfs_mounts", ["x"])],
        f"{P0}.nfs_mounts[0]",
        "must be an object",
    ),
    ("timeout zero", [(f"{SCHED}.timeout", 0)], f"{SCHED}.timeout", "more than 0"),
    ("timeout negative", [(f"{SCHED}.timeout", "-5s")], f"{SCHED}.timeout", "more than 0"),
    ("timeout garbage", [(f"{SCHED}.timeout", "two hours")], f"{SCHED}.timeout", '"2h"'),
    (
        "flex start over 7 days",
        [(f"{SCHED}.strategy", "FLEX_START"), (f"{SCHED}.timeout", "8d")],
        f"{SCHED}.timeout",
        "at most 7 days",
    ),
    (
        "flex start without gpu",
        [(f"{SCHED}.strategy", "FLEX_START")],
        f"{MS}.accelerator_type",
        "needs GPUs",
    ),
    (
        "flex start with t4",
        [(f"{SCHED}.strategy", "FLEX_START"), (f"{MS}.accelerator_type", "NVIDIA_TESLA_T4")],
        f"{MS}.accelerator_type",
        "NVIDIA_L4",
    ),
    (
        "flex start with mixed machines",
        [
            (f"{SCHED}.strategy", "FLEX_START"),
            (f"{MS}.accelerator_type", "NVIDIA_L4"),
            (
                P1,
                {
                    **WORKER,
                    "machine_spec": {
                        "machine_type": "g2-standard-24",
                        "accelerator_type": "NVIDIA_L4",
                    },
                },
            ),
        ],
        f"{P1}.machine_spec",
        "same machine_spec as worker_pool_specs[0]",
    ),
    (
        "max wait without flex start",
        [(f"{SCHED}.max_wait_duration", "1h")],
        f"{SCHED}.max_wait_duration",
        "only applies with strategy FLEX_START",
    ),
    (
        "max wait with spot",
        [(f"{SCHED}.strategy", "SPOT"), (f"{SCHED}.max_wait_duration", "1h")],
        f"{SCHED}.max_wait_duration",
        "got strategy SPOT",
    ),
    (
        "max wait negative",
        [(f"{SCHED}.strategy", "FLEX_START"), (f"{SCHED}.max_wait_duration", -1)],
        f"{SCHED}.max_wait_duration",
        "0 (wait",
    ),
    ("strategy unknown", [(f"{SCHED}.strategy", "CHEAP")], f"{SCHED}.strategy", "allowed:"),
    (
        "disable_retries not bool",
        [(f"{SCHED}.disable_retries", "yes")],
        f"{SCHED}.disable_retries",
        "true or false",
    ),
    (
        "service account not email",
        [("job_spec.service_account", "trainer")],
        "job_spec.service_account",
        "email",
    ),
    (
        "network with project id",
        [("job_spec.network", "projects/my-proj/global/networks/vpc")],
        "job_spec.network",
        "project number",
    ),
    (
        "network bad form",
        [("job_spec.network", "vpc")],
        "job_spec.network",
        "projects/{project_number}/global/networks/{network}",
    ),
    (
        "network as URL",
        [
            (
                "job_spec.network",
                "https://www.googleapis.com/compute/v1/projects/1/global/networks/vpc",
            )
        ],
        "job_spec.network",
        "without",
    ),
    (
        "network bad name",
        [("job_spec.network", "projects/1/global/networks/My_VPC")],
        "job_spec.network",
        "network name",
    ),
    (
        "network and psc",
        [
            ("job_spec.network", NET),
            ("job_spec.psc_interface_config", {"network_attachment": "att"}),
        ],
        "job_spec.psc_interface_config",
        "not both",
    ),
    (
        "reserved range empty",
        [("job_spec.network", NET), ("job_spec.reserved_ip_ranges", ["r", ""])],
        "job_spec.reserved_ip_ranges[1]",
        "reserved range name",
    ),
    (
        "reserved ranges without network",
        [("job_spec.reserved_ip_ranges", ["r"])],
        "job_spec.reserved_ip_ranges",
        "needs network",
    ),
    (
        "psc dns domain without dot",
        [
            (
                "job_spec.psc_interface_config",
                {
                    "dns_peering_configs": [
                        {"domain": "corp.example", "target_project": "p", "target_network": "n"}
                    ]
                },
            )
        ],
        "job_spec.psc_interface_config.dns_peering_configs[0].domain",
        "end with '.'",
    ),
    (
        "psc dns missing fields",
        [("job_spec.psc_interface_config", {"dns_peering_configs": [{"domain": "corp."}]})],
        "job_spec.psc_interface_config.dns_peering_configs[0].target_project",
        "required",
    ),
    (
        "psc attachment bad full name",
        [
            (
                "job_spec.psc_interface_config",
                {"network_attachment": "projects/p/networkAttachments/a"},
            )
        ],
        "job_spec.psc_interface_config.network_attachment",
        "networkAttachments",
    ),
    (
        "base output not gs",
        [("job_spec.base_output_directory", {"output_uri_prefix": "/tmp/out"})],
        "job_spec.base_output_directory.output_uri_prefix",
        "gs://",
    ),
    (
        "base output empty",
        [("job_spec.base_output_directory", {"output_uri_prefix": ""})],
        "job_spec.base_output_directory.output_uri_prefix",
        "required",
    ),
    (
        "protected location",
        [("job_spec.protected_artifact_location_id", "Central")],
        "job_spec.protected_artifact_location_id",
        "us-central1",
    ),
    (
        "tensorboard form",
        [("job_spec.tensorboard", "tb-1")],
        "job_spec.tensorboard",
        "tensorboards/{tensorboard}",
    ),
    ("experiment form", [("job_spec.experiment", "exp")], "job_spec.experiment", "metadataStores"),
    (
        "experiment run form",
        [("job_spec.experiment_run", "run")],
        "job_spec.experiment_run",
        "metadataStores",
    ),
    (
        "experiment run of another experiment",
        [
            ("job_spec.experiment", CONTEXT + "exp"),
            ("job_spec.experiment_run", CONTEXT + "other-run1"),
        ],
        "job_spec.experiment_run",
        "'exp-'",
    ),
    ("models form", [("job_spec.models", ["m1"])], "job_spec.models[0]", "models/{model}"),
    (
        "persistent resource id form",
        [("job_spec.persistent_resource_id", "Warm_Pool")],
        "job_spec.persistent_resource_id",
        "lowercase",
    ),
    (
        "enable_web_access not bool",
        [("job_spec.enable_web_access", 1)],
        "job_spec.enable_web_access",
        "true or false",
    ),
    ("labels key upper", [("labels", {"Team": "a"})], 'labels["Team"]', "lowercase letter"),
    (
        "labels key starts with a symbol",
        [("labels", {"_team": "a"})],
        'labels["_team"]',
        "lowercase letter",
    ),
    (
        "labels key bad char",
        [("labels", {"team.name": "a"})],
        'labels["team.name"]',
        "may contain only",
    ),
    ("labels key empty", [("labels", {"": "a"})], 'labels[""]', "not be empty"),
    ("labels key too long", [("labels", {"k" * 64: "a"})], f'labels["{"k" * 64}"]', "at most 63"),
    ("labels value too long", [("labels", {"k": "v" * 64})], 'labels["k"]', "at most 63"),
    ("labels value upper", [("labels", {"k": "V"})], 'labels["k"]', "may contain only"),
    ("labels too many", [("labels", {f"k{i}": "v" for i in range(65)})], "labels", "at most 64"),
    ("labels not a mapping", [("labels", ["a"])], "labels", "mapping"),
    ("labels value a list", [("labels", {"k": ["v"]})], 'labels["k"]', "must be a string"),
    ("kms missing", [("encryption_spec", {})], "encryption_spec.kms_key_name", "required"),
    (
        "kms bad form",
        [("encryption_spec", {"kms_key_name": "key"})],
        "encryption_spec.kms_key_name",
        "keyRings",
    ),
    ("unknown top-level key", [("displayname", "x")], "displayname", "did you mean"),
    ("unknown key without a close one", [("job_spec.zzz", 1)], "job_spec.zzz", "known:"),
    (
        "key given twice",
        [("job_spec.workerPoolSpecs", [])],
        "job_spec.worker_pool_specs",
        "given twice",
    ),
    ("output-only field", [("state", "JOB_STATE_RUNNING")], "state", "unknown field"),
]

PACKAGE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("executor missing", {"executor_image_uri": None}, f"{PP}.executor_image_uri", "required"),
    ("module missing", {"python_module": None}, f"{PP}.python_module", "required"),
    (
        "module not dotted name",
        {"python_module": "trainer/task.py"},
        f"{PP}.python_module",
        "dotted Python module",
    ),
    ("packages missing", {"package_uris": None}, f"{PP}.package_uris", "required"),
    ("packages empty", {"package_uris": []}, f"{PP}.package_uris", "required"),
    ("package not gs", {"package_uris": ["https://x/p.tar.gz"]}, f"{PP}.package_uris[0]", "gs://"),
    (
        "too many packages",
        {"package_uris": [f"gs://my-bucket/p{i}.whl" for i in range(101)]},
        f"{PP}.package_uris",
        "at most 100",
    ),
    (
        "package env bad",
        {"env": [{"name": "A-B", "value": "1"}]},
        f"{PP}.env[0].name",
        "C identifier",
    ),
]


def _paths(job: dict[str, Any]) -> dict[str, str]:
    return {f.path: f.reason for f in normalize_custom_job(job).failures}


def test_base_job_is_valid() -> None:
    assert normalize_custom_job(make_job()).failures == []


@pytest.mark.parametrize(
    ("mutations", "path", "phrase"),
    [pytest.param(m, p, r, id=i) for i, m, p, r in CASES],
)
def test_failure_is_reported_when_rule_is_broken(
    mutations: list[tuple[str, Any]], path: str, phrase: str
) -> None:
    job = make_job()
    for where, value in mutations:
        job = mutate(job, where, value)
    failures = _paths(job)
    assert path in failures, failures
    assert phrase in failures[path]


@pytest.mark.parametrize(
    ("changes", "path", "phrase"), [pytest.param(c, p, r, id=i) for i, c, p, r in PACKAGE_CASES]
)
def test_failure_is_reported_when_python_package_rule_is_broken(
    changes: dict[str, Any], path: str, phrase: str
) -> None:
    failures = _paths(_pool0_package(**changes))
    assert path in failures, failures
    assert phrase in failures[path]


def test_python_package_pool_is_valid_when_complete() -> None:
    assert normalize_custom_job(_pool0_package()).failures == []


def test_more_than_four_pools_is_a_failure() -> None:
    job = mutate(
        make_job(),
        "job_spec.worker_pool_specs",
        [make_job()["job_spec"]["worker_pool_specs"][0], WORKER, {}, {}, {}],
    )
    failures = _paths(job)
    assert "at most 4 worker pools" in failures["job_spec.worker_pool_specs"]


def test_four_pools_with_placeholders_are_valid() -> None:
    job = mutate(make_job(), P1, WORKER)
    job = mutate(job, "job_spec.worker_pool_specs[2]", {})
    job = mutate(job, "job_spec.worker_pool_specs[3]", WORKER)
    assert normalize_custom_job(job).failures == []


def test_all_failures_are_reported_at_once_when_many_rules_break() -> None:
    job = mutate(make_job(), "display_name", "")
    job = mutate(job, f"{MS}.machine_type", "N1")
    job = mutate(job, "job_spec.service_account", "x")
    job = mutate(job, "labels", {"A": "b"})
    assert len(normalize_custom_job(job).failures) == 4


def test_failure_message_shows_value_when_printed() -> None:
    failure = normalize_custom_job(mutate(make_job(), "job_spec.service_account", "bob")).failures
    assert str(failure[0]).startswith("job_spec.service_account: must be a service account")
    assert "(got 'bob')" in str(failure[0])


def test_specific_reservation_is_valid_when_complete() -> None:
    job = mutate(
        make_job(),
        f"{MS}.reservation_affinity",
        {
            "reservation_affinity_type": "SPECIFIC_RESERVATION",
            "key": "compute.googleapis.com/reservation-name",
            "values": ["projects/p/zones/us-central1-a/reservations/r1"],
        },
    )
    assert normalize_custom_job(job).failures == []


def test_kms_key_in_another_region_is_a_failure_when_location_known() -> None:
    job = mutate(make_job(), "encryption_spec", {"kms_key_name": KMS})
    assert normalize_custom_job(job, location="us-central1").failures == []
    failures = normalize_custom_job(job, location="europe-west4").failures
    assert failures[0].path == "encryption_spec.kms_key_name"
    assert "europe-west4" in failures[0].reason


def test_every_field_is_accepted_when_valid() -> None:
    assert normalize_custom_job(full_job()).failures == []


def test_international_label_is_valid() -> None:
    assert normalize_custom_job(mutate(make_job(), "labels", {"équipe": "données"})).ok


def test_pool_with_as_many_replicas_as_the_cap_is_valid() -> None:
    job = mutate(make_job(), P1, {**WORKER, "replica_count": 1000})
    assert normalize_custom_job(job).failures == []
