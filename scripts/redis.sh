#!/usr/bin/env bash
# Installs redis-server from Debian's packages when it is missing, for
# tests/tests/shared_state.rs (which starts its own instances on free loopback
# ports). Needs root (CI and the dev machines run as root); prints its path.
set -euo pipefail
if ! command -v redis-server >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    # The package starts a system service; the tests run their own instances.
    if command -v systemctl >/dev/null; then systemctl stop redis-server 2>/dev/null || true; fi
fi
command -v redis-server
