"""Quickstart: package ./src/trainer into an image, run it as a Vertex AI CustomJob.

What `gcloud ai custom-jobs create --worker-pool-spec=...,local-package-path=src,
python-module=trainer.task` does, as two resources: the image is rebuilt and
pushed only when ./src changes, and the job is re-run only when what it
runs changes.
"""

import pulumi

import pulumi_vertex_training as vt

config = pulumi.Config()

image = vt.TrainingImage(
    "trainer",
    source_dir="src",
    python_module="trainer.task",
    base_image=config.get("base_image") or "local/python:3.11",
    repository=config.require("repository"),
)

job = vt.CustomJob(
    "train",
    display_name="quickstart-train",
    job_spec=vt.CustomJobSpecArgs(
        worker_pool_specs=[
            vt.WorkerPoolSpecArgs(
                machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                replica_count=1,
                container_spec=vt.ContainerSpecArgs(
                    image_uri=image.image_uri,
                    args=["--epochs", "200", "--learning-rate", "0.05"],
                ),
            )
        ],
        base_output_directory=vt.GcsDestinationArgs(
            output_uri_prefix=config.get("output_dir") or "gs://quickstart/runs"
        ),
    ),
    wait="completed",
)

pulumi.export("image_uri", image.image_uri)
pulumi.export("job_name", job.id)
pulumi.export("job_state", job.state)
pulumi.export("model_dir", job.model_dir)
pulumi.export("console_url", job.console_url)
