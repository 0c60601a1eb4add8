//! The keys of `#[mcp_prompt(...)]`, parsed with darling, in our words.

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::path_to_string;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, ExprLit, Lit, LitStr, Meta};

use crate::attr::Strings;
use crate::complete::{self, Completer};
use crate::diag::{closest, into_syn, list};

/// `#[mcp_prompt(name = "...", title = "...", description = "...", complete(arg = f))]`.
#[derive(Debug, Default)]
pub(crate) struct PromptAttr {
    pub(crate) complete: Vec<Completer>,
    pub(crate) description: Option<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) scopes: Option<Strings>,
    pub(crate) title: Option<LitStr>,
}

const KEYS: [&str; 5] = ["complete", "description", "name", "scopes", "title"];

impl PromptAttr {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<PromptAttr> {
        let items = NestedMeta::parse_meta_list(args).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("`#[mcp_prompt]`: {e}; expected `key = \"value\"`, separated by commas"),
            )
        })?;
        PromptAttr::from_list(&items).map_err(into_syn)
    }
}

impl FromMeta for PromptAttr {
    fn from_list(items: &[NestedMeta]) -> darling::Result<Self> {
        let mut attr = PromptAttr::default();
        let mut errors = darling::Error::accumulator();
        let mut seen_complete = false;
        for item in items {
            let NestedMeta::Meta(meta) = item else {
                errors.push(
                    darling::Error::custom(
                        "`#[mcp_prompt]`: expected `key = \"value\"`, not a literal",
                    )
                    .with_span(item),
                );
                continue;
            };
            let key = path_to_string(meta.path());
            if key == "complete" {
                if seen_complete {
                    errors.push(
                        darling::Error::custom("`#[mcp_prompt]`: duplicate key `complete`")
                            .with_span(meta),
                    );
                } else if let Some(c) = errors.handle(complete::parse("mcp_prompt", meta)) {
                    attr.complete = c;
                }
                seen_complete = true;
                continue;
            }
            if key == "scopes" {
                if attr.scopes.is_some() {
                    errors.push(
                        darling::Error::custom("`#[mcp_prompt]`: duplicate key `scopes`")
                            .with_span(meta),
                    );
                } else if let Some(s) = errors.handle(Strings::parse("mcp_prompt", meta)) {
                    attr.scopes = Some(s);
                }
                continue;
            }
            let slot = match key.as_str() {
                "description" => &mut attr.description,
                "name" => &mut attr.name,
                "title" => &mut attr.title,
                _ => {
                    let msg = match closest(&key, KEYS) {
                        Some(k) => {
                            format!("`#[mcp_prompt]`: unknown key `{key}`; did you mean `{k}`?")
                        }
                        None => format!(
                            "`#[mcp_prompt]`: unknown key `{key}`; the keys are: {}",
                            list(KEYS)
                        ),
                    };
                    errors.push(darling::Error::custom(msg).with_span(meta));
                    continue;
                }
            };
            if slot.is_some() {
                errors.push(
                    darling::Error::custom(format_args!("`#[mcp_prompt]`: duplicate key `{key}`"))
                        .with_span(meta),
                );
                continue;
            }
            match meta {
                Meta::NameValue(nv) => match &nv.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => *slot = Some(s.clone()),
                    other => errors.push(
                        darling::Error::custom(format_args!(
                            "`#[mcp_prompt]`: `{key}` takes a string literal: `{key} = \"...\"`"
                        ))
                        .with_span(&other.to_token_stream()),
                    ),
                },
                other => errors.push(
                    darling::Error::custom(format_args!(
                        "`#[mcp_prompt]`: `{key}` takes a string literal: `{key} = \"...\"`"
                    ))
                    .with_span(other),
                ),
            }
        }
        errors.finish_with(attr)
    }
}
