"""Stacks deployed by earlier releases keep working: their state names provider classes
by module path (dill pickles a provider by reference), so every ``*Provider`` must still
unpickle from the strings an earlier layout wrote, in the SDK's own provider host.

``data/providers_0_1_0.json`` holds the ``__provider`` strings pulumi-vertex-training
0.1.0 serialized (before the provider/packaging split), as ``pulumi.dynamic.Resource``
serializes them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import dill
import pytest

from pulumi_vertex_training.testing.host import PROVIDER_KEY, DynamicHost

SERIALIZED = json.loads((Path(__file__).parent / "data" / "providers_0_1_0.json").read_text())
PROVIDERS: dict[str, str] = SERIALIZED["providers"]

# Inputs each provider must refuse in check(), naming the property: proof that the
# unpickled object is the current provider class, not a stale copy.
BAD_INPUTS = {
    "CustomJobProvider": ({"wait": "sometimes"}, "wait"),
    "PersistentResourceProvider": ({"resource_id": "Not_Valid"}, "resource_id"),
    "ImageProvider": ({"context_hash": "abc"}, "context_hash"),
    "PythonPackageProvider": ({"staging_uri": "s3://x"}, "staging_uri"),
}


@pytest.mark.parametrize("path", sorted(PROVIDERS))
def test_provider_from_an_earlier_release_unpickles_to_the_current_class(path: str) -> None:
    module, _, name = path.rpartition(".")
    current = getattr(__import__(module, fromlist=[name]), name)
    provider = dill.loads(base64.b64decode(PROVIDERS[path]))
    assert type(provider) is current


@pytest.mark.parametrize("path", sorted(PROVIDERS))
def test_provider_from_an_earlier_release_checks_inputs_in_the_sdk_host(path: str) -> None:
    bad, prop = BAD_INPUTS[path.rpartition(".")[2]]
    with DynamicHost(config={"gcp:project": "p", "gcp:region": "us-central1"}) as host:
        _, failures = host.check({}, {**bad, PROVIDER_KEY: PROVIDERS[path]})
    assert prop in [p for p, _ in failures], failures
