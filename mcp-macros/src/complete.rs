//! `complete(name = completer, ...)` of `#[mcp_resource]` and
//! `#[mcp_prompt]`: parsed here, checked against the template's variables or
//! the prompt's arguments by the caller, expanded to the descriptor's
//! completers. A completer's signature is checked by the compiler, at the
//! completer's path (`__private::run_completer`).

use darling::util::path_to_string;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Meta, MetaNameValue, Token};

use crate::diag::{Ctxt, list};

/// One `name = completer` of `complete(...)`.
pub(crate) struct Completer {
    /// The name as written (`productId` or `product_id`).
    pub(crate) key: syn::Path,
    /// The wire name it stands for: the key in camelCase.
    pub(crate) name: String,
    /// The completer fn.
    pub(crate) path: syn::ExprPath,
}

impl std::fmt::Debug for Completer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.to_token_stream().to_string();
        write!(f, "Completer({} = {path})", self.name)
    }
}

/// Parse `complete(a = f, b = path::g)`.
pub(crate) fn parse(mac: &str, meta: &Meta) -> darling::Result<Vec<Completer>> {
    let usage = || {
        darling::Error::custom(format_args!(
            "`#[{mac}]`: `complete` takes `complete(name = completer_fn, ...)`"
        ))
        .with_span(meta)
    };
    let Meta::List(l) = meta else {
        return Err(usage());
    };
    let items = l
        .parse_args_with(Punctuated::<MetaNameValue, Token![,]>::parse_terminated)
        .map_err(|_| usage())?;
    if items.is_empty() {
        return Err(usage());
    }
    let mut errors = darling::Error::accumulator();
    let mut out: Vec<Completer> = Vec::new();
    for nv in items {
        let key = path_to_string(&nv.path);
        let Expr::Path(path) = nv.value else {
            errors.push(
                darling::Error::custom(format_args!(
                    "`#[{mac}]`: the completer of `{key}` is the name of an `async fn`"
                ))
                .with_span(&nv.value.to_token_stream()),
            );
            continue;
        };
        if nv.path.get_ident().is_none() {
            errors.push(
                darling::Error::custom(format_args!(
                    "`#[{mac}]`: `complete(...)` names an argument, not a path"
                ))
                .with_span(&nv.path),
            );
            continue;
        }
        let name = camel_case(key.strip_prefix("r#").unwrap_or(&key));
        if out.iter().any(|c| c.name == name) {
            errors.push(
                darling::Error::custom(format_args!(
                    "`#[{mac}]`: `{name}` has two completers; keep one"
                ))
                .with_span(&nv.path),
            );
            continue;
        }
        out.push(Completer {
            key: nv.path,
            name,
            path,
        });
    }
    errors.finish_with(out)
}

/// Every completer names one of `names` (`what`: "template variable",
/// "argument"); the error is on the name at fault.
pub(crate) fn check(
    mac: &str,
    what: &str,
    completers: &[Completer],
    names: &[&str],
    cx: &mut Ctxt,
) {
    for c in completers
        .iter()
        .filter(|c| !names.contains(&c.name.as_str()))
    {
        let msg = if names.is_empty() {
            format!(
                "`#[{mac}]`: `complete` names the {what} `{}`, but there is none to complete",
                c.name
            )
        } else {
            format!(
                "`#[{mac}]`: `complete` names the {what} `{}`, which does not exist; the {what}s are: {}",
                c.name,
                list(names.iter().copied())
            )
        };
        cx.error(&c.key, msg);
    }
}

/// A `CompleteFn`: the completer run through `run_completer`, spanned on the
/// completer's path so that a fn of the wrong shape is reported there.
pub(crate) fn shim(rt: &TokenStream, c: &Completer) -> TokenStream {
    let path = &c.path;
    let call = quote_spanned! {path.span()=>
        #rt::run_completer(#path, __mcp_value, __mcp_args, __mcp_ctx)
    };
    quote! {
        (|__mcp_value: ::std::string::String,
          __mcp_args: #rt::CompletionArguments,
          __mcp_ctx: #rt::ToolContext| -> #rt::CompleteFuture { #call }) as #rt::CompleteFn
    }
}

/// `product_id` → `productId`, as the macros name arguments and variables.
pub(crate) fn camel_case(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len());
    let mut upper = false;
    for c in ident.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
