//! `#[mcp_resource]`: `attr` (the keys) → `valid` (the checked model below)
//! → `expand` (the `ResourceDescriptor` registration), as for `#[mcp_tool]`.

mod attr;
mod expand;
mod valid;

use syn::{Expr, ItemFn, LitStr, Type};

use crate::complete::Completer;

pub(crate) use expand::mcp_resource;

/// A resource ready for code generation.
pub(crate) struct Resource {
    /// The user's fn, as emitted.
    pub(crate) item: ItemFn,
    pub(crate) uri: Uri,
    pub(crate) name: String,
    pub(crate) title: Option<String>,
    pub(crate) description: Description,
    pub(crate) mime_type: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) audience: Vec<String>,
    pub(crate) priority: Option<f64>,
    /// What each parameter of the fn is, in declared order.
    pub(crate) params: Vec<Param>,
    /// The completers of template variables, each named by its variable.
    pub(crate) complete: Vec<Completer>,
    /// The scopes a caller must hold to see and read it.
    pub(crate) scopes: Vec<String>,
    /// The success type, and the error type of a `Result` if written out.
    pub(crate) ok: Type,
    pub(crate) result: Option<Option<Type>>,
}

pub(crate) enum Uri {
    Static(LitStr),
    Template(LitStr),
}

pub(crate) enum Description {
    Text(String),
    /// Doc attributes some of which are macros, joined with `concat!`.
    Concat(Vec<Expr>),
}

pub(crate) enum Param {
    Context,
    /// A template variable: its name in the template, and the parameter's type.
    Variable(String, Box<Type>),
}
