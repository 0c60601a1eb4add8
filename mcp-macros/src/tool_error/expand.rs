//! Code generation for `#[derive(ToolError)]`. Nothing is checked here.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::ast::{Body, ErrorType, Field, Kind, Mapping};

/// The type's mappings as the runtime's `ToolError` trait, and its
/// registration, in a `const _` block.
pub(crate) fn expand(ty: &ErrorType) -> TokenStream {
    let rt = quote!(::mcp_runtime::__private);
    let ident = &ty.ident;
    let bound = Ident::new("__mcp_field", Span::mixed_site());
    let body = match &ty.body {
        Body::Struct(m) => {
            let value = mapped(m, &bound);
            match field(m) {
                Some(f) => {
                    let member = &f.member;
                    quote! {
                        let #bound = &self.#member;
                        #value
                    }
                }
                None => value,
            }
        }
        Body::Enum(variants) => {
            let arms = variants.iter().map(|(v, m)| {
                let value = mapped(m, &bound);
                match field(m) {
                    Some(f) => {
                        let member = &f.member;
                        quote!(Self::#v { #member: ref #bound, .. } => #value,)
                    }
                    None => quote!(Self::#v { .. } => #value,),
                }
            });
            quote!(match *self { #(#arms)* })
        }
    };
    // Spanned on the type, so that a type that is not an `Error` is
    // reported there, with the runtime's message.
    let mapping = quote_spanned!(ident.span()=> #rt::ErrorMapping::of::<#ident>());
    quote! {
        #[doc(hidden)]
        const _: () = {
            #[automatically_derived]
            impl #rt::ToolError for #ident {
                fn mapped(&self) -> #rt::Mapped<'_> {
                    #body
                }
            }

            #rt::inventory::submit! {
                #mapping
            }
        };
    }
}

/// The field a mapping reads, if any.
fn field(m: &Mapping) -> Option<&Field> {
    match m {
        Mapping::Kind { retry_after, .. } => retry_after.as_ref(),
        Mapping::Transparent(f) => Some(f),
    }
}

/// The `Mapped` value of a mapping, whose field (if any) is bound to `bound`.
/// What reads the field is spanned on its type.
fn mapped(m: &Mapping, bound: &Ident) -> TokenStream {
    let rt = quote!(::mcp_runtime::__private);
    match m {
        Mapping::Kind { kind, retry_after } => {
            let kind = kind_tokens(*kind);
            let retry_after_ms = match retry_after {
                Some(f) => {
                    let ty = &f.ty;
                    quote_spanned!(ty.span()=> <#ty as #rt::RetryAfter>::retry_after_ms(#bound))
                }
                None => quote!(::core::option::Option::None),
            };
            quote!(#rt::Mapped::Kind { kind: #kind, retry_after_ms: #retry_after_ms })
        }
        Mapping::Transparent(f) => {
            let ty = &f.ty;
            let inner = quote_spanned!(ty.span()=> #rt::wrapped::<#ty>(#bound));
            quote!(#rt::Mapped::Transparent(#inner))
        }
    }
}

fn kind_tokens(kind: Kind) -> TokenStream {
    let variant = Ident::new(
        match kind {
            Kind::NotFound => "NotFound",
            Kind::Validation => "Validation",
            Kind::Authentication => "Authentication",
            Kind::PermissionDenied => "PermissionDenied",
            Kind::RateLimit => "RateLimit",
            Kind::Server => "Server",
        },
        Span::call_site(),
    );
    quote!(::mcp_runtime::__private::ErrorKind::#variant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(input: TokenStream) -> String {
        crate::tool_error::derive(input).to_string()
    }

    #[test]
    fn an_enum_matches_every_variant() {
        let out = expand_str(quote! {
            enum E {
                #[tool_error(not_found)]
                Missing(String),
                #[tool_error(rate_limit)]
                Busy { #[tool_error(retry_after)] wait: u64 },
                #[tool_error(transparent)]
                Other(OtherError),
            }
        });
        assert!(!out.contains("compile_error"), "{out}");
        for needle in [
            "impl :: mcp_runtime :: __private :: ToolError for E",
            "Self :: Missing { .. } => :: mcp_runtime :: __private :: Mapped :: Kind { kind : :: mcp_runtime :: __private :: ErrorKind :: NotFound , retry_after_ms : :: core :: option :: Option :: None } ,",
            "Self :: Busy { wait : ref __mcp_field , .. } => :: mcp_runtime :: __private :: Mapped :: Kind { kind : :: mcp_runtime :: __private :: ErrorKind :: RateLimit , retry_after_ms : < u64 as :: mcp_runtime :: __private :: RetryAfter > :: retry_after_ms (__mcp_field) } ,",
            "Self :: Other { 0 : ref __mcp_field , .. } => :: mcp_runtime :: __private :: Mapped :: Transparent (:: mcp_runtime :: __private :: wrapped :: < OtherError > (__mcp_field)) ,",
            "submit ! { :: mcp_runtime :: __private :: ErrorMapping :: of :: < E > () }",
        ] {
            assert!(out.contains(needle), "missing `{needle}` in {out}");
        }
    }

    #[test]
    fn a_struct_has_one_kind() {
        let out = expand_str(quote! {
            #[tool_error(rate_limit)]
            struct Slow(#[tool_error(retry_after)] std::time::Duration);
        });
        assert!(
            out.contains("fn mapped (& self) -> :: mcp_runtime :: __private :: Mapped < '_ > { let __mcp_field = & self . 0 ; :: mcp_runtime :: __private :: Mapped :: Kind { kind : :: mcp_runtime :: __private :: ErrorKind :: RateLimit , retry_after_ms : < std :: time :: Duration as :: mcp_runtime :: __private :: RetryAfter > :: retry_after_ms (__mcp_field) } }"),
            "{out}"
        );
    }

    #[test]
    fn errors_only() {
        let out = expand_str(quote! {
            enum E { Unmapped }
        });
        assert!(out.starts_with(":: core :: compile_error !"), "{out}");
        assert!(!out.contains("enum E"), "{out}");
    }
}
