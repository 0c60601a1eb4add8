//! What a completer receives: the arguments a client already filled in.
//!
//! A completer is an `async fn` named in `complete(...)` of
//! `#[mcp_resource]` (for a template variable) or `#[mcp_prompt]` (for an
//! argument). `completion/complete` runs it with the partial value, the
//! other arguments already given (`context.arguments` of the request, only
//! those the prompt or template declares) and a [`ToolContext`](crate::ToolContext)
//! whose `tenant_id()` is the caller's, by the rule reads and prompts use.
//! The server sends at most [`MAX_VALUES`] of the values it returns, with
//! `total` and `hasMore` set from the rest.

/// The most values one `completion/complete` answer carries (the spec's cap).
pub const MAX_VALUES: usize = 100;

/// The other arguments of a prompt, or variables of a URI template, that the
/// client has already given, by wire name (`productId`, not `product_id`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CompletionArguments {
    values: Vec<(String, String)>,
}

impl CompletionArguments {
    pub(crate) fn new(values: Vec<(String, String)>) -> CompletionArguments {
        CompletionArguments { values }
    }

    /// The value given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every (name, value) given, in the order of the declaration.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether none was given.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
