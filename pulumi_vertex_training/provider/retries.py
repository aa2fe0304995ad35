"""Which Google API errors the providers retry, and how errors users must act on read.

Shared by every provider (the ``*_api.py`` modules of CustomJob, PersistentResource,
the image and the Python package), so a policy change lands everywhere at once.

Policy:
- Transient, retried with exponential backoff, *only on idempotent calls* (get, list,
  cancel, delete, LRO polls): UNAVAILABLE, DEADLINE_EXCEEDED (and the REST 502/504),
  INTERNAL, and RESOURCE_EXHAUSTED/429 when it is a *rate limit*.
- Create is never retried as such: CreateCustomJob takes no request id, so the retry
  goes back through label-based adoption (``custom_job_api.submit_or_adopt``).
- RESOURCE_EXHAUSTED (gRPC) and 429 (REST, ``TooManyRequests``) carry two different
  things on Vertex AI. A *rate limit* ("... requests per minute per region") clears
  by itself within a minute: waiting is the right answer. A *quota* ("The following
  quota metrics exceed quota limits: ...custom_model_training_nvidia_t4_gpus") or a
  *stockout* (no capacity in the zone) does not clear by waiting seconds: retrying
  only hides the answer for minutes, so it surfaces at once, saying what to ask for.
  The two are told apart by the message, the only place Vertex names the limit; an
  unrecognised 429 counts as a quota (fail fast and explain, rather than spin).
- PERMISSION_DENIED and UNAUTHENTICATED are never retried and say which role or
  login is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pulumi_vertex_training import client

# Vertex's rate-limit wording: "... limit 'Resource management (CRUD) requests per
# minute per region' ..."; other Google APIs say "Rate Limit Exceeded".
_RATE_LIMIT = re.compile(r"per (minute|second|100 seconds)|rate limit", re.IGNORECASE)
_STOCKOUT = re.compile(
    r"stockout|does not have enough resources|resource_pool_exhausted", re.IGNORECASE
)


def is_rate_limit(exc: BaseException) -> bool:
    """A 429 / RESOURCE_EXHAUSTED whose message names a per-time request limit."""
    from google.api_core import exceptions

    return isinstance(exc, exceptions.TooManyRequests) and bool(_RATE_LIMIT.search(_message(exc)))


def is_transient(exc: BaseException) -> bool:
    """Whether an idempotent call that raised ``exc`` may simply be made again."""
    from google.api_core import exceptions

    if isinstance(
        exc,
        exceptions.ServiceUnavailable
        | exceptions.DeadlineExceeded
        | exceptions.GatewayTimeout
        | exceptions.BadGateway
        | exceptions.InternalServerError,
    ):
        return True
    return is_rate_limit(exc)


def transient_retry(deadline: float = 300.0) -> Any:
    """A ``google.api_core.retry.Retry`` for idempotent calls: transient errors only,
    exponential backoff (fast against the emulator), giving up after ``deadline`` s."""
    from google.api_core import retry

    initial = 0.05 if client.emulator_host() else 1.0
    return retry.Retry(predicate=is_transient, initial=initial, maximum=10.0, timeout=deadline)


def storage_retry() -> Any:
    """google-cloud-storage's own retry (it knows which storage calls are idempotent);
    short against a local Cloud Storage, where a refused connection means it is not
    running, which retrying for two minutes (the default) would only hide."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_timeout(5.0) if client.storage_emulator_host() else DEFAULT_RETRY


def backoff(attempt: int) -> float:
    """Seconds to sleep before retry number ``attempt`` (0-based) of a non-Retry loop."""
    if client.emulator_host():
        return float(min(0.05 * 2**attempt, 5.0))
    return float(min(2**attempt, 60))


def explain(exc: BaseException, where: str) -> BaseException:
    """Errors users must act on, reworded with what to ask for; others unchanged.

    ``where`` names the resource or parent the call was about.
    """
    from google.api_core import exceptions

    if isinstance(exc, exceptions.RetryError) and exc.cause is not None:
        return explain(exc.cause, where)
    if isinstance(exc, exceptions.PermissionDenied):
        return PermissionError(
            f"Vertex AI refused the call on {where}: {_message(exc)}. The identity running "
            "Pulumi needs roles/aiplatform.user on the project (and "
            "roles/iam.serviceAccountUser on the job's service account, if one is set)."
        )
    if isinstance(exc, exceptions.Unauthenticated):
        return PermissionError(
            f"Vertex AI could not authenticate the call on {where}: {_message(exc)}. "
            "Log in with `gcloud auth application-default login` or set "
            "GOOGLE_APPLICATION_CREDENTIALS to a service account key."
        )
    if isinstance(exc, exceptions.TooManyRequests):
        message = _message(exc)
        if is_rate_limit(exc):
            return RuntimeError(
                f"Vertex AI kept rate-limiting calls on {where}: {message}. Deploy with "
                "less parallelism (`pulumi up --parallel 4`) or ask for a higher "
                "requests-per-minute quota (IAM & Admin > Quotas)."
            )
        if _STOCKOUT.search(message):
            return RuntimeError(
                f"Vertex AI has no capacity for this machine or accelerator on {where} "
                f"right now: {message}. Try again later, or pick another region, machine "
                "type or accelerator type."
            )
        return RuntimeError(
            f"Vertex AI quota exhausted on {where}: {message}. Ask for more quota for "
            "the machine or accelerator type in this region (IAM & Admin > Quotas), or pick "
            "another region."
        )
    return exc


@contextmanager
def explained(where: str) -> Iterator[None]:
    """Re-raise errors users must act on as :func:`explain` words them."""
    try:
        yield
    except Exception as exc:
        better = explain(exc, where)
        if better is exc:
            raise
        raise better from exc


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)
