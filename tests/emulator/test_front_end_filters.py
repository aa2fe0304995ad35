"""``filter`` with camelCase field names, as the SDK documents ("For field names both
snake_case and camelCase are supported"), through GAPIC over gRPC and REST and the SDK.

Reproduction: ``filter='displayName="x"'`` was INVALID_ARGUMENT "unknown field
'displayName'" on ListCustomJobs and ListHyperparameterTuningJobs (ListPersistentResources
takes no filter in v1).
"""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import aiplatform

from pulumi_vertex_training.emulator.server import EmulatorServer
from tests.emulator.front_end_support import (
    PARENT,
    TRANSPORTS,
    custom_job,
    jobs,
    local,
    run_id,
    sdk,
    tuning_job,
)

__all__ = ["local", "sdk"]  # fixtures


def _jobs_in_run(client: Any, run: str, filter_: str) -> list[str]:
    request = {"parent": PARENT, "filter": f"labels.run={run} AND ({filter_})"}
    return sorted(job.display_name for job in client.list_custom_jobs(request=request))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_list_custom_jobs_filter_accepts_camel_case_field_names(
    local: EmulatorServer, transport: str
) -> None:
    client = jobs(local, transport)
    run = run_id()
    first = client.create_custom_job(parent=PARENT, custom_job=custom_job("alpha", run=run))
    client.create_custom_job(parent=PARENT, custom_job=custom_job("beta", run=run))
    created = first.create_time.isoformat().replace("+00:00", "Z")
    assert _jobs_in_run(client, run, 'displayName="alpha"') == ["alpha"]
    assert _jobs_in_run(client, run, 'displayName:"b*"') == ["beta"]
    assert _jobs_in_run(client, run, f'createTime>="{created}"') == ["alpha", "beta"]
    assert _jobs_in_run(client, run, 'display_name="beta"') == ["beta"]
    # A label key is a key, not a field name: labels.myKey is the key "myKey".
    assert _jobs_in_run(client, run, "labels.myKey:*") == []
    assert _jobs_in_run(client, run, "NOT labels.myKey:*") == ["alpha", "beta"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_list_tuning_jobs_filter_accepts_camel_case_field_names(
    local: EmulatorServer, transport: str
) -> None:
    client = jobs(local, transport)
    run = run_id()
    for name in ("hpt-alpha", "hpt-beta"):
        client.create_hyperparameter_tuning_job(
            parent=PARENT, hyperparameter_tuning_job=tuning_job(name, run=run)
        )
    request = {"parent": PARENT, "filter": f'labels.run={run} AND displayName="hpt-beta"'}
    listed = client.list_hyperparameter_tuning_jobs(request=request)
    assert [job.display_name for job in listed] == ["hpt-beta"]


def test_sdk_list_filters_with_camel_case_as_its_docs_say(sdk: None) -> None:
    run = run_id()
    for name in ("sdk-alpha", "sdk-beta"):
        aiplatform.CustomJob(
            display_name=name,
            worker_pool_specs=custom_job()["job_spec"]["worker_pool_specs"],
            labels={"run": run},
        ).submit()
    listed = aiplatform.CustomJob.list(filter=f'labels.run={run} AND displayName="sdk-beta"')
    assert [job.display_name for job in listed] == ["sdk-beta"]
    tuned = aiplatform.HyperparameterTuningJob.list(filter='displayName="no-such-job"')
    assert tuned == []
