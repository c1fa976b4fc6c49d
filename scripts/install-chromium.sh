#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (Playwright drives it; we never run `playwright install`).
# Does nothing when /usr/bin/chromium is already there. Needs root (or sudo) and network access to Debian.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-chromium: /usr/bin/chromium is missing and we are not root; install it with" >&2
        echo "    apt-get update && apt-get install -y chromium" >&2
        exit 1
    fi
fi

echo "install-chromium: installing Debian chromium for the browser tests (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if [ ! -x /usr/bin/chromium ]; then
    echo "install-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)" >&2
