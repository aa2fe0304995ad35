"""The machine catalog's rules as one table, run against check() (spec/) and the emulator.

Each case changes pool 0 of a valid CustomJob (its machine_spec, and optionally more of
the job) and names the field blamed and check()'s exact message. ``warns`` cases are
accepted on both sides (check() warns); the others are refused on both sides, and the
emulator's INVALID_ARGUMENT must name the same field.
tests/unit/spec/test_machine_rules.py runs the table against check(),
tests/unit/emulator/test_machine_validation.py against the emulator's own validation
(protobuf requests parsed from the same dicts: give accelerator_count wherever
accelerator_type is given, as check() does by default),
tests/emulator/custom_jobs/test_validation.py over gRPC with Google's client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

P0 = "job_spec.worker_pool_specs[0]"
MS = f"{P0}.machine_spec"
GB200_RESERVATION = {"reservation_affinity_type": "ANY_RESERVATION"}


@dataclass(frozen=True)
class MachineCase:
    """One rule, broken (or warned about) once."""

    id: str
    machine: dict[str, Any]
    blamed: str
    message: str
    warns: bool = False
    job_spec: dict[str, Any] = field(default_factory=dict)
    """More job_spec fields (scheduling, more pools, service_account...)."""
    disk: dict[str, Any] | None = None
    """pool 0's disk_spec."""


def _pool(machine: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine_spec": machine,
        "replica_count": 1,
        "container_spec": {"image_uri": "local/python:3.11", "command": ["true"]},
    }


def job_for(case: MachineCase) -> dict[str, Any]:
    """A CustomJob (snake_case dict) with the case applied to pool 0."""
    pool = _pool(dict(case.machine))
    if case.disk is not None:
        pool["disk_spec"] = dict(case.disk)
    spec: dict[str, Any] = {"worker_pool_specs": [pool]}
    for key, value in case.job_spec.items():
        if key == "more_pools":
            spec["worker_pool_specs"] += [_pool(m) for m in value]
        else:
            spec[key] = value
    return {"display_name": "catalog", "job_spec": spec}


def _m(machine_type: str, accelerator: str | None = None, count: int | None = None, **more: Any):
    spec: dict[str, Any] = {"machine_type": machine_type, **more}
    if accelerator is not None:
        spec["accelerator_type"] = accelerator
    if count is not None:
        spec["accelerator_count"] = count
    return spec


T4_FAMILIES = "n1-standard, n1-highmem, n1-highcpu"
SA = "trainer@p.iam.gserviceaccount.com"

# fmt: off
CASES: list[MachineCase] = [
    # Machine types (the reproductions first).
    MachineCase("n1-standard-3", _m("n1-standard-3"), f"{MS}.machine_type",
                "n1-standard-3 is not a machine type for custom training; did you mean "
                "n1-standard-4? (n1-standard sizes: 4, 8, 16, 32, 64, 96)"),
    MachineCase("n1-standard-999", _m("n1-standard-999"), f"{MS}.machine_type",
                "n1-standard-999 is not a machine type for custom training; did you mean "
                "n1-standard-96? (n1-standard sizes: 4, 8, 16, 32, 64, 96)"),
    MachineCase("n1-highmem-3 between two sizes", _m("n1-highmem-3"), f"{MS}.machine_type",
                "n1-highmem-3 is not a machine type for custom training; did you mean "
                "n1-highmem-2 or n1-highmem-4? (n1-highmem sizes: 2, 4, 8, 16, 32, 64, 96)"),
    MachineCase("n1-standard-2 is not offered for training", _m("n1-standard-2"),
                f"{MS}.machine_type",
                "n1-standard-2 is not a machine type for custom training; did you mean "
                "n1-standard-4? (n1-standard sizes: 4, 8, 16, 32, 64, 96)"),
    MachineCase("a2-highgpu-3g", _m("a2-highgpu-3g", "NVIDIA_TESLA_A100", 3),
                f"{MS}.machine_type",
                "a2-highgpu-3g is not a machine type for custom training; did you mean "
                "a2-highgpu-2g or a2-highgpu-4g? (a2-highgpu sizes: 1g, 2g, 4g, 8g)"),
    MachineCase("a family name without a size", _m("g2-standard"), f"{MS}.machine_type",
                "g2-standard is not a machine type for custom training; did you mean "
                "g2-standard-4? (g2-standard sizes: 4, 8, 12, 16, 24, 32, 48, 96)"),
    MachineCase("zz-fake-9: a family the catalog does not know", _m("zz-fake-9"),
                f"{MS}.machine_type",
                "zz-fake-9 is not in the machine catalog (custom training machine types as "
                "of 2026-11-30); if Vertex AI does not offer it, creating the job fails",
                warns=True),
    # Accelerators on their machine types.
    MachineCase("three T4s on one machine", _m("n1-standard-4", "NVIDIA_TESLA_T4", 3),
                f"{MS}.accelerator_count",
                "n1-standard-4 takes 1, 2 or 4 NVIDIA_TESLA_T4, not 3"),
    MachineCase("eight T4s", _m("n1-standard-8", "NVIDIA_TESLA_T4", 8),
                f"{MS}.accelerator_count",
                "n1-standard-8 takes 1, 2 or 4 NVIDIA_TESLA_T4, not 8"),
    MachineCase("one T4 on a 96-vCPU machine", _m("n1-standard-96", "NVIDIA_TESLA_T4", 1),
                f"{MS}.accelerator_count",
                "n1-standard-96 takes 4 NVIDIA_TESLA_T4, not 1; 1 fits n1-standard-4, "
                "n1-standard-8 or n1-standard-16 (1 NVIDIA_TESLA_T4 serves at most 48 vCPUs "
                "and 312 GB)"),
    MachineCase("one V100 on n1-standard-32", _m("n1-standard-32", "NVIDIA_TESLA_V100", 1),
                f"{MS}.accelerator_count",
                "n1-standard-32 takes 4 or 8 NVIDIA_TESLA_V100, not 1; 1 fits n1-standard-4 or "
                "n1-standard-8 (1 NVIDIA_TESLA_V100 serves at most 12 vCPUs and 78 GB)"),
    MachineCase("a2-highgpu-1g with a T4", _m("a2-highgpu-1g", "NVIDIA_TESLA_T4", 1),
                f"{MS}.accelerator_type",
                "a2-highgpu-1g takes NVIDIA_TESLA_A100, not NVIDIA_TESLA_T4; NVIDIA_TESLA_T4 "
                f"runs on {T4_FAMILIES}"),
    MachineCase("a2-highgpu-1g with two A100s", _m("a2-highgpu-1g", "NVIDIA_TESLA_A100", 2),
                f"{MS}.accelerator_count",
                "a2-highgpu-1g takes 1 NVIDIA_TESLA_A100, not 2; 2 fit a2-highgpu-2g"),
    MachineCase("a2-ultragpu with 40GB A100s", _m("a2-ultragpu-8g", "NVIDIA_TESLA_A100", 8),
                f"{MS}.accelerator_type",
                "a2-ultragpu-8g takes NVIDIA_A100_80GB, not NVIDIA_TESLA_A100; "
                "NVIDIA_TESLA_A100 runs on a2-highgpu, a2-megagpu"),
    MachineCase("a3-highgpu-8g with A100s", _m("a3-highgpu-8g", "NVIDIA_TESLA_A100", 8),
                f"{MS}.accelerator_type",
                "a3-highgpu-8g takes NVIDIA_H100_80GB, not NVIDIA_TESLA_A100; "
                "NVIDIA_TESLA_A100 runs on a2-highgpu, a2-megagpu"),
    MachineCase("g2 with a T4", _m("g2-standard-8", "NVIDIA_TESLA_T4", 1),
                f"{MS}.accelerator_type",
                "g2-standard-8 takes NVIDIA_L4, not NVIDIA_TESLA_T4; NVIDIA_TESLA_T4 runs on "
                f"{T4_FAMILIES}"),
    MachineCase("g2-standard-24 with one L4", _m("g2-standard-24", "NVIDIA_L4", 1),
                f"{MS}.accelerator_count",
                "g2-standard-24 takes 2 NVIDIA_L4, not 1; 1 fits g2-standard-4, "
                "g2-standard-8, g2-standard-12, g2-standard-16 or g2-standard-32"),
    MachineCase("a GPU machine without its GPUs", _m("a2-highgpu-1g"), f"{MS}.accelerator_type",
                "a2-highgpu-1g needs an accelerator: NVIDIA_TESLA_A100 x 1"),
    MachineCase("g2 without its L4", _m("g2-standard-48"), f"{MS}.accelerator_type",
                "g2-standard-48 needs an accelerator: NVIDIA_L4 x 4"),
    MachineCase("a CPU-only machine with a GPU", _m("n2-standard-4", "NVIDIA_TESLA_T4", 1),
                f"{MS}.accelerator_type",
                f"n2-standard-4 takes no accelerators; NVIDIA_TESLA_T4 runs on {T4_FAMILIES}"),
    MachineCase("P100 too small for n1-standard-64", _m("n1-standard-64", "NVIDIA_TESLA_P100", 4),
                f"{MS}.accelerator_type",
                "NVIDIA_TESLA_P100 does not fit n1-standard-64; it fits n1-standard-4, "
                "n1-standard-8, n1-standard-16 or n1-standard-32"),
    MachineCase("a retired GPU", _m("n1-standard-4", "NVIDIA_TESLA_K80", 1),
                f"{MS}.accelerator_type",
                "NVIDIA_TESLA_K80 reached end of support; not among the GPUs offered for "
                "custom training"),
    MachineCase("a TPU enum on a GPU machine", _m("n1-standard-4", "TPU_V4_POD", 8),
                f"{MS}.accelerator_type",
                "n1-standard-4 takes NVIDIA_TESLA_P4, NVIDIA_TESLA_P100, NVIDIA_TESLA_T4 or "
                "NVIDIA_TESLA_V100, not TPU_V4_POD; TPU_V4_POD is not offered for custom "
                "training"),
    MachineCase("P100 is near its end of support", _m("n1-standard-4", "NVIDIA_TESLA_P100", 1),
                f"{MS}.accelerator_type",
                "NVIDIA_TESLA_P100: P100 GPUs reach end of support on September 15, 2026 "
                "(configure-compute); Vertex AI may refuse them after that date", warns=True),
    # TPUs.
    MachineCase("cloud-tpu without its TPUs", _m("cloud-tpu"), f"{MS}.accelerator_type",
                "cloud-tpu needs an accelerator: TPU_V2 x 8 (or a TPU Pod: 32 or more, a "
                "multiple of 32) or TPU_V3 x 8 (or a TPU Pod: 32 or more)"),
    MachineCase("16 TPU v2 cores", _m("cloud-tpu", "TPU_V2", 16), f"{MS}.accelerator_count",
                "cloud-tpu takes 8 TPU_V2 (or a TPU Pod: 32 or more, a multiple of 32), not 16"),
    MachineCase("a TPU v2 Pod of 48", _m("cloud-tpu", "TPU_V2", 48), f"{MS}.accelerator_count",
                "cloud-tpu takes 8 TPU_V2 (or a TPU Pod: 32 or more, a multiple of 32), not 48"),
    MachineCase("a TPU v3 Pod of 48", _m("cloud-tpu", "TPU_V3", 48), f"{MS}.accelerator_count",
                "cloud-tpu: 48 TPU_V3 is not a multiple of 32; for TPU_V3 the page says '8 for "
                "single TPU or 32+ for TPU Pods', not 'a multiple of 32' as for TPU_V2",
                warns=True),
    MachineCase("TPU v5e without a topology", _m("ct5lp-hightpu-4t"), f"{MS}.tpu_topology",
                "ct5lp-hightpu-4t needs a tpu_topology: 2x2, 2x4, 4x4, 4x8, 8x8, 8x16 or 16x16"),
    MachineCase("TPU v5e with a topology it has not", _m("ct5lp-hightpu-8t", tpu_topology="4x4"),
                f"{MS}.tpu_topology",
                "ct5lp-hightpu-8t takes tpu_topology 2x4, not 4x4"),
    MachineCase("TPU 7x topology", _m("tpu7x-standard-4t", tpu_topology="2x2"),
                f"{MS}.tpu_topology",
                "tpu7x-standard-4t takes tpu_topology 2x2x1, 2x2x2, 2x2x4, 2x4x4, 4x4x4, 4x4x8, "
                "4x8x8, 8x8x8 or 8x8x16, not 2x2"),
    MachineCase("TPU v5e with a GPU", _m("ct5lp-hightpu-1t", "NVIDIA_L4", 1, tpu_topology="1x1"),
                f"{MS}.accelerator_type",
                "ct5lp-hightpu-1t takes no accelerators; NVIDIA_L4 runs on g2-standard"),
    MachineCase("TPU v5e with TPU_V5_LITEPOD",
                _m("ct5lp-hightpu-4t", "TPU_V5_LITEPOD", 4, tpu_topology="2x2"),
                f"{MS}.accelerator_type",
                "ct5lp-hightpu-4t: TPU_V5_LITEPOD: the page configures TPU v5e by machine type "
                "and tpu_topology only; whether TPU_V5_LITEPOD may be set with it is not "
                "documented", warns=True),
    MachineCase("a topology on a GPU machine", _m("n1-standard-4", tpu_topology="2x2"),
                f"{MS}.tpu_topology",
                "n1-standard-4 is not a machine type with TPU topologies (ct5lp-hightpu, "
                "ct6e-standard, tpu7x-standard): Vertex AI may refuse or ignore tpu_topology",
                warns=True),
    MachineCase("a TPU job with a second pool", _m("cloud-tpu", "TPU_V3", 8),
                "job_spec.worker_pool_specs[1]",
                "a TPU job uses one worker pool with one replica (worker_pool_specs[0] is "
                "cloud-tpu); drop this pool",
                job_spec={"more_pools": [_m("n1-standard-4")]}),
    MachineCase("Spot with a TPU Pod", _m("cloud-tpu", "TPU_V2", 32),
                "job_spec.scheduling.strategy",
                "Spot VMs are not supported with TPU Pods (worker_pool_specs[0]: 32 TPU_V2)",
                job_spec={"scheduling": {"strategy": "SPOT"}}),
    MachineCase("Spot with a multi-host TPU v5e slice",
                _m("ct5lp-hightpu-4t", tpu_topology="2x4"), "job_spec.scheduling.strategy",
                "Spot VMs are not supported with TPU Pods (worker_pool_specs[0]: "
                "ct5lp-hightpu-4t 2x4, 2 VMs)",
                job_spec={"scheduling": {"strategy": "SPOT"}}),
    # Capacity: reservations, FLEX_START, Spot.
    MachineCase("GB200 without a reservation", _m("a4x-highgpu-4g", "NVIDIA_GB200", 4),
                f"{MS}.reservation_affinity",
                "NVIDIA_GB200: GB200 capacity must be obtained through shared reservations: "
                "set machine_spec.reservation_affinity to ANY_RESERVATION or "
                "SPECIFIC_RESERVATION"),
    MachineCase("GB200 with NO_RESERVATION",
                _m("a4x-highgpu-4g", "NVIDIA_GB200", 4,
                   reservation_affinity={"reservation_affinity_type": "NO_RESERVATION"}),
                f"{MS}.reservation_affinity",
                "NVIDIA_GB200: GB200 capacity must be obtained through shared reservations: "
                "set machine_spec.reservation_affinity to ANY_RESERVATION or "
                "SPECIFIC_RESERVATION"),
    MachineCase("B200 on demand", _m("a4-highgpu-8g", "NVIDIA_B200", 8),
                f"{MS}.accelerator_type",
                "NVIDIA_B200: Vertex AI recommends obtaining B200 capacity through shared "
                "reservations or Spot VMs (machine_spec.reservation_affinity, or "
                "scheduling.strategy SPOT or FLEX_START)", warns=True),
    MachineCase("FLEX_START with H100 Mega", _m("a3-megagpu-8g", "NVIDIA_H100_MEGA_80GB", 8),
                f"{MS}.accelerator_type",
                "strategy FLEX_START with NVIDIA_H100_MEGA_80GB: the page lists 'L4, A100, "
                "H100, H200, or B200 GPUs'; whether H100 Mega counts as H100 is not said",
                warns=True, job_spec={"scheduling": {"strategy": "FLEX_START"}}),
    MachineCase("FLEX_START with a reservation",
                _m("a2-highgpu-1g", "NVIDIA_TESLA_A100", 1,
                   reservation_affinity={"reservation_affinity_type": "ANY_RESERVATION"}),
                f"{MS}.reservation_affinity",
                "a reservation with strategy FLEX_START: the docs support FLEX_START 'except "
                "when using Compute Engine reservations'", warns=True,
                job_spec={"scheduling": {"strategy": "FLEX_START"}}),
    MachineCase("FLEX_START on a CPU machine", _m("n1-standard-4"), f"{MS}.accelerator_type",
                "strategy FLEX_START needs GPUs: one of NVIDIA_L4, NVIDIA_TESLA_A100, "
                "NVIDIA_A100_80GB, NVIDIA_H100_80GB, NVIDIA_H200_141GB, NVIDIA_B200",
                job_spec={"scheduling": {"strategy": "FLEX_START"}}),
    MachineCase("FLEX_START over 7 days", _m("g2-standard-4", "NVIDIA_L4", 1),
                "job_spec.scheduling.timeout",
                "must be at most 7 days (604800s) with strategy FLEX_START (got '691200s')",
                job_spec={"scheduling": {"strategy": "FLEX_START", "timeout": "691200s"}}),
    # Boot disks.
    MachineCase("Persistent Disk on N4", _m("n4-standard-8"), f"{P0}.disk_spec.boot_disk_type",
                "n4-standard-8 with pd-ssd: Compute Engine offers only Hyperdisk for this "
                "series; the Vertex pages do not say, so Vertex may refuse a Persistent Disk "
                "boot disk here", warns=True, disk={"boot_disk_type": "pd-ssd"}),
    MachineCase("Hyperdisk on N1", _m("n1-standard-4"), f"{P0}.disk_spec.boot_disk_type",
                "n1-standard-4 with hyperdisk-balanced: Compute Engine does not offer Hyperdisk "
                "Balanced for this series; the Vertex pages do not say, so Vertex may refuse it "
                "here", warns=True, disk={"boot_disk_type": "hyperdisk-balanced"}),
    MachineCase("pd-balanced is not a boot disk type", _m("n1-standard-4"),
                f"{P0}.disk_spec.boot_disk_type",
                "must be one of pd-ssd, pd-standard, hyperdisk-balanced (got 'pd-balanced')",
                disk={"boot_disk_type": "pd-balanced"}),
    MachineCase("boot disk over 64000 GB", _m("n1-standard-4"),
                f"{P0}.disk_spec.boot_disk_size_gb",
                "must be between 100 and 64000 GB (got 64001)",
                disk={"boot_disk_size_gb": 64001}),
    # TensorBoard.
    MachineCase("tensorboard without a service account", _m("n1-standard-4"),
                "job_spec.service_account",
                "required with tensorboard: uploading to Vertex AI TensorBoard needs a service "
                "account with access to it",
                job_spec={"tensorboard": "projects/p/locations/us-central1/tensorboards/1"}),
]
# fmt: on

VALID: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("a2-highgpu-8g with 8 A100s", _m("a2-highgpu-8g", "NVIDIA_TESLA_A100", 8), {}),
    ("g2-standard-48 with 4 L4s", _m("g2-standard-48", "NVIDIA_L4", 4), {}),
    ("n1-highcpu-64 with 4 P4s", _m("n1-highcpu-64", "NVIDIA_TESLA_P4", 4), {}),
    ("a3-highgpu-1g with one H100", _m("a3-highgpu-1g", "NVIDIA_H100_80GB", 1), {}),
    ("a TPU v2 Pod", _m("cloud-tpu", "TPU_V2", 64), {}),
    ("TPU v6e", _m("ct6e-standard-4t", tpu_topology="4x8"), {}),
    ("GB200 on a reservation",
     _m("a4x-highgpu-4g", "NVIDIA_GB200", 4, reservation_affinity=GB200_RESERVATION), {}),
    ("B200 on Spot", _m("a4-highgpu-8g", "NVIDIA_B200", 8), {"scheduling": {"strategy": "SPOT"}}),
    ("tensorboard with a service account", _m("n1-standard-4"),
     {"tensorboard": "projects/p/locations/us-central1/tensorboards/1", "service_account": SA}),
    ("Spot on a single-host TPU", _m("ct5lp-hightpu-4t", tpu_topology="2x2"),
     {"scheduling": {"strategy": "SPOT"}}),
]  # fmt: skip
"""Jobs both sides accept without a warning (id, pool 0 machine_spec, job_spec changes)."""
