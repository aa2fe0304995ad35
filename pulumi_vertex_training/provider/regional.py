"""What every provider of a regional Vertex AI resource shares: where it lives.

A CustomJob or PersistentResource lives under ``projects/{project}/locations/{location}``;
both come from the resource's inputs, else from the stack config (``gcp:project``,
``gcp:region``) that the engine hands to ``configure()``.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from pulumi_vertex_training.provider.values import from_spec
from pulumi_vertex_training.spec.failures import SpecFailure, is_unknown, missing

PLACE_CONFIG = {"project": "gcp:project", "location": "gcp:region"}


class RegionalProvider(ResourceProvider):
    """Base of the providers of regional resources. Holds no clients or credentials."""

    def __init__(self) -> None:
        super().__init__()
        self.default_project: str | None = None
        self.default_location: str | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Stack config as a fallback for project and location (``gcp:project``/``gcp:region``)."""
        self.default_project = req.config.get("gcp:project")
        self.default_location = req.config.get("gcp:region")

    def check_place(
        self, values: dict[str, Any], inputs: dict[str, Any], failures: list[SpecFailure]
    ) -> None:
        """Resolve ``project`` and ``location`` into ``inputs``; report them when missing."""
        defaults = {"project": self.default_project, "location": self.default_location}
        for key, config in PLACE_CONFIG.items():
            value = values.get(key) or defaults[key]
            if value is None or value == "":
                failures.append(
                    missing(key, f"{key} is not set: pass {key}= or `pulumi config set {config}`")
                )
            elif not is_unknown(value) and not isinstance(value, str):
                failures.append(SpecFailure(key, "must be a string", value))
            inputs[key] = from_spec(value)
