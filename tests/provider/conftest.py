"""Fixtures for provider tests: props for jobs that run in the emulator."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest

from pulumi_vertex_training.provider.custom_job import CustomJobProvider

IMAGE = "local/python:3.11"
_counter = itertools.count()


def python_job_spec(code: str, **spec: Any) -> dict[str, Any]:
    """A one-pool job_spec running ``python -c code`` in the local base image."""
    return {
        "worker_pool_specs": [
            {
                "machine_spec": {"machine_type": "n1-standard-4"},
                "replica_count": 1,
                "container_spec": {"image_uri": IMAGE, "command": ["python", "-c", code]},
            }
        ],
        **spec,
    }


def job_props(code: str = "print('hello')", **overrides: Any) -> dict[str, Any]:
    """Raw props as the CustomJob resource sends them (before check)."""
    props: dict[str, Any] = {
        "project": "test-project",
        "location": "us-central1",
        "display_name": f"test-{next(_counter)}",
        "job_spec": python_job_spec(code),
        "labels": None,
        "encryption_spec": None,
        "wait": "none",
        "on_delete": "cancel",
        "wait_timeout": None,
        "triggers": None,
        # unique per test: jobs of earlier tests are never adopted by accident
        "resource_key": f"tests/dev/{uuid.uuid4().hex}",
    }
    props.update(overrides)
    return props


@pytest.fixture
def provider() -> CustomJobProvider:
    """A CustomJobProvider; tests that make API calls also use the ``emulator`` fixture."""
    return CustomJobProvider()


@pytest.fixture
def checked(provider: CustomJobProvider):  # type: ignore[no-untyped-def]
    """check() that must pass: returns the normalized inputs."""

    def run(props: dict[str, Any]) -> dict[str, Any]:
        result = provider.check({}, props)
        assert not result.failures, [(f.property, f.reason) for f in result.failures]
        return dict(result.inputs)

    return run
