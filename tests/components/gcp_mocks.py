"""Mocks for pulumi-gcp resources and invokes under ``ProgramRunner``: the outputs
the real provider computes (emails, self links, ids), from the inputs given.

pulumi-gcp cannot run here (no plugin, no cloud); these keep what programs read
back from it realistic: ``Account.email``, ``Network.self_link``,
``Repository.repository_id``, ``get_project().number``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

PROJECT_NUMBERS = {"my-project": "123456789012", "host-project": "210987654321"}
"""Project numbers ``get_project`` answers with; other projects get ``DEFAULT_NUMBER``."""
DEFAULT_NUMBER = "555555555555"
COMPUTE = "https://www.googleapis.com/compute/v1"


def _account(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    email = f"{inputs['accountId']}@{inputs['project']}.iam.gserviceaccount.com"
    name = f"projects/{inputs['project']}/serviceAccounts/{email}"
    return name, {"email": email, "member": f"serviceAccount:{email}", "name": name}


def _network(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = f"projects/{inputs['project']}/global/networks/{inputs['name']}"
    return path, {"selfLink": f"{COMPUTE}/{path}", "numericId": "4242"}


def _address(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = f"projects/{inputs['project']}/global/addresses/{inputs['name']}"
    return path, {"address": "10.8.0.0", "selfLink": f"{COMPUTE}/{path}"}


def _connection(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return f"{inputs['network']}:{inputs['service']}", {
        "peering": "servicenetworking-googleapis-com"
    }


def _bucket(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = inputs["name"]
    return name, {
        "url": f"gs://{name}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
    }


def _repository(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = (
        f"projects/{inputs['project']}/locations/{inputs['location']}"
        f"/repositories/{inputs['repositoryId']}"
    )
    return path, {"name": inputs["repositoryId"]}


def _key_ring(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return (
        f"projects/{inputs['project']}/locations/{inputs['location']}/keyRings/{inputs['name']}",
        {},
    )


def _crypto_key(inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return f"{inputs['keyRing']}/cryptoKeys/{inputs['name']}", {}


_OUTPUTS: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "gcp:serviceaccount/account:Account": _account,
    "gcp:compute/network:Network": _network,
    "gcp:compute/globalAddress:GlobalAddress": _address,
    "gcp:servicenetworking/connection:Connection": _connection,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:artifactregistry/repository:Repository": _repository,
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
}


def gcp_mock_resource(args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    """Id and outputs of a pulumi-gcp resource: its inputs plus what the provider computes."""
    inputs = dict(args.inputs)
    compute = _OUTPUTS.get(args.typ)
    if compute is None:  # IAM members and the like: nothing computed worth modelling
        return f"{args.name}-id", inputs
    resource_id, computed = compute(inputs)
    return resource_id, {**inputs, **computed, "id": resource_id}


class RecordingCalls:
    """``mock_call`` for ``ProgramRunner``: answers ``gcp.organizations.get_project`` and
    records every invoke as ``(token, args)``."""

    def __init__(self, numbers: dict[str, str] | None = None) -> None:
        self.numbers = dict(PROJECT_NUMBERS if numbers is None else numbers)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, args: MockCallArgs) -> dict[str, Any]:
        self.calls.append((args.token, dict(args.args)))
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId", "")
            number = self.numbers.get(project, DEFAULT_NUMBER)
            return {"projectId": project, "number": number, "name": project}
        return {}
