//! The fitting API generated into a model's module: `Fitter`, its settings and `fit`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::sig::{ParamKind, Sig};
use crate::types::Scalar;

use super::private;

/// The index of the uniform row the prediction follows: `samples = NAME` when given, else the
/// model's first `#[uniform]` `&[f64]` row (none: rows of any length are fitted).
pub(super) fn samples_index(sig: &Sig, pred: usize, samples: Option<&syn::Ident>) -> Option<usize> {
    match samples {
        Some(name) => sig.params.iter().position(|p| p.name == *name),
        None => (0..sig.params.len()).find(|i| {
            let p = &sig.params[*i];
            *i != pred && p.uniform && p.kind == ParamKind::Row && p.elem == Scalar::F64
        }),
    }
}

/// Constants, `Fitter` and `fitter` in the model's module.
pub(super) fn api(sig: &Sig, pred: usize, fitted: &[usize], axis: Option<usize>) -> TokenStream {
    let p = private();
    let np = fitted.len();
    let names: Vec<String> = fitted.iter().map(|i| sig.params[*i].name.to_string()).collect();
    let specs: Vec<_> = fitted.iter().filter_map(|i| sig.params[*i].fit.clone()).collect();
    let lit = |v: f64| -> TokenStream {
        if v == f64::INFINITY {
            quote!(f64::INFINITY)
        } else if v == f64::NEG_INFINITY {
            quote!(f64::NEG_INFINITY)
        } else {
            let l = proc_macro2::Literal::f64_unsuffixed(v);
            quote!(#l)
        }
    };
    let init: Vec<_> = specs.iter().map(|s| lit(s.init)).collect();
    let lower: Vec<_> = specs.iter().map(|s| lit(s.lower)).collect();
    let upper: Vec<_> = specs.iter().map(|s| lit(s.upper)).collect();
    let mut fields = Vec::new();
    let mut generics = Vec::new();
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut pass = Vec::new();
    for (i, prm) in sig.params.iter().enumerate() {
        if i == pred || prm.fit.is_some() {
            continue;
        }
        let n = &prm.name;
        let t = prm.elem.tokens();
        let g = format_ident!("A{}", i);
        if prm.kind == ParamKind::Scalar && prm.uniform {
            fields.push(quote!(#n: #t));
            args.push(quote!(#n: #t));
            inits.push(quote!(#n));
            pass.push(quote!(self.#n));
        } else {
            fields.push(quote!(#n: #p::XpRef<'xp, #t>));
            generics.push(quote!(#g: #p::IntoXpRef<'xp, #t>));
            args.push(quote!(#n: #g));
            inits.push(quote!(#n: #p::IntoXpRef::into_xp_ref(#n)));
            pass.push(quote!(&self.#n));
        }
    }
    let name_str = sig.name.to_string();
    let npl = proc_macro2::Literal::usize_unsuffixed(np);
    let doc_fitter = format!(
        "Binds the inputs of `{name_str}` other than its fitted parameters and its prediction; \
         the returned [`Fitter`] fits data with them (defaults from `#[param]`, settings \
         [`LevenbergMarquardt::default`](osipy_kernels::fit::LevenbergMarquardt))."
    );
    let (samples_const, samples_check) = match axis {
        Some(i) => {
            let n = &sig.params[i].name;
            let ns = n.to_string();
            let fit_name = format!("{name_str}::fit");
            (
                quote!(#p::Some(#ns)),
                quote!(#p::check_samples(#fit_name, #ns, self.#n.shape(), data.shape())?;),
            )
        }
        None => (quote!(#p::None), quote!()),
    };
    quote! {
        /// The uniform row the prediction follows, one sample per element (`samples = ..` of
        /// the attribute, else the model's first `#[uniform]` row): `fit` refuses data whose
        /// rows have another length. `None`: rows of any length are fitted.
        pub const SAMPLES: #p::Option<&str> = #samples_const;

        /// Names of the fitted parameters, in order (the last axis of [`FitResult::params`](osipy_kernels::fit::FitResult)).
        pub const PARAMS: [&str; #npl] = [#(#names),*];
        /// Default initial values of the fitted parameters (`#[param(init = ..)]`, else 0).
        pub const INIT: [f64; #npl] = [#(#init),*];
        /// Default lower bounds (`#[param(lower = ..)]`, else unbounded).
        pub const LOWER: [f64; #npl] = [#(#lower),*];
        /// Default upper bounds (`#[param(upper = ..)]`, else unbounded).
        pub const UPPER: [f64; #npl] = [#(#upper),*];

        /// A fit of this model with its other inputs bound; see [`fitter`].
        pub struct Fitter<'xp> {
            #(#fields,)*
            options: #p::FitOptions,
        }

        #[doc = #doc_fitter]
        pub fn fitter<'xp, #(#generics),*>(#(#args),*) -> Fitter<'xp> {
            Fitter {
                #(#inits,)*
                options: #p::FitOptions::new(NAME, &PARAMS, &INIT, &LOWER, &UPPER),
            }
        }

        impl<'xp> Fitter<'xp> {
            /// Replaces the solver settings.
            pub fn settings(mut self, settings: #p::LevenbergMarquardt) -> Self {
                self.options.settings = settings;
                self
            }

            /// Initial values: shared (`[f64; P]`, a slice) or per voxel (items x P).
            pub fn init(mut self, values: impl Into<#p::FitValues>) -> Self {
                self.options.init = values.into();
                self
            }

            /// Lower bounds: shared or per voxel.
            pub fn lower(mut self, values: impl Into<#p::FitValues>) -> Self {
                self.options.lower = values.into();
                self
            }

            /// Upper bounds: shared or per voxel.
            pub fn upper(mut self, values: impl Into<#p::FitValues>) -> Self {
                self.options.upper = values.into();
                self
            }

            /// Weights of the samples (one per sample, finite and non-negative); chi2 is
            /// `sum w (y - f)^2`.
            pub fn weights(mut self, weights: impl Into<#p::Vec<f64>>) -> Self {
                self.options.weights = #p::Some(weights.into());
                self
            }

            /// The options in force.
            pub fn options(&self) -> &#p::FitOptions {
                &self.options
            }

            /// Fits every voxel of `data` (items x samples). Results live where `data` does.
            pub fn fit<'d, D: #p::IntoXpRef<'d, f64>>(&self, data: D) -> #p::Result<#p::FitResult> {
                self.run(#p::IntoXpRef::into_xp_ref(data), #p::None)
            }

            /// Fits the voxels of `data` where `mask` (items) is true; the others get status
            /// `Masked` and NaN parameters.
            pub fn fit_masked<'d, D: #p::IntoXpRef<'d, f64>, M: #p::IntoXpRef<'d, bool>>(
                &self,
                data: D,
                mask: M,
            ) -> #p::Result<#p::FitResult> {
                self.run(
                    #p::IntoXpRef::into_xp_ref(data),
                    #p::Some(#p::IntoXpRef::into_xp_ref(mask)),
                )
            }

            fn run(
                &self,
                data: #p::XpRef<'_, f64>,
                mask: #p::Option<#p::XpRef<'_, bool>>,
            ) -> #p::Result<#p::FitResult> {
                #samples_check
                let mut prep = #p::FitPrep::new(&self.options, &data, mask.as_ref())?;
                {
                    let (ins, outs) = prep.split(mask.as_ref());
                    if self.options.weights.is_some() {
                        fit_weighted::launch(
                            #(#pass,)*
                            &data,
                            &ins.weights,
                            &ins.init,
                            &ins.lower,
                            &ins.upper,
                            &ins.mask,
                            &ins.config,
                            &mut outs.params,
                            &mut outs.chi2,
                            &mut outs.r2,
                            &mut outs.iterations,
                            &mut outs.status,
                            &mut outs.at_bound,
                        )?;
                    } else {
                        fit::launch(
                            #(#pass,)*
                            &data,
                            &ins.init,
                            &ins.lower,
                            &ins.upper,
                            &ins.mask,
                            &ins.config,
                            &mut outs.params,
                            &mut outs.chi2,
                            &mut outs.r2,
                            &mut outs.iterations,
                            &mut outs.status,
                            &mut outs.at_bound,
                        )?;
                    }
                }
                #p::Ok(prep.finish())
            }
        }
    }
}
