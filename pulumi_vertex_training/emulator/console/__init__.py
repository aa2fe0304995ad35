"""vertex-local's web console: its jobs, pools and logs in a browser, under ``/console/``.

Served on the REST port (``http://127.0.0.1:8471/console/`` by default), behind the same
rules as the REST API (``http/guard.py``: loopback ``Host``, same-origin ``Origin``), and
read-only: its one action, Cancel, is a same-origin ``fetch`` of the REST API's own
``POST /v1/{name}:cancel`` with a JSON body, so a cross-site form can no more cancel a
job than create one. Pages are Jinja2 templates (autoescaped), a stylesheet and a
small script, all in this package: nothing is fetched from the internet and there is
no build step. Without JavaScript every page still renders; live updates (the jobs
table, a job's state, its logs over server-sent events) and Cancel need it.

- :func:`mount`: what the REST gateway (``http/gateway.py``) calls to serve it.
- ``urls.py``: where the console is (for ``vertex-local start/serve/console``); no
  heavy imports.
- ``views.py``: what is shown of a job, a pool, an environment (secret-looking values
  masked), pure.
- ``app.py``: the Starlette routes and pages; ``pages.py`` the tuning-job and
  persistent-resource pages; ``training.py`` the TrainingPipeline and Model pages
  (read-only: a pipeline's CustomJob and model, a model's versions and the pipelines
  that made them); ``files.py`` the output directory (read-only, path-traversal
  safe); ``streams.py`` the live logs.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger(__name__)
NO_JINJA2 = (
    "The vertex-local web console needs Jinja2, which comes with the [local] extra: "
    "pip install 'pulumi-vertex-training[local]'."
)


@dataclass(frozen=True)
class Sources:
    """What the console reads, handed over by ``server.py``.

    Args:
        jobs: the ``JobBackend`` (``get_custom_job``, ``list_custom_jobs``, ``runner``,
            ``data_dir``, ``instance_id``).
        tuning: the ``TuningBackend``, or None.
        resources: the ``PersistentResourceBackend``, or None.
        build_job_run: ``(job, data_dir, instance_id) -> JobRun``, the function that
            starts jobs (so a replica's environment is shown as it was set); None:
            ``execution.cluster.build_job_run``.
        pipelines: the ``PipelineBackend`` (TrainingPipelines), or None.
        models: the ``ModelBackend`` (the Model Registry), or None.
    """

    jobs: Any
    tuning: Any = None
    resources: Any = None
    build_job_run: Callable[[Any, pathlib.Path, str], Any] | None = None
    pipelines: Any = None
    models: Any = None

    @property
    def data_dir(self) -> pathlib.Path:
        """The emulator's data dir."""
        return pathlib.Path(self.jobs.data_dir)


def mount(rest: Any, sources: Sources, middleware: Sequence[Any]) -> Any:
    """``rest`` (an ASGI app) with the console under ``/console`` (``app.py``) behind
    ``middleware`` (the gateway's guard). Without Jinja2, ``/console`` says how to get it."""
    try:
        from pulumi_vertex_training.emulator.console import app
    except ImportError as err:
        _log.warning("no web console (%s): %s", err, NO_JINJA2)
        return wrap(rest, _missing(middleware))
    return wrap(rest, app.build(sources, middleware))


def wrap(rest: Any, console: Any) -> Any:
    """One ASGI app: ``/console`` and below to ``console``, the rest to ``rest``."""
    from pulumi_vertex_training.emulator.console.urls import PATH

    async def dispatch(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        inside = scope["type"] == "http" and (path == PATH or path.startswith(f"{PATH}/"))
        await (console if inside else rest)(scope, receive, send)

    return dispatch


def _missing(middleware: Sequence[Any]) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse

    fallback = Starlette(middleware=list(middleware))
    fallback.router.default = PlainTextResponse(NO_JINJA2, 501)
    return fallback
