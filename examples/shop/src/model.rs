//! Types shared by several tools: money, addresses, pagination, and the
//! formats of the shop's identifiers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Format of an order number: `ORD-` and five digits.
pub const ORDER_NUMBER: &str = r"^ORD-\d{5}$";
/// Format of a customer id: `CUS-` and four digits.
pub const CUSTOMER_ID: &str = r"^CUS-\d{4}$";
/// Format of a product id: `PRD-` and four digits.
pub const PRODUCT_ID: &str = r"^PRD-\d{4}$";
/// Format of a warehouse id: `WH-` and three capital letters.
pub const WAREHOUSE_ID: &str = r"^WH-[A-Z]{3}$";
/// Format of a carrier tracking number: 10 to 30 capital letters and digits.
pub const TRACKING_NUMBER: &str = r"^[A-Z0-9]{10,30}$";
/// Format of an idempotency key: letters, digits, `-`, `_`, `.` and `:`.
pub const IDEMPOTENCY_KEY: &str = r"^[A-Za-z0-9_.:-]+$";

/// Default number of results per page of a search.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// An amount of money.
///
/// The shop's one money representation, in every result: `amount` is a
/// decimal **string** with exactly two fraction digits (`"12.50"`), so no
/// precision is lost to binary floating point, and `currency` is the ISO 4217
/// code. Internally amounts are integer cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// The amount as a decimal string with two fraction digits, e.g. `"249.00"`.
    #[schemars(regex(pattern = r"^-?\d+\.\d{2}$"), example = "249.00")]
    pub amount: String,
    /// ISO 4217 currency code, e.g. `EUR`.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"), example = &"EUR")]
    pub currency: String,
}

impl Money {
    /// `cents` in `currency`: `Money::from_cents(1250, "EUR")` is `"12.50" EUR`.
    pub fn from_cents(cents: i64, currency: &str) -> Money {
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        Money {
            amount: format!("{sign}{}.{:02}", abs / 100, abs % 100),
            currency: currency.to_owned(),
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Recipient: a person or a company.
    pub name: String,
    /// Street and number.
    pub line1: String,
    /// Second address line (c/o, floor, suite), `null` if none.
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// State or region, `null` where not used.
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. `DE`.
    pub country: String,
}

/// Where a page of results sits in the whole result set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// This page's number, from 1.
    pub page: u32,
    /// Results per page.
    pub page_size: u32,
    /// Results across all pages.
    pub total_items: u64,
    /// Number of pages (0 when there are no results).
    pub total_pages: u64,
}

/// The page window of a search: page number, page size, SQL offset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) page: u32,
    pub(crate) size: u32,
}

impl Window {
    pub(crate) fn new(page: Option<u32>, size: Option<u32>) -> Window {
        Window {
            page: page.unwrap_or(1).max(1),
            size: size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, 100),
        }
    }

    pub(crate) fn limit(self) -> i64 {
        i64::from(self.size)
    }

    pub(crate) fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.size)
    }

    pub(crate) fn pagination(self, total_items: u64) -> Pagination {
        Pagination {
            page: self.page,
            page_size: self.size,
            total_items,
            total_pages: total_items.div_ceil(u64::from(self.size)),
        }
    }
}

/// `amount × rate` for a rate in basis points (1900 = 19 %), rounded half up.
pub(crate) fn apply_rate(amount_cents: i64, rate_bp: i64) -> i64 {
    (amount_cents * rate_bp + 5_000).div_euclid(10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_cents() {
        assert_eq!(Money::from_cents(1250, "EUR").amount, "12.50");
        assert_eq!(Money::from_cents(5, "EUR").amount, "0.05");
        assert_eq!(Money::from_cents(-1999, "USD").amount, "-19.99");
        assert_eq!(Money::from_cents(0, "USD").amount, "0.00");
    }

    #[test]
    fn rates_round_half_up() {
        assert_eq!(apply_rate(29_800, 1_900), 5_662);
        assert_eq!(apply_rate(50, 1_000), 5);
        assert_eq!(apply_rate(5, 1_000), 1);
        assert_eq!(apply_rate(4, 1_000), 0);
    }

    #[test]
    fn windows() {
        let w = Window::new(Some(3), Some(10));
        assert_eq!((w.limit(), w.offset()), (10, 20));
        assert_eq!(w.pagination(21).total_pages, 3);
        assert_eq!(Window::new(None, None).pagination(0).total_pages, 0);
    }
}
