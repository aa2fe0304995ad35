"""The console in a real browser (headless Chromium), over the session's emulator (Docker).

Jobs are submitted with Google's own ``JobServiceClient`` and run as containers; the
browser reads the console as a person would: the jobs table, a distributed job's page
with a log line its trainer printed after the page was opened, Cancel, and a secret
that must not be on the page. A TrainingPipeline's page and the link to its model run
on an emulator of their own over a FakeRunner (no containers). Screenshots go to
``$VERTEX_CONSOLE_SCREENSHOTS`` or the pytest tmp dir (listed at the end of the run).
"""

from __future__ import annotations

import pathlib
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.cloud.aiplatform_v1 import JobState

from pulumi_vertex_training.emulator.execution.cluster import gcs_root
from tests.conftest import IMAGE, PARENT
from tests.emulator.console.conftest import Browser
from tests.emulator.console.support import create_pipeline, scripted_emulator, train

pytestmark = [pytest.mark.browser, pytest.mark.slow]

XSS_NAME = "sleeper <script>document.title='pwned'</script>"
SECRET = "tok-" + uuid.uuid4().hex
BUCKET = "console-browser"
TRAINER = """
import pathlib, socket, sys, time
host = socket.gethostname()
print(f"ready {host}", flush=True)
go = pathlib.Path(sys.argv[1])
deadline = time.time() + 600
while not go.exists():
    if time.time() > deadline:
        sys.exit(2)
    time.sleep(0.2)
print(f"LIVE-LINE {host} {go.read_text().strip()}", flush=True)
"""
SLEEPER = "import time\nprint('sleeping', flush=True)\nwhile True:\n    time.sleep(1)"


def wait_until(check: Callable[[], Any], timeout: float = 180, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:  # an element not there yet, a page being replaced
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.25)


def console(emulator: Any) -> str:
    return f"http://{emulator.rest_address}/console"


@pytest.fixture(scope="module")
def sleeper(job_client: Any, make_custom_job: Any, wait_for_job: Any) -> Any:
    """A job that runs until cancelled, with markup in its name, from Google's client."""
    job = job_client.create_custom_job(
        parent=PARENT,
        custom_job=make_custom_job(SLEEPER, display_name=XSS_NAME, labels={"suite": "console"}),
    )
    yield wait_for_job(job.name, JobState.JOB_STATE_RUNNING, timeout=240)
    try:
        job_client.cancel_custom_job(name=job.name)
    except Exception:  # cancelled by the test already
        pass


def test_jobs_page_lists_a_job_submitted_with_googles_client(
    browser: Browser, emulator: Any, sleeper: Any
) -> None:
    driver = browser.driver
    driver.get(f"{console(emulator)}/")
    from selenium.webdriver.common.by import By

    link = wait_until(lambda: driver.find_element(By.LINK_TEXT, XSS_NAME), what="the job's row")
    assert link.get_attribute("href").endswith(f"/console/{sleeper.name}")
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert "RUNNING" in row.text and "suite=console" in row.text and "n1-standard-4" in row.text
    assert driver.title.startswith("Training jobs")  # the name's <script> never ran
    assert not driver.find_elements(By.XPATH, "//script[contains(., 'pwned')]")
    browser.screenshot("jobs-1280x800")
    browser.screenshot("jobs-narrow-420", width=420, height=800)
    driver.get(f"{console(emulator)}/?state=RUNNING&label=suite%3Dconsole")
    wait_until(lambda: driver.find_element(By.LINK_TEXT, XSS_NAME), what="the filtered row")
    assert browser.errors() == []


def test_job_page_shows_three_pools_masks_a_secret_and_follows_a_live_log_line(
    browser: Browser, emulator: Any, job_client: Any, wait_for_job: Any
) -> None:
    from selenium.webdriver.common.by import By

    prefix = f"runs/{uuid.uuid4().hex[:8]}"
    go = f"/gcs/{BUCKET}/{prefix}/go"

    def pool(machine: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "machine_spec": {"machine_type": machine},
            "replica_count": 1,
            "container_spec": {
                "image_uri": IMAGE,
                "command": ["python", "-c", TRAINER, go],
                "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
            },
        }

    driver = browser.driver
    driver.get(f"{console(emulator)}/")  # open before the job exists: its row comes live
    driver.execute_script("window.notReloaded = true;")
    job = job_client.create_custom_job(
        parent=PARENT,
        custom_job={
            "display_name": "console-distributed",
            "job_spec": {
                "worker_pool_specs": [
                    pool("n1-standard-4", {"API_TOKEN": SECRET, "EPOCHS": "3"}),
                    pool("n1-standard-8"),
                    pool("n1-highmem-4"),
                ],
                "base_output_directory": {"output_uri_prefix": f"gs://{BUCKET}/{prefix}"},
            },
        },
    )
    wait_until(lambda: driver.find_element(By.LINK_TEXT, "console-distributed"), what="new row")
    assert driver.execute_script("return window.notReloaded === true;")
    wait_for_job(job.name, JobState.JOB_STATE_RUNNING, timeout=300)
    driver.get(f"{console(emulator)}/{job.name}")
    pools = driver.find_elements(By.CSS_SELECTOR, "section.pool h3")
    assert [p.text.split(" ")[2] for p in pools] == ["0", "1", "2"]
    for machine in ("n1-standard-4", "n1-standard-8", "n1-highmem-4"):
        assert machine in driver.find_element(By.CSS_SELECTOR, ".pools-grid").text
    assert SECRET not in driver.page_source
    masked = driver.find_elements(By.CSS_SELECTOR, ".pool .masked")
    assert len(masked) == 1 and "API_TOKEN" in masked[0].find_element(By.XPATH, "../..").text
    # every replica's log is followed live: wait for the first lines, then let them go on
    for replica in ("workerpool0-0", "workerpool1-0", "workerpool2-0"):
        selector = f'pre[data-replica="{replica}"]'
        wait_until(
            lambda s=selector: "ready" in driver.find_element(By.CSS_SELECTOR, s).text,
            what=f"{replica}'s first line",
        )
    token = uuid.uuid4().hex
    trigger = gcs_root(emulator.data_dir) / BUCKET / prefix / "go"
    trigger.parent.mkdir(parents=True, exist_ok=True)
    trigger.write_text(token)  # the trainers print their last line only now
    for replica in ("workerpool0-0", "workerpool1-0", "workerpool2-0"):
        selector = f'pre[data-replica="{replica}"]'
        wait_until(
            lambda s=selector: token in driver.find_element(By.CSS_SELECTOR, s).text,
            timeout=120,
            what=f"{replica}'s live line",
        )
    line = driver.find_element(By.CSS_SELECTOR, 'pre[data-replica="workerpool1-0"]').text
    assert f"LIVE-LINE workerpool1-0 {token}" in line
    wait_until(
        lambda: "SUCCEEDED" in driver.find_element(By.CSS_SELECTOR, "#summary .state").text,
        what="the page to show SUCCEEDED",
    )
    driver.find_element(By.CSS_SELECTOR, "details.replica summary").click()  # one env open
    browser.screenshot("job-distributed-1280x800")
    browser.screenshot("job-distributed-narrow-420", width=420, height=800)
    assert browser.errors() == []
    pathlib.Path(trigger).unlink()


def test_cancel_moves_a_running_job_to_cancelled(
    browser: Browser, emulator: Any, job_client: Any, sleeper: Any
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser.driver
    driver.get(f"{console(emulator)}/{sleeper.name}")
    button = driver.find_element(By.CSS_SELECTOR, "#summary button[data-cancel]")
    button.click()
    alert = wait_until(lambda: driver.switch_to.alert, timeout=10, what="the confirm dialog")
    assert "Cancel" in alert.text
    alert.accept()
    wait_until(
        lambda: "CANCELLED" in driver.find_element(By.CSS_SELECTOR, "#summary .state").text,
        what="the page to show CANCELLED",
    )
    assert job_client.get_custom_job(name=sleeper.name).state == JobState.JOB_STATE_CANCELLED
    assert not driver.find_elements(By.CSS_SELECTOR, "#summary button[data-cancel]")
    browser.screenshot("job-cancelled-1280x800")


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An emulator over a FakeRunner: (server, runner)."""
    with scripted_emulator(tmp_path_factory.mktemp("console-browser")) as pair:
        yield pair


def test_pipeline_page_links_to_the_model_it_uploaded(browser: Browser, scripted: Any) -> None:
    from selenium.webdriver.common.by import By

    server, runner = scripted
    created = create_pipeline(server, "gs://console-browser/pl", display_name="browser-pl")
    done = train(server, runner, created.name)
    model = done.model_to_upload.name
    driver = browser.driver
    driver.get(f"{console(server)}/pipelines")
    driver.find_element(By.LINK_TEXT, "browser-pl").click()
    wait_until(lambda: driver.current_url.endswith(f"/console/{created.name}"), what="the page")
    assert "SUCCEEDED" in driver.find_element(By.CSS_SELECTOR, ".summary .state").text
    job = driver.find_element(By.CSS_SELECTOR, "#backing-job a")
    assert job.get_attribute("href").endswith(
        f"/console/{done.training_task_metadata['backingCustomJob']}"
    )
    browser.screenshot("pipeline-1280x800")
    driver.find_element(By.CSS_SELECTOR, "#model a").click()
    wait_until(lambda: driver.current_url.endswith(f"/console/{model}#version-1"), what="model")
    assert driver.find_element(By.CSS_SELECTOR, "h1").text == "pl-model"
    row = driver.find_element(By.ID, "version-1")
    assert "default" in row.text and "gs://console-browser/pl/model" in row.text
    back = row.find_element(By.CSS_SELECTOR, 'td[data-th="Training pipeline"] a')
    assert back.get_attribute("href").endswith(f"/console/{created.name}")
    browser.screenshot("model-1280x800")
    assert browser.errors() == []
