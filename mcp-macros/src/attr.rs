//! The keys of `#[mcp_tool(...)]`, parsed with darling.
//!
//! `ToolAttr` implements `FromMeta` by hand rather than deriving it: the
//! derive words its own errors ("Unknown field", "Duplicate field"), and the
//! user should read about the attribute's keys, in our words. Every message
//! is written here, where its error is found.

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::path_to_string;
use proc_macro2::TokenStream;
use syn::{Expr, ExprLit, Lit, LitStr, Meta};

use crate::diag::{closest, into_syn, list};

/// `#[mcp_tool(description = "...", name = "...", title = "...", read_only, ...)]`.
#[derive(Debug, Default)]
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
    /// OAuth scopes a caller must hold, every one of them.
    pub(crate) scopes: Option<Strings>,
    /// Task support (the tasks extension): `"optional"` or `"required"`.
    pub(crate) task: Option<Text>,
}

/// Stores a key's value in its field of [`ToolAttr`].
type Setter = fn(&mut ToolAttr, &Meta) -> darling::Result<()>;

/// The keys, in alphabetical order (the order the messages list them in).
const KEYS: [(&str, Setter); 9] = [
    ("description", |a, m| put(&mut a.description, m)),
    ("destructive", |a, m| put(&mut a.destructive, m)),
    ("idempotent", |a, m| put(&mut a.idempotent, m)),
    ("name", |a, m| put(&mut a.name, m)),
    ("open_world", |a, m| put(&mut a.open_world, m)),
    ("read_only", |a, m| put(&mut a.read_only, m)),
    ("scopes", |a, m| put(&mut a.scopes, m)),
    ("task", |a, m| put(&mut a.task, m)),
    ("title", |a, m| put(&mut a.title, m)),
];

fn put<T: FromMeta>(field: &mut Option<T>, meta: &Meta) -> darling::Result<()> {
    *field = Some(T::from_meta(meta)?);
    Ok(())
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
        ToolAttr::from_list(&items).map_err(into_syn)
    }
}

impl FromMeta for ToolAttr {
    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut attr = ToolAttr::default();
        let mut errors = darling::Error::accumulator();
        let mut seen: Vec<&str> = Vec::new();
        for item in items {
            let meta = match item {
                NestedMeta::Meta(meta) => meta,
                NestedMeta::Lit(lit) => {
                    errors.push(
                        darling::Error::custom(
                            "`#[mcp_tool]`: expected `key = \"value\"` or a flag, not a literal",
                        )
                        .with_span(lit),
                    );
                    continue;
                }
            };
            let name = path_to_string(meta.path());
            let Some((key, set)) = KEYS.into_iter().find(|(k, _)| *k == name) else {
                errors.push(darling::Error::custom(unknown_key(&name)).with_span(meta));
                continue;
            };
            if seen.contains(&key) {
                errors.push(
                    darling::Error::custom(format_args!("`#[mcp_tool]`: duplicate key `{key}`"))
                        .with_span(meta),
                );
                continue;
            }
            seen.push(key);
            errors.handle(set(&mut attr, meta));
        }
        errors.finish_with(attr)
    }
}

/// The message for a key that is not one of [`KEYS`]: the closest key if
/// one is close, else all of them.
fn unknown_key(name: &str) -> String {
    let keys = KEYS.iter().map(|(k, _)| *k);
    match closest(name, keys.clone()) {
        Some(key) => format!("`#[mcp_tool]`: unknown key `{name}`; did you mean `{key}`?"),
        None => format!(
            "`#[mcp_tool]`: unknown key `{name}`; the keys are: {}",
            list(keys)
        ),
    }
}

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
            "`#[mcp_tool]`: `{key}` takes a string literal: `{key} = \"...\"`"
        ))
        .with_span(&value_tokens(item)))
    }
}

/// A list of strings: `key = ["a", "b"]`, and the list's tokens (to point at).
#[derive(Debug)]
pub(crate) struct Strings(pub(crate) Vec<LitStr>, pub(crate) TokenStream);

impl FromMeta for Strings {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        Strings::parse("mcp_tool", item)
    }
}

impl Strings {
    /// `key = ["a", "b"]` of `#[mac]`.
    pub(crate) fn parse(mac: &str, item: &Meta) -> darling::Result<Self> {
        if let Meta::NameValue(nv) = item
            && let Expr::Array(array) = &nv.value
        {
            let mut errors = darling::Error::accumulator();
            let mut items = Vec::new();
            for elem in &array.elems {
                match elem {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => items.push(s.clone()),
                    other => errors.push(
                        darling::Error::custom(format_args!(
                            "`#[{mac}]`: `{}` takes string literals: `{0} = [\"a\", \"b\"]`",
                            key_name(item)
                        ))
                        .with_span(other),
                    ),
                }
            }
            return errors.finish_with(Strings(items, value_tokens(item)));
        }
        let key = key_name(item);
        Err(darling::Error::custom(format_args!(
            "`#[{mac}]`: `{key}` takes a list of string literals: `{key} = [\"a\", \"b\"]`"
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
            "`#[mcp_tool]`: `{key}` is a flag: write `{key}`, `{key} = true` or `{key} = false`"
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
    fn unknown_key_lists_the_keys() {
        let e = ToolAttr::parse(quote!(zzz)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`#[mcp_tool]`: unknown key `zzz`; the keys are: `description`, `destructive`, \
             `idempotent`, `name`, `open_world`, `read_only`, `scopes`, `task`, `title`"
        );
    }

    #[test]
    fn a_literal_is_not_a_key() {
        let e = ToolAttr::parse(quote!("Look up an order.")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`#[mcp_tool]`: expected `key = \"value\"` or a flag, not a literal"
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
    fn scopes_are_a_list_of_strings() {
        let a = ToolAttr::parse(quote!(scopes = ["orders:write", "shop:read"])).unwrap();
        let scopes: Vec<String> = a.scopes.unwrap().0.iter().map(LitStr::value).collect();
        assert_eq!(scopes, ["orders:write", "shop:read"]);
        let e = ToolAttr::parse(quote!(scopes = "orders:write")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`#[mcp_tool]`: `scopes` takes a list of string literals: `scopes = [\"a\", \"b\"]`"
        );
        let e = ToolAttr::parse(quote!(scopes = ["a", b, 3])).unwrap_err();
        assert_eq!(e.into_iter().count(), 2);
    }

    #[test]
    fn every_error_is_reported() {
        let e = ToolAttr::parse(quote!(nmae = "x", tilte = "y")).unwrap_err();
        assert_eq!(e.into_iter().count(), 2);
    }
}
