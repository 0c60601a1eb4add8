//! The keys of `#[mcp_resource(...)]`, parsed with darling; every message
//! is written here, in the attribute's words (as `crate::attr` does for
//! `#[mcp_tool]`).

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::path_to_string;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprLit, Lit, LitFloat, LitInt, LitStr, Meta};

use crate::attr::Strings;
use crate::complete::{self, Completer};
use crate::diag::{closest, into_syn, list};

/// `#[mcp_resource(uri = "...", mime_type = "...", ...)]`.
#[derive(Debug, Default)]
pub(crate) struct ResourceAttr {
    pub(crate) complete: Vec<Completer>,
    pub(crate) audience: Option<(Vec<LitStr>, TokenStream)>,
    pub(crate) description: Option<LitStr>,
    pub(crate) mime_type: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) priority: Option<LitFloat>,
    pub(crate) scopes: Option<Strings>,
    pub(crate) size: Option<LitInt>,
    pub(crate) title: Option<LitStr>,
    pub(crate) uri: Option<LitStr>,
    pub(crate) uri_template: Option<LitStr>,
}

type Setter = fn(&mut ResourceAttr, &Meta) -> darling::Result<()>;

const KEYS: [(&str, Setter); 11] = [
    ("audience", |a, m| strings(m).map(|v| a.audience = Some(v))),
    ("complete", |a, m| {
        complete::parse("mcp_resource", m).map(|v| a.complete = v)
    }),
    ("description", |a, m| {
        text(m).map(|v| a.description = Some(v))
    }),
    ("mime_type", |a, m| text(m).map(|v| a.mime_type = Some(v))),
    ("name", |a, m| text(m).map(|v| a.name = Some(v))),
    ("priority", |a, m| float(m).map(|v| a.priority = Some(v))),
    ("scopes", |a, m| {
        Strings::parse("mcp_resource", m).map(|v| a.scopes = Some(v))
    }),
    ("size", |a, m| int(m).map(|v| a.size = Some(v))),
    ("title", |a, m| text(m).map(|v| a.title = Some(v))),
    ("uri", |a, m| text(m).map(|v| a.uri = Some(v))),
    ("uri_template", |a, m| {
        text(m).map(|v| a.uri_template = Some(v))
    }),
];

impl ResourceAttr {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<ResourceAttr> {
        let items = NestedMeta::parse_meta_list(args).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("`#[mcp_resource]`: {e}; expected `key = value`, separated by commas"),
            )
        })?;
        ResourceAttr::from_list(&items).map_err(into_syn)
    }
}

impl FromMeta for ResourceAttr {
    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut attr = ResourceAttr::default();
        let mut errors = darling::Error::accumulator();
        let mut seen: Vec<&str> = Vec::new();
        for item in items {
            let meta = match item {
                NestedMeta::Meta(meta) => meta,
                NestedMeta::Lit(lit) => {
                    errors.push(
                        darling::Error::custom(
                            "`#[mcp_resource]`: expected `key = value`, not a literal",
                        )
                        .with_span(lit),
                    );
                    continue;
                }
            };
            let name = path_to_string(meta.path());
            let Some((key, set)) = KEYS.into_iter().find(|(k, _)| *k == name) else {
                let keys = KEYS.iter().map(|(k, _)| *k);
                let msg = match closest(&name, keys.clone()) {
                    Some(k) => {
                        format!("`#[mcp_resource]`: unknown key `{name}`; did you mean `{k}`?")
                    }
                    None => format!(
                        "`#[mcp_resource]`: unknown key `{name}`; the keys are: {}",
                        list(keys)
                    ),
                };
                errors.push(darling::Error::custom(msg).with_span(meta));
                continue;
            };
            if seen.contains(&key) {
                errors.push(
                    darling::Error::custom(format_args!(
                        "`#[mcp_resource]`: duplicate key `{key}`"
                    ))
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

fn value(item: &Meta) -> Option<&Expr> {
    match item {
        Meta::NameValue(nv) => Some(&nv.value),
        _ => None,
    }
}

fn wrong(item: &Meta, what: &str) -> darling::Error {
    let key = path_to_string(item.path());
    let tokens = value(item).map_or_else(|| item.to_token_stream(), ToTokens::to_token_stream);
    darling::Error::custom(format_args!("`#[mcp_resource]`: `{key}` takes {what}"))
        .with_span(&tokens)
}

fn text(item: &Meta) -> darling::Result<LitStr> {
    match value(item) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => Ok(s.clone()),
        _ => Err(wrong(item, "a string literal: `key = \"...\"`")),
    }
}

fn float(item: &Meta) -> darling::Result<LitFloat> {
    match value(item) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        })) => Ok(f.clone()),
        Some(Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        })) => Ok(LitFloat::new(&format!("{}.0", i.base10_digits()), i.span())),
        _ => Err(wrong(item, "a number from 0 to 1: `priority = 0.5`")),
    }
}

fn int(item: &Meta) -> darling::Result<LitInt> {
    match value(item) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        })) if i.base10_parse::<u64>().is_ok() => Ok(i.clone()),
        _ => Err(wrong(item, "a size in bytes: `size = 1024`")),
    }
}

fn strings(item: &Meta) -> darling::Result<(Vec<LitStr>, TokenStream)> {
    let Some(Expr::Array(array)) = value(item) else {
        return Err(wrong(
            item,
            "a list of string literals: `audience = [\"user\"]`",
        ));
    };
    let mut out = Vec::new();
    for elem in &array.elems {
        match elem {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => out.push(s.clone()),
            _ => {
                return Err(wrong(
                    item,
                    "a list of string literals: `audience = [\"user\"]`",
                ));
            }
        }
    }
    Ok((out, array.to_token_stream()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn keys_are_read() {
        let a = ResourceAttr::parse(quote!(
            uri = "x://a",
            mime_type = "text/plain",
            priority = 1,
            size = 12,
            audience = ["user", "assistant"]
        ))
        .unwrap();
        assert_eq!(a.uri.unwrap().value(), "x://a");
        assert_eq!(a.priority.unwrap().base10_parse::<f64>().unwrap(), 1.0);
        assert_eq!(a.size.unwrap().base10_parse::<u64>().unwrap(), 12);
        assert_eq!(a.audience.unwrap().0.len(), 2);
    }

    #[test]
    fn bad_keys_and_values_are_all_reported() {
        let e = ResourceAttr::parse(quote!(url = "x://a", size = -1, uri = 3)).unwrap_err();
        let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "`#[mcp_resource]`: unknown key `url`; did you mean `uri`?",
                "`#[mcp_resource]`: `size` takes a size in bytes: `size = 1024`",
                "`#[mcp_resource]`: `uri` takes a string literal: `key = \"...\"`",
            ]
        );
    }
}
