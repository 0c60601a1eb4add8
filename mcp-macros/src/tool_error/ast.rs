//! The model of a `#[derive(ToolError)]` type that code generation reads:
//! built and checked by [`super::valid`].

use syn::{Ident, Member, Type};

/// A type whose every value maps to an error kind.
pub(crate) struct ErrorType {
    pub(crate) ident: Ident,
    pub(crate) body: Body,
}

pub(crate) enum Body {
    /// A struct: one mapping for all its values.
    Struct(Mapping),
    /// An enum: a mapping per variant, in declared order.
    Enum(Vec<(Ident, Mapping)>),
}

/// What one variant (or the struct) maps to.
pub(crate) enum Mapping {
    Kind {
        kind: Kind,
        /// For `rate_limit`: the field that says when to retry.
        retry_after: Option<Field>,
    },
    /// The mapping of the error in its only field.
    Transparent(Field),
}

/// A field of a variant (or of the struct).
pub(crate) struct Field {
    pub(crate) member: Member,
    pub(crate) ty: Box<Type>,
}

/// An error kind, named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    NotFound,
    Validation,
    Authentication,
    PermissionDenied,
    RateLimit,
    Server,
}

impl Kind {
    /// Every kind with its wire name, in the runtime's order.
    pub(crate) const ALL: [(&'static str, Kind); 6] = [
        ("not_found", Kind::NotFound),
        ("validation_error", Kind::Validation),
        ("authentication_error", Kind::Authentication),
        ("permission_denied", Kind::PermissionDenied),
        ("rate_limit", Kind::RateLimit),
        ("server_error", Kind::Server),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    /// The wire name.
    pub(crate) fn name(self) -> &'static str {
        Kind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .expect("every kind is in ALL")
    }
}
