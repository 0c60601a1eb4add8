//! The shop as an OAuth 2.1 resource server, against a **real OpenID
//! provider** on loopback (npm `oidc-provider`, `scripts/oidc-provider.sh`):
//! client-credentials tokens with a resource indicator are accepted beside
//! API keys; the provider rotates its signing key mid-run; and each refusal
//! (expired, not yet valid, wrong issuer, wrong audience, `alg: none`, HS256
//! keyed with the public key, tampered payload, unknown `kid`, missing scope,
//! tenant mismatch) is answered for its own reason, with its status,
//! headers and body pinned.
//!
//! Tokens the provider will not mint (expired, another issuer, `none`,
//! HS256) are signed by the provider's process with its own current key
//! (so the only thing wrong with each is the one thing under test), or with
//! a key it never publishes, or not at all: see `scripts/oidc-provider.mjs`.
//!
//! Without npm (and nothing installed in `.tools/oidc-provider`) the tests
//! print `SKIPPED` and pass, unless `CI` is set.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcp_runtime::{ApiKey, OAuth};
use mcp_tests::oidc::{Provider, base64url, header_of, payload_of};
use mcp_tests::{HttpResponse, Post};
use serde_json::{Value, json};
use shop::Shop;

const HUB: &str = "shop-oauth-hub-key-0123456789";
const READER: &str = "shop-oauth-reader-key-0123456789";
const SCOPES: &str = "shop:read orders:write";

/// The shop serving on loopback with OAuth (the provider's issuer, its own
/// resource URI, the `tenant` claim) and two API keys: `hub` (no `scopes=`:
/// every tool) and `reader` (`shop:read`).
struct Served {
    addr: SocketAddr,
    resource: String,
    dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Served {
    async fn start(provider: &Provider) -> Served {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-oauth-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let shop = Shop::open(dir.join("shop.db"))
            .await
            .expect("the database opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let resource = format!("http://{addr}/mcp");
        let server = shop::builder(shop)
            .keys_from_env(false)
            .api_key(ApiKey::new("hub", HUB).unwrap())
            .api_key(
                ApiKey::new("reader", READER)
                    .unwrap()
                    .with_scopes(["shop:read"])
                    .unwrap(),
            )
            .oauth(
                OAuth::new(&provider.issuer, &resource)
                    .tenant_claim("tenant")
                    .jwks_refresh_interval(Duration::from_millis(500)),
            )
            .build()
            .expect("the shop builds");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve_listener(listener, async move {
            let _ = rx.await;
        }));
        Served {
            addr,
            resource,
            dir,
            stop: Some(tx),
        }
    }

    fn metadata_url(&self) -> String {
        format!(
            "http://{}/.well-known/oauth-protected-resource/mcp",
            self.addr
        )
    }

    /// `Bearer realm="mcp", resource_metadata="…"` plus `rest`.
    fn challenge(&self, rest: &str) -> String {
        format!(
            r#"Bearer realm="mcp", resource_metadata="{}"{rest}"#,
            self.metadata_url()
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The provider and the shop trusting it; `None` to skip (no npm).
async fn setup() -> Option<(Provider, Served)> {
    let provider = Provider::start()?;
    let served = Served::start(&provider).await;
    Some((provider, served))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn call(id: u64, tenant: Option<&str>, tool: &str, mut args: Value) -> Post {
    if let Some(t) = tenant {
        args["tenantId"] = json!(t);
    }
    Post::json(&json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": { "name": tool, "arguments": args }
    }))
}

fn get_order(id: u64, tenant: Option<&str>, order: &str) -> Post {
    call(id, tenant, "get_order", json!({ "orderNumber": order }))
}

fn list(id: u64) -> Post {
    Post::json(&json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {} }))
}

fn quote_args(key: &str) -> Value {
    json!({
        "customerId": "CUS-1002",
        "items": [{ "productId": "PRD-1004", "quantity": 2 }],
        "idempotencyKey": key
    })
}

/// The headers of a response, but `date`.
fn headers(r: &HttpResponse) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(n, _)| n != "date")
        .cloned()
        .collect()
}

/// A JSON body's exact headers: type, the challenge if given, length, and
/// the `Connection: close` the test client asked for.
fn json_headers(body: &[u8], challenge: Option<&str>) -> Vec<(String, String)> {
    let mut h = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(c) = challenge {
        h.push(("www-authenticate".to_owned(), c.to_owned()));
    }
    h.push(("content-length".to_owned(), body.len().to_string()));
    h.push(("connection".to_owned(), "close".to_owned()));
    h
}

/// A JSON-RPC error response exactly as the server writes it.
fn error_body(id: &str, error: Value) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{error}}}"#)
}

/// Assert the exact 401 of a refused token: `invalid_token` and `why`.
fn assert_invalid_token(served: &Served, r: &HttpResponse, why: &str, case: &str) {
    let body = error_body(
        "null",
        json!({ "code": -32001, "message": format!("unauthorized: {why}") }),
    );
    assert_eq!(r.status, 401, "{case}: {}", r.text());
    assert_eq!(r.text(), body, "{case}");
    assert_eq!(
        headers(r),
        json_headers(
            body.as_bytes(),
            Some(&served.challenge(&format!(
                r#", error="invalid_token", error_description="{why}""#
            )))
        ),
        "{case}"
    );
}

/// Assert the exact answer of a call refused as a tool error (handshake era).
fn assert_tool_error(r: &HttpResponse, id: u64, kind: &str, message: &str) {
    let text = json!({ "error": { "message": message, "type": kind } }).to_string();
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"text":{},"type":"text"}}],"isError":true}}}}"#,
        Value::String(text)
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), body);
    assert_eq!(headers(r), json_headers(body.as_bytes(), None));
}

fn tool_names(r: &HttpResponse) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metadata_document_and_the_challenge_of_a_request_without_credentials() {
    let Some((provider, served)) = setup().await else {
        return;
    };
    let want = json!({
        "resource": served.resource,
        "authorization_servers": [provider.issuer],
        "scopes_supported": ["orders:write", "shop:read"],
        "bearer_methods_supported": ["header"],
    });
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let r = Post::new("")
            .method("GET")
            .path(path)
            .without("Content-Type")
            .send(served.addr)
            .await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let doc = r.json();
        assert_eq!(doc, want, "{path}");
        // RFC 9728 §2–3: `resource` is required and is the URL the
        // well-known location was derived from; the listed authorization
        // servers are issuers whose own metadata names them.
        assert_eq!(
            format!(
                "http://{}/.well-known/oauth-protected-resource{}",
                served.addr,
                doc["resource"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&format!("http://{}", served.addr))
            ),
            served.metadata_url()
        );
        for field in [
            "authorization_servers",
            "scopes_supported",
            "bearer_methods_supported",
        ] {
            assert!(
                doc[field]
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string)),
                "{field} is a JSON array of strings"
            );
        }
        for issuer in doc["authorization_servers"].as_array().unwrap() {
            let meta =
                provider.request("GET", "/.well-known/openid-configuration", "text/plain", "");
            assert_eq!(meta.json()["issuer"], *issuer);
        }
    }
    // No credentials: a challenge without an error code (RFC 6750 §3.1).
    let r = list(1).send(served.addr).await;
    let body = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"unauthorized: send `Authorization: Bearer <access token>`"}}"#;
    assert_eq!(r.status, 401);
    assert_eq!(r.text(), body);
    assert_eq!(
        headers(&r),
        json_headers(body.as_bytes(), Some(&served.challenge("")))
    );
    // A value that is neither a key nor a JWT.
    let r = list(1)
        .bearer("not-a-key-not-a-token")
        .send(served.addr)
        .await;
    assert_invalid_token(
        &served,
        &r,
        "the bearer token is neither a valid API key nor a JWT access token",
        "garbage",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_tokens_are_accepted_and_every_refusal_is_exact() {
    let Some((provider, served)) = setup().await else {
        return;
    };
    let addr = served.addr;
    let agent = provider.token("acme-agent", SCOPES, &served.resource);
    let claims = payload_of(&agent);
    assert_eq!(claims["aud"], served.resource.as_str());
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["scope"], SCOPES);

    // Accepted: all nine tools listed, a read and a write for its tenant.
    assert_eq!(
        tool_names(&list(1).bearer(&agent).send(addr).await).len(),
        9
    );
    let r = get_order(2, Some("acme"), "ORD-10001")
        .bearer(&agent)
        .send(addr)
        .await;
    assert_eq!(
        r.json()["result"]["structuredContent"]["orderNumber"],
        "ORD-10001",
        "{}",
        r.text()
    );
    let r = call(3, Some("acme"), "create_quote", quote_args("oauth-q-1"))
        .bearer(&agent)
        .send(addr)
        .await;
    assert_eq!(r.json()["result"]["isError"], Value::Null, "{}", r.text());
    assert!(
        r.json()["result"]["structuredContent"]["quoteNumber"].is_string(),
        "{}",
        r.text()
    );

    // Tenant claim mismatch: `acme` may not act for `globex`, nor for none.
    let r = get_order(4, Some("globex"), "ORD-20001")
        .bearer(&agent)
        .send(addr)
        .await;
    assert_tool_error(
        &r,
        4,
        "permission_denied",
        "this access token may not act for tenant `globex`",
    );
    let r = get_order(5, None, "ORD-10001")
        .bearer(&agent)
        .send(addr)
        .await;
    assert_tool_error(
        &r,
        5,
        "permission_denied",
        "this access token is bound to tenants, so the call must carry a `tenantId`",
    );

    // Missing scope: the reader's token lists seven tools, and a write is
    // refused with 403 and the scope in the challenge, in both eras.
    let reader = provider.token("acme-reader", "shop:read", &served.resource);
    let names = tool_names(&list(6).bearer(&reader).send(addr).await);
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n == "create_quote" || n == "submit_return")
    );
    for (era, post) in [
        (
            "handshake",
            call(7, Some("acme"), "create_quote", quote_args("oauth-q-2")),
        ),
        (
            "2026-07-28",
            Post::json(&json!({
                "jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {
                    "name": "create_quote",
                    "arguments": { "tenantId": "acme", "customerId": "CUS-1002",
                        "items": [{ "productId": "PRD-1004", "quantity": 2 }],
                        "idempotencyKey": "oauth-q-2" },
                    "_meta": mcp_tests::meta_2026(),
                }
            }))
            .stateless("tools/call", Some("create_quote")),
        ),
    ] {
        let r = post.bearer(&reader).send(addr).await;
        let body = error_body(
            "7",
            json!({
                "code": -32003,
                "message": "forbidden: tool `create_quote` needs the scope `orders:write`, which the access token does not hold",
                "data": { "requiredScopes": ["orders:write"] }
            }),
        );
        assert_eq!(r.status, 403, "{era}: {}", r.text());
        assert_eq!(r.text(), body, "{era}");
        assert_eq!(
            headers(&r),
            json_headers(
                body.as_bytes(),
                Some(&served.challenge(
                    r#", error="insufficient_scope", scope="orders:write", error_description="the access token lacks a scope this call needs""#
                ))
            ),
            "{era}"
        );
    }
    // Nothing was written by the refused call.
    let r = call(8, Some("acme"), "create_quote", quote_args("oauth-q-2"))
        .bearer(&agent)
        .send(addr)
        .await;
    assert!(
        r.json()["result"]["structuredContent"]["quoteNumber"].is_string(),
        "{}",
        r.text()
    );

    // Rotation at the provider: a new kid signs; the shop fetches the keys
    // again for it (the refresh interval is 500 ms) and accepts the token;
    // a token of the old key, still published, stays good.
    let old_kid = provider.current_kid();
    let fetches = provider.jwks_fetches();
    assert_eq!(fetches, 1, "the keys were fetched once, then cached");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let new_kid = provider.rotate();
    assert_ne!(new_kid, old_kid);
    let rotated = provider.token("acme-agent", SCOPES, &served.resource);
    assert_eq!(header_of(&rotated)["kid"], new_kid.as_str());
    assert_eq!(
        tool_names(&list(9).bearer(&rotated).send(addr).await).len(),
        9
    );
    assert_eq!(
        tool_names(&list(10).bearer(&agent).send(addr).await).len(),
        9
    );
    assert_eq!(
        provider.jwks_fetches(),
        fetches + 1,
        "one fetch for the new kid"
    );

    // The refusals. Crafted tokens carry the provider's good claims but for
    // the one under test, signed by its current key unless said otherwise.
    let good = |f: &dyn Fn(&mut Value)| {
        let mut c = json!({
            "iss": provider.issuer, "aud": served.resource, "sub": "acme-agent",
            "client_id": "acme-agent", "scope": SCOPES, "tenant": "acme",
            "iat": now(), "exp": now() + 300,
        });
        f(&mut c);
        c
    };
    let rs256 = json!({ "alg": "RS256", "typ": "at+jwt", "kid": "$current" });
    // Sanity: the crafted baseline itself is accepted.
    let baseline = provider.sign(rs256.clone(), good(&|_| {}), "current");
    assert_eq!(
        tool_names(&list(11).bearer(&baseline).send(addr).await).len(),
        9
    );

    let mut tampered_claims = payload_of(&agent);
    tampered_claims["tenant"] = json!("globex");
    let parts: Vec<&str> = agent.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        base64url(tampered_claims.to_string().as_bytes()),
        parts[2]
    );
    let unpublished = provider.sign(
        json!({ "alg": "RS256", "typ": "at+jwt", "kid": "never-published" }),
        good(&|_| {}),
        "unpublished",
    );
    let cases: Vec<(&str, String, String)> = vec![
        (
            "expired",
            provider.sign(
                rs256.clone(),
                good(&|c| c["exp"] = json!(now() - 120)),
                "current",
            ),
            "the access token has expired".into(),
        ),
        (
            "not yet valid",
            provider.sign(
                rs256.clone(),
                good(&|c| c["nbf"] = json!(now() + 600)),
                "current",
            ),
            "the access token is not valid yet (`nbf`)".into(),
        ),
        (
            "wrong issuer",
            provider.sign(
                rs256.clone(),
                good(&|c| c["iss"] = json!("http://127.0.0.1:1")),
                "current",
            ),
            format!("the access token was not issued by `{}`", provider.issuer),
        ),
        (
            "wrong audience (a real token for another resource)",
            provider.token("acme-agent", SCOPES, "http://127.0.0.1:1/other"),
            format!(
                "the access token is not meant for this resource: its `aud` must name `{}`",
                served.resource
            ),
        ),
        (
            "alg none",
            provider.sign(
                json!({ "alg": "none", "kid": "$current" }),
                good(&|_| {}),
                "none",
            ),
            "the access token's algorithm `none` is not accepted".into(),
        ),
        (
            "HS256 keyed with the public key",
            provider.sign(
                json!({ "alg": "HS256", "typ": "at+jwt", "kid": "$current" }),
                good(&|_| {}),
                "hs256-public",
            ),
            "the access token's algorithm `HS256` is not accepted".into(),
        ),
        (
            "tampered payload",
            tampered,
            "the access token's signature does not verify".into(),
        ),
        (
            "unknown kid after refresh",
            unpublished,
            "the access token's key `never-published` is not among the issuer's keys".into(),
        ),
        (
            "no tenant claim",
            provider.sign(
                rs256.clone(),
                good(&|c| {
                    c.as_object_mut().unwrap().remove("tenant");
                }),
                "current",
            ),
            "the access token has no `tenant` claim".into(),
        ),
    ];
    // Past the refresh interval, so the unknown kid is looked up afresh.
    tokio::time::sleep(Duration::from_millis(600)).await;
    for (case, token, why) in &cases {
        let before = provider.jwks_fetches();
        let r = list(12).bearer(token).send(addr).await;
        assert_invalid_token(&served, &r, why, case);
        let fetched = provider.jwks_fetches() - before;
        if case.starts_with("unknown kid") {
            assert_eq!(fetched, 1, "{case}: refused after a fetch of the keys");
        } else {
            assert_eq!(fetched, 0, "{case}: refused without a fetch");
        }
    }
    // The same unknown kid again at once: refused, and no second fetch
    // within the refresh interval.
    let (case, token, why) = &cases[7];
    assert!(case.starts_with("unknown kid"));
    let before = provider.jwks_fetches();
    let r = list(13).bearer(token).send(addr).await;
    assert_invalid_token(&served, &r, why, "unknown kid again");
    assert_eq!(provider.jwks_fetches(), before, "bounded refresh rate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_beside_tokens_with_and_without_scopes() {
    let Some((_provider, served)) = setup().await else {
        return;
    };
    let addr = served.addr;
    // A key without `scopes=` keeps every tool, as before tools had scopes.
    assert_eq!(tool_names(&list(1).bearer(HUB).send(addr).await).len(), 9);
    let r = call(2, Some("acme"), "create_quote", quote_args("key-quote-1"))
        .bearer(HUB)
        .send(addr)
        .await;
    assert!(
        r.json()["result"]["structuredContent"]["quoteNumber"].is_string(),
        "{}",
        r.text()
    );
    // A key with `scopes=shop:read`: seven tools listed; a write is a tool
    // error (the key's scopes are configuration, nothing to step up).
    assert_eq!(
        tool_names(&list(3).bearer(READER).send(addr).await).len(),
        7
    );
    let r = call(
        4,
        Some("acme"),
        "submit_return",
        json!({
            "orderNumber": "ORD-10001",
            "items": [{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }],
            "idempotencyKey": "key-return-1"
        }),
    )
    .bearer(READER)
    .send(addr)
    .await;
    // No challenge: a key has nothing to ask an authorization server for.
    assert_tool_error(
        &r,
        4,
        "permission_denied",
        "tool `submit_return` needs the scope `orders:write`, which this API key does not hold",
    );
    // A wrong key, with OAuth on: the challenge names the metadata.
    let r = list(5)
        .bearer("shop-oauth-wrong-key-0123456789")
        .send(addr)
        .await;
    assert_invalid_token(
        &served,
        &r,
        "the bearer token is neither a valid API key nor a JWT access token",
        "wrong key",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_whose_keys_cannot_be_fetched_is_a_503_not_a_401() {
    // Nothing listens on the issuer's port: no metadata, no keys.
    let dir = std::env::temp_dir().join(format!("shop-oauth-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let shop = Shop::open(dir.join("shop.db"))
        .await
        .expect("the database opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = shop::builder(shop)
        .keys_from_env(false)
        .oauth(OAuth::new(
            "http://127.0.0.1:1",
            format!("http://{addr}/mcp"),
        ))
        .build()
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve_listener(listener, async move {
        let _ = rx.await;
    }));
    let token = format!(
        "{}.{}.{}",
        base64url(br#"{"alg":"RS256","kid":"k1"}"#),
        base64url(br#"{"iss":"http://127.0.0.1:1"}"#),
        base64url(b"signature")
    );
    let r = list(1).bearer(&token).send(addr).await;
    let body = error_body(
        "null",
        json!({
            "code": -32603,
            "message": "server busy: the authorization server's signing keys could not be fetched; \
                        the access token could not be checked, retry later"
        }),
    );
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.text(), body);
    let mut want = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("retry-after".to_owned(), "5".to_owned()),
    ];
    want.extend(json_headers(body.as_bytes(), None).into_iter().skip(1));
    assert_eq!(headers(&r), want);
    let _ = tx.send(());
    let _ = std::fs::remove_dir_all(&dir);
}
