"""vertex-local's web console: its jobs, pools and logs in a browser, under ``/console/``.

Served on the REST port (``http://127.0.0.1:8471/console/`` by default), behind the same
rules as the REST API (``http/guard.py``: loopback ``Host``, same-origin ``Origin``), and
read-only: its one action, Cancel, is a same-origin ``fetch`` of the REST API's own
``POST /v1/{name}:cancel`` with a JSON body, so a cross-site form can no more cancel a
job than create one. Pages are Jinja2 templates (autoescaped), a stylesheet and a
small script, all in this package: nothing is fetched from the internet and there is
no build step. Without JavaScript every page still renders; live updates (the jobs
table, a job's state, its logs over server-sent events) and Cancel need it.

- ``urls.py``: where the console is (for ``vertex-local start/serve/console``); no
  heavy imports.
- ``views.py``: what is shown of a job, a pool, an environment (secret-looking values
  masked), pure.
- ``app.py``: the Starlette routes and pages; ``pages.py`` the tuning-job and
  persistent-resource pages; ``files.py`` the output directory (read-only,
  path-traversal safe); ``streams.py`` the live logs.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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
    """

    jobs: Any
    tuning: Any = None
    resources: Any = None
    build_job_run: Callable[[Any, pathlib.Path, str], Any] | None = None

    @property
    def data_dir(self) -> pathlib.Path:
        """The emulator's data dir."""
        return pathlib.Path(self.jobs.data_dir)
