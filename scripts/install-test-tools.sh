#!/usr/bin/env bash
# Install the Debian tools the tests use: chromium for the browser tests (Playwright drives it; we never run
# `playwright install`), pdftotext (poppler-utils) to read the PDFs we render, and Pango for WeasyPrint.
# Does nothing when they are all there. Needs root (or sudo) and network access to Debian.
set -euo pipefail

if [ -x /usr/bin/chromium ] && command -v pdftotext >/dev/null 2>&1 && ldconfig -p | grep -q libpangoft2; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-test-tools: /usr/bin/chromium is missing and we are not root; install it with" >&2
        echo "    apt-get update && apt-get install -y chromium" >&2
        exit 1
    fi
fi

echo "install-test-tools: installing chromium, poppler-utils and pango for the tests (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core poppler-utils \
    libpango-1.0-0 libpangoft2-1.0-0 >/dev/null

if [ ! -x /usr/bin/chromium ]; then
    echo "install-test-tools: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
echo "install-test-tools: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)" >&2
