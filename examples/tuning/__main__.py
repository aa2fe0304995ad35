"""Hyperparameter tuning: a grid of 6 trials, 2 at a time, and the best one exported.

What `gcloud ai hp-tuning-jobs create --config=study.yaml --max-trial-count=6
--parallel-trial-count=2` does over an image built from ./src, as two resources. Each
trial runs the trainer with its parameters appended to the args
(`--learning_rate=0.03 --optimizer=momentum`); the trainer reports its validation
loss the way cloudml-hypertune does (src/trainer/hypertune.py writes the same file),
and the study keeps the trial with the lowest one. Each trial saves its model under
`<output_dir>/<trial id>/model/`: `best_model_dir` is the one to keep.

Run it: `vertex-local start`, then `pulumi up` on the `local` stack (or
`python -m pulumi_vertex_training.testing up examples/tuning --stack local`).
Change `epochs` (`pulumi config set epochs 60`) and the next `up` runs a new study
on the same image.
"""

import pulumi

import pulumi_vertex_training as vt

config = pulumi.Config()
output_dir = config.get("output_dir") or "gs://tuning/runs"

image = vt.TrainingImage(
    "trainer",
    source_dir="src",
    python_module="trainer.task",
    base_image=config.get("base_image") or "local/python:3.11",
    repository=config.require("repository"),
)

tuning = vt.HyperparameterTuningJob(
    "tune",
    display_name="tuning-example",
    study_spec=vt.StudySpecArgs(
        metrics=[vt.MetricSpecArgs(metric_id="val_loss", goal="MINIMIZE")],
        parameters=[
            vt.ParameterSpecArgs(
                parameter_id="learning_rate",
                discrete_value_spec=vt.DiscreteValueSpecArgs(values=[0.01, 0.03, 0.1]),
            ),
            vt.ParameterSpecArgs(
                parameter_id="optimizer",
                categorical_value_spec=vt.CategoricalValueSpecArgs(values=["sgd", "momentum"]),
            ),
        ],
        algorithm="GRID_SEARCH",  # every combination: 3 x 2 = 6 trials
    ),
    trial_job_spec=vt.CustomJobSpecArgs(
        worker_pool_specs=[
            vt.WorkerPoolSpecArgs(
                machine_spec=vt.MachineSpecArgs(machine_type="n1-standard-4"),
                replica_count=1,
                container_spec=vt.ContainerSpecArgs(
                    image_uri=image.image_uri,
                    args=["--epochs", config.get("epochs") or "30"],
                ),
            )
        ],
        base_output_directory=vt.GcsDestinationArgs(output_uri_prefix=output_dir),
    ),
    max_trial_count=6,
    parallel_trial_count=2,
    wait="completed",
)

pulumi.export("image_uri", image.image_uri)
pulumi.export("job_name", tuning.id)
pulumi.export("job_state", tuning.state)
pulumi.export("trial_count", tuning.trials.apply(len))
pulumi.export("best_trial", tuning.best_trial)
pulumi.export(
    "best_model_dir",
    tuning.best_trial.apply(lambda best: f"{output_dir}/{best['id']}/model/" if best else None),
)
pulumi.export("console_url", tuning.console_url)
