//! `#[derive(ToolError)]`: each kind arrives on the wire with its message,
//! whether the tool declares the domain error as its error type, passes it
//! up with `?` into `McpError`, or finds it inside another error.

use std::time::Duration;

use mcp_runtime::prelude::*;
use mcp_runtime::testing::{CallResult, Client};
use serde_json::{Value, json};

/// The errors of an inventory, one per kind.
#[derive(Debug, thiserror::Error, ToolError)]
enum InventoryError {
    #[error("no item with SKU {0}")]
    #[tool_error(not_found)]
    NoSuchItem(String),
    #[error("quantity must be 1 to 100, not {0}")]
    #[tool_error(validation_error)]
    BadQuantity(u32),
    #[error("the warehouse key has expired")]
    #[tool_error(authentication_error)]
    KeyExpired,
    #[error("this store may not see warehouse {warehouse}")]
    #[tool_error(permission_denied)]
    OtherWarehouse { warehouse: String },
    #[error("the warehouse is busy")]
    #[tool_error(rate_limit)]
    Busy {
        #[tool_error(retry_after)]
        retry_in: Duration,
    },
    #[error("stock database at /var/secret/stock.db is corrupt")]
    #[tool_error(server_error)]
    Corrupt,
}

/// A struct mapped as a whole.
#[derive(Debug, thiserror::Error, ToolError)]
#[error("the order is closed")]
#[tool_error(validation_error)]
struct OrderClosed;

/// An enum with a default for its unmarked variants.
#[derive(Debug, thiserror::Error, ToolError)]
#[tool_error(default = server_error)]
enum ShippingError {
    #[error("no such carrier")]
    #[tool_error(not_found)]
    NoCarrier,
    #[error("carrier API at https://user:pw@carrier.example failed")]
    Api,
}

/// An application error that wraps the domain error without a word of its
/// own: `source()` skips the wrapped error, so the variant says where its
/// mapping is.
#[derive(Debug, thiserror::Error, ToolError)]
enum AppError {
    #[error(transparent)]
    #[tool_error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("the configuration at /etc/secret.toml is invalid")]
    #[tool_error(server_error)]
    Config,
}

fn app_look_up(kind: &str) -> Result<u32, AppError> {
    Ok(look_up(kind)?)
}

/// Fail with the domain error inside a transparent application error.
#[mcp_tool]
async fn transparent(
    /// The wire name of the kind to fail with.
    kind: String,
) -> Result<u32, AppError> {
    app_look_up(&kind)
}

/// A library's error that wraps a mapped one as its source.
#[derive(Debug, thiserror::Error)]
#[error("the inventory client failed")]
struct ClientError {
    #[source]
    cause: InventoryError,
}

/// A library error that wraps nothing mapped.
#[derive(Debug, thiserror::Error)]
#[error("connection to db.internal:5432 refused")]
struct Unmapped;

fn inventory_error(kind: &str) -> InventoryError {
    match kind {
        "not_found" => InventoryError::NoSuchItem("SKU-9".into()),
        "validation_error" => InventoryError::BadQuantity(500),
        "authentication_error" => InventoryError::KeyExpired,
        "permission_denied" => InventoryError::OtherWarehouse {
            warehouse: "north".into(),
        },
        "rate_limit" => InventoryError::Busy {
            retry_in: Duration::from_millis(1500),
        },
        _ => InventoryError::Corrupt,
    }
}

fn look_up(kind: &str) -> Result<u32, InventoryError> {
    Err(inventory_error(kind))
}

/// Fail with the domain error as the declared error type.
#[mcp_tool]
async fn declared(
    /// The wire name of the kind to fail with.
    kind: String,
) -> Result<u32, InventoryError> {
    let n = look_up(&kind)?;
    Ok(n)
}

/// Fail with the domain error passed up with `?` into `McpError`.
#[mcp_tool]
async fn into_mcp(
    /// The wire name of the kind to fail with.
    kind: String,
) -> Result<u32, McpError> {
    let n = look_up(&kind)?;
    Ok(n)
}

/// Fail with the domain error wrapped in another error: as its `source()`
/// (`how = "source"`) or inside an `io::Error` (`how = "io"`).
#[mcp_tool]
async fn wrapped(
    /// The wire name of the kind to fail with.
    kind: String,
    /// `source` or `io`.
    how: String,
) -> Result<u32, McpError> {
    let cause = inventory_error(&kind);
    if how == "io" {
        Err(std::io::Error::other(cause))?
    } else {
        Err(ClientError { cause })?
    }
}

/// Fail with a struct error, a defaulted variant, or an unmapped error.
#[mcp_tool]
async fn others(
    /// `struct`, `variant`, `default` or `unmapped`.
    which: String,
) -> Result<u32, McpError> {
    match which.as_str() {
        "struct" => Err(OrderClosed)?,
        "variant" => Err(ShippingError::NoCarrier)?,
        "default" => Err(ShippingError::Api)?,
        _ => Err(Unmapped)?,
    }
    Ok(0)
}

fn client() -> Client {
    Server::builder("tool-error-test", "0.0.0")
        .build()
        .unwrap()
        .client()
}

async fn call(name: &str, arguments: Value) -> CallResult {
    let result = client().call(name, arguments).await.unwrap();
    assert!(result.is_error(), "{name} {:?}", result.raw);
    result
}

/// The `{"type", "message", ...}` object of an error result.
fn wire(result: &CallResult) -> Value {
    result.json().unwrap()["error"].clone()
}

/// What each kind looks like on the wire, as the domain error says it.
fn expected(kind: &str) -> Value {
    match kind {
        "not_found" => json!({ "type": "not_found", "message": "no item with SKU SKU-9" }),
        "validation_error" => json!({
            "type": "validation_error",
            "message": "quantity must be 1 to 100, not 500"
        }),
        "authentication_error" => json!({
            "type": "authentication_error",
            "message": "the warehouse key has expired"
        }),
        "permission_denied" => json!({
            "type": "permission_denied",
            "message": "this store may not see warehouse north"
        }),
        "rate_limit" => json!({
            "type": "rate_limit",
            "message": "the warehouse is busy",
            "retryAfterMs": 1500
        }),
        "server_error" => json!({ "type": "server_error", "message": "internal server error" }),
        other => panic!("not a kind: {other}"),
    }
}

fn kinds() -> impl Iterator<Item = &'static str> {
    ErrorKind::ALL.into_iter().map(ErrorKind::as_str)
}

#[tokio::test]
async fn each_kind_arrives_as_the_declared_error_type() {
    for kind in kinds() {
        let result = call("declared", json!({ "kind": kind })).await;
        assert_eq!(wire(&result), expected(kind), "{kind}");
        assert_eq!(result.error_kind().map(|k| k.as_str()), Some(kind));
    }
}

#[tokio::test]
async fn each_kind_arrives_through_question_mark_into_mcp_error() {
    for kind in kinds() {
        let result = call("into_mcp", json!({ "kind": kind })).await;
        assert_eq!(wire(&result), expected(kind), "{kind}");
    }
}

#[tokio::test]
async fn each_kind_arrives_from_a_source_chain() {
    for how in ["source", "io"] {
        for kind in kinds() {
            let result = call("wrapped", json!({ "kind": kind, "how": how })).await;
            assert_eq!(wire(&result), expected(kind), "{kind} in {how}");
        }
    }
}

#[tokio::test]
async fn each_kind_arrives_through_a_transparent_variant() {
    for kind in kinds() {
        let result = call("transparent", json!({ "kind": kind })).await;
        assert_eq!(wire(&result), expected(kind), "{kind}");
    }
    assert_eq!(McpError::from(AppError::Config).kind(), ErrorKind::Server);
}

#[tokio::test]
async fn structs_defaults_and_unmapped_errors() {
    let result = call("others", json!({ "which": "struct" })).await;
    assert_eq!(
        wire(&result),
        json!({ "type": "validation_error", "message": "the order is closed" })
    );
    let result = call("others", json!({ "which": "variant" })).await;
    assert_eq!(
        wire(&result),
        json!({ "type": "not_found", "message": "no such carrier" })
    );
    for which in ["default", "unmapped"] {
        let result = call("others", json!({ "which": which })).await;
        assert_eq!(wire(&result), expected("server_error"), "{which}");
    }
}

#[test]
fn server_errors_keep_their_text_private() {
    for e in [
        McpError::from(InventoryError::Corrupt),
        McpError::from(ShippingError::Api),
        McpError::from(Unmapped),
        McpError::from(ClientError {
            cause: InventoryError::Corrupt,
        }),
    ] {
        assert_eq!(e.kind(), ErrorKind::Server);
        let text = e.to_json().to_string();
        for secret in ["secret", "pw@", "db.internal", "failed"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[test]
fn conversion_outside_a_tool() {
    let e = McpError::from(InventoryError::Busy {
        retry_in: Duration::from_secs(2),
    });
    assert_eq!(e.kind(), ErrorKind::RateLimit);
    assert_eq!(e.retry_after_ms(), Some(2000));
    assert_eq!(e.message(), "the warehouse is busy");
}
