"""A headless Chromium for the console's browser tests, and where their screenshots go.

- ``browser``: Selenium driving Debian's ``chromium`` through ``chromium-driver`` (both
  from ``scripts/ensure-chromium.sh``), headless, with a fresh profile and every
  background fetch turned off (the machine has no network but the registries). Tests
  using it skip, saying why, when either binary or Selenium is missing.
- ``screenshots``: a folder for screenshots: ``$VERTEX_CONSOLE_SCREENSHOTS`` when set,
  else one under the session's pytest tmp dir. The run's summary lists what was saved.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

SCREENSHOTS_ENV = "VERTEX_CONSOLE_SCREENSHOTS"
CHROMIUM = os.environ.get("VERTEX_CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VERTEX_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--metrics-recording-only",
    "--password-store=basic",
)
_saved: list[pathlib.Path] = []


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.access(path, os.X_OK) or shutil.which(path)):
            return f"{path} is missing: install {package} (bash scripts/ensure-chromium.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """Where screenshots are written (see the module docstring)."""
    chosen = os.environ.get(SCREENSHOTS_ENV, "").strip()
    if chosen:
        folder = pathlib.Path(chosen)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("console-screenshots")


class Browser:
    """A Selenium driver with a viewport of an exact size and screenshot helpers."""

    def __init__(self, driver: Any, folder: pathlib.Path) -> None:
        self.driver = driver
        self.folder = folder

    def viewport(self, width: int, height: int) -> None:
        """Set the page's viewport to ``width`` x ``height`` CSS pixels."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def screenshot(self, name: str, width: int = 1280, height: int = 800) -> pathlib.Path:
        """Save ``name.png``: the whole page at ``width``, at least ``height`` tall."""
        self.viewport(width, height)
        full = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
        self.viewport(width, max(height, min(full, 12000)))
        path = self.folder / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.viewport(width, height)
        _saved.append(path)
        return path

    def errors(self) -> list[str]:
        """Severe entries of the page's console since the last call (CSP violations, ...)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry.get("level") == "SEVERE"
        ]


@pytest.fixture(scope="module")
def browser(screenshots: pathlib.Path) -> Iterator[Browser]:
    """A headless Chromium, fresh profile, 1280x800; skips when it cannot run here."""
    reason = missing_browser()
    if reason is not None:
        pytest.skip(reason)
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager must not phone home
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        browser = Browser(driver, screenshots)
        browser.viewport(1280, 800)
        yield browser
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the screenshots the run wrote, for a reviewer to look at."""
    if _saved:
        terminalreporter.write_sep("-", "console screenshots")
        for path in _saved:
            terminalreporter.write_line(str(path))
