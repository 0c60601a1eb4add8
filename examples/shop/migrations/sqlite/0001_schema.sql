-- The shop's schema on SQLite. IF NOT EXISTS: a database created before the
-- migrations (PRAGMA user_version = 1, same tables) takes this migration as
-- applied without change.
CREATE TABLE IF NOT EXISTS tenants (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    tax_rate_bp     INTEGER NOT NULL,          -- 1900 = 19 %
    returns_address TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customers (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    phone          TEXT,
    company        TEXT,
    tier           TEXT NOT NULL CHECK (tier IN ('standard', 'gold')),
    customer_since TEXT NOT NULL,
    line1          TEXT NOT NULL,
    line2          TEXT,
    city           TEXT NOT NULL,
    postal_code    TEXT NOT NULL,
    region         TEXT,
    country        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_tenant ON customers(tenant_id);
CREATE TABLE IF NOT EXISTS products (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);
CREATE INDEX IF NOT EXISTS products_tenant ON products(tenant_id, category);
CREATE TABLE IF NOT EXISTS warehouses (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name      TEXT NOT NULL,
    city      TEXT NOT NULL,
    country   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stock (
    product_id   TEXT NOT NULL REFERENCES products(id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses(id),
    on_hand      INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved     INTEGER NOT NULL CHECK (reserved >= 0),
    PRIMARY KEY (product_id, warehouse_id)
);
CREATE TABLE IF NOT EXISTS orders (
    number             TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    status             TEXT NOT NULL
                       CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    placed_at          TEXT NOT NULL,
    shipping_cents     INTEGER NOT NULL,
    tax_cents          INTEGER NOT NULL,
    estimated_delivery TEXT,
    ship_name          TEXT NOT NULL,
    ship_line1         TEXT NOT NULL,
    ship_line2         TEXT,
    ship_city          TEXT NOT NULL,
    ship_postal_code   TEXT NOT NULL,
    ship_region        TEXT,
    ship_country       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_customer ON orders(tenant_id, customer_id);
CREATE TABLE IF NOT EXISTS order_items (
    order_number     TEXT NOT NULL REFERENCES orders(number),
    line_no          INTEGER NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_number, product_id)
);
CREATE TABLE IF NOT EXISTS invoices (
    number          TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    order_number    TEXT REFERENCES orders(number),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'overdue', 'void')),
    issued_on       TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    paid_on         TEXT,
    total_cents     INTEGER NOT NULL,
    amount_due_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_tenant ON invoices(tenant_id, customer_id);
CREATE TABLE IF NOT EXISTS shipments (
    tracking_number    TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    order_number       TEXT NOT NULL REFERENCES orders(number),
    carrier            TEXT NOT NULL,
    service            TEXT NOT NULL,
    status             TEXT NOT NULL
                       CHECK (status IN ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception')),
    shipped_at         TEXT,
    estimated_delivery TEXT,
    delivered_at       TEXT
);
CREATE TABLE IF NOT EXISTS shipment_events (
    tracking_number TEXT NOT NULL REFERENCES shipments(tracking_number),
    seq             INTEGER NOT NULL,
    occurred_at     TEXT NOT NULL,
    location        TEXT NOT NULL,
    status          TEXT NOT NULL,
    description     TEXT NOT NULL,
    PRIMARY KEY (tracking_number, seq)
);
CREATE TABLE IF NOT EXISTS quotes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,             -- the request, canonical, to detect a reused key
    subtotal_cents  INTEGER NOT NULL,
    discount_cents  INTEGER NOT NULL,
    tax_cents       INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS quote_lines (
    quote_id         INTEGER NOT NULL REFERENCES quotes(id),
    line_no          INTEGER NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (quote_id, line_no)
);
CREATE TABLE IF NOT EXISTS returns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    rma_number      TEXT UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    order_number    TEXT NOT NULL REFERENCES orders(number),
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    ship_by         TEXT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS return_items (
    return_id    INTEGER NOT NULL REFERENCES returns(id),
    line_no      INTEGER NOT NULL,
    product_id   TEXT NOT NULL REFERENCES products(id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    reason       TEXT NOT NULL,
    refund_cents INTEGER NOT NULL,
    PRIMARY KEY (return_id, line_no)
);
-- One row once the demo data is in (src/seed.rs): the seed runs in the
-- transaction that inserts it, so replicas starting at once seed once.
CREATE TABLE IF NOT EXISTS seed_applied (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    applied_at TEXT NOT NULL
);
