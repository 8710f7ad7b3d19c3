//! Guides: how-tos longer than an item's own documentation.
//!
//! - [`writing_a_fit_model`]: `#[xp_kernel(model)]`, `#[param]`, the generated `Fitter`,
//!   starts, bounds, settings, statuses, and the mistakes the fit catches.

pub mod writing_a_fit_model {
    #![doc = include_str!("guide/writing-a-fit-model.md")]
}
