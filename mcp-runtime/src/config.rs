//! The `MCP_*` variables the server builder and `Server::run` read, and the
//! parsers of their values, shared with the clap options of `cli::ServeArgs`
//! (feature `clap`): one parser per kind of value, and every refusal names
//! the variable.

use std::time::Duration;

use crate::limits::Rate;

/// `MCP_ADDR`: the HTTP address `Server::run` listens on.
pub const ADDR: &str = "MCP_ADDR";
/// `MCP_TENANT`: the tenant a process acts for.
pub const TENANT: &str = "MCP_TENANT";
/// `MCP_WORKSPACE`: the workspace a process acts for.
pub const WORKSPACE: &str = "MCP_WORKSPACE";
/// `MCP_RATE_LIMIT_PER_KEY`: calls allowed per API key, e.g. `600/min`.
pub const RATE_LIMIT_PER_KEY: &str = "MCP_RATE_LIMIT_PER_KEY";
/// `MCP_RATE_LIMIT_PER_TENANT`: calls allowed per tenant, e.g. `600/min`.
pub const RATE_LIMIT_PER_TENANT: &str = "MCP_RATE_LIMIT_PER_TENANT";
/// `MCP_CALL_TIMEOUT_SECS`: longest a tool may run, in seconds.
pub const CALL_TIMEOUT_SECS: &str = "MCP_CALL_TIMEOUT_SECS";
/// `MCP_SHUTDOWN_TIMEOUT_SECS`: how long a shutdown waits for calls in flight.
pub const SHUTDOWN_TIMEOUT_SECS: &str = "MCP_SHUTDOWN_TIMEOUT_SECS";
/// `MCP_STATE_URL`: the shared state rate limits are counted in (`redis://…`).
pub const STATE_URL: &str = "MCP_STATE_URL";
/// `MCP_STATE_TIMEOUT_MS`: the bound on one round trip to the shared state.
pub const STATE_TIMEOUT_MS: &str = "MCP_STATE_TIMEOUT_MS";
/// `MCP_STATE_UNREACHABLE`: `allow` or `refuse` calls when it does not answer.
pub const STATE_UNREACHABLE: &str = "MCP_STATE_UNREACHABLE";

/// `MCP_SESSIONS`: `on` keeps handshake-era sessions (`Mcp-Session-Id`).
pub const SESSIONS: &str = "MCP_SESSIONS";
/// `MCP_SESSION_IDLE_SECS`: how long an unused session lives.
pub const SESSION_IDLE_SECS: &str = "MCP_SESSION_IDLE_SECS";
/// `MCP_REQUEST_STATE_KEY`: the key (32 bytes, base64) that seals the
/// `requestState` of input-required calls; every replica needs the same one.
pub const REQUEST_STATE_KEY: &str = "MCP_REQUEST_STATE_KEY";
/// `MCP_REQUEST_STATE_PREVIOUS_KEY`: the key before the last rotation, still
/// accepted to open states until `MCP_REQUEST_STATE_PREVIOUS_UNTIL`.
pub const REQUEST_STATE_PREVIOUS_KEY: &str = "MCP_REQUEST_STATE_PREVIOUS_KEY";
/// `MCP_REQUEST_STATE_PREVIOUS_UNTIL`: when the previous key stops being
/// accepted, in seconds since the Unix epoch (required with the previous key).
pub const REQUEST_STATE_PREVIOUS_UNTIL: &str = "MCP_REQUEST_STATE_PREVIOUS_UNTIL";
/// `MCP_INPUT_TIMEOUT_SECS`: how long a question sent to a client over a
/// call's stream (2025-11-25) waits for its answer.
pub const INPUT_TIMEOUT_SECS: &str = "MCP_INPUT_TIMEOUT_SECS";

/// A request-state key: 32 bytes in base64.
pub fn parse_state_key(s: &str) -> Result<crate::input::RequestStateKey, String> {
    crate::input::RequestStateKey::from_base64(s)
}

/// A moment as seconds since the Unix epoch.
pub fn parse_unix_time(s: &str) -> Result<std::time::SystemTime, String> {
    s.trim()
        .parse::<u64>()
        .map(|secs| std::time::UNIX_EPOCH + Duration::from_secs(secs))
        .map_err(|_| format!("`{s}` is not a number of seconds since the Unix epoch"))
}

/// The request-state keys of the `MCP_REQUEST_STATE_*` variables, if a key is set.
pub(crate) fn request_state_keys() -> Result<Option<crate::input::RequestStateKeys>, String> {
    let current = parsed(REQUEST_STATE_KEY, parse_state_key)?;
    let previous = parsed(REQUEST_STATE_PREVIOUS_KEY, parse_state_key)?;
    let until = parsed(REQUEST_STATE_PREVIOUS_UNTIL, parse_unix_time)?;
    let Some(current) = current else {
        if previous.is_some() {
            return Err(format!(
                "{REQUEST_STATE_PREVIOUS_KEY} is set without {REQUEST_STATE_KEY}"
            ));
        }
        return Ok(None);
    };
    let mut keys = crate::input::RequestStateKeys::new(current);
    match (previous, until) {
        (Some(k), Some(t)) => keys = keys.with_previous(k, t),
        (Some(_), None) => {
            return Err(format!(
                "{REQUEST_STATE_PREVIOUS_KEY} needs {REQUEST_STATE_PREVIOUS_UNTIL}: when the old key stops being accepted"
            ));
        }
        (None, Some(_)) => {
            return Err(format!(
                "{REQUEST_STATE_PREVIOUS_UNTIL} is set without {REQUEST_STATE_PREVIOUS_KEY}"
            ));
        }
        (None, None) => {}
    }
    Ok(Some(keys))
}

/// The value of `name`; an empty (or blank) value counts as unset, as a
/// blank `env` entry in a desktop agent's configuration means.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `name` parsed with `parse`; a bad value is refused as `NAME: why`.
pub(crate) fn parsed<T>(
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    var(name)
        .map(|v| parse(&v).map_err(|e| format!("{name}: {e}")))
        .transpose()
}

/// `600/min`, `10/s`, `5000/h` (also `sec`, `second`, `minute`, `hour`).
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let (n, per) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not a rate: write calls/period, e.g. `600/min`"))?;
    let calls: u32 = n
        .trim()
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| format!("`{n}` in `{s}` is not a positive number of calls"))?;
    let per = match per.trim() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        other => {
            return Err(format!(
                "`{other}` in `{s}` is not a period: use s, min or h"
            ));
        }
    };
    Ok(Rate { calls, per })
}

/// `on` or `off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
pub fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(format!("`{s}` is neither `on` nor `off`")),
    }
}

/// A positive number of seconds (fractions allowed), below 10⁹.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}` is not a positive number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_bad_ones_say_why() {
        assert_eq!(parse_rate("600/min"), Ok(Rate::per_minute(600)));
        assert_eq!(parse_rate("10/s"), Ok(Rate::per_second(10)));
        assert_eq!(
            parse_rate("5/h"),
            Ok(Rate {
                calls: 5,
                per: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            parse_rate("600"),
            Err("`600` is not a rate: write calls/period, e.g. `600/min`".into())
        );
        assert_eq!(
            parse_rate("0/min"),
            Err("`0` in `0/min` is not a positive number of calls".into())
        );
        assert_eq!(
            parse_rate("6/week"),
            Err("`week` in `6/week` is not a period: use s, min or h".into())
        );
    }

    #[test]
    fn switches_are_on_or_off() {
        assert_eq!(parse_switch(" ON "), Ok(true));
        assert_eq!(parse_switch("0"), Ok(false));
        assert_eq!(
            parse_switch("maybe"),
            Err("`maybe` is neither `on` nor `off`".into())
        );
    }

    #[test]
    fn seconds_are_positive_and_finite() {
        assert_eq!(parse_secs("2.5"), Ok(Duration::from_millis(2500)));
        for bad in ["0", "-1", "soon", "inf", "NaN", "1e10"] {
            assert_eq!(
                parse_secs(bad),
                Err(format!("`{bad}` is not a positive number of seconds")),
                "{bad}"
            );
        }
    }
}
