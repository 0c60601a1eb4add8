//! The keys of `#[mcp_tool(...)]`, parsed with darling.

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::TokenStream;
use syn::LitStr;

/// `#[mcp_tool(description = "...", name = "...", title = "...", read_only, ...)]`.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct ToolAttr {
    /// What the tool does; else the fn's doc comment.
    pub(crate) description: Option<LitStr>,
    /// Wire name; else the fn's name.
    pub(crate) name: Option<LitStr>,
    /// Display name.
    pub(crate) title: Option<LitStr>,
    /// `readOnlyHint`
    pub(crate) read_only: Option<bool>,
    /// `destructiveHint`
    pub(crate) destructive: Option<bool>,
    /// `idempotentHint`
    pub(crate) idempotent: Option<bool>,
    /// `openWorldHint`
    pub(crate) open_world: Option<bool>,
}

impl ToolAttr {
    /// Parses the attribute's arguments. On error every problem is reported,
    /// as `syn::Error`s whose messages name the macro.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<ToolAttr> {
        let items = NestedMeta::parse_meta_list(args).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!(
                    "`#[mcp_tool]`: {e}; expected `key = \"value\"` or a flag, separated by commas"
                ),
            )
        })?;
        ToolAttr::from_list(&items).map_err(darling_to_syn)
    }
}

/// darling's messages speak of "fields"; ours of the attribute's keys.
fn darling_to_syn(err: darling::Error) -> syn::Error {
    let mut out: Option<syn::Error> = None;
    for e in err {
        let span = e.span();
        let msg = e
            .to_string()
            .replacen("Unknown field:", "unknown key", 1)
            .replacen("Duplicate field", "duplicate key", 1)
            .replacen(". Did you mean", "; did you mean", 1)
            .replacen(". Available values:", "; the keys are:", 1);
        let e = syn::Error::new(span, format!("`#[mcp_tool]`: {msg}"));
        match &mut out {
            Some(o) => o.combine(e),
            None => out = Some(e),
        }
    }
    out.unwrap_or_else(|| {
        syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[mcp_tool]`: invalid attribute",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn flags_are_words_or_bools() {
        let a = ToolAttr::parse(quote!(read_only, destructive = false, name = "x")).unwrap();
        assert_eq!(a.read_only, Some(true));
        assert_eq!(a.destructive, Some(false));
        assert_eq!(a.idempotent, None);
        assert_eq!(a.name.unwrap().value(), "x");
    }

    #[test]
    fn unknown_key_suggests() {
        let e = ToolAttr::parse(quote!(nmae = "x")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`#[mcp_tool]`: unknown key `nmae`; did you mean `name`?"
        );
    }

    #[test]
    fn duplicate_key() {
        let e = ToolAttr::parse(quote!(name = "x", name = "y")).unwrap_err();
        assert_eq!(e.to_string(), "`#[mcp_tool]`: duplicate key `name`");
    }

    #[test]
    fn every_error_is_reported() {
        let e = ToolAttr::parse(quote!(nmae = "x", tilte = "y")).unwrap_err();
        assert_eq!(e.into_iter().count(), 2);
    }
}
