"""Pure argument rules of ``TrainingEnvironment``: VPC references, default ids, validation.

No pulumi-gcp here, so the rules are importable and testable without the extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MIN_PREFIX_LENGTH, MAX_PREFIX_LENGTH = 8, 24
"""Private services access needs a range of /24 or larger."""

_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_BUCKET = re.compile(r"^[a-z0-9][-a-z0-9_.]{1,61}[a-z0-9]$")
_RESOURCE_ID = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_NETWORK_PATH = re.compile(
    r"^(?:https://(?:www|compute)\.googleapis\.com/compute/(?:v1|beta)/)?"
    r"projects/(?P<project>[^/]+)/global/networks/(?P<name>[^/]+)$"
)


@dataclass(frozen=True)
class NetworkRef:
    """An existing VPC: its project (None: the environment's project) and name."""

    project: str | None
    name: str


def parse_network(value: str) -> NetworkRef:
    """A VPC given by name, ``projects/P/global/networks/N`` or self link.

    >>> parse_network("my-vpc")
    NetworkRef(project=None, name='my-vpc')
    >>> parse_network("https://www.googleapis.com/compute/v1/projects/host/global/networks/shared")
    NetworkRef(project='host', name='shared')

    Raises:
        ValueError: anything else, naming the value and the forms allowed.
    """
    match = _NETWORK_PATH.match(value)
    if match:
        return NetworkRef(match["project"], match["name"])
    if _RESOURCE_ID.match(value):
        return NetworkRef(None, value)
    raise ValueError(
        f"network: {value!r} is not a VPC network; give its name (my-vpc), "
        "projects/{project}/global/networks/{name}, or its self link "
        "(https://www.googleapis.com/compute/v1/projects/{project}/global/networks/{name})"
    )


def default_id(resource_name: str, suffix: str, max_length: int) -> str:
    """A GCP id from a resource name: lowercase, dashes, a letter first, ``suffix`` kept.

    >>> default_id("Train_Env", "jobs", 30)
    'train-env-jobs'
    >>> default_id("9", "jobs", 30)
    'env-9-jobs'
    """
    base = re.sub(r"[^a-z0-9-]+", "-", resource_name.lower()).strip("-")
    if not base or not base[0].isalpha():
        base = f"env-{base}".strip("-")
    base = base[: max_length - len(suffix) - 1].rstrip("-")
    return f"{base}-{suffix}"


def validate_environment_args(
    *,
    project: str,
    region: str,
    peering_range_prefix_length: int,
    project_number: Any,
    service_account_id: str | None,
    bucket_name: str | None,
    repository_id: str | None,
) -> list[str]:
    """Every problem with ``TrainingEnvironment``'s plain arguments, each naming the
    argument, its value and what is allowed; empty when all is well."""
    errors = []
    if not isinstance(project, str) or not project:
        errors.append(f"project: {project!r} must be a project id (a non-empty string)")
    if not isinstance(region, str) or not re.match(r"^[a-z]+-[a-z]+\d+$", region):
        errors.append(f"region: {region!r} must be a region such as us-central1")
    length = peering_range_prefix_length
    if isinstance(length, bool) or not isinstance(length, int):
        errors.append(f"peering_range_prefix_length: {length!r} must be an int")
    elif not MIN_PREFIX_LENGTH <= length <= MAX_PREFIX_LENGTH:
        errors.append(
            f"peering_range_prefix_length: {length} is not allowed; private services "
            f"access needs a range from /{MIN_PREFIX_LENGTH} to /{MAX_PREFIX_LENGTH}"
        )
    if (
        isinstance(project_number, (str, int))
        and not isinstance(project_number, bool)
        and not str(project_number).isdigit()
    ):
        errors.append(
            f"project_number: {project_number!r} must be the project's number (digits, "
            "e.g. 123456789012), not its id; `gcloud projects describe PROJECT` shows it"
        )
    if service_account_id is not None and not _ACCOUNT_ID.match(service_account_id):
        errors.append(
            f"service_account_id: {service_account_id!r} must be 6-30 characters of "
            "lowercase letters, digits and dashes, starting with a letter, not ending in a dash"
        )
    if bucket_name is not None and not _BUCKET.match(bucket_name):
        errors.append(
            f"bucket_name: {bucket_name!r} must be 3-63 characters of lowercase letters, "
            "digits, dashes, underscores and dots, starting and ending with a letter or digit"
        )
    if repository_id is not None and not _RESOURCE_ID.match(repository_id):
        errors.append(
            f"repository_id: {repository_id!r} must be 1-63 characters of lowercase letters, "
            "digits and dashes, starting with a letter, not ending in a dash"
        )
    return errors
