"""Vertex AI training in a real project, declared with the rest of the stack.

- the APIs it needs, enabled;
- vt.TrainingEnvironment: the jobs' service account and its roles, a staging
  bucket, an Artifact Registry repository, and VPC peering for Vertex AI;
- optionally (config `cmek`), a Cloud KMS key the Vertex AI service agent may
  use, and both jobs encrypted with it;
- a container job: ./trainer autopackaged into an image (vt.TrainingImage)
  and run on SPOT capacity on the peered network;
- the python package path: ./trainer as an sdist on the staging bucket
  (vt.PythonPackage), run by a prebuilt executor image, also on SPOT.

Both jobs take `opts=env.job_options()`: `pulumi destroy` cancels and deletes
them before it removes the peering and the role bindings. See README.md for
what it costs and how to run it.
"""

import pulumi
import pulumi_gcp as gcp

import pulumi_vertex_training as vt

config = pulumi.Config()
gcp_config = pulumi.Config("gcp")
project = gcp_config.require("project")
region = gcp_config.require("region")
project_number = (
    config.get("project_number") or gcp.organizations.get_project_output(project_id=project).number
)
machine_type = config.get("machine_type") or "n1-standard-4"
base_image = (
    config.get("base_image") or "us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15.py310:latest"
)
use_cmek = config.get_bool("cmek") or False
wait = config.get("wait") or "completed"

apis = [
    gcp.projects.Service(
        f"api-{service.split('.')[0]}",
        project=project,
        service=service,
        disable_on_destroy=False,  # other stacks in the project may use them too
    )
    for service in (
        "aiplatform.googleapis.com",
        "artifactregistry.googleapis.com",
        "compute.googleapis.com",
        "servicenetworking.googleapis.com",
        "storage.googleapis.com",
        *(("cloudkms.googleapis.com",) if use_cmek else ()),
    )
]
after_apis = pulumi.ResourceOptions(depends_on=apis)

env = vt.TrainingEnvironment(
    "training",
    project=project,
    region=region,
    network=config.get("network"),
    create_peering=config.get_bool("create_peering") is not False,
    project_number=project_number,
    force_destroy=True,  # the bucket holds only staged packages and job outputs
    opts=after_apis,
)

encryption_spec = None
job_dependencies: list[pulumi.Resource] = []
if use_cmek:
    key_ring = gcp.kms.KeyRing(
        "training-keys", name="vertex-training", location=region, project=project, opts=after_apis
    )
    key = gcp.kms.CryptoKey(
        "training-key",
        name="vertex-jobs",
        key_ring=key_ring.id,
        rotation_period=f"{90 * 24 * 3600}s",
    )
    # Vertex AI encrypts with its service agent's identity, not the jobs' account.
    key_user = gcp.kms.CryptoKeyIAMMember(
        "training-key-vertex-agent",
        crypto_key_id=key.id,
        role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member=pulumi.Output.concat(
            "serviceAccount:service-",
            pulumi.Output.from_input(project_number).apply(str),
            "@gcp-sa-aiplatform.iam.gserviceaccount.com",
        ),
    )
    encryption_spec = vt.EncryptionSpecArgs(kms_key_name=key.id)
    job_dependencies.append(key_user)

job_opts = env.job_options(pulumi.ResourceOptions(depends_on=job_dependencies))
spot = vt.SchedulingArgs(strategy="SPOT", timeout="3600s")
outputs = env.staging_bucket.apply(lambda bucket: f"{bucket}/runs")

# The container path: ./trainer built into an image on the environment's repository.
image = vt.TrainingImage(
    "trainer",
    source_dir="trainer",
    script="task.py",
    base_image=base_image,
    repository=env.repository,
)
container_job = vt.CustomJob(
    "train-container",
    display_name="train-container",
    job_spec=vt.CustomJobSpecArgs(
        worker_pool_specs=[
            vt.WorkerPoolSpecArgs(
                machine_spec=vt.MachineSpecArgs(machine_type=machine_type),
                replica_count=1,
                container_spec=vt.ContainerSpecArgs(
                    image_uri=image.image_uri, args=["--epochs", "200"]
                ),
            )
        ],
        scheduling=spot,
        service_account=env.service_account,
        network=env.network,
        reserved_ip_ranges=env.reserved_ip_ranges,
        base_output_directory=vt.GcsDestinationArgs(
            output_uri_prefix=outputs.apply(lambda o: f"{o}/container")
        ),
    ),
    encryption_spec=encryption_spec,
    wait=wait,
    opts=job_opts,
)

# The python package path: ./trainer as an sdist, run by the prebuilt executor.
package = vt.PythonPackage(
    "trainer-package",
    source_dir="trainer",
    script="task.py",
    staging_uri=env.staging_bucket.apply(lambda bucket: f"{bucket}/packages"),
)
package_job = vt.CustomJob(
    "train-package",
    display_name="train-package",
    job_spec=vt.CustomJobSpecArgs(
        worker_pool_specs=[
            vt.WorkerPoolSpecArgs(
                machine_spec=vt.MachineSpecArgs(machine_type=machine_type),
                replica_count=1,
                python_package_spec=vt.PythonPackageSpecArgs(
                    executor_image_uri=base_image,
                    package_uris=[package.package_uri],
                    python_module=package.python_module,
                    args=["--epochs", "200"],
                ),
            )
        ],
        scheduling=spot,
        service_account=env.service_account,
        network=env.network,
        reserved_ip_ranges=env.reserved_ip_ranges,
        base_output_directory=vt.GcsDestinationArgs(
            output_uri_prefix=outputs.apply(lambda o: f"{o}/package")
        ),
    ),
    encryption_spec=encryption_spec,
    wait=wait,
    opts=job_opts,
)

pulumi.export("service_account", env.service_account)
pulumi.export("network", env.network)
pulumi.export("repository", env.repository)
pulumi.export("staging_bucket", env.staging_bucket)
pulumi.export("image_uri", image.image_uri)
pulumi.export("package_uri", package.package_uri)
pulumi.export("container_job", container_job.id)
pulumi.export("container_job_state", container_job.state)
pulumi.export("container_job_console", container_job.console_url)
pulumi.export("package_job", package_job.id)
pulumi.export("package_job_state", package_job.state)
pulumi.export("package_job_console", package_job.console_url)
