//! `#[mcp_prompt]`: `attr` (the keys) → `valid` (the checked model below) →
//! `expand` (the `PromptDescriptor` registration), as for `#[mcp_tool]`.

mod attr;
mod expand;
mod valid;

use syn::{ItemFn, Type};

use crate::complete::Completer;

pub(crate) use expand::mcp_prompt;

/// A prompt ready for code generation.
pub(crate) struct Prompt {
    /// The user's fn, as emitted (doc comments taken off its parameters).
    pub(crate) item: ItemFn,
    pub(crate) name: String,
    pub(crate) title: Option<String>,
    pub(crate) description: String,
    pub(crate) params: Vec<Param>,
    /// The completers of arguments, each named by its argument.
    pub(crate) complete: Vec<Completer>,
    /// The scopes a caller must hold to see and get it.
    pub(crate) scopes: Vec<String>,
    pub(crate) ok: Type,
    pub(crate) result: Option<Option<Type>>,
}

pub(crate) enum Param {
    Context,
    Argument(Box<Argument>),
}

pub(crate) struct Argument {
    /// Wire name: the parameter's, in camelCase.
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    /// The type parsed from the text: `T` of an `Option<T>`, else the type.
    pub(crate) ty: Type,
    pub(crate) required: bool,
}
