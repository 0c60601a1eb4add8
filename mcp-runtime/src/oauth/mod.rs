//! OAuth 2.1 resource server: JWT access tokens beside API keys.
//!
//! A bearer value that is a JWT (three base64url parts, the first a JOSE
//! header) is verified as an access token; anything else is an API key.
//! A token is accepted when, in this order:
//!
//! 1. its header's `alg` is on the allowlist (asymmetric algorithms only:
//!    never `none`, never an HMAC, so a public key can never serve as an
//!    HMAC secret) and it has no `crit` header;
//! 2. the issuer publishes a key with its `kid` (the JWKS is cached, and
//!    fetched again for an unknown `kid`, at most once per refresh
//!    interval) whose type and `alg` fit the token's `alg`;
//! 3. the signature verifies with that key;
//! 4. `exp` is in the future and `nbf` (if any) in the past, each with the
//!    leeway (default 30 s); `iss` is the configured issuer, exactly; `aud`
//!    holds this server's resource URI (RFC 8707);
//! 5. the tenant claim, when one is configured, holds a tenant or a list
//!    of them.
//!
//! The caller's identity (`ctx.key()`) then names the token's client and
//! subject, its scopes (`scope`, or `scp`), and the tenants of the claim,
//! bound exactly as a tenant-bound API key is. A verified token is
//! remembered by the SHA-256 of its text until its `exp` (bounded), so a
//! client's next calls cost a hash and a lookup.

mod fetch;
mod jwks;
pub(crate) mod metadata;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use self::fetch::{FetchFuture, Fetcher};
use self::jwks::{KeySet, Source};
use crate::auth::{KeyIdentity, TokenSubject};
use crate::jsonrpc::truncate;

/// The algorithms accepted unless configured otherwise.
const DEFAULT_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// The four settings of OAuth that come from outside the program: the
/// variables `MCP_OAUTH_*` ([`OAuthSettings::from_env`], the one place that
/// reads them) or the flags of `cli::ServeArgs`; a blank value is unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthSettings {
    /// `MCP_OAUTH_ISSUER`, `--oauth-issuer`.
    pub issuer: Option<String>,
    /// `MCP_OAUTH_AUDIENCE`, `--oauth-audience`.
    pub audience: Option<String>,
    /// `MCP_OAUTH_TENANT_CLAIM`, `--oauth-tenant-claim`.
    pub tenant_claim: Option<String>,
    /// `MCP_OAUTH_JWKS_URL`, `--oauth-jwks-url`.
    pub jwks_url: Option<String>,
}

impl OAuthSettings {
    /// The variables `MCP_OAUTH_ISSUER`, `MCP_OAUTH_AUDIENCE`,
    /// `MCP_OAUTH_TENANT_CLAIM`, `MCP_OAUTH_JWKS_URL`.
    pub fn from_env() -> OAuthSettings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        OAuthSettings {
            issuer: var("MCP_OAUTH_ISSUER"),
            audience: var("MCP_OAUTH_AUDIENCE"),
            tenant_claim: var("MCP_OAUTH_TENANT_CLAIM"),
            jwks_url: var("MCP_OAUTH_JWKS_URL"),
        }
    }

    /// Each setting of `self`, else `other`'s.
    pub fn or(self, other: OAuthSettings) -> OAuthSettings {
        OAuthSettings {
            issuer: self.issuer.or(other.issuer),
            audience: self.audience.or(other.audience),
            tenant_claim: self.tenant_claim.or(other.tenant_claim),
            jwks_url: self.jwks_url.or(other.jwks_url),
        }
    }

    /// Whether none is set.
    pub fn is_empty(&self) -> bool {
        *self == OAuthSettings::default()
    }
}

/// How access tokens are verified: the issuer, this server's resource URI,
/// where the keys are, and the claims that matter.
///
/// ```
/// use std::time::Duration;
/// let oauth = mcp_runtime::OAuth::new("https://id.example.com", "https://shop.example.com/mcp")
///     .tenant_claim("tenant")
///     .leeway(Duration::from_secs(30));
/// let server = mcp_runtime::Server::builder("shop", "1.0.0").oauth(oauth);
/// ```
///
/// Or from the environment: `MCP_OAUTH_ISSUER`, `MCP_OAUTH_AUDIENCE`, and
/// optionally `MCP_OAUTH_TENANT_CLAIM` and `MCP_OAUTH_JWKS_URL`
/// (see [`OAuth::from_env`]).
#[derive(Clone)]
pub struct OAuth {
    issuer: String,
    audience: String,
    tenant_claim: Option<String>,
    jwks_url: Option<String>,
    jwks: Option<Value>,
    algorithms: Vec<String>,
    leeway: Duration,
    refresh_interval: Duration,
    max_age: Duration,
    scopes_supported: Vec<String>,
    cache_capacity: usize,
    fetcher: Option<Fetcher>,
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("tenant_claim", &self.tenant_claim)
            .field("jwks_url", &self.jwks_url)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// A problem with the OAuth configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError(pub String);

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OAuthError {}

impl OAuth {
    /// Accept access tokens issued by `issuer` (its `iss`, exactly) for
    /// `resource`, this server's resource URI (the `aud` they must carry,
    /// e.g. `https://shop.example.com/mcp`).
    pub fn new(issuer: impl Into<String>, resource: impl Into<String>) -> OAuth {
        OAuth {
            issuer: issuer.into(),
            audience: resource.into(),
            tenant_claim: None,
            jwks_url: None,
            jwks: None,
            algorithms: DEFAULT_ALGORITHMS.map(str::to_owned).to_vec(),
            leeway: Duration::from_secs(30),
            refresh_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(15 * 60),
            scopes_supported: Vec::new(),
            cache_capacity: 10_000,
            fetcher: None,
        }
    }

    /// The configuration of `MCP_OAUTH_ISSUER` and `MCP_OAUTH_AUDIENCE`
    /// (both, or neither: `None`), `MCP_OAUTH_TENANT_CLAIM` and
    /// `MCP_OAUTH_JWKS_URL`.
    pub fn from_env() -> Result<Option<OAuth>, OAuthError> {
        OAuth::from_settings(OAuthSettings::from_env())
    }

    /// The configuration of these settings (issuer and audience both, or
    /// neither: `None`), as [`from_env`](OAuth::from_env) makes it of the
    /// variables; a refusal names the variables (and the flags of
    /// `cli::ServeArgs`).
    pub fn from_settings(s: OAuthSettings) -> Result<Option<OAuth>, OAuthError> {
        let (issuer, audience) = match (s.issuer, s.audience) {
            (None, None) => {
                if s.tenant_claim.is_some() || s.jwks_url.is_some() {
                    return Err(OAuthError(
                        "MCP_OAUTH_TENANT_CLAIM or MCP_OAUTH_JWKS_URL (--oauth-tenant-claim, \
                         --oauth-jwks-url) is set but MCP_OAUTH_ISSUER and MCP_OAUTH_AUDIENCE \
                         are not"
                            .into(),
                    ));
                }
                return Ok(None);
            }
            (Some(i), Some(a)) => (i, a),
            (Some(_), None) => {
                return Err(OAuthError(
                    "MCP_OAUTH_ISSUER (--oauth-issuer) is set but MCP_OAUTH_AUDIENCE \
                     (--oauth-audience) is not: set it to this server's resource URI \
                     (e.g. https://shop.example.com/mcp)"
                        .into(),
                ));
            }
            (None, Some(_)) => {
                return Err(OAuthError(
                    "MCP_OAUTH_AUDIENCE (--oauth-audience) is set but MCP_OAUTH_ISSUER \
                     (--oauth-issuer) is not"
                        .into(),
                ));
            }
        };
        let mut oauth = OAuth::new(issuer.trim(), audience.trim());
        if let Some(c) = s.tenant_claim {
            oauth = oauth.tenant_claim(c.trim());
        }
        if let Some(u) = s.jwks_url {
            oauth = oauth.jwks_url(u.trim());
        }
        Ok(Some(oauth))
    }

    /// The claim that names the tenant(s) the token may act for (a string
    /// or an array of strings). A token without it is refused.
    pub fn tenant_claim(mut self, claim: impl Into<String>) -> OAuth {
        self.tenant_claim = Some(claim.into());
        self
    }

    /// Fetch the keys from this URL instead of the issuer's metadata.
    pub fn jwks_url(mut self, url: impl Into<String>) -> OAuth {
        self.jwks_url = Some(url.into());
        self
    }

    /// Use this JWK set (`{"keys": [...]}`) and fetch none.
    pub fn jwks(mut self, set: Value) -> OAuth {
        self.jwks = Some(set);
        self
    }

    /// The `alg`s accepted (default: RS256/384/512, PS256/384/512,
    /// ES256/384, EdDSA). Only asymmetric algorithms can be given.
    pub fn algorithms<I, S>(mut self, algorithms: I) -> OAuth
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.algorithms = algorithms.into_iter().map(Into::into).collect();
        self
    }

    /// Clock skew allowed on `exp` and `nbf` (default 30 s).
    pub fn leeway(mut self, d: Duration) -> OAuth {
        self.leeway = d;
        self
    }

    /// Shortest time between two fetches of the keys (default 30 s): a
    /// token naming an unknown key causes a fetch only this often.
    pub fn jwks_refresh_interval(mut self, d: Duration) -> OAuth {
        self.refresh_interval = d;
        self
    }

    /// Keys held longer than this are fetched again before use (default
    /// 15 min), so a key the issuer withdrew stops being accepted.
    pub fn jwks_max_age(mut self, d: Duration) -> OAuth {
        self.max_age = d;
        self
    }

    /// Scopes to publish in `scopes_supported` besides those of the tools.
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> OAuth
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Verified tokens remembered at once (default 10,000).
    pub fn token_cache_capacity(mut self, n: usize) -> OAuth {
        self.cache_capacity = n;
        self
    }

    /// Fetch metadata and keys with this function instead of the built-in
    /// client (plain HTTP, and HTTPS with the `oauth-https` feature).
    pub fn http_get(mut self, fetcher: Fetcher) -> OAuth {
        self.fetcher = Some(fetcher);
        self
    }

    /// The resource URI (`aud`) tokens must carry.
    pub fn resource(&self) -> &str {
        &self.audience
    }

    /// Check the configuration: every problem at once.
    pub(crate) fn verifier(&self, tool_scopes: &[&str]) -> Result<Verifier, OAuthError> {
        let mut problems = Vec::new();
        if !is_http_url(&self.issuer) {
            problems.push(format!(
                "the issuer `{}` is not an http(s) URL",
                self.issuer
            ));
        }
        let metadata = match metadata::Metadata::new(self, tool_scopes) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        if let Some(u) = &self.jwks_url
            && !is_http_url(u)
        {
            problems.push(format!("the JWKS URL `{u}` is not an http(s) URL"));
        }
        if self
            .tenant_claim
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            problems.push("the tenant claim is empty".into());
        }
        let mut algorithms = Vec::new();
        for a in &self.algorithms {
            match a.parse::<Algorithm>() {
                Ok(alg) if !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => {
                    algorithms.push(alg)
                }
                Ok(_) => problems.push(format!(
                    "`{a}` is an HMAC algorithm: a resource server verifies with the issuer's public keys only"
                )),
                Err(_) => problems.push(format!("`{a}` is not a JWS algorithm")),
            }
        }
        if self.algorithms.is_empty() {
            problems.push("no algorithm is allowed".into());
        }
        let fixed = match &self.jwks {
            Some(v) => match serde_json::from_value(v.clone()) {
                Ok(set) => Some(set),
                Err(e) => {
                    problems.push(format!("the configured JWK set is not one: {e}"));
                    None
                }
            },
            None => None,
        };
        let fetcher = match &self.fetcher {
            Some(f) => Some(f.clone()),
            None => fetch::built_in().map_err(|e| problems.push(e)).ok(),
        };
        if !problems.is_empty() {
            return Err(OAuthError(problems.join("; ")));
        }
        let fetcher = fetcher.expect("no problems, so a fetcher");
        let source = match (&fixed, &self.jwks_url) {
            (Some(_), _) => Source::Fixed,
            (None, Some(u)) => Source::Url(u.clone()),
            (None, None) => Source::Discover,
        };
        Ok(Verifier {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            tenant_claim: self.tenant_claim.clone(),
            algorithms,
            leeway: self.leeway,
            keys: KeySet::new(
                self.issuer.clone(),
                source,
                fixed,
                fetcher,
                self.refresh_interval,
                self.max_age,
            ),
            cache: TokenCache::new(self.cache_capacity),
            metadata: metadata.expect("no problems, so the metadata was built"),
        })
    }
}

fn is_http_url(s: &str) -> bool {
    s.parse::<axum::http::Uri>()
        .is_ok_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some())
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// The token is not acceptable (RFC 6750 `invalid_token`); says why.
    Invalid(String),
    /// The issuer's keys could not be had: try again later.
    Unavailable(String),
}

/// The token verifier of a running server.
pub(crate) struct Verifier {
    issuer: String,
    audience: String,
    tenant_claim: Option<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    keys: KeySet,
    cache: TokenCache,
    pub(crate) metadata: metadata::Metadata,
}

/// Whether a bearer value is a JWT: three dot-separated parts, the first
/// two base64url, the first a JSON object with an `alg`.
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    header_of(token).is_some()
}

fn header_of(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.is_empty() || p.is_empty() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h)
        .ok()?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    header.get("alg")?.as_str()?;
    Some(header)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Verifier {
    /// The caller a token stands for, or why it is refused.
    pub(crate) async fn verify(&self, token: &str) -> Result<Arc<KeyIdentity>, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(id) = self.cache.get(&digest) {
            return Ok(id);
        }
        let id = Arc::new(self.verify_uncached(token).await?);
        let exp = id.token.as_ref().map_or(0, |t| t.expires_at);
        self.cache.put(digest, id.clone(), exp);
        Ok(id)
    }

    async fn verify_uncached(&self, token: &str) -> Result<KeyIdentity, TokenError> {
        let invalid = |m: String| TokenError::Invalid(m);
        let header =
            header_of(token).ok_or_else(|| invalid("the access token is malformed".into()))?;
        let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let alg = alg_name
            .parse::<Algorithm>()
            .ok()
            .filter(|a| self.algorithms.contains(a))
            .ok_or_else(|| {
                invalid(format!(
                    "the access token's algorithm `{}` is not accepted",
                    truncate(alg_name, 16)
                ))
            })?;
        if header.contains_key("crit") {
            return Err(invalid(
                "the access token has critical header parameters this server does not understand"
                    .into(),
            ));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.as_str()),
            Some(_) => return Err(invalid("the access token's `kid` is not a string".into())),
        };
        let key = self.keys.find(kid, alg).await.map_err(|e| match e {
            jwks::KeyError::Unknown(m) => TokenError::Invalid(m),
            jwks::KeyError::Unavailable(m) => TokenError::Unavailable(m),
        })?;
        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| invalid(self.describe(e.kind())))?
            .claims;
        self.identity(&claims)
    }

    /// Our words for a refusal of the JWT library.
    fn describe(&self, kind: &ErrorKind) -> String {
        match kind {
            ErrorKind::InvalidSignature => "the access token's signature does not verify".into(),
            ErrorKind::ExpiredSignature => "the access token has expired".into(),
            ErrorKind::ImmatureSignature => "the access token is not valid yet (`nbf`)".into(),
            ErrorKind::InvalidIssuer => {
                format!("the access token was not issued by `{}`", self.issuer)
            }
            ErrorKind::InvalidAudience => format!(
                "the access token is not meant for this resource: its `aud` must name `{}`",
                self.audience
            ),
            ErrorKind::MissingRequiredClaim(c) => format!("the access token has no `{c}` claim"),
            ErrorKind::InvalidClaimFormat(c) => {
                format!("the access token's `{c}` claim is malformed")
            }
            ErrorKind::InvalidAlgorithm => {
                "the access token's algorithm does not fit its key".into()
            }
            _ => "the access token is malformed".into(),
        }
    }

    fn identity(&self, claims: &Map<String, Value>) -> Result<KeyIdentity, TokenError> {
        let invalid = |m: String| TokenError::Invalid(m);
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let scopes: Vec<String> = match (claims.get("scope"), claims.get("scp")) {
            (Some(Value::String(s)), _) => s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            (None, Some(Value::Array(a))) => strings(a)
                .ok_or_else(|| invalid("the access token's `scp` claim is malformed".into()))?,
            (None, None) => Vec::new(),
            (Some(_), _) => {
                return Err(invalid(
                    "the access token's `scope` claim is malformed".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "the access token's `scp` claim is malformed".into(),
                ));
            }
        };
        let tenants = match &self.tenant_claim {
            None => None,
            Some(claim) => Some(match claims.get(claim) {
                Some(Value::String(t)) if !t.is_empty() => vec![t.clone()],
                Some(Value::Array(a)) if !a.is_empty() => strings(a).ok_or_else(|| {
                    invalid(format!("the access token's `{claim}` claim is malformed"))
                })?,
                None => return Err(invalid(format!("the access token has no `{claim}` claim"))),
                Some(_) => {
                    return Err(invalid(format!(
                        "the access token's `{claim}` claim is malformed"
                    )));
                }
            }),
        };
        let subject = text("sub");
        let client_id = text("client_id").or_else(|| text("azp"));
        let who = client_id
            .as_deref()
            .or(subject.as_deref())
            .unwrap_or("unknown");
        let mut id = KeyIdentity::api_key(format!("oauth:{}", truncate(who, 64)), tenants)
            .with_scopes(scopes);
        id.token = Some(TokenSubject {
            issuer: self.issuer.clone(),
            subject,
            client_id,
            expires_at: claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
        });
        Ok(id)
    }
}

fn strings(a: &[Value]) -> Option<Vec<String>> {
    a.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

/// Verified tokens by the SHA-256 of their text, each until its `exp`;
/// bounded (full, it drops the expired entries, then arbitrary ones).
struct TokenCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

/// A verified caller and its token's `exp`, by the token's SHA-256.
type Entries = HashMap<[u8; 32], (Arc<KeyIdentity>, u64)>;

impl TokenCache {
    fn new(capacity: usize) -> TokenCache {
        TokenCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, digest: &[u8; 32]) -> Option<Arc<KeyIdentity>> {
        let mut entries = self.lock();
        let (id, exp) = entries.get(digest)?;
        if *exp > now() {
            return Some(id.clone());
        }
        entries.remove(digest);
        None
    }

    fn put(&self, digest: [u8; 32], id: Arc<KeyIdentity>, exp: u64) {
        let now = now();
        if self.capacity == 0 || exp <= now {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, e)| *e > now);
        }
        while entries.len() >= self.capacity {
            let Some(k) = entries.keys().next().copied() else {
                break;
            };
            entries.remove(&k);
        }
        entries.insert(digest, (id, exp));
    }
}

#[cfg(test)]
mod tests;
