//! The issuer's signing keys: found from its metadata (or configured),
//! fetched, cached, and fetched again when a token names a key the cache
//! does not hold (at most once per refresh interval, so unknown `kid`s
//! cannot make the server hammer the issuer) or when the cache is older
//! than its maximum age (so a key the issuer withdrew stops being trusted).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::fetch::Fetcher;

/// Why no key could be had for a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum KeyError {
    /// The token's fault: it names a key the issuer does not publish.
    Unknown(String),
    /// The issuer's keys could not be fetched at all.
    Unavailable(String),
}

/// One usable key of the set.
struct Key {
    kid: Option<String>,
    alg: Option<Algorithm>,
    decoding: Arc<DecodingKey>,
}

struct Loaded {
    keys: Vec<Key>,
    at: Instant,
}

/// Where the keys come from.
pub(crate) enum Source {
    /// A fixed set, given in the configuration.
    Fixed,
    /// Fetched from this URL.
    Url(String),
    /// The `jwks_uri` of the issuer's metadata.
    Discover,
}

pub(crate) struct KeySet {
    issuer: String,
    source: Source,
    fetcher: Fetcher,
    min_refresh: Duration,
    max_age: Duration,
    loaded: RwLock<Option<Arc<Loaded>>>,
    /// Held while fetching: one fetch at a time. Holds when the last fetch
    /// was tried, and the JWKS URL once discovered.
    fetching: tokio::sync::Mutex<(Option<Instant>, Option<String>)>,
}

impl KeySet {
    pub(crate) fn new(
        issuer: String,
        source: Source,
        fixed: Option<JwkSet>,
        fetcher: Fetcher,
        min_refresh: Duration,
        max_age: Duration,
    ) -> KeySet {
        let loaded = fixed.map(|set| {
            Arc::new(Loaded {
                keys: usable(&set),
                at: Instant::now(),
            })
        });
        KeySet {
            issuer,
            source,
            fetcher,
            min_refresh,
            max_age,
            loaded: RwLock::new(loaded),
            fetching: tokio::sync::Mutex::new((None, None)),
        }
    }

    fn current(&self) -> Option<Arc<Loaded>> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The key for a token's `kid` and `alg`.
    pub(crate) async fn find(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<DecodingKey>, KeyError> {
        let fixed = matches!(self.source, Source::Fixed);
        if let Some(l) = self.current()
            && (fixed || l.at.elapsed() < self.max_age)
            && let Some(k) = pick(&l.keys, kid, alg)
        {
            return Ok(k);
        }
        if !fixed {
            self.refresh().await;
        }
        let Some(l) = self.current() else {
            return Err(KeyError::Unavailable(
                "the authorization server's signing keys could not be fetched".into(),
            ));
        };
        pick(&l.keys, kid, alg).ok_or_else(|| {
            KeyError::Unknown(match kid {
                Some(kid) => format!(
                    "the access token's key `{}` is not among the issuer's keys",
                    crate::jsonrpc::truncate(kid, 64)
                ),
                None => "the access token names no key (`kid`) and the issuer has several".into(),
            })
        })
    }

    /// Fetch the keys again, unless another task just did or the last try
    /// was less than the refresh interval ago. On failure the keys held
    /// stay in use.
    async fn refresh(&self) {
        let before = self.current().map(|l| l.at);
        let mut guard = self.fetching.lock().await;
        // Another task fetched while this one waited.
        if self.current().map(|l| l.at) != before {
            return;
        }
        if guard.0.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        guard.0 = Some(Instant::now());
        match self.fetch(&mut guard.1).await {
            Ok(set) => {
                let keys = usable(&set);
                tracing::info!(
                    issuer = %self.issuer,
                    keys = keys.len(),
                    "fetched the issuer's signing keys"
                );
                *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Loaded {
                    keys,
                    at: Instant::now(),
                }));
            }
            Err(e) => tracing::warn!(
                issuer = %self.issuer,
                error = %e,
                "could not fetch the issuer's signing keys; keeping those held"
            ),
        }
    }

    async fn fetch(&self, url: &mut Option<String>) -> Result<JwkSet, String> {
        let jwks_url = match (&self.source, url.as_ref()) {
            (Source::Url(u), _) => u.clone(),
            (_, Some(u)) => u.clone(),
            _ => {
                let found = self.discover().await?;
                *url = Some(found.clone());
                found
            }
        };
        let body = (self.fetcher)(&jwks_url).await?;
        serde_json::from_slice::<JwkSet>(&body)
            .map_err(|e| format!("`{jwks_url}` is not a JWK set: {e}"))
    }

    /// The `jwks_uri` of the issuer's metadata: OpenID Connect discovery,
    /// else RFC 8414. The metadata's `issuer` must be ours, exactly.
    async fn discover(&self) -> Result<String, String> {
        let mut tried = Vec::new();
        for url in metadata_urls(&self.issuer) {
            let doc = match (self.fetcher)(&url).await {
                Ok(body) => body,
                Err(e) => {
                    tried.push(e);
                    continue;
                }
            };
            let doc: Value =
                serde_json::from_slice(&doc).map_err(|e| format!("`{url}` is not JSON: {e}"))?;
            if doc.get("issuer").and_then(Value::as_str) != Some(self.issuer.as_str()) {
                return Err(format!(
                    "`{url}` names another issuer than `{}`",
                    self.issuer
                ));
            }
            return doc
                .get("jwks_uri")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("`{url}` has no `jwks_uri`"));
        }
        Err(format!("no issuer metadata: {}", tried.join("; ")))
    }
}

/// Where an issuer's metadata may be: `{issuer}/.well-known/openid-configuration`
/// (OpenID Connect Discovery), then `{origin}/.well-known/oauth-authorization-server{path}`
/// (RFC 8414 §3.1).
pub(crate) fn metadata_urls(issuer: &str) -> Vec<String> {
    let trimmed = issuer.trim_end_matches('/');
    let mut urls = vec![format!("{trimmed}/.well-known/openid-configuration")];
    if let Some((scheme, rest)) = trimmed.split_once("://") {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        urls.push(format!(
            "{scheme}://{host}/.well-known/oauth-authorization-server{path}"
        ));
    }
    urls
}

/// The keys of a set that can verify signatures: public keys (never `oct`
/// secrets) not marked for encryption.
fn usable(set: &JwkSet) -> Vec<Key> {
    set.keys
        .iter()
        .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter(|k| {
            !matches!(
                k.algorithm,
                jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
            )
        })
        .filter_map(|k: &Jwk| {
            let decoding = DecodingKey::from_jwk(k).ok()?;
            let alg = match k.common.key_algorithm {
                None => None,
                Some(a) => Some(signing_algorithm(a)?),
            };
            Some(Key {
                kid: k.common.key_id.clone(),
                alg,
                decoding: Arc::new(decoding),
            })
        })
        .collect()
}

fn signing_algorithm(a: KeyAlgorithm) -> Option<Algorithm> {
    Some(match a {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// The key a token names: by `kid`; without one, the only key of the
/// token's algorithm family. A key whose `alg` is another than the token's
/// is not a match.
fn pick(keys: &[Key], kid: Option<&str>, alg: Algorithm) -> Option<Arc<DecodingKey>> {
    let fits = |k: &&Key| k.alg.is_none_or(|a| a == alg) && k.decoding.family() == alg.family();
    match kid {
        Some(kid) => keys
            .iter()
            .filter(fits)
            .find(|k| k.kid.as_deref() == Some(kid))
            .map(|k| k.decoding.clone()),
        None => {
            let mut candidates = keys.iter().filter(fits);
            let only = candidates.next()?;
            candidates.next().is_none().then(|| only.decoding.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_for_issuers_with_and_without_paths() {
        assert_eq!(
            metadata_urls("http://127.0.0.1:9000"),
            [
                "http://127.0.0.1:9000/.well-known/openid-configuration",
                "http://127.0.0.1:9000/.well-known/oauth-authorization-server"
            ]
        );
        assert_eq!(
            metadata_urls("https://id.example.com/tenant1/"),
            [
                "https://id.example.com/tenant1/.well-known/openid-configuration",
                "https://id.example.com/.well-known/oauth-authorization-server/tenant1"
            ]
        );
    }
}
