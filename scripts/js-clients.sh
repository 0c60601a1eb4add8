#!/usr/bin/env bash
# Install the official Node MCP clients the tests drive our servers with, at
# exact versions, with Node 22, into the git-ignored .tools/js-clients/:
#
#   - @modelcontextprotocol/inspector: the MCP Inspector, whose CLI
#     (`mcp-inspector --cli URL --method tools/list --strict`) lints every
#     tool schema for portability;
#   - @modelcontextprotocol/sdk: the TypeScript SDK client, v1 (handshake
#     era, 2025-11-25);
#   - @modelcontextprotocol/client: the TypeScript SDK v2 client (2026-07-28,
#     with `server/discover` and multi-round-trip input requests), and
#     @modelcontextprotocol/ext-tasks, its tasks extension (SEP-2663).
#
#   scripts/js-clients.sh        # prints the Node 22 binary's path last
#
# Idempotent (see scripts/node22.sh). Used by tests/tests/js_clients.rs,
# tests/tests/js_clients_v2.rs and tests/tests/readme_clients.rs; the packages resolve from scripts placed
# under .tools/js-clients/.
set -euo pipefail

INSPECTOR_VERSION="2.12.0"
SDK_VERSION="1.32.2"
CLIENT_V2_VERSION="2.3.1"
EXT_TASKS_VERSION="0.2.2"

exec bash "$(dirname "${BASH_SOURCE[0]}")/node22.sh" js-clients \
  "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" \
  "@modelcontextprotocol/sdk@$SDK_VERSION" \
  "@modelcontextprotocol/client@$CLIENT_V2_VERSION" \
  "@modelcontextprotocol/ext-tasks@$EXT_TASKS_VERSION"
