//! The verifier against tokens signed here, with keys of `testdata/` (test
//! keys, generated for these tests and used nowhere else).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::*;

const ISSUER: &str = "http://127.0.0.1:9/issuer";
const RESOURCE: &str = "http://127.0.0.1:8080/mcp";
const RSA_A: &[u8] = include_bytes!("testdata/rsa-a.pem");
const RSA_A_PUB: &[u8] = include_bytes!("testdata/rsa-a.pub.pem");
const RSA_B: &[u8] = include_bytes!("testdata/rsa-b.pem");

fn jwk(k: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("testdata/jwks.json")).unwrap();
    all[k].clone()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": RESOURCE,
        "sub": "svc-42",
        "client_id": "reporting",
        "scope": "shop:read orders:write",
        "tenant": "acme",
        "exp": now() + 300,
        "iat": now(),
    })
}

fn sign(kid: &str, pem: &[u8], claims: &Value) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_owned());
    encode(&h, claims, &EncodingKey::from_rsa_pem(pem).unwrap()).unwrap()
}

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

fn verifier(oauth: OAuth) -> Verifier {
    oauth.verifier(&[]).unwrap()
}

fn fixed() -> Verifier {
    verifier(
        OAuth::new(ISSUER, RESOURCE)
            .tenant_claim("tenant")
            .jwks(json!({ "keys": [jwk("a")] })),
    )
}

async fn refusal(v: &Verifier, token: &str) -> String {
    match v.verify(token).await {
        Err(TokenError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_token_gives_its_caller() {
    let v = fixed();
    let id = v.verify(&sign("key-a", RSA_A, &claims())).await.unwrap();
    assert_eq!(id.name, "oauth:reporting");
    assert_eq!(id.tenants, Some(vec!["acme".to_owned()]));
    assert_eq!(
        id.scopes,
        Some(vec!["shop:read".to_owned(), "orders:write".to_owned()])
    );
    let t = id.token.as_ref().unwrap();
    assert_eq!(t.subject.as_deref(), Some("svc-42"));
    assert_eq!(t.client_id.as_deref(), Some("reporting"));
    assert_eq!(t.issuer, ISSUER);
    // An array audience holding ours, `scp`, and a list of tenants.
    let mut c = claims();
    c["aud"] = json!(["https://other.example", RESOURCE]);
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["shop:read"]);
    c["tenant"] = json!(["acme", "globex"]);
    let id = v.verify(&sign("key-a", RSA_A, &c)).await.unwrap();
    assert_eq!(id.scopes, Some(vec!["shop:read".to_owned()]));
    assert_eq!(id.tenants.as_ref().map(Vec::len), Some(2));
}

#[tokio::test]
async fn each_refusal_for_its_reason() {
    let v = fixed();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims();
        f(&mut c);
        sign("key-a", RSA_A, &c)
    };
    let cases: Vec<(&str, String, String)> = vec![
        (
            "expired beyond the leeway",
            with(&|c| c["exp"] = json!(now() - 31)),
            "the access token has expired".into(),
        ),
        (
            "not valid yet",
            with(&|c| c["nbf"] = json!(now() + 120)),
            "the access token is not valid yet (`nbf`)".into(),
        ),
        (
            "another issuer",
            with(&|c| c["iss"] = json!("http://127.0.0.1:9/other")),
            format!("the access token was not issued by `{ISSUER}`"),
        ),
        (
            "an issuer differing only by a slash",
            with(&|c| c["iss"] = json!(format!("{ISSUER}/"))),
            format!("the access token was not issued by `{ISSUER}`"),
        ),
        (
            "another audience",
            with(&|c| c["aud"] = json!("http://127.0.0.1:8080/other")),
            format!(
                "the access token is not meant for this resource: its `aud` must name `{RESOURCE}`"
            ),
        ),
        (
            "no audience",
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            "the access token has no `aud` claim".into(),
        ),
        (
            "no tenant claim",
            with(&|c| {
                c.as_object_mut().unwrap().remove("tenant");
            }),
            "the access token has no `tenant` claim".into(),
        ),
        (
            "a tenant claim that is a number",
            with(&|c| c["tenant"] = json!(7)),
            "the access token's `tenant` claim is malformed".into(),
        ),
        (
            "an unknown kid",
            sign("key-b", RSA_B, &claims()),
            "the access token's key `key-b` is not among the issuer's keys".into(),
        ),
        (
            "a known kid, another key's signature",
            sign("key-a", RSA_B, &claims()),
            "the access token's signature does not verify".into(),
        ),
    ];
    for (case, token, want) in cases {
        assert_eq!(refusal(&v, &token).await, want, "{case}");
    }
}

#[tokio::test]
async fn forged_headers_and_payloads_are_refused() {
    let v = fixed();
    let good = sign("key-a", RSA_A, &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let payload = b64(claims().to_string().as_bytes());
    // alg none, with and without a signature part.
    let none = b64(br#"{"alg":"none","kid":"key-a"}"#);
    for token in [
        format!("{none}.{payload}."),
        format!("{none}.{payload}.{}", parts[2]),
    ] {
        assert_eq!(
            refusal(&v, &token).await,
            "the access token's algorithm `none` is not accepted"
        );
    }
    // HS256 keyed with the public key (the classic algorithm confusion).
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("key-a".into());
    let hs = encode(&h, &claims(), &EncodingKey::from_secret(RSA_A_PUB).unwrap()).unwrap();
    assert_eq!(
        refusal(&v, &hs).await,
        "the access token's algorithm `HS256` is not accepted"
    );
    // The payload changed under a good signature.
    let mut c = claims();
    c["scope"] = json!("shop:read orders:write admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(c.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(
        refusal(&v, &tampered).await,
        "the access token's signature does not verify"
    );
    // A critical header this server does not know.
    let crit = b64(br#"{"alg":"RS256","kid":"key-a","crit":["exp2"],"exp2":1}"#);
    assert_eq!(
        refusal(&v, &format!("{crit}.{}.{}", parts[1], parts[2])).await,
        "the access token has critical header parameters this server does not understand"
    );
    assert!(!looks_like_jwt("mcp_0123456789abcdef"));
    assert!(!looks_like_jwt("a.b.c"));
    assert!(looks_like_jwt(&good));
}

#[test]
fn hmac_and_unknown_algorithms_cannot_be_allowed() {
    let e = OAuth::new(ISSUER, RESOURCE)
        .algorithms(["RS256", "HS256", "none"])
        .verifier(&[])
        .err()
        .unwrap();
    assert_eq!(
        e.0,
        "`HS256` is an HMAC algorithm: a resource server verifies with the issuer's public keys only; \
         `none` is not a JWS algorithm"
    );
    let e = OAuth::new("issuer", "/mcp").verifier(&[]).err().unwrap();
    assert_eq!(
        e.0,
        "the issuer `issuer` is not an http(s) URL; the resource URI `/mcp` must be absolute, \
         e.g. https://shop.example.com/mcp"
    );
}

/// A fake issuer: its metadata and JWKS, served through the fetcher, and a
/// count of the fetches of each URL.
#[derive(Clone, Default)]
struct FakeIssuer {
    jwks: Arc<Mutex<Value>>,
    fetches: Arc<Mutex<Vec<String>>>,
    down: Arc<AtomicUsize>,
}

impl FakeIssuer {
    fn fetcher(&self) -> Fetcher {
        let me = self.clone();
        Arc::new(move |url: &str| {
            let me = me.clone();
            let url = url.to_owned();
            Box::pin(async move {
                me.fetches.lock().unwrap().push(url.clone());
                if me.down.load(Ordering::SeqCst) > 0 {
                    return Err(format!("`{url}`: connection refused"));
                }
                if url == format!("{ISSUER}/.well-known/openid-configuration") {
                    let doc = json!({ "issuer": ISSUER, "jwks_uri": "http://127.0.0.1:9/jwks" });
                    return Ok(doc.to_string().into_bytes());
                }
                if url == "http://127.0.0.1:9/jwks" {
                    return Ok(me.jwks.lock().unwrap().to_string().into_bytes());
                }
                Err(format!("`{url}` answered 404 Not Found"))
            })
        })
    }

    fn count(&self) -> usize {
        self.fetches.lock().unwrap().len()
    }
}

#[tokio::test]
async fn keys_are_discovered_cached_and_refreshed_for_a_new_kid_at_a_bounded_rate() {
    let issuer = FakeIssuer::default();
    *issuer.jwks.lock().unwrap() = json!({ "keys": [jwk("a")] });
    let v = verifier(
        OAuth::new(ISSUER, RESOURCE)
            .http_get(issuer.fetcher())
            .jwks_refresh_interval(Duration::from_millis(300))
            .token_cache_capacity(0),
    );
    v.verify(&sign("key-a", RSA_A, &claims())).await.unwrap();
    assert_eq!(
        *issuer.fetches.lock().unwrap(),
        [
            format!("{ISSUER}/.well-known/openid-configuration"),
            "http://127.0.0.1:9/jwks".to_owned()
        ]
    );
    v.verify(&sign("key-a", RSA_A, &claims())).await.unwrap();
    assert_eq!(issuer.count(), 2, "the keys are cached");

    // The issuer rotates to key-b: the first token with the new kid fetches
    // the keys again (the refresh interval has passed).
    tokio::time::sleep(Duration::from_millis(350)).await;
    *issuer.jwks.lock().unwrap() = json!({ "keys": [jwk("b"), jwk("a")] });
    v.verify(&sign("key-b", RSA_B, &claims())).await.unwrap();
    assert_eq!(issuer.count(), 3);

    // Unknown kids in a burst: at most one fetch per interval.
    let mut c = claims();
    c["jti"] = json!("x");
    for _ in 0..5 {
        let token = sign("key-zzz", RSA_B, &c);
        assert_eq!(
            refusal(&v, &token).await,
            "the access token's key `key-zzz` is not among the issuer's keys"
        );
    }
    assert_eq!(issuer.count(), 3, "within the interval of the last fetch");
    tokio::time::sleep(Duration::from_millis(350)).await;
    refusal(&v, &sign("key-zzz", RSA_B, &c)).await;
    assert_eq!(issuer.count(), 4, "one fetch after the interval");

    // The issuer down: the keys held stay in use.
    issuer.down.store(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    v.verify(&sign("key-b", RSA_B, &claims())).await.unwrap();
}

#[tokio::test]
async fn no_keys_at_all_is_unavailable_not_invalid() {
    let issuer = FakeIssuer::default();
    issuer.down.store(1, Ordering::SeqCst);
    let v = verifier(OAuth::new(ISSUER, RESOURCE).http_get(issuer.fetcher()));
    assert_eq!(
        v.verify(&sign("key-a", RSA_A, &claims())).await,
        Err(TokenError::Unavailable(
            "the authorization server's signing keys could not be fetched".into()
        ))
    );
}

#[tokio::test]
async fn verified_tokens_are_cached_until_exp() {
    let v = fixed();
    let token = sign("key-a", RSA_A, &claims());
    let first = v.verify(&token).await.unwrap();
    let again = v.verify(&token).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second is the cached identity"
    );

    let cache = TokenCache::new(2);
    let id = first.clone();
    cache.put([1; 32], id.clone(), now() - 1);
    assert!(
        cache.get(&[1; 32]).is_none(),
        "an expired token is not kept"
    );
    cache.put([2; 32], id.clone(), now() + 60);
    cache.put([3; 32], id.clone(), now() + 60);
    cache.put([4; 32], id.clone(), now() + 60);
    assert_eq!(cache.lock().len(), 2, "bounded");
    assert!(cache.get(&[4; 32]).is_some());
}
