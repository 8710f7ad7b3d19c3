//! Statements and assignments in Rust: checked stores, wrapping compound assignments, loops.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::ir::*;
use crate::sig::ParamKind;

use super::expr::binop;
use super::*;

impl Emitter<'_> {
    pub(super) fn stmt(&self, s: &Stmt) -> TokenStream {
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
                let tys: Vec<TokenStream> = match (locals.len(), init.as_ref().map(|i| &i.ty)) {
                    (1, _) if locals[0].is_some() => vec![self.local_ty(locals[0].unwrap_or_default())],
                    (_, Some(Ty::Tuple(vs))) => vs.iter().map(|v| self.ty(*v).tokens()).collect(),
                    _ => vec![quote!(_)],
                };
                let init = init.as_ref().map(|i| {
                    let x = self.expr(i);
                    quote!(= #x)
                });
                if pats.len() == 1 {
                    let (p, t) = (&pats[0], &tys[0]);
                    quote!(let #p: #t #init;)
                } else {
                    quote!(let (#(#pats),*): (#(#tys),*) #init;)
                }
            }
            Stmt::LetArray { local, init } => {
                let n = lname(*local);
                let t = self.local_ty(*local);
                let v = match init {
                    ArrayInit::Repeat(x, len) => {
                        let x = self.expr(x);
                        let len = Literal::usize_unsuffixed(*len);
                        quote!([#x; #len])
                    }
                    ArrayInit::List(xs) => {
                        let xs = xs.iter().map(|x| self.expr(x));
                        quote!([#(#xs),*])
                    }
                };
                quote!(let mut #n: #t = #v;)
            }
            Stmt::Assign { place, op, value, .. } => self.assign(place, *op, value),
            Stmt::Expr(e) => {
                let x = self.expr(e);
                quote!(#x;)
            }
            Stmt::While { cond, body } => {
                let c = self.expr(cond);
                let b = self.block(body);
                quote!(while #c #b)
            }
            Stmt::For {
                var,
                start,
                end,
                inclusive,
                rev,
                body,
            } => {
                let n = lname(*var);
                let t = self.local_ty(*var);
                let (s, e) = (self.expr(start), self.expr(end));
                let range = if *inclusive {
                    quote!((#s..=#e))
                } else {
                    quote!((#s..#e))
                };
                let range = if *rev { quote!(#range.rev()) } else { range };
                let b = self.block(body);
                quote!(for #n in #range { let #n: #t = #n; #b })
            }
            Stmt::Loop(b) => {
                let b = self.block(b);
                quote!(loop #b)
            }
            Stmt::Break(_) => quote!(break;),
            Stmt::Continue(_) => quote!(continue;),
            Stmt::Return(v, _) => match v {
                Some(v) => {
                    let x = self.expr(v);
                    quote!(return ::osipy_kernels::__private::Ok(#x);)
                }
                None => quote!(return ::osipy_kernels::__private::Ok(());),
            },
        }
    }

    fn local_ty(&self, l: LocalId) -> TokenStream {
        match self.f.locals[l].ty {
            LocalTy::Scalar(v) => self.ty(v).tokens(),
            LocalTy::Array(v, n) => {
                let t = self.ty(v).tokens();
                let n = Literal::usize_unsuffixed(n);
                quote!([#t; #n])
            }
        }
    }

    fn assign(&self, place: &Place, op: Option<BinOp>, value: &Expr) -> TokenStream {
        let v = self.expr(value);
        let rhs_t = self.expr_scalar(value).tokens();
        let (target, ty, setup) = match place {
            Place::Local(l) => {
                let n = lname(*l);
                let t = match self.f.locals[*l].ty {
                    LocalTy::Scalar(v) => self.ty(v),
                    LocalTy::Array(v, _) => self.ty(v),
                };
                (quote!(#n), t, quote!())
            }
            Place::Param(i) => {
                let n = pname(*i);
                let p = &self.f.sig.params[*i];
                let target = if p.kind == ParamKind::OutScalar {
                    quote!(*#n)
                } else {
                    quote!(#n)
                };
                (target, p.elem, quote!())
            }
            Place::Index(a, idx) => {
                let i = self.expr(idx);
                let s = self.slice(*a, true);
                let (fname, aname) = (self.fn_name(), self.array_name(*a));
                let t = match a {
                    ArrayRef::Param(i) => self.f.sig.params[*i].elem,
                    ArrayRef::Local(l) => match self.f.locals[*l].ty {
                        LocalTy::Array(v, _) | LocalTy::Scalar(v) => self.ty(v),
                    },
                };
                let setup = quote! {
                    let __xp_i: usize = #i;
                    let __xp_place = ::osipy_kernels::__private::get_mut(
                        #s, __xp_i, &::osipy_kernels::__private::Site { function: #fname, array: #aname },
                    )?;
                };
                (quote!(*__xp_place), t, setup)
            }
        };
        let new = match op {
            None => quote!(__xp_rhs),
            Some(op) => binop(op, ty, target.clone(), quote!(__xp_rhs)),
        };
        quote!({
            let __xp_rhs: #rhs_t = #v;
            #setup
            #target = #new;
        })
    }
}
