//! The keys of `#[mcp_tool(...)]`, parsed with darling.

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::TokenStream;
use syn::{Expr, ExprLit, Lit, LitStr, Meta};

/// `#[mcp_tool(description = "...", name = "...", title = "...", read_only, ...)]`.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct ToolAttr {
    /// What the tool does; else the fn's doc comment.
    pub(crate) description: Option<Text>,
    /// Wire name; else the fn's name.
    pub(crate) name: Option<Text>,
    /// Display name.
    pub(crate) title: Option<Text>,
    /// `readOnlyHint`
    pub(crate) read_only: Option<Flag>,
    /// `destructiveHint`
    pub(crate) destructive: Option<Flag>,
    /// `idempotentHint`
    pub(crate) idempotent: Option<Flag>,
    /// `openWorldHint`
    pub(crate) open_world: Option<Flag>,
}

/// The keys, for messages.
const KEYS: [&str; 7] = [
    "description",
    "name",
    "title",
    "read_only",
    "destructive",
    "idempotent",
    "open_world",
];

/// A string key: `key = "..."`.
#[derive(Debug)]
pub(crate) struct Text(pub(crate) LitStr);

impl FromMeta for Text {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        if let Meta::NameValue(nv) = item
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            return Ok(Text(s.clone()));
        }
        let key = key_name(item);
        Err(darling::Error::custom(format_args!(
            "`{key}` takes a string literal: `{key} = \"...\"`"
        ))
        .with_span(&value_tokens(item)))
    }
}

/// A flag: `key`, `key = true` or `key = false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) bool);

impl FromMeta for Flag {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        match item {
            Meta::Path(_) => return Ok(Flag(true)),
            Meta::NameValue(nv) => {
                if let Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) = &nv.value
                {
                    return Ok(Flag(b.value));
                }
            }
            Meta::List(_) => {}
        }
        let key = key_name(item);
        Err(darling::Error::custom(format_args!(
            "`{key}` is a flag: write `{key}`, `{key} = true` or `{key} = false`"
        ))
        .with_span(&value_tokens(item)))
    }
}

fn key_name(item: &Meta) -> String {
    item.path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// What to point at when a key's value is wrong: the value, or the whole item.
fn value_tokens(item: &Meta) -> TokenStream {
    match item {
        Meta::NameValue(nv) => quote::ToTokens::to_token_stream(&nv.value),
        other => quote::ToTokens::to_token_stream(other),
    }
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
        let mut msg = e.to_string();
        // darling appends the key the error is about; our messages name it.
        if let Some((head, key)) = msg.rsplit_once(" at ")
            && KEYS.contains(&key)
        {
            msg = head.to_owned();
        }
        let msg = msg
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
        assert_eq!(a.read_only, Some(Flag(true)));
        assert_eq!(a.destructive, Some(Flag(false)));
        assert_eq!(a.idempotent, None);
        assert_eq!(a.name.unwrap().0.value(), "x");
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
    fn wrong_values() {
        let e = ToolAttr::parse(quote!(read_only = "yes", name = get_order)).unwrap_err();
        let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "`#[mcp_tool]`: `read_only` is a flag: write `read_only`, `read_only = true` or `read_only = false`",
                "`#[mcp_tool]`: `name` takes a string literal: `name = \"...\"`",
            ]
        );
    }

    #[test]
    fn every_error_is_reported() {
        let e = ToolAttr::parse(quote!(nmae = "x", tilte = "y")).unwrap_err();
        assert_eq!(e.into_iter().count(), 2);
    }
}
