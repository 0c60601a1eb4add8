//! Code generation from the validated model. Nothing is checked here.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Item, Type};

use crate::ast::{Arguments, Description, InlineArg, Invalid, Output, OutputKind, Role, Tool};
use crate::attr::ToolAttr;
use crate::valid;

/// The whole macro on `proc_macro2` tokens.
pub(crate) fn mcp_tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    fn_macro(
        "mcp_tool",
        attr,
        item,
        ToolAttr::parse,
        |attr, f| {
            Tool::from_fn(attr, f).map_err(|invalid| {
                let Invalid { item, errors } = *invalid;
                Box::new((item, errors))
            })
        },
        expand,
    )
}

/// A fn-attribute macro `#[mac]`: `item` parsed as a fn and checked into a
/// model (with the attribute, as `parse_attr` reads it) that `expand`
/// turns into code. An invalid fn is emitted as it is, with every error; an
/// item that is not a fn is refused, with the attribute's errors too. With
/// `MCP_MACROS_DEBUG` set, the expansion is printed.
pub(crate) fn fn_macro<A, M>(
    mac: &str,
    attr: TokenStream,
    item: TokenStream,
    parse_attr: fn(TokenStream) -> syn::Result<A>,
    model: impl FnOnce(syn::Result<A>, syn::ItemFn) -> Result<M, Box<(syn::ItemFn, syn::Error)>>,
    expand: impl FnOnce(&M) -> TokenStream,
) -> TokenStream {
    let out = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(f)) => match model(parse_attr(attr), f) {
            Ok(m) => expand(&m),
            Err(invalid) => {
                let (item, errors) = *invalid;
                let errors = errors.into_compile_error();
                quote!(#item #errors)
            }
        },
        Ok(other) => {
            let mut errors = valid::not_a_fn_of(mac, &other);
            if let Err(e) = parse_attr(attr) {
                errors.combine(e);
            }
            let errors = errors.into_compile_error();
            quote!(#other #errors)
        }
        Err(e) => {
            let errors = e.into_compile_error();
            quote!(#item #errors)
        }
    };
    if std::env::var_os("MCP_MACROS_DEBUG").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("#[{mac}] expansion:\n{out}\n");
    }
    out
}

/// The user's fn, then a `const _` block with the hidden arguments struct
/// (inline arguments only) and the tool's descriptor.
///
/// The descriptor, the bound checks and the call shim (a closure) are all in
/// one body, the descriptor's `static` initializer, and every use of a user's
/// type there is spanned on that type: rustc then reports an unsatisfied
/// bound once, at the type, instead of once per use.
pub(crate) fn expand(tool: &Tool) -> TokenStream {
    let rt = rt();
    let locals = Locals::new();
    let args = arguments(tool, &locals);
    let output = output(&tool.output);
    let call = shim(tool, &args, &output, &locals);
    let descriptor = descriptor(tool, &args.input_schema, &output.output_schema, &call);
    let checks = args.checks.iter().chain(&output.checks);
    let item = &tool.item;
    let items = &args.items;
    quote! {
        // The macro demands `async`, whether or not the body awaits.
        #[allow(clippy::unused_async)]
        #item

        #[doc(hidden)]
        const _: () = {
            #items

            #rt::inventory::submit! {
                {
                    #(#checks)*
                    #descriptor
                }
            }
        };
    }
}

/// The runtime's items for generated code.
fn rt() -> TokenStream {
    quote!(::mcp_runtime::__private)
}

/// The names generated code binds.
struct Locals {
    /// The call's arguments, a `serde_json::Value`.
    value: Ident,
    /// The `Ok` and `Err` bindings of a parse's result.
    ok: Ident,
    err: Ident,
    /// The schema settings given to an input schema fn.
    settings: Ident,
    /// The `ToolContext`.
    ctx: Ident,
    /// The arguments struct, parsed.
    arguments: Ident,
    /// The hidden struct of inline arguments.
    hidden_struct: Ident,
}

impl Locals {
    fn new() -> Locals {
        Locals {
            value: mixed("__mcp_value"),
            ok: mixed("__mcp_ok"),
            err: mixed("__mcp_err"),
            settings: mixed("__mcp_settings"),
            ctx: mixed("__mcp_ctx"),
            arguments: mixed("__mcp_arguments"),
            hidden_struct: format_ident!("__McpArguments"),
        }
    }
}

/// What the tool's arguments add to the expansion.
struct ArgumentsCode {
    /// Items beside the descriptor: the hidden struct of inline arguments
    /// and the fns that use it.
    items: TokenStream,
    /// Bound checks on the arguments' types.
    checks: Vec<TokenStream>,
    /// The descriptor's `input_schema` fn.
    input_schema: TokenStream,
    /// The shim's statements that parse the call's arguments.
    parse: TokenStream,
    /// The shim's local for each inline argument.
    inline_locals: Vec<Ident>,
}

fn arguments(tool: &Tool, locals: &Locals) -> ArgumentsCode {
    let rt = rt();
    match &tool.arguments {
        Arguments::None => ArgumentsCode {
            items: TokenStream::new(),
            checks: Vec::new(),
            input_schema: quote!(#rt::no_arguments_schema),
            parse: TokenStream::new(),
            inline_locals: Vec::new(),
        },
        Arguments::Struct(ty) => struct_arguments(ty, locals),
        Arguments::Inline(fields) => inline_arguments(&tool.item.sig.ident, fields, locals),
    }
}

/// A parse that returns the error from the shim.
fn parse_or_return(
    binding: TokenStream,
    parse: TokenStream,
    Locals { ok, err, .. }: &Locals,
) -> TokenStream {
    quote! {
        let #binding = match #parse {
            ::core::result::Result::Ok(#ok) => #ok,
            ::core::result::Result::Err(#err) => return ::core::result::Result::Err(#err),
        };
    }
}

/// One parameter: its type is the arguments struct.
fn struct_arguments(ty: &Type, locals: &Locals) -> ArgumentsCode {
    let rt = rt();
    let span = ty.span();
    let (value, parsed) = (&locals.value, &locals.arguments);
    let parse_fn = quote_spanned!(span=> #rt::parse_arguments::<#ty>);
    ArgumentsCode {
        items: TokenStream::new(),
        checks: vec![quote_spanned!(span=> #rt::assert_arguments::<#ty>();)],
        input_schema: quote_spanned!(span=> #rt::input_schema_for::<#ty>),
        parse: parse_or_return(quote!(#parsed: #ty), quote!(#parse_fn(#value)), locals),
        inline_locals: Vec::new(),
    }
}

/// Inline arguments: a hidden struct with a field per parameter.
///
/// The struct is generic over the field types, so that its derived impls
/// type-check whatever those are: an unsatisfied bound is then reported
/// once, at the parameter's type, by the checks rather than also from
/// inside the derived code.
fn inline_arguments(fn_ident: &Ident, fields: &[InlineArg], locals: &Locals) -> ArgumentsCode {
    let params: Vec<Ident> = (0..fields.len())
        .map(|i| format_ident!("__McpT{i}"))
        .collect();
    let mut items = hidden_struct(fn_ident, fields, &params, &locals.hidden_struct);
    let bounds: Vec<ArgumentBounds> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| ArgumentBounds::new(i, fn_ident, f))
        .collect();
    items.extend(bounds.iter().map(ArgumentBounds::declare));
    items.extend(hidden_fns(&bounds, &params, locals));

    let tys: Vec<&Type> = fields.iter().map(|f| &f.ty).collect();
    let checks = bounds.iter().zip(&tys).map(|(b, ty)| b.check(ty)).collect();
    let inline_locals: Vec<Ident> = (0..fields.len())
        .map(|i| mixed(&format!("__mcp_arg{i}")))
        .collect();
    let names = fields.iter().map(|f| &f.ident);
    let (value, hidden) = (&locals.value, &locals.hidden_struct);
    let parse = parse_or_return(
        quote!(#hidden { #(#names: #inline_locals),* }),
        quote!(__mcp_parse_arguments::<#(#tys),*>(#value)),
        locals,
    );
    ArgumentsCode {
        items,
        checks,
        input_schema: quote!(__mcp_input_schema::<#(#tys),*>),
        parse,
        inline_locals,
    }
}

/// The bound traits of one inline argument: `Deserialize` and `JsonSchema`
/// under names of its own, whose messages name the argument, through
/// `do_not_recommend` impls so that rustc reports them rather than the bound
/// they stand for (with its list of every type that has it).
struct ArgumentBounds {
    deserialize: Ident,
    schema: Ident,
    /// A fn whose bounds are the argument's.
    check: Ident,
    /// The argument, for the messages.
    name: String,
    /// The tool's fn, for the messages.
    tool: String,
    /// `#[serde(default)]`: the type must also be `Default`.
    needs_default: bool,
}

impl ArgumentBounds {
    fn new(i: usize, fn_ident: &Ident, field: &InlineArg) -> ArgumentBounds {
        ArgumentBounds {
            deserialize: format_ident!("__McpDeserialize{i}"),
            schema: format_ident!("__McpSchema{i}"),
            check: format_ident!("__mcp_check_argument{i}"),
            name: unraw(&field.ident),
            tool: unraw(fn_ident),
            needs_default: field.needs_default,
        }
    }

    /// The two traits and their impls, and the check fn.
    fn declare(&self) -> TokenStream {
        let rt = rt();
        let Self {
            deserialize,
            schema,
            check,
            name,
            tool,
            ..
        } = self;
        let bounds = self.bounds();
        let message = |what: &str| {
            format!(
                "the argument `{name}` of the tool `{tool}` has type `{{Self}}`, which does \
                 not implement `{what}`"
            )
        };
        let label = |what: &str| format!("the type of `{name}` must implement `{what}`");
        let note = |derive: &str| {
            format!(
                "derive it on the type: `#[derive({derive})]`; for a type made of others, \
                 such as `Vec<Item>`, on those"
            )
        };
        let (de_message, de_label, de_note) = (
            message("serde::Deserialize"),
            label("serde::Deserialize"),
            note("Deserialize"),
        );
        let (js_message, js_label, js_note) = (
            message("schemars::JsonSchema"),
            label("schemars::JsonSchema"),
            note("JsonSchema"),
        );
        quote! {
            #[diagnostic::on_unimplemented(message = #de_message, label = #de_label, note = #de_note)]
            trait #deserialize: #rt::serde::de::DeserializeOwned {}
            #[diagnostic::do_not_recommend]
            impl<T: #rt::serde::de::DeserializeOwned> #deserialize for T {}
            #[diagnostic::on_unimplemented(message = #js_message, label = #js_label, note = #js_note)]
            trait #schema: #rt::schemars::JsonSchema {}
            #[diagnostic::do_not_recommend]
            impl<T: #rt::schemars::JsonSchema> #schema for T {}
            const fn #check<T: #bounds>() {}
        }
    }

    /// The bound check of the argument's type, spanned on it.
    fn check(&self, ty: &Type) -> TokenStream {
        let check = &self.check;
        quote_spanned!(ty.span()=> #check::<#ty>();)
    }

    /// The bounds of the argument's type parameter in the hidden fns.
    fn bounds(&self) -> TokenStream {
        let (deserialize, schema) = (&self.deserialize, &self.schema);
        if self.needs_default {
            quote!(#deserialize + #schema + ::core::default::Default)
        } else {
            quote!(#deserialize + #schema)
        }
    }
}

/// An ident as written in messages: without `r#`.
fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// The hidden struct, generic over `params`, its fields' types.
fn hidden_struct(
    fn_ident: &Ident,
    fields: &[InlineArg],
    params: &[Ident],
    hidden: &Ident,
) -> TokenStream {
    let rt = rt();
    let schema_name = format!("{}Arguments", pascal_case(fn_ident));
    let field_defs = fields.iter().zip(params).map(|(f, p)| {
        let (attrs, ident) = (&f.attrs, &f.ident);
        quote!(#(#attrs)* #ident: #p)
    });
    // `#[serde(default)]` fields need `Default` in the derived code.
    let struct_params = fields.iter().zip(params).map(|(f, p)| {
        if f.needs_default {
            quote!(#p: ::core::default::Default)
        } else {
            quote!(#p)
        }
    });
    quote! {
        #[doc(hidden)]
        #[derive(#rt::serde::Deserialize, #rt::schemars::JsonSchema)]
        #[serde(crate = "::mcp_runtime::__private::serde")]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[schemars(crate = "::mcp_runtime::__private::schemars")]
        #[schemars(rename = #schema_name)]
        struct #hidden<#(#struct_params),*> {
            #(#field_defs,)*
        }
    }
}

/// The fns through which the hidden struct is used, whose bounds are
/// checked at each argument's type. They reach the struct's derived impls
/// through `Hidden`, which keeps a failed derive from a second error here.
fn hidden_fns(bounds: &[ArgumentBounds], params: &[Ident], locals: &Locals) -> TokenStream {
    let rt = rt();
    let Locals {
        value,
        settings,
        hidden_struct: hidden,
        ..
    } = locals;
    let bounds = bounds.iter().map(ArgumentBounds::bounds);
    let generics = quote!(<#(#params: #bounds),*>);
    let reach = quote! {
        #[allow(unused_imports)]
        use #rt::{DeriveFailed as _, ViaDerive as _};
    };
    quote! {
        fn __mcp_input_schema #generics(
            #settings: &#rt::schemars::generate::SchemaSettings,
        ) -> #rt::schemars::Schema {
            #reach
            (&#rt::Hidden::<#hidden<#(#params),*>>::NEW).input_schema(#settings)
        }
        fn __mcp_parse_arguments #generics(
            #value: #rt::serde_json::Value,
        ) -> ::core::result::Result<#hidden<#(#params),*>, #rt::McpError> {
            #reach
            (&#rt::Hidden::<#hidden<#(#params),*>>::NEW).parse(#value)
        }
    }
}

/// What the tool's return type adds to the expansion.
struct OutputCode {
    /// Bound checks on the success and error types.
    checks: Vec<TokenStream>,
    /// The descriptor's `output_schema` fn.
    output_schema: TokenStream,
    /// The fn that turns what the tool's fn returns into the call's result.
    finish: TokenStream,
}

fn output(output: &Output) -> OutputCode {
    let rt = rt();
    let ok = &output.ok;
    let ok_span = ok.span();
    let mut checks = vec![quote_spanned!(ok_span=> #rt::assert_return::<#ok>();)];
    let finish = match &output.kind {
        OutputKind::Plain => quote_spanned!(ok_span=> #rt::finish_plain::<#ok>),
        OutputKind::Result(None) => quote_spanned!(ok_span=> #rt::finish::<#ok, _>),
        OutputKind::Result(Some(err)) => {
            let err_span = err.span();
            checks.push(quote_spanned!(err_span=> #rt::assert_error::<#err>();));
            quote_spanned!(err_span=> #rt::finish::<#ok, #err>)
        }
    };
    OutputCode {
        checks,
        output_schema: quote_spanned!(ok_span=> #rt::output_schema_for::<#ok>),
        finish,
    }
}

/// The descriptor's `call`: a closure that parses the arguments, calls the
/// tool's fn and finishes its result.
fn shim(tool: &Tool, args: &ArgumentsCode, output: &OutputCode, locals: &Locals) -> TokenStream {
    let rt = rt();
    let fn_ident = &tool.item.sig.ident;
    let call_args = tool.params.iter().map(|role| match role {
        Role::Context => locals.ctx.to_token_stream(),
        Role::Arguments => locals.arguments.to_token_stream(),
        Role::Inline(i) => args.inline_locals[*i].to_token_stream(),
    });
    let value_param = match tool.arguments {
        Arguments::None => quote!(_),
        _ => locals.value.to_token_stream(),
    };
    let ctx_param = if tool.params.contains(&Role::Context) {
        locals.ctx.to_token_stream()
    } else {
        quote!(_)
    };
    let (parse, finish) = (&args.parse, &output.finish);
    let call_fut = quote_spanned!(fn_ident.span()=> #fn_ident(#(#call_args),*));
    quote_spanned! {fn_ident.span()=>
        |#value_param: #rt::serde_json::Value, #ctx_param: #rt::ToolContext| -> #rt::CallFuture {
            ::std::boxed::Box::pin(async move {
                #parse
                #finish(#call_fut.await)
            })
        }
    }
}

/// The `ToolDescriptor` the tool registers.
fn descriptor(
    tool: &Tool,
    input_schema: &TokenStream,
    output_schema: &TokenStream,
    call: &TokenStream,
) -> TokenStream {
    let rt = rt();
    let fn_ident = &tool.item.sig.ident;
    let name = &tool.name;
    let title = option(tool.title.as_ref());
    let description = match &tool.description {
        Description::Text(s) => s.to_token_stream(),
        Description::Concat(parts) => quote!(::core::concat!(#(#parts),*)),
    };
    let a = &tool.annotations;
    let (read_only, destructive, idempotent, open_world) = (
        option(a.read_only.as_ref()),
        option(a.destructive.as_ref()),
        option(a.idempotent.as_ref()),
        option(a.open_world.as_ref()),
    );
    let state = tool
        .state
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> || #rt::StateKey::of::<#ty>()));
    let line = quote_spanned!(fn_ident.span()=> ::core::line!());
    let scopes = &tool.scopes;
    let task = match tool.task {
        crate::ast::TaskSupport::None => quote!(#rt::TaskSupport::None),
        crate::ast::TaskSupport::Optional => quote!(#rt::TaskSupport::Optional),
        crate::ast::TaskSupport::Required => quote!(#rt::TaskSupport::Required),
    };
    quote! {
        #rt::ToolDescriptor {
            name: #name,
            title: #title,
            description: #description,
            annotations: #rt::Annotations {
                read_only: #read_only,
                destructive: #destructive,
                idempotent: #idempotent,
                open_world: #open_world,
            },
            input_schema: #input_schema,
            output_schema: #output_schema,
            call: #call,
            state: &[#(#state),*],
            scopes: &[#(#scopes),*],
            task: #task,
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: #line,
        }
    }
}

/// An ident for the shim's locals, invisible to the user's code.
fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn option<T: ToTokens>(v: Option<&T>) -> TokenStream {
    match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// `get_order` → `GetOrder`, for the hidden struct's schema title.
fn pascal_case(ident: &syn::Ident) -> String {
    let s = unraw(ident);
    let mut out = String::with_capacity(s.len());
    let mut upper = true;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(attr: TokenStream, item: TokenStream) -> String {
        mcp_tool(attr, item).to_string()
    }

    #[test]
    fn descriptor_and_shim() {
        let out = expand_str(
            quote!(read_only, idempotent = false),
            quote! {
                /// Look up an order.
                async fn get_order(args: GetOrderArgs, ctx: ToolContext) -> Result<Order, McpError> {
                    let db = ctx.state::<Db>()?;
                    todo!()
                }
            },
        );
        assert!(!out.contains("compile_error"), "{out}");
        for needle in [
            "name : \"get_order\"",
            "description : \"Look up an order.\"",
            "read_only : :: core :: option :: Option :: Some (true)",
            "idempotent : :: core :: option :: Option :: Some (false)",
            "destructive : :: core :: option :: Option :: None",
            "assert_arguments :: < GetOrderArgs >",
            "assert_return :: < Order >",
            "assert_error :: < McpError >",
            "finish :: < Order , McpError >",
            "get_order (__mcp_arguments , __mcp_ctx)",
            "StateKey :: of :: < Db > ()",
        ] {
            assert!(out.contains(needle), "missing `{needle}` in {out}");
        }
    }

    #[test]
    fn inline_arguments_get_a_hidden_struct() {
        let out = expand_str(
            quote!(description = "Search."),
            quote! {
                async fn search(
                    /// What to look for.
                    query: String,
                    #[serde(default)]
                    limit: Option<u32>,
                ) -> Vec<String> {
                    todo!()
                }
            },
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("struct __McpArguments < __McpT0 , __McpT1 : :: core :: default :: Default > { # [doc = r\" What to look for.\"] query : __McpT0 , # [serde (default)] limit : __McpT1 , }"), "{out}");
        assert!(
            out.contains("schemars (rename = \"SearchArguments\")"),
            "{out}"
        );
        assert!(out.contains("search (__mcp_arg0 , __mcp_arg1)"), "{out}");
        // each argument's bounds have messages that name it
        assert!(
            out.contains("the argument `limit` of the tool `search` has type `{Self}`"),
            "{out}"
        );
        assert!(
            out.contains("fn __mcp_input_schema < __McpT0 : __McpDeserialize0 + __McpSchema0 , __McpT1 : __McpDeserialize1 + __McpSchema1 + :: core :: default :: Default >"),
            "{out}"
        );
        assert!(out.contains("finish_plain :: < Vec < String > >"), "{out}");
        // the emitted fn has no attributes on its parameters
        assert!(
            out.starts_with(
                "# [allow (clippy :: unused_async)] async fn search (query : String , limit : Option < u32 > ,)"
            ),
            "{out}"
        );
    }

    #[test]
    fn errors_keep_the_fn() {
        let out = expand_str(
            quote!(),
            quote!(
                fn f(
                    /** doc */
                    x: u8,
                    y: u8,
                ) {
                }
            ),
        );
        assert!(out.starts_with("fn f (x : u8 , y : u8"), "{out}");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }

    #[test]
    fn not_a_fn_keeps_the_item() {
        let out = expand_str(
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(out.starts_with("struct S ;"), "{out}");
        assert!(out.contains("not to a `struct`"), "{out}");
    }

    #[test]
    fn pascal() {
        assert_eq!(pascal_case(&format_ident!("get_order")), "GetOrder");
        assert_eq!(pascal_case(&format_ident!("r#type")), "Type");
    }
}
