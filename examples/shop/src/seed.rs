//! Demo data for two tenants, written once into a new database: in the
//! transaction that inserts the one row of `seed_applied`, so that replicas
//! starting at once on one fresh database seed it once (the others wait
//! for that row's insert, then find it there), and every insert is `ON
//! CONFLICT DO NOTHING`, so that a database seeded before `seed_applied`
//! existed keeps its data as it is.
//!
//! - `acme`: Acme Outdoor GmbH, Berlin; EUR, 19 % VAT. Customers
//!   `CUS-1001`..`CUS-1003`, products `PRD-1001`..`PRD-1010`, warehouses
//!   `WH-BER`, `WH-HAM`, orders `ORD-10001`..`ORD-10005`, invoices
//!   `INV-10001`..`INV-10005`.
//! - `globex`: Globex Electronics Inc., Chicago; USD, 8.25 % sales tax.
//!   Customers `CUS-2001`..`CUS-2003`, products `PRD-2001`..`PRD-2009`,
//!   warehouses `WH-CHI`, `WH-DAL`, orders `ORD-20001`..`ORD-20004`,
//!   invoices `INV-20001`..`INV-20004`.

use crate::Db;
use crate::db::{Conn, Failure, Query, now_and_date_in};
use crate::model::apply_rate;

struct Tenant {
    id: &'static str,
    name: &'static str,
    currency: &'static str,
    tax_rate_bp: i64,
    returns_address: &'static str,
}

const TENANTS: &[Tenant] = &[
    Tenant {
        id: "acme",
        name: "Acme Outdoor GmbH",
        currency: "EUR",
        tax_rate_bp: 1_900,
        returns_address: "Acme Outdoor GmbH, Returns, Lagerstraße 12, 13407 Berlin, DE",
    },
    Tenant {
        id: "globex",
        name: "Globex Electronics Inc.",
        currency: "USD",
        tax_rate_bp: 825,
        returns_address: "Globex Electronics Returns Center, 4100 W 47th St, Chicago, IL 60632, US",
    },
];

/// (tenant, id, name, email, phone, company, tier, customer since,
///  line1, line2, city, postal code, region, country)
type CustomerRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

#[rustfmt::skip]
const CUSTOMERS: &[CustomerRow] = &[
    ("acme", "CUS-1001", "Anna Schmidt", "anna.schmidt@example.com", Some("+49 30 5550 1234"), None, "gold", "2021-03-14",
     "Kastanienallee 21", None, "Berlin", "10435", None, "DE"),
    ("acme", "CUS-1002", "Jonas Weber", "jonas.weber@example.net", None, None, "standard", "2023-07-02",
     "Leopoldstraße 88", Some("3. OG"), "München", "80802", Some("Bayern"), "DE"),
    ("acme", "CUS-1003", "Lena Fischer", "einkauf@bergfreunde-hamburg.example.org", Some("+49 40 5550 7788"), Some("Bergfreunde Hamburg e.V."), "standard", "2022-11-20",
     "Elbchaussee 140", None, "Hamburg", "22763", None, "DE"),
    ("globex", "CUS-2001", "Maria Garcia", "maria.garcia@example.com", Some("+1 312 555 0142"), None, "gold", "2020-05-09",
     "1550 N Lake Shore Dr", Some("Apt 12B"), "Chicago", "60610", Some("IL"), "US"),
    ("globex", "CUS-2002", "David Chen", "david.chen@example.net", None, None, "standard", "2024-01-22",
     "2210 Elm St", None, "Dallas", "75201", Some("TX"), "US"),
    ("globex", "CUS-2003", "Priya Patel", "it@lakeside-dental.example.org", Some("+1 608 555 0199"), Some("Lakeside Dental Group"), "standard", "2025-02-03",
     "400 E Washington Ave", Some("Suite 300"), "Madison", "53703", Some("WI"), "US"),
];

/// (tenant, id, name, category, price in cents, description)
#[rustfmt::skip]
const PRODUCTS: &[(&str, &str, &str, &str, i64, &str)] = &[
    ("acme", "PRD-1001", "Trailblazer 2 Tent", "Tents", 24_900, "Two-person, three-season backpacking tent; 1.9 kg, aluminium poles, two vestibules."),
    ("acme", "PRD-1002", "Basecamp 4 Family Tent", "Tents", 42_900, "Four-person tunnel tent with a standing-height living area and blackout bedroom."),
    ("acme", "PRD-1003", "Alpine 45L Backpack", "Backpacks", 13_990, "45-litre trekking backpack with adjustable back system and rain cover."),
    ("acme", "PRD-1004", "Daypack 20L", "Backpacks", 5_990, "Light 20-litre daypack with hydration sleeve and hip belt."),
    ("acme", "PRD-1005", "Ridge Hiking Boots", "Footwear", 17_900, "Waterproof leather hiking boots with a Vibram sole, for multi-day hikes."),
    ("acme", "PRD-1006", "Trail Runner Shoes", "Footwear", 11_900, "Light trail running shoes with a rock plate and grippy lugs."),
    ("acme", "PRD-1007", "Down Sleeping Bag -5", "Sleeping Bags", 28_900, "Mummy sleeping bag with 700-fill down, comfort temperature -5 °C."),
    ("acme", "PRD-1008", "Titanium Camping Mug", "Accessories", 2_450, "450 ml titanium mug with folding handles and lid; 68 g."),
    ("acme", "PRD-1009", "Headlamp 400", "Accessories", 3_995, "Rechargeable 400-lumen headlamp with red light mode, IPX6."),
    ("acme", "PRD-1010", "Water Filter Pro", "Accessories", 4_900, "Hollow-fibre water filter, 0.1 micron, 1,500 litres per cartridge."),
    ("globex", "PRD-2001", "Globex ProBook 14", "Laptops", 129_900, "14-inch laptop, 16 GB RAM, 1 TB SSD, 18-hour battery."),
    ("globex", "PRD-2002", "Globex AirBook 13", "Laptops", 99_900, "13-inch ultralight laptop, 8 GB RAM, 512 GB SSD, 1.1 kg."),
    ("globex", "PRD-2003", "UltraView 27 4K Monitor", "Monitors", 44_999, "27-inch 4K IPS monitor with USB-C power delivery and height-adjustable stand."),
    ("globex", "PRD-2004", "UltraView 32 Curved Monitor", "Monitors", 59_900, "32-inch curved QHD monitor, 165 Hz, for gaming and trading desks."),
    ("globex", "PRD-2005", "NoiseGuard Wireless Headphones", "Audio", 24_999, "Over-ear wireless headphones with active noise cancelling, 30-hour battery."),
    ("globex", "PRD-2006", "SoundBar Mini", "Audio", 12_900, "Compact soundbar with Bluetooth and HDMI ARC."),
    ("globex", "PRD-2007", "USB-C Docking Station", "Accessories", 18_900, "Dock with two HDMI outputs, Ethernet, four USB ports and 100 W charging."),
    ("globex", "PRD-2008", "Ergonomic Wireless Mouse", "Accessories", 4_999, "Vertical wireless mouse, silent clicks, for right-handed use."),
    ("globex", "PRD-2009", "Mechanical Keyboard Pro", "Accessories", 8_900, "Tenkeyless mechanical keyboard with hot-swappable switches."),
];

/// (tenant, id, name, city, country)
#[rustfmt::skip]
const WAREHOUSES: &[(&str, &str, &str, &str, &str)] = &[
    ("acme", "WH-BER", "Berlin Central", "Berlin", "DE"),
    ("acme", "WH-HAM", "Hamburg Port", "Hamburg", "DE"),
    ("globex", "WH-CHI", "Chicago Midway", "Chicago", "US"),
    ("globex", "WH-DAL", "Dallas Fort Worth", "Dallas", "US"),
];

/// (product, warehouse, on hand, reserved). Missing pairs hold no stock.
#[rustfmt::skip]
const STOCK: &[(&str, &str, i64, i64)] = &[
    ("PRD-1001", "WH-BER", 14, 2), ("PRD-1001", "WH-HAM", 6, 0),
    ("PRD-1002", "WH-BER", 3, 1),
    ("PRD-1003", "WH-BER", 22, 4), ("PRD-1003", "WH-HAM", 9, 0),
    ("PRD-1004", "WH-BER", 40, 5), ("PRD-1004", "WH-HAM", 18, 2),
    ("PRD-1005", "WH-BER", 0, 0), ("PRD-1005", "WH-HAM", 7, 1),
    ("PRD-1006", "WH-BER", 12, 0),
    ("PRD-1007", "WH-HAM", 5, 5),
    ("PRD-1008", "WH-BER", 120, 10), ("PRD-1008", "WH-HAM", 60, 0),
    ("PRD-1009", "WH-BER", 35, 3),
    ("PRD-1010", "WH-BER", 0, 0), ("PRD-1010", "WH-HAM", 0, 0),
    ("PRD-2001", "WH-CHI", 25, 3), ("PRD-2001", "WH-DAL", 10, 0),
    ("PRD-2002", "WH-CHI", 0, 0), ("PRD-2002", "WH-DAL", 4, 4),
    ("PRD-2003", "WH-CHI", 18, 2), ("PRD-2003", "WH-DAL", 12, 1),
    ("PRD-2004", "WH-DAL", 6, 0),
    ("PRD-2005", "WH-CHI", 50, 8), ("PRD-2005", "WH-DAL", 30, 0),
    ("PRD-2006", "WH-CHI", 15, 0),
    ("PRD-2007", "WH-CHI", 40, 5), ("PRD-2007", "WH-DAL", 0, 0),
    ("PRD-2008", "WH-CHI", 75, 0), ("PRD-2008", "WH-DAL", 60, 6),
    ("PRD-2009", "WH-DAL", 20, 0),
];

/// (name, line1, line2, city, postal code, region, country)
type AddressRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

struct Order {
    tenant: &'static str,
    number: &'static str,
    customer: &'static str,
    status: &'static str,
    placed_at: &'static str,
    shipping_cents: i64,
    estimated_delivery: Option<&'static str>,
    /// (product, quantity); the unit price is the product's.
    items: &'static [(&'static str, i64)],
    /// Deliver to this address instead of the customer's: (name, line1, line2, city, postal code, region, country).
    ship_to: Option<AddressRow>,
}

const ORDERS: &[Order] = &[
    Order {
        tenant: "acme",
        number: "ORD-10001",
        customer: "CUS-1001",
        status: "delivered",
        placed_at: "2026-10-28T09:14:00Z",
        shipping_cents: 490,
        estimated_delivery: Some("2026-10-31"),
        items: &[("PRD-1001", 1), ("PRD-1008", 2)],
        ship_to: None,
    },
    Order {
        tenant: "acme",
        number: "ORD-10002",
        customer: "CUS-1001",
        status: "shipped",
        placed_at: "2026-11-17T16:40:00Z",
        shipping_cents: 490,
        estimated_delivery: Some("2026-11-23"),
        items: &[("PRD-1005", 1), ("PRD-1009", 1)],
        ship_to: None,
    },
    Order {
        tenant: "acme",
        number: "ORD-10003",
        customer: "CUS-1002",
        status: "processing",
        placed_at: "2026-11-20T08:05:00Z",
        shipping_cents: 0,
        estimated_delivery: Some("2026-11-26"),
        items: &[("PRD-1003", 1), ("PRD-1004", 1)],
        ship_to: None,
    },
    Order {
        tenant: "acme",
        number: "ORD-10004",
        customer: "CUS-1003",
        status: "delivered",
        placed_at: "2026-09-30T11:30:00Z",
        shipping_cents: 0,
        estimated_delivery: Some("2026-10-05"),
        items: &[("PRD-1002", 2), ("PRD-1007", 4)],
        ship_to: Some((
            "Bergfreunde Hamburg e.V., Materiallager",
            "Vereinsweg 3",
            None,
            "Hamburg",
            "22587",
            None,
            "DE",
        )),
    },
    Order {
        tenant: "acme",
        number: "ORD-10005",
        customer: "CUS-1002",
        status: "cancelled",
        placed_at: "2026-11-02T19:52:00Z",
        shipping_cents: 490,
        estimated_delivery: None,
        items: &[("PRD-1010", 1)],
        ship_to: None,
    },
    Order {
        tenant: "globex",
        number: "ORD-20001",
        customer: "CUS-2001",
        status: "delivered",
        placed_at: "2026-10-12T14:03:00Z",
        shipping_cents: 0,
        estimated_delivery: Some("2026-10-15"),
        items: &[("PRD-2001", 1), ("PRD-2008", 1)],
        ship_to: None,
    },
    Order {
        tenant: "globex",
        number: "ORD-20002",
        customer: "CUS-2002",
        status: "shipped",
        placed_at: "2026-11-18T10:22:00Z",
        shipping_cents: 1_499,
        estimated_delivery: Some("2026-11-22"),
        items: &[("PRD-2003", 2)],
        ship_to: None,
    },
    Order {
        tenant: "globex",
        number: "ORD-20003",
        customer: "CUS-2003",
        status: "pending",
        placed_at: "2026-11-21T02:30:00Z",
        shipping_cents: 0,
        estimated_delivery: Some("2026-11-28"),
        items: &[("PRD-2007", 5), ("PRD-2005", 5)],
        ship_to: None,
    },
    Order {
        tenant: "globex",
        number: "ORD-20004",
        customer: "CUS-2001",
        status: "delivered",
        placed_at: "2026-11-05T20:11:00Z",
        shipping_cents: 799,
        estimated_delivery: Some("2026-11-09"),
        items: &[("PRD-2005", 1)],
        ship_to: None,
    },
];

/// (tenant, number, customer, order, status, issued, due, paid;
///  amount of an invoice without order, in cents)
type InvoiceRow = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    i64,
);

#[rustfmt::skip]
const INVOICES: &[InvoiceRow] = &[
    ("acme", "INV-10001", "CUS-1001", Some("ORD-10001"), "paid", "2026-10-28", "2026-11-27", Some("2026-10-28"), 0),
    ("acme", "INV-10002", "CUS-1001", Some("ORD-10002"), "open", "2026-11-17", "2026-12-17", None, 0),
    ("acme", "INV-10003", "CUS-1003", Some("ORD-10004"), "overdue", "2026-09-30", "2026-10-30", None, 0),
    ("acme", "INV-10004", "CUS-1002", Some("ORD-10003"), "draft", "2026-11-20", "2026-12-20", None, 0),
    ("acme", "INV-10005", "CUS-1002", Some("ORD-10005"), "void", "2026-11-02", "2026-12-02", None, 0),
    ("globex", "INV-20001", "CUS-2001", Some("ORD-20001"), "paid", "2026-10-12", "2026-11-11", Some("2026-10-20"), 0),
    ("globex", "INV-20002", "CUS-2002", Some("ORD-20002"), "open", "2026-11-18", "2026-12-18", None, 0),
    ("globex", "INV-20003", "CUS-2001", Some("ORD-20004"), "paid", "2026-11-05", "2026-12-05", Some("2026-11-05"), 0),
    ("globex", "INV-20004", "CUS-2003", None, "overdue", "2026-09-15", "2026-10-15", None, 35_000),
];

struct Shipment {
    tenant: &'static str,
    tracking_number: &'static str,
    order: &'static str,
    carrier: &'static str,
    service: &'static str,
    status: &'static str,
    shipped_at: Option<&'static str>,
    estimated_delivery: Option<&'static str>,
    delivered_at: Option<&'static str>,
    /// (timestamp, location, status, description), oldest first.
    events: &'static [(&'static str, &'static str, &'static str, &'static str)],
}

const SHIPMENTS: &[Shipment] = &[
    Shipment {
        tenant: "acme",
        tracking_number: "1ZA4E5790312345671",
        order: "ORD-10001",
        carrier: "UPS",
        service: "UPS Standard",
        status: "delivered",
        shipped_at: Some("2026-10-29T06:40:00Z"),
        estimated_delivery: Some("2026-10-31"),
        delivered_at: Some("2026-10-31T13:21:00Z"),
        events: &[
            (
                "2026-10-28T15:02:00Z",
                "Berlin, DE",
                "label_created",
                "Shipping label created",
            ),
            (
                "2026-10-29T06:40:00Z",
                "Berlin, DE",
                "in_transit",
                "Picked up from Acme Outdoor, Berlin Central",
            ),
            (
                "2026-10-30T22:15:00Z",
                "Berlin-Schönefeld, DE",
                "in_transit",
                "Arrived at facility",
            ),
            (
                "2026-10-31T07:55:00Z",
                "Berlin, DE",
                "out_for_delivery",
                "Out for delivery",
            ),
            (
                "2026-10-31T13:21:00Z",
                "Berlin, DE",
                "delivered",
                "Delivered, left at front door",
            ),
        ],
    },
    Shipment {
        tenant: "acme",
        tracking_number: "JJD000390007718231",
        order: "ORD-10002",
        carrier: "DHL",
        service: "DHL Paket",
        status: "in_transit",
        shipped_at: Some("2026-11-18T19:30:00Z"),
        estimated_delivery: Some("2026-11-23"),
        delivered_at: None,
        events: &[
            (
                "2026-11-18T10:15:00Z",
                "Hamburg, DE",
                "label_created",
                "Shipment data received",
            ),
            (
                "2026-11-18T19:30:00Z",
                "Hamburg, DE",
                "in_transit",
                "Shipment picked up at Hamburg Port warehouse",
            ),
            (
                "2026-11-19T04:12:00Z",
                "Hamburg, DE",
                "in_transit",
                "Processed at parcel center",
            ),
            (
                "2026-11-20T02:47:00Z",
                "Ludwigsfelde, DE",
                "in_transit",
                "Arrived at destination parcel center",
            ),
        ],
    },
    Shipment {
        tenant: "acme",
        tracking_number: "JJD000390007712345",
        order: "ORD-10004",
        carrier: "DHL",
        service: "DHL Freight",
        status: "delivered",
        shipped_at: Some("2026-10-01T09:00:00Z"),
        estimated_delivery: Some("2026-10-05"),
        delivered_at: Some("2026-10-02T10:48:00Z"),
        events: &[
            (
                "2026-09-30T16:20:00Z",
                "Berlin, DE",
                "label_created",
                "Shipment data received",
            ),
            (
                "2026-10-01T09:00:00Z",
                "Berlin, DE",
                "in_transit",
                "Picked up",
            ),
            (
                "2026-10-02T06:30:00Z",
                "Hamburg, DE",
                "out_for_delivery",
                "Out for delivery",
            ),
            (
                "2026-10-02T10:48:00Z",
                "Hamburg, DE",
                "delivered",
                "Delivered, signed by M. Krüger",
            ),
        ],
    },
    Shipment {
        tenant: "globex",
        tracking_number: "794612345678",
        order: "ORD-20001",
        carrier: "FedEx",
        service: "FedEx 2Day",
        status: "delivered",
        shipped_at: Some("2026-10-13T17:45:00Z"),
        estimated_delivery: Some("2026-10-15"),
        delivered_at: Some("2026-10-15T15:02:00Z"),
        events: &[
            (
                "2026-10-12T18:10:00Z",
                "Chicago, IL, US",
                "label_created",
                "Shipment information sent to FedEx",
            ),
            (
                "2026-10-13T17:45:00Z",
                "Chicago, IL, US",
                "in_transit",
                "Picked up",
            ),
            (
                "2026-10-15T08:20:00Z",
                "Chicago, IL, US",
                "out_for_delivery",
                "On FedEx vehicle for delivery",
            ),
            (
                "2026-10-15T15:02:00Z",
                "Chicago, IL, US",
                "delivered",
                "Delivered, signed by M. GARCIA",
            ),
        ],
    },
    Shipment {
        tenant: "globex",
        tracking_number: "1Z9G1B470312345678",
        order: "ORD-20002",
        carrier: "UPS",
        service: "UPS Ground",
        status: "out_for_delivery",
        shipped_at: Some("2026-11-19T21:05:00Z"),
        estimated_delivery: Some("2026-11-22"),
        delivered_at: None,
        events: &[
            (
                "2026-11-18T16:30:00Z",
                "Chicago, IL, US",
                "label_created",
                "Shipper created a label",
            ),
            (
                "2026-11-19T21:05:00Z",
                "Chicago, IL, US",
                "in_transit",
                "Departed from facility",
            ),
            (
                "2026-11-20T23:40:00Z",
                "Mesquite, TX, US",
                "in_transit",
                "Arrived at facility",
            ),
            (
                "2026-11-21T07:10:00Z",
                "Dallas, TX, US",
                "out_for_delivery",
                "Out for delivery today",
            ),
        ],
    },
    Shipment {
        tenant: "globex",
        tracking_number: "9400111899223100001234",
        order: "ORD-20004",
        carrier: "USPS",
        service: "USPS Priority Mail",
        status: "delivered",
        shipped_at: Some("2026-11-06T15:30:00Z"),
        estimated_delivery: Some("2026-11-09"),
        delivered_at: Some("2026-11-10T12:14:00Z"),
        events: &[
            (
                "2026-11-05T22:00:00Z",
                "Chicago, IL, US",
                "label_created",
                "Shipping label created, USPS awaiting item",
            ),
            (
                "2026-11-06T15:30:00Z",
                "Chicago, IL, US",
                "in_transit",
                "Accepted at USPS origin facility",
            ),
            (
                "2026-11-09T09:45:00Z",
                "Chicago, IL, US",
                "exception",
                "Delivery attempted, no access to delivery location",
            ),
            (
                "2026-11-10T08:05:00Z",
                "Chicago, IL, US",
                "out_for_delivery",
                "Out for delivery",
            ),
            (
                "2026-11-10T12:14:00Z",
                "Chicago, IL, US",
                "delivered",
                "Delivered, in/at mailbox",
            ),
        ],
    },
];

/// Apply the seed unless it was: `Ok(true)` when this call applied it.
pub(crate) async fn apply(db: &Db) -> Result<bool, Failure> {
    db.write_at_start((), |tx, ()| seed_once(tx)).await
}

fn seed_once(tx: &mut Conn) -> Query<'_, bool> {
    Box::pin(async move {
        let (now, _) = now_and_date_in(0);
        let first: Option<i64> = sqlx::query_scalar(
            "INSERT INTO seed_applied (id, applied_at) VALUES (1, $1) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if first.is_none() {
            return Ok(false);
        }
        seed(tx).await?;
        Ok(true)
    })
}

/// Write the demo data.
async fn seed(tx: &mut Conn) -> Result<(), sqlx::Error> {
    for t in TENANTS {
        sqlx::query(
            "INSERT INTO tenants (id, name, currency, tax_rate_bp, returns_address) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        ).bind(t.id).bind(t.name).bind(t.currency).bind(t.tax_rate_bp).bind(t.returns_address)
        .execute(&mut *tx)
        .await?;
    }
    for c in CUSTOMERS {
        sqlx::query(
            "INSERT INTO customers (tenant_id, id, name, email, phone, company, tier, customer_since, \
             line1, line2, city, postal_code, region, country) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING",
        ).bind(c.0).bind(c.1).bind(c.2).bind(c.3).bind(c.4).bind(c.5).bind(c.6).bind(c.7).bind(c.8).bind(c.9).bind(c.10).bind(c.11).bind(c.12).bind(c.13)
        .execute(&mut *tx)
        .await?;
    }
    for p in PRODUCTS {
        sqlx::query(
            "INSERT INTO products (tenant_id, id, name, category, price_cents, description) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(p.0)
        .bind(p.1)
        .bind(p.2)
        .bind(p.3)
        .bind(p.4)
        .bind(p.5)
        .execute(&mut *tx)
        .await?;
    }
    for w in WAREHOUSES {
        sqlx::query(
            "INSERT INTO warehouses (tenant_id, id, name, city, country) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        ).bind(w.0).bind(w.1).bind(w.2).bind(w.3).bind(w.4)
        .execute(&mut *tx)
        .await?;
    }
    for s in STOCK {
        sqlx::query(
            "INSERT INTO stock (product_id, warehouse_id, on_hand, reserved) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        ).bind(s.0).bind(s.1).bind(s.2).bind(s.3)
        .execute(&mut *tx)
        .await?;
    }
    let mut order_totals = Vec::new();
    for o in ORDERS {
        let tax_rate = TENANTS
            .iter()
            .find(|t| t.id == o.tenant)
            .map_or(0, |t| t.tax_rate_bp);
        let subtotal: i64 = o.items.iter().map(|(p, q)| price_of(p) * q).sum();
        let tax = apply_rate(subtotal + o.shipping_cents, tax_rate);
        order_totals.push((o.number, subtotal + o.shipping_cents + tax));
        let c = CUSTOMERS
            .iter()
            .find(|c| c.1 == o.customer)
            .expect("seed orders name seeded customers");
        let to = o.ship_to.unwrap_or((c.2, c.8, c.9, c.10, c.11, c.12, c.13));
        let recipient = match (o.ship_to, c.5) {
            (None, Some(company)) => company,
            _ => to.0,
        };
        sqlx::query(
            "INSERT INTO orders (tenant_id, number, customer_id, status, placed_at, shipping_cents, tax_cents, \
             estimated_delivery, ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, ship_region, ship_country) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING",
        ).bind(o.tenant).bind(o.number).bind(o.customer).bind(o.status).bind(o.placed_at).bind(o.shipping_cents).bind(tax).bind(o.estimated_delivery).bind(recipient).bind(to.1).bind(to.2).bind(to.3).bind(to.4).bind(to.5).bind(to.6)
        .execute(&mut *tx)
        .await?;
        for (line, (product, qty)) in o.items.iter().enumerate() {
            sqlx::query(
            "INSERT INTO order_items (order_number, line_no, product_id, quantity, unit_price_cents) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        ).bind(o.number).bind(line as i64 + 1).bind(product).bind(qty).bind(price_of(product))
        .execute(&mut *tx)
        .await?;
        }
    }
    for i in INVOICES {
        let total = match i.3 {
            Some(order) => order_totals
                .iter()
                .find(|(n, _)| *n == order)
                .map_or(0, |(_, t)| *t),
            None => i.8,
        };
        let due = match i.4 {
            "open" | "overdue" | "draft" => total,
            _ => 0,
        };
        sqlx::query(
            "INSERT INTO invoices (tenant_id, number, customer_id, order_number, status, issued_on, due_on, \
             paid_on, total_cents, amount_due_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        ).bind(i.0).bind(i.1).bind(i.2).bind(i.3).bind(i.4).bind(i.5).bind(i.6).bind(i.7).bind(total).bind(due)
        .execute(&mut *tx)
        .await?;
    }
    for s in SHIPMENTS {
        sqlx::query(
            "INSERT INTO shipments (tenant_id, tracking_number, order_number, carrier, service, status, \
             shipped_at, estimated_delivery, delivered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        ).bind(s.tenant).bind(s.tracking_number).bind(s.order).bind(s.carrier).bind(s.service).bind(s.status).bind(s.shipped_at).bind(s.estimated_delivery).bind(s.delivered_at)
        .execute(&mut *tx)
        .await?;
        for (seq, e) in s.events.iter().enumerate() {
            sqlx::query(
            "INSERT INTO shipment_events (tracking_number, seq, occurred_at, location, status, description) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        ).bind(s.tracking_number).bind(seq as i64 + 1).bind(e.0).bind(e.1).bind(e.2).bind(e.3)
        .execute(&mut *tx)
        .await?;
        }
    }
    Ok(())
}

fn price_of(product: &str) -> i64 {
    PRODUCTS.iter().find(|p| p.1 == product).map_or(0, |p| p.4)
}
