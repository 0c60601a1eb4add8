//! `#[tool_error(...)]`, parsed with darling's `NestedMeta`. Every message
//! is written here, where its error is found.
//!
//! One grammar for every place: a kind (`not_found`) or `transparent`,
//! `default = KIND`, `retry_after`. Which of them a place accepts is
//! checked in [`super::valid`].

use darling::ast::NestedMeta;
use darling::util::path_to_string;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Meta, Path};

use super::ast::Kind;
use crate::diag::{closest, list};

/// What the `#[tool_error(...)]` attributes of one item say.
#[derive(Default)]
pub(crate) struct Attr {
    /// `KIND` or `transparent`, and where it is written.
    pub(crate) kind: Option<(Choice, Span)>,
    /// `default = KIND`, and where it is written.
    pub(crate) default: Option<(Kind, Span)>,
    /// `retry_after`, where it is written.
    pub(crate) retry_after: Option<Span>,
}

/// What an item says it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Kind(Kind),
    /// `transparent`: the mapping of the error it wraps.
    Transparent,
}

impl Choice {
    fn from_name(name: &str) -> Option<Choice> {
        match name {
            "transparent" => Some(Choice::Transparent),
            _ => Kind::from_name(name).map(Choice::Kind),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Choice::Kind(kind) => kind.name(),
            Choice::Transparent => "transparent",
        }
    }
}

impl Attr {
    /// The item's `#[tool_error]` attributes taken together. Every problem
    /// is reported; with any, the item's attribute cannot be read.
    pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Attr> {
        let mut attr = Attr::default();
        let mut errors = darling::Error::accumulator();
        for a in attrs.iter().filter(|a| a.path().is_ident("tool_error")) {
            let list = match &a.meta {
                Meta::List(list) => list,
                other => {
                    errors.push(error(
                        other,
                        "write the kind in parentheses, e.g. `#[tool_error(not_found)]`",
                    ));
                    continue;
                }
            };
            match NestedMeta::parse_meta_list(list.tokens.clone()) {
                Ok(items) => {
                    for item in &items {
                        if let Err(e) = attr.item(item) {
                            errors.push(e);
                        }
                    }
                }
                Err(e) => errors.push(error(
                    &list.tokens,
                    format_args!("{e}; expected an error kind such as `not_found`"),
                )),
            }
        }
        errors.finish_with(attr).map_err(crate::diag::into_syn)
    }

    fn item(&mut self, item: &NestedMeta) -> darling::Result<()> {
        let meta = match item {
            NestedMeta::Meta(meta) => meta,
            NestedMeta::Lit(lit) => {
                return Err(error(
                    lit,
                    "expected an error kind such as `not_found`, not a literal",
                ));
            }
        };
        let name = path_to_string(meta.path());
        match meta {
            Meta::Path(path) => self.word(path, &name),
            Meta::NameValue(nv) if name == "default" => {
                let kind = kind_of(&nv.value)?;
                if self.default.is_some() {
                    return Err(error(&nv.path, "duplicate `default`"));
                }
                self.default = Some((kind, nv.path.span()));
                Ok(())
            }
            _ if name == "default" => Err(error(meta, DEFAULT_TAKES_A_KIND)),
            _ if Choice::from_name(&name).is_some() || name == "retry_after" => Err(error(
                meta,
                format_args!("`{name}` takes no value: write `#[tool_error({name})]`"),
            )),
            _ => Err(error(meta.path(), unknown(meta.path()))),
        }
    }

    /// A bare word: a kind, `transparent` or `retry_after`.
    fn word(&mut self, path: &Path, name: &str) -> darling::Result<()> {
        if name == "retry_after" {
            if self.retry_after.is_some() {
                return Err(error(path, "duplicate `retry_after`"));
            }
            self.retry_after = Some(path.span());
            return Ok(());
        }
        if name == "default" {
            return Err(error(path, DEFAULT_TAKES_A_KIND));
        }
        let Some(kind) = Choice::from_name(name) else {
            return Err(error(path, unknown(path)));
        };
        match self.kind {
            Some((first, _)) if first == kind => {
                Err(error(path, format_args!("duplicate `{name}`")))
            }
            Some((first, _)) => Err(error(
                path,
                format_args!(
                    "two kinds for one item, `{}` and `{name}`; keep one",
                    first.name()
                ),
            )),
            None => {
                self.kind = Some((kind, path.span()));
                Ok(())
            }
        }
    }
}

const DEFAULT_TAKES_A_KIND: &str = "`default` takes a kind: `default = server_error`";

/// The kind in `default = KIND`.
fn kind_of(value: &Expr) -> darling::Result<Kind> {
    if let Expr::Path(p) = value
        && p.qself.is_none()
    {
        let name = path_to_string(&p.path);
        if name == "transparent" {
            return Err(error(
                value,
                "`transparent` goes on a variant, the wrapper of another error; the default \
                 is a kind",
            ));
        }
        return Kind::from_name(&name).ok_or_else(|| error(value, unknown(&p.path)));
    }
    Err(error(value, DEFAULT_TAKES_A_KIND))
}

/// The message for a word that is neither a kind nor a key.
fn unknown(path: &Path) -> String {
    let name = path_to_string(path);
    let kinds = Kind::ALL.iter().map(|(n, _)| *n);
    match closest(
        &name,
        kinds
            .clone()
            .chain(["transparent", "default", "retry_after"]),
    ) {
        Some(c) if Choice::from_name(c).is_some() => {
            format!("unknown kind `{name}`; did you mean `{c}`?")
        }
        Some(c) => format!("unknown key `{name}`; did you mean `{c}`?"),
        None => format!("unknown kind `{name}`; the kinds are: {}", list(kinds)),
    }
}

/// An error of the derive, spanned on `tokens`.
fn error(tokens: impl Spanned, msg: impl std::fmt::Display) -> darling::Error {
    darling::Error::custom(format_args!("`#[derive(ToolError)]`: {msg}")).with_span(&tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(attrs: &[Attribute]) -> Result<Attr, Vec<String>> {
        Attr::parse(attrs).map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn kinds_defaults_and_retry() {
        let a = parse(&[
            syn::parse_quote!(#[tool_error(rate_limit)]),
            syn::parse_quote!(#[doc = "ignored"]),
        ])
        .ok()
        .unwrap();
        assert_eq!(a.kind.map(|k| k.0), Some(Choice::Kind(Kind::RateLimit)));
        let a = parse(&[syn::parse_quote!(#[tool_error(transparent)])])
            .ok()
            .unwrap();
        assert_eq!(a.kind.map(|k| k.0), Some(Choice::Transparent));
        let a = parse(&[syn::parse_quote!(#[tool_error(default = server_error)])])
            .ok()
            .unwrap();
        assert_eq!(a.default.map(|k| k.0), Some(Kind::Server));
        let a = parse(&[syn::parse_quote!(#[tool_error(retry_after)])])
            .ok()
            .unwrap();
        assert!(a.retry_after.is_some());
    }

    #[test]
    fn every_problem_is_reported() {
        let errs = parse(&[
            syn::parse_quote!(#[tool_error(not_fund, "x")]),
            syn::parse_quote!(#[tool_error(not_found, server_error, retry_aftr)]),
            syn::parse_quote!(#[tool_error]),
            syn::parse_quote!(#[tool_error(default = nope, teapot)]),
        ])
        .err()
        .unwrap();
        assert_eq!(
            errs,
            [
                "`#[derive(ToolError)]`: unknown kind `not_fund`; did you mean `not_found`?",
                "`#[derive(ToolError)]`: expected an error kind such as `not_found`, not a literal",
                "`#[derive(ToolError)]`: two kinds for one item, `not_found` and `server_error`; keep one",
                "`#[derive(ToolError)]`: unknown key `retry_aftr`; did you mean `retry_after`?",
                "`#[derive(ToolError)]`: write the kind in parentheses, e.g. `#[tool_error(not_found)]`",
                "`#[derive(ToolError)]`: unknown kind `nope`; the kinds are: `not_found`, \
                 `validation_error`, `authentication_error`, `permission_denied`, `rate_limit`, \
                 `server_error`",
                "`#[derive(ToolError)]`: unknown kind `teapot`; the kinds are: `not_found`, \
                 `validation_error`, `authentication_error`, `permission_denied`, `rate_limit`, \
                 `server_error`",
            ]
        );
    }
}
