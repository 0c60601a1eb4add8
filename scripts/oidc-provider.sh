#!/usr/bin/env bash
# Start a real OpenID provider (npm `oidc-provider`, under Node 22 installed
# by scripts/node22.sh into the git-ignored .tools/oidc-provider) on a free
# loopback port, for the OAuth tests (examples/shop/tests/oauth.rs).
#
#   scripts/oidc-provider.sh
#
# Prints one line of JSON on stdout when ready: {"issuer": "http://127.0.0.1:PORT", ...}.
# Runs until its stdin closes. See scripts/oidc-provider.mjs for its clients,
# its resource indicators and the /_test endpoints the tests use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OIDC_PROVIDER_VERSION="9.13.3"
NODE="$(bash "$ROOT/scripts/node22.sh" oidc-provider "oidc-provider@$OIDC_PROVIDER_VERSION" </dev/null | tail -n 1)"
exec "$NODE" "$ROOT/scripts/oidc-provider.mjs" "$ROOT/.tools/oidc-provider/node_modules"
