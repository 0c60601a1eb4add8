//! Where the database is and how the pool talks to it: `SHOP_DATABASE_URL`
//! (or `--db`/`SHOP_DB`), the pool size and the timeouts.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which database: embedded SQLite (a file) or a Postgres server.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file, created and seeded on first start.
    Sqlite(PathBuf),
    /// A `postgres://` (or `postgresql://`) URL.
    Postgres(String),
}

impl Target {
    /// Read `SHOP_DATABASE_URL`'s form: `postgres://…`/`postgresql://…`, a
    /// `sqlite:` URL (`sqlite:shop.db`, `sqlite://shop.db`, `sqlite:///abs/shop.db`),
    /// or a plain file path.
    pub fn parse(value: &str) -> Result<Target, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("is empty; give a postgres:// URL or a SQLite file path".to_owned());
        }
        let lower = value.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Target::Postgres(value.to_owned()));
        }
        if let Some(rest) = lower.strip_prefix("sqlite:") {
            let rest = &value[value.len() - rest.len()..];
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.contains('?') {
                return Err(
                    "has query parameters; the shop sets SQLite's options itself, give the file only"
                        .to_owned(),
                );
            }
            if path.is_empty() || path == ":memory:" {
                return Err("names no file; the shop keeps its data in a SQLite file".to_owned());
            }
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = value.split_once("://") {
            return Err(format!(
                "has the scheme `{scheme}`; the shop speaks postgres:// and sqlite: (or a file path)"
            ));
        }
        Ok(Target::Sqlite(PathBuf::from(value)))
    }

    /// The SQLite file, if it is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Target::Sqlite(p) => Some(p),
            Target::Postgres(_) => None,
        }
    }
}

/// The target for logs and errors: a Postgres URL with its password masked.
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(p) => write!(f, "SQLite {}", p.display()),
            Target::Postgres(url) => write!(f, "Postgres {}", redact(url)),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `url` with the password of its user info (and any `password=` query
/// parameter) replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Pool size when nothing says otherwise.
pub const DEFAULT_POOL_SIZE: NonZeroU32 = NonZeroU32::new(5).unwrap();
/// How long a call waits for a pooled connection (or for a new one to be
/// made) before it fails with `server_error`, when nothing says otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest one statement may run, when nothing says otherwise (Postgres
/// `statement_timeout`; SQLite's wait for a lock, `busy_timeout`).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// How the shop reaches its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// Which database.
    pub target: Target,
    /// Connections in the pool (at most; made on demand).
    pub pool_size: NonZeroU32,
    /// See [`DEFAULT_ACQUIRE_TIMEOUT`].
    pub acquire_timeout: Duration,
    /// See [`DEFAULT_STATEMENT_TIMEOUT`].
    pub statement_timeout: Duration,
}

impl DbConfig {
    /// `target` with the default pool size and timeouts.
    pub fn new(target: Target) -> DbConfig {
        DbConfig {
            target,
            pool_size: DEFAULT_POOL_SIZE,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
        }
    }

    /// The SQLite file `path` with the defaults.
    pub fn sqlite(path: impl Into<PathBuf>) -> DbConfig {
        DbConfig::new(Target::Sqlite(path.into()))
    }
}

/// A pool size, 1 to 256 (clap value parser of `--db-pool-size`).
pub fn parse_pool_size(n: &str) -> Result<NonZeroU32, String> {
    match n.trim().parse::<NonZeroU32>() {
        Ok(n) if n.get() <= 256 => Ok(n),
        _ => Err(format!(
            "`{n}` is not a number of connections from 1 to 256"
        )),
    }
}

/// A timeout in milliseconds, 1 to 600000 (clap value parser of the
/// `--db-*-timeout-ms` options).
pub fn parse_millis(n: &str) -> Result<Duration, String> {
    match n.trim().parse::<u64>() {
        Ok(ms @ 1..=600_000) => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "`{n}` is not a number of milliseconds from 1 to 600000"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let pg = Target::parse("postgres://shop:secret@127.0.0.1:5432/shop").unwrap();
        assert_eq!(
            pg,
            Target::Postgres("postgres://shop:secret@127.0.0.1:5432/shop".into())
        );
        assert_eq!(
            pg.to_string(),
            "Postgres postgres://shop:***@127.0.0.1:5432/shop"
        );
        assert!(matches!(
            Target::parse("postgresql://h/db"),
            Ok(Target::Postgres(_))
        ));
        for (v, path) in [
            ("shop.db", "shop.db"),
            ("sqlite:shop.db", "shop.db"),
            ("sqlite://data/shop.db", "data/shop.db"),
            ("sqlite:///var/lib/shop.db", "/var/lib/shop.db"),
            ("/tmp/a b.db", "/tmp/a b.db"),
        ] {
            assert_eq!(Target::parse(v), Ok(Target::Sqlite(path.into())), "{v}");
        }
        for (v, e) in [
            ("", "is empty"),
            ("mysql://h/db", "has the scheme `mysql`"),
            ("sqlite::memory:", "names no file"),
            ("sqlite:x.db?mode=ro", "has query parameters"),
        ] {
            let got = Target::parse(v).unwrap_err();
            assert!(got.starts_with(e), "{v}: {got}");
        }
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(redact("postgres://u:p@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://h/db?user=u&password=p&sslmode=disable"),
            "postgres://h/db?user=u&password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://u:p@w@h:1/db"), "postgres://u:***@h:1/db");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_pool_size("8").unwrap().get(), 8);
        assert!(parse_pool_size("0").is_err());
        assert!(parse_pool_size("257").is_err());
        assert_eq!(parse_millis("250").unwrap(), Duration::from_millis(250));
        for bad in ["0", "600001", "-1", "1s", ""] {
            assert_eq!(
                parse_millis(bad).unwrap_err(),
                format!("`{bad}` is not a number of milliseconds from 1 to 600000")
            );
        }
    }
}
