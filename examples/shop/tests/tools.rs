//! The shop's tools, called in process through the real JSON-RPC
//! dispatcher, each test against its own freshly seeded database: every
//! test runs twice, on a SQLite file (`sqlite::…`) and on a Postgres
//! database of a throwaway cluster (`postgres::…`), with the same exact
//! values.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use mcp_runtime::testing::{CallResult, Client};
use mcp_runtime::{ErrorKind, Server};
use mcp_tests::postgres::Postgres;
use serde_json::{Value, json};
use shop::Shop;
use shop::db::{DbConfig, Target};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
enum Backend {
    /// A new SQLite file in a temp dir.
    Sqlite,
    /// A new database in this binary's throwaway Postgres cluster.
    Postgres(&'static Postgres),
}

/// A server over a new, freshly seeded database, removed on drop (SQLite)
/// or left in the throwaway cluster, which goes with the test process.
struct Fixture {
    server: Server,
    target: Target,
    dir: PathBuf,
    /// The test's own pool, to read the database directly.
    pool: sqlx::AnyPool,
}

impl Fixture {
    async fn new(backend: Backend) -> Fixture {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = match backend {
            Backend::Sqlite => Target::Sqlite(dir.join("shop.db")),
            Backend::Postgres(pg) => Target::Postgres(pg.new_database()),
        };
        let shop = Shop::connect(DbConfig::new(target.clone()))
            .await
            .expect("the database opens and is seeded");
        let server = shop::server(shop).expect("the tools are valid");
        let url = match &target {
            Target::Sqlite(path) => format!("sqlite://{}", path.display()),
            Target::Postgres(url) => url.clone(),
        };
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("the test's own connection");
        Fixture {
            server,
            target,
            dir,
            pool,
        }
    }

    fn acme(&self) -> Client {
        self.server.client().tenant("acme")
    }

    fn globex(&self) -> Client {
        self.server.client().tenant("globex")
    }

    /// A number from the database, read directly (not through the tools).
    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Each named test, `async fn name(backend: Backend)`, as `sqlite::name`
/// and `postgres::name` (which prints SKIPPED without Postgres, unless
/// `CI` is set).
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(pg) = mcp_tests::postgres::Postgres::shared() else {
                        return;
                    };
                    super::$name(super::Backend::Postgres(pg)).await
                }
            )+
        }
    };
}

/// Call and expect success; returns the structured result.
async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let r = client.call(tool, args).await.expect("no JSON-RPC error");
    assert!(!r.is_error(), "{tool} failed: {}", r.text().unwrap_or(""));
    r.structured().expect("structured content").clone()
}

/// Call and expect a tool error of `kind`; returns its message.
async fn err(client: &Client, tool: &str, args: Value, kind: ErrorKind) -> String {
    let r: CallResult = client.call(tool, args).await.expect("no JSON-RPC error");
    assert_eq!(
        r.error_kind(),
        Some(kind),
        "{tool}: expected {kind}, got {}",
        r.text().unwrap_or("")
    );
    r.error_message().unwrap()
}

fn money(amount: &str, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- tools/list

async fn lists_the_nine_tools_with_annotations(backend: Backend) {
    let f = Fixture::new(backend).await;
    let tools = f.acme().list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "check_inventory",
            "create_quote",
            "export_invoices",
            "get_customer",
            "get_order",
            "get_shipping_status",
            "list_invoices",
            "search_products",
            "submit_return"
        ]
    );
    let by_name = |n: &str| tools.iter().find(|t| t["name"] == n).unwrap().clone();
    for read_only in [
        "get_order",
        "search_products",
        "check_inventory",
        "get_customer",
        "list_invoices",
        "get_shipping_status",
        "export_invoices",
    ] {
        assert_eq!(
            by_name(read_only)["annotations"]["readOnlyHint"],
            true,
            "{read_only}"
        );
    }
    assert_eq!(
        by_name("create_quote")["annotations"]["idempotentHint"],
        true
    );
    assert_eq!(
        by_name("submit_return")["annotations"]["destructiveHint"],
        false
    );
    assert_eq!(
        by_name("submit_return")["annotations"]["idempotentHint"],
        true
    );
    // The injected arguments are not part of any schema.
    for t in &tools {
        let props = t["inputSchema"]["properties"].as_object().unwrap();
        assert!(!props.contains_key("tenantId") && !props.contains_key("workspaceId"));
    }
}

// ------------------------------------------------------------------ get_order

async fn get_order_returns_the_seeded_order(backend: Backend) {
    let f = Fixture::new(backend).await;
    let order = ok(
        &f.acme(),
        "get_order",
        json!({ "orderNumber": "ORD-10001" }),
    )
    .await;
    assert_eq!(
        order,
        json!({
            "orderNumber": "ORD-10001",
            "customerId": "CUS-1001",
            "status": "delivered",
            "placedAt": "2026-10-28T09:14:00Z",
            "items": [
                { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "quantity": 1,
                  "unitPrice": money("249.00", "EUR"), "lineTotal": money("249.00", "EUR") },
                { "productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 2,
                  "unitPrice": money("24.50", "EUR"), "lineTotal": money("49.00", "EUR") }
            ],
            "subtotal": money("298.00", "EUR"),
            "shippingCost": money("4.90", "EUR"),
            "tax": money("57.55", "EUR"),
            "total": money("360.45", "EUR"),
            "shippingAddress": {
                "name": "Anna Schmidt", "line1": "Kastanienallee 21", "line2": null,
                "city": "Berlin", "postalCode": "10435", "region": null, "country": "DE"
            },
            "estimatedDelivery": "2026-10-31",
            "trackingNumber": "1ZA4E5790312345671",
            "carrier": "UPS"
        })
    );
    // Typed access works too: the result types are public.
    let r = f
        .globex()
        .call("get_order", json!({ "orderNumber": "ORD-20003" }))
        .await
        .unwrap();
    let order: shop::orders::Order = r.value().unwrap();
    assert_eq!(order.status, shop::orders::OrderStatus::Pending);
    assert_eq!(order.tracking_number, None);
    assert_eq!(order.total.currency, "USD");
    assert_eq!(order.shipping_address.name, "Lakeside Dental Group");
    // A cancelled order has no delivery estimate: null, not missing.
    let cancelled = ok(
        &f.acme(),
        "get_order",
        json!({ "orderNumber": "ORD-10005" }),
    )
    .await;
    assert_eq!(cancelled["estimatedDelivery"], Value::Null);
    assert!(
        cancelled
            .as_object()
            .unwrap()
            .contains_key("estimatedDelivery")
    );
}

async fn get_order_error_kinds(backend: Backend) {
    let f = Fixture::new(backend).await;
    let acme = f.acme();
    for malformed in ["ORD-1", "10001", "ord-10001", "ORD-100011", ""] {
        let m = err(
            &acme,
            "get_order",
            json!({ "orderNumber": malformed }),
            ErrorKind::Validation,
        )
        .await;
        assert!(m.contains("orderNumber"), "{m}");
    }
    let m = err(
        &acme,
        "get_order",
        json!({ "orderNumber": "ORD-1" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(
        m.contains(r"^ORD-\d{5}$"),
        "the expected format is named: {m}"
    );
    let m = err(&acme, "get_order", json!({}), ErrorKind::Validation).await;
    assert!(m.contains("orderNumber"), "{m}");
    let m = err(
        &acme,
        "get_order",
        json!({ "orderNumber": "ORD-99999" }),
        ErrorKind::NotFound,
    )
    .await;
    assert!(m.contains("ORD-99999"), "{m}");
    // globex's order, asked for by acme.
    let m = err(
        &acme,
        "get_order",
        json!({ "orderNumber": "ORD-20001" }),
        ErrorKind::PermissionDenied,
    )
    .await;
    assert!(m.contains("another tenant") && !m.contains("Garcia"), "{m}");
    // Unknown fields are refused (a misspelt argument is not silently ignored).
    let m = err(
        &acme,
        "get_order",
        json!({ "order_number": "ORD-10001" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(
        m.contains("order_number") || m.contains("orderNumber"),
        "{m}"
    );
    // No tenant injected: refused before any query.
    let m = err(
        &f.server.client(),
        "get_order",
        json!({ "orderNumber": "ORD-10001" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("tenantId"), "{m}");
}

// ------------------------------------------------------------ search_products

async fn search_products_matches_words_and_paginates(backend: Backend) {
    let f = Fixture::new(backend).await;
    let r = ok(&f.acme(), "search_products", json!({ "query": "tent" })).await;
    assert_eq!(ids(&r["products"], "productId"), ["PRD-1002", "PRD-1001"]);
    assert_eq!(
        r["pagination"],
        json!({ "page": 1, "pageSize": 20, "totalItems": 2, "totalPages": 1 })
    );
    assert_eq!(
        r["products"][1],
        json!({
            "productId": "PRD-1001",
            "name": "Trailblazer 2 Tent",
            "description": "Two-person, three-season backpacking tent; 1.9 kg, aluminium poles, two vestibules.",
            "category": "Tents",
            "price": money("249.00", "EUR"),
            "availableQuantity": 18,
            "inStock": true
        })
    );
    // Every word must match.
    let r = ok(
        &f.acme(),
        "search_products",
        json!({ "query": "TENT family" }),
    )
    .await;
    assert_eq!(ids(&r["products"], "productId"), ["PRD-1002"]);
    // LIKE wildcards in the query are literal.
    let r = ok(&f.acme(), "search_products", json!({ "query": "%" })).await;
    assert_eq!(r["pagination"]["totalItems"], 0);

    // Category (case-insensitive), stock and price filters.
    let r = ok(
        &f.acme(),
        "search_products",
        json!({ "query": "*", "category": "accessories" }),
    )
    .await;
    assert_eq!(
        ids(&r["products"], "productId"),
        ["PRD-1009", "PRD-1008", "PRD-1010"]
    );
    let r = ok(
        &f.acme(),
        "search_products",
        json!({ "query": "*", "category": "Accessories", "inStockOnly": true }),
    )
    .await;
    assert_eq!(ids(&r["products"], "productId"), ["PRD-1009", "PRD-1008"]);
    let r = ok(
        &f.acme(),
        "search_products",
        json!({ "query": "*", "minPrice": 100, "maxPrice": 179 }),
    )
    .await;
    assert_eq!(
        ids(&r["products"], "productId"),
        ["PRD-1003", "PRD-1005", "PRD-1006"]
    );

    // Pages.
    let r = ok(
        &f.acme(),
        "search_products",
        json!({ "query": "*", "page": 3, "pageSize": 4 }),
    )
    .await;
    assert_eq!(ids(&r["products"], "productId"), ["PRD-1001", "PRD-1010"]);
    assert_eq!(
        r["pagination"],
        json!({ "page": 3, "pageSize": 4, "totalItems": 10, "totalPages": 3 })
    );
    let r = ok(
        &f.acme(),
        "search_products",
        json!({ "query": "*", "page": 9, "pageSize": 4 }),
    )
    .await;
    assert_eq!(r["products"], json!([]));
    assert_eq!(r["pagination"]["totalItems"], 10);
}

async fn search_products_validation(backend: Backend) {
    let f = Fixture::new(backend).await;
    let acme = f.acme();
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "tent", "pageSize": 500 }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("pageSize"), "{m}");
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "tent", "page": 0 }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("page"), "{m}");
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("query"), "{m}");
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "   " }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("query"), "{m}");
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "tent", "minPrice": 300, "maxPrice": 100 }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("minPrice"), "{m}");
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "tent", "minPrice": -1 }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("minPrice"), "{m}");
    let m = err(
        &acme,
        "search_products",
        json!({ "query": "tent", "inStockOnly": "yes" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("inStockOnly"), "{m}");
}

// ------------------------------------------------------------ check_inventory

async fn check_inventory_per_warehouse(backend: Backend) {
    let f = Fixture::new(backend).await;
    let r = ok(
        &f.acme(),
        "check_inventory",
        json!({ "productIds": ["PRD-1001", "PRD-1005", "PRD-1001"] }),
    )
    .await;
    assert_eq!(
        r,
        json!({ "products": [
            { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "totalAvailable": 18, "warehouses": [
                { "warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 14, "reserved": 2, "available": 12 },
                { "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 6, "reserved": 0, "available": 6 }
            ]},
            { "productId": "PRD-1005", "name": "Ridge Hiking Boots", "totalAvailable": 6, "warehouses": [
                { "warehouseId": "WH-BER", "name": "Berlin Central", "city": "Berlin", "onHand": 0, "reserved": 0, "available": 0 },
                { "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 7, "reserved": 1, "available": 6 }
            ]}
        ]})
    );
    let r = ok(
        &f.acme(),
        "check_inventory",
        json!({ "productIds": ["PRD-1002"], "warehouseId": "WH-HAM" }),
    )
    .await;
    assert_eq!(
        r["products"][0]["warehouses"],
        json!([{ "warehouseId": "WH-HAM", "name": "Hamburg Port", "city": "Hamburg", "onHand": 0, "reserved": 0, "available": 0 }])
    );
    let r = ok(
        &f.globex(),
        "check_inventory",
        json!({ "productIds": ["PRD-2002"] }),
    )
    .await;
    assert_eq!(r["products"][0]["totalAvailable"], 0);
    assert_eq!(
        ids(&r["products"][0]["warehouses"], "warehouseId"),
        ["WH-CHI", "WH-DAL"]
    );
}

async fn check_inventory_errors(backend: Backend) {
    let f = Fixture::new(backend).await;
    let acme = f.acme();
    let m = err(
        &acme,
        "check_inventory",
        json!({ "productIds": ["PRD-1001", "PRD-9999"] }),
        ErrorKind::NotFound,
    )
    .await;
    assert!(m.contains("PRD-9999") && !m.contains("PRD-1001"), "{m}");
    let m = err(
        &acme,
        "check_inventory",
        json!({ "productIds": ["PRD-2001"] }),
        ErrorKind::PermissionDenied,
    )
    .await;
    assert!(m.contains("PRD-2001"), "{m}");
    err(
        &acme,
        "check_inventory",
        json!({ "productIds": ["PRD-1001"], "warehouseId": "WH-CHI" }),
        ErrorKind::PermissionDenied,
    )
    .await;
    err(
        &acme,
        "check_inventory",
        json!({ "productIds": ["PRD-1001"], "warehouseId": "WH-XYZ" }),
        ErrorKind::NotFound,
    )
    .await;
    let too_many: Vec<String> = (0..51).map(|i| format!("PRD-{:04}", 1000 + i)).collect();
    let m = err(
        &acme,
        "check_inventory",
        json!({ "productIds": too_many }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("productIds"), "{m}");
    let m = err(
        &acme,
        "check_inventory",
        json!({ "productIds": [] }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("productIds"), "{m}");
    let m = err(
        &acme,
        "check_inventory",
        json!({ "productIds": ["PRD-1001", "tent"] }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("productIds[1]"), "{m}");
}

// --------------------------------------------------------------- get_customer

async fn get_customer_with_and_without_history(backend: Backend) {
    let f = Fixture::new(backend).await;
    let c = ok(
        &f.acme(),
        "get_customer",
        json!({ "customerId": "CUS-1001" }),
    )
    .await;
    assert_eq!(
        c,
        json!({
            "customerId": "CUS-1001",
            "name": "Anna Schmidt",
            "email": "anna.schmidt@example.com",
            "phone": "+49 30 5550 1234",
            "company": null,
            "tier": "gold",
            "customerSince": "2021-03-14",
            "address": {
                "name": "Anna Schmidt", "line1": "Kastanienallee 21", "line2": null,
                "city": "Berlin", "postalCode": "10435", "region": null, "country": "DE"
            },
            "orderCount": 2,
            "lifetimeValue": money("626.83", "EUR"),
            "openBalance": money("266.38", "EUR"),
            "orderHistory": null
        })
    );
    let c = ok(
        &f.acme(),
        "get_customer",
        json!({ "customerId": "CUS-1002", "includeHistory": true }),
    )
    .await;
    assert_eq!(
        c["orderHistory"],
        json!([
            { "orderNumber": "ORD-10003", "placedAt": "2026-11-20T08:05:00Z", "status": "processing",
              "itemCount": 2, "total": money("237.76", "EUR") },
            { "orderNumber": "ORD-10005", "placedAt": "2026-11-02T19:52:00Z", "status": "cancelled",
              "itemCount": 1, "total": money("64.14", "EUR") }
        ])
    );
    // Cancelled orders count as orders but not as value.
    assert_eq!(c["orderCount"], 2);
    assert_eq!(c["lifetimeValue"], money("237.76", "EUR"));
    assert_eq!(c["openBalance"], money("0.00", "EUR"));

    let c = ok(
        &f.globex(),
        "get_customer",
        json!({ "customerId": "CUS-2003" }),
    )
    .await;
    assert_eq!(c["company"], "Lakeside Dental Group");
    assert_eq!(c["address"]["region"], "WI");
    assert_eq!(c["openBalance"], money("350.00", "USD"));
}

async fn get_customer_errors(backend: Backend) {
    let f = Fixture::new(backend).await;
    err(
        &f.acme(),
        "get_customer",
        json!({ "customerId": "CUS-2001" }),
        ErrorKind::PermissionDenied,
    )
    .await;
    err(
        &f.acme(),
        "get_customer",
        json!({ "customerId": "CUS-9999" }),
        ErrorKind::NotFound,
    )
    .await;
    let m = err(
        &f.acme(),
        "get_customer",
        json!({ "customerId": "anna" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("customerId"), "{m}");
}

// -------------------------------------------------------------- list_invoices

async fn list_invoices_filters_and_pages(backend: Backend) {
    let f = Fixture::new(backend).await;
    let r = ok(&f.acme(), "list_invoices", json!({})).await;
    assert_eq!(
        ids(&r["invoices"], "invoiceNumber"),
        [
            "INV-10004",
            "INV-10002",
            "INV-10005",
            "INV-10001",
            "INV-10003"
        ]
    );
    assert_eq!(
        r["pagination"],
        json!({ "page": 1, "pageSize": 20, "totalItems": 5, "totalPages": 1 })
    );
    assert_eq!(
        r["invoices"][3],
        json!({
            "invoiceNumber": "INV-10001", "customerId": "CUS-1001", "orderNumber": "ORD-10001",
            "status": "paid", "issuedOn": "2026-10-28", "dueOn": "2026-11-27", "paidOn": "2026-10-28",
            "total": money("360.45", "EUR"), "amountDue": money("0.00", "EUR")
        })
    );
    let r = ok(&f.acme(), "list_invoices", json!({ "status": "overdue" })).await;
    assert_eq!(ids(&r["invoices"], "invoiceNumber"), ["INV-10003"]);
    assert_eq!(r["invoices"][0]["amountDue"], money("2396.66", "EUR"));
    let r = ok(
        &f.acme(),
        "list_invoices",
        json!({ "customerId": "CUS-1001" }),
    )
    .await;
    assert_eq!(
        ids(&r["invoices"], "invoiceNumber"),
        ["INV-10002", "INV-10001"]
    );
    let r = ok(
        &f.acme(),
        "list_invoices",
        json!({ "customerId": "CUS-1001", "status": "void" }),
    )
    .await;
    assert_eq!(r["invoices"], json!([]));
    assert_eq!(r["pagination"]["totalPages"], 0);
    let r = ok(
        &f.acme(),
        "list_invoices",
        json!({ "page": 2, "pageSize": 2 }),
    )
    .await;
    assert_eq!(
        ids(&r["invoices"], "invoiceNumber"),
        ["INV-10005", "INV-10001"]
    );
    assert_eq!(
        r["pagination"],
        json!({ "page": 2, "pageSize": 2, "totalItems": 5, "totalPages": 3 })
    );
    // An invoice without an order: orderNumber is null, not missing.
    let r = ok(
        &f.globex(),
        "list_invoices",
        json!({ "customerId": "CUS-2003" }),
    )
    .await;
    assert_eq!(r["invoices"][0]["orderNumber"], Value::Null);
    assert_eq!(r["invoices"][0]["total"], money("350.00", "USD"));
}

async fn list_invoices_errors(backend: Backend) {
    let f = Fixture::new(backend).await;
    let m = err(
        &f.acme(),
        "list_invoices",
        json!({ "status": "late" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("status"), "{m}");
    let m = err(
        &f.acme(),
        "list_invoices",
        json!({ "pageSize": 500 }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("pageSize"), "{m}");
    err(
        &f.acme(),
        "list_invoices",
        json!({ "customerId": "CUS-2001" }),
        ErrorKind::PermissionDenied,
    )
    .await;
    err(
        &f.acme(),
        "list_invoices",
        json!({ "customerId": "CUS-1999" }),
        ErrorKind::NotFound,
    )
    .await;
}

// ---------------------------------------------------------- get_shipping_status

async fn get_shipping_status_with_events_newest_first(backend: Backend) {
    let f = Fixture::new(backend).await;
    let s = ok(
        &f.acme(),
        "get_shipping_status",
        json!({ "trackingNumber": "JJD000390007718231" }),
    )
    .await;
    assert_eq!(s["carrier"], "DHL");
    assert_eq!(s["service"], "DHL Paket");
    assert_eq!(s["orderNumber"], "ORD-10002");
    assert_eq!(s["status"], "in_transit");
    assert_eq!(s["shippedAt"], "2026-11-18T19:30:00Z");
    assert_eq!(s["estimatedDelivery"], "2026-11-23");
    assert_eq!(s["deliveredAt"], Value::Null);
    assert_eq!(s["events"].as_array().unwrap().len(), 4);
    assert_eq!(
        s["events"][0],
        json!({ "timestamp": "2026-11-20T02:47:00Z", "location": "Ludwigsfelde, DE",
                "status": "in_transit", "description": "Arrived at destination parcel center" })
    );
    assert_eq!(s["events"][3]["status"], "label_created");

    let s = ok(
        &f.globex(),
        "get_shipping_status",
        json!({ "trackingNumber": "9400111899223100001234" }),
    )
    .await;
    assert_eq!(s["status"], "delivered");
    assert_eq!(s["deliveredAt"], "2026-11-10T12:14:00Z");
    assert!(
        s["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "exception")
    );
}

async fn get_shipping_status_errors(backend: Backend) {
    let f = Fixture::new(backend).await;
    err(
        &f.acme(),
        "get_shipping_status",
        json!({ "trackingNumber": "794612345678" }),
        ErrorKind::PermissionDenied,
    )
    .await;
    err(
        &f.acme(),
        "get_shipping_status",
        json!({ "trackingNumber": "1Z0000000000000000" }),
        ErrorKind::NotFound,
    )
    .await;
    let m = err(
        &f.acme(),
        "get_shipping_status",
        json!({ "trackingNumber": "abc" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("trackingNumber"), "{m}");
}

// --------------------------------------------------------------- create_quote

async fn create_quote_prices_discounts_and_taxes(backend: Backend) {
    let f = Fixture::new(backend).await;
    let q = ok(
        &f.acme(),
        "create_quote",
        json!({
            "customerId": "CUS-1001",
            "items": [{ "productId": "PRD-1001", "quantity": 2 }, { "productId": "PRD-1009", "quantity": 1 }],
            "idempotencyKey": "quote-test-0001"
        }),
    )
    .await;
    assert_eq!(q["quoteNumber"], "QUO-000001");
    assert_eq!(q["customerId"], "CUS-1001");
    assert_eq!(q["status"], "open");
    assert_eq!(
        q["lines"],
        json!([
            { "productId": "PRD-1001", "name": "Trailblazer 2 Tent", "quantity": 2,
              "unitPrice": money("249.00", "EUR"), "lineTotal": money("498.00", "EUR") },
            { "productId": "PRD-1009", "name": "Headlamp 400", "quantity": 1,
              "unitPrice": money("39.95", "EUR"), "lineTotal": money("39.95", "EUR") }
        ])
    );
    // Gold tier: 5 % off 537.95 = 26.90; 19 % VAT on 511.05 = 97.10.
    assert_eq!(q["subtotal"], money("537.95", "EUR"));
    assert_eq!(q["discount"], money("26.90", "EUR"));
    assert_eq!(q["tax"], money("97.10", "EUR"));
    assert_eq!(q["total"], money("608.15", "EUR"));
    let created = q["createdAt"].as_str().unwrap();
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
    let valid = q["validUntil"].as_str().unwrap();
    assert!(valid.len() == 10 && valid > &created[..10], "{valid}");

    // globex: standard tier, USD, 8.25 % sales tax.
    let q = ok(
        &f.globex(),
        "create_quote",
        json!({
            "customerId": "CUS-2002",
            "items": [{ "productId": "PRD-2008", "quantity": 3 }],
            "idempotencyKey": "quote-test-0001"
        }),
    )
    .await;
    assert_eq!(q["subtotal"], money("149.97", "USD"));
    assert_eq!(q["discount"], money("0.00", "USD"));
    assert_eq!(q["tax"], money("12.37", "USD"));
    assert_eq!(q["total"], money("162.34", "USD"));
    // Keys are per tenant: globex's "quote-test-0001" is a quote of its own.
    assert_eq!(q["quoteNumber"], "QUO-000002");
}

async fn create_quote_is_idempotent_under_retry(backend: Backend) {
    let f = Fixture::new(backend).await;
    let args = json!({
        "customerId": "CUS-1002",
        "items": [{ "productId": "PRD-1003", "quantity": 1 }, { "productId": "PRD-1004", "quantity": 2 }],
        "idempotencyKey": "5b0e8f9a-retry-me"
    });
    let first = ok(&f.acme(), "create_quote", args.clone()).await;
    let second = ok(&f.acme(), "create_quote", args.clone()).await;
    assert_eq!(first, second);
    // The same content with the lines in another order is the same request.
    let reordered = json!({
        "customerId": "CUS-1002",
        "items": [{ "productId": "PRD-1004", "quantity": 2 }, { "productId": "PRD-1003", "quantity": 1 }],
        "idempotencyKey": "5b0e8f9a-retry-me"
    });
    assert_eq!(ok(&f.acme(), "create_quote", reordered).await, first);
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 1);
    assert_eq!(f.count("SELECT COUNT(*) FROM quote_lines").await, 2);

    // The key reused for different content.
    let mut changed = args.clone();
    changed["items"][0]["quantity"] = json!(5);
    let m = err(&f.acme(), "create_quote", changed, ErrorKind::Validation).await;
    assert!(
        m.contains("idempotencyKey") && m.contains("5b0e8f9a-retry-me"),
        "{m}"
    );
    let mut other_customer = args.clone();
    other_customer["customerId"] = json!("CUS-1001");
    err(
        &f.acme(),
        "create_quote",
        other_customer,
        ErrorKind::Validation,
    )
    .await;
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 1);

    // A new key is a new quote.
    let mut fresh = args.clone();
    fresh["idempotencyKey"] = json!("5b0e8f9a-second-quote");
    let third = ok(&f.acme(), "create_quote", fresh).await;
    assert_ne!(third["quoteNumber"], first["quoteNumber"]);
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 2);
}

async fn concurrent_retries_create_one_quote(backend: Backend) {
    let f = Fixture::new(backend).await;
    let args = json!({
        "customerId": "CUS-1001",
        "items": [{ "productId": "PRD-1006", "quantity": 1 }],
        "idempotencyKey": "concurrent-key-1"
    });
    let calls = (0..8).map(|_| {
        let client = f.acme();
        let args = args.clone();
        tokio::spawn(async move { ok(&client, "create_quote", args).await })
    });
    let mut results = Vec::new();
    for c in calls {
        results.push(c.await.unwrap());
    }
    assert!(results.iter().all(|r| *r == results[0]));
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 1);
}

async fn create_quote_errors(backend: Backend) {
    let f = Fixture::new(backend).await;
    let quote = |customer: &str, items: Value| json!({ "customerId": customer, "items": items, "idempotencyKey": "quote-errors-1" });
    let one = json!([{ "productId": "PRD-1001", "quantity": 1 }]);
    err(
        &f.acme(),
        "create_quote",
        quote("CUS-9999", one.clone()),
        ErrorKind::NotFound,
    )
    .await;
    err(
        &f.acme(),
        "create_quote",
        quote("CUS-2001", one.clone()),
        ErrorKind::PermissionDenied,
    )
    .await;
    let m = err(
        &f.acme(),
        "create_quote",
        quote(
            "CUS-1001",
            json!([{ "productId": "PRD-2001", "quantity": 1 }]),
        ),
        ErrorKind::PermissionDenied,
    )
    .await;
    assert!(m.contains("PRD-2001"), "{m}");
    err(
        &f.acme(),
        "create_quote",
        quote(
            "CUS-1001",
            json!([{ "productId": "PRD-1999", "quantity": 1 }]),
        ),
        ErrorKind::NotFound,
    )
    .await;
    let m = err(
        &f.acme(),
        "create_quote",
        quote(
            "CUS-1001",
            json!([{ "productId": "PRD-1001", "quantity": 1 }, { "productId": "PRD-1001", "quantity": 2 }]),
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("items[1].productId"), "{m}");
    let m = err(
        &f.acme(),
        "create_quote",
        quote(
            "CUS-1001",
            json!([{ "productId": "PRD-1001", "quantity": 0 }]),
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("items[0].quantity"), "{m}");
    let m = err(
        &f.acme(),
        "create_quote",
        quote("CUS-1001", json!([])),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("items"), "{m}");
    let m = err(
        &f.acme(),
        "create_quote",
        json!({ "customerId": "CUS-1001", "items": one, "idempotencyKey": "short" }),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("idempotencyKey"), "{m}");
    // Nothing was written by any failed call.
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 0);
}

// -------------------------------------------------------------- submit_return

fn return_args(order: &str, items: Value, key: &str) -> Value {
    json!({ "orderNumber": order, "items": items, "idempotencyKey": key })
}

async fn submit_return_authorizes_and_is_idempotent(backend: Backend) {
    let f = Fixture::new(backend).await;
    let args = return_args(
        "ORD-10001",
        json!([{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }]),
        "rma-key-000001",
    );
    let rma = ok(&f.acme(), "submit_return", args.clone()).await;
    assert_eq!(rma["rmaNumber"], "RMA-000001");
    assert_eq!(rma["orderNumber"], "ORD-10001");
    assert_eq!(rma["status"], "authorized");
    assert_eq!(
        rma["items"],
        json!([{ "productId": "PRD-1008", "name": "Titanium Camping Mug", "quantity": 1,
                 "reason": "damaged", "refundAmount": money("24.50", "EUR") }])
    );
    assert_eq!(rma["refundTotal"], money("24.50", "EUR"));
    assert!(
        rma["returnAddress"]
            .as_str()
            .unwrap()
            .contains("13407 Berlin")
    );

    // Retry: the same authorization, one row.
    let again = ok(&f.acme(), "submit_return", args.clone()).await;
    assert_eq!(again, rma);
    assert_eq!(f.count("SELECT COUNT(*) FROM returns").await, 1);
    assert_eq!(f.count("SELECT COUNT(*) FROM return_items").await, 1);

    // The key reused for different content.
    let mut changed = args.clone();
    changed["items"][0]["reason"] = json!("defective");
    let m = err(&f.acme(), "submit_return", changed, ErrorKind::Validation).await;
    assert!(m.contains("idempotencyKey"), "{m}");
    assert_eq!(f.count("SELECT COUNT(*) FROM returns").await, 1);

    // Quantities count what was already returned: 2 mugs ordered, 1 returned.
    let m = err(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10001",
            json!([{ "productId": "PRD-1008", "quantity": 2, "reason": "damaged" }]),
            "rma-key-000002",
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(
        m.contains("items[0].quantity") && m.contains("already returned 1"),
        "{m}"
    );
    let second = ok(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10001",
            json!([{ "productId": "PRD-1008", "quantity": 1, "reason": "no_longer_needed" }]),
            "rma-key-000003",
        ),
    )
    .await;
    assert_eq!(second["rmaNumber"], "RMA-000002");
    assert_eq!(f.count("SELECT COUNT(*) FROM returns").await, 2);
}

async fn submit_return_is_all_or_nothing(backend: Backend) {
    let f = Fixture::new(backend).await;
    // The first line is fine, the second asks for more than was ordered:
    // the whole return is refused and no row of it remains.
    let m = err(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10004",
            json!([
                { "productId": "PRD-1007", "quantity": 2, "reason": "defective" },
                { "productId": "PRD-1002", "quantity": 3, "reason": "no_longer_needed" }
            ]),
            "rma-partial-1",
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(
        m.contains("items[1].quantity") && m.contains("ordered 2"),
        "{m}"
    );
    assert_eq!(f.count("SELECT COUNT(*) FROM returns").await, 0);
    assert_eq!(f.count("SELECT COUNT(*) FROM return_items").await, 0);
    // The key was not consumed: the corrected request succeeds with it.
    let rma = ok(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10004",
            json!([
                { "productId": "PRD-1007", "quantity": 2, "reason": "defective" },
                { "productId": "PRD-1002", "quantity": 2, "reason": "no_longer_needed" }
            ]),
            "rma-partial-1",
        ),
    )
    .await;
    assert_eq!(rma["refundTotal"], money("1436.00", "EUR"));
    assert_eq!(f.count("SELECT COUNT(*) FROM return_items").await, 2);
}

async fn submit_return_errors(backend: Backend) {
    let f = Fixture::new(backend).await;
    let mug = json!([{ "productId": "PRD-1008", "quantity": 1, "reason": "damaged" }]);
    err(
        &f.acme(),
        "submit_return",
        return_args("ORD-20001", mug.clone(), "rma-errors-1"),
        ErrorKind::PermissionDenied,
    )
    .await;
    err(
        &f.acme(),
        "submit_return",
        return_args("ORD-19999", mug.clone(), "rma-errors-1"),
        ErrorKind::NotFound,
    )
    .await;
    let m = err(
        &f.acme(),
        "submit_return",
        return_args("ORD-123", mug.clone(), "rma-errors-1"),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("orderNumber"), "{m}");
    // Not delivered yet.
    let m = err(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10002",
            json!([{ "productId": "PRD-1005", "quantity": 1, "reason": "does_not_fit" }]),
            "rma-errors-1",
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("shipped") && m.contains("delivered"), "{m}");
    // Not a line of the order.
    let m = err(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10001",
            json!([{ "productId": "PRD-1005", "quantity": 1, "reason": "other" }]),
            "rma-errors-1",
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(
        m.contains("items[0].productId") && m.contains("not part of order"),
        "{m}"
    );
    // Unknown reason.
    let m = err(
        &f.acme(),
        "submit_return",
        return_args(
            "ORD-10001",
            json!([{ "productId": "PRD-1008", "quantity": 1, "reason": "meh" }]),
            "rma-errors-1",
        ),
        ErrorKind::Validation,
    )
    .await;
    assert!(m.contains("items[0].reason"), "{m}");
    assert_eq!(f.count("SELECT COUNT(*) FROM returns").await, 0);
}

// ----------------------------------------------------------- tenant isolation

async fn tenants_never_see_each_others_records(backend: Backend) {
    let f = Fixture::new(backend).await;
    let (acme, globex) = (f.acme(), f.globex());

    let a = ok(
        &acme,
        "search_products",
        json!({ "query": "*", "pageSize": 100 }),
    )
    .await;
    let g = ok(
        &globex,
        "search_products",
        json!({ "query": "*", "pageSize": 100 }),
    )
    .await;
    let (a, g) = (
        ids(&a["products"], "productId"),
        ids(&g["products"], "productId"),
    );
    assert_eq!(a.len(), 10);
    assert_eq!(g.len(), 9);
    assert!(a.iter().all(|id| id.starts_with("PRD-1")), "{a:?}");
    assert!(g.iter().all(|id| id.starts_with("PRD-2")), "{g:?}");
    // The same query, different answers.
    let a = ok(&acme, "search_products", json!({ "query": "accessories" })).await;
    let g = ok(
        &globex,
        "search_products",
        json!({ "query": "accessories" }),
    )
    .await;
    assert_eq!(
        ids(&a["products"], "productId"),
        ["PRD-1009", "PRD-1008", "PRD-1010"]
    );
    assert_eq!(
        ids(&g["products"], "productId"),
        ["PRD-2008", "PRD-2009", "PRD-2007"]
    );
    assert_eq!(a["products"][0]["price"]["currency"], "EUR");
    assert_eq!(g["products"][0]["price"]["currency"], "USD");
    let g = ok(&globex, "search_products", json!({ "query": "tent" })).await;
    assert_eq!(g["products"], json!([]));

    let a = ok(&acme, "list_invoices", json!({ "pageSize": 100 })).await;
    let g = ok(&globex, "list_invoices", json!({ "pageSize": 100 })).await;
    assert!(
        ids(&a["invoices"], "invoiceNumber")
            .iter()
            .all(|n| n.starts_with("INV-1"))
    );
    assert_eq!(ids(&g["invoices"], "invoiceNumber").len(), 4);
    assert!(
        ids(&g["invoices"], "invoiceNumber")
            .iter()
            .all(|n| n.starts_with("INV-2"))
    );

    for (tool, args) in [
        ("get_order", json!({ "orderNumber": "ORD-10001" })),
        ("get_customer", json!({ "customerId": "CUS-1001" })),
        ("check_inventory", json!({ "productIds": ["PRD-1001"] })),
        ("list_invoices", json!({ "customerId": "CUS-1001" })),
        (
            "get_shipping_status",
            json!({ "trackingNumber": "1ZA4E5790312345671" }),
        ),
    ] {
        err(&globex, tool, args, ErrorKind::PermissionDenied).await;
    }
    // A tenant with no shop at all sees nothing.
    let initech = f.server.client().tenant("initech");
    err(
        &initech,
        "search_products",
        json!({ "query": "*" }),
        ErrorKind::NotFound,
    )
    .await;
    err(
        &initech,
        "get_order",
        json!({ "orderNumber": "ORD-10001" }),
        ErrorKind::PermissionDenied,
    )
    .await;
}

async fn reopening_keeps_the_data_and_does_not_reseed(backend: Backend) {
    let f = Fixture::new(backend).await;
    ok(
        &f.acme(),
        "create_quote",
        json!({ "customerId": "CUS-1001", "items": [{ "productId": "PRD-1004", "quantity": 1 }],
                "idempotencyKey": "survives-restart" }),
    )
    .await;
    // As a restart (or a second replica) does: migrations and seed again.
    let again = Shop::connect(DbConfig::new(f.target.clone()))
        .await
        .unwrap();
    let reopened = shop::server(again).unwrap();
    let q = ok(
        &reopened.client().tenant("acme"),
        "create_quote",
        json!({ "customerId": "CUS-1001", "items": [{ "productId": "PRD-1004", "quantity": 1 }],
                "idempotencyKey": "survives-restart" }),
    )
    .await;
    assert_eq!(q["quoteNumber"], "QUO-000001");
    assert_eq!(f.count("SELECT COUNT(*) FROM products").await, 19);
    assert_eq!(f.count("SELECT COUNT(*) FROM seed_applied").await, 1);
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 1);
    if let Target::Sqlite(path) = &f.target {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

/// Shops opening one new SQLite file at once (as processes starting
/// together would) all come up, and the file is migrated and seeded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shops_opening_a_new_sqlite_file_at_once_seed_it_once() {
    let f = Fixture::new(Backend::Sqlite).await;
    let path = f.dir.join("together.db");
    let opens: Vec<_> = (0..3)
        .map(|_| {
            let path = path.clone();
            tokio::spawn(async move {
                Shop::open(path)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for open in opens {
        open.await.unwrap().expect("every shop opens");
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT COUNT(*) FROM _sqlx_migrations WHERE success"),
        1
    );
    assert_eq!(count("SELECT COUNT(*) FROM seed_applied"), 1);
    assert_eq!(count("SELECT COUNT(*) FROM products"), 19);
    // As many events as in a file seeded alone: none twice.
    let once = f.count("SELECT COUNT(*) FROM shipment_events").await;
    assert_eq!(count("SELECT COUNT(*) FROM shipment_events"), once);
    assert_eq!(once, 26);
}

/// A SQLite path with spaces and non-ASCII letters (sqlx reaches SQLite
/// through a URL: the path must survive its encoding).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_path_with_spaces_and_umlauts_is_the_file_opened() {
    let f = Fixture::new(Backend::Sqlite).await;
    let dir = f.dir.join("a dir #1");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("Läden & Co?.db");
    let server = shop::server(Shop::open(&path).await.unwrap()).unwrap();
    let order = ok(
        &server.client().tenant("acme"),
        "get_order",
        json!({ "orderNumber": "ORD-10001" }),
    )
    .await;
    assert_eq!(order["orderNumber"], "ORD-10001");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM seed_applied", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    // No other file was made for it (a mangled name would be one).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(name.starts_with("Läden & Co?.db"), "{name}");
    }
}

/// A SQLite file made before the migrations (its schema in place, seeded,
/// no `_sqlx_migrations`, no `seed_applied`) opens with its data as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_the_migrations_keeps_its_data() {
    let f = Fixture::new(Backend::Sqlite).await;
    let quote = ok(
        &f.acme(),
        "create_quote",
        json!({ "customerId": "CUS-1002", "items": [{ "productId": "PRD-1002", "quantity": 1 }],
                "idempotencyKey": "legacy-quote-1" }),
    )
    .await;
    let Target::Sqlite(path) = f.target.clone() else {
        unreachable!()
    };
    {
        // What the previous version left: its own version mark only.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE _sqlx_migrations; DROP TABLE seed_applied;
             UPDATE products SET price_cents = 12345 WHERE id = 'PRD-1001';
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let reopened = shop::server(Shop::open(&path).await.unwrap()).unwrap();
    let acme = reopened.client().tenant("acme");
    let again = ok(
        &acme,
        "create_quote",
        json!({ "customerId": "CUS-1002", "items": [{ "productId": "PRD-1002", "quantity": 1 }],
                "idempotencyKey": "legacy-quote-1" }),
    )
    .await;
    assert_eq!(again, quote);
    // The seed changed nothing that was there (no reset price, no copies).
    let stock = ok(
        &acme,
        "check_inventory",
        json!({ "productIds": ["PRD-1001"] }),
    )
    .await;
    assert_eq!(stock["products"][0]["totalAvailable"], 18);
    assert_eq!(
        f.count("SELECT price_cents FROM products WHERE id = 'PRD-1001'")
            .await,
        12345
    );
    assert_eq!(f.count("SELECT COUNT(*) FROM products").await, 19);
    assert_eq!(f.count("SELECT COUNT(*) FROM quotes").await, 1);
    assert_eq!(f.count("SELECT COUNT(*) FROM seed_applied").await, 1);
}

on_both_backends!(
    lists_the_nine_tools_with_annotations,
    get_order_returns_the_seeded_order,
    get_order_error_kinds,
    search_products_matches_words_and_paginates,
    search_products_validation,
    check_inventory_per_warehouse,
    check_inventory_errors,
    get_customer_with_and_without_history,
    get_customer_errors,
    list_invoices_filters_and_pages,
    list_invoices_errors,
    get_shipping_status_with_events_newest_first,
    get_shipping_status_errors,
    create_quote_prices_discounts_and_taxes,
    create_quote_is_idempotent_under_retry,
    concurrent_retries_create_one_quote,
    create_quote_errors,
    submit_return_authorizes_and_is_idempotent,
    submit_return_is_all_or_nothing,
    submit_return_errors,
    tenants_never_see_each_others_records,
    reopening_keeps_the_data_and_does_not_reseed,
);
