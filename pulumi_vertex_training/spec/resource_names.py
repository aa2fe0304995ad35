"""Formats of the resource names and identifiers a spec refers to.

Each checker appends SpecFailures and returns nothing; UNKNOWN values are skipped by the
callers. The formats are the ones in the aiplatform_v1 field docstrings.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from . import names
from .failures import SpecFailure, is_unknown

# GCE resource names (networks, attachments): RFC 1035 labels.
_GCE_NAME = r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
_SEGMENT = r"[^/\s]+"

NETWORK = re.compile(rf"^projects/(?P<project>{_SEGMENT})/global/networks/(?P<name>{_SEGMENT})$")
NETWORK_ATTACHMENT = re.compile(
    rf"^projects/{_SEGMENT}/regions/{_SEGMENT}/networkAttachments/{_GCE_NAME}$"
)
KMS_KEY = re.compile(
    rf"^projects/{_SEGMENT}/locations/(?P<location>{_SEGMENT})/keyRings/{_SEGMENT}"
    rf"/cryptoKeys/{_SEGMENT}$"
)
TENSORBOARD = re.compile(rf"^projects/{_SEGMENT}/locations/{_SEGMENT}/tensorboards/{_SEGMENT}$")
CONTEXT = re.compile(
    rf"^projects/{_SEGMENT}/locations/{_SEGMENT}/metadataStores/{_SEGMENT}"
    rf"/contexts/(?P<context>{_SEGMENT})$"
)
MODEL = re.compile(rf"^projects/{_SEGMENT}/locations/{_SEGMENT}/models/[^/@\s]+(@[A-Za-z0-9_-]+)?$")
RESERVATION = re.compile(rf"^projects/{_SEGMENT}/zones/{_SEGMENT}/reservations/{_GCE_NAME}$")
#: CreatePersistentResourceRequest.persistent_resource_id (its field docstring).
RESOURCE_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
#: Region ids like us-central1, europe-west4, northamerica-northeast1.
LOCATION_ID = re.compile(r"^[a-z]+(-[a-z]+)+\d+$")
# Service accounts are emails; Vertex also accepts any principal email here.
EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
GCS_URI = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](/.*)?$")
_PROJECT_NUMBER = re.compile(r"^\d+$")

# Label rules (settled in emulator/COVERAGE.md, "Labels"): Vertex AI's own
# INVALID_ARGUMENT text says keys "must start with a letter or number, must be less than
# 64 characters in length, and must be less that 128 bytes in length when encoded in
# UTF-8", values alike; the CustomJob reference's "no longer than 64 characters" is off by
# one against it. Letters are lowercase (Ll) or caseless (Lo, Lm); numbers Nd, Nl, No.
LABEL_MAX_LENGTH = 63
LABEL_MAX_BYTES = 127
LABEL_MAX_COUNT = 64
_LETTERS = frozenset({"Ll", "Lo", "Lm"})
_NUMBERS = frozenset({"Nd", "Nl", "No"})


def parent_of(project: str, location: str) -> str:
    """The parent of a regional resource: ``projects/{project}/locations/{location}``.

    >>> parent_of("my-project", "us-central1")
    'projects/my-project/locations/us-central1'
    """
    return f"projects/{project}/locations/{location}"


def location_of(name: str) -> str:
    """The location segment of a parent or of any resource name under one; "" if none.

    >>> location_of("projects/p/locations/europe-west4/customJobs/1")
    'europe-west4'
    >>> location_of("projects/p/locations/us-central1")
    'us-central1'
    """
    parts = name.split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "locations" else ""


def check_network(value: Any, path: str, failures: list[SpecFailure]) -> None:
    """``projects/{project_number}/global/networks/{name}``; a project id is its own error."""
    if not isinstance(value, str):
        return
    url_prefix = "https://www.googleapis.com/compute/v1/"
    if value.startswith(url_prefix):
        failures.append(
            SpecFailure(
                path,
                f"give the resource name without {url_prefix!r}: "
                f"projects/{{project_number}}/global/networks/{{network}}",
                value,
            )
        )
        return
    match = NETWORK.match(value)
    if not match:
        failures.append(
            SpecFailure(
                path,
                "must be projects/{project_number}/global/networks/{network}, "
                "e.g. projects/12345/global/networks/my-vpc",
                value,
            )
        )
        return
    if not _PROJECT_NUMBER.match(match["project"]):
        # Vertex peers with the network by project number; a project id is only
        # rejected when the job is scheduled, so catch it at preview.
        failures.append(
            SpecFailure(
                path,
                f"use the project number, not the project id {match['project']!r}: "
                "projects/{project_number}/global/networks/{network} "
                "(`gcloud projects describe PROJECT --format='value(projectNumber)'`)",
                value,
            )
        )
    if not re.fullmatch(_GCE_NAME, match["name"]):
        failures.append(
            SpecFailure(
                path,
                "network name must be 1-63 lowercase letters, digits or '-', "
                "starting with a letter",
                value,
            )
        )


def check_kms_key(value: Any, path: str, location: str | None, failures: list[SpecFailure]) -> None:
    """``projects/*/locations/*/keyRings/*/cryptoKeys/*`` in the resource's own region."""
    if not isinstance(value, str):
        return
    match = KMS_KEY.match(value)
    if not match:
        failures.append(
            SpecFailure(
                path,
                "must be projects/{project}/locations/{location}/keyRings/"
                "{key_ring}/cryptoKeys/{key}",
                value,
            )
        )
        return
    if location and match["location"] != location:
        failures.append(
            SpecFailure(
                path,
                f"the key must be in the resource's region {location!r}, not {match['location']!r}",
                value,
            )
        )


def check_pattern(
    value: Any, pattern: re.Pattern[str], form: str, path: str, failures: list[SpecFailure]
) -> None:
    """Report ``value`` unless it matches ``pattern``; ``form`` is shown as what is allowed.

    Empty strings pass: they mean "not given", which the required checks handle.
    """
    if isinstance(value, str) and value and not pattern.match(value):
        failures.append(SpecFailure(path, f"must be {form}", value))


def check_email(value: Any, path: str, failures: list[SpecFailure]) -> None:
    """A service account email (``name@project.iam.gserviceaccount.com``)."""
    check_pattern(
        value,
        EMAIL,
        "a service account email like name@project.iam.gserviceaccount.com",
        path,
        failures,
    )


def check_gcs_uri(value: Any, path: str, failures: list[SpecFailure]) -> None:
    """A ``gs://bucket[/path]`` URI."""
    check_pattern(value, GCS_URI, "a Cloud Storage URI gs://bucket[/path]", path, failures)


def _is_label_start(ch: str) -> bool:
    return unicodedata.category(ch) in _LETTERS


def _is_label_char(ch: str) -> bool:
    return ch in "_-" or unicodedata.category(ch) in _LETTERS | _NUMBERS


def _label_size(text: str, what: str, path: str, failures: list[SpecFailure]) -> bool:
    """A failure (and True) when ``text`` is too long in characters or in UTF-8 bytes."""
    size = len(text.encode("utf-8"))
    if len(text) > LABEL_MAX_LENGTH:
        reason = f"label {what} are at most {LABEL_MAX_LENGTH} characters, got {len(text)}"
    elif size > LABEL_MAX_BYTES:
        reason = f"label {what} are under {LABEL_MAX_BYTES + 1} bytes in UTF-8, got {size}"
    else:
        return False
    failures.append(SpecFailure(path, reason, text))
    return True


def check_labels(labels: Any, path: str, failures: list[SpecFailure]) -> None:
    """Vertex AI's label rules: at most 64; keys 1-63 characters (under 128 bytes)
    starting with a lowercase (or caseless) letter or a number (see
    ``check_label_warnings``); keys and values only lowercase letters, numbers, ``_``, ``-``.

    Keys starting with ``goog`` are not rejected: no such rule is documented for Vertex
    labels (it is a Compute Engine metadata rule).
    """
    if not isinstance(labels, dict):
        return
    if len(labels) > LABEL_MAX_COUNT:
        failures.append(
            SpecFailure(
                path,
                f"at most {LABEL_MAX_COUNT} labels are allowed, got {len(labels)}",
                sorted(labels),
            )
        )
    allowed = "lowercase letters, digits, '_' and '-' (international letters allowed)"
    for key, value in labels.items():
        key_path = names.key_path(path, key)
        if not key:
            failures.append(SpecFailure(key_path, "label keys must not be empty", key))
        elif _label_size(key, "keys", key_path, failures):
            pass
        elif not (_is_label_start(key[0]) or unicodedata.category(key[0]) in _NUMBERS):
            failures.append(
                SpecFailure(key_path, "label keys must start with a lowercase letter", key)
            )
        elif not all(_is_label_char(c) for c in key):
            failures.append(SpecFailure(key_path, f"label keys may contain only {allowed}", key))
        if is_unknown(value) or not isinstance(value, str):
            continue
        if not _label_size(value, "values", key_path, failures) and not all(
            _is_label_char(c) for c in value
        ):
            failures.append(
                SpecFailure(key_path, f"label values may contain only {allowed}", value)
            )


def check_label_warnings(labels: Any, path: str, warnings: list[SpecFailure]) -> None:
    """A key starting with a number: Vertex AI's message allows it ("must start with a
    letter or number"), the general Google Cloud label rules do not."""
    if not isinstance(labels, dict):
        return
    for key in labels:
        if isinstance(key, str) and key and unicodedata.category(key[0]) in _NUMBERS:
            warnings.append(
                SpecFailure(
                    names.key_path(path, key),
                    "label keys start with a lowercase letter by the general label rules; "
                    "Vertex AI's own message says 'must start with a letter or number'",
                    key,
                )
            )
