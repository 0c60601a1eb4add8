#!/usr/bin/env bash
# Installs Postgres from Debian's packages when it is missing, for the shop's
# Postgres tests (examples/shop/tests, through tests/src/postgres.rs, which
# starts throwaway clusters with initdb/pg_ctl on free loopback ports as the
# `postgres` user). Needs root (CI and the dev machines run as root); prints
# the directory of its programs.
set -euo pipefail
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    # The package may start a system cluster; the tests run their own.
    if command -v pg_ctlcluster >/dev/null; then
        for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
            pg_ctlcluster "${c%/*}" "${c#*/}" stop 2>/dev/null || true
        done
    fi
fi
dir="$(bindir)"
test -x "$dir/initdb" && test -x "$dir/pg_ctl"
echo "$dir"
