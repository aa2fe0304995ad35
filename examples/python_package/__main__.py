"""Train from a Python package: ./trainer is wrapped as an sdist, uploaded, run by a prebuilt image.

What the Vertex SDK's `CustomJob.from_local_script("trainer/task.py", requirements=[...],
container_uri=<prebuilt>)` does, as two resources: the package is uploaded only when
./trainer changes (its object name carries the content hash), and the job is re-run
only when what it runs changes. No Docker on the machine that runs `pulumi up`.
Locally the prebuilt executor image runs as local/python:3.11 (vertex-local --image-map).
"""

import pulumi

import pulumi_vertex_training as vt

config = pulumi.Config()

package = vt.PythonPackage(
    "trainer",
    source_dir="trainer",
    script="task.py",
    # Containers of the local emulator have no package index: require what the
    # executor image has (on Vertex, anything from PyPI).
    requirements=["wheel>=0.30"],
    staging_uri=config.require("staging_uri"),
)

job = vt.CustomJob(
    "train",
    display_name="python-package-train",
    job_spec={
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "python_package_spec": {
                    "executor_image_uri": (
                        "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"
                    ),
                    "package_uris": [package.package_uri],
                    "python_module": package.python_module,
                    "args": ["--epochs", "100"],
                },
            }
        ],
        "base_output_directory": {"output_uri_prefix": config.require("output_dir")},
    },
    wait="completed",
)

pulumi.export("package_uri", package.package_uri)
pulumi.export("python_module", package.python_module)
pulumi.export("job_state", job.state)
pulumi.export("model_dir", job.model_dir)
