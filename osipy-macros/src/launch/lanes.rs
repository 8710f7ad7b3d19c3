//! The launch's lane chunks: `W` consecutive items per call of the lane lowering, the tail
//! (fewer than `W` items) through the scalar item function, and the choice between the AVX2
//! (4 lanes, FMA) and the baseline (2 lanes) build.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::lanes::lane_fn_ident;
use crate::sig::{ParamKind, Sig};
use crate::types::Scalar;

use super::private;

/// How the launched function's arguments reach a group of lanes.
#[derive(Default)]
pub(super) struct LaneArgs {
    /// Statements before the call (copies of `&mut T` outputs).
    pre: Vec<TokenStream>,
    /// The arguments.
    args: Vec<TokenStream>,
    /// Statements after the call (the `&mut T` outputs written back).
    post: Vec<TokenStream>,
}

impl LaneArgs {
    /// A uniform scalar, field `f`: the same value in every lane.
    pub(super) fn uniform_scalar(&mut self, f: &syn::Ident) {
        self.args.push(quote!([self.#f; W]));
    }

    /// Parameter `i` of kind `kind`, from field `f{i}` (and `f{i}_len` for rows).
    pub(super) fn arg(&mut self, i: usize, kind: ParamKind, uniform: bool, elem: Scalar) {
        let p = private();
        let f = format_ident!("f{}", i);
        let fl = format_ident!("f{}_len", i);
        let t = elem.tokens();
        match (kind, uniform) {
            (ParamKind::Row, true) => self.args.push(quote!(#p::Rows::<#t, W>::uniform(self.#f))),
            (ParamKind::Scalar, _) => self.args.push(quote!({
                let mut __a = [<#t>::default(); W];
                for __l in 0..W {
                    // SAFETY: items i0..i0 + W are below the item count.
                    __a[__l] = unsafe { *self.#f.0.add(i0 + __l) };
                }
                __a
            })),
            (ParamKind::Row | ParamKind::OutRow, _) => self.args.push(quote!({
                let mut __ptr = [self.#f.0; W];
                for __l in 0..W {
                    // SAFETY: item i0 + l's row lies within the buffer.
                    __ptr[__l] = unsafe { self.#f.0.add((i0 + __l) * self.#fl) };
                }
                #p::Rows::<#t, W> { ptr: __ptr, len: self.#fl, stride: 1 }
            })),
            (ParamKind::OutScalar, _) => {
                let o = format_ident!("__o{}", i);
                self.pre.push(quote! {
                    let mut #o = [<#t>::default(); W];
                    for __l in 0..W {
                        // SAFETY: as above.
                        #o[__l] = unsafe { *self.#f.0.add(i0 + __l) };
                    }
                });
                self.args.push(quote!(&mut #o));
                self.post.push(quote! {
                    for __l in 0..W {
                        // SAFETY: as above; each item writes its own element, also when it
                        // faulted (the scalar lowering writes through as it goes).
                        unsafe { *self.#f.0.add(i0 + __l) = #o[__l] };
                    }
                });
            }
        }
    }
}

/// The items of `__XpArgs` that run the lane lowering, and `chunk`, which picks the build.
pub(super) fn lane_items(lane: &LaneArgs, sig: &Sig) -> TokenStream {
    let p = private();
    let root = lane_fn_ident(0);
    let (pre, args, post) = (&lane.pre, &lane.args, &lane.post);
    let n_ret = sig.ret.len();
    let writes = (0..n_ret).map(|j| {
        let r = format_ident!("r{}", j);
        let v = if n_ret == 1 && !sig.ret_tuple {
            quote!(__xp_out)
        } else {
            let idx = syn::Index::from(j);
            quote!(__xp_out.#idx)
        };
        quote! {
            for __l in 0..W {
                // SAFETY: item i0 + l's slot; a faulting item's value is never read.
                unsafe { (*self.#r.0.add(i0 + __l)).write(#v[__l]) };
            }
        }
    });
    quote! {
        /// Runs items `i0..i0 + W` in lanes; returns each lane's fault.
        #[inline(always)]
        fn group<const W: usize>(&self, i0: usize) -> [#p::Option<#p::Fault>; W] {
            let mut __f = #p::Faults::<W>::default();
            #(#pre)*
            let __xp_out = #root::<W>([true; W], &mut __f, #(#args),*);
            #(#writes)*
            #(#post)*
            __f.fault
        }

        /// Items `lo..hi`, `W` at a time, the tail one by one.
        #[inline(always)]
        fn chunk_lanes<const W: usize>(&self, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
            let mut first = #p::None;
            let mut i = lo;
            while i + W <= hi {
                let faults = self.group::<W>(i);
                if first.is_none() {
                    for (l, f) in faults.iter().enumerate() {
                        if let #p::Some(f) = f {
                            first = #p::Some((i + l, *f));
                            break;
                        }
                    }
                }
                i += W;
            }
            while i < hi {
                // SAFETY: `run_chunks` hands out each item of 0..n exactly once.
                if let #p::Err(f) = unsafe { self.item(i) } {
                    if first.is_none() {
                        first = #p::Some((i, f));
                    }
                }
                i += 1;
            }
            first
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn chunk_avx2(&self, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
            self.chunk_lanes::<4>(lo, hi)
        }

        fn chunk(&self, mode: #p::CpuLanes, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
            #[cfg(target_arch = "x86_64")]
            {
                match mode {
                    // SAFETY: `cpu_lanes` answers `Avx2` only where the CPU has AVX2 and FMA.
                    #p::CpuLanes::Avx2 => return unsafe { self.chunk_avx2(lo, hi) },
                    #p::CpuLanes::Sse2 => return self.chunk_lanes::<2>(lo, hi),
                    #p::CpuLanes::Scalar => {}
                }
            }
            self.chunk_scalar(lo, hi)
        }
    }
}
