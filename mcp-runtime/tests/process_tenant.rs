//! A process that acts for one tenant (`.tenant`, `--tenant`, `MCP_TENANT`):
//! a call without `tenantId` acts for it, a call naming another is refused
//! before the tool runs, key bindings still apply, and HTTP serves it on
//! loopback only.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mcp_runtime::prelude::*;
use mcp_runtime::testing::Client;
use mcp_runtime::{BuildError, ServeError, ServerBuilder};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// How many times `whoami` ran (shared with the test).
#[derive(Clone, Default)]
struct Runs(Arc<AtomicU64>);

impl Runs {
    fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Who a call acts for.
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Scope {
    /// The tenant.
    tenant: Option<String>,
    /// The workspace.
    workspace: Option<String>,
}

/// The tenant and workspace the call acts for.
#[mcp_tool(read_only)]
async fn whoami(ctx: ToolContext) -> Result<Scope, McpError> {
    ctx.state::<Runs>()?.0.fetch_add(1, Ordering::Relaxed);
    Ok(Scope {
        tenant: ctx.tenant_id().map(str::to_owned),
        workspace: ctx.workspace_id().map(str::to_owned),
    })
}

fn builder(runs: &Runs) -> ServerBuilder {
    Server::builder("one-tenant", "1.0.0")
        .keys_from_env(false)
        .state(runs.clone())
}

/// A server acting for tenant `acme` and workspace `w1`.
fn acme_w1(runs: &Runs) -> Server {
    builder(runs)
        .tenant("acme")
        .workspace("w1")
        .build()
        .unwrap()
}

/// What `whoami` answers to a call with `arguments`.
async fn whoami_with(c: &Client, arguments: serde_json::Value) -> Scope {
    c.call_ok("whoami", arguments).await
}

/// The `permission_denied` message of a `whoami` call with `arguments`.
async fn refused(c: &Client, arguments: serde_json::Value) -> String {
    c.call_err("whoami", arguments, ErrorKind::PermissionDenied)
        .await
}

fn scope(tenant: Option<&str>, workspace: Option<&str>) -> Scope {
    Scope {
        tenant: tenant.map(str::to_owned),
        workspace: workspace.map(str::to_owned),
    }
}

const OTHER_TENANT: &str = "this server acts for one tenant only, set when it was started; the \
    call's `tenantId` `globex` is not it";
const OTHER_WORKSPACE: &str = "this server acts for one workspace only, set when it was \
    started; the call's `workspaceId` `w2` is not it";

#[tokio::test]
async fn a_call_without_tenant_acts_for_the_process_tenant() {
    let runs = Runs::default();
    let c = builder(&runs).tenant("acme").build().unwrap().client();
    let got: Scope = c.call_ok("whoami", json!({})).await;
    assert_eq!(got, scope(Some("acme"), None));
    // Naming the same tenant is fine; with no process workspace, the call's passes through.
    let got: Scope = c
        .call_ok("whoami", json!({ "tenantId": "acme", "workspaceId": "w2" }))
        .await;
    assert_eq!(got, scope(Some("acme"), Some("w2")));
    assert_eq!(runs.count(), 2);
}

#[tokio::test]
async fn a_call_naming_another_tenant_or_workspace_is_refused_before_the_tool_runs() {
    let runs = Runs::default();
    let server = acme_w1(&runs);
    let c = server.client();
    assert_eq!(
        whoami_with(&c, json!({})).await,
        scope(Some("acme"), Some("w1"))
    );
    assert_eq!(
        refused(&c, json!({ "tenantId": "globex" })).await,
        OTHER_TENANT
    );
    // The in-process client's injection is a call's argument like any other.
    let injecting = server.client().tenant("acme").workspace("w2");
    assert_eq!(refused(&injecting, json!({})).await, OTHER_WORKSPACE);
    assert_eq!(runs.count(), 1, "the refused calls never reached the tool");
}

#[tokio::test]
async fn tenant_bound_keys_still_apply_to_the_process_tenant() {
    let runs = Runs::default();
    let server = builder(&runs).tenant("acme").build().unwrap();
    let bound = |tenants: &[&str]| {
        server
            .client()
            .as_key("k", Some(tenants.iter().map(|t| t.to_string()).collect()))
    };
    let got: Scope = bound(&["acme", "globex"])
        .call_ok("whoami", json!({}))
        .await;
    assert_eq!(got, scope(Some("acme"), None));
    let message = refused(&bound(&["globex"]), json!({})).await;
    assert_eq!(message, "this API key may not act for tenant `acme`");
    // A key allowed `globex` still cannot make an `acme` process act for it.
    let message = refused(&bound(&["acme", "globex"]), json!({ "tenantId": "globex" })).await;
    assert_eq!(message, OTHER_TENANT);
    assert_eq!(runs.count(), 1);
}

#[tokio::test]
async fn for_tenant_sets_or_keeps_the_scope_after_the_build() {
    let runs = Runs::default();
    let kept = acme_w1(&runs).for_tenant(None, None).unwrap();
    assert_eq!(
        whoami_with(&kept.client(), json!({})).await,
        scope(Some("acme"), Some("w1"))
    );
    // A flag parsed after the build wins over the builder; the other value is kept.
    let moved = kept.for_tenant(Some("globex".into()), None).unwrap();
    assert_eq!(
        whoami_with(&moved.client(), json!({})).await,
        scope(Some("globex"), Some("w1"))
    );

    let unscoped = builder(&runs).build().unwrap();
    let got: Scope = unscoped
        .for_tenant(None, Some("w9".into()))
        .unwrap()
        .client()
        .call_ok("whoami", json!({}))
        .await;
    assert_eq!(got, scope(None, Some("w9")));
}

#[test]
fn an_unusable_tenant_or_workspace_is_refused() {
    let runs = Runs::default();
    let err = builder(&runs).tenant("").build().unwrap_err();
    assert!(matches!(err, BuildError::Tenant(_)), "{err:#?}");
    assert_eq!(
        err.to_string(),
        "the tenant to act for must be a non-empty string of at most 256 bytes, not ``"
    );
    let long = "w".repeat(257);
    let err = builder(&runs)
        .build()
        .unwrap()
        .for_tenant(None, Some(long))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the workspace to act for must be a non-empty string of at most 256 bytes, not `{}…`",
            "w".repeat(64)
        )
    );
}

#[test]
fn http_serves_one_tenant_on_loopback_only() {
    let runs = Runs::default();
    let server = builder(&runs)
        .api_key(mcp_runtime::ApiKey::new("dev", "dev-secret-0123456789").unwrap())
        .tenant("acme")
        .build()
        .unwrap();
    let public = "0.0.0.0:8080".parse().unwrap();
    let Err(ServeError::Refused(message)) = server.router(public) else {
        panic!("a public address is refused")
    };
    assert_eq!(
        message,
        "refusing to serve on 0.0.0.0:8080 for one tenant (`--tenant`, `MCP_TENANT`, \
         `.tenant(..)`, or a workspace): acting for one tenant is allowed over stdio and on \
         loopback addresses only; a deployed server gets each call's tenant from the hub"
    );
    assert!(server.router("127.0.0.1:8080".parse().unwrap()).is_ok());
    assert!(server.router("[::1]:8080".parse().unwrap()).is_ok());
    // Without a process tenant, the public address is the keys' business.
    let unscoped = builder(&runs)
        .api_key(mcp_runtime::ApiKey::new("dev", "dev-secret-0123456789").unwrap())
        .build()
        .unwrap();
    assert!(unscoped.router(public).is_ok());
}

#[tokio::test]
async fn over_stdio_a_call_without_tenant_acts_for_the_process_tenant() {
    let runs = Runs::default();
    let server = builder(&runs).tenant("acme").build().unwrap();
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let (server_read, server_write) = tokio::io::split(server_end);
    let serving = tokio::spawn(server.serve_io(BufReader::new(server_read), server_write));
    let (client_read, mut client_write) = tokio::io::split(client_end);
    let mut lines = BufReader::new(client_read).lines();
    for (id, arguments) in [(1, json!({})), (2, json!({ "tenantId": "globex" }))] {
        let call = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": "whoami", "arguments": arguments } });
        client_write
            .write_all(format!("{call}\n").as_bytes())
            .await
            .unwrap();
        let line = lines.next_line().await.unwrap().expect("a response");
        let response: serde_json::Value = serde_json::from_str(&line).unwrap();
        let text = response["result"]["content"][0]["text"].as_str().unwrap();
        let expected = match id {
            1 => json!({ "tenant": "acme", "workspace": null }).to_string(),
            _ => json!({ "error": { "type": "permission_denied", "message": OTHER_TENANT } })
                .to_string(),
        };
        assert_eq!(text, expected, "{response}");
    }
    // End of input (the split halves share the stream: dropping one does not close it).
    client_write.shutdown().await.unwrap();
    serving.await.unwrap().unwrap();
    assert_eq!(runs.count(), 1);
}
