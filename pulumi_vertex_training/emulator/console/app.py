"""The console's routes: a Starlette application under ``/console``, mounted by the gateway.

Pages are rendered by Jinja2 with autoescape on (a display name of ``<script>`` is
text), in a worker thread (the backends and the runner block). Every answer carries
a Content-Security-Policy allowing only this origin's own script and style and no
framing (the Cancel button cannot be clickjacked); errors are HTML pages. The guard
rules of the REST API (``http/guard.py``) wrap this application too: the gateway
hands them in as ``middleware``.
"""

from __future__ import annotations

import functools
import logging
import pathlib
from collections.abc import Callable, Sequence
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pulumi_vertex_training.emulator.console import (
    Sources,
    files,
    jobs,
    pages,
    streams,
    training,
    views,
)
from pulumi_vertex_training.emulator.console.urls import PATH
from pulumi_vertex_training.emulator.exceptions import EmulatorError

_log = logging.getLogger(__name__)
HERE = pathlib.Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_PARENT = "projects/{project}/locations/{location}"


def environment() -> jinja2.Environment:
    """The templates, autoescaped (every template is HTML)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["root"] = PATH
    return env


class SecurityHeaders:
    """ASGI middleware: :data:`PAGE_HEADERS` on every answer that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def build(sources: Sources, middleware: Sequence[Middleware] = ()) -> Starlette:
    """The console application (its routes start with ``/console``)."""
    env = environment()

    def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context), status)

    async def page(template: str, make: Callable[[], dict[str, Any]], **extra: Any) -> Response:
        try:
            context = await run_in_threadpool(make)
        except EmulatorError as err:
            return render("error.html", err.http_status, message=err.message, section="")
        return render(template, **context, **extra)

    def name(request: Request, collection: str) -> str:
        p = request.path_params
        return f"projects/{p['project']}/locations/{p['location']}/{collection}/{p['id']}"

    async def job_list(request: Request) -> Response:
        q = request.query_params
        make = functools.partial(
            jobs.table, sources, q.get("state", ""), q.get("label", ""), q.get("page_token", "")
        )
        fragment = request.url.path.endswith("/rows")
        template = "_job_rows.html" if fragment else "jobs.html"
        return await page(template, make, section="jobs", query=str(request.query_params))

    async def job_page(request: Request) -> Response:
        job = name(request, "customJobs")
        return await page("job.html", functools.partial(jobs.page, sources, job), section="jobs")

    async def job_summary(request: Request) -> Response:
        job = name(request, "customJobs")

        def make() -> dict[str, Any]:
            found = sources.jobs.get_custom_job(job)
            return {"summary": jobs.summary(found, sources.jobs.why_queued(found.name))}

        return await page("_job_summary.html", make)

    async def job_logs(request: Request) -> Response:
        job = name(request, "customJobs")
        try:
            current = await run_in_threadpool(sources.jobs.get_custom_job, job)
        except EmulatorError as err:
            raise HTTPException(err.http_status, err.message) from err
        names = (await run_in_threadpool(jobs.replica_names, current))[: streams.MAX_REPLICAS]
        resume = request.headers.get("last-event-id") or request.query_params.get("after", "")
        positions = streams.parse_positions(resume, names)

        def read(replica: str, follow: bool) -> Any:
            return sources.jobs.runner.logs(job, replica, follow=follow)

        def ended() -> bool:
            try:
                return jobs.short_state(sources.jobs.get_custom_job(job)) not in (
                    "QUEUED", "PENDING", "RUNNING", "CANCELLING",
                )  # fmt: skip
            except EmulatorError:
                return True  # deleted

        async def body() -> Any:
            if not streams.try_acquire():  # taken here, so a stream never started holds none
                yield streams.BUSY
                return
            try:
                async for chunk in streams.events(names, positions, read, ended):
                    yield chunk
            finally:
                streams.release()

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def job_files(request: Request) -> Response:
        job = name(request, "customJobs")
        sub = request.path_params.get("path", "")
        try:
            current = await run_in_threadpool(sources.jobs.get_custom_job, job)
        except EmulatorError as err:
            return render("error.html", err.http_status, message=err.message, section="")
        output = current.job_spec.base_output_directory.output_uri_prefix
        root = files.output_root(sources.data_dir, output) if output else None
        target = files.resolve_inside(root, sub) if root is not None else None
        if root is None or target is None or not (target.exists() or target == root):
            message = f"No file {sub!r} in the output directory of {job}."
            return render("error.html", 404, message=message, section="jobs")
        if target.is_file():
            media_type, attachment = files.media_type(target)
            if request.query_params.get("download"):
                attachment = True
            return FileResponse(
                target,
                media_type=media_type,
                headers=files.FILE_HEADERS,
                content_disposition_type="attachment" if attachment else "inline",
                filename=target.name,
            )
        if sub and not sub.endswith("/"):
            return RedirectResponse(f"{request.url.path}/", 307)
        entries, truncated = await run_in_threadpool(files.listing, target, root)
        crumbs = [p for p in sub.split("/") if p]
        return render(
            "files.html",
            section="jobs",
            name=job,
            display_name=current.display_name,
            output=output,
            sub=sub,
            crumbs=crumbs,
            entries=entries,
            truncated=truncated,
            size_text=files.size_text,
            base=f"{jobs.job_path(job)}/files/",
        )

    async def tuning_list(request: Request) -> Response:
        make = functools.partial(pages.tuning_table, sources)
        return await page("tuning_jobs.html", make, section="tuning")

    async def tuning_page(request: Request) -> Response:
        if sources.tuning is None:
            raise HTTPException(404)
        job = name(request, "hyperparameterTuningJobs")
        make = functools.partial(pages.tuning_page, sources, job)
        return await page("tuning_job.html", make, section="tuning")

    async def resource_list(request: Request) -> Response:
        make = functools.partial(pages.resources_table, sources)
        return await page("resources.html", make, section="resources")

    async def resource_page(request: Request) -> Response:
        if sources.resources is None:
            raise HTTPException(404)
        resource = name(request, "persistentResources")
        make = functools.partial(pages.resource_page, sources, resource)
        return await page("resource.html", make, section="resources")

    async def pipeline_list(request: Request) -> Response:
        make = functools.partial(training.pipelines_table, sources)
        return await page("pipelines.html", make, section="pipelines")

    async def pipeline_page(request: Request) -> Response:
        if sources.pipelines is None:
            raise HTTPException(404)
        pipeline = name(request, "trainingPipelines")
        make = functools.partial(training.pipeline_page, sources, pipeline)
        return await page("pipeline.html", make, section="pipelines")

    async def model_list(request: Request) -> Response:
        make = functools.partial(training.models_table, sources)
        return await page("models.html", make, section="models")

    async def model_page(request: Request) -> Response:
        if sources.models is None:
            raise HTTPException(404)
        model = name(request, "models")
        if "@" in model:  # a version or alias: its anchor on the model's page
            try:
                version = await run_in_threadpool(training.resolve_version, sources, model)
            except EmulatorError as err:
                return render("error.html", err.http_status, message=err.message, section="")
            return RedirectResponse(training.version_href(model.partition("@")[0], version), 307)
        make = functools.partial(training.model_page, sources, model)
        return await page("model.html", make, section="models")

    async def not_found(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):
            _log.exception("console %s failed", request.url.path, exc_info=exc)
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "Internal error"
        message = "No such page in the console." if status == 404 else str(detail)
        return render("error.html", status, message=message, section="")

    job_base = f"{PATH}/{_PARENT}/customJobs/{{id}}"
    routes = [
        Route(f"{PATH}/", job_list),
        Route(f"{PATH}/rows", job_list),
        Route(job_base, job_page),
        Route(f"{job_base}/summary", job_summary),
        Route(f"{job_base}/logs", job_logs),
        Route(f"{job_base}/files/{{path:path}}", job_files),
        Route(f"{PATH}/tuning", tuning_list),
        Route(f"{PATH}/{_PARENT}/hyperparameterTuningJobs/{{id}}", tuning_page),
        Route(f"{PATH}/resources", resource_list),
        Route(f"{PATH}/{_PARENT}/persistentResources/{{id}}", resource_page),
        Route(f"{PATH}/pipelines", pipeline_list),
        Route(f"{PATH}/{_PARENT}/trainingPipelines/{{id}}", pipeline_page),
        Route(f"{PATH}/models", model_list),
        Route(f"{PATH}/{_PARENT}/models/{{id}}", model_page),
        Mount(f"{PATH}/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[*middleware, Middleware(SecurityHeaders)],
        exception_handlers={HTTPException: not_found, Exception: not_found},
    )


__all__ = ["build", "environment", "views"]
