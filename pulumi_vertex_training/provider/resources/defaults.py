"""What every resource class fills in for inputs the user left out, and the job
lifecycle inputs as the providers take them."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pulumi


def default_project() -> pulumi.Input[str] | None:
    """``gcp:project`` stack config, else ``GOOGLE_CLOUD_PROJECT``."""
    return pulumi.Config("gcp").get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT")


def default_location() -> pulumi.Input[str] | None:
    """``gcp:region`` stack config, else ``GOOGLE_CLOUD_REGION``."""
    return pulumi.Config("gcp").get("region") or os.environ.get("GOOGLE_CLOUD_REGION")


def resource_key(resource_name: str) -> str:
    """The stack-qualified name the adoption label is derived from."""
    return f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"


def placement(
    resource_name: str,
    project: pulumi.Input[str] | None,
    location: pulumi.Input[str] | None,
    display_name: pulumi.Input[str] | None,
) -> dict[str, Any]:
    """``project``, ``location`` and ``display_name``, each defaulted when not given
    (the display name to the Pulumi name)."""
    return {
        "project": project if project is not None else default_project(),
        "location": location if location is not None else default_location(),
        "display_name": display_name if display_name is not None else resource_name,
    }


def job_lifecycle(
    wait: pulumi.Input[str],
    wait_timeout: pulumi.Input[str | int | float] | datetime.timedelta | None,
    on_delete: pulumi.Input[str],
) -> dict[str, Any]:
    """A job's ``wait``, ``wait_timeout`` (a timedelta as seconds) and ``on_delete``."""
    if isinstance(wait_timeout, datetime.timedelta):
        wait_timeout = wait_timeout.total_seconds()
    return {"wait": wait, "wait_timeout": wait_timeout, "on_delete": on_delete}
