//! GET a small JSON document (issuer metadata, a JWKS) with hyper's client:
//! plain HTTP, and HTTPS with the `oauth-https` feature (rustls, the
//! system's roots). Any other client can be given with
//! [`OAuth::http_get`](super::OAuth::http_get).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The future of one fetch: the body of a `200` answer, or why not.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send>>;

/// Fetches a URL: the body of a `200` answer, or a message saying why not.
pub type Fetcher = Arc<dyn Fn(&str) -> FetchFuture + Send + Sync>;

/// Longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest document accepted.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The built-in fetcher: HTTP/1.1 (and HTTPS with the `oauth-https`
/// feature), no redirects, 5 s, 1 MiB at most.
pub(crate) fn built_in() -> Result<Fetcher, String> {
    #[cfg(feature = "oauth-https")]
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no root certificates for HTTPS: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    #[cfg(not(feature = "oauth-https"))]
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    Ok(Arc::new(move |url: &str| {
        let client = client.clone();
        let url = url.to_owned();
        Box::pin(async move {
            let uri: axum::http::Uri = url.parse().map_err(|e| format!("`{url}`: {e}"))?;
            let supported = if cfg!(feature = "oauth-https") {
                matches!(uri.scheme_str(), Some("http" | "https"))
            } else {
                uri.scheme_str() == Some("http")
            };
            if !supported {
                return Err(format!(
                    "`{url}`: this build fetches plain http only; build mcp-runtime with the \
                     `oauth-https` feature, or give a fetcher with `OAuth::http_get`"
                ));
            }
            let request = axum::http::Request::get(uri)
                .header(axum::http::header::ACCEPT, "application/json")
                .body(Empty::<Bytes>::new())
                .map_err(|e| format!("`{url}`: {e}"))?;
            let work = async {
                let response = client
                    .request(request)
                    .await
                    .map_err(|e| format!("`{url}`: {}", chain(&e)))?;
                if response.status() != axum::http::StatusCode::OK {
                    return Err(format!("`{url}` answered {}", response.status()));
                }
                let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                    .collect()
                    .await
                    .map_err(|e| format!("`{url}`: {e}"))?;
                Ok(body.to_bytes().to_vec())
            };
            tokio::time::timeout(FETCH_TIMEOUT, work)
                .await
                .map_err(|_| format!("`{url}` did not answer within {FETCH_TIMEOUT:?}"))?
        })
    }))
}

/// An error with its sources: the client's own says only "client error (Connect)".
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
