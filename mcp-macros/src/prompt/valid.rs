//! Checks the attribute and the fn, and builds the [`Prompt`] model. Every
//! problem is collected and reported together; no tokens are generated here.

use syn::{Expr, FnArg, GenericArgument, ItemFn, Meta, Pat, PathArguments, ReturnType, Type};

use super::attr::PromptAttr;
use super::{Argument, Param, Prompt};
use crate::complete::{self, camel_case};
use crate::diag::Ctxt;
use crate::valid::{clean_doc, find_impl_trait, is_context, last_segment, lit_str, peel};

const INJECTED: [&str; 2] = ["tenantId", "workspaceId"];

impl Prompt {
    pub(crate) fn from_fn(
        attr: syn::Result<PromptAttr>,
        mut item: ItemFn,
    ) -> Result<Prompt, Box<(ItemFn, syn::Error)>> {
        let mut cx = Ctxt::default();
        let mut attr = attr.map_err(|e| cx.push(e)).ok();
        let sig = &item.sig;
        if sig.asyncness.is_none() {
            cx.error(
                sig.fn_token,
                "`#[mcp_prompt]` requires an `async fn`; add `async` before `fn`",
            );
        }
        if let Some(c) = &sig.constness {
            cx.error(
                c,
                "`#[mcp_prompt]` requires an `async fn`, not a `const fn`; remove `const`",
            );
        }
        if let Some(u) = &sig.unsafety {
            cx.error(
                u,
                "`#[mcp_prompt]` cannot be used on an `unsafe fn`; remove `unsafe`",
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            cx.error(
                &sig.generics,
                "`#[mcp_prompt]` cannot be used on a generic fn; use concrete types",
            );
        }
        let params = params(&mut item, &mut cx);
        let complete = attr
            .as_mut()
            .map(|a| std::mem::take(&mut a.complete))
            .unwrap_or_default();
        let names: Vec<&str> = params
            .iter()
            .filter_map(|p| match p {
                Param::Argument(a) => Some(a.name.as_str()),
                Param::Context => None,
            })
            .collect();
        complete::check("mcp_prompt", "argument", &complete, &names, &mut cx);
        let scopes = crate::valid::check_scopes(
            "mcp_prompt",
            attr.as_ref()
                .and_then(|a| a.scopes.as_ref())
                .map(|l| (&l.0[..], &l.1)),
            &mut cx,
        );
        let output = output(&item.sig, &mut cx);
        let name = match attr.as_ref().and_then(|a| a.name.as_ref()) {
            Some(lit) => {
                let n = lit.value();
                if !valid_name(&n) {
                    cx.error(lit, "`#[mcp_prompt]`: a prompt name is 1 to 64 characters of ASCII letters, digits, `_`, `-` and `.`");
                }
                n
            }
            None => {
                let n = item.sig.ident.to_string();
                n.strip_prefix("r#").unwrap_or(&n).to_owned()
            }
        };
        let title = attr.as_ref().and_then(|a| a.title.as_ref()).map(|t| {
            if t.value().trim().is_empty() {
                cx.error(t, "`#[mcp_prompt]`: the title is empty; give a human-readable name or remove `title`");
            }
            t.value()
        });
        let description = match attr.as_ref().and_then(|a| a.description.as_ref()) {
            Some(lit) => Some((clean_doc(&[lit.value()]), Some(lit))),
            None => doc_text(&item.attrs).map(|d| (d, None)),
        };
        let description = match description {
            Some((d, lit)) if d.is_empty() => {
                let msg = "`#[mcp_prompt]`: the description is empty; say what the prompt is for";
                match lit {
                    Some(l) => cx.error(l, msg),
                    None => cx.error(&item.sig.ident, msg),
                }
                None
            }
            Some((d, _)) => Some(d),
            None => {
                if attr.is_some() {
                    cx.error(
                        &item.sig.ident,
                        "`#[mcp_prompt]` needs a description, which tells the client what the prompt is for; \
                         add a doc comment (`/// ...`) to the fn or `description = \"...\"` to the attribute",
                    );
                }
                None
            }
        };
        if let Err(e) = cx.into_result() {
            return Err(Box::new((item, e)));
        }
        let (ok, result) = output.expect("no error, so an output");
        Ok(Prompt {
            item,
            name,
            title,
            description: description.expect("no error, so a description"),
            params,
            complete,
            scopes,
            ok,
            result,
        })
    }
}

fn valid_name(n: &str) -> bool {
    (1..=64).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The text of doc attributes that are all literals; `None` without any.
fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => Some(&nv.value),
            _ => None,
        })
        .map(|e: &Expr| lit_str(e).unwrap_or_default())
        .collect();
    (!lines.is_empty()).then(|| clean_doc(&lines))
}

/// The parameters; their doc comments taken off (rustc rejects them there)
/// as the arguments' descriptions.
fn params(item: &mut ItemFn, cx: &mut Ctxt) -> Vec<Param> {
    let mut out = Vec::new();
    let mut seen_ctx = false;
    let mut names: Vec<String> = Vec::new();
    for arg in item.sig.inputs.iter_mut() {
        let pt = match arg {
            FnArg::Receiver(r) => {
                cx.error(
                    &*r,
                    "`#[mcp_prompt]` must be on a free `async fn`, not a method; remove `self`",
                );
                continue;
            }
            FnArg::Typed(pt) => pt,
        };
        let (docs, kept): (Vec<_>, Vec<_>) =
            pt.attrs.drain(..).partition(|a| a.path().is_ident("doc"));
        pt.attrs = kept;
        let ty = peel(&pt.ty).clone();
        if is_context(&ty) {
            if seen_ctx {
                cx.error(
                    &ty,
                    "`#[mcp_prompt]` takes at most one `ToolContext` parameter; remove this one",
                );
            }
            seen_ctx = true;
            out.push(Param::Context);
            continue;
        }
        if let Type::Reference(_) = ty {
            cx.error(&ty, "`#[mcp_prompt]` parameters must be owned types: take `String` instead of `&str`, and `ToolContext` by value");
            continue;
        }
        if let Some(it) = find_impl_trait(&ty) {
            cx.error(
                it,
                "`#[mcp_prompt]` parameters cannot use `impl Trait`; use a concrete type",
            );
            continue;
        }
        let Pat::Ident(pi) = &*pt.pat else {
            cx.error(
                &pt.pat,
                "`#[mcp_prompt]` parameters must be plain names, not patterns",
            );
            continue;
        };
        let ident = pi.ident.to_string();
        let name = camel_case(ident.strip_prefix("r#").unwrap_or(&ident));
        if INJECTED.contains(&name.as_str()) {
            cx.error(&pt.pat, format_args!(
                "`#[mcp_prompt]`: an argument `{name}` would let the caller choose it; read it from `ctx.tenant_id()`"
            ));
            continue;
        }
        if names.contains(&name) {
            cx.error(
                &pt.pat,
                format_args!("`#[mcp_prompt]`: two parameters are the argument `{name}`"),
            );
            continue;
        }
        names.push(name.clone());
        let description = doc_text(&docs).filter(|d| !d.is_empty());
        let (inner, required) = match option_inner(&ty) {
            Some(inner) => (inner.clone(), false),
            None => (ty.clone(), true),
        };
        out.push(Param::Argument(Box::new(Argument {
            name,
            description,
            ty: inner,
            required,
        })));
    }
    out
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty).filter(|s| s.ident == "Option")?;
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => match a.args.first() {
            Some(GenericArgument::Type(t)) if a.args.len() == 1 => Some(t),
            _ => None,
        },
        _ => None,
    }
}

type Output = crate::valid::Returned;

fn output(sig: &syn::Signature, cx: &mut Ctxt) -> Option<Output> {
    let ReturnType::Type(_, ty) = &sig.output else {
        cx.error(&sig.ident, "`#[mcp_prompt]` must return its messages: a `String`, `Vec<PromptMessage>` or `PromptMessages`, or a `Result` of one");
        return None;
    };
    crate::valid::returned("mcp_prompt", ty, "", cx)
}
