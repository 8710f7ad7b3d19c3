//! Collecting every error of an expansion, so the user sees all of them at once.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};

/// Spanned errors gathered while checking one kernel.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, msg: impl Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    /// Records an error covering all of `tokens` (first to last token).
    pub fn spanned(&mut self, tokens: &dyn quote::ToTokens, msg: impl Display) {
        self.errors
            .push(syn::Error::new_spanned(tokens.to_token_stream(), msg));
    }

    /// Records a ready-made error.
    pub fn push(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors as `compile_error!` invocations.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.errors.iter().map(syn::Error::to_compile_error).collect()
    }
}
