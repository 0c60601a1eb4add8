#!/usr/bin/env bash
# Compile time of a crate with 100 `#[mcp_tool]` tools that depends on
# mcp-runtime by path: a cold build (every dependency compiled, own target
# dir), the tools crate alone (dependencies already built), and an
# incremental rebuild after one tool's body is edited.
#
#   bench/compile-time.sh [--release] [--tools N] [--keep]
#
# Debug (the edit-compile loop) by default; `--release` times release builds.
# Uses `cargo --offline` when the registry cache has every crate (it does once
# the workspace has been built); set CARGO_NET_OFFLINE=false to allow fetching.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
tools=100
profile_flag=""
profile_name="dev"
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --release) profile_flag="--release"; profile_name="release" ;;
        --tools) tools="$2"; shift ;;
        --keep) keep=1 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

dir="$(mktemp -d /tmp/mcp-compile-time.XXXXXX)"
if [ "$keep" = 0 ]; then
    trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir/src"

cat > "$dir/Cargo.toml" <<EOF
[package]
name = "hundred-tools"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
mcp-runtime = { path = "$repo/mcp-runtime" }
serde = { version = "1", features = ["derive"] }
schemars = { version = "1.2", default-features = false, features = ["derive", "std"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
EOF
# The workspace's lock file, so the generated crate builds the same versions.
cp "$repo/Cargo.lock" "$dir/Cargo.lock"

# One module per ten tools; each tool has its own arguments and result types
# (a documented struct with a bound, an optional field and an enum), as real
# tools do.
for ((m = 0; m < (tools + 9) / 10; m++)); do
    f="$dir/src/tools_$m.rs"
    echo "use mcp_runtime::prelude::*;" > "$f"
    for ((k = 0; k < 10 && m * 10 + k < tools; k++)); do
        i=$((m * 10 + k))
        cat >> "$f" <<EOF

/// How to sort the results of tool $i.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort$i {
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

/// Arguments of tool $i.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Args$i {
    /// The customer, e.g. \`CUST-1042\`.
    #[schemars(length(min = 1, max = 32))]
    pub customer_id: String,
    /// How many results, 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Sort order.
    pub sort: Option<Sort$i>,
}

/// The result of tool $i.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Out$i {
    /// The customer.
    pub customer_id: String,
    /// How many results there were.
    pub count: u32,
}

/// List the orders of a customer (tool $i). Returns the customer and a count.
#[mcp_tool(read_only)]
pub async fn tool_$i(args: Args$i, ctx: ToolContext) -> Result<Out$i, McpError> {
    let _ = ctx.tenant_id();
    Ok(Out$i {
        customer_id: args.customer_id,
        count: args.limit.unwrap_or(20) + $i, // EDIT-$i
    })
}
EOF
    done
done
{
    for ((m = 0; m < (tools + 9) / 10; m++)); do echo "pub mod tools_$m;"; done
} > "$dir/src/lib.rs"
cat > "$dir/src/main.rs" <<'EOF'
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = mcp_runtime::Server::builder("hundred-tools", "0.1.0").build()?;
    assert!(!server.registry().is_empty());
    let _ = hundred_tools::tools_0::tool_0;
    println!("{} tools", server.registry().len());
    Ok(())
}
EOF

offline=""
if [ "${CARGO_NET_OFFLINE:-}" != "false" ]; then offline="--offline"; fi
export CARGO_TARGET_DIR="$dir/target"
build() { cargo build $offline $profile_flag --quiet --manifest-path "$dir/Cargo.toml" 2>&1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "# compile time: $tools tools, $profile_name profile"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(rustc --version)"
echo "crate: $dir"

t0=$(now); build; t1=$(now)
cold=$(secs "$t0" "$t1")
echo "cold build (all dependencies + tools crate): ${cold} s"

# The tools crate alone: dependencies stay built; its incremental cache is dropped.
cargo clean $offline $profile_flag --quiet --manifest-path "$dir/Cargo.toml" -p hundred-tools
t0=$(now); build; t1=$(now)
crate_only=$(secs "$t0" "$t1")
echo "tools crate only (dependencies built, no incremental cache): ${crate_only} s"

# Edit one tool's body, rebuild.
sed -i "s|+ 50, // EDIT-50|+ 51, // EDIT-50|" "$dir/src/tools_5.rs"
t0=$(now); build; t1=$(now)
incr=$(secs "$t0" "$t1")
echo "incremental, one tool edited: ${incr} s"

# A no-op rebuild, for scale.
t0=$(now); build; t1=$(now)
noop=$(secs "$t0" "$t1")
echo "no-op rebuild: ${noop} s"

echo
echo "| build ($profile_name profile) | seconds |"
echo "|---|---:|"
echo "| cold, incl. all dependencies | $cold |"
echo "| tools crate only | $crate_only |"
echo "| incremental, one tool edited | $incr |"
echo "| no-op | $noop |"
