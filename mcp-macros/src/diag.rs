//! What both macros use to report problems.

use std::fmt::Display;

use quote::ToTokens;

/// Errors found so far (serde's `Ctxt`).
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Option<syn::Error>,
}

impl Ctxt {
    /// An error spanned on `tokens` (all of them, where the compiler allows).
    pub(crate) fn error(&mut self, tokens: impl ToTokens, msg: impl Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.errors {
            Some(e) => e.combine(err),
            None => self.errors = Some(err),
        }
    }

    pub(crate) fn into_result(self) -> Result<(), syn::Error> {
        self.errors.map_or(Ok(()), Err)
    }
}

/// The candidate closest to `name` if one is close: Jaro-Winkler similarity
/// above 0.8, the first of equals winning (darling's rule).
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(name, candidate);
        if score > 0.8 && best.is_none_or(|(s, _)| s < score) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `candidates` in backticks, comma-separated.
pub(crate) fn list<'a>(candidates: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
    quoted.join(", ")
}

/// darling's errors as `syn::Error`s, one per problem. Their messages are
/// ours already.
pub(crate) fn into_syn(err: darling::Error) -> syn::Error {
    err.into_iter()
        .map(|e| syn::Error::new(e.span(), e.to_string()))
        .reduce(|mut all, e| {
            all.combine(e);
            all
        })
        .expect("a darling error holds at least one error")
}
