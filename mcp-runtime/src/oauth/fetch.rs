//! GET a small JSON document (issuer metadata, a JWKS): the built-in client
//! speaks plain HTTP (hyper's client, already a dependency); a server whose
//! issuer is reached over HTTPS gives its own fetcher with
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

/// The built-in fetcher: plain HTTP/1.1, no redirects, 5 s, 1 MiB at most.
pub(crate) fn plain_http() -> Fetcher {
    let client: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    Arc::new(move |url: &str| {
        let client = client.clone();
        let url = url.to_owned();
        Box::pin(async move {
            let uri: axum::http::Uri = url.parse().map_err(|e| format!("`{url}`: {e}"))?;
            if uri.scheme_str() != Some("http") {
                return Err(format!(
                    "`{url}`: the built-in fetcher speaks plain http only; \
                     give an HTTPS-capable one with `OAuth::http_get`"
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
                    .map_err(|e| format!("`{url}`: {e}"))?;
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
    })
}
