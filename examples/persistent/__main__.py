"""A warm pool and two jobs on it.

The pool has one n1-standard-4 replica by default, so the second job queues until
the first one is done (as Vertex AI queues it), then runs on the same machine.
Changing ``replicas`` scales the pool in place; changing ``reboot`` reboots it;
``pulumi destroy`` deletes the jobs first, then the pool.
"""

import pulumi

import pulumi_vertex_training as vt

config = pulumi.Config()
image = config.get("image") or "local/python:3.11"
replicas = config.get_int("replicas") or 1
machine = vt.MachineSpecArgs(machine_type="n1-standard-4")

pool = vt.PersistentResource(
    "warm-pool",
    resource_pools=[vt.ResourcePoolArgs(id="cpu", machine_spec=machine, replica_count=replicas)],
    labels={"example": "persistent"},
    reboot_triggers=[config.get("reboot") or "0"],
)

TRAIN = """
import json, os, time
task = json.loads(os.environ.get("CLUSTER_SPEC", "{}")).get("task", {})
print(f"job {os.environ.get('CLOUD_ML_JOB_ID')} training on the warm pool: {task}")
time.sleep(float(os.environ.get("EPOCH_SECONDS", "2")))
print("done")
"""


def job_on_pool(name: str, epoch_seconds: str) -> vt.CustomJob:
    """A one-replica job that runs TRAIN on the pool and waits until it ends."""
    return vt.CustomJob(
        name,
        job_spec=vt.CustomJobSpecArgs(
            worker_pool_specs=[
                vt.WorkerPoolSpecArgs(
                    machine_spec=machine,
                    replica_count=1,
                    container_spec=vt.ContainerSpecArgs(
                        image_uri=image,
                        command=["python", "-c", TRAIN],
                        env=[vt.EnvVarArgs(name="EPOCH_SECONDS", value=epoch_seconds)],
                    ),
                )
            ],
        ),
        persistent_resource=pool,  # names it in job_spec and checks the fit at preview
        wait="completed",
    )


first = job_on_pool("train-a", "3")
second = job_on_pool("train-b", "1")

pulumi.export("pool", pool.name)
pulumi.export("pool_state", pool.state)
pulumi.export("replicas", pool.resource_pools.apply(lambda pools: pools[0]["replica_count"]))
pulumi.export("first", {"state": first.state, "start": first.start_time, "end": first.end_time})
pulumi.export("second", {"state": second.state, "start": second.start_time, "end": second.end_time})
