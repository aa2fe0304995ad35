"""What every resource class fills in for inputs the user left out."""

from __future__ import annotations

import os

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
