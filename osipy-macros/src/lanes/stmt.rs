//! Statements in lanes: masked assignments and stores, loops that run while a lane is
//! active, `break`, `continue` and `return` as mask updates.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::cpu::expr::binop;
use crate::ir::*;
use crate::sig::ParamKind;

use super::*;

impl Emitter<'_> {
    pub(super) fn stmt(&self, s: &Stmt) -> TokenStream {
        let p = private();
        match s {
            Stmt::Let { locals, init } => {
                let pats: Vec<TokenStream> = locals
                    .iter()
                    .map(|l| match l {
                        Some(l) => {
                            let n = lname(*l);
                            quote!(mut #n)
                        }
                        None => quote!(_),
                    })
                    .collect();
                let init = match init {
                    Some(i) => self.expr(i),
                    None => {
                        let zs: Vec<TokenStream> = locals
                            .iter()
                            .map(|l| {
                                let z = zero(l.map_or(crate::types::Scalar::F64, |l| self.local_elem(l)));
                                quote!([#z; W])
                            })
                            .collect();
                        if zs.len() == 1 {
                            quote!(#(#zs)*)
                        } else {
                            quote!((#(#zs),*))
                        }
                    }
                };
                let tys: Vec<TokenStream> = locals
                    .iter()
                    .map(|l| match l {
                        Some(l) => {
                            let t = self.local_elem(*l).tokens();
                            quote!([#t; W])
                        }
                        None => quote!(_),
                    })
                    .collect();
                if pats.len() == 1 {
                    let (pt, t) = (&pats[0], &tys[0]);
                    quote!(let #pt: #t = #init;)
                } else {
                    quote!(let (#(#pats),*): (#(#tys),*) = #init;)
                }
            }
            Stmt::LetArray { local, init } => {
                let n = lname(*local);
                let t = self.local_elem(*local).tokens();
                let len = match self.f.locals[*local].ty {
                    LocalTy::Array(_, n) => n,
                    LocalTy::Scalar(_) => 0,
                };
                let lenl = Literal::usize_unsuffixed(len);
                let v = match init {
                    ArrayInit::Repeat(x, _) => {
                        let x = self.expr(x);
                        quote!({ let __x: [#t; W] = #x; [__x; #lenl] })
                    }
                    ArrayInit::List(xs) => {
                        let xs = xs.iter().map(|x| self.expr(x));
                        quote!([#(#xs),*])
                    }
                };
                quote!(let mut #n: [[#t; W]; #lenl] = #v;)
            }
            Stmt::Assign { place, op, value, .. } => self.assign(place, *op, value),
            Stmt::Expr(e) => {
                let x = self.expr(e);
                quote!(let _ = #x;)
            }
            Stmt::While { cond, body } => {
                let c = self.expr(cond);
                let b = self.block(body);
                self.lane_loop(
                    quote!(),
                    quote!(let __c: [bool; W] = #c;),
                    quote!(__c[__l]),
                    quote!(),
                    b,
                    quote!(),
                )
            }
            Stmt::Loop(body) => {
                let b = self.block(body);
                self.lane_loop(quote!(), quote!(), quote!(true), quote!(), b, quote!())
            }
            Stmt::For {
                var,
                start,
                end,
                inclusive,
                rev,
                body,
            } => self.for_loop(*var, start, end, *inclusive, *rev, body),
            Stmt::Break(_) => quote!(__m = [false; W];),
            Stmt::Continue(_) => quote! {
                for __l in 0..W {
                    __cnt[__l] |= __m[__l];
                }
                __m = [false; W];
            },
            Stmt::Return(v, _) => {
                let store = match v {
                    Some(v) => {
                        let x = self.expr(v);
                        let sel = self.select_value(
                            &self.f.sig.ret,
                            self.f.sig.ret_tuple,
                            quote!(__m),
                            quote!(__v),
                            quote!(__rv),
                        );
                        quote!(let __v = #x; __rv = #sel;)
                    }
                    None => quote!(),
                };
                let _ = &p;
                quote!({
                    #store
                    for __l in 0..W {
                        __ret[__l] |= __m[__l];
                    }
                    __m = [false; W];
                })
            }
        }
    }

    /// A loop over lanes: `setup` once, then each iteration evaluates `pre` (under the lanes
    /// still in the loop), keeps the lanes where `cond` (lane `__l`) holds, stops when none
    /// is left, binds `bind`, runs `body`, brings back the lanes that continued and runs
    /// `step`. After it, the lanes that entered are active again, less those that returned
    /// or faulted.
    fn lane_loop(
        &self,
        setup: TokenStream,
        pre: TokenStream,
        cond: TokenStream,
        bind: TokenStream,
        body: TokenStream,
        step: TokenStream,
    ) -> TokenStream {
        let p = private();
        quote!({
            let __s0: [bool; W] = __m;
            #setup
            loop {
                #pre
                for __l in 0..W {
                    __m[__l] &= #cond;
                }
                if !#p::lanes_any(__m) {
                    break;
                }
                let mut __cnt: [bool; W] = [false; W];
                #bind
                #body
                for __l in 0..W {
                    __m[__l] |= __cnt[__l];
                }
                #step
            }
            let __s0 = __f.live(__s0);
            for __l in 0..W {
                __m[__l] = __s0[__l] & !__ret[__l];
            }
        })
    }

    fn for_loop(
        &self,
        var: LocalId,
        start: &Expr,
        end: &Expr,
        inclusive: bool,
        rev: bool,
        body: &Block,
    ) -> TokenStream {
        let p = private();
        let n = lname(var);
        let t = self.local_elem(var).tokens();
        if let (Some(s), Some(e)) = (self.uniform_scalar(start), self.uniform_scalar(end)) {
            // Bounds the same in every lane: one scalar counter.
            self.uniform.borrow_mut().insert(var);
            let b = self.block(body);
            self.uniform.borrow_mut().remove(&var);
            let u = format_ident!("u{}", var);
            let range = if inclusive {
                quote!((__st..=__en))
            } else {
                quote!((__st..__en))
            };
            let range = if rev { quote!(#range.rev()) } else { range };
            return quote!({
                let __s0: [bool; W] = __m;
                let __st: #t = #s;
                let __en: #t = #e;
                for #u in #range {
                    if !#p::lanes_any(__m) {
                        break;
                    }
                    let mut __cnt: [bool; W] = [false; W];
                    let mut #n: [#t; W] = [#u; W];
                    #b
                    for __l in 0..W {
                        __m[__l] |= __cnt[__l];
                    }
                }
                let __s0 = __f.live(__s0);
                for __l in 0..W {
                    __m[__l] = __s0[__l] & !__ret[__l];
                }
            });
        }
        let (s, e) = (self.expr(start), self.expr(end));
        let b = self.block(body);
        let setup = quote! {
            let __st: [#t; W] = #s;
            let __en: [#t; W] = #e;
            let mut __done: [bool; W] = [false; W];
        };
        let (init, cond, value, step) = match (inclusive, rev) {
            (false, false) => (
                quote!(__st),
                quote!(__i[__l] < __en[__l]),
                quote!(__i),
                quote!(__i[__l] = __i[__l].wrapping_add(1)),
            ),
            (true, false) => (
                quote!(__st),
                quote!(!__done[__l] && __i[__l] <= __en[__l]),
                quote!(__i),
                quote! {
                    __done[__l] = __i[__l] == __en[__l];
                    __i[__l] = if __done[__l] { __i[__l] } else { __i[__l].wrapping_add(1) }
                },
            ),
            (false, true) => (
                quote!(__en),
                quote!(__i[__l] > __st[__l]),
                quote!({
                    let mut __v = __i;
                    for __l in 0..W {
                        __v[__l] = __i[__l].wrapping_sub(1);
                    }
                    __v
                }),
                quote!(__i[__l] = __i[__l].wrapping_sub(1)),
            ),
            (true, true) => (
                quote!(__en),
                quote!(!__done[__l] && __st[__l] <= __i[__l]),
                quote!(__i),
                quote! {
                    __done[__l] = __i[__l] == __st[__l];
                    __i[__l] = if __done[__l] { __i[__l] } else { __i[__l].wrapping_sub(1) }
                },
            ),
        };
        let setup = quote!(#setup let mut __i: [#t; W] = #init;);
        let bind = quote!(let mut #n: [#t; W] = #value;);
        let step = quote! {
            for __l in 0..W {
                #step;
            }
        };
        self.lane_loop(setup, quote!(), cond, bind, b, step)
    }

    /// `place = value` or `place op= value` in the lanes of `__m` (the value first, then the
    /// place, as the scalar lowering).
    fn assign(&self, place: &Place, op: Option<BinOp>, value: &Expr) -> TokenStream {
        let p = private();
        let v = self.expr(value);
        let rt = self.expr_scalar(value).tokens();
        let blend = |target: TokenStream, ty: crate::types::Scalar| {
            let new = match op {
                None => quote!(__v[__l]),
                Some(op) => binop(op, ty, quote!(#target[__l]), quote!(__v[__l])),
            };
            quote!({
                let __v: [#rt; W] = #v;
                for __l in 0..W {
                    #target[__l] = if __m[__l] { #new } else { #target[__l] };
                }
            })
        };
        match place {
            Place::Local(l) => {
                let n = lname(*l);
                blend(quote!(#n), self.local_elem(*l))
            }
            Place::Param(i) => {
                let n = pname(*i);
                let prm = &self.f.sig.params[*i];
                if prm.kind == ParamKind::OutScalar {
                    blend(quote!((*#n)), prm.elem)
                } else {
                    blend(quote!(#n), prm.elem)
                }
            }
            Place::Index(a, idx) => {
                let i = self.expr(idx);
                let site = self.site(*a);
                match a {
                    ArrayRef::Param(k) => {
                        let n = pname(*k);
                        let ty = self.f.sig.params[*k].elem;
                        let new = match op {
                            None => quote!(__v),
                            Some(op) => {
                                let body = binop(op, ty, quote!(__old[__l]), quote!(__v[__l]));
                                let m = Self::map(ty, body);
                                // SAFETY: `check` bounded every index by the row's length.
                                quote!({ let __old = unsafe { #n.load(__j) }; #m })
                            }
                        };
                        quote!({
                            let __v: [#rt; W] = #v;
                            let __i: [usize; W] = #i;
                            let __j = __f.check(&mut __m, __i, #n.len, #site);
                            let __new = #new;
                            // SAFETY: as above; each lane writes its own item's row.
                            unsafe { #n.store(__m, __j, __new) };
                        })
                    }
                    ArrayRef::Local(l) => {
                        let n = lname(*l);
                        let ty = self.local_elem(*l);
                        let len = match self.f.locals[*l].ty {
                            LocalTy::Array(_, n) => n,
                            LocalTy::Scalar(_) => 0,
                        };
                        let lenl = Literal::usize_suffixed(len);
                        let new = match op {
                            None => quote!(__v[__l]),
                            Some(op) => binop(op, ty, quote!(#n[__j[__l]][__l]), quote!(__v[__l])),
                        };
                        let write = if len == 0 {
                            quote!()
                        } else {
                            quote! {
                                for __l in 0..W {
                                    if __m[__l] {
                                        #n[__j[__l]][__l] = #new;
                                    }
                                }
                            }
                        };
                        let _ = &p;
                        quote!({
                            let __v: [#rt; W] = #v;
                            let __i: [usize; W] = #i;
                            let __j = __f.check(&mut __m, __i, #lenl, #site);
                            #write
                        })
                    }
                }
            }
        }
    }
}
