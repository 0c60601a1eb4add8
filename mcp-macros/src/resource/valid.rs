//! Checks the attribute and the fn, and builds the [`Resource`] model. Every
//! problem is collected and reported together; no tokens are generated here.

use proc_macro2::Span;
use syn::{Attribute, Expr, ExprLit, FnArg, ItemFn, Lit, LitStr, Meta, Pat, ReturnType, Type};

use super::attr::ResourceAttr;
use super::{Description, Param, Resource, Uri};
use crate::complete::{self, camel_case};
use crate::diag::{Ctxt, list};
use crate::valid::{clean_doc, find_impl_trait, is_context, lit_str, peel};

/// The tenant and workspace come from the server, never from a URI.
const INJECTED: [&str; 2] = ["tenantId", "workspaceId"];

impl Resource {
    pub(crate) fn from_fn(
        attr: syn::Result<ResourceAttr>,
        item: ItemFn,
    ) -> Result<Resource, Box<(ItemFn, syn::Error)>> {
        let mut cx = Ctxt::default();
        let attr = attr.map_err(|e| cx.push(e)).ok();
        check_signature(&item, &mut cx);
        let (uri, vars) = match &attr {
            Some(a) => uri(a, &item, &mut cx),
            None => (None, Vec::new()),
        };
        let params = params(&item, uri.as_ref(), &vars, &mut cx);
        let scopes = crate::valid::check_scopes(
            "mcp_resource",
            attr.as_ref()
                .and_then(|a| a.scopes.as_ref())
                .map(|l| (&l.0[..], &l.1)),
            &mut cx,
        );
        if let Some(a) = &attr {
            let names: Vec<&str> = vars.iter().map(String::as_str).collect();
            complete::check(
                "mcp_resource",
                "template variable",
                &a.complete,
                &names,
                &mut cx,
            );
        }
        let output = output(&item.sig, &mut cx);
        let description = attr.as_ref().and_then(|a| description(a, &item, &mut cx));
        let mut model = None;
        if let Some(a) = &attr {
            let title = a.title.as_ref().map(|t| t.value());
            if let (Some(t), Some(lit)) = (&title, &a.title)
                && t.trim().is_empty()
            {
                cx.error(lit, "`#[mcp_resource]`: the title is empty; give a human-readable name or remove `title`");
            }
            let name = a.name.as_ref().map_or_else(
                || {
                    let n = item.sig.ident.to_string();
                    n.strip_prefix("r#").unwrap_or(&n).to_owned()
                },
                LitStr::value,
            );
            if let Some(lit) = a.name.as_ref().filter(|l| l.value().trim().is_empty()) {
                cx.error(lit, "`#[mcp_resource]`: the name is empty");
            }
            let priority = a.priority.as_ref().and_then(|p| {
                let v = p.base10_parse::<f64>().ok()?;
                if !(0.0..=1.0).contains(&v) {
                    cx.error(
                        p,
                        "`#[mcp_resource]`: `priority` is from 0 (least important) to 1 (most)",
                    );
                }
                Some(v)
            });
            let mut audience = Vec::new();
            if let Some((lits, tokens)) = &a.audience {
                if lits.is_empty() {
                    cx.error(tokens, "`#[mcp_resource]`: `audience` is empty; name `\"user\"`, `\"assistant\"` or both, or remove it");
                }
                for lit in lits {
                    let v = lit.value();
                    if !matches!(v.as_str(), "user" | "assistant") {
                        cx.error(
                            lit,
                            "`#[mcp_resource]`: an audience is `\"user\"` or `\"assistant\"`",
                        );
                    } else if audience.contains(&v) {
                        cx.error(
                            lit,
                            format_args!("`#[mcp_resource]`: `{v}` is listed twice"),
                        );
                    } else {
                        audience.push(v);
                    }
                }
            }
            if let (Some(Uri::Template(_)), Some(size)) = (&uri, &a.size) {
                cx.error(size, "`#[mcp_resource]`: `size` is for a resource with one `uri`; a template's resources have sizes of their own");
            }
            if let Some(mt) = a.mime_type.as_ref().filter(|m| !is_mime_type(&m.value())) {
                cx.error(mt, "`#[mcp_resource]`: `mime_type` is a MIME type such as \"text/markdown\" or \"application/json\"");
            }
            model = Some((
                name,
                title,
                priority,
                audience,
                a.mime_type.as_ref().map(LitStr::value),
                a.size.as_ref().and_then(|s| s.base10_parse().ok()),
            ));
        }
        if let Err(e) = cx.into_result() {
            return Err(Box::new((item, e)));
        }
        let (name, title, priority, audience, mime_type, size) =
            model.expect("no error, so the attribute was read");
        let complete = attr.map(|a| a.complete).unwrap_or_default();
        let (ok, result) = output.expect("no error, so an output");
        Ok(Resource {
            item,
            uri: uri.expect("no error, so a URI"),
            name,
            title,
            description: description.expect("no error, so a description"),
            mime_type,
            size,
            audience,
            priority,
            params,
            complete,
            scopes,
            ok,
            result,
        })
    }
}

fn is_mime_type(m: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let essence = m.split(';').next().unwrap_or("").trim();
    essence
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s))
}

fn check_signature(item: &ItemFn, cx: &mut Ctxt) {
    let sig = &item.sig;
    if let Some(c) = &sig.constness {
        cx.error(
            c,
            "`#[mcp_resource]` requires an `async fn`, not a `const fn`; remove `const`",
        );
    }
    if sig.asyncness.is_none() {
        cx.error(
            sig.fn_token,
            "`#[mcp_resource]` requires an `async fn`; add `async` before `fn`",
        );
    }
    if let Some(u) = &sig.unsafety {
        cx.error(
            u,
            "`#[mcp_resource]` cannot be used on an `unsafe fn`; remove `unsafe`",
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error(
            abi,
            "`#[mcp_resource]` cannot be used on an `extern fn`; remove the ABI",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error(
            &sig.generics,
            "`#[mcp_resource]` cannot be used on a generic fn; use concrete types",
        );
    }
}

/// The URI or template, and the template's variables.
fn uri(a: &ResourceAttr, item: &ItemFn, cx: &mut Ctxt) -> (Option<Uri>, Vec<String>) {
    match (&a.uri, &a.uri_template) {
        (Some(_), Some(t)) => {
            cx.error(t, "`#[mcp_resource]`: give `uri` (one resource) or `uri_template` (a family of them), not both");
            (None, Vec::new())
        }
        (None, None) => {
            cx.error(&item.sig.ident, "`#[mcp_resource]` needs `uri = \"scheme://...\"` or `uri_template = \"scheme://.../{id}\"`");
            (None, Vec::new())
        }
        (Some(u), None) => {
            if let Err(why) = check_uri(&u.value()) {
                cx.error(u, format_args!("`#[mcp_resource]`: {why}"));
            }
            (Some(Uri::Static(u.clone())), Vec::new())
        }
        (None, Some(t)) => match template_vars(&t.value()) {
            Ok(vars) => {
                for v in vars.iter().filter(|v| INJECTED.contains(&v.as_str())) {
                    cx.error(t, format_args!(
                        "`#[mcp_resource]`: the template variable `{v}` would let the caller choose it; \
                         read the tenant from `ctx.tenant_id()`, which the server sets"
                    ));
                }
                (Some(Uri::Template(t.clone())), vars)
            }
            Err(why) => {
                cx.error(t, format_args!("`#[mcp_resource]`: {why}"));
                (None, Vec::new())
            }
        },
    }
}

/// The same rules as the runtime's `resource::check_uri`.
fn check_uri(uri: &str) -> Result<(), String> {
    let Some((scheme, _)) = uri.split_once(':') else {
        return Err("a resource URI needs a scheme, e.g. `shop://policies/returns`".into());
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!(
            "`{scheme}` is not a URI scheme (a letter, then letters, digits, `+`, `-` or `.`)"
        ));
    }
    if let Some(c) = uri.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "a resource URI cannot contain {c:?}; percent-encode it"
        ));
    }
    if uri.contains(['{', '}']) {
        return Err(
            "a resource URI cannot contain `{` or `}`; for a template use `uri_template`".into(),
        );
    }
    Ok(())
}

/// The variables of an RFC 6570 level-1 template, with the same rules as
/// the runtime's `resource::UriTemplate::parse`.
fn template_vars(t: &str) -> Result<Vec<String>, String> {
    check_uri(&t.replace(['{', '}'], "")).map_err(|e| e.replace("resource URI", "URI template"))?;
    let mut vars: Vec<String> = Vec::new();
    let mut rest = t;
    let mut last_was_var = false;
    while let Some(i) = rest.find(['{', '}']) {
        if rest.as_bytes()[i] == b'}' {
            return Err("`}` without `{` in the URI template".into());
        }
        if i > 0 {
            last_was_var = false;
        }
        let after = &rest[i + 1..];
        let end = after
            .find('}')
            .ok_or("`{` without `}` in the URI template")?;
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!(
                "`{{{name}}}` is not a level-1 variable: write `{{name}}` with letters, digits and `_` \
                 (operators such as `+`, `#`, `/`, `?` are not supported)"
            ));
        }
        if last_was_var {
            return Err(format!(
                "`{{{name}}}` follows another variable directly; put literal text between them"
            ));
        }
        if vars.iter().any(|v| v == name) {
            return Err(format!("the variable `{name}` appears twice"));
        }
        vars.push(name.to_owned());
        last_was_var = true;
        rest = &after[end + 1..];
    }
    if vars.is_empty() {
        return Err("the URI template has no `{variable}`; use `uri` for a single resource".into());
    }
    Ok(vars)
}

fn params(item: &ItemFn, uri: Option<&Uri>, vars: &[String], cx: &mut Ctxt) -> Vec<Param> {
    let mut out = Vec::new();
    let mut bound: Vec<String> = Vec::new();
    let mut seen_ctx = false;
    for arg in &item.sig.inputs {
        let pt = match arg {
            FnArg::Receiver(r) => {
                cx.error(
                    r,
                    "`#[mcp_resource]` must be on a free `async fn`, not a method; remove `self`",
                );
                continue;
            }
            FnArg::Typed(pt) => pt,
        };
        let ty = peel(&pt.ty);
        if is_context(ty) {
            if seen_ctx {
                cx.error(
                    ty,
                    "`#[mcp_resource]` takes at most one `ToolContext` parameter; remove this one",
                );
            }
            seen_ctx = true;
            out.push(Param::Context);
            continue;
        }
        if let Type::Reference(r) = ty {
            let msg = if is_context(&r.elem) {
                "`#[mcp_resource]`: take `ToolContext` by value (`ctx: ToolContext`), not by reference"
            } else {
                "`#[mcp_resource]` parameters must be owned types: take `String` instead of `&str`"
            };
            cx.error(ty, msg);
            continue;
        }
        if let Some(it) = find_impl_trait(ty) {
            cx.error(
                it,
                "`#[mcp_resource]` parameters cannot use `impl Trait`; use a concrete type",
            );
            continue;
        }
        let Pat::Ident(pi) = &*pt.pat else {
            cx.error(
                &pt.pat,
                "`#[mcp_resource]` parameters must be plain names, not patterns",
            );
            continue;
        };
        let ident = pi.ident.to_string();
        let var = camel_case(ident.strip_prefix("r#").unwrap_or(&ident));
        match uri {
            Some(Uri::Static(_)) => cx.error(
                &pt.pat,
                "`#[mcp_resource]`: a resource with one `uri` takes no parameters but `ToolContext`; \
                 for a family of resources use `uri_template = \"scheme://.../{id}\"`",
            ),
            Some(Uri::Template(_)) if !vars.contains(&var) => cx.error(
                &pt.pat,
                format_args!(
                    "`#[mcp_resource]`: the parameter `{ident}` is the template variable `{var}`, \
                     which the template does not have; its variables are: {}",
                    list(vars.iter().map(String::as_str))
                ),
            ),
            _ => {
                bound.push(var.clone());
                out.push(Param::Variable(var, pt.ty.clone()));
            }
        }
    }
    if let Some(Uri::Template(t)) = uri {
        for v in vars.iter().filter(|v| !bound.contains(v)) {
            cx.error(
                t,
                format_args!(
                    "`#[mcp_resource]`: the template variable `{v}` has no parameter; add `{}: String` \
                     (or another type that implements `FromStr`) to the fn",
                    snake_case(v)
                ),
            );
        }
    }
    out
}

fn snake_case(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 4);
    for c in v.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

type Output = crate::valid::Returned;

fn output(sig: &syn::Signature, cx: &mut Ctxt) -> Option<Output> {
    let ReturnType::Type(_, ty) = &sig.output else {
        cx.error(&sig.ident, "`#[mcp_resource]` must return the resource's contents: a `String`, `Vec<u8>`, `serde_json::Value` or `ResourceContents`, or a `Result` of one");
        return None;
    };
    crate::valid::returned("mcp_resource", ty, "", cx)
}

fn description(a: &ResourceAttr, item: &ItemFn, cx: &mut Ctxt) -> Option<Description> {
    const EMPTY: &str = "`#[mcp_resource]`: the description is empty; say what the resource holds";
    if let Some(lit) = &a.description {
        let text = clean_doc(&[lit.value()]);
        if text.is_empty() {
            cx.error(lit, EMPTY);
            return None;
        }
        return Some(Description::Text(text));
    }
    let docs: Vec<(&Attribute, &Expr)> = item
        .attrs
        .iter()
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => Some((a, &nv.value)),
            _ => None,
        })
        .collect();
    if docs.is_empty() {
        cx.error(
            &item.sig.ident,
            "`#[mcp_resource]` needs a description, which tells the client what the resource holds; \
             add a doc comment (`/// ...`) to the fn or `description = \"...\"` to the attribute",
        );
        return None;
    }
    let literal: Option<Vec<String>> = docs.iter().map(|(_, e)| lit_str(e)).collect();
    match literal {
        Some(lines) => {
            let text = clean_doc(&lines);
            if text.is_empty() {
                cx.error(docs[0].0, EMPTY);
                return None;
            }
            Some(Description::Text(text))
        }
        None => {
            let mut parts = Vec::with_capacity(docs.len() * 2);
            for (i, (_, e)) in docs.iter().enumerate() {
                if i > 0 {
                    parts.push(syn::parse_quote!("\n"));
                }
                parts.push(match lit_str(e) {
                    Some(s) => Expr::Lit(ExprLit {
                        attrs: Vec::new(),
                        lit: Lit::Str(LitStr::new(
                            s.strip_prefix(' ').unwrap_or(&s),
                            Span::call_site(),
                        )),
                    }),
                    None => (*e).clone(),
                });
            }
            Some(Description::Concat(parts))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_like_tool_arguments() {
        assert_eq!(camel_case("product_id"), "productId");
        assert_eq!(camel_case("id"), "id");
        assert_eq!(snake_case("productId"), "product_id");
    }

    #[test]
    fn templates_are_checked() {
        assert_eq!(template_vars("test://template/{id}/data").unwrap(), ["id"]);
        assert_eq!(template_vars("x://o/{a}/i/{b}").unwrap(), ["a", "b"]);
        for bad in [
            "x://{a}{b}",
            "x://{a}/{a}",
            "x://{+a}",
            "x://{a",
            "x://a}",
            "x://plain",
            "nope/{a}",
        ] {
            assert!(template_vars(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mime_types() {
        assert!(is_mime_type("text/markdown"));
        assert!(is_mime_type("application/vnd.api+json; charset=utf-8"));
        assert!(!is_mime_type("markdown"));
        assert!(!is_mime_type("text/"));
    }
}
