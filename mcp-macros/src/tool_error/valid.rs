//! Checks a `#[derive(ToolError)]` type and builds its model
//! ([`super::ast`]). Every problem is collected and reported together; no
//! tokens are generated here.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DataEnum, DeriveInput, Fields, Ident, Member};

use super::ast::{Body, ErrorType, Field, Kind, Mapping};
use super::attr::{Attr, Choice};
use crate::diag::{Ctxt, list};

impl ErrorType {
    /// The model of the type, or every error found in it.
    pub(crate) fn from_input(input: &DeriveInput) -> syn::Result<ErrorType> {
        let mut cx = Ctxt::default();
        // `None`: an attribute that could not be read; its errors are
        // reported, and what it says is not checked further.
        let attr = Attr::parse(&input.attrs).map_err(|e| cx.push(e)).ok();
        if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
            cx.error(
                &input.generics,
                "`#[derive(ToolError)]` does not support generic types, since the mapping \
                 is registered for one concrete type; remove the generic parameters",
            );
        }
        let body = match &input.data {
            Data::Struct(s) => {
                struct_body(&input.ident, attr, &s.fields, &mut cx).map(Body::Struct)
            }
            Data::Enum(e) => enum_body(attr, e, &mut cx).map(Body::Enum),
            Data::Union(u) => {
                cx.error(
                    u.union_token,
                    "`#[derive(ToolError)]` applies to an enum or a struct, not to a union",
                );
                None
            }
        };
        cx.into_result()?;
        Ok(ErrorType {
            ident: input.ident.clone(),
            body: body.expect("no error, so a body"),
        })
    }
}

/// A struct: the kind is on the type itself.
fn struct_body(
    ident: &Ident,
    attr: Option<Attr>,
    fields: &Fields,
    cx: &mut Ctxt,
) -> Option<Mapping> {
    let attr = attr?;
    if let Some((kind, span)) = attr.default {
        cx.push(syn::Error::new(
            span,
            format_args!(
                "`#[derive(ToolError)]`: `default` is for an enum's variants; on a struct, \
                 write the kind: `#[tool_error({})]`",
                kind.name()
            ),
        ));
    }
    if let Some(span) = attr.retry_after {
        cx.push(syn::Error::new(span, RETRY_AFTER_ON_A_FIELD));
    }
    // A `default` written on the struct was meant as its kind: taken so,
    // that it is not reported again.
    let default = attr.default.map(|(kind, span)| (Choice::Kind(kind), span));
    let Some((choice, span)) = attr.kind.or(default) else {
        cx.error(
            ident,
            format_args!(
                "`#[derive(ToolError)]`: `{ident}` has no error kind; add \
                 `#[tool_error(KIND)]` to the struct, with KIND one of {}",
                kinds()
            ),
        );
        return None;
    };
    mapping(choice, span, fields, cx)
}

/// An enum: the kind is on each variant, or the enum's default.
fn enum_body(attr: Option<Attr>, data: &DataEnum, cx: &mut Ctxt) -> Option<Vec<(Ident, Mapping)>> {
    let default = attr.and_then(|attr| enum_default(attr, cx));
    let mut variants = Vec::with_capacity(data.variants.len());
    for v in &data.variants {
        let Some(attr) = Attr::parse(&v.attrs).map_err(|e| cx.push(e)).ok() else {
            continue;
        };
        if let Some((_, span)) = attr.default {
            cx.push(syn::Error::new(
                span,
                "`#[derive(ToolError)]`: `default` goes on the enum, not on a variant",
            ));
        }
        if let Some(span) = attr.retry_after {
            cx.push(syn::Error::new(span, RETRY_AFTER_ON_A_FIELD));
        }
        let Some((choice, span)) = attr.kind.or(default) else {
            cx.error(
                &v.ident,
                format_args!(
                    "`#[derive(ToolError)]`: variant `{}` has no error kind; add \
                     `#[tool_error(KIND)]` to it, with KIND one of {}, or give the enum a \
                     default: `#[tool_error(default = server_error)]`",
                    v.ident,
                    kinds()
                ),
            );
            continue;
        };
        if let Some(mapping) = mapping(choice, span, &v.fields, cx) {
            variants.push((v.ident.clone(), mapping));
        }
    }
    Some(variants)
}

/// The kind of an enum's variants that name none.
fn enum_default(attr: Attr, cx: &mut Ctxt) -> Option<(Choice, Span)> {
    match attr.kind {
        Some((Choice::Transparent, span)) => cx.push(syn::Error::new(
            span,
            "`#[derive(ToolError)]`: `transparent` goes on a variant, the wrapper of another \
             error",
        )),
        Some((kind, span)) => cx.push(syn::Error::new(
            span,
            format_args!(
                "`#[derive(ToolError)]`: an enum's kinds go on its variants; for the \
                 variants without one, write `#[tool_error(default = {})]`",
                kind.name()
            ),
        )),
        None => {}
    }
    if let Some(span) = attr.retry_after {
        cx.push(syn::Error::new(span, RETRY_AFTER_ON_A_FIELD));
    }
    // A kind written on the enum was meant for its variants: taken as the
    // default, so that they are not reported again.
    let kind = attr.kind.filter(|(c, _)| *c != Choice::Transparent);
    attr.default
        .map(|(kind, span)| (Choice::Kind(kind), span))
        .or(kind)
}

/// What an item (a variant or the struct) with `fields` maps to, given its
/// `choice`, written at `span`.
fn mapping(choice: Choice, span: Span, fields: &Fields, cx: &mut Ctxt) -> Option<Mapping> {
    let retry_after = retry_field(fields, choice, cx);
    match choice {
        Choice::Kind(kind) => Some(Mapping::Kind { kind, retry_after }),
        Choice::Transparent => {
            let mut iter = fields.iter();
            match (iter.next(), iter.next()) {
                (Some(only), None) => Some(Mapping::Transparent(field(0, only))),
                _ => {
                    cx.push(syn::Error::new(
                        span,
                        "`#[derive(ToolError)]`: `transparent` needs exactly one field, the \
                         error it wraps",
                    ));
                    None
                }
            }
        }
    }
}

/// The `#[tool_error(retry_after)]` field among `fields`, of an item that
/// maps to `choice`.
fn retry_field(fields: &Fields, choice: Choice, cx: &mut Ctxt) -> Option<Field> {
    let mut found: Option<Field> = None;
    for (i, f) in fields.iter().enumerate() {
        let Some(attr) = Attr::parse(&f.attrs).map_err(|e| cx.push(e)).ok() else {
            continue;
        };
        let default = attr.default.map(|(_, span)| span);
        if let Some(span) = attr.kind.map(|(_, span)| span).or(default) {
            cx.push(syn::Error::new(
                span,
                "`#[derive(ToolError)]`: the kind goes on the variant (or the struct), not on \
                 a field",
            ));
        }
        let Some(span) = attr.retry_after else {
            continue;
        };
        if choice != Choice::Kind(Kind::RateLimit) {
            cx.push(syn::Error::new(
                span,
                format_args!(
                    "`#[derive(ToolError)]`: `retry_after` is for a `rate_limit` error, and \
                     this one is `{}`",
                    choice.name()
                ),
            ));
        } else if found.is_some() {
            cx.push(syn::Error::new(
                span,
                "`#[derive(ToolError)]`: a second `retry_after` field; keep one",
            ));
        } else {
            found = Some(field(i, f));
        }
    }
    found
}

/// The `i`-th field, `f`.
fn field(i: usize, f: &syn::Field) -> Field {
    let member = match &f.ident {
        Some(ident) => Member::Named(ident.clone()),
        None => Member::Unnamed(syn::Index {
            index: u32::try_from(i).expect("fewer than 2^32 fields"),
            span: f.ty.span(),
        }),
    };
    Field {
        member,
        ty: Box::new(f.ty.clone()),
    }
}

const RETRY_AFTER_ON_A_FIELD: &str =
    "`#[derive(ToolError)]`: `retry_after` goes on a field (of a `rate_limit` error)";

fn kinds() -> String {
    list(Kind::ALL.iter().map(|(n, _)| *n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(input: proc_macro2::TokenStream) -> Result<ErrorType, Vec<String>> {
        let input: DeriveInput = syn::parse2(input).unwrap();
        ErrorType::from_input(&input).map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn an_enum_maps_each_variant() {
        let t = model(quote::quote! {
            #[tool_error(default = server_error)]
            enum E {
                #[tool_error(not_found)]
                Missing { sku: String },
                #[tool_error(rate_limit)]
                Busy(#[tool_error(retry_after)] u64, String),
                Db(std::io::Error),
                #[tool_error(transparent)]
                Other { inner: OtherError },
            }
        })
        .ok()
        .unwrap();
        let Body::Enum(vs) = t.body else { panic!() };
        let kinds: Vec<Option<Kind>> = vs
            .iter()
            .map(|(_, m)| match m {
                Mapping::Kind { kind, .. } => Some(*kind),
                Mapping::Transparent(_) => None,
            })
            .collect();
        assert_eq!(
            kinds,
            [
                Some(Kind::NotFound),
                Some(Kind::RateLimit),
                Some(Kind::Server),
                None
            ]
        );
        assert!(matches!(
            &vs[1].1,
            Mapping::Kind { retry_after: Some(Field { member: Member::Unnamed(i), .. }), .. }
                if i.index == 0
        ));
        assert!(matches!(
            &vs[3].1,
            Mapping::Transparent(Field { member: Member::Named(n), .. }) if n == "inner"
        ));
    }

    #[test]
    fn every_problem_at_once() {
        let errs = model(quote::quote! {
            #[tool_error(not_found)]
            enum E<T> {
                Unmapped,
                #[tool_error(validation_error)]
                Bad(#[tool_error(retry_after)] u64),
                #[tool_error(not_a_kind)]
                Unknown,
                #[tool_error(rate_limit)]
                Twice {
                    #[tool_error(retry_after)]
                    a: u64,
                    #[tool_error(retry_after)]
                    b: u64,
                },
                Phantom(T),
                #[tool_error(transparent)]
                Two(E1, E2),
            }
        })
        .err()
        .unwrap();
        // `Unmapped` and `Phantom` take the misplaced `not_found` as their
        // kind, and are not reported again.
        assert_eq!(errs.len(), 6, "{errs:#?}");
        assert!(errs[0].contains("generic"), "{errs:#?}");
        assert!(errs[1].contains("go on its variants"), "{errs:#?}");
        assert!(
            errs[2].contains("this one is `validation_error`"),
            "{errs:#?}"
        );
        assert!(errs[3].contains("unknown kind `not_a_kind`"), "{errs:#?}");
        assert!(errs[4].contains("a second `retry_after`"), "{errs:#?}");
        assert!(errs[5].contains("exactly one field"), "{errs:#?}");
    }

    #[test]
    fn a_variant_without_a_kind() {
        let errs = model(quote::quote! {
            enum E {
                #[tool_error(not_found)]
                Missing,
                Unmapped,
            }
        })
        .err()
        .unwrap();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].contains("variant `Unmapped` has no error kind"),
            "{errs:?}"
        );
    }

    #[test]
    fn a_struct_needs_its_kind() {
        let errs = model(quote::quote! {
            struct Oops;
        })
        .err()
        .unwrap();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("`Oops` has no error kind"), "{errs:?}");
    }
}
