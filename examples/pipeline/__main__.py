"""A TrainingPipeline: the console's "Train new model" (custom training) as code.

./src/trainer is packaged into an image (vt.TrainingImage); the pipeline runs it as a
CustomJob and, when it succeeds, uploads what it saved in AIP_MODEL_DIR to the Model
Registry with the image that serves it. `pulumi up` waits for the upload
(wait="completed") and exports the model's name and version. A second `up` changes
nothing; an edit to the trainer rebuilds the image and runs a new pipeline, whose
model is a new version of the same model when `parent_model` is set (the
`parent_model` config below).
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

pipeline = vt.TrainingPipeline(
    "train",
    display_name="pipeline-train",
    job_spec=vt.CustomJobSpecArgs(
        worker_pool_specs=[
            vt.WorkerPoolSpecArgs(
                machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                replica_count=1,
                container_spec=vt.ContainerSpecArgs(
                    image_uri=image.image_uri, args=["--epochs", "200"]
                ),
            )
        ],
        base_output_directory=vt.GcsDestinationArgs(
            output_uri_prefix=config.get("output_dir") or "gs://pipeline/runs"
        ),
    ),
    model_to_upload=vt.ModelArgs(
        display_name="linear-model",
        description="y = w * x + b, fitted by the trainer in ./src",
        container_spec=vt.ModelContainerSpecArgs(
            image_uri=config.get("serving_image")
            or "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
            predict_route="/predict",
            health_route="/health",
        ),
        labels={"example": "pipeline"},
    ),
    parent_model=config.get("parent_model"),  # upload a new version of an existing model
    wait="completed",
)

pulumi.export("image_uri", image.image_uri)
pulumi.export("pipeline", pipeline.id)
pulumi.export("pipeline_state", pipeline.state)
pulumi.export("backing_custom_job", pipeline.backing_custom_job)
pulumi.export("model_dir", pipeline.model_dir)
pulumi.export("model_name", pipeline.model_name)
pulumi.export("model_version_id", pipeline.model_version_id)
pulumi.export("console_url", pipeline.console_url)
