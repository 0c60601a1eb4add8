//! An online shop as an MCP server: the eight tools of the product docs
//! (`get_order`, `search_products`, `create_quote`, `check_inventory`,
//! `get_customer`, `list_invoices`, `submit_return`, `get_shipping_status`)
//! over a database holding demo data for two tenants, `acme` and `globex`
//! (listed at the top of `src/seed.rs`): embedded SQLite by default, or
//! Postgres (`SHOP_DATABASE_URL=postgres://…`), through one async pooled
//! layer ([`db`]).
//!
//! Beside the tools, what a shop serves for reading ([`resources`]): its
//! returns and shipping policies, each product and its picture, each order;
//! a prompt ([`prompts`]) drafting a reply about an order, with the order
//! embedded; and completion of product ids and order numbers, for the
//! caller's tenant only.
//!
//! And `export_invoices`, a long-running export run as a task for clients
//! of the tasks extension (protocol 2026-07-28).
//!
//! The tools live in this library so that `cargo test` links them; the
//! binary (`src/main.rs`) only opens the database and serves.
//!
//! Conventions of every tool, as the product docs recommend:
//! - camelCase argument and result fields;
//! - money as `{"amount": "12.50", "currency": "EUR"}`: a decimal string
//!   with two fraction digits and an ISO 4217 code ([`model::Money`]);
//! - dates and timestamps in ISO 8601 (`2026-11-23`, `2026-11-17T16:40:00Z`);
//! - `null` for a missing optional value in a result;
//! - searches return a `pagination` object `{page, pageSize, totalItems, totalPages}`;
//! - every query is scoped by the tenant the platform injected
//!   ([`ToolContext::require_tenant`](mcp_runtime::ToolContext::require_tenant)),
//!   never by an argument;
//! - scopes: the read tools need `shop:read`, `create_quote` and
//!   `submit_return` need `orders:write` (`#[mcp_tool(scopes = [...])]`). An
//!   OAuth access token holds the scopes its `scope` claim names; an API key
//!   holds those of its `scopes=` (and every scope without one, as keys did
//!   before the tools had scopes);
//! - errors: malformed input → `validation_error`, unknown id → `not_found`,
//!   another tenant's record → `permission_denied` (see [`db`] for why the
//!   two are told apart), anything else → a private `server_error`.

use std::path::Path;

use mcp_runtime::{BuildError, Server, ServerBuilder};

pub mod catalog;
pub mod customers;
pub mod db;
pub mod exports;
pub mod image;
mod lookups;
pub mod model;
pub mod orders;
pub mod prompts;
pub mod quotes;
pub mod resources;
mod seed;
pub mod shipping;

pub use db::Db;

/// The SQLite file when neither `SHOP_DATABASE_URL` nor `--db`/`SHOP_DB` says otherwise.
pub const DEFAULT_DB: &str = "shop.db";

/// The demo tenants seeded into a new database.
pub const DEMO_TENANTS: [&str; 2] = ["acme", "globex"];

/// What the model is told about this server (the `instructions` of `initialize`).
pub const INSTRUCTIONS: &str = "\
Tools of an online shop: orders, products and stock, quotes, customers, invoices, \
returns and parcel tracking. Every call acts for one tenant (injected by the platform); \
identifiers of other tenants are refused with permission_denied.
Identifiers: orders ORD-12345, customers CUS-1234, products PRD-1234, warehouses WH-ABC.
Money is {\"amount\": \"12.50\", \"currency\": \"EUR\"} with the amount as a decimal string; \
dates are ISO 8601. Find product ids with search_products before check_inventory or \
create_quote. create_quote and submit_return need an idempotencyKey: use a new one per \
request and the same one when retrying it.";

/// The server's shared state, read by the tools with `ctx.state::<Shop>()`.
#[derive(Debug, Clone)]
pub struct Shop {
    pub(crate) db: Db,
}

impl Shop {
    /// Open the SQLite database at `path`, creating and seeding it on first
    /// use, with the default pool (see [`db::DbConfig`]).
    pub async fn open(path: impl AsRef<Path>) -> Result<Shop, db::OpenError> {
        Shop::connect(db::DbConfig::sqlite(path.as_ref())).await
    }

    /// Connect to the database of `config` (SQLite or Postgres): migrate,
    /// pool, and seed the demo data unless it was.
    pub async fn connect(config: db::DbConfig) -> Result<Shop, db::OpenError> {
        let db = Db::connect(config).await?;
        seed::apply(&db).await.map_err(|e| db.open_error(e))?;
        Ok(Shop { db })
    }

    /// The database file, or `None` on Postgres.
    pub fn db_path(&self) -> Option<&Path> {
        self.db.path()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// The shop's MCP server over `shop`: every `#[mcp_tool]`, `#[mcp_resource]`
/// and `#[mcp_prompt]` of this crate.
pub fn server(shop: Shop) -> Result<Server, BuildError> {
    builder(shop).build()
}

/// The builder of [`server`], to set limits, keys or the call timeout
/// before building.
pub fn builder(shop: Shop) -> ServerBuilder {
    Server::builder("shop", env!("CARGO_PKG_VERSION"))
        .title("Demo Shop")
        .instructions(INSTRUCTIONS)
        .state(shop)
}
