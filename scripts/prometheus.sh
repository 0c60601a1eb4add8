#!/usr/bin/env bash
# Installs Prometheus (server and promtool) from Debian's packages when they
# are missing, for tests/tests/metrics.rs. Needs root (CI and the dev machines
# run as root); prints where the binaries are.
set -euo pipefail
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    # The package starts a system service; the tests run their own instance.
    if command -v systemctl >/dev/null; then systemctl stop prometheus 2>/dev/null || true; fi
fi
command -v prometheus promtool
