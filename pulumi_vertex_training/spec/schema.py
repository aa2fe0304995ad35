"""The messages spec/ understands, as data: field name -> kind (as in
``google.cloud.aiplatform_v1``).

Only input fields are listed; OUTPUT_ONLY fields (state, create_time, ...) are not
inputs and are reported as unknown keys if given. The tables drive the generic shape
normalization in ``coerce.py``; the rules that need meaning live in the validators.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """How one proto field is read.

    kind: ``string`` (exactly a str), ``text`` (str, numbers converted: args, env
    values), ``bool``, ``int32``/``int64`` (whole numbers; REST int64 strings too),
    ``duration``, ``enum`` (``enum`` names the EnumType), ``message`` (``message`` names
    the table), ``map`` (string -> string).
    repeated: a list of that kind. optional: proto3 ``optional`` (presence tracked), so a
    zero value is kept rather than dropped as the default.
    """

    kind: str
    message: str = ""
    enum: str = ""
    repeated: bool = False
    optional: bool = False


def _msg(name: str, repeated: bool = False) -> Field:
    return Field("message", message=name, repeated=repeated)


S, T, B = Field("string"), Field("text"), Field("bool")
I32, I64, D = Field("int32"), Field("int64"), Field("duration")
SL = Field("string", repeated=True)

MESSAGES: dict[str, dict[str, Field]] = {
    "CustomJob": {
        "display_name": S,
        "job_spec": _msg("CustomJobSpec"),
        "labels": Field("map"),
        "encryption_spec": _msg("EncryptionSpec"),
    },
    "CustomJobSpec": {
        "persistent_resource_id": S,
        "worker_pool_specs": _msg("WorkerPoolSpec", repeated=True),
        "scheduling": _msg("Scheduling"),
        "service_account": S,
        "network": S,
        "reserved_ip_ranges": SL,
        "psc_interface_config": _msg("PscInterfaceConfig"),
        "base_output_directory": _msg("GcsDestination"),
        "protected_artifact_location_id": S,
        "tensorboard": S,
        "enable_web_access": B,
        "enable_dashboard_access": B,
        "experiment": S,
        "experiment_run": S,
        "models": SL,
    },
    "WorkerPoolSpec": {
        "container_spec": _msg("ContainerSpec"),
        "python_package_spec": _msg("PythonPackageSpec"),
        "machine_spec": _msg("MachineSpec"),
        "replica_count": I64,
        "nfs_mounts": _msg("NfsMount", repeated=True),
        "lustre_mounts": _msg("LustreMount", repeated=True),
        "disk_spec": _msg("DiskSpec"),
    },
    "ContainerSpec": {
        "image_uri": S,
        "command": Field("text", repeated=True),
        "args": Field("text", repeated=True),
        "env": _msg("EnvVar", repeated=True),
    },
    "PythonPackageSpec": {
        "executor_image_uri": S,
        "package_uris": SL,
        "python_module": S,
        "args": Field("text", repeated=True),
        "env": _msg("EnvVar", repeated=True),
    },
    "EnvVar": {"name": S, "value": T},
    "Scheduling": {
        "timeout": D,
        "restart_job_on_worker_restart": B,
        "strategy": Field("enum", enum="Scheduling.Strategy"),
        "disable_retries": B,
        "max_wait_duration": D,
    },
    "MachineSpec": {
        "machine_type": S,
        "accelerator_type": Field("enum", enum="AcceleratorType"),
        "accelerator_count": I32,
        "gpu_partition_size": S,
        "tpu_topology": S,
        "reservation_affinity": _msg("ReservationAffinity"),
    },
    "ReservationAffinity": {
        "reservation_affinity_type": Field("enum", enum="ReservationAffinity.Type"),
        "key": S,
        "values": SL,
    },
    "DiskSpec": {"boot_disk_type": S, "boot_disk_size_gb": I32},
    "NfsMount": {"server": S, "path": S, "mount_point": S},
    "LustreMount": {"instance_ip": S, "volume_handle": S, "filesystem": S, "mount_point": S},
    "EncryptionSpec": {"kms_key_name": S},
    "GcsDestination": {"output_uri_prefix": S},
    "PscInterfaceConfig": {
        "network_attachment": S,
        "dns_peering_configs": _msg("DnsPeeringConfig", repeated=True),
    },
    "DnsPeeringConfig": {"domain": S, "target_project": S, "target_network": S},
    # PersistentResource. resource_id is not a message field: it is the
    # CreatePersistentResourceRequest.persistent_resource_id, carried alongside.
    "PersistentResourceInput": {
        "resource_id": S,
        "display_name": S,
        "resource_pools": _msg("ResourcePool", repeated=True),
        "network": S,
        "reserved_ip_ranges": SL,
        "psc_interface_config": _msg("PscInterfaceConfig"),
        "resource_runtime_spec": _msg("ResourceRuntimeSpec"),
        "labels": Field("map"),
        "encryption_spec": _msg("EncryptionSpec"),
    },
    "ResourcePool": {
        "id": S,
        "machine_spec": _msg("MachineSpec"),
        "replica_count": Field("int64", optional=True),
        "disk_spec": _msg("DiskSpec"),
        "autoscaling_spec": _msg("AutoscalingSpec"),
    },
    "AutoscalingSpec": {
        "min_replica_count": Field("int64", optional=True),
        "max_replica_count": Field("int64", optional=True),
    },
    "ResourceRuntimeSpec": {
        "service_account_spec": _msg("ServiceAccountSpec"),
        "ray_spec": _msg("RaySpec"),
    },
    "ServiceAccountSpec": {"enable_custom_service_account": B, "service_account": S},
    "RaySpec": {
        "image_uri": S,
        "resource_pool_images": Field("map"),
        "head_node_resource_pool_id": S,
        "ray_metric_spec": _msg("RayMetricSpec"),
        "ray_logs_spec": _msg("RayLogsSpec"),
    },
    "RayMetricSpec": {"disabled": B},
    "RayLogsSpec": {"disabled": B},
    # Model (ModelService.UploadModel, TrainingPipeline.model_to_upload): the input fields.
    "Model": {
        "display_name": S,
        "description": S,
        "version_description": S,
        "version_aliases": SL,
        "artifact_uri": S,
        "container_spec": _msg("ModelContainerSpec"),
        "predict_schemata": _msg("PredictSchemata"),
        "labels": Field("map"),
        "encryption_spec": _msg("EncryptionSpec"),
    },
    "ModelContainerSpec": {
        "image_uri": S,
        "command": Field("text", repeated=True),
        "args": Field("text", repeated=True),
        "env": _msg("EnvVar", repeated=True),
        "ports": _msg("Port", repeated=True),
        "grpc_ports": _msg("Port", repeated=True),
        "predict_route": S,
        "health_route": S,
        "invoke_route_prefix": S,
        "deployment_timeout": D,
        "shared_memory_size_mb": I64,
    },
    "Port": {"container_port": I32},
    "PredictSchemata": {
        "instance_schema_uri": S,
        "parameters_schema_uri": S,
        "prediction_schema_uri": S,
    },
}

# UploadModelRequest's parent_model and model_id travel with the Model they upload.
MESSAGES["ModelInput"] = {**MESSAGES["Model"], "parent_model": S, "model_id": S}
# TrainingPipeline (custom task): its training_task_inputs are a CustomJobSpec.
MESSAGES["TrainingPipelineInput"] = {
    "display_name": S,
    "training_task_inputs": _msg("CustomJobSpec"),
    "model_to_upload": _msg("Model"),
    "model_id": S,
    "parent_model": S,
    "labels": Field("map"),
    "encryption_spec": _msg("EncryptionSpec"),
}
