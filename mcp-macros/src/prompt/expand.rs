//! Code generation from the validated [`Prompt`]: the user's fn, then a
//! `const _` block registering its `PromptDescriptor`. Nothing is checked here.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::attr::PromptAttr;
use super::{Param, Prompt};
use crate::complete;

pub(crate) fn mcp_prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    crate::expand::fn_macro(
        "mcp_prompt",
        attr,
        item,
        PromptAttr::parse,
        Prompt::from_fn,
        expand,
    )
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

fn expand(p: &Prompt) -> TokenStream {
    let rt = quote!(::mcp_runtime::__private);
    let fn_ident = &p.item.sig.ident;
    let (args, ctx, ok, err) = (
        mixed("__mcp_args"),
        mixed("__mcp_ctx"),
        mixed("__mcp_ok"),
        mixed("__mcp_err"),
    );
    let mut checks = Vec::new();
    let mut parses = Vec::new();
    let mut call_args = Vec::new();
    let mut declared = Vec::new();
    for (i, param) in p.params.iter().enumerate() {
        let a = match param {
            Param::Context => {
                call_args.push(ctx.to_token_stream());
                continue;
            }
            Param::Argument(a) => a,
        };
        let local = mixed(&format!("__mcp_arg{i}"));
        let (ty, name) = (&a.ty, &a.name);
        checks.push(quote_spanned!(ty.span()=> #rt::assert_prompt_argument::<#ty>();));
        let get = if a.required {
            quote!(#args.required::<#ty>(#name))
        } else {
            quote!(#args.optional::<#ty>(#name))
        };
        parses.push(quote! {
            let #local = match #get {
                ::core::result::Result::Ok(#ok) => #ok,
                ::core::result::Result::Err(#err) => return ::core::result::Result::Err(#err),
            };
        });
        call_args.push(local.to_token_stream());
        let (description, required) = (option(a.description.as_ref()), a.required);
        let complete = match p.complete.iter().find(|c| c.name == a.name) {
            Some(c) => {
                let shim = complete::shim(&rt, c);
                quote!(::core::option::Option::Some(#shim))
            }
            None => quote!(::core::option::Option::None),
        };
        declared.push(quote! {
            #rt::PromptArgument {
                name: #name,
                description: #description,
                required: #required,
                complete: #complete,
            }
        });
    }
    let ok_ty = &p.ok;
    let ok_span = ok_ty.span();
    checks.push(quote_spanned!(ok_span=> #rt::assert_prompt_return::<#ok_ty>();));
    let finish = match &p.result {
        None => quote_spanned!(ok_span=> #rt::finish_prompt_plain::<#ok_ty>),
        Some(None) => quote_spanned!(ok_span=> #rt::finish_prompt::<#ok_ty, _>),
        Some(Some(e)) => {
            checks.push(quote_spanned!(e.span()=> #rt::assert_error::<#e>();));
            quote_spanned!(e.span()=> #rt::finish_prompt::<#ok_ty, #e>)
        }
    };
    let args_param = if parses.is_empty() {
        quote!(_)
    } else {
        args.to_token_stream()
    };
    let ctx_param = if p.params.iter().any(|p| matches!(p, Param::Context)) {
        ctx.to_token_stream()
    } else {
        quote!(_)
    };
    let call_fut = quote_spanned!(fn_ident.span()=> #fn_ident(#(#call_args),*));
    let name = &p.name;
    let title = option(p.title.as_ref());
    let description = &p.description;
    let scopes = &p.scopes;
    let line = quote_spanned!(fn_ident.span()=> ::core::line!());
    let item = &p.item;
    quote! {
        // The macro demands `async`, whether or not the body awaits.
        #[allow(clippy::unused_async)]
        #item

        #[doc(hidden)]
        const _: () = {
            #rt::inventory::submit! {
                {
                    #(#checks)*
                    #rt::PromptDescriptor {
                        name: #name,
                        title: #title,
                        description: #description,
                        arguments: &[#(#declared),*],
                        scopes: &[#(#scopes),*],
                        get: |#args_param: #rt::PromptArguments, #ctx_param: #rt::ToolContext| -> #rt::PromptFuture {
                            ::std::boxed::Box::pin(async move {
                                #(#parses)*
                                #finish(#call_fut.await)
                            })
                        },
                        module_path: ::core::module_path!(),
                        file: ::core::file!(),
                        line: #line,
                    }
                }
            }
        };
    }
}
