#!/usr/bin/env bash
# Install Node 22 and exact versions of npm packages into the git-ignored
# .tools/<name>/, for the scripts and tests that drive our servers with
# official Node clients (scripts/conformance.sh, scripts/js-clients.sh).
#
#   scripts/node22.sh <name> <package@exact-version>...
#   scripts/node22.sh js-clients @modelcontextprotocol/sdk@1.32.2
#
# Node itself comes from the npm registry: the `node` package's preinstall
# script pulls the matching node-<platform>-<arch> package (a real Node
# binary), so npm (any version, any Node) is needed once, to install.
#
# Idempotent: when .tools/<name> already holds Node 22 and every package at
# its version, nothing is installed. Concurrent callers (parallel tests) are
# serialized on a lock file. The last line printed on stdout is always the
# path of the Node 22 binary; the packages are in .tools/<name>/node_modules.
#
# Exit status: 0 = ready; 1 = the install failed; 2 = usage error, or npm is
# not on PATH and the tools are not installed yet.
set -euo pipefail

NODE_SPEC="22"

log() { printf '[node22] %s\n' "$*" >&2; }
if [[ $# -lt 1 || ! "$1" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
  log "usage: scripts/node22.sh <name> <package@exact-version>..."
  exit 2
fi
NAME="$1"
shift
PACKAGES=("$@")
for spec in "${PACKAGES[@]}"; do
  if [[ ! "$spec" =~ ^(@[a-z0-9._-]+/)?[a-z0-9._-]+@[0-9]+\.[0-9]+\.[0-9]+([.-][0-9A-Za-z.-]+)?$ ]]; then
    log "not a package at an exact version: $spec"
    exit 2
  fi
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.tools/$NAME"
NODE_BIN="$DIR/node_modules/node/bin/node"

installed_ok() {
  [[ -x "$NODE_BIN" ]] || return 1
  [[ "$("$NODE_BIN" --version 2>/dev/null || true)" == "v${NODE_SPEC}."* ]] || return 1
  local spec pkg want got
  for spec in "${PACKAGES[@]}"; do
    pkg="${spec%@*}"
    want="${spec##*@}"
    [[ -f "$DIR/node_modules/$pkg/package.json" ]] || return 1
    got="$("$NODE_BIN" -p "require(process.argv[1]).version" "$DIR/node_modules/$pkg/package.json" 2>/dev/null || true)"
    [[ "$got" == "$want" ]] || return 1
  done
}

if installed_ok; then
  echo "$NODE_BIN"
  exit 0
fi

mkdir -p "$DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR.lock"
  flock 9
  if installed_ok; then
    echo "$NODE_BIN"
    exit 0
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  log "npm not found on PATH (needed once to install Node $NODE_SPEC and ${PACKAGES[*]:-nothing else})"
  exit 2
fi
log "installing node@$NODE_SPEC ${PACKAGES[*]} into ${DIR#"$ROOT"/} ..."
cat >"$DIR/package.json" <<JSON
{
  "name": "mcp-tools-$NAME",
  "private": true,
  "description": "Local toolchain installed by scripts/node22.sh (git-ignored)",
  "dependencies": {}
}
JSON
rm -f "$DIR/package-lock.json"
(cd "$DIR" && npm install --no-audit --no-fund --save-exact --ignore-scripts=false \
    "node@$NODE_SPEC" "${PACKAGES[@]}") >&2 \
  || { log "npm install failed"; exit 1; }
if ! installed_ok; then
  log "install finished but $NODE_BIN is not Node $NODE_SPEC or a package is not at its version"
  exit 1
fi
log "installed Node $("$NODE_BIN" --version) and ${PACKAGES[*]}"
echo "$NODE_BIN"
