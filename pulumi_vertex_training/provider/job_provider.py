"""What the providers of long-running jobs share: a job run declared as a resource.

A CustomJob, a HyperparameterTuningJob and a TrainingPipeline have no Update RPC:
any change to what runs replaces the resource, while the lifecycle inputs (``wait``,
``wait_timeout``, ``on_delete``, and what a kind adds) change in place with no API
call. Create labels the job with a hash of its canonical spec and of the
stack-qualified resource name, and adopts a live job with both labels instead of
submitting a second one. ``wait`` is ``none``, ``started`` or ``completed``;
``on_delete`` is ``cancel`` (cancel unless ended, wait, delete) or ``keep``.

:class:`JobProvider` does all of that; a kind's provider names its API
(:class:`~.job_api.JobApi`), its fields and outputs, and how its spec is normalized.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import job_api, job_logs, progress
from pulumi_vertex_training.provider.job_api import JobApi, JobFailedError
from pulumi_vertex_training.provider.regional import RegionalProvider
from pulumi_vertex_training.provider.values import (
    changed_paths,
    check_failures,
    from_spec,
    mark_secrets,
    reveal,
    secrets_at,
    to_spec,
    unchanged,
)
from pulumi_vertex_training.spec import SpecFailure, spec_hash
from pulumi_vertex_training.spec.durations import DurationError, normalize_duration, parse_seconds
from pulumi_vertex_training.spec.failures import Normalized, is_unknown
from pulumi_vertex_training.spec.resource_names import parent_of

WAIT_MODES = ("none", "started", "completed")
ON_DELETE = ("cancel", "keep")
DEFAULT_WAIT_TIMEOUT = {"none": 0.0, "started": 3600.0, "completed": 86400.0}
DELETE_TIMEOUT = 1800.0


def check_choice(
    values: dict[str, Any],
    inputs: dict[str, Any],
    key: str,
    choices: tuple[str, ...],
    default: str,
    failures: list[SpecFailure],
    why: str = "",
) -> None:
    """A lifecycle input that is one of ``choices`` (``default`` when not given)."""
    value = values.get(key) or default
    if not is_unknown(value) and value not in choices:
        failures.append(SpecFailure(key, f"must be one of {', '.join(choices)}{why}", value))
    inputs[key] = from_spec(value)


def job_label(name: str, props: dict[str, Any]) -> str:
    """What messages call a job: its display name, else the last segment of its name.

    >>> job_label("projects/p/locations/l/customJobs/12", {})
    '12'
    """
    return str(props.get("display_name") or name.rsplit("/", 1)[-1])


def job_project(props: dict[str, Any]) -> str | None:
    """The job's project, when known (a string)."""
    project = props.get("project")
    return project if isinstance(project, str) else None


class JobProvider(RegionalProvider):
    """Base of the providers of long-running jobs. Holds no clients or credentials.

    A kind sets the class attributes and implements :meth:`normalize`,
    :meth:`to_proto`, :meth:`outputs` and :meth:`inputs_from`; it may extend
    :meth:`check_lifecycle` and override :meth:`failure_message` and :meth:`log_stream`.
    A kind with ``logs`` among its ``lifecycle_keys`` gets it checked against
    ``job_logs.LOG_MODES``, ``logs_why`` saying what it shows.
    """

    api: ClassVar[JobApi]
    title: ClassVar[str]
    """The kind as the API names it, for messages: ``CustomJob``."""
    fields: ClassVar[tuple[str, ...]]
    """The resource's own fields (what runs); a change to any replaces it."""
    output_keys: ClassVar[tuple[str, ...]]
    lifecycle_keys: ClassVar[tuple[str, ...]] = ("wait", "on_delete", "wait_timeout")
    lifecycle_defaults: ClassVar[dict[str, Any]] = {}
    """Defaults of lifecycle inputs added after a release: a stack saved before has none."""
    logs_why: ClassVar[str] = ""
    """What ``logs`` shows, for its failure message (kinds with ``logs``)."""

    # -- what a kind provides ----------------------------------------------------

    def normalize(
        self, values: dict[str, Any], location: str | None
    ) -> tuple[Normalized, list[SpecFailure]]:
        """(the normalized fields, failures beyond the spec's own) of the checked inputs."""
        raise NotImplementedError

    def to_proto(self, canonical: dict[str, Any]) -> Any:
        """The API message of the canonical fields."""
        raise NotImplementedError

    def outputs(self, live: Any) -> dict[str, Any]:
        """The computed outputs, from the live job."""
        raise NotImplementedError

    def mark_outputs(self, outputs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
        """``outputs`` with those derived from a secret input marked secret (the engine
        copies secrecy only to outputs named like a secret input)."""
        return outputs

    def inputs_from(self, live: Any) -> dict[str, Any]:
        """The inputs of a job read by ``.get()`` (no inputs of its own)."""
        raise NotImplementedError

    def check_lifecycle(
        self, values: dict[str, Any], inputs: dict[str, Any], failures: list[SpecFailure]
    ) -> None:
        """Check ``wait``, ``on_delete``, ``wait_timeout`` and ``logs`` (when a lifecycle
        key of the kind) into ``inputs``."""
        check_choice(values, inputs, "wait", WAIT_MODES, "started", failures)
        check_choice(values, inputs, "on_delete", ON_DELETE, "cancel", failures)
        timeout = values.get("wait_timeout")
        if timeout is not None and not is_unknown(timeout):
            try:
                inputs["wait_timeout"] = normalize_duration(timeout)
                if parse_seconds(timeout) <= 0:
                    raise DurationError("must be a positive duration")
            except DurationError as err:
                failures.append(SpecFailure("wait_timeout", err.reason, timeout))
        if "logs" in self.lifecycle_keys:
            logs_modes, logs_default = job_logs.LOG_MODES, job_logs.DEFAULT_LOGS
            check_choice(values, inputs, "logs", logs_modes, logs_default, failures, self.logs_why)

    def failure_message(self, live: Any, props: dict[str, Any]) -> str:
        """What a failed or cancelled job fails the deployment with."""
        message = live.error.message or "(no error message)"
        return (
            f"{live.name} ended {live.state.name}: {message}\n"
            f"console: {client.console_url(live.name)}"
        )

    def log_stream(self, name: str, props: dict[str, Any]) -> Any | None:
        """What shows the job's logs while waiting (``poll(final=)``), or None."""
        return None

    # -- check / diff ----------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate everything at once and return the normalized inputs.

        Failures show no value that was secret on input; the result keeps those secret.
        """
        news, secret_paths = reveal(news)
        values = to_spec(news)
        failures: list[SpecFailure] = []
        inputs = dict(news)
        self.check_place(values, inputs, failures)
        self.check_lifecycle(values, inputs, failures)
        location = inputs["location"] if isinstance(inputs["location"], str) else None
        normalized, extra = self.normalize(values, location)
        failures.extend(normalized.failures)
        failures.extend(extra)
        for warning in normalized.warnings:  # what Vertex AI may refuse: shown, not blocking
            progress.warn(str(warning))
        for key in self.fields:
            inputs[key] = from_spec(normalized.value.get(key))
        return CheckResult(
            mark_secrets(inputs, secret_paths),
            check_failures(failures, secrets_at(news, secret_paths)),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on any change to what runs; update lifecycle inputs in place."""
        replace_keys = ("project", "location", *self.fields, "triggers")
        replaces = [k for k in replace_keys if not unchanged(olds.get(k), news.get(k))]
        updates = [
            k
            for k in self.lifecycle_keys
            if not unchanged(olds.get(k, self.lifecycle_defaults.get(k)), news.get(k))
        ]
        if replaces:
            secret_paths = reveal(news)[1]
            paths = []
            for key in replaces:
                if key in self.fields and isinstance(news.get(key), dict):
                    paths.extend(
                        changed_paths(olds.get(key), news.get(key), key, secret_paths, (key,))
                    )
                else:
                    paths.append(key)
            progress.info(f"replacing the {self.api.noun}: changed {', '.join(paths)}")
        return DiffResult(
            changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False
        )

    # -- create / read / update / delete ---------------------------------------

    def identity(self, props: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
        """(canonical fields, spec hash, resource hash): what adoption matches on.

        The spec hash covers what runs; the resource hash, the stack-qualified resource
        name (``resource_key``), so two resources with one spec in a stack are two jobs.
        """
        normalized, _ = self.normalize(props, props.get("location"))
        if normalized.failures:  # check() ran first; only a bug gets here (paths, no values)
            paths = ", ".join(f.path for f in normalized.failures)
            raise ValueError(f"invalid {self.title} fields: {paths}")
        key = str(props.get("resource_key") or "")
        resource_hash = hashlib.sha256(key.encode()).hexdigest()[:32]
        return normalized.value, spec_hash(normalized.value), resource_hash

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt a live job with the same spec and name labels, or submit one; then wait."""
        canonical, digest, resource_hash = self.identity(props)
        message = self.to_proto(canonical)
        message.labels[job_api.SPEC_HASH_LABEL] = digest
        message.labels[job_api.RESOURCE_LABEL] = resource_hash
        parent = parent_of(props["project"], props["location"])
        live, adopted = job_api.submit_or_adopt(self.api, parent, message, digest, resource_hash)
        verb = "adopted" if adopted else "submitted"
        progress.info(
            f"{verb} {live.name} ({live.state.name}); console: {client.console_url(live.name)}"
        )
        live = self.wait(live.name, props, live)
        outputs = {**self.outputs(live), "spec_hash": digest}
        return CreateResult(live.name, {**props, **self.mark_outputs(outputs, props)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live job's state; a job deleted elsewhere leaves the stack."""
        live = job_api.get(self.api, id_)
        if live is None:
            return ReadResult(None, {})
        if not any(props.get(k) for k in self.fields if k != "display_name"):
            # .get(): the inputs come from the live job
            props = {**props, **self.inputs_from(live), "wait": "none", "on_delete": "keep"}
        return ReadResult(id_, {**props, **self.mark_outputs(self.outputs(live), props)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Lifecycle inputs only: no API call, every output kept."""
        kept = {k: olds.get(k) for k in self.output_keys}
        return UpdateResult({**news, **self.mark_outputs(kept, news)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Cancel (unless ended), wait, delete; or leave it with on_delete='keep'."""
        if props.get("on_delete") == "keep":
            progress.info(f"leaving {id_} in Vertex AI (on_delete='keep')")
            return
        job_api.cancel_and_delete(self.api, id_, DELETE_TIMEOUT)

    # -- waiting -------------------------------------------------------------------

    def wait(self, name: str, props: dict[str, Any], job: Any) -> Any:
        """Wait as ``wait`` asks, within ``wait_timeout``; a failed job raises."""
        mode = props.get("wait") or "started"
        if mode == "none":
            return job
        given = props.get("wait_timeout")
        timeout = float(parse_seconds(given)) if given else DEFAULT_WAIT_TIMEOUT[mode]
        states = self.api.states
        until = states.started if mode == "started" else states.terminal

        def report(live: Any) -> None:
            progress.info(f"{name}: {live.state.name}")

        stream = self.log_stream(name, props)
        live = job_api.wait_for(
            self.api,
            name,
            until,
            timeout,
            on_state=report,
            on_poll=(lambda _job: stream.poll()) if stream is not None else None,
        )
        if stream is not None:
            stream.poll(final=live.state.name in states.terminal)
        if live.state.name in states.failed:
            raise JobFailedError(self.failure_message(live, props))
        return live
