//! Who is calling: bearer API keys (parsing, constant-time checking,
//! rotation and reload), the identity of a caller, and the checks made of
//! it on every call (tenants, scopes). OAuth access tokens are verified in
//! `oauth` and give the same identity.
//!
//! A key has a name (safe to log), a secret (never logged, never kept: only
//! its SHA-256 digest is held), optionally the tenants it may act for, and
//! optionally the scopes it holds (without `scopes=` a key holds every scope,
//! as keys did before tools had scopes).
//!
//! Sources:
//! - `MCP_API_KEYS`: comma-separated entries `name:secret`,
//!   `name:secret:tenantA|tenantB`, `name:secret:scopes=shop:read|orders:write`
//!   or `name:secret:tenantA|tenantB:scopes=shop:read` (or a bare `secret`,
//!   named `key-1`, `key-2`, …).
//! - a key file, one key per line: `name secret [tenantA,tenantB] [scopes=a,b]`,
//!   where the secret may be given as `sha256:<64 hex>` so the file never
//!   holds it in clear. Blank lines and `#` comments are ignored. The file is
//!   re-read on SIGHUP and when its modification time changes.
//!
//! `scopes=` with nothing after it is a key that holds no scope: it may call
//! only the tools that require none.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::McpError;
use crate::jsonrpc::truncate;

/// Who made a call: the API key that authenticated it, or the subject of
/// the OAuth access token it carried. Never the secret or the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyIdentity {
    /// The key's name, as configured (safe to log). For an access token,
    /// `oauth:` and the token's client id (else its subject): names of keys
    /// cannot hold a `:`, so a token never shares a key's rate limits.
    pub name: String,
    /// The tenants this caller may act for; `None` means any tenant.
    pub tenants: Option<Vec<String>>,
    /// The scopes this caller holds; `None` means every scope (an API key
    /// configured without `scopes=`).
    pub scopes: Option<Vec<String>>,
    /// For a caller with an OAuth access token: who the token names.
    pub token: Option<TokenSubject>,
}

/// What a verified OAuth access token says of its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSubject {
    /// `iss`: the authorization server that issued the token.
    pub issuer: String,
    /// `sub`, if the token has one.
    pub subject: Option<String>,
    /// `client_id` (RFC 9068), else `azp`, if the token has one.
    pub client_id: Option<String>,
    /// `exp`, in seconds since the Unix epoch.
    pub expires_at: u64,
}

impl TokenSubject {
    /// What a token says of its holder (for tests that call as a token's
    /// holder in process: [`KeyIdentity::with_token`]).
    pub fn new(
        issuer: impl Into<String>,
        subject: Option<String>,
        client_id: Option<String>,
        expires_at: u64,
    ) -> TokenSubject {
        TokenSubject {
            issuer: issuer.into(),
            subject,
            client_id,
            expires_at,
        }
    }
}

impl KeyIdentity {
    /// This identity, as the holder of an access token that says `token`.
    pub fn with_token(mut self, token: TokenSubject) -> KeyIdentity {
        self.token = Some(token);
        self
    }

    /// The identity of an API key: its name, and the tenants it is bound to
    /// (`None`: any tenant); it holds every scope.
    pub fn api_key(name: impl Into<String>, tenants: Option<Vec<String>>) -> KeyIdentity {
        KeyIdentity {
            name: name.into(),
            tenants,
            scopes: None,
            token: None,
        }
    }

    /// This identity, holding only `scopes`.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> KeyIdentity
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the caller holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|held| held.iter().any(|s| s == scope))
    }

    /// Whether the caller presented an OAuth access token (not an API key).
    pub fn is_token(&self) -> bool {
        self.token.is_some()
    }

    fn credential(&self) -> &'static str {
        if self.is_token() {
            "access token"
        } else {
            "API key"
        }
    }
}

/// A tenant-bound caller may act only for its tenants, and only with a tenant named.
pub(crate) fn check_tenant(key: &KeyIdentity, tenant: Option<&str>) -> Result<(), McpError> {
    let Some(allowed) = &key.tenants else {
        return Ok(());
    };
    match tenant {
        Some(t) if allowed.iter().any(|a| a == t) => Ok(()),
        Some(t) => Err(McpError::permission_denied(format!(
            "this {} may not act for tenant `{}`",
            key.credential(),
            truncate(t, 64)
        ))),
        None => Err(McpError::permission_denied(format!(
            "this {} is bound to tenants, so the call must carry a `tenantId`",
            key.credential()
        ))),
    }
}

/// The tenant and workspace a whole process acts for, set by whoever started
/// it (`--tenant`, `MCP_TENANT`, `ServerBuilder::tenant`): for stdio, where
/// no hub injects `tenantId`, and loopback development servers.
///
/// A call that carries no `tenantId` (`workspaceId`) acts for the process's
/// one. A call that names another is refused, never obeyed: the arguments
/// come from the model, and text the model reads (a web page, an email, a
/// record of another tenant) must not be able to switch the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProcessScope {
    pub(crate) tenant: Option<String>,
    pub(crate) workspace: Option<String>,
}

impl ProcessScope {
    /// Check both values as a call's `tenantId` is checked.
    pub(crate) fn new(tenant: Option<String>, workspace: Option<String>) -> Result<Self, String> {
        for (what, v) in [("tenant", &tenant), ("workspace", &workspace)] {
            if let Some(v) = v
                && !is_valid_scope_id(v)
            {
                return Err(format!(
                    "the {what} to act for must be a non-empty string of at most \
                     {MAX_SCOPE_ID_BYTES} bytes, not `{}`",
                    truncate(v, 64)
                ));
            }
        }
        Ok(ProcessScope { tenant, workspace })
    }

    /// Whether a tenant or a workspace is set.
    pub(crate) fn is_set(&self) -> bool {
        self.tenant.is_some() || self.workspace.is_some()
    }

    /// The tenant and workspace a call acts for, from what it carries.
    pub(crate) fn apply(
        &self,
        tenant: Option<String>,
        workspace: Option<String>,
    ) -> Result<(Option<String>, Option<String>), McpError> {
        Ok((
            scoped("tenantId", "tenant", self.tenant.as_deref(), tenant)?,
            scoped(
                "workspaceId",
                "workspace",
                self.workspace.as_deref(),
                workspace,
            )?,
        ))
    }
}

fn scoped(
    arg: &str,
    what: &str,
    process: Option<&str>,
    call: Option<String>,
) -> Result<Option<String>, McpError> {
    match (process, call) {
        (None, call) => Ok(call),
        (Some(p), None) => Ok(Some(p.to_owned())),
        (Some(p), Some(c)) if c == p => Ok(Some(c)),
        // The process's value is not echoed: the caller learns only that its own is refused.
        (Some(_), Some(c)) => Err(McpError::permission_denied(format!(
            "this server acts for one {what} only, set when it was started; \
             the call's `{arg}` `{}` is not it",
            truncate(&c, 64)
        ))),
    }
}

/// Arguments the platform's hub injects into every call; tools must not
/// declare them, and no resource template may have them as variables.
pub(crate) const INJECTED: [&str; 2] = ["tenantId", "workspaceId"];

/// Longest `tenantId` or `workspaceId`, in bytes.
pub(crate) const MAX_SCOPE_ID_BYTES: usize = 256;

/// Whether `id` may be a `tenantId` or `workspaceId`: 1 to 256 bytes.
pub(crate) fn is_valid_scope_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_SCOPE_ID_BYTES
}

/// The scopes of `required` that the caller does not hold, in their order.
pub(crate) fn missing_scopes<'r>(key: &KeyIdentity, required: &'r [&'r str]) -> Vec<&'r str> {
    required
        .iter()
        .copied()
        .filter(|s| !key.has_scope(s))
        .collect()
}

/// Whether `s` is a scope token of RFC 6749 §3.3: printable ASCII without
/// space, `"` or `\`.
pub fn is_valid_scope(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// One configured API key.
#[derive(Clone)]
pub struct ApiKey {
    identity: Arc<KeyIdentity>,
    digest: [u8; 32],
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("name", &self.identity.name)
            .field("tenants", &self.identity.tenants)
            .field("scopes", &self.identity.scopes)
            .finish_non_exhaustive()
    }
}

/// Shortest secret accepted: 16 bytes makes guessing hopeless at any request rate.
pub const MIN_SECRET_LEN: usize = 16;

impl ApiKey {
    /// A key from its secret. Fails when the secret is shorter than
    /// [`MIN_SECRET_LEN`] or the name is not a simple identifier.
    pub fn new(name: impl Into<String>, secret: &str) -> Result<ApiKey, KeyError> {
        let name = name.into();
        check_name(&name)?;
        if secret.len() < MIN_SECRET_LEN {
            // Neither the secret nor the name is echoed (see `check_name`).
            return Err(KeyError(format!(
                "a secret is shorter than {MIN_SECRET_LEN} characters"
            )));
        }
        Self::from_digest(name, Sha256::digest(secret.as_bytes()).into())
    }

    /// A key from the SHA-256 digest of its secret.
    pub fn from_digest(name: impl Into<String>, digest: [u8; 32]) -> Result<ApiKey, KeyError> {
        let name = name.into();
        check_name(&name)?;
        Ok(ApiKey {
            identity: Arc::new(KeyIdentity::api_key(name, None)),
            digest,
        })
    }

    /// Bind the key to these tenants: calls for any other tenant are refused.
    pub fn with_tenants<I, S>(mut self, tenants: I) -> ApiKey
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tenants: Vec<String> = tenants.into_iter().map(Into::into).collect();
        let id = Arc::make_mut(&mut self.identity);
        id.tenants = Some(tenants);
        self
    }

    /// Let the key hold only these scopes (without this it holds every
    /// scope). Fails on a scope that is not an RFC 6749 scope token.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Result<ApiKey, KeyError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if let Some(bad) = scopes.iter().find(|s| !is_valid_scope(s)) {
            return Err(KeyError(format!(
                "`{}` is not a scope (printable ASCII without space, `\"` or `\\`)",
                truncate(bad, 64)
            )));
        }
        Arc::make_mut(&mut self.identity).scopes = Some(scopes);
        Ok(self)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.identity.name
    }
}

/// Names are echoed in no error: a mis-ordered entry may have put the secret
/// where the name belongs.
fn check_name(name: &str) -> Result<(), KeyError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(KeyError(
            "a key name must be 1 to 64 characters of A-Z a-z 0-9 _ - . \
             (entries are `name:secret` in MCP_API_KEYS, `name secret` in a key file)"
                .into(),
        ));
    }
    Ok(())
}

/// A problem with key configuration. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(pub String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

/// Parse `MCP_API_KEYS`.
pub fn parse_env_keys(value: &str) -> Result<Vec<ApiKey>, KeyError> {
    let mut keys = Vec::new();
    for (i, entry) in value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        let parts: Vec<&str> = entry.splitn(3, ':').collect();
        let key = match parts.as_slice() {
            [secret] => ApiKey::new(format!("key-{}", i + 1), secret),
            [name, secret] => ApiKey::new(*name, secret),
            [name, secret, rest] => ApiKey::new(*name, secret).and_then(|k| {
                // Scopes hold colons (`orders:write`), so they are marked.
                let (tenants, scopes) = match rest.strip_prefix("scopes=") {
                    Some(scopes) => (None, Some(scopes)),
                    None => match rest.split_once(":scopes=") {
                        Some((t, s)) => (Some(t), Some(s)),
                        None => (Some(*rest), None),
                    },
                };
                restrict(k, tenants, scopes, '|')
            }),
            _ => unreachable!("splitn(3) yields 1 to 3 parts"),
        }
        .map_err(|e| KeyError(format!("MCP_API_KEYS entry {}: {}", i + 1, e.0)))?;
        keys.push(key);
    }
    check_unique(&keys)?;
    Ok(keys)
}

/// Bind `key` to the tenants and scopes of a configuration entry, each a
/// list separated by `sep`.
fn restrict(
    key: ApiKey,
    tenants: Option<&str>,
    scopes: Option<&str>,
    sep: char,
) -> Result<ApiKey, KeyError> {
    let key = match tenants {
        Some(t) => key.with_tenants(split_tenants(t, sep)?),
        None => key,
    };
    match scopes {
        Some(s) => key.with_scopes(s.split(sep).map(str::trim).filter(|s| !s.is_empty())),
        None => Ok(key),
    }
}

fn split_tenants(s: &str, sep: char) -> Result<Vec<String>, KeyError> {
    let tenants: Vec<String> = s
        .split(sep)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if tenants.is_empty() {
        return Err(KeyError(
            "a tenant list is empty; leave it out to allow every tenant".into(),
        ));
    }
    Ok(tenants)
}

fn check_unique(keys: &[ApiKey]) -> Result<(), KeyError> {
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].iter().any(|o| o.name() == k.name()) {
            return Err(KeyError(format!("key name `{}` is used twice", k.name())));
        }
    }
    Ok(())
}

/// Parse the text of a key file.
pub fn parse_key_file(text: &str) -> Result<Vec<ApiKey>, KeyError> {
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let at = |msg: &str| KeyError(format!("key file line {}: {msg}", n + 1));
        let (name, secret, rest) = match fields.as_slice() {
            [name, secret, rest @ ..] if rest.len() <= 2 => (*name, *secret, rest),
            _ => return Err(at("expected `name secret [tenant,tenant] [scopes=a,b]`")),
        };
        let (tenants, scopes) = match rest {
            [] => (None, None),
            [one] => match one.strip_prefix("scopes=") {
                Some(s) => (None, Some(s)),
                None => (Some(*one), None),
            },
            [t, s] => match s.strip_prefix("scopes=") {
                Some(s) if !t.starts_with("scopes=") => (Some(*t), Some(s)),
                _ => return Err(at("expected `name secret [tenant,tenant] [scopes=a,b]`")),
            },
            _ => unreachable!("at most two fields after the secret"),
        };
        let key = match secret.strip_prefix("sha256:") {
            Some(hex) => ApiKey::from_digest(
                name,
                parse_hex32(hex).ok_or_else(|| at("sha256: needs 64 hex digits"))?,
            ),
            None => ApiKey::new(name, secret),
        }
        .map_err(|e| at(&e.0))?;
        keys.push(restrict(key, tenants, scopes, ',').map_err(|e| at(&e.0))?);
    }
    check_unique(&keys)?;
    Ok(keys)
}

fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// The SHA-256 of a secret as 64 hex digits, for writing `sha256:` key-file entries.
pub fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The active keys: fixed ones from the builder and the environment, plus
/// those of the key file, which can be reloaded while the server runs.
pub(crate) struct KeyStore {
    fixed: Vec<ApiKey>,
    file: Option<PathBuf>,
    current: RwLock<Arc<Vec<ApiKey>>>,
    /// Modification time and length of the key file when it was last loaded.
    file_mtime: RwLock<Option<(SystemTime, u64)>>,
}

impl KeyStore {
    pub(crate) fn new(fixed: Vec<ApiKey>, file: Option<PathBuf>) -> Result<KeyStore, KeyError> {
        let store = KeyStore {
            current: RwLock::new(Arc::new(fixed.clone())),
            fixed,
            file,
            file_mtime: RwLock::new(None),
        };
        store.reload()?;
        Ok(store)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    pub(crate) fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Re-read the key file. On error the previous keys stay active.
    pub(crate) fn reload(&self) -> Result<usize, KeyError> {
        let mut keys = self.fixed.clone();
        if let Some(path) = &self.file {
            // Stamp first: a write racing with the read changes the stamp
            // again, so the next poll reloads the complete file.
            let stamp = file_stamp(path);
            let text = std::fs::read_to_string(path)
                .map_err(|e| KeyError(format!("cannot read key file {}: {e}", path.display())))?;
            keys.extend(parse_key_file(&text)?);
            check_unique(&keys)?;
            *self.file_mtime.write().unwrap_or_else(|e| e.into_inner()) = stamp;
        }
        let n = keys.len();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        Ok(n)
    }

    /// Reload when the key file's modification time changed.
    pub(crate) fn reload_if_changed(&self) {
        let Some(path) = &self.file else { return };
        if file_stamp(path) != *self.file_mtime.read().unwrap_or_else(|e| e.into_inner()) {
            match self.reload() {
                Ok(n) => tracing::info!(keys = n, "API keys reloaded (key file changed)"),
                Err(e) => {
                    tracing::error!(error = %e, "key file changed but could not be loaded; keeping the previous keys")
                }
            }
        }
    }

    /// The identity of the key whose secret is `presented`, compared in
    /// constant time against every active key (digests, not strings).
    pub(crate) fn verify(&self, presented: &str) -> Option<Arc<KeyIdentity>> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let find = |keys: &[ApiKey]| {
            let mut found = None;
            for k in keys {
                if bool::from(digest_eq(&k.digest, &digest)) && found.is_none() {
                    found = Some(k.identity.clone());
                }
            }
            found
        };
        // Without a key file the active keys are the fixed ones, for good:
        // no lock (whose counter every request would write, from every
        // worker thread) and no clone of the list.
        if self.file.is_none() {
            return find(&self.fixed);
        }
        let keys = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        find(&keys)
    }
}

/// Constant-time equality of two digests, compared as four 64-bit words
/// (each with `subtle`'s constant-time comparison, the results combined
/// without branching): the same answer and timing behaviour as comparing the
/// 32 bytes one by one, with an eighth of the optimisation barriers.
fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> subtle::Choice {
    let word = |d: &[u8; 32], i: usize| {
        u64::from_le_bytes(d[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
    };
    (0..4).fold(subtle::Choice::from(1), |acc, i| {
        acc & word(a, i).ct_eq(&word(b, i))
    })
}

/// Modification time and length of a file, to notice that it changed.
fn file_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// A fresh random secret for the loopback quick start: 32 bytes from the OS, hex.
pub(crate) fn generate_secret() -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(format!(
        "mcp_{}",
        buf.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys_with_names_and_tenants() {
        let keys =
            parse_env_keys("hub:0123456789abcdef0123:acme|globex, 0123456789abcdefXYZW").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name(), "hub");
        assert_eq!(
            keys[0].identity.tenants,
            Some(vec!["acme".to_owned(), "globex".to_owned()])
        );
        assert_eq!(keys[1].name(), "key-2");
        assert_eq!(keys[1].identity.tenants, None);
    }

    #[test]
    fn short_secrets_and_duplicates_are_refused_without_echoing_the_secret() {
        let e = parse_env_keys("a:short").unwrap_err();
        assert!(!e.0.contains("short\""), "{e}");
        assert!(e.0.contains("shorter than"));
        let e = parse_env_keys("a:0123456789abcdef0123,a:0123456789abcdef9999").unwrap_err();
        assert_eq!(e.0, "key name `a` is used twice");
    }

    #[test]
    fn a_secret_where_the_name_belongs_is_not_echoed() {
        let secret = "sk+live/0123456789abcdef==";
        let e = parse_env_keys(&format!("ok:0123456789abcdef0123,{secret}:x")).unwrap_err();
        assert!(!e.0.contains("sk+live"), "{e}");
        assert!(
            e.0.starts_with("MCP_API_KEYS entry 2: a key name must be"),
            "{e}"
        );
        let hex = "0123456789abcdef0123456789abcdef";
        let e = parse_key_file(&format!("# keys\n{hex} hub\n")).unwrap_err();
        assert_eq!(
            e.0,
            "key file line 2: a secret is shorter than 16 characters"
        );
        let e = parse_key_file(&format!("{secret} 0123456789abcdef0123")).unwrap_err();
        assert!(!e.0.contains("sk+live"), "{e}");
    }

    #[test]
    fn key_file_accepts_digests_and_tenants() {
        let secret = "s3cr3t-s3cr3t-s3cr3t";
        let text = format!(
            "# comment\n\nhub sha256:{} acme,globex\nci {secret}\n",
            sha256_hex(secret)
        );
        let keys = parse_key_file(&text).unwrap();
        let store = KeyStore::new(keys, None).unwrap();
        let id = store.verify(secret).unwrap();
        assert_eq!(id.name, "hub", "first matching key wins");
        assert_eq!(
            id.tenants.as_deref(),
            Some(&["acme".to_owned(), "globex".to_owned()][..])
        );
        assert!(store.verify("wrong-wrong-wrong-wrong").is_none());
        let e = parse_key_file("hub sha256:abc").unwrap_err();
        assert_eq!(e.0, "key file line 1: sha256: needs 64 hex digits");
    }

    #[test]
    fn keys_may_carry_scopes_beside_tenants() {
        let keys = parse_env_keys(
            "r:0123456789abcdef0123:scopes=shop:read, \
             w:0123456789abcdef0124:acme|globex:scopes=shop:read|orders:write, \
             n:0123456789abcdef0125:scopes=, \
             t:0123456789abcdef0126:acme",
        )
        .unwrap();
        let ids: Vec<&KeyIdentity> = keys.iter().map(|k| &*k.identity).collect();
        assert_eq!(ids[0].scopes, Some(vec!["shop:read".to_owned()]));
        assert_eq!(ids[0].tenants, None);
        assert_eq!(
            ids[1].scopes,
            Some(vec!["shop:read".to_owned(), "orders:write".to_owned()])
        );
        assert_eq!(
            ids[1].tenants,
            Some(vec!["acme".to_owned(), "globex".to_owned()])
        );
        assert_eq!(ids[2].scopes, Some(vec![]), "`scopes=` holds no scope");
        assert_eq!(ids[3].scopes, None, "without `scopes=`, every scope");
        assert!(ids[3].has_scope("orders:write"));
        assert!(!ids[0].has_scope("orders:write"));
        assert_eq!(
            missing_scopes(ids[0], &["shop:read", "orders:write"]),
            ["orders:write"]
        );

        let text = "r 0123456789abcdef0123 scopes=shop:read\n\
                    w 0123456789abcdef0124 acme scopes=shop:read,orders:write\n\
                    t 0123456789abcdef0125 acme,globex\n";
        let keys = parse_key_file(text).unwrap();
        assert_eq!(keys[0].identity.scopes, Some(vec!["shop:read".to_owned()]));
        assert_eq!(keys[0].identity.tenants, None);
        assert_eq!(keys[1].identity.tenants, Some(vec!["acme".to_owned()]));
        assert_eq!(keys[1].identity.scopes.as_ref().map(Vec::len), Some(2));
        assert_eq!(keys[2].identity.scopes, None);

        let e = parse_key_file("w 0123456789abcdef0124 scopes=a acme").unwrap_err();
        assert_eq!(
            e.0,
            "key file line 1: expected `name secret [tenant,tenant] [scopes=a,b]`"
        );
        let e = parse_env_keys("w:0123456789abcdef0124:scopes=a\"b").unwrap_err();
        assert_eq!(
            e.0,
            "MCP_API_KEYS entry 1: `a\"b` is not a scope (printable ASCII without space, `\"` or `\\`)"
        );
    }

    #[test]
    fn digests_compare_word_by_word_in_constant_time() {
        let a = [7u8; 32];
        assert!(bool::from(digest_eq(&a, &a)));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 1;
            assert!(!bool::from(digest_eq(&a, &b)), "byte {i}");
        }
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
    }
}
