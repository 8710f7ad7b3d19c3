//! Expressions in lanes: operators lane by lane, short-circuits and `if` by masks, checked
//! reads, calls of other functions' lane forms.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::cpu::expr::{binop, lit};
use crate::ir::*;
use crate::sig::ParamKind;

use super::*;

impl Emitter<'_> {
    /// The expression's value for every lane (`[T; W]`, a tuple of those, or `()`), computed
    /// under the mask `__m`; a lane that faults is cleared from `__m`.
    pub(super) fn expr(&self, e: &Expr) -> TokenStream {
        let p = private();
        match &e.kind {
            ExprKind::Lit(l) => {
                let x = lit(l, self.expr_scalar(e), e.span);
                quote!([#x; W])
            }
            ExprKind::Local(l) => {
                let n = lname(*l);
                quote!(#n)
            }
            ExprKind::Param(i) => {
                let n = pname(*i);
                if self.f.sig.params[*i].kind == ParamKind::OutScalar {
                    quote!((*#n))
                } else {
                    quote!(#n)
                }
            }
            ExprKind::Unary(op, x) => {
                let t = self.expr_scalar(x);
                let r = self.expr_scalar(e);
                let x = self.expr(x);
                let body = match op {
                    UnOp::Neg if t.is_int() => quote!(__a[__l].wrapping_neg()),
                    UnOp::Neg => quote!(-__a[__l]),
                    UnOp::Not => quote!(!__a[__l]),
                };
                let m = Self::map(r, body);
                quote!({ let __a = #x; #m })
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                // The right operand runs only in the lanes the left one does not decide.
                let a = self.expr(a);
                let b = self.expr(b);
                let (narrow, combine) = if *op == BinOp::And {
                    (quote!(__m[__l] & __a[__l]), quote!(__a[__l] && __b[__l]))
                } else {
                    (quote!(__m[__l] & !__a[__l]), quote!(__a[__l] || __b[__l]))
                };
                let r = Self::map(crate::types::Scalar::Bool, combine);
                quote!({
                    let __a: [bool; W] = #a;
                    let __s: [bool; W] = __m;
                    for __l in 0..W {
                        __m[__l] = #narrow;
                    }
                    let __b: [bool; W] = if #p::lanes_any(__m) { #b } else { [false; W] };
                    __m = __f.live(__s);
                    #r
                })
            }
            ExprKind::Binary(op, a, b) => {
                let t = self.expr_scalar(a);
                let r = self.expr_scalar(e);
                let (a, b) = (self.expr(a), self.expr(b));
                let body = binop(*op, t, quote!(__a[__l]), quote!(__b[__l]));
                let m = Self::map(r, body);
                quote!({ let __a = #a; let __b = #b; #m })
            }
            ExprKind::Cast(x, to) => {
                let x = self.expr(x);
                let t = to.tokens();
                let m = Self::map(*to, quote!(__a[__l] as #t));
                quote!({ let __a = #x; #m })
            }
            ExprKind::Index(a, i) => {
                let r = self.expr_scalar(e);
                let i = self.expr(i);
                let site = self.site(*a);
                match a {
                    ArrayRef::Param(k) => {
                        let n = pname(*k);
                        quote!({
                            let __i: [usize; W] = #i;
                            let __j = __f.check(&mut __m, __i, #n.len, #site);
                            // SAFETY: `check` bounded every index by the row's length.
                            unsafe { #n.load(__j) }
                        })
                    }
                    ArrayRef::Local(l) => {
                        let n = lname(*l);
                        let len = match self.f.locals[*l].ty {
                            LocalTy::Array(_, n) => n,
                            LocalTy::Scalar(_) => 0,
                        };
                        let lenl = Literal::usize_suffixed(len);
                        let read = if len == 0 {
                            let z = zero(r);
                            quote!([#z; W])
                        } else {
                            Self::map(r, quote!(#n[__j[__l]][__l]))
                        };
                        quote!({
                            let __i: [usize; W] = #i;
                            let __j = __f.check(&mut __m, __i, #lenl, #site);
                            #read
                        })
                    }
                }
            }
            ExprKind::Len(_) => {
                let x = self.uniform_scalar(e).unwrap_or_else(|| quote!(0usize));
                quote!([#x; W])
            }
            ExprKind::Intrinsic(intr, args) => self.intrinsic(*intr, args, e),
            ExprKind::Call(idx, args) => self.call(*idx, args),
            ExprKind::If(c, t, e2) => self.if_expr(c, t, e2.as_ref(), &e.ty),
            ExprKind::Block(b) => self.block_typed(b, &e.ty),
            ExprKind::Tuple(xs) => {
                let xs = xs.iter().map(|x| self.expr(x));
                quote!((#(#xs,)*))
            }
        }
    }

    /// A call: arguments in order, then the callee's lane form under `__m`.
    fn call(&self, idx: usize, args: &[Arg]) -> TokenStream {
        let k = (self.resolve)(&self.f.callees[idx]);
        let name = lane_fn_ident(k);
        let mut binds = Vec::new();
        let mut pass = Vec::new();
        for (j, a) in args.iter().enumerate() {
            let t = format_ident!("__a{}", j);
            match a {
                Arg::Value(x) => {
                    let x = self.expr(x);
                    binds.push(quote!(let #t = #x;));
                    pass.push(quote!(#t));
                }
                Arg::Row(r, _) | Arg::RowMut(r, _) => {
                    let v = self.view(*r);
                    binds.push(quote!(let #t = #v;));
                    pass.push(quote!(#t));
                }
                Arg::ScalarMut(ScalarRef::Param(i), _) => {
                    let n = pname(*i);
                    if self.f.sig.params[*i].kind == ParamKind::OutScalar {
                        pass.push(quote!(&mut *#n));
                    } else {
                        pass.push(quote!(&mut #n));
                    }
                }
                Arg::ScalarMut(ScalarRef::Local(l), _) => {
                    let n = lname(*l);
                    pass.push(quote!(&mut #n));
                }
            }
        }
        quote!({
            #(#binds)*
            let __r = #name::<W>(__m, &mut *__f, #(#pass),*);
            __m = __f.live(__m);
            __r
        })
    }

    /// `if c { t } else { e }`: each branch under its lanes (skipped when it has none), the
    /// values blended by the condition.
    pub(super) fn if_expr(&self, c: &Expr, t: &Block, e: Option<&Block>, ty: &Ty) -> TokenStream {
        let p = private();
        let c = self.expr(c);
        let z = self.zero_of(ty);
        let tb = self.block_typed(t, ty);
        let eb = match e {
            Some(b) => self.block_typed(b, ty),
            None => quote!(()),
        };
        let sel = self.select_of(ty, quote!(__c), quote!(__tv), quote!(__ev));
        quote!({
            let __c: [bool; W] = #c;
            let __s: [bool; W] = __m;
            for __l in 0..W {
                __m[__l] = __s[__l] & __c[__l];
            }
            let __tv = if #p::lanes_any(__m) { #tb } else { #z };
            let __mt: [bool; W] = __m;
            let __s = __f.live(__s);
            for __l in 0..W {
                __m[__l] = __s[__l] & !__c[__l];
            }
            let __ev = if #p::lanes_any(__m) { #eb } else { #z };
            for __l in 0..W {
                __m[__l] |= __mt[__l];
            }
            #sel
        })
    }
}
