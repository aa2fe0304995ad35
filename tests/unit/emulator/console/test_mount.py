"""The gateway's console mount: ``/console`` to the console, the rest to REST, and a
plain answer saying what to install when Jinja2 is missing."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse

from pulumi_vertex_training.emulator import console


def get(app: Any, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.get(path)

    return asyncio.run(call())


def _rest() -> Starlette:
    rest = Starlette()
    rest.router.default = PlainTextResponse("rest")
    return rest


def test_console_paths_go_to_the_console_and_others_to_rest() -> None:
    async def fake_console(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("console")(scope, receive, send)

    app = console.wrap(_rest(), fake_console)
    assert get(app, "/console/").text == "console"
    assert get(app, "/console").text == "console"
    assert get(app, "/console/projects/p").text == "console"
    assert get(app, "/consoles").text == "rest"
    assert get(app, "/v1/projects/p/locations/l/customJobs").text == "rest"


def test_without_jinja2_the_console_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pulumi_vertex_training.emulator.console.app", None)
    monkeypatch.delattr(console, "app", raising=False)  # imported by an earlier test
    app = console.mount(_rest(), console.Sources(jobs=None), [])
    answer = get(app, "/console/")
    assert answer.status_code == 501 and "pulumi-vertex-training[local]" in answer.text
    assert get(app, "/v1/x").text == "rest"
