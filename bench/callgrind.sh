#!/usr/bin/env bash
# Baseline cost figures of the MCP framework, for comparing checkouts.
#
#   measure.sh CHECKOUT_DIR
#
# Builds the bench binaries of CHECKOUT_DIR (its own target dir,
# CHECKOUT_DIR/target, release profile) and measures:
#   1. in process (micro bench under callgrind): instructions per call of every
#      `tools/call ...` and `tools/list ...` micro-benchmark, by differencing
#      two runs with --iters N1 and N2 (--batches 1);
#   2. per HTTP request (server under callgrind, driven by http-bench --attach):
#      framework and floor, by zeroing / dumping callgrind's counters around
#      two loads of different length and differencing;
#   3. one ordinary http-bench run (floor/framework alternating) at c=32.
# Needs only the checkout, the Rust toolchain it pins, valgrind (callgrind,
# callgrind_control) and base utilities (bash, awk, timeout, sleep).
# Everything is written to CHECKOUT_DIR/target/measure/; every run is bounded.
#
# Knobs (environment):
#   MICRO_CALL_N1/N2 (1000/5000)  --iters of the two tools/call runs
#   MICRO_LIST_N1/N2 (100/500)    --iters of the two tools/list runs
#   HTTP_S1/HTTP_S2 (1/4)         seconds of the two callgrind HTTP loads
#   HTTP_CG_CONC (1)              connections of the callgrind HTTP loads
#   HTTP_REPEAT (3)               fresh callgrind server processes per server kind
#   BENCH_CONC (32) BENCH_ROUNDS (5)  the ordinary http-bench run
#   SKIP_BUILD=1                  use the binaries already built
#   ONLY_HTTP=1                   measure 2. only (needs only http-bench built)
#   HTTP_KINDS ("framework floor") the servers of 2.
# The servers of 2. inherit the environment: MCP_METRICS_ADDR=127.0.0.1:0, or
# OTEL_EXPORTER_OTLP_ENDPOINT=http://<a sink> with OTEL_TRACES_SAMPLER, turn
# on metrics or traces in the framework server (http-bench built with
# --features metrics,otel; `http-bench --sink` is a sink that answers 200).
set -euo pipefail

CO=$(cd "${1:?usage: measure.sh CHECKOUT_DIR}" && pwd)
MICRO_CALL_N1=${MICRO_CALL_N1:-1000}
MICRO_CALL_N2=${MICRO_CALL_N2:-5000}
MICRO_LIST_N1=${MICRO_LIST_N1:-100}
MICRO_LIST_N2=${MICRO_LIST_N2:-500}
HTTP_S1=${HTTP_S1:-1}
HTTP_S2=${HTTP_S2:-4}
HTTP_CG_CONC=${HTTP_CG_CONC:-1}
HTTP_REPEAT=${HTTP_REPEAT:-3}
BENCH_CONC=${BENCH_CONC:-32}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
ONLY_HTTP=${ONLY_HTTP:-0}
HTTP_KINDS=${HTTP_KINDS:-framework floor}

export CARGO_TARGET_DIR="$CO/target"
BIN="$CARGO_TARGET_DIR/release"
OUT="$CARGO_TARGET_DIR/measure"
rm -rf "$OUT"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.md"
log() { echo "[measure $(date +%T)] $*" >&2; }
totals() { awk '/^totals:/ {print $2}' "$1"; }
# A server under callgrind still running when the script stops is stopped.
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; true' EXIT

# ------------------------------------------------------------------ build
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building micro + http-bench in $CO (release, fat LTO: several minutes)"
    (cd "$CO" && timeout 3600 cargo build --release -p mcp-bench --bin micro --bin http-bench)
fi
BINS="micro http-bench"
[ "$ONLY_HTTP" = 1 ] && BINS=http-bench
for b in $BINS; do [ -x "$BIN/$b" ] || { echo "missing $BIN/$b" >&2; exit 1; }; done
{
    echo "# measure.sh: $CO"
    echo "commit: $(cd "$CO" && git rev-parse HEAD 2>/dev/null || echo unknown)"
    echo "date: $(date -u +%FT%TZ); $(cd "$CO" && rustc --version); $(valgrind --version)"
    echo
} >"$SUMMARY"

# ------------------------------------------------ 1. in process (callgrind)
# micro_parts FILTER N TAG: run micro under callgrind with a dump before every
# println!, so that profile part i holds exactly the work done before the
# i-th printed line; a benchmark row's part is therefore its own setup + its
# f(1) warm-up call + its one batch of N calls (nothing else runs between two
# rows). Writes "name<TAB>instructions" per benchmark row to $OUT/TAG.N.tsv.
micro_parts() {
    local filter=$1 n=$2 tag=$3 pfx="$OUT/cg-micro-$3.$2"
    timeout 1800 valgrind --tool=callgrind --dump-before='std::io::stdio::_print' \
        --callgrind-out-file="$pfx.out" \
        "$BIN/micro" --filter "$filter" --batches 1 --iters "$n" \
        >"$pfx.stdout" 2>"$pfx.stderr"
    local i=0 line
    : >"$OUT/$tag.$n.tsv"
    while IFS= read -r line; do
        i=$((i + 1))
        [ -z "$line" ] && break            # the summary table follows
        case $line in "#"* | machine:*) continue ;; esac
        [ -f "$pfx.out.$i" ] || { echo "no callgrind part $i for: $line" >&2; exit 1; }
        # The row is "<name padded to 58> <median> (best ...)": cut at the padding.
        printf '%s\t%s\n' "$(echo "$line" | sed -E 's/ {2,}.*$//; s/ +[0-9.]+ (ns|µs|ms) \(best.*$//')" \
            "$(totals "$pfx.out.$i")" >>"$OUT/$tag.$n.tsv"
    done <"$pfx.stdout"
    [ -s "$OUT/$tag.$n.tsv" ] || { echo "no benchmark rows for filter $filter" >&2; exit 1; }
}

micro_diff() {   # TAG N1 N2 -> table rows
    local tag=$1 n1=$2 n2=$3
    awk -F'\t' -v n1="$n1" -v n2="$n2" '
        NR == FNR { a[$1] = $2; next }
        ($1 in a) { printf "| %s | %.0f |\n", $1, ($2 - a[$1]) / (n2 - n1) }
    ' "$OUT/$tag.$n1.tsv" "$OUT/$tag.$n2.tsv"
}

if [ "$ONLY_HTTP" != 1 ]; then
log "micro floor JSON work under callgrind (--iters $MICRO_CALL_N1 and $MICRO_CALL_N2)"
micro_parts 'floor JSON work' "$MICRO_CALL_N1" floor
micro_parts 'floor JSON work' "$MICRO_CALL_N2" floor
log "micro tools/call under callgrind (--iters $MICRO_CALL_N1 and $MICRO_CALL_N2)"
micro_parts 'tools/call' "$MICRO_CALL_N1" call
micro_parts 'tools/call' "$MICRO_CALL_N2" call
log "micro tools/list under callgrind (--iters $MICRO_LIST_N1 and $MICRO_LIST_N2)"
micro_parts 'tools/list' "$MICRO_LIST_N1" list
micro_parts 'tools/list' "$MICRO_LIST_N2" list
{
    echo "## In process: instructions per call (callgrind, micro --batches 1, (Ir(N2)-Ir(N1))/(N2-N1))"
    echo
    echo "| micro-benchmark | Ir per call |"
    echo "|---|---:|"
    micro_diff floor "$MICRO_CALL_N1" "$MICRO_CALL_N2"
    micro_diff call "$MICRO_CALL_N1" "$MICRO_CALL_N2"
    micro_diff list "$MICRO_LIST_N1" "$MICRO_LIST_N2"
    echo
    echo "tools/call: N1=$MICRO_CALL_N1, N2=$MICRO_CALL_N2; tools/list: N1=$MICRO_LIST_N1, N2=$MICRO_LIST_N2"
    echo
} >>"$SUMMARY"
fi

# --------------------------------------------- 2. per HTTP request (callgrind)
# http_cg KIND REP: `http-bench --serve KIND` under callgrind; a 2 s warm-up load,
# then for each of two load lengths: zero the counters, load with
# `--attach --conc C --warmup 0`, wait for the connections to close, dump.
# attach reports the requests answered inside the window; each connection's
# last request is answered just after it and not reported, so
# served = reported + C. Per request = difference of the two dumps divided by
# the difference of the served counts (connection set-up/tear-down and the
# zero/dump themselves cancel out).
http_cg() {
    local kind=$1 pfx="$OUT/cg-http-$1.$2"
    # timeout bounds the server's life; valgrind's pid (for callgrind_control
    # and the output file's name) is read from its log.
    env -u MCP_API_KEYS -u MCP_API_KEYS_FILE MCP_LOG=warn \
        timeout 900 valgrind --tool=callgrind --callgrind-out-file="$pfx.%p.out" \
        "$BIN/http-bench" --serve "$kind" --workers 0 >"$pfx.stdout" 2>"$pfx.stderr" &
    local tpid=$!
    local port="" vpid="" i
    for i in $(seq 240); do
        port=$(awk '/^PORT / {print $2}' "$pfx.stdout" 2>/dev/null || true)
        [ -n "$port" ] && break
        sleep 0.5
    done
    vpid=$(sed -nE '1s/^==([0-9]+)==.*/\1/p' "$pfx.stderr" 2>/dev/null || true)
    SERVER_PID=$vpid
    [ -n "$port" ] && [ -n "$vpid" ] || { echo "$kind server under callgrind did not start" >&2; kill "$tpid"; exit 1; }
    timeout 60 "$BIN/http-bench" --attach "127.0.0.1:$port" --conc "$HTTP_CG_CONC" \
        --warmup 0 --secs 2 >"$pfx.warmup.txt"
    local dump=0 s line reported errors served ir
    : >"$pfx.tsv"
    for s in "$HTTP_S1" "$HTTP_S2"; do
        timeout 60 callgrind_control -z "$vpid" >/dev/null
        line=$(timeout 120 "$BIN/http-bench" --attach "127.0.0.1:$port" --conc "$HTTP_CG_CONC" \
            --warmup 0 --secs "$s" | tee -a "$pfx.load.txt")
        sleep 1
        timeout 60 callgrind_control -d "$vpid" >/dev/null
        dump=$((dump + 1))
        reported=$(echo "$line" | awk '{print $3}')
        errors=$(echo "$line" | awk '{print $NF}')
        [ "$errors" = 0 ] || { echo "$kind: errors in the load: $line" >&2; exit 1; }
        served=$((reported + HTTP_CG_CONC))
        for i in $(seq 20); do [ -f "$pfx.$vpid.out.$dump" ] && break; sleep 0.5; done
        ir=$(totals "$pfx.$vpid.out.$dump")
        printf '%s\t%s\t%s\n' "$s" "$served" "$ir" >>"$pfx.tsv"
    done
    kill "$vpid"; wait "$tpid" 2>/dev/null || true
    SERVER_PID=
    # one line: per-request difference, served counts, longer load alone
    awk -F'\t' '
        NR == 1 { s1 = $2; i1 = $3 } NR == 2 { s2 = $2; i2 = $3 }
        END { printf "%.0f\t%d + %d\t%.0f\n", (i2 - i1) / (s2 - s1), s1, s2, i2 / s2 }
    ' "$pfx.tsv" >>"$OUT/cg-http-$kind.runs"
}

http_row() {   # KIND -> "| kind | median | all runs | served | longer load alone |"
    sort -n "$OUT/cg-http-$1.runs" | awk -F'\t' -v k="$1" '
        { d[NR] = $1; s = s (NR > 1 ? " / " : "") $2; g = g (NR > 1 ? ", " : "") $3 }
        END {
            m = (NR % 2) ? d[(NR + 1) / 2] : (d[NR / 2] + d[NR / 2 + 1]) / 2
            all = d[1]; for (i = 2; i <= NR; i++) all = all ", " d[i]
            printf "| %s | %.0f | %s | %s | %s |\n", k, m, all, s, g
        }'
}

for kind in $HTTP_KINDS; do
    : >"$OUT/cg-http-$kind.runs"
    for rep in $(seq "$HTTP_REPEAT"); do
        log "HTTP: $kind server under callgrind, process $rep/$HTTP_REPEAT"
        http_cg "$kind" "$rep"
    done
done
{
    echo "## Per HTTP request: instructions in the server process (callgrind, http-bench --attach --conc $HTTP_CG_CONC, loads of ${HTTP_S1} s and ${HTTP_S2} s)"
    echo
    echo "| server | Ir per request, median | per process (sorted) | requests served (short + long load) | longer load alone, incl. its connection |"
    echo "|---|---:|---:|---:|---:|"
    for kind in $HTTP_KINDS; do http_row "$kind"; done
    echo
} >>"$SUMMARY"

# ------------------------------------------------ 3. real http-bench at c=32
if [ "$ONLY_HTTP" = 1 ]; then cat "$SUMMARY"; exit 0; fi
log "http-bench --conc $BENCH_CONC --rounds $BENCH_ROUNDS (wall clock, noisy)"
timeout 900 "$BIN/http-bench" --conc "$BENCH_CONC" --rounds "$BENCH_ROUNDS" \
    >"$OUT/http-bench.txt" 2>"$OUT/http-bench.stderr"
{
    echo "## http-bench --conc $BENCH_CONC --rounds $BENCH_ROUNDS (defaults: 2 s recorded after 0.5 s, floor/framework alternating, not pinned)"
    echo
    grep -E '^\|( conc | '"$BENCH_CONC"' |---)' "$OUT/http-bench.txt"
    echo
} >>"$SUMMARY"

cat "$SUMMARY"
