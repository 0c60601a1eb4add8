//! What the tools' queries share: ownership checks, idempotent inserts and
//! replays, the tenant's terms, enums stored as text, integers read back as
//! `u32`, and the clock.

use mcp_runtime::{McpError, ToolError};
use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Conn, Failure};

/// The kinds of records a tool looks up by identifier.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record {
    Order,
    Customer,
    Product,
    Warehouse,
    Shipment,
}

impl Record {
    fn owner_query(self) -> &'static str {
        match self {
            Record::Order => "SELECT tenant_id FROM orders WHERE number = $1",
            Record::Customer => "SELECT tenant_id FROM customers WHERE id = $1",
            Record::Product => "SELECT tenant_id FROM products WHERE id = $1",
            Record::Warehouse => "SELECT tenant_id FROM warehouses WHERE id = $1",
            Record::Shipment => "SELECT tenant_id FROM shipments WHERE tracking_number = $1",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Record::Order => "order",
            Record::Customer => "customer",
            Record::Product => "product",
            Record::Warehouse => "warehouse",
            Record::Shipment => "shipment with tracking number",
        }
    }
}

/// Which tenant owns the record `id`, if it exists at all.
pub(crate) async fn owner_of(
    conn: &mut Conn,
    record: Record,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(record.owner_query())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Check that `tenant` owns the record `id`.
///
/// Identifiers are unique across tenants, and the shop deliberately tells
/// "does not exist" (`not_found`) apart from "exists, but belongs to another
/// tenant" (`permission_denied`), as the product docs prescribe for these
/// error types: the agent then knows that retrying or searching elsewhere is
/// pointless, and the platform can surface a cross-tenant access attempt. It
/// reveals only that the identifier exists, never any of the record's data.
/// (A server whose identifiers are themselves sensitive would answer
/// `not_found` in both cases instead.)
pub(crate) async fn ensure_owned(
    conn: &mut Conn,
    tenant: &str,
    record: Record,
    id: &str,
) -> Result<(), Failure> {
    let noun = record.noun();
    let refused = match owner_of(conn, record, id).await? {
        None => AccessError::Missing {
            noun,
            id: id.to_owned(),
        },
        Some(owner) if owner != tenant => AccessError::Foreign {
            noun,
            id: id.to_owned(),
            tenant: tenant.to_owned(),
        },
        Some(_) => return Ok(()),
    };
    Err(Failure::Tool(refused.into()))
}

/// Why a tenant may not use a record it named. Each variant carries its
/// wire kind (`#[derive(ToolError)]`), so `?` into `McpError` keeps it: an
/// agent sees `not_found` or `permission_denied`, never a generic error.
#[derive(Debug, thiserror::Error, ToolError)]
pub(crate) enum AccessError {
    /// No such record in any tenant.
    #[error("{noun} {id} does not exist")]
    #[tool_error(not_found)]
    Missing { noun: &'static str, id: String },
    /// The record exists but belongs to another tenant.
    #[error("{noun} {id} belongs to another tenant; tenant `{tenant}` may not access it")]
    #[tool_error(permission_denied)]
    Foreign {
        noun: &'static str,
        id: String,
        tenant: String,
    },
}

/// Check that `tenant` owns every record in `ids`; report all unknown ids at
/// once (`not_found`), else all foreign ones (`permission_denied`).
pub(crate) async fn ensure_all_owned(
    conn: &mut Conn,
    tenant: &str,
    record: Record,
    ids: &[&str],
) -> Result<(), Failure> {
    let mut unknown = Vec::new();
    let mut foreign = Vec::new();
    for &id in ids {
        match owner_of(conn, record, id).await? {
            None => unknown.push(id),
            Some(owner) if owner != tenant => foreign.push(id),
            Some(_) => {}
        }
    }
    let noun = record.noun();
    if !unknown.is_empty() {
        return Err(
            McpError::not_found(format!("{noun}(s) {} do not exist", unknown.join(", ")))
                .with_details(serde_json::json!({ "unknownIds": unknown }))
                .into(),
        );
    }
    if !foreign.is_empty() {
        return Err(McpError::permission_denied(format!(
            "{noun}(s) {} belong to another tenant; tenant `{tenant}` may not access them",
            foreign.join(", ")
        ))
        .with_details(serde_json::json!({ "forbiddenIds": foreign }))
        .into());
    }
    Ok(())
}

/// The table of an idempotent write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Idempotent {
    /// `create_quote`.
    Quote,
    /// `submit_return`.
    Return,
}

impl Idempotent {
    fn what(self) -> &'static str {
        match self {
            Idempotent::Quote => "quote",
            Idempotent::Return => "return",
        }
    }

    /// The statement giving a new record its number, and the number's prefix.
    fn numbering(self) -> (&'static str, &'static str) {
        match self {
            Idempotent::Quote => ("UPDATE quotes SET number = $1 WHERE id = $2", "QUO"),
            Idempotent::Return => ("UPDATE returns SET rma_number = $1 WHERE id = $2", "RMA"),
        }
    }
}

/// Replay check of an idempotent write, inside its transaction: `Some(id)`
/// when `key` was used before for this same request (a retry: answer with
/// the stored record), `None` for a new key, and a `validation_error` when
/// the key was used for a different request.
pub(crate) async fn replayed(
    conn: &mut Conn,
    table: Idempotent,
    tenant: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Option<i64>, Failure> {
    let sql = match table {
        Idempotent::Quote => {
            "SELECT id, fingerprint FROM quotes WHERE tenant_id = $1 AND idempotency_key = $2"
        }
        Idempotent::Return => {
            "SELECT id, fingerprint FROM returns WHERE tenant_id = $1 AND idempotency_key = $2"
        }
    };
    let existing: Option<(i64, String)> = sqlx::query_as(sql)
        .bind(tenant)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    match existing {
        Some((id, stored)) if stored == fingerprint => Ok(Some(id)),
        Some(_) => Err(McpError::validation(format!(
            "`idempotencyKey`: {key} was already used for a different {} request; \
             send a new key for a new request, or repeat the original request exactly to get its result",
            table.what()
        ))
        .into()),
        None => Ok(None),
    }
}

/// After `INSERT … ON CONFLICT DO NOTHING RETURNING id` of an idempotent
/// write: the new row's id, numbered (`QUO-000042` from id 42), or, when
/// another transaction (another replica) committed the same key first, the
/// winner's (`Err(id)`, to answer with), or a `validation_error` when the
/// winner was a different request.
pub(crate) async fn inserted_or_winner(
    conn: &mut Conn,
    inserted: Option<i64>,
    table: Idempotent,
    tenant: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Result<i64, i64>, Failure> {
    if let Some(id) = inserted {
        let (sql, prefix) = table.numbering();
        sqlx::query(sql)
            .bind(format!("{prefix}-{id:06}"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(Ok(id));
    }
    match replayed(conn, table, tenant, key, fingerprint).await? {
        Some(id) => Ok(Err(id)),
        // The conflicting row is not visible, which neither backend allows
        // (Postgres's READ COMMITTED: the INSERT waited for the winner and
        // this statement sees its commit; SQLite holds the write lock). Not
        // a conflict to retry: a defect, answered as a server_error.
        None => Err(Failure::Sql(sqlx::Error::Protocol(format!(
            "{} idempotency key conflicted with an invisible row",
            table.what()
        )))),
    }
}

/// Lock the row of order `number` (which the caller checked `tenant`
/// owns) for the rest of the write's transaction, and read its status:
/// what a return decides on (the order's lines and their returns) is then
/// the caller's alone until it commits. Postgres: `FOR NO KEY UPDATE`, which
/// makes other returns of this order wait, but not the foreign-key checks
/// of rows referencing it. SQLite: nothing to lock, the write holds the
/// database's one write lock already (`BEGIN IMMEDIATE`).
pub(crate) async fn lock_order(conn: &mut Conn, number: &str) -> Result<String, sqlx::Error> {
    let sql = if conn.backend_name() == "PostgreSQL" {
        "SELECT status FROM orders WHERE number = $1 FOR NO KEY UPDATE"
    } else {
        "SELECT status FROM orders WHERE number = $1"
    };
    sqlx::query_scalar(sql)
        .bind(number)
        .fetch_one(&mut *conn)
        .await
}

/// The tenant's currency and tax rate (basis points).
pub(crate) async fn tenant_terms(conn: &mut Conn, tenant: &str) -> Result<(String, i64), Failure> {
    let terms: Option<(String, i64)> =
        sqlx::query_as("SELECT currency, tax_rate_bp FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    terms.ok_or_else(|| McpError::not_found(format!("tenant `{tenant}` has no shop")).into())
}

/// Column `i` of `row`, an integer the code reads as a count (`u32`); a
/// value out of range is a decode error, not a silent wrap.
pub(crate) fn get_u32(row: &AnyRow, i: usize) -> Result<u32, sqlx::Error> {
    let n: i64 = row.try_get(i)?;
    u32::try_from(n).map_err(|e| sqlx::Error::ColumnDecode {
        index: i.to_string(),
        source: Box::new(e),
    })
}

/// Store enums in TEXT columns under their serde names: the `snake_case`
/// strings the tools publish (`wrong_item` for `ReturnReason::WrongItem`), so
/// each enum's `#[serde(rename_all)]` is its only table of names.
/// `text_column!(ReturnReason);` implements sqlx's `Type`, `Encode` and
/// `Decode` for `Any`, as TEXT.
macro_rules! text_column {
    ($($enum:ty),+ $(,)?) => {$(
        impl ::sqlx::Type<::sqlx::Any> for $enum {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <String as ::sqlx::Type<::sqlx::Any>>::type_info()
            }

            fn compatible(ty: &::sqlx::any::AnyTypeInfo) -> bool {
                <String as ::sqlx::Type<::sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $enum {
            fn decode(
                value: ::sqlx::any::AnyValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                let name = <String as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value)?;
                $crate::db::from_text(&name)
            }
        }

        impl ::sqlx::Encode<'_, ::sqlx::Any> for $enum {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                let name = $crate::db::to_text(self)?;
                <String as ::sqlx::Encode<'_, ::sqlx::Any>>::encode(name, buf)
            }
        }
    )+};
}
pub(crate) use text_column;

/// A TEXT value read as the serde name of a `T`. A value the code does not
/// know is an error (and so a private `server_error`) naming the known ones.
pub(crate) fn from_text<T: DeserializeOwned>(name: &str) -> Result<T, sqlx::error::BoxDynError> {
    T::deserialize(name.into_deserializer()).map_err(|e: serde::de::value::Error| {
        let what = std::any::type_name::<T>();
        format!("{what} in the database: {e}").into()
    })
}

/// `value`'s serde name, as TEXT.
pub(crate) fn to_text<T: Serialize>(value: &T) -> Result<String, sqlx::error::BoxDynError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        other => Err(format!("{} has no text form: {other:?}", std::any::type_name::<T>()).into()),
    }
}

/// Timestamps of a new record, made in Rust so that both databases store
/// the same text: now (`2026-11-17T16:40:00Z`, UTC) and the date `days`
/// later (`2026-12-17`).
pub(crate) fn now_and_date_in(days: i64) -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (day, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(day);
    let now = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    let (y, m, d) = civil(day + days);
    (now, format!("{y:04}-{m:02}-{d:02}"))
}

/// The proleptic Gregorian date of day `z` since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_722), (2023, 12, 31));
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(20_788), (2026, 12, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
    }

    #[test]
    fn stamps_have_their_formats() {
        let (now, later) = now_and_date_in(30);
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
        assert_eq!(later.len(), 10, "{later}");
        assert!(later.as_str() > &now[..10], "{later} after {now}");
    }
}
