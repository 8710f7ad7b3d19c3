//! Fit models: `#[xp_kernel(model)]`, the write-only check of the prediction row, and the
//! generated fit (a Levenberg-Marquardt kernel around the differentiated model) and API.

mod api;
mod build;
mod driver;
mod signature;
mod unroll;
mod write_only;

use proc_macro2::TokenStream;

use crate::sig::{ParamKind, Sig};

pub use build::build;
pub use signature::{check_samples, check_sig};
pub use write_only::check_write_only;

const P: &str = "::osipy_kernels::__private";

fn private() -> TokenStream {
    P.parse().unwrap_or_default()
}

/// The most fitted parameters a model may have (the fit holds `P (P + 1) / 2` sums per voxel).
pub const MAX_PARAMS: usize = 16;

/// Index of the prediction row.
pub fn pred_index(sig: &Sig) -> Option<usize> {
    sig.params.iter().position(|p| p.kind == ParamKind::OutRow)
}
