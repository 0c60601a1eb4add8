//! Code generation from the validated [`Resource`]: the user's fn, then a
//! `const _` block registering its `ResourceDescriptor`. Nothing is checked here.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::attr::ResourceAttr;
use super::{Description, Param, Resource, Uri};
use crate::complete;

pub(crate) fn mcp_resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    crate::expand::fn_macro(
        "mcp_resource",
        attr,
        item,
        ResourceAttr::parse,
        Resource::from_fn,
        expand,
    )
}

fn rt() -> TokenStream {
    quote!(::mcp_runtime::__private)
}

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn option<T: ToTokens>(v: Option<&T>) -> TokenStream {
    match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

fn expand(r: &Resource) -> TokenStream {
    let rt = rt();
    let fn_ident = &r.item.sig.ident;
    let (vars, ctx, ok, err) = (
        mixed("__mcp_vars"),
        mixed("__mcp_ctx"),
        mixed("__mcp_ok"),
        mixed("__mcp_err"),
    );
    let mut checks = Vec::new();
    let mut parses = Vec::new();
    let mut call_args = Vec::new();
    for (i, p) in r.params.iter().enumerate() {
        match p {
            Param::Context => call_args.push(ctx.to_token_stream()),
            Param::Variable(name, ty) => {
                let local = mixed(&format!("__mcp_var{i}"));
                let span = ty.span();
                checks.push(quote_spanned!(span=> #rt::assert_template_variable::<#ty>();));
                parses.push(quote! {
                    let #local: #ty = match #vars.var::<#ty>(#name) {
                        ::core::result::Result::Ok(#ok) => #ok,
                        ::core::result::Result::Err(#err) => return ::core::result::Result::Err(#err),
                    };
                });
                call_args.push(local.to_token_stream());
            }
        }
    }
    let ok_ty = &r.ok;
    let ok_span = ok_ty.span();
    checks.push(quote_spanned!(ok_span=> #rt::assert_resource_return::<#ok_ty>();));
    let finish = match &r.result {
        None => quote_spanned!(ok_span=> #rt::finish_read_plain::<#ok_ty>),
        Some(None) => quote_spanned!(ok_span=> #rt::finish_read::<#ok_ty, _>),
        Some(Some(e)) => {
            let span = e.span();
            checks.push(quote_spanned!(span=> #rt::assert_error::<#e>();));
            quote_spanned!(span=> #rt::finish_read::<#ok_ty, #e>)
        }
    };
    let vars_param = if parses.is_empty() {
        quote!(_)
    } else {
        vars.to_token_stream()
    };
    let ctx_param = if r.params.iter().any(|p| matches!(p, Param::Context)) {
        ctx.to_token_stream()
    } else {
        quote!(_)
    };
    let call_fut = quote_spanned!(fn_ident.span()=> #fn_ident(#(#call_args),*));
    let read = quote_spanned! {fn_ident.span()=>
        |#vars_param: #rt::TemplateMatch, #ctx_param: #rt::ToolContext| -> #rt::ReadFuture {
            ::std::boxed::Box::pin(async move {
                #(#parses)*
                #finish(#call_fut.await)
            })
        }
    };
    let uri = match &r.uri {
        Uri::Static(u) => quote!(#rt::ResourceUri::Static(#u)),
        Uri::Template(t) => quote!(#rt::ResourceUri::Template(#t)),
    };
    let name = &r.name;
    let title = option(r.title.as_ref());
    let description = match &r.description {
        Description::Text(s) => s.to_token_stream(),
        Description::Concat(parts) => quote!(::core::concat!(#(#parts),*)),
    };
    let mime_type = option(r.mime_type.as_ref());
    let size = option(r.size.as_ref());
    let priority = option(r.priority.as_ref());
    let audience = &r.audience;
    let scopes = &r.scopes;
    let complete = r.complete.iter().map(|c| {
        let (name, shim) = (&c.name, complete::shim(&rt, c));
        quote!((#name, #shim))
    });
    let line = quote_spanned!(fn_ident.span()=> ::core::line!());
    let item = &r.item;
    quote! {
        // The macro demands `async`, whether or not the body awaits.
        #[allow(clippy::unused_async)]
        #item

        #[doc(hidden)]
        const _: () = {
            #rt::inventory::submit! {
                {
                    #(#checks)*
                    #rt::ResourceDescriptor {
                        uri: #uri,
                        name: #name,
                        title: #title,
                        description: #description,
                        mime_type: #mime_type,
                        size: #size,
                        audience: &[#(#audience),*],
                        priority: #priority,
                        complete: &[#(#complete),*],
                        scopes: &[#(#scopes),*],
                        read: #read,
                        module_path: ::core::module_path!(),
                        file: ::core::file!(),
                        line: #line,
                    }
                }
            }
        };
    }
}
