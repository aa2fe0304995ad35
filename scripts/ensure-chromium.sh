#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver for the console's browser tests
# (tests/emulator/console/test_browser.py drives them with Selenium, headless), unless
# both are there. Idempotent. The browser and its driver come from the distribution,
# version-matched: nothing is downloaded by Selenium or at test time.
#   VERTEX_CHROMIUM=skip   leave the machine alone (the browser tests then skip, saying why)
set -euo pipefail
if [ "${VERTEX_CHROMIUM:-}" = skip ]; then
  echo "chromium: VERTEX_CHROMIUM=skip, not installing (browser tests will skip)"
  exit 0
fi
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: missing, and no apt-get here: install chromium and chromium-driver" \
    "(the browser tests skip until then)" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
    echo "chromium: missing; run as root: apt-get install -y chromium chromium-driver" >&2
    exit 0
  fi
fi
echo "chromium: installing chromium and chromium-driver (apt-get)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq chromium chromium-driver >/dev/null
echo "chromium: $(chromium --version 2>/dev/null | head -1)"
