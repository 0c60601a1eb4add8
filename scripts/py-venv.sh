#!/usr/bin/env bash
# Create/refresh the Python test venv used by the Rust integration tests that
# drive our server with the official MCP Python SDK client (tests/py/).
#
#   scripts/py-venv.sh            # create .tools/venv and install pinned deps
#   PYTHON=python3.11 scripts/py-venv.sh
#
# Idempotent: if the venv exists and already satisfies
# scripts/requirements-test.txt exactly, it does nothing (apart from printing
# the interpreter path). The last line printed on stdout is always the venv's
# python path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.tools/venv"
REQ="${ROOT}/scripts/requirements-test.txt"
PY="${PYTHON:-python3}"
VPY="${VENV}/bin/python"
STAMP="${VENV}/.requirements-test.sha256"

if [[ ! -f "${REQ}" ]]; then
  echo "py-venv: missing ${REQ}" >&2
  exit 1
fi

req_hash() { sha256sum "${REQ}" | cut -d' ' -f1; }

# Fast path: venv present, stamp matches the requirements file, and mcp imports.
if [[ -x "${VPY}" && -f "${STAMP}" && "$(cat "${STAMP}")" == "$(req_hash)" ]] \
   && "${VPY}" -c 'import mcp.client.session' >/dev/null 2>&1; then
  echo "${VPY}"
  exit 0
fi

# Slow path. Serialize concurrent callers (e.g. parallel cargo tests) on a lock
# file, then re-check: another caller may have finished the install meanwhile.
mkdir -p "${ROOT}/.tools"
if command -v flock >/dev/null 2>&1; then
  exec 9>"${ROOT}/.tools/venv.lock"
  flock 9
  if [[ -x "${VPY}" && -f "${STAMP}" && "$(cat "${STAMP}")" == "$(req_hash)" ]] \
     && "${VPY}" -c 'import mcp.client.session' >/dev/null 2>&1; then
    echo "${VPY}"
    exit 0
  fi
fi

if [[ ! -x "${VPY}" ]]; then
  "${PY}" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
    || { echo "py-venv: need python >= 3.10 (got $(${PY} --version 2>&1))" >&2; exit 1; }
  echo "py-venv: creating ${VENV} with $(${PY} --version 2>&1)" >&2
  "${PY}" -m venv "${VENV}"
fi

echo "py-venv: installing pinned packages from ${REQ}" >&2
"${VPY}" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-virtualenv -r "${REQ}" >&2
"${VPY}" -c 'import mcp.client.session' >&2
req_hash > "${STAMP}"

echo "${VPY}"
