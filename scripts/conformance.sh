#!/usr/bin/env bash
# Run the official MCP conformance suite (server side) against our server.
#
#   scripts/conformance.sh [options] [-- <extra args passed to `conformance server`>]
#
# Options:
#   --server-cmd "<cmd>"   start <cmd> in the background (bash -c), wait until it answers,
#                          run the suite, then stop it (its whole process group).
#   --url <url>            server URL (default: $MCP_URL or http://127.0.0.1:8080/mcp)
#   --ready-url <url>      readiness probe used with --server-cmd (default: $MCP_READY_URL,
#                          else the server URL). With an explicit ready URL (e.g. /healthz) a
#                          2xx is required; when probing the MCP URL itself any HTTP answer
#                          (405/400/... included) counts as "up".
#   --spec-version <v>     run only this spec version (repeatable;
#                          default: 2025-11-25 and 2026-07-28)
#   --scenario <name>      run a single scenario (debugging); the baseline still applies
#   --suite <suite>        suite passed to the CLI (default: $CONFORMANCE_SUITE or "all";
#                          "active", the CLI default, skips pending and 2026-only scenarios)
#   --extensions           with the 2026-07-28 run, also run every extension scenario the
#                          suite lists (`[extension]`: tasks-*, ...), each with --force, as
#                          the suite runs them only on request; the baseline applies
#                          (default: $CONFORMANCE_EXTENSIONS=1)
#   --strict-baseline      also fail when a baselined entry now passes (stale entry)
#   --expected-failures <file>  baseline file to use (default: $CONFORMANCE_EXPECTED_FAILURES
#                          or scripts/conformance-expected-failures.txt)
#   --no-baseline          run without any expected-failures file
#   --install-only         only install Node 22 + the suite into .tools/conformance
#   --verbose              pass --verbose to the suite (JSON check dumps)
#   -h, --help             show this help
#
# Environment: MCP_URL, MCP_READY_URL, MCP_READY_TIMEOUT (seconds, default 60),
#   CONFORMANCE_SUITE, CONFORMANCE_TIMEOUT_MS (per scenario, default 30000),
#   CONFORMANCE_STRICT_BASELINE=1 (same as --strict-baseline).
#
# Expected failures: scripts/conformance-expected-failures.txt, one entry per line:
#     <scenario>[:<check-id>] [<spec-version> ...]   # reason
# '#' starts a comment. Without spec versions an entry applies to every version run.
# The file is translated into the suite's own YAML baseline (--expected-failures), so the
# suite's semantics apply: a listed scenario/check may fail (FAILURE *or* WARNING); any
# other failing scenario/check fails the run; a listed entry that now passes is reported
# as stale (fatal only with --strict-baseline); baselined scenarios that are not
# applicable at the spec version being run are simply ignored.
#
# Exit status: 0 = no unexpected failures; 1 = unexpected failures, a stale baseline entry
# under --strict-baseline, or the suite itself errored; 2 = usage/setup error.
set -euo pipefail

NODE_SPEC="22"
SUITE_PKG="@modelcontextprotocol/conformance"
SUITE_VERSION="0.2.0-alpha.12"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools/conformance"
NODE_BIN="$TOOLS_DIR/node_modules/node/bin/node"
SUITE_DIR="$TOOLS_DIR/node_modules/$SUITE_PKG"
SUITE_JS="$SUITE_DIR/dist/index.js"
BASELINE_TXT="${CONFORMANCE_EXPECTED_FAILURES:-$SCRIPT_DIR/conformance-expected-failures.txt}"

MCP_URL="${MCP_URL:-http://127.0.0.1:8080/mcp}"
READY_URL="${MCP_READY_URL:-}"
READY_TIMEOUT="${MCP_READY_TIMEOUT:-60}"
SUITE="${CONFORMANCE_SUITE:-all}"
TIMEOUT_MS="${CONFORMANCE_TIMEOUT_MS:-30000}"
STRICT="${CONFORMANCE_STRICT_BASELINE:-0}"
EXTENSIONS="${CONFORMANCE_EXTENSIONS:-0}"
SERVER_CMD=""
SCENARIO=""
USE_BASELINE=1
BASELINE_EXPLICIT=$([[ -n "${CONFORMANCE_EXPECTED_FAILURES:-}" ]] && echo 1 || echo 0)
INSTALL_ONLY=0
VERBOSE=0
SPEC_VERSIONS=()
EXTRA_ARGS=()

log() { printf '[conformance] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --server-cmd) need_arg "$@"; SERVER_CMD="$2"; shift 2 ;;
    --url) need_arg "$@"; MCP_URL="$2"; shift 2 ;;
    --ready-url) need_arg "$@"; READY_URL="$2"; shift 2 ;;
    --spec-version) need_arg "$@"; SPEC_VERSIONS+=("$2"); shift 2 ;;
    --scenario) need_arg "$@"; SCENARIO="$2"; shift 2 ;;
    --suite) need_arg "$@"; SUITE="$2"; shift 2 ;;
    --strict-baseline) STRICT=1; shift ;;
    --extensions) EXTENSIONS=1; shift ;;
    --expected-failures) need_arg "$@"; BASELINE_TXT="$2"; BASELINE_EXPLICIT=1; shift 2 ;;
    --no-baseline) USE_BASELINE=0; shift ;;
    --install-only) INSTALL_ONLY=1; shift ;;
    --verbose) VERBOSE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; EXTRA_ARGS=("$@"); break ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
if [[ ${#SPEC_VERSIONS[@]} -eq 0 ]]; then
  SPEC_VERSIONS=(2025-11-25 2026-07-28)
fi

# --------------------------------------------------------------------------- install
# Node 22 and the suite, at its exact version, through the shared installer.
install_tools() {
  local out rc=0
  out="$(bash "$SCRIPT_DIR/node22.sh" conformance "$SUITE_PKG@$SUITE_VERSION")" || rc=$?
  [[ $rc -eq 0 ]] || die "scripts/node22.sh could not install Node $NODE_SPEC and $SUITE_PKG@$SUITE_VERSION (exit $rc)"
  [[ "$(tail -n 1 <<<"$out")" == "$NODE_BIN" ]] || die "scripts/node22.sh printed an unexpected Node path: $out"
  log "using Node $("$NODE_BIN" --version) and $SUITE_PKG@$SUITE_VERSION from ${TOOLS_DIR#"$REPO_ROOT"/}"
}

install_tools
[[ $INSTALL_ONLY -eq 1 ]] && exit 0

# Node 22 first on PATH for anything the suite might spawn.
export PATH="$(dirname "$NODE_BIN"):$PATH"
suite() { "$NODE_BIN" "$SUITE_JS" "$@"; }

# --------------------------------------------------------------------------- baseline
SCENARIO_LIST="$(suite list --server)"
KNOWN_SCENARIOS="$(sed -n 's/^  - \([^ ]*\).*/\1/p' <<<"$SCENARIO_LIST")"
EXTENSION_SCENARIOS="$(sed -n 's/^  - \([^ ]*\) \[extension\]$/\1/p' <<<"$SCENARIO_LIST")"
[[ -n "$KNOWN_SCENARIOS" ]] || die "could not list the suite's server scenarios"
for v in "${SPEC_VERSIONS[@]}"; do
  [[ "$v" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "bad --spec-version '$v' (expected YYYY-MM-DD)"
done
if [[ -n "$SCENARIO" ]] && ! grep -qxF -- "$SCENARIO" <<<"$KNOWN_SCENARIOS"; then
  die "unknown scenario '$SCENARIO' (run: $NODE_BIN $SUITE_JS list --server)"
fi

# Parse the .txt baseline once into "entry<TAB>versions" lines (versions may be empty).
BASELINE_ENTRIES=""
if [[ $USE_BASELINE -eq 1 && -f "$BASELINE_TXT" ]]; then
  lineno=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    lineno=$((lineno + 1))
    line="${line%%#*}"
    read -r -a fields <<<"$line" || true
    [[ ${#fields[@]} -eq 0 ]] && continue
    entry="${fields[0]}"
    scen="${entry%%:*}"
    grep -qxF -- "$scen" <<<"$KNOWN_SCENARIOS" \
      || die "${BASELINE_TXT#"$REPO_ROOT"/}:$lineno: unknown scenario '$scen'"
    if [[ "$entry" == *:* && -z "${entry#*:}" ]]; then
      die "${BASELINE_TXT#"$REPO_ROOT"/}:$lineno: empty check id in '$entry'"
    fi
    vers=""
    for tok in "${fields[@]:1}"; do
      [[ "$tok" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] \
        || die "${BASELINE_TXT#"$REPO_ROOT"/}:$lineno: '$tok' is not a spec version (YYYY-MM-DD)"
      vers+="$tok "
    done
    BASELINE_ENTRIES+="$entry"$'\t'"$vers"$'\n'
  done <"$BASELINE_TXT"
elif [[ $USE_BASELINE -eq 1 && $BASELINE_EXPLICIT -eq 1 ]]; then
  die "expected-failures file not found: $BASELINE_TXT"
elif [[ $USE_BASELINE -eq 1 ]]; then
  log "no ${BASELINE_TXT#"$REPO_ROOT"/}; every failure is unexpected"
fi

# Write the suite's YAML baseline for one spec version.
write_yaml_baseline() {
  local version="$1" out="$2" entry vers items=""
  while IFS=$'\t' read -r entry vers; do
    [[ -z "$entry" ]] && continue
    if [[ -n "$vers" && " $vers " != *" $version "* ]]; then continue; fi
    entry="${entry//\\/\\\\}"; entry="${entry//\"/\\\"}"
    items+="  - \"$entry\""$'\n'
  done <<<"$BASELINE_ENTRIES"
  {
    printf '# generated by scripts/conformance.sh from %s for %s\n' "${BASELINE_TXT#"$REPO_ROOT"/}" "$version"
    if [[ -n "$items" ]]; then printf 'server:\n%s' "$items"; else printf 'server: []\n'; fi
  } >"$out"
}

# --------------------------------------------------------------------------- server
SERVER_PID=""
SERVER_LOG=""
stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  local pid="$SERVER_PID"; SERVER_PID=""
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping server (pid $pid)"
    # The server was started as the leader of its own process group (setsid): signal the
    # group so children (e.g. `cargo run` -> binary) go too.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

RESULTS_DIR=""
cleanup() { local rc=$?; stop_server; exit "$rc"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true; }

start_server() {
  SERVER_LOG="$RESULTS_DIR/server.log"
  log "starting server: $SERVER_CMD (log: ${SERVER_LOG#"$REPO_ROOT"/})"
  (cd "$REPO_ROOT" && exec setsid bash -c "$SERVER_CMD") >"$SERVER_LOG" 2>&1 </dev/null &
  SERVER_PID=$!
  local probe="${READY_URL:-$MCP_URL}" deadline=$((SECONDS + READY_TIMEOUT)) code
  log "waiting up to ${READY_TIMEOUT}s for $probe"
  while :; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null || true
      SERVER_PID=""
      log "server exited before becoming ready; last log lines:"
      tail -n 30 "$SERVER_LOG" >&2 || true
      exit 1
    fi
    code="$(http_code "$probe")"
    if [[ -n "$READY_URL" ]]; then
      [[ "$code" =~ ^2[0-9][0-9]$ ]] && break
    else
      [[ "$code" =~ ^[1-5][0-9][0-9]$ ]] && break
    fi
    if ((SECONDS >= deadline)); then
      log "server not ready after ${READY_TIMEOUT}s (last HTTP code: ${code:-none}); last log lines:"
      tail -n 30 "$SERVER_LOG" >&2 || true
      exit 1
    fi
    sleep 0.25
  done
  log "server is up (HTTP $code from $probe)"
}

# --------------------------------------------------------------------------- run
RESULTS_DIR="$TOOLS_DIR/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS_DIR"

if [[ -n "$SERVER_CMD" ]]; then
  start_server
else
  code="$(http_code "$MCP_URL")"
  if [[ ! "$code" =~ ^[1-5][0-9][0-9]$ ]]; then
    log "warning: nothing answers at $MCP_URL (start it first or use --server-cmd); running anyway"
  fi
fi

strip_ansi() { sed -e 's/\x1b\[[0-9;]*m//g'; }
# Print the items of one section of the suite's baseline report ("  ~ x", "  ✓ x", "  ✗ x").
section_items() { # $1=log file, $2=section header prefix
  awk -v hdr="$2" '
    index($0, hdr) == 1 { on = 1; next }
    on && /^  (~|✓|✗) / { sub(/^  (~|✓|✗) /, ""); print; next }
    on { on = 0 }
  ' "$1"
}

overall=0
SUMMARY=()
# One invocation of the suite; appends its verdict to RUN_EXPECTED, RUN_STALE,
# RUN_UNEXPECTED, RUN_SKIPPED and sets RUN_ERROR when it failed without a verdict.
run_once() { # $1=version $2=result dir, then extra args
  local version="$1" vdir="$2" rc expected stale unexpected skipped
  shift 2
  mkdir -p "$vdir"
  local args=(server --url "$MCP_URL" --spec-version "$version" --timeout "$TIMEOUT_MS" -o "$vdir" "$@")
  [[ $VERBOSE -eq 1 ]] && args+=(--verbose)
  if [[ $USE_BASELINE -eq 1 ]]; then
    write_yaml_baseline "$version" "$vdir/expected-failures.yaml"
    args+=(--expected-failures "$vdir/expected-failures.yaml")
  fi
  args+=("${EXTRA_ARGS[@]}")

  log "=== spec version $version: conformance ${args[*]}"
  set +e
  suite "${args[@]}" 2>&1 | tee "$vdir/output.log"
  rc=${PIPESTATUS[0]}
  set -e
  strip_ansi <"$vdir/output.log" >"$vdir/output.txt"

  expected="$(section_items "$vdir/output.txt" 'Expected failures (in baseline):')"
  stale="$(section_items "$vdir/output.txt" 'Stale baseline entries')"
  unexpected="$(section_items "$vdir/output.txt" 'Unexpected failures (not in baseline):')"
  if [[ $USE_BASELINE -eq 0 && $rc -ne 0 ]]; then
    # No baseline verdict to read: every failing scenario is unexpected.
    unexpected="$(sed -n 's/^✗ \([^:]*\): .*/\1/p' "$vdir/output.txt")"
    [[ -z "$unexpected" ]] && unexpected="${SCENARIO:-(see output.txt)}"
  fi
  skipped="$(grep -c '^SKIPPED: ' "$vdir/output.txt" || true)"
  [[ -n "$expected" ]] && RUN_EXPECTED+="$expected"$'\n'
  [[ -n "$stale" ]] && RUN_STALE+="$stale"$'\n'
  [[ -n "$unexpected" ]] && RUN_UNEXPECTED+="$unexpected"$'\n'
  RUN_SKIPPED=$((RUN_SKIPPED + skipped))
  if [[ $rc -ne 0 && -z "$unexpected" && -z "$stale" ]]; then
    RUN_ERROR+=" ${vdir#"$REPO_ROOT"/}/output.txt"
  fi
  return 0
}

for version in "${SPEC_VERSIONS[@]}"; do
  vdir="$RESULTS_DIR/$version"
  RUN_EXPECTED="" RUN_STALE="" RUN_UNEXPECTED="" RUN_ERROR="" RUN_SKIPPED=0
  if [[ -n "$SCENARIO" ]]; then
    run_once "$version" "$vdir" --scenario "$SCENARIO"
  else
    run_once "$version" "$vdir" --suite "$SUITE"
    # Extension scenarios are not on the spec timeline: the suite runs them only when
    # named and forced. They speak the 2026-07-28 revision.
    if [[ $EXTENSIONS == 1 && "$version" == 2026-07-28 ]]; then
      for ext in $EXTENSION_SCENARIOS; do
        run_once "$version" "$vdir/extension-$ext" --scenario "$ext" --force
      done
    fi
  fi
  expected="$(sed '/^$/d' <<<"$RUN_EXPECTED")"
  stale="$(sed '/^$/d' <<<"$RUN_STALE")"
  unexpected="$(sed '/^$/d' <<<"$RUN_UNEXPECTED")"

  status="PASS"
  if [[ -n "$unexpected" ]]; then
    status="FAIL"
  elif [[ -n "$RUN_ERROR" ]]; then
    status="ERROR"
  elif [[ -n "$stale" ]]; then
    status="STALE"
  fi
  case "$status" in
    FAIL|ERROR) overall=1 ;;
    STALE) [[ "$STRICT" == 1 ]] && overall=1 ;;
  esac
  line="$version: $status"
  [[ -n "$expected" ]] && line+=" | expected failures: $(wc -l <<<"$expected")"
  [[ -n "$unexpected" ]] && line+=" | UNEXPECTED: $(paste -sd' ' <<<"$unexpected")"
  [[ -n "$stale" ]] && line+=" | now passing, remove from baseline: $(paste -sd' ' <<<"$stale")"
  [[ "$status" == ERROR ]] && line+=" | the suite exited non-zero without a baseline verdict, see$RUN_ERROR"
  [[ "$RUN_SKIPPED" != 0 ]] && line+=" | skipped (not applicable): $RUN_SKIPPED"
  SUMMARY+=("$line")
done

echo
echo "================ conformance summary ($MCP_URL) ================"
printf '%s\n' "${SUMMARY[@]}"
echo "results: ${RESULTS_DIR#"$REPO_ROOT"/}"
if [[ $overall -eq 0 ]]; then
  echo "OK: no unexpected failures"
else
  echo "FAILED"
fi
exit "$overall"
