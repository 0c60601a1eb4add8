//! Checks the attribute and the `ItemFn`, and builds the model of the tool
//! ([`crate::ast`]) from them.
//!
//! Every problem found is collected in a [`Ctxt`] and reported together; no
//! tokens are generated here.

use std::collections::HashSet;

use proc_macro2::Span;
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericArgument, Ident, ItemFn, Lit, LitStr, Meta, Pat,
    PathArguments, ReturnType, Token, Type,
};

use crate::ast::{
    Annotations, Arguments, Description, InlineArg, Invalid, Output, OutputKind, Role, TaskSupport,
    Tool,
};
use crate::attr::{Text, ToolAttr};
use crate::diag::Ctxt;

/// A parameter before classification.
struct RawParam {
    ident: Option<Ident>,
    ty: Type,
    /// `#[doc]` attributes.
    docs: Vec<Attribute>,
    /// `#[serde]` / `#[schemars]` attributes.
    helpers: Vec<Attribute>,
}

const MAX_NAME_LEN: usize = 64;

impl Tool {
    /// The model of the tool, or the fn with every error found in it.
    pub(crate) fn from_fn(
        attr: syn::Result<ToolAttr>,
        mut item: ItemFn,
    ) -> Result<Tool, Box<Invalid>> {
        let mut cx = Ctxt::default();
        // `None`: the attribute could not be read; its errors are reported,
        // and the checks of what it says are skipped.
        let attr = attr.map_err(|e| cx.push(e)).ok();

        let raw = take_param_attrs(&mut item, &mut cx);
        check_signature(&item, &mut cx);
        let params = classify_params(&item, raw, &mut cx);
        let output = output(&item.sig.output, &mut cx);
        let name = name(attr.as_ref(), &item.sig.ident, &mut cx);
        let title = title(attr.as_ref(), &mut cx);
        let scopes = scopes(attr.as_ref(), &mut cx);
        let task = task(attr.as_ref(), &mut cx);
        let description = description(attr.as_ref(), &item, &mut cx);
        let state = params
            .ctx
            .map(|ctx| state_types(&item, &ctx))
            .unwrap_or_default();

        if let Err(errors) = cx.into_result() {
            return Err(Box::new(Invalid { item, errors }));
        }
        let attr = attr.expect("no error, so the attribute was read");
        Ok(Tool {
            item,
            name,
            title,
            description: description.expect("no error, so a description"),
            annotations: Annotations {
                read_only: attr.read_only.map(|f| f.0),
                destructive: attr.destructive.map(|f| f.0),
                idempotent: attr.idempotent.map(|f| f.0),
                open_world: attr.open_world.map(|f| f.0),
            },
            scopes,
            task,
            params: params.roles,
            arguments: params.arguments,
            output: output.expect("no error, so an output"),
            state,
        })
    }
}

/// Takes doc comments and `#[serde]`/`#[schemars]` off the parameters (rustc
/// rejects them there), returning each typed parameter with them.
fn take_param_attrs(item: &mut ItemFn, cx: &mut Ctxt) -> Vec<Option<RawParam>> {
    let mut out = Vec::with_capacity(item.sig.inputs.len());
    for arg in item.sig.inputs.iter_mut() {
        let attrs = match arg {
            FnArg::Receiver(r) => &mut r.attrs,
            FnArg::Typed(pt) => &mut pt.attrs,
        };
        let mut docs = Vec::new();
        let mut helpers = Vec::new();
        let mut kept = Vec::new();
        for a in attrs.drain(..) {
            let path = a.path();
            if path.is_ident("doc") {
                docs.push(a);
            } else if path.is_ident("serde") || path.is_ident("schemars") {
                helpers.push(a);
            } else {
                if path.is_ident("cfg") || path.is_ident("cfg_attr") {
                    cx.error(
                        &a,
                        "`#[mcp_tool]` does not support `#[cfg]` on parameters; \
                         make the argument an `Option` instead",
                    );
                }
                kept.push(a);
            }
        }
        *attrs = kept;
        out.push(match arg {
            FnArg::Receiver(_) => None,
            FnArg::Typed(pt) => Some(RawParam {
                ident: match &*pt.pat {
                    Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                        Some(pi.ident.clone())
                    }
                    _ => None,
                },
                ty: (*pt.ty).clone(),
                docs,
                helpers,
            }),
        });
    }
    out
}

fn check_signature(item: &ItemFn, cx: &mut Ctxt) {
    let sig = &item.sig;
    if let Some(c) = &sig.constness {
        cx.error(
            c,
            "`#[mcp_tool]` requires an `async fn`, not a `const fn`; remove `const`",
        );
    }
    if sig.asyncness.is_none() {
        cx.error(
            sig.fn_token,
            "`#[mcp_tool]` requires an `async fn`; add `async` before `fn`",
        );
    }
    if let Some(u) = &sig.unsafety {
        cx.error(
            u,
            "`#[mcp_tool]` cannot be used on an `unsafe fn`; remove `unsafe` \
             (use an `unsafe` block inside the fn if you must)",
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error(
            abi,
            "`#[mcp_tool]` cannot be used on an `extern fn`; remove the ABI",
        );
    }
    if let Some(v) = &sig.variadic {
        cx.error(
            v,
            "`#[mcp_tool]` cannot be used on a variadic fn; remove `...`",
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error(
            &sig.generics,
            "`#[mcp_tool]` cannot be used on a generic fn; remove the generic \
             parameters and use concrete types",
        );
    }
    if let Some(w) = &sig.generics.where_clause {
        cx.error(
            w,
            "`#[mcp_tool]` cannot be used on a fn with a `where` clause; remove \
             it and use concrete types",
        );
    }
}

/// The parameters, classified.
struct Params {
    roles: Vec<Role>,
    arguments: Arguments,
    /// The context parameter's name.
    ctx: Option<Ident>,
}

fn classify_params(item: &ItemFn, raw: Vec<Option<RawParam>>, cx: &mut Ctxt) -> Params {
    let mut roles = Vec::with_capacity(raw.len());
    let mut ctx: Option<Ident> = None;
    let mut seen_ctx = false;
    let mut others: Vec<RawParam> = Vec::new();

    for (arg, raw) in item.sig.inputs.iter().zip(raw) {
        let (pt, raw) = match (arg, raw) {
            (FnArg::Typed(pt), Some(raw)) => (pt, raw),
            (FnArg::Receiver(r), _) => {
                cx.error(
                    r,
                    "`#[mcp_tool]` must be on a free `async fn`, not a method; \
                     remove the `self` parameter and move the fn out of the `impl` block \
                     (shared state is reached with `ctx.state::<T>()`)",
                );
                continue;
            }
            (FnArg::Typed(_), None) => unreachable!("typed parameters are always collected"),
        };
        if raw.ident.is_none() {
            cx.error(
                &pt.pat,
                "`#[mcp_tool]` parameters must be plain names, not patterns; \
                 write `name: Type` and destructure inside the fn body",
            );
        }
        let ty = peel(&raw.ty);
        if let Type::Reference(r) = ty {
            if is_context(&r.elem) {
                cx.error(
                    ty,
                    "`#[mcp_tool]`: take `ToolContext` by value (`ctx: ToolContext`), not by reference",
                );
            } else {
                cx.error(
                    ty,
                    "`#[mcp_tool]` parameters must be owned types, since arguments are \
                     deserialized for each call; take the value (e.g. `String` instead of `&str`)",
                );
            }
            roles.push(Role::Arguments);
            continue;
        }
        if let Some(it) = find_impl_trait(ty) {
            cx.error(
                it,
                "`#[mcp_tool]` parameters cannot use `impl Trait`; use a concrete type",
            );
        }
        if is_context(ty) {
            if seen_ctx {
                cx.error(
                    ty,
                    "`#[mcp_tool]` takes at most one `ToolContext` parameter; remove this one",
                );
            } else {
                seen_ctx = true;
                ctx = raw.ident.clone();
            }
            if let Some(h) = raw.helpers.first() {
                cx.error(h, "`#[mcp_tool]`: this attribute has no meaning on the `ToolContext` parameter; remove it");
            }
            roles.push(Role::Context);
        } else {
            roles.push(Role::Inline(others.len()));
            others.push(raw);
        }
    }

    // A documented parameter is an inline argument; a single undocumented
    // one is the arguments struct. Either is seen from the signature alone.
    let arguments = match &others[..] {
        [] => Arguments::None,
        [single] if single.docs.is_empty() => {
            let raw = others.pop().expect("one element");
            for r in roles.iter_mut() {
                if let Role::Inline(_) = r {
                    *r = Role::Arguments;
                }
            }
            check_arguments_struct(&raw, cx);
            Arguments::Struct(raw.ty)
        }
        _ => Arguments::Inline(
            others
                .into_iter()
                .filter_map(|raw| {
                    let ident = raw.ident?;
                    let needs_default = check_inline_helpers(&raw.helpers, cx);
                    let mut attrs = raw.docs;
                    attrs.extend(raw.helpers);
                    Some(InlineArg {
                        ident,
                        ty: raw.ty,
                        attrs,
                        needs_default,
                    })
                })
                .collect(),
        ),
    };
    Params {
        roles,
        arguments,
        ctx,
    }
}

/// The single undocumented parameter, taken as the arguments struct.
fn check_arguments_struct(raw: &RawParam, cx: &mut Ctxt) {
    if let Some(h) = raw.helpers.first() {
        cx.error(
            h,
            "`#[mcp_tool]`: a single parameter without a doc comment is the arguments \
             struct; put `#[serde]`/`#[schemars]` attributes on the struct's fields \
             (they apply to inline arguments only: documented parameters, or two or more)",
        );
    }
    if let Some(what) = not_an_object(peel(&raw.ty)) {
        cx.error(
            &raw.ty,
            format_args!(
                "`#[mcp_tool]`: a single parameter without a doc comment is the arguments \
                 struct, whose schema must be an object, but {what} is not; add a doc \
                 comment (`/// ...`) to the parameter to make it an inline argument, or take \
                 a struct that derives `Deserialize` and `JsonSchema`"
            ),
        );
    }
}

/// `#[serde(...)]` on an inline argument: whether it needs `Default`. Options
/// naming a fn of the field's type are refused, since the hidden struct's
/// fields have generic types.
fn check_inline_helpers(helpers: &[Attribute], cx: &mut Ctxt) -> bool {
    let mut needs_default = false;
    for attr in helpers.iter().filter(|a| a.path().is_ident("serde")) {
        let res = attr.parse_nested_meta(|meta| {
            let has_value = meta.input.peek(Token![=]);
            let name = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match (name.as_str(), has_value) {
                ("default", false) | ("skip" | "skip_deserializing", _) => needs_default = true,
                ("default" | "with" | "deserialize_with" | "bound" | "flatten", _) => cx.error(
                    &meta.path,
                    format_args!(
                        "`#[mcp_tool]`: `#[serde({name})]` is not supported on an inline \
                         argument; declare an arguments struct instead"
                    ),
                ),
                _ => {}
            }
            if has_value {
                meta.input.parse::<Token![=]>()?;
                meta.input.parse::<Expr>()?;
            } else if meta.input.peek(syn::token::Paren) {
                meta.input.parse::<proc_macro2::Group>()?;
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.push(e);
        }
    }
    needs_default
}

/// A type whose JSON Schema is certainly not an object, described for the
/// error message.
fn not_an_object(ty: &Type) -> Option<String> {
    match ty {
        Type::Tuple(_) | Type::Array(_) | Type::Slice(_) => {
            Some(format!("`{}`", ty.to_token_stream()).replace(" ", ""))
        }
        Type::Path(tp) if tp.qself.is_none() => {
            let seg = tp.path.segments.last()?;
            let name = seg.ident.to_string();
            const SCALARS: &[&str] = &[
                "String", "str", "bool", "char", "i8", "i16", "i32", "i64", "i128", "isize", "u8",
                "u16", "u32", "u64", "u128", "usize", "f32", "f64", "Vec", "Option",
            ];
            SCALARS.contains(&name.as_str()).then(|| {
                let s = ty.to_token_stream().to_string().replace(' ', "");
                format!("`{s}`")
            })
        }
        _ => None,
    }
}

fn output(ret: &ReturnType, cx: &mut Ctxt) -> Option<Output> {
    let ty = match ret {
        ReturnType::Default => {
            return Some(Output {
                ok: syn::parse_quote!(()),
                kind: OutputKind::Plain,
            });
        }
        ReturnType::Type(_, ty) => &**ty,
    };
    let hint = " (or `Result<T>` with an alias)";
    let (ok, result) = returned("mcp_tool", ty, hint, cx)?;
    let kind = match result {
        None => OutputKind::Plain,
        Some(err) => OutputKind::Result(err.map(Box::new)),
    };
    Some(Output { ok, kind })
}

/// A macro's return type: its success type, and whether it is a `Result`
/// (`Some`) with its error type when written (`Some(Some(e))`).
pub(crate) type Returned = (Type, Option<Option<Type>>);

/// Split the return type `ty` of `#[mac]`'s fn: `impl Trait` refused, a
/// `Result<T, E>` (or `Result<T>`) into its types, anything else plain.
/// `hint` ends the message of a `Result` whose types cannot be seen.
pub(crate) fn returned(mac: &str, ty: &Type, hint: &str, cx: &mut Ctxt) -> Option<Returned> {
    if let Some(it) = find_impl_trait(ty) {
        cx.error(
            it,
            format!("`#[{mac}]` cannot return `impl Trait`; return a concrete type"),
        );
        return None;
    }
    let Some(seg) = last_segment(ty).filter(|s| s.ident == "Result") else {
        return Some((ty.clone(), None));
    };
    let types: Vec<&Type> = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    match types[..] {
        [ok] => Some((ok.clone(), Some(None))),
        [ok, err] => Some((ok.clone(), Some(Some(err.clone())))),
        _ => {
            cx.error(
                ty,
                format!(
                    "`#[{mac}]` cannot see the success type of this `Result`; \
                     write it as `Result<T, E>`{hint}"
                ),
            );
            None
        }
    }
}

fn name(attr: Option<&ToolAttr>, fn_ident: &Ident, cx: &mut Ctxt) -> String {
    match attr.and_then(|a| a.name.as_ref()).map(|t| &t.0) {
        Some(lit) => {
            let name = lit.value();
            if let Err(why) = check_name(&name) {
                cx.error(lit, format_args!("`#[mcp_tool]`: {why}"));
            }
            name
        }
        None => {
            let name = fn_ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            if let Err(why) = check_name(&name) {
                cx.error(
                    fn_ident,
                    format_args!(
                        "`#[mcp_tool]`: the tool is named after the fn, but {why}; \
                         choose a name with `name = \"...\"`"
                    ),
                );
            }
            name
        }
    }
}

/// MCP tool names: 1–64 characters of `[A-Za-z0-9_.-]`. The error says why not.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a tool name cannot be empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "a tool name may contain only ASCII letters, digits, `_`, `-` and `.`, not {c:?}"
        ));
    }
    let len = name.len();
    if len > MAX_NAME_LEN {
        return Err(format!(
            "a tool name has at most {MAX_NAME_LEN} characters, and this one has {len}"
        ));
    }
    Ok(())
}

fn title(attr: Option<&ToolAttr>, cx: &mut Ctxt) -> Option<String> {
    let lit = &attr?.title.as_ref()?.0;
    let title = lit.value().trim().to_owned();
    if title.is_empty() {
        cx.error(
            lit,
            "`#[mcp_tool]`: the title is empty; give a human-readable name or remove `title`",
        );
    }
    Some(title)
}

/// The scopes of `scopes = [...]` of `#[mcp_tool]`.
fn scopes(attr: Option<&ToolAttr>, cx: &mut Ctxt) -> Vec<String> {
    let list = attr.and_then(|a| a.scopes.as_ref());
    check_scopes("mcp_tool", list.map(|l| (&l.0[..], &l.1)), cx)
}

/// The scopes of `scopes = [...]` of `#[mac]` (the literals and the list's
/// tokens): RFC 6749 scope tokens (printable ASCII without space, `"` or
/// `\`), each once.
pub(crate) fn check_scopes(
    mac: &str,
    list: Option<(&[syn::LitStr], &proc_macro2::TokenStream)>,
    cx: &mut Ctxt,
) -> Vec<String> {
    let Some((lits, tokens)) = list else {
        return Vec::new();
    };
    if lits.is_empty() {
        // An empty list says nothing: most likely a scope was forgotten.
        cx.error(
            tokens,
            format_args!(
                "`#[{mac}]`: `scopes` is empty; name the scopes a caller needs, or remove `scopes`"
            ),
        );
    }
    let mut scopes: Vec<String> = Vec::new();
    for lit in lits {
        let scope = lit.value();
        let valid = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            cx.error(
                lit,
                format_args!(
                    "`#[{mac}]`: a scope is printable ASCII without spaces, `\"` or `\\` \
                     (RFC 6749 §3.3), e.g. \"orders:write\""
                ),
            );
        } else if scopes.contains(&scope) {
            cx.error(
                lit,
                format_args!("`#[{mac}]`: the scope `{scope}` is listed twice"),
            );
        } else {
            scopes.push(scope);
        }
    }
    scopes
}

/// `task = "optional" | "required"`: whether a call may, or must, run as a
/// task of the tasks extension.
fn task(attr: Option<&ToolAttr>, cx: &mut Ctxt) -> TaskSupport {
    let Some(lit) = attr.and_then(|a| a.task.as_ref()) else {
        return TaskSupport::None;
    };
    match lit.0.value().as_str() {
        "optional" => TaskSupport::Optional,
        "required" => TaskSupport::Required,
        "forbidden" => {
            cx.error(
                &lit.0,
                "`#[mcp_tool]`: a tool without task support needs no `task` key; remove it \
                 (or write `task = \"optional\"` or `task = \"required\"`)",
            );
            TaskSupport::None
        }
        other => {
            cx.error(
                &lit.0,
                format_args!(
                    "`#[mcp_tool]`: `task` is `\"optional\"` (a call runs as a task when the \
                     client supports tasks) or `\"required\"` (only as a task), not `{other:?}`"
                ),
            );
            TaskSupport::None
        }
    }
}

fn description(attr: Option<&ToolAttr>, item: &ItemFn, cx: &mut Ctxt) -> Option<Description> {
    const EMPTY: &str = "`#[mcp_tool]`: the description is empty; say what the tool does, \
                         what it returns and when an agent should use it";
    if let Some(Text(lit)) = attr.and_then(|a| a.description.as_ref()) {
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
        // An attribute that could not be read may have meant to give one.
        if attr.is_some() {
            cx.error(
                &item.sig.ident,
                "`#[mcp_tool]` needs a description, which the agent reads to decide when to \
                 call the tool; add a doc comment (`/// ...`) to the fn or \
                 `description = \"...\"` to the attribute",
            );
        }
        return None;
    }
    let literal: Option<Vec<String>> = docs.iter().map(|(_, e)| lit_str(e)).collect();
    match literal {
        Some(lines) => {
            let text = clean_doc(&lines);
            if text.is_empty() {
                let (first, _) = docs[0];
                cx.error(first, EMPTY);
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
                    Some(s) => {
                        let s = s.strip_prefix(' ').unwrap_or(&s).to_owned();
                        Expr::Lit(ExprLit {
                            attrs: Vec::new(),
                            lit: Lit::Str(LitStr::new(&s, Span::call_site())),
                        })
                    }
                    None => (*e).clone(),
                });
            }
            Some(Description::Concat(parts))
        }
    }
}

pub(crate) fn lit_str(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// Doc comment lines to text: the common indentation removed, trailing
/// whitespace and blank lines at both ends dropped, lines joined with `\n`.
pub(crate) fn clean_doc(lines: &[String]) -> String {
    let lines: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.split('\n'))
        .map(str::trim_end)
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect();
    let start = lines.iter().position(|l| !l.is_empty());
    let end = lines.iter().rposition(|l| !l.is_empty());
    match (start, end) {
        (Some(s), Some(e)) => lines[s..=e].join("\n"),
        _ => String::new(),
    }
}

/// Looks through `Type::Group` (types passed through `macro_rules!`) and parentheses.
pub(crate) fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => peel(&g.elem),
        Type::Paren(p) => peel(&p.elem),
        _ => ty,
    }
}

pub(crate) fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match peel(ty) {
        Type::Path(tp) if tp.qself.is_none() => tp.path.segments.last(),
        _ => None,
    }
}

/// `ToolContext`, by any path.
pub(crate) fn is_context(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "ToolContext" && s.arguments.is_none())
}

pub(crate) fn find_impl_trait(ty: &Type) -> Option<&syn::TypeImplTrait> {
    struct Find<'a>(Option<&'a syn::TypeImplTrait>);
    impl<'a> Visit<'a> for Find<'a> {
        fn visit_type_impl_trait(&mut self, it: &'a syn::TypeImplTrait) {
            self.0.get_or_insert(it);
        }
    }
    let mut f = Find(None);
    f.visit_type(ty);
    f.0
}

/// The `T`s of `ctx.state::<T>()` calls in the fn body.
fn state_types(item: &ItemFn, ctx: &Ident) -> Vec<Type> {
    let mut v = StateVisitor {
        ctx,
        seen: HashSet::new(),
        found: Vec::new(),
    };
    v.visit_block(&item.block);
    v.found
}

struct StateVisitor<'a> {
    ctx: &'a Ident,
    seen: HashSet<String>,
    found: Vec<Type>,
}

impl StateVisitor<'_> {
    fn is_ctx(&self, e: &Expr) -> bool {
        match e {
            Expr::Path(p) => p.qself.is_none() && p.path.is_ident(self.ctx),
            Expr::Paren(p) => self.is_ctx(&p.expr),
            Expr::Group(g) => self.is_ctx(&g.expr),
            Expr::Reference(r) => self.is_ctx(&r.expr),
            _ => false,
        }
    }
}

impl<'ast> Visit<'ast> for StateVisitor<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "state"
            && m.args.is_empty()
            && self.is_ctx(&m.receiver)
            && let Some(tf) = &m.turbofish
            && let (1, Some(GenericArgument::Type(t))) = (tf.args.len(), tf.args.first())
            && self.seen.insert(t.to_token_stream().to_string())
        {
            self.found.push(t.clone());
        }
        visit::visit_expr_method_call(self, m);
    }

    /// Items nested in the body cannot see the context.
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    /// Macros whose input is a list of expressions (`format!`, `assert!`, ...).
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Ok(exprs) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for e in &exprs {
                self.visit_expr(e);
            }
        }
    }
}

fn two(a: &impl ToTokens, b: &impl ToTokens) -> proc_macro2::TokenStream {
    let mut t = a.to_token_stream();
    b.to_tokens(&mut t);
    t
}

/// `#[mac]` put on an item that is not a fn: what it is, for the message.
pub(crate) fn not_a_fn_of(mac: &str, item: &syn::Item) -> syn::Error {
    use syn::Item;
    let (what, tokens) = match item {
        Item::Const(i) => ("a `const`", two(&i.const_token, &i.ident)),
        Item::Enum(i) => ("an `enum`", two(&i.enum_token, &i.ident)),
        Item::ExternCrate(i) => ("an `extern crate`", two(&i.extern_token, &i.crate_token)),
        Item::ForeignMod(i) => ("an `extern` block", i.abi.to_token_stream()),
        Item::Impl(i) => ("an `impl` block", i.impl_token.to_token_stream()),
        Item::Macro(i) => ("a macro", i.mac.path.to_token_stream()),
        Item::Mod(i) => ("a `mod`", two(&i.mod_token, &i.ident)),
        Item::Static(i) => ("a `static`", two(&i.static_token, &i.ident)),
        Item::Struct(i) => ("a `struct`", two(&i.struct_token, &i.ident)),
        Item::Trait(i) => ("a `trait`", two(&i.trait_token, &i.ident)),
        Item::TraitAlias(i) => ("a trait alias", two(&i.trait_token, &i.ident)),
        Item::Type(i) => ("a `type` alias", two(&i.type_token, &i.ident)),
        Item::Union(i) => ("a `union`", two(&i.union_token, &i.ident)),
        Item::Use(i) => ("a `use`", i.use_token.to_token_stream()),
        _ => ("this item", item.to_token_stream()),
    };
    syn::Error::new_spanned(
        tokens,
        format_args!("`#[{mac}]` applies to an `async fn`, not to {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn model(
        attr: proc_macro2::TokenStream,
        item: proc_macro2::TokenStream,
    ) -> Result<Tool, Vec<String>> {
        let item: ItemFn = syn::parse2(item).unwrap();
        Tool::from_fn(ToolAttr::parse(attr), item)
            .map_err(|i| i.errors.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn names() {
        assert!(check_name("get_order").is_ok());
        assert!(check_name("a.b-c_D9").is_ok());
        assert!(check_name(&"x".repeat(64)).is_ok());
        assert!(check_name(&"x".repeat(65)).is_err());
        assert!(check_name("").is_err());
        assert!(check_name("get order").is_err());
        assert!(check_name("café").is_err());
    }

    #[test]
    fn docs_are_cleaned() {
        let lines: Vec<String> = [" Look up an order.", "", " Returns it.  ", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(clean_doc(&lines), "Look up an order.\n\nReturns it.");
        let block = vec!["\n    Block\n      indented\n    ".to_owned()];
        assert_eq!(clean_doc(&block), "Block\n  indented");
        assert_eq!(clean_doc(&["  ".to_owned()]), "");
    }

    #[test]
    fn every_error_at_once() {
        let errs = model(
            quote!(name = "bad name"),
            quote!(
                fn f<T>(&self, (a, b): (u8, u8), c: &ToolContext) {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errs.len(), 8, "{errs:#?}");
    }

    #[test]
    fn shapes() {
        let t = model(
            quote!(),
            quote!(
                /// Doc.
                async fn f(ctx: ToolContext, a: Args) -> Result<Out, McpError> {}
            ),
        )
        .ok()
        .unwrap();
        assert_eq!(t.params, [Role::Context, Role::Arguments]);
        assert!(matches!(t.arguments, Arguments::Struct(_)));
        assert!(matches!(t.output.kind, OutputKind::Result(Some(_))));
        assert_eq!(t.name, "f");

        let t = model(
            quote!(description = "D"),
            quote!(
                async fn g(
                    /// The a.
                    a: u32,
                    ctx: mcp_runtime::ToolContext,
                    /// The b.
                    b: Option<String>,
                ) -> io::Result<u8> {
                }
            ),
        )
        .ok()
        .unwrap();
        assert_eq!(t.params, [Role::Inline(0), Role::Context, Role::Inline(1)]);
        let Arguments::Inline(args) = &t.arguments else {
            panic!()
        };
        assert_eq!(args[0].attrs.len(), 1);
        assert!(matches!(t.output.kind, OutputKind::Result(None)));
        // doc comments are gone from the emitted fn
        let FnArg::Typed(p) = &t.item.sig.inputs[0] else {
            panic!()
        };
        assert!(p.attrs.is_empty());
    }

    #[test]
    fn a_documented_parameter_is_inline() {
        let t = model(
            quote!(),
            quote!(
                /// Doc.
                async fn f(
                    /// The SKU.
                    sku: String,
                    ctx: ToolContext,
                ) {
                }
            ),
        )
        .ok()
        .unwrap();
        assert_eq!(t.params, [Role::Inline(0), Role::Context]);
        let Arguments::Inline(args) = &t.arguments else {
            panic!()
        };
        assert_eq!(args[0].ident, "sku");

        // Undocumented, the same parameter is the arguments struct, which
        // `String` cannot be.
        let errs = model(
            quote!(),
            quote!(
                /// Doc.
                async fn f(sku: String, ctx: ToolContext) {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("add a doc comment"), "{errs:?}");
    }

    #[test]
    fn state_is_found() {
        let t = model(
            quote!(),
            quote!(
                /// Doc.
                async fn f(c: ToolContext) {
                    let a = c.state::<Db>()?;
                    let b = c.state::<Db>()?;
                    let x = other.state::<Nope>();
                    println!("{:?}", c.state::<Cache>());
                    fn inner(c: ToolContext) {
                        c.state::<Hidden>();
                    }
                }
            ),
        )
        .ok()
        .unwrap();
        let found: Vec<String> = t
            .state
            .iter()
            .map(|t| t.to_token_stream().to_string())
            .collect();
        assert_eq!(found, ["Db", "Cache"]);
    }

    #[test]
    fn an_unreadable_attribute_is_not_checked_further() {
        // `titel` may have been meant as any key, even `description`: no
        // "needs a description", and the bad name is not looked at.
        let errs = model(
            quote!(name = "bad name", titel = "x"),
            quote!(
                async fn f() {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(
            errs,
            ["`#[mcp_tool]`: unknown key `titel`; did you mean `title`?"]
        );
    }

    #[test]
    fn missing_description() {
        let errs = model(
            quote!(),
            quote!(
                async fn f() {}
            ),
        )
        .err()
        .unwrap();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("needs a description"), "{errs:?}");
    }
}
