//! The body of the generated `launch`: arguments converted and checked, the plan, the CPU loop
//! or the device launch, and the return arrays.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::cpu::{fn_ident, ret_type};
use crate::sig::{ParamKind, Sig};

use super::*;

pub(super) fn launch_ret(sig: &Sig) -> TokenStream {
    let p = private();
    match sig.ret.as_slice() {
        [] => quote!(()),
        [s] if !sig.ret_tuple => {
            let t = s.tokens();
            quote!(#p::XpArray<#t>)
        }
        many => {
            let ts = many.iter().map(|s| {
                let t = s.tokens();
                quote!(#p::XpArray<#t>)
            });
            quote!((#(#ts,)*))
        }
    }
}

/// The body of `launch`: check, dispatch, run on the CPU.
pub(super) fn launch_body(sig: &Sig, fma: bool, lanes: bool) -> TokenStream {
    let p = private();
    let mut lane = super::lanes::LaneArgs::default();
    let mut convert = Vec::new();
    let mut infos = Vec::new();
    let mut host = Vec::new();
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut item_args = Vec::new();
    let mut finish = Vec::new();
    let mut dev = Vec::new();
    let mut arg_no = 0usize;
    for (i, prm) in sig.params.iter().enumerate() {
        let n = format_ident!("{}", prm.name);
        let nm = display_name(&prm.name.to_string());
        let t = prm.elem.tokens();
        let f = format_ident!("f{}", i);
        let fl = format_ident!("f{}_len", i);
        let h = format_ident!("__xp_h{}", i);
        let size = crate::ptx::ops::Rc::size(prm.elem);
        if prm.kind == ParamKind::Scalar && prm.uniform {
            dev.push(quote!(__xp_dev.push(#p::DevArg::Value(#p::DevScalar::param(#n)));));
            fields.push(quote!(#f: #t));
            inits.push(quote!(#f: #n));
            item_args.push(quote!(self.#f));
            lane.uniform_scalar(&f);
            continue;
        }
        let role = match (prm.kind, prm.uniform) {
            (ParamKind::Row, true) => quote!(UniformRow),
            (ParamKind::Scalar, false) => quote!(ItemScalar),
            (ParamKind::Row, false) => quote!(ItemRow),
            (ParamKind::OutScalar, _) => quote!(OutScalar),
            _ => quote!(OutRow),
        };
        let k = arg_no;
        arg_no += 1;
        let is_out = prm.is_output();
        if is_out {
            dev.push(quote! {
                match &mut #n {
                    #p::XpMut::Device { mem, .. } => __xp_dev.push(#p::DevArg::Out {
                        role: #p::Role::#role, mem: &mut **mem, row_len: __xp_plan.row_lens[#k], elem: #size,
                    }),
                    _ => return #p::Err(#p::Error::BackendUnavailable { kernel: NAME, device: __xp_plan.device }),
                }
            });
        } else {
            dev.push(quote! {
                match &#n {
                    #p::XpRef::Device { mem, .. } => __xp_dev.push(#p::DevArg::In {
                        role: #p::Role::#role, mem: *mem, row_len: __xp_plan.row_lens[#k], elem: #size,
                    }),
                    _ => return #p::Err(#p::Error::BackendUnavailable { kernel: NAME, device: __xp_plan.device }),
                }
            });
        }
        if is_out {
            convert.push(quote!(let mut #n = #p::IntoXpMut::into_xp_mut(#n);));
        } else {
            convert.push(quote!(let #n = #p::IntoXpRef::into_xp_ref(#n);));
        }
        infos.push(quote!(#p::ArgInfo { name: #nm, role: #p::Role::#role, placement: #n.placement(), shape: #n.shape() }));
        if is_out {
            host.push(quote! {
                let mut #h = match #n {
                    #p::XpMut::Host(v) => #p::HostOut::new(v),
                    _ => return #p::Err(#p::Error::BackendUnavailable { kernel: NAME, device: __xp_plan.device }),
                };
            });
            finish.push(quote!(#h.finish();));
        } else {
            host.push(quote! {
                let #h = match #n {
                    #p::XpRef::Host(v) => #p::HostIn::new(v),
                    _ => return #p::Err(#p::Error::BackendUnavailable { kernel: NAME, device: __xp_plan.device }),
                };
            });
        }
        lane.arg(i, prm.kind, prm.uniform, prm.elem);
        match (prm.kind, prm.uniform) {
            (ParamKind::Row, true) => {
                fields.push(quote!(#f: &'a [#t]));
                inits.push(quote!(#f: #h.slice()));
                item_args.push(quote!(self.#f));
            }
            (ParamKind::Scalar, false) => {
                fields.push(quote!(#f: #p::SyncPtr<#t>));
                inits.push(quote!(#f: #p::SyncPtr(#h.slice().as_ptr() as *mut #t)));
                item_args.push(quote!(unsafe { *self.#f.0.add(i) }));
            }
            (ParamKind::Row, false) => {
                fields.push(quote!(#f: #p::SyncPtr<#t>));
                fields.push(quote!(#fl: usize));
                inits.push(quote!(#f: #p::SyncPtr(#h.slice().as_ptr() as *mut #t)));
                inits.push(quote!(#fl: __xp_plan.row_lens[#k]));
                item_args.push(
                    quote!(unsafe { ::core::slice::from_raw_parts(self.#f.0.add(i * self.#fl), self.#fl) }),
                );
            }
            (ParamKind::OutScalar, _) => {
                fields.push(quote!(#f: #p::SyncPtr<#t>));
                inits.push(quote!(#f: #p::SyncPtr(#h.as_mut_ptr())));
                item_args.push(quote!(unsafe { &mut *self.#f.0.add(i) }));
            }
            (ParamKind::OutRow | ParamKind::Scalar, _) => {
                fields.push(quote!(#f: #p::SyncPtr<#t>));
                fields.push(quote!(#fl: usize));
                inits.push(quote!(#f: #p::SyncPtr(#h.as_mut_ptr())));
                inits.push(quote!(#fl: __xp_plan.row_lens[#k]));
                item_args.push(quote!(unsafe { ::core::slice::from_raw_parts_mut(self.#f.0.add(i * self.#fl), self.#fl) }));
            }
        }
    }
    // Return values.
    let mut ret_bufs = Vec::new();
    let mut ret_writes = Vec::new();
    let mut ret_vals = Vec::new();
    let n_ret = sig.ret.len();
    for (j, s) in sig.ret.iter().enumerate() {
        let t = s.tokens();
        let b = format_ident!("__xp_r{}", j);
        let f = format_ident!("r{}", j);
        ret_bufs.push(quote!(let mut #b = #p::ReturnBuf::<#t>::new(__xp_plan.n_items);));
        fields.push(quote!(#f: #p::SyncPtr<#p::MaybeUninit<#t>>));
        inits.push(quote!(#f: #b.ptr()));
        let v = if n_ret == 1 && !sig.ret_tuple {
            quote!(__xp_out)
        } else {
            let idx = syn::Index::from(j);
            quote!(__xp_out.#idx)
        };
        ret_writes.push(quote!(unsafe { (*self.#f.0.add(i)).write(#v); }));
        // SAFETY: `run_chunks` succeeded, so every item wrote its value.
        ret_vals.push(quote!(unsafe { #b.assume_init(&__xp_plan.item_shape) }));
    }
    let ret_expr = match ret_vals.len() {
        0 => quote!(()),
        1 if !sig.ret_tuple => quote!(#(#ret_vals)*),
        _ => quote!((#(#ret_vals,)*)),
    };
    let root_fn = fn_ident(0);
    let ret_ty = ret_type(&sig.ret, sig.ret_tuple);
    let dev_rets: Vec<TokenStream> = sig
        .ret
        .iter()
        .map(|s| {
            let t = s.tokens();
            quote! {
                #p::XpArray::<#t>::from_device_mem(
                    __xp_plan.device,
                    &__xp_plan.item_shape,
                    __xp_mems.next().unwrap_or(#p::DeviceMem::Emulator(#p::Vec::new())),
                )?
            }
        })
        .collect();
    let dev_ret = match dev_rets.len() {
        0 => quote!(()),
        1 if !sig.ret_tuple => quote!(#(#dev_rets)*),
        _ => quote!((#(#dev_rets,)*)),
    };
    let lane_items = if lanes {
        super::lanes::lane_items(&lane, sig)
    } else {
        quote! {
            fn chunk(&self, _mode: #p::CpuLanes, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
                self.chunk_scalar(lo, hi)
            }
        }
    };
    let fma_variant = if fma {
        quote! {
            #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
            #[target_feature(enable = "fma")]
            unsafe fn chunk_fma(&self, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
                self.chunk_impl(lo, hi)
            }

            fn chunk_scalar(&self, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
                #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
                {
                    if #p::has_fma() {
                        // SAFETY: the CPU has FMA.
                        return unsafe { self.chunk_fma(lo, hi) };
                    }
                }
                self.chunk_impl(lo, hi)
            }
        }
    } else {
        quote! {
            fn chunk_scalar(&self, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
                self.chunk_impl(lo, hi)
            }
        }
    };
    quote! {
        #(#convert)*
        let __xp_plan = #p::plan(NAME, &[#(#infos),*])?;
        if __xp_plan.device != #p::Device::Cpu {
            let mut __xp_dev: #p::Vec<#p::DevArg<'_>> = #p::Vec::new();
            #(#dev)*
            let mut __xp_mems = #p::launch_device(&__XP_KERNEL, &__xp_plan, &mut __xp_dev)?.into_iter();
            return #p::Ok(#dev_ret);
        }
        #(#host)*
        #(#ret_bufs)*
        struct __XpArgs<'a> {
            #(#fields,)*
            _life: ::core::marker::PhantomData<&'a ()>,
        }
        impl __XpArgs<'_> {
            /// Runs item `i`.
            ///
            /// Safety: `i` is below the item count the pointers were set up for, and no
            /// other thread runs the same item.
            #[inline(always)]
            unsafe fn item(&self, i: usize) -> #p::Result<(), #p::Fault> {
                let __xp_out: #ret_ty = #root_fn(#(#item_args),*)?;
                #(#ret_writes)*
                #p::Ok(())
            }

            #[inline(always)]
            fn chunk_impl(&self, lo: usize, hi: usize) -> #p::Option<(usize, #p::Fault)> {
                let mut first = #p::None;
                for i in lo..hi {
                    // SAFETY: `run_chunks` hands out each item of 0..n exactly once.
                    if let #p::Err(f) = unsafe { self.item(i) } {
                        if first.is_none() {
                            first = #p::Some((i, f));
                        }
                    }
                }
                first
            }

            #fma_variant

            #lane_items
        }
        let __xp_args = __XpArgs {
            #(#inits,)*
            _life: ::core::marker::PhantomData,
        };
        let __xp_mode = #p::cpu_lanes();
        let __xp_result = #p::run_chunks(NAME, __xp_plan.n_items, &|lo, hi| __xp_args.chunk(__xp_mode, lo, hi));
        #(#finish)*
        __xp_result?;
        #p::Ok(#ret_expr)
    }
}
