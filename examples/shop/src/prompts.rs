//! The shop's prompt: `draft_order_reply`, a reply to a customer about one
//! of the caller's tenant's orders, with the order embedded as a resource.
//! Its `orderNumber` completes to the tenant's order numbers, its `tone` to
//! the tones there are.

use std::fmt;
use std::str::FromStr;

use mcp_runtime::prelude::*;

use crate::lookups;
use crate::orders::{Order, load_order};

/// How a reply sounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Polite and precise.
    Formal,
    /// Warm and plain (the default).
    Friendly,
    /// Sorry for what went wrong, and what is done about it.
    Apologetic,
}

impl Tone {
    /// Every tone, by name.
    pub const ALL: [(&'static str, Tone); 3] = [
        ("apologetic", Tone::Apologetic),
        ("formal", Tone::Formal),
        ("friendly", Tone::Friendly),
    ];
}

impl Tone {
    /// The tone with its article: `a formal`, `an apologetic`.
    fn with_article(self) -> String {
        match self {
            Tone::Apologetic => format!("an {self}"),
            Tone::Formal | Tone::Friendly => format!("a {self}"),
        }
    }
}

impl fmt::Display for Tone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Tone::ALL
            .iter()
            .find(|(_, t)| t == self)
            .map_or("friendly", |(n, _)| n);
        f.write_str(name)
    }
}

impl FromStr for Tone {
    type Err = String;

    fn from_str(s: &str) -> Result<Tone, String> {
        Tone::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, t)| *t)
            .ok_or_else(|| "use `formal`, `friendly` or `apologetic`".to_owned())
    }
}

/// The caller's tenant's order `number`, `None` if it has no such order
/// (another tenant's included).
pub(crate) async fn order_of_caller(
    number: &str,
    ctx: &ToolContext,
) -> Result<Option<Order>, McpError> {
    lookups::for_caller(ctx, number.to_owned(), |conn, (tenant, number)| {
        Box::pin(async move {
            if !lookups::has_order(conn, tenant, number).await? {
                return Ok(None);
            }
            load_order(conn, tenant, number).await.map(Some)
        })
    })
    .await
}

/// Draft a reply to the customer about one order: the order is embedded,
/// and the model is asked to answer from its facts in the tone given.
#[mcp_prompt(
    title = "Draft order reply",
    scopes = ["shop:read"],
    complete(orderNumber = crate::resources::complete_order_numbers, tone = complete_tones)
)]
async fn draft_order_reply(
    /// The order the customer asks about, e.g. `ORD-10001`.
    order_number: String,
    /// `formal`, `friendly` (default) or `apologetic`.
    tone: Option<Tone>,
    ctx: ToolContext,
) -> Result<PromptMessages, McpError> {
    let Some(order) = order_of_caller(&order_number, &ctx).await? else {
        return Err(McpError::not_found(format!(
            "order {order_number} not found"
        )));
    };
    let tone = tone.unwrap_or(Tone::Friendly);
    let json = serde_json::to_string(&order)
        .map_err(|e| McpError::internal(format_args!("order {order_number}: {e}")))?;
    // Its wire name (`delivered`), as the embedded order spells it.
    let status = serde_json::to_value(order.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let ask = format!(
        "Draft {} reply to customer {} about order {}, which is {}. Use only the facts of \
         the order above; if the customer needs something the order does not show, say what \
         you will check. Sign as the shop's customer service.",
        tone.with_article(),
        order.customer_id,
        order.order_number,
        status
    );
    Ok(PromptMessages::default()
        .with(PromptMessage::user(Content::resource_text(
            format!("shop://orders/{order_number}"),
            "application/json",
            json,
        )))
        .with(PromptMessage::user(Content::text(ask)))
        .with_description(capitalized(&format!(
            "{} reply about order {order_number}",
            tone.with_article()
        ))))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The tones that start with what was typed.
async fn complete_tones(value: String, _: CompletionArguments, _: ToolContext) -> Vec<String> {
    Tone::ALL
        .iter()
        .filter(|(n, _)| n.starts_with(&value))
        .map(|(n, _)| (*n).to_owned())
        .collect()
}
