"""Distributed training: a chief, two workers and an evaluator running one image.

What `gcloud ai custom-jobs create --worker-pool-spec=...,local-package-path=src,
python-module=trainer.task` with four --worker-pool-spec flags does, as one
vt.TrainingJob: pool 0 is the chief, pool 1 the workers, pool 2 (parameter
servers) stays empty, pool 3 is the evaluator. Vertex AI tells each replica
who it is and where the others are through CLUSTER_SPEC and TF_CONFIG; the
trainer prints what it got, the workers send their shard's result to the
chief by its host name, and the job is waited for until it completes.

Run it: `vertex-local start`, then `pulumi up` on the `local` stack (or
`python -m pulumi_vertex_training.testing up examples/distributed --stack local`),
then `vertex-local logs JOB --replica workerpool1-0`.
"""

import pulumi

import pulumi_vertex_training as vt

config = pulumi.Config()
machine = config.get("machine_type") or "n1-standard-4"

job = vt.TrainingJob(
    "distributed",
    source_dir="src",
    python_module="trainer.task",
    base_image=config.get("base_image") or "local/python:3.11",
    repository=config.require("repository"),
    worker_pools=[
        vt.WorkerPoolArgs(machine_type=machine, replica_count=1),  # chief
        vt.WorkerPoolArgs(machine_type=machine, replica_count=2),  # workers
        None,  # no parameter servers: the position stays, empty
        vt.WorkerPoolArgs(machine_type=machine, replica_count=1),  # evaluator
    ],
    args=["--shard-size", config.get("shard_size") or "1000"],
    display_name="distributed-example",
    wait="completed",
)

pulumi.export("image_uri", job.image_uri)
pulumi.export("job_name", job.job_name)
pulumi.export("job_state", job.state)
pulumi.export("console_url", job.console_url)
