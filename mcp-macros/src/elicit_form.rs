//! `#[derive(ElicitForm)]`: a struct with named fields becomes a form that
//! `ctx.elicit::<T>` may ask, and a unit-only enum becomes a choice such a
//! form may hold. The derive only reads the type: each field's type must be
//! a form field (`__private::FormField`), checked where the field is
//! written, so a field a form cannot hold fails to compile on that field.
//! Serde and schemars attributes stay theirs: the derive reads only
//! `#[serde(skip)]`/`#[serde(skip_deserializing)]`, whose fields are not
//! asked and so are not checked.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Meta, Token};

/// The whole derive on `proc_macro2` tokens.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let out = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => expand(&input).unwrap_or_else(syn::Error::into_compile_error),
        Err(e) => e.into_compile_error(),
    };
    if std::env::var_os("MCP_MACROS_DEBUG").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("#[derive(ElicitForm)] expansion:\n{out}\n");
    }
    out
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(ElicitForm)]: a form type cannot be generic; \
             write the form's fields with concrete types",
        ));
    }
    let name = &input.ident;
    match &input.data {
        Data::Struct(s) => {
            let Fields::Named(fields) = &s.fields else {
                return Err(syn::Error::new(
                    s.fields.span().join(name.span()).unwrap_or(name.span()),
                    "#[derive(ElicitForm)]: a form is a struct with named fields \
                     (each field is one question of the form)",
                ));
            };
            let mut checks = Vec::new();
            for field in &fields.named {
                if skipped(field)? {
                    continue;
                }
                let ty = &field.ty;
                checks.push(quote_spanned! {ty.span()=>
                    const _: fn() = || {
                        fn form_field<F: ::mcp_runtime::__private::FormField>() {}
                        form_field::<#ty>();
                    };
                });
            }
            Ok(quote! {
                #(#checks)*
                impl ::mcp_runtime::__private::ElicitForm for #name {}
            })
        }
        Data::Enum(e) => {
            let mut errors: Option<syn::Error> = None;
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    let err = syn::Error::new(
                        v.fields.span(),
                        format!(
                            "#[derive(ElicitForm)]: variant `{}` carries data; a form's \
                             choice is a unit-only enum (each variant one option)",
                            v.ident
                        ),
                    );
                    match &mut errors {
                        Some(all) => all.combine(err),
                        None => errors = Some(err),
                    }
                }
            }
            if let Some(e) = errors {
                return Err(e);
            }
            if e.variants.is_empty() {
                return Err(syn::Error::new(
                    name.span(),
                    "#[derive(ElicitForm)]: a choice needs at least one variant",
                ));
            }
            Ok(quote! {
                impl ::mcp_runtime::__private::FormField for #name {}
                impl ::mcp_runtime::__private::FormEnum for #name {}
            })
        }
        Data::Union(u) => Err(syn::Error::new(
            u.union_token.span,
            "#[derive(ElicitForm)]: a form is a struct with named fields, a choice a \
             unit-only enum; a union is neither",
        )),
    }
}

/// Whether serde leaves the field out of deserialization (so out of the form).
fn skipped(field: &syn::Field) -> syn::Result<bool> {
    for attr in &field.attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let Meta::List(_) = &attr.meta else { continue };
        let metas = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        if metas.iter().any(|m| {
            matches!(m, Meta::Path(p) if p.is_ident("skip") || p.is_ident("skip_deserializing"))
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}
