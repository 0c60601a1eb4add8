//! DNS-rebinding protection: the request's Host (or absolute-form target)
//! and Origin, parsed strictly and checked against the allowed names.

use axum::http::{HeaderMap, HeaderName, Uri, header};
use axum::response::Response;

use super::{HttpConfig, bad_request, forbidden};

/// The host name of an authority (`host[:port]`, no user info);
/// `[::1]:8080` → `[::1]`. `None` for anything else (`[::1].evil`,
/// `[::1]@evil.com`, a bad port): the host is held to RFC 3986's forms, an
/// IPv6 literal in brackets, or a name or IPv4 address of letters, digits,
/// `-` and `.`. One pass over the bytes, no allocation; compare the result
/// case-insensitively.
fn authority_host(authority: &str) -> Option<&str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (inner, after) = rest.split_once(']')?;
            inner.parse::<std::net::Ipv6Addr>().ok()?;
            (&authority[..inner.len() + 2], after)
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, &authority[h.len()..][..p.len() + 1]),
            None => (authority, ""),
        },
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        });
    let name_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    (port_ok && name_ok).then_some(host)
}

/// The host name of an `Origin` (`scheme://host[:port]`, http or https).
fn origin_host(origin: &str) -> Option<&str> {
    let (scheme, authority) = origin.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    authority_host(authority)
}

/// The one value of a header that may appear once: `Ok(None)` when absent,
/// `Err` when repeated or not text.
#[allow(clippy::result_large_err)]
fn single<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h str>, Response> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(bad_request(&format!(
            "invalid request: more than one {name} header"
        )));
    }
    first
        .map(|v| {
            v.to_str().map_err(|_| {
                bad_request(&format!("invalid request: the {name} header is not text"))
            })
        })
        .transpose()
}

// The refusal paths return the finished `Response` as their error: it is
// built once, on a path that ends the request, so its size costs nothing.
/// DNS-rebinding protection: the request's host (its `Host` header, or the
/// authority of an absolute-form target, which must then agree) and its
/// `Origin`, if any, must be allowed. Hosts compare case-insensitively.
#[allow(clippy::result_large_err)]
pub(super) fn check_rebinding(
    config: &HttpConfig,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(), Response> {
    let host = single(headers, &header::HOST)?;
    let origin = single(headers, &header::ORIGIN)?;
    let target = uri.authority().map(|a| a.as_str());
    let host = match (host, target) {
        (Some(h), Some(t)) if !h.eq_ignore_ascii_case(t) => {
            return Err(bad_request(
                "invalid request: the Host header and the request target name different hosts",
            ));
        }
        (h, t) => h.or(t),
    };
    let allowed_host = |h: &str| {
        config
            .allowed_hosts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(h))
    };
    if !config.allowed_hosts.is_empty() && !host.and_then(authority_host).is_some_and(allowed_host)
    {
        return Err(forbidden("forbidden: Host header not allowed"));
    }
    if let Some(o) = origin {
        let allowed = config
            .allowed_origins
            .iter()
            .any(|a| a.eq_ignore_ascii_case(o))
            || origin_host(o).is_some_and(allowed_host);
        if !allowed {
            return Err(forbidden("forbidden: Origin not allowed"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_origin_parsing() {
        assert_eq!(authority_host("localhost:8080"), Some("localhost"));
        assert_eq!(
            authority_host("LocalHost"),
            Some("LocalHost"),
            "compared case-insensitively by the caller"
        );
        assert_eq!(authority_host("[::1]:8080"), Some("[::1]"));
        assert_eq!(authority_host("example.com"), Some("example.com"));
        for bad in [
            "[::1].evil",
            "[::1]@evil.com",
            "user@localhost",
            "localhost:80x",
            "localhost:8080/x",
            "local host",
            "localhost:99999",
            "[::1]:",
            "[zz::1]",
            "evil.com:80:80",
            // RFC 3986: a port is digits only (`u16::from_str` takes a `+`).
            "localhost:+80",
            "[::1]:+80",
            "localhost:+",
            "",
        ] {
            assert_eq!(authority_host(bad), None, "{bad}");
        }
        assert_eq!(origin_host("http://127.0.0.1:5173"), Some("127.0.0.1"));
        assert_eq!(
            origin_host("HTTPS://Evil.Example"),
            Some("Evil.Example"),
            "compared case-insensitively by the caller"
        );
        assert_eq!(
            origin_host("https://evil.example/x"),
            None,
            "an Origin has no path"
        );
        assert_eq!(origin_host("http://[::1]@evil.com"), None);
        assert_eq!(origin_host("http://localhost:+80"), None);
        assert_eq!(origin_host("ftp://localhost"), None);
        assert_eq!(origin_host("null"), None);
    }
}
