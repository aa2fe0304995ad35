"""CustomJobProvider: a Vertex AI CustomJob as a Pulumi dynamic resource.

CustomJob has no Update RPC, so a
change to what runs (display_name, job_spec, labels, encryption_spec, project,
location, triggers) replaces the job; lifecycle inputs (wait, on_delete,
wait_timeout, logs) update in place with no API call. ``logs`` says what of the
replicas' logs the wait shows (``job_logs.py``). Create adopts a live job with
the same spec and resource labels instead of submitting a second one.

This module path is public API: Pulumi state refers to
``pulumi_vertex_training.provider.custom_job.CustomJobProvider`` by name.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import custom_job_api as api
from pulumi_vertex_training.provider import job_logs, progress
from pulumi_vertex_training.provider.regional import RegionalProvider
from pulumi_vertex_training.provider.values import (
    Path,
    changed_paths,
    check_failures,
    from_spec,
    mark_secrets,
    reveal,
    secret,
    secrets_at,
    to_spec,
    unchanged,
    under_secret,
)
from pulumi_vertex_training.spec import (
    SpecFailure,
    custom_job_from_proto,
    custom_job_to_proto,
    job_fits_resource,
    normalize_custom_job,
    spec_hash,
    with_resource_id,
)
from pulumi_vertex_training.spec.custom_job import JOB_FIELDS
from pulumi_vertex_training.spec.durations import DurationError, normalize_duration, parse_seconds
from pulumi_vertex_training.spec.failures import is_unknown
from pulumi_vertex_training.spec.resource_names import parent_of

WAIT_MODES = ("none", "started", "completed")
ON_DELETE = ("cancel", "keep")
DEFAULT_WAIT_TIMEOUT = {"none": 0.0, "started": 3600.0, "completed": 86400.0}
DELETE_TIMEOUT = 1800.0

REPLACE_KEYS = ("project", "location", *JOB_FIELDS, "triggers")
LIFECYCLE_KEYS = ("wait", "on_delete", "wait_timeout", "logs")
LIFECYCLE_DEFAULTS = {"logs": job_logs.DEFAULT_LOGS}  # stacks from before `logs` have none
OUTPUT_KEYS = (
    "job_id",
    "state",
    "error",
    "create_time",
    "start_time",
    "end_time",
    "update_time",
    "console_url",
    "web_access_uris",
    "model_dir",
    "checkpoint_dir",
    "tensorboard_log_dir",
    "spec_hash",
)
OUTPUT_DIRS = ("model_dir", "checkpoint_dir", "tensorboard_log_dir")
"""Outputs derived from ``job_spec.base_output_directory``: secret when it was."""


class CustomJobProvider(RegionalProvider):
    """Dynamic provider for ``vt.CustomJob``. Holds no clients or credentials."""

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

        wait = values.get("wait") or "started"
        if not is_unknown(wait) and wait not in WAIT_MODES:
            failures.append(SpecFailure("wait", f"must be one of {', '.join(WAIT_MODES)}", wait))
        inputs["wait"] = from_spec(wait)
        on_delete = values.get("on_delete") or "cancel"
        if not is_unknown(on_delete) and on_delete not in ON_DELETE:
            failures.append(
                SpecFailure("on_delete", f"must be one of {', '.join(ON_DELETE)}", on_delete)
            )
        inputs["on_delete"] = from_spec(on_delete)
        logs = values.get("logs") or job_logs.DEFAULT_LOGS
        if not is_unknown(logs) and logs not in job_logs.LOG_MODES:
            failures.append(
                SpecFailure(
                    "logs",
                    f"must be one of {', '.join(job_logs.LOG_MODES)} (what of the replicas' "
                    "logs the wait shows: nothing, the failing replica's last lines when the "
                    "job fails, or every line as it comes)",
                    logs,
                )
            )
        inputs["logs"] = from_spec(logs)
        timeout = values.get("wait_timeout")
        if timeout is not None and not is_unknown(timeout):
            try:
                inputs["wait_timeout"] = normalize_duration(timeout)
                if parse_seconds(timeout) <= 0:
                    raise DurationError("must be a positive duration")
            except DurationError as err:
                failures.append(SpecFailure("wait_timeout", err.reason, timeout))

        # vt.CustomJob(persistent_resource=pr) passes pr's spec: name it, check the fit.
        resource_spec = values.get("persistent_resource_spec")
        values["job_spec"] = with_resource_id(values.get("job_spec"), resource_spec)
        location = inputs["location"] if isinstance(inputs["location"], str) else None
        normalized = normalize_custom_job({k: values.get(k) for k in JOB_FIELDS}, location=location)
        failures.extend(normalized.failures)
        failures.extend(job_fits_resource(normalized.value, resource_spec))
        for warning in normalized.warnings:  # what Vertex AI may refuse: shown, not blocking
            progress.warn(str(warning))
        for key in JOB_FIELDS:
            inputs[key] = from_spec(normalized.value.get(key))
        return CheckResult(
            mark_secrets(inputs, secret_paths),
            check_failures(failures, secrets_at(news, secret_paths)),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on any change to what runs; update lifecycle inputs in place."""
        replaces = [k for k in REPLACE_KEYS if not unchanged(olds.get(k), news.get(k))]
        updates = [
            k
            for k in LIFECYCLE_KEYS
            if not unchanged(olds.get(k, LIFECYCLE_DEFAULTS.get(k)), news.get(k))
        ]
        if replaces:
            secret_paths = reveal(news)[1]
            paths = []
            for key in replaces:
                paths.extend(
                    changed_paths(olds.get(key), news.get(key), key, secret_paths, (key,))
                    if key == "job_spec"
                    else [key]
                )
            progress.info(f"replacing the job: changed {', '.join(paths)}")
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            delete_before_replace=False,
        )

    # -- create / read / update / delete ---------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt a live job with the same spec and name labels, or submit one; then wait."""
        canonical, digest, resource_hash = job_identity(props)
        job = custom_job_to_proto(canonical)
        job.labels[api.SPEC_HASH_LABEL] = digest
        job.labels[api.RESOURCE_LABEL] = resource_hash

        parent = parent_of(props["project"], props["location"])
        live, adopted = api.submit_or_adopt(parent, job, digest, resource_hash)
        verb = "adopted" if adopted else "submitted"
        progress.info(
            f"{verb} {live.name} ({live.state.name}); console: {client.console_url(live.name)}"
        )
        live = self._wait(live.name, props, live)
        outputs = {**api.job_outputs(live), "spec_hash": digest}
        return CreateResult(live.name, {**props, **_secret_outputs(outputs, props)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The live job's state; a job deleted elsewhere leaves the stack."""
        live = api.get_job(id_)
        if live is None:
            return ReadResult(None, {})
        if not props.get("job_spec"):  # CustomJob.get(): inputs come from the live job
            props = {
                **props,
                **_inputs_from_job(live),
                "wait": "none",
                "on_delete": "keep",
            }
        return ReadResult(id_, {**props, **_secret_outputs(api.job_outputs(live), props)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Lifecycle inputs only: no API call, every output kept."""
        outputs = {k: olds.get(k) for k in OUTPUT_KEYS}
        return UpdateResult({**news, **_secret_outputs(outputs, news)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Cancel (unless ended), wait, delete; or leave it with on_delete='keep'."""
        if props.get("on_delete") == "keep":
            progress.info(f"leaving {id_} in Vertex AI (on_delete='keep')")
            return
        api.cancel_and_delete(id_, DELETE_TIMEOUT)

    # -- helpers -----------------------------------------------------------------

    def _wait(self, name: str, props: dict[str, Any], job: Any) -> Any:
        mode = props.get("wait") or "started"
        if mode == "none":
            return job
        given = props.get("wait_timeout")
        timeout = float(parse_seconds(given)) if given else DEFAULT_WAIT_TIMEOUT[mode]
        until = api.STARTED_STATES if mode == "started" else api.TERMINAL_STATES

        def report(live: Any) -> None:
            progress.info(f"{name}: {live.state.name}")

        logs = props.get("logs") or job_logs.DEFAULT_LOGS
        label = str(props.get("display_name") or name.rsplit("/", 1)[-1])
        project = props.get("project")
        stream = job_logs.LogStream(name, label, project=project) if logs == "stream" else None
        live = api.wait_for(
            name,
            until,
            timeout,
            on_state=report,
            on_poll=(lambda _job: stream.poll()) if stream is not None else None,
        )
        if stream is not None:
            stream.poll(final=live.state.name in api.TERMINAL_STATES)
        if live.state.name in api.FAILED_STATES:
            raise api.JobFailedError(job_logs.failure_report(live, label, logs, project))
        return live


def job_identity(props: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(canonical job fields, spec hash, resource hash): what adoption matches on.

    The spec hash covers what runs; the resource hash, the stack-qualified
    resource name (``resource_key``), so two resources with the same spec in
    one stack are still two jobs.
    """
    normalized = normalize_custom_job({k: props.get(k) for k in JOB_FIELDS})
    if normalized.failures:  # check() ran first; only a bug gets here (paths only: no values)
        raise ValueError(f"invalid job fields: {', '.join(f.path for f in normalized.failures)}")
    key = str(props.get("resource_key") or "")
    resource_hash = hashlib.sha256(key.encode()).hexdigest()[:32]
    return normalized.value, spec_hash(normalized.value), resource_hash


def _secret_outputs(outputs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """``outputs`` with those derived from a secret output directory marked secret: the
    engine copies secrecy only to outputs named like a secret input."""
    paths: list[Path] = reveal(props)[1]
    if not under_secret(paths, "job_spec", "base_output_directory"):
        return outputs
    return {k: secret(v) if k in OUTPUT_DIRS else v for k, v in outputs.items()}


def _inputs_from_job(job: Any) -> dict[str, Any]:
    parts = job.name.split("/")
    return {
        "project": parts[1],
        "location": parts[3],
        **custom_job_from_proto(job),
    }
