"""CustomJob `logs`: the failing replica's lines in the error, every replica's lines while
waiting, bounded; read through the official Cloud Logging client from the emulator."""

from __future__ import annotations

import re
import tracemalloc
from typing import Any

import pytest

from pulumi_vertex_training import client
from pulumi_vertex_training.provider import custom_job_api, job_logs
from tests.provider.conftest import job_props

pytestmark = pytest.mark.usefixtures("emulator")

# A trainer whose train() raises on line 9.
TRAINER = "\n".join(
    [
        "import sys",  # 1
        "print('loading data', flush=True)",  # 2
        "print('model built', flush=True)",  # 3
        "for step in range(40):",  # 4
        "    print('step', step, flush=True)",  # 5
        "",  # 6
        "def train():",  # 7
        "    loss = float('nan')",  # 8
        "    raise ValueError(f'loss is {loss} at step 39')",  # 9
        "",  # 10
        "train()",  # 11
    ]
)


def _pool(code: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "machine_spec": {"machine_type": "n1-standard-4"},
        "replica_count": replicas,
        "container_spec": {"image_uri": "local/python:3.11", "command": ["python", "-c", code]},
    }


def _shown(err: str) -> list[str]:
    return [line.removeprefix("info: ") for line in err.splitlines() if line.startswith("info: [")]


def test_a_trainer_that_raises_fails_the_deployment_with_its_traceback(
    provider, checked, emulator: Any
) -> None:  # type: ignore[no-untyped-def]
    props = checked(job_props(TRAINER, wait="completed", display_name="nan-trainer"))
    before = emulator.calls["list_log_entries"]
    with pytest.raises(custom_job_api.JobFailedError) as raised:
        provider.create(props)
    message = str(raised.value)
    job_id = re.search(r"customJobs/(\d+)", message)[1]  # type: ignore[index]
    assert message.startswith(
        f'CustomJob "nan-trainer" (projects/test-project/locations/us-central1/customJobs/{job_id})'
        " ended JOB_STATE_FAILED.\nVertex AI: The replica workerpool0-0 exited with a non-zero "
        "status of 1. To find out more"
    )
    assert (
        "\nReplica workerpool0-0 exited with status 1.\nLast 30 lines of workerpool0-0:\n"
        in message
    )
    tail = message.split("Last 30 lines of workerpool0-0:\n")[1].split("\nConsole: ")[0]
    lines = tail.splitlines()
    traceback = [
        "    Traceback (most recent call last):",
        '      File "<string>", line 11, in <module>',
        '      File "<string>", line 9, in train',
        "    ValueError: loss is nan at step 39",
    ]
    # Docker stamps stdout and stderr apart, so the last steps may come among the
    # traceback's lines; the traceback is always there, whole and in order, and the
    # other lines are the newest steps, in order.
    found = [lines.index(line) for line in traceback]
    assert found == sorted(found)
    steps = [line for line in lines if line not in traceback]
    assert steps == [f"    step {i}" for i in range(14, 40)]
    name = f"projects/test-project/locations/us-central1/customJobs/{job_id}"
    assert f"\nConsole: {client.console_url(name)}\n" in message
    assert message.endswith(f"All logs: vertex-local logs {job_id} --replica workerpool0-0")
    # read with google-cloud-logging's client from the emulator, as on Vertex: no local branch
    assert emulator.calls["list_log_entries"] == before + 2


def test_the_tail_is_of_the_replica_that_failed_first(provider, checked) -> None:  # type: ignore[no-untyped-def]
    spec = {
        "worker_pool_specs": [
            _pool("import time; print('chief waits', flush=True); time.sleep(60)"),
            _pool("import sys; print('worker broke', flush=True); sys.exit(7)"),
        ]
    }
    props = checked(job_props(wait="completed", job_spec=spec))
    with pytest.raises(custom_job_api.JobFailedError) as raised:
        provider.create(props)
    message = str(raised.value)
    assert "Replica workerpool1-0 exited with status 7." in message
    assert "Last line of workerpool1-0:\n    worker broke\n" in message
    assert "chief waits" not in message
    assert "--replica workerpool1-0" in message


def test_logs_none_reads_no_logs(provider, checked, emulator: Any) -> None:  # type: ignore[no-untyped-def]
    props = checked(job_props("import sys; sys.exit(2)", wait="completed", logs="none"))
    before = emulator.calls["list_log_entries"]
    with pytest.raises(custom_job_api.JobFailedError) as raised:
        provider.create(props)
    assert emulator.calls["list_log_entries"] == before
    assert "exited with status 2" in str(raised.value)
    assert "lines of" not in str(raised.value)
    assert "All logs: vertex-local logs" in str(raised.value)


THREE_POOLS = """
import json, os, time
task = json.loads(os.environ["CLUSTER_SPEC"])["task"]
for i in range(3):
    print(f"hello {i} from {task['type']}-{task['index']}", flush=True)
    time.sleep(0.3)
if task["type"] == "workerpool0":
    time.sleep(1.5)  # the job ends with its primary: let the others print everything first
"""


def test_stream_shows_every_replica_of_a_three_pool_job_while_waiting(
    provider, checked, capfd: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    spec = {"worker_pool_specs": [_pool(THREE_POOLS), _pool(THREE_POOLS, 2), _pool(THREE_POOLS)]}
    props = checked(job_props(wait="completed", logs="stream", job_spec=spec, display_name="three"))
    capfd.readouterr()
    result = provider.create(props)
    assert result.outs["state"] == "JOB_STATE_SUCCEEDED"
    shown = _shown(capfd.readouterr().err)
    tasks = ["workerpool0-0", "workerpool1-0", "workerpool1-1", "workerpool2-0"]
    for task in tasks:
        assert [s for s in shown if s.startswith(f"[three {task}]")] == [
            f"[three {task}] hello {i} from {task}" for i in range(3)
        ], shown
    provider.delete(result.id, result.outs)


CHATTY = """
import sys
for block in range(100):
    sys.stdout.write("".join(f"line {block * 1000 + i}\\n" for i in range(1000)))
print("done", flush=True)
"""


@pytest.mark.slow
def test_a_trainer_printing_100000_lines_neither_stalls_the_wait_nor_fills_memory(
    provider, checked, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    streams: list[job_logs.LogStream] = []

    class Recorded(job_logs.LogStream):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            streams.append(self)

    monkeypatch.setattr(job_logs, "LogStream", Recorded)
    props = checked(job_props(CHATTY, wait="completed", logs="stream", display_name="chatty"))
    capfd.readouterr()
    tracemalloc.start()
    try:
        result = provider.create(props)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outs["state"] == "JOB_STATE_SUCCEEDED"
    [stream] = streams
    shown = _shown(capfd.readouterr().err)
    lines = [s for s in shown if s.startswith("[chatty workerpool0-0] line ")]
    notices = [s for s in shown if s.startswith("[chatty] ... ")]
    # Rate-limited: a burst, then ~20 a second; every line not shown is counted and said.
    assert len(lines) == stream.shown < 2_000
    assert notices and all("lines not shown (more than 20 a second)" in n for n in notices)
    assert sum(int(n.split()[2]) for n in notices) == stream.skipped
    assert "vertex-local logs" in notices[-1]
    # Bounded: at most one page of entries is held at once, and memory stays small
    # although the emulator (in this process too) stored 100,000 lines meanwhile.
    assert stream.most_held <= job_logs.PAGE_SIZE
    print(f"shown {stream.shown} skipped {stream.skipped} peak {peak / 2**20:.1f} MiB")
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    provider.delete(result.id, result.outs)
