-- The shop's schema on Postgres: the SQLite schema's tables and constraints,
-- with BIGINT for INTEGER (what the code reads as i64) and identity columns
-- for AUTOINCREMENT.
CREATE TABLE tenants (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    tax_rate_bp     BIGINT NOT NULL,          -- 1900 = 19 %
    returns_address TEXT NOT NULL
);
CREATE TABLE customers (
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
CREATE INDEX customers_tenant ON customers(tenant_id);
CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0)
);
CREATE INDEX products_tenant ON products(tenant_id, category);
CREATE TABLE warehouses (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name      TEXT NOT NULL,
    city      TEXT NOT NULL,
    country   TEXT NOT NULL
);
CREATE TABLE stock (
    product_id   TEXT NOT NULL REFERENCES products(id),
    warehouse_id TEXT NOT NULL REFERENCES warehouses(id),
    on_hand      BIGINT NOT NULL CHECK (on_hand >= 0),
    reserved     BIGINT NOT NULL CHECK (reserved >= 0),
    PRIMARY KEY (product_id, warehouse_id)
);
CREATE TABLE orders (
    number             TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    status             TEXT NOT NULL
                       CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    placed_at          TEXT NOT NULL,
    shipping_cents     BIGINT NOT NULL,
    tax_cents          BIGINT NOT NULL,
    estimated_delivery TEXT,
    ship_name          TEXT NOT NULL,
    ship_line1         TEXT NOT NULL,
    ship_line2         TEXT,
    ship_city          TEXT NOT NULL,
    ship_postal_code   TEXT NOT NULL,
    ship_region        TEXT,
    ship_country       TEXT NOT NULL
);
CREATE INDEX orders_customer ON orders(tenant_id, customer_id);
CREATE TABLE order_items (
    order_number     TEXT NOT NULL REFERENCES orders(number),
    line_no          BIGINT NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL,
    PRIMARY KEY (order_number, product_id)
);
CREATE TABLE invoices (
    number          TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    order_number    TEXT REFERENCES orders(number),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'overdue', 'void')),
    issued_on       TEXT NOT NULL,
    due_on          TEXT NOT NULL,
    paid_on         TEXT,
    total_cents     BIGINT NOT NULL,
    amount_due_cents BIGINT NOT NULL
);
CREATE INDEX invoices_tenant ON invoices(tenant_id, customer_id);
CREATE TABLE shipments (
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
CREATE TABLE shipment_events (
    tracking_number TEXT NOT NULL REFERENCES shipments(tracking_number),
    seq             BIGINT NOT NULL,
    occurred_at     TEXT NOT NULL,
    location        TEXT NOT NULL,
    status          TEXT NOT NULL,
    description     TEXT NOT NULL,
    PRIMARY KEY (tracking_number, seq)
);
CREATE TABLE quotes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          TEXT UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    idempotency_key TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,             -- the request, canonical, to detect a reused key
    subtotal_cents  BIGINT NOT NULL,
    discount_cents  BIGINT NOT NULL,
    tax_cents       BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);
CREATE TABLE quote_lines (
    quote_id         BIGINT NOT NULL REFERENCES quotes(id),
    line_no          BIGINT NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL,
    PRIMARY KEY (quote_id, line_no)
);
CREATE TABLE returns (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
CREATE TABLE return_items (
    return_id    BIGINT NOT NULL REFERENCES returns(id),
    line_no      BIGINT NOT NULL,
    product_id   TEXT NOT NULL REFERENCES products(id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    reason       TEXT NOT NULL,
    refund_cents BIGINT NOT NULL,
    PRIMARY KEY (return_id, line_no)
);
-- One row once the demo data is in (src/seed.rs): the seed runs in the
-- transaction that inserts it, so replicas starting at once seed once.
CREATE TABLE seed_applied (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    applied_at TEXT NOT NULL
);
