//! RFC 9728 protected resource metadata, and the `WWW-Authenticate`
//! challenges that point to it.
//!
//! For the resource `https://shop.example.com/mcp` the document is served at
//! `/.well-known/oauth-protected-resource/mcp` (RFC 9728 §3.1: the well-known
//! prefix inserted before the resource's path) and, for clients that look
//! only at the root, at `/.well-known/oauth-protected-resource` too.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Uri, header};
use axum::response::Response;
use serde_json::json;

use super::{OAuth, Verifier};

/// The well-known path prefix of RFC 9728.
pub(crate) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata document of this server, serialized once.
pub(crate) struct Metadata {
    /// The JSON document.
    pub(crate) document: Vec<u8>,
    /// Its URL, for `resource_metadata` in challenges.
    pub(crate) url: String,
    /// The paths it is served at.
    pub(crate) paths: Vec<String>,
    /// The path of the resource URI (`/mcp`).
    pub(crate) resource_path: String,
}

impl Metadata {
    pub(crate) fn new(oauth: &OAuth, tool_scopes: &[&str]) -> Result<Metadata, String> {
        let resource = &oauth.audience;
        let uri: Uri = resource
            .parse()
            .map_err(|_| format!("the resource URI `{resource}` is not a URI"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(format!(
                "the resource URI `{resource}` must be absolute, e.g. https://shop.example.com/mcp"
            ));
        };
        if !matches!(scheme, "http" | "https") || uri.query().is_some() || resource.contains('#') {
            return Err(format!(
                "the resource URI `{resource}` must be an http(s) URL without query or fragment (RFC 8707)"
            ));
        }
        let path = uri.path().trim_end_matches('/');
        let suffixed = format!("{WELL_KNOWN}{path}");
        let mut scopes: Vec<String> = tool_scopes
            .iter()
            .map(|s| (*s).to_owned())
            .chain(oauth.scopes_supported.iter().cloned())
            .collect();
        scopes.sort();
        scopes.dedup();
        let document = json!({
            "resource": resource,
            "authorization_servers": [oauth.issuer],
            "scopes_supported": scopes,
            "bearer_methods_supported": ["header"],
        });
        let mut paths = vec![suffixed.clone()];
        if suffixed != WELL_KNOWN {
            paths.push(WELL_KNOWN.to_owned());
        }
        Ok(Metadata {
            document: serde_json::to_vec(&document).expect("a Value serializes"),
            url: format!("{scheme}://{authority}{suffixed}"),
            paths,
            resource_path: uri.path().to_owned(),
        })
    }

    /// A `Bearer` challenge naming this document, with RFC 6750 error
    /// attributes when given.
    pub(crate) fn challenge(&self, error: Option<(&str, &str)>, scope: Option<&str>) -> String {
        let mut out = format!(r#"Bearer realm="mcp", resource_metadata="{}""#, self.url);
        if let Some((code, description)) = error {
            out.push_str(&format!(r#", error="{code}""#));
            if let Some(scope) = scope {
                out.push_str(&format!(r#", scope="{}""#, quotable(scope)));
            }
            out.push_str(&format!(
                r#", error_description="{}""#,
                quotable(description)
            ));
        }
        out
    }
}

/// The routes serving the document, unauthenticated (RFC 9728 §3: a client
/// reads it before it has a token).
pub(crate) fn routes(verifier: Arc<Verifier>) -> Router {
    let mut router = Router::new();
    for path in &verifier.metadata.paths {
        let v = verifier.clone();
        router = router.route(
            path,
            axum::routing::get(move || {
                let v = v.clone();
                async move {
                    let mut r = Response::new(Body::from(v.metadata.document.clone()));
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    r
                }
            }),
        );
    }
    router
}

/// The characters RFC 6750 §3 allows inside `error_description` and `scope`
/// (%x20-21 / %x23-5B / %x5D-7E): anything else becomes `'` or `?`.
fn quotable(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_paths_and_challenges() {
        let oauth = OAuth::new("http://127.0.0.1:9/", "http://127.0.0.1:8080/mcp")
            .scopes_supported(["extra"]);
        let m = Metadata::new(&oauth, &["orders:write", "shop:read", "orders:write"]).unwrap();
        assert_eq!(
            String::from_utf8(m.document.clone()).unwrap(),
            r#"{"authorization_servers":["http://127.0.0.1:9/"],"bearer_methods_supported":["header"],"resource":"http://127.0.0.1:8080/mcp","scopes_supported":["extra","orders:write","shop:read"]}"#
        );
        assert_eq!(
            m.url,
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            m.paths,
            [
                "/.well-known/oauth-protected-resource/mcp",
                "/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(
            m.challenge(None, None),
            r#"Bearer realm="mcp", resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp""#
        );
        assert_eq!(
            m.challenge(
                Some(("insufficient_scope", "needs \"orders:write\"\n")),
                Some("orders:write")
            ),
            r#"Bearer realm="mcp", resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", scope="orders:write", error_description="needs 'orders:write'?""#
        );
        for bad in ["/mcp", "mcp://x/y", "http://h/mcp?x=1", "http://h/mcp#f"] {
            let oauth = OAuth::new("http://127.0.0.1:9", bad);
            assert!(Metadata::new(&oauth, &[]).is_err(), "{bad}");
        }
        let root = Metadata::new(&OAuth::new("http://i", "http://h:1"), &[]).unwrap();
        assert_eq!(root.paths, ["/.well-known/oauth-protected-resource"]);
    }
}
