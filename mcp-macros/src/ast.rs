//! The model of a tool that code generation reads: built and checked by
//! [`crate::valid`], so everything in it is known to be valid.

use syn::{Attribute, Expr, Ident, ItemFn, Type};

/// A tool ready for code generation.
pub(crate) struct Tool {
    /// The user's fn, as it is emitted (doc comments and helper attributes
    /// taken off its parameters).
    pub(crate) item: ItemFn,
    /// Wire name.
    pub(crate) name: String,
    pub(crate) title: Option<String>,
    pub(crate) description: Description,
    pub(crate) annotations: Annotations,
    /// OAuth scopes a caller must hold (all of them), deduplicated, in the
    /// order written.
    pub(crate) scopes: Vec<String>,
    /// `task = "optional" | "required"` (the tasks extension).
    pub(crate) task: TaskSupport,
    /// What each parameter of the fn is, in declared order.
    pub(crate) params: Vec<Role>,
    pub(crate) arguments: Arguments,
    pub(crate) output: Output,
    /// Types read with `ctx.state::<T>()`, deduplicated.
    pub(crate) state: Vec<Type>,
}

/// The tool's description.
pub(crate) enum Description {
    /// Known at expansion time (never empty).
    Text(String),
    /// Doc attributes some of which are macros (`#[doc = include_str!(..)]`):
    /// joined with `concat!`, newline-separated.
    Concat(Vec<Expr>),
}

#[derive(Default)]
pub(crate) struct Annotations {
    pub(crate) read_only: Option<bool>,
    pub(crate) destructive: Option<bool>,
    pub(crate) idempotent: Option<bool>,
    pub(crate) open_world: Option<bool>,
}

/// What a parameter of the fn is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Context,
    /// The arguments struct.
    Arguments,
    /// The n-th inline argument.
    Inline(usize),
}

pub(crate) enum Arguments {
    None,
    /// One parameter: its type is the arguments struct.
    Struct(Type),
    /// Two or more: a hidden struct with one field each.
    Inline(Vec<InlineArg>),
}

pub(crate) struct InlineArg {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// The parameter's `#[doc]`, `#[serde]` and `#[schemars]` attributes,
    /// which go on the hidden struct's field.
    pub(crate) attrs: Vec<Attribute>,
    /// `#[serde(default)]` or `#[serde(skip)]`: the type must be `Default`.
    pub(crate) needs_default: bool,
}

pub(crate) struct Output {
    /// The success type (`T` of `Result<T, E>`, or the plain return type).
    pub(crate) ok: Type,
    pub(crate) kind: OutputKind,
}

pub(crate) enum OutputKind {
    Plain,
    /// `Result<T, E>`; `E` when written out (absent for `Result<T>` aliases).
    Result(Option<Box<Type>>),
}

/// The fn as the macro received it, with the errors found in it.
pub(crate) struct Invalid {
    pub(crate) item: ItemFn,
    pub(crate) errors: syn::Error,
}

/// What `task = ...` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskSupport {
    None,
    Optional,
    Required,
}
