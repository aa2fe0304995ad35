"""Valid bases (minimal and every-field) and a path-based mutator for the spec tests."""

from __future__ import annotations

import copy
import re
from typing import Any

DELETE = object()
"""Pass as the value to ``mutate`` to remove the field."""

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def mutate(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``obj`` with ``path`` (``a.b[1].c``) set to ``value``
    (intermediate dicts are created; DELETE removes the field)."""
    out = copy.deepcopy(obj)
    tokens = [(m[1], m[2]) for m in _TOKEN.finditer(path)]
    node: Any = out
    for (name, idx), nxt in zip(tokens, [*tokens[1:], None], strict=True):
        key: Any = name if name else int(idx)
        if nxt is None:
            if value is DELETE:
                del node[key]
            elif isinstance(node, list) and key == len(node):
                node.append(value)
            else:
                node[key] = value
            break
        if isinstance(node, dict) and key not in node:
            node[key] = {}
        elif isinstance(node, list) and key == len(node):
            node.append({})
        node = node[key]
    return out


def make_job() -> dict[str, Any]:
    """A minimal valid CustomJob input (snake_case)."""
    return {
        "display_name": "train",
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": {"machine_type": "n1-standard-4"},
                    "replica_count": 1,
                    "container_spec": {"image_uri": "us-docker.pkg.dev/p/r/trainer:1"},
                }
            ]
        },
    }


def make_resource() -> dict[str, Any]:
    """A minimal valid PersistentResource input."""
    return {
        "resource_id": "warm-pool",
        "resource_pools": [{"machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 2}],
    }


NET = "projects/123456/global/networks/vpc"
KMS = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
CTX = "projects/p/locations/us-central1/metadataStores/default/contexts/"


def full_job() -> dict[str, Any]:
    """A CustomJob input that sets every input field of every message at least once."""
    package_pool = {
        "machine_spec": {
            "machine_type": "a2-highgpu-1g",
            "accelerator_type": "NVIDIA_TESLA_A100",
            "accelerator_count": 1,
            "gpu_partition_size": "1g.10gb",
            "reservation_affinity": {
                "reservation_affinity_type": "SPECIFIC_RESERVATION",
                "key": "compute.googleapis.com/reservation-name",
                "values": ["projects/p/zones/us-central1-a/reservations/r1"],
            },
        },
        "replica_count": 2,
        "python_package_spec": {
            "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/tf-gpu.2-12.py310:latest",
            "package_uris": ["gs://my-bucket/trainer-0.1.tar.gz"],
            "python_module": "trainer.task",
            "args": ["--epochs", "3"],
            "env": [{"name": "MODE", "value": "worker"}],
        },
        "disk_spec": {"boot_disk_type": "pd-standard", "boot_disk_size_gb": 200},
    }
    return {
        "display_name": "full",
        "labels": {"team": "ml", "env": "dev"},
        "encryption_spec": {"kms_key_name": KMS},
        "job_spec": {
            "worker_pool_specs": [
                {
                    "machine_spec": package_pool["machine_spec"],
                    "replica_count": 1,
                    "container_spec": {
                        "image_uri": "us-docker.pkg.dev/p/r/trainer@sha256:" + "a" * 64,
                        "command": ["python", "-m", "trainer"],
                        "args": ["--lr", "0.1"],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "$(A)"}],
                    },
                    "disk_spec": {"boot_disk_type": "pd-ssd", "boot_disk_size_gb": 100},
                    "nfs_mounts": [{"server": "10.0.0.2", "path": "/data", "mount_point": "data"}],
                    "lustre_mounts": [
                        {
                            "instance_ip": "10.0.0.3",
                            "volume_handle": "vol-1",
                            "filesystem": "lfs",
                            "mount_point": "scratch",
                        }
                    ],
                },
                package_pool,
                {},
                package_pool,
            ],
            "scheduling": {
                "timeout": "2h",
                "restart_job_on_worker_restart": True,
                "strategy": "FLEX_START",
                "disable_retries": True,
                "max_wait_duration": "30m",
            },
            "service_account": "trainer@p.iam.gserviceaccount.com",
            "network": NET,
            "reserved_ip_ranges": ["vertex-range"],
            "base_output_directory": {"output_uri_prefix": "gs://my-bucket/out/"},
            "protected_artifact_location_id": "europe-west4",
            "tensorboard": "projects/p/locations/us-central1/tensorboards/42",
            "enable_web_access": True,
            "enable_dashboard_access": True,
            "experiment": CTX + "exp",
            "experiment_run": CTX + "exp-run1",
            "models": ["projects/p/locations/us-central1/models/m@2"],
            "persistent_resource_id": "warm-pool",
        },
    }


def full_job_tpu() -> dict[str, Any]:
    """TPU fields (and SPOT, which FLEX_START's one-machine rule would not allow here);
    a TPU job has one worker pool."""
    job = full_job()
    del job["job_spec"]["worker_pool_specs"][1:]
    job["job_spec"]["worker_pool_specs"][0]["machine_spec"] = {
        "machine_type": "ct5lp-hightpu-4t",
        "accelerator_type": "TPU_V5_LITEPOD",
        "accelerator_count": 4,
        "tpu_topology": "2x2",
        "reservation_affinity": {"reservation_affinity_type": "ANY_RESERVATION"},
    }
    job["job_spec"]["scheduling"] = {"timeout": "30d", "strategy": "SPOT"}
    return job


def full_job_psc() -> dict[str, Any]:
    """The network alternative: PSC-I with DNS peering, in place of network peering."""
    job = full_job()
    del job["job_spec"]["network"], job["job_spec"]["reserved_ip_ranges"]
    job["job_spec"]["psc_interface_config"] = {
        "network_attachment": "projects/p/regions/us-central1/networkAttachments/att",
        "dns_peering_configs": [
            {"domain": "corp.example.", "target_project": "p", "target_network": "vpc"}
        ],
    }
    return job
