//! The CPU lane lowering: IR to Rust that runs `W` items at once, one per lane.
//!
//! Each function of the bundle becomes `fn __xp_lfn_K<const W: usize>(mask, faults, ..)`:
//! every scalar value is a `[T; W]` (lane `l` holds item `l`'s value), every row a
//! `Rows<T, W>` view (a pointer per lane), a local array `[T; N]` a `[[T; W]; N]` (element
//! by element, lanes adjacent), and every statement runs under a mask of active lanes held
//! in `__m`. Per-lane operations are plain loops over `0..W` that LLVM unrolls and
//! vectorizes inside the `#[target_feature(enable = "avx2,fma")]` chunk function; each lane
//! computes exactly the operations the scalar lowering computes for its item (the same
//! Rust operations, `mul_add` where the source has it), so the results are bit for bit those
//! of the scalar lowering.
//!
//! Control flow by masks: an `if` runs each branch under its lanes (a branch no lane takes is
//! skipped) and blends values; a loop runs while any lane is active; `break` and `return`
//! clear the lane from the mask (the return value is blended into `__rv`), `continue` parks
//! it in the loop's `__cnt` until the next iteration. An index out of range ends only that
//! lane (`Faults::check`), recorded with the same site, index and length as the scalar
//! lowering. A `for` loop whose bounds are the same for every lane (literals, lengths,
//! uniform parameters of the launched kernel, counters of such loops) keeps one scalar
//! counter, so its rows are read at one index for all lanes.

mod expr;
mod intr;
mod stmt;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::*;
use crate::sig::ParamKind;
use crate::types::Scalar;

/// Name of the lane-lowered function for bundle entry `k`.
pub fn lane_fn_ident(k: usize) -> Ident {
    format_ident!("__xp_lfn_{}", k)
}

/// Emits the lane lowering of bundle entry `k` (`resolve`: a callee id's bundle index,
/// `math`: the bundle's math kernels, as for the scalar lowering).
pub fn emit_lane_fn(
    f: &Func,
    k: usize,
    resolve: &dyn Fn(&str) -> usize,
    math: &HashMap<String, usize>,
) -> TokenStream {
    let e = Emitter {
        f,
        resolve,
        math,
        root: k == 0,
        uniform: RefCell::new(HashSet::new()),
        assigned: assigned_params(f),
    };
    let name = lane_fn_ident(k);
    let p = private();
    let params = f.sig.params.iter().enumerate().map(|(i, prm)| {
        let n = pname(i);
        let t = prm.elem.tokens();
        match prm.kind {
            ParamKind::Scalar => quote!(mut #n: [#t; W]),
            ParamKind::Row | ParamKind::OutRow => quote!(#n: #p::Rows<#t, W>),
            ParamKind::OutScalar => quote!(#n: &mut [#t; W]),
        }
    });
    let ret = ret_type(&f.sig.ret, f.sig.ret_tuple);
    let zero = ret_zero(&f.sig.ret, f.sig.ret_tuple);
    let body = e.block(&f.body);
    let merge = if f.body.tail.is_some() && !f.sig.ret.is_empty() {
        e.select_value(
            &f.sig.ret,
            f.sig.ret_tuple,
            quote!(__m),
            quote!(__t),
            quote!(__rv),
        )
    } else {
        quote!(__rv)
    };
    quote! {
        #[inline(always)]
        fn #name<const W: usize>(__m0: [bool; W], __f: &mut #p::Faults<W>, #(#params),*) -> #ret {
            let mut __m: [bool; W] = __m0;
            let mut __ret: [bool; W] = [false; W];
            let mut __rv: #ret = #zero;
            let __t = #body;
            #merge
        }
    }
}

/// Whether the lane lowering is emitted for a bundle: with the crate feature `lanes`, for
/// every bundle (every construct of the IR has a lane form). This is the one place to send a
/// kernel back to the scalar lowering: its launch then runs the scalar chunk whatever the
/// lane choice says.
pub fn covers(_funcs: &[Func]) -> bool {
    cfg!(feature = "lanes")
}

fn private() -> TokenStream {
    quote!(::osipy_kernels::__private)
}

fn pname(i: usize) -> Ident {
    format_ident!("p{}", i)
}

fn lname(l: LocalId) -> Ident {
    format_ident!("l{}", l)
}

/// The lane type of a kernel's return value.
fn ret_type(ret: &[Scalar], tuple: bool) -> TokenStream {
    match ret {
        [] => quote!(()),
        [s] if !tuple => {
            let t = s.tokens();
            quote!([#t; W])
        }
        many => {
            let ts = many.iter().map(|s| {
                let t = s.tokens();
                quote!([#t; W])
            });
            quote!((#(#ts,)*))
        }
    }
}

fn ret_zero(ret: &[Scalar], tuple: bool) -> TokenStream {
    match ret {
        [] => quote!(()),
        [s] if !tuple => {
            let z = zero(*s);
            quote!([#z; W])
        }
        many => {
            let zs = many.iter().map(|s| {
                let z = zero(*s);
                quote!([#z; W])
            });
            quote!((#(#zs,)*))
        }
    }
}

/// The zero of a scalar type, as a literal.
fn zero(s: Scalar) -> TokenStream {
    match s {
        Scalar::F64 => quote!(0.0f64),
        Scalar::F32 => quote!(0.0f32),
        Scalar::Bool => quote!(false),
        other => {
            let t = other.tokens();
            quote!((0 as #t))
        }
    }
}

/// Scalar parameters the body assigns (they cannot count as uniform).
fn assigned_params(f: &Func) -> HashSet<usize> {
    fn block(b: &Block, out: &mut HashSet<usize>) {
        for s in &b.stmts {
            match s {
                Stmt::Assign {
                    place: Place::Param(i),
                    ..
                } => {
                    out.insert(*i);
                }
                Stmt::While { body, .. } | Stmt::For { body, .. } | Stmt::Loop(body) => block(body, out),
                Stmt::Let { init: Some(x), .. } | Stmt::Expr(x) => expr(x, out),
                _ => {}
            }
        }
        if let Some(t) = &b.tail {
            expr(t, out);
        }
    }
    fn expr(e: &Expr, out: &mut HashSet<usize>) {
        match &e.kind {
            ExprKind::If(_, t, e2) => {
                block(t, out);
                if let Some(b) = e2 {
                    block(b, out);
                }
            }
            ExprKind::Block(b) => block(b, out),
            ExprKind::Call(_, args) => {
                for a in args {
                    if let Arg::ScalarMut(ScalarRef::Param(i), _) = a {
                        out.insert(*i);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = HashSet::new();
    block(&f.body, &mut out);
    out
}

struct Emitter<'a> {
    f: &'a Func,
    resolve: &'a dyn Fn(&str) -> usize,
    math: &'a HashMap<String, usize>,
    /// Whether this is the launched function (its uniform parameters are the same in every
    /// lane).
    root: bool,
    /// Counters of the `for` loops being emitted with one scalar counter.
    uniform: RefCell<HashSet<LocalId>>,
    /// Parameters the body assigns.
    assigned: HashSet<usize>,
}

impl Emitter<'_> {
    fn ty(&self, v: crate::types::TyVar) -> Scalar {
        self.f.types.get(v)
    }

    fn expr_scalar(&self, e: &Expr) -> Scalar {
        match &e.ty {
            Ty::Scalar(v) => self.ty(*v),
            _ => Scalar::F64,
        }
    }

    fn local_elem(&self, l: LocalId) -> Scalar {
        match self.f.locals[l].ty {
            LocalTy::Scalar(v) | LocalTy::Array(v, _) => self.ty(v),
        }
    }

    fn site(&self, a: ArrayRef) -> TokenStream {
        let fname = self.f.sig.name.to_string();
        let aname = match a {
            ArrayRef::Param(i) => self.f.sig.params[i].name.to_string(),
            ArrayRef::Local(l) => self.f.locals[l].name.to_string(),
        };
        let p = private();
        quote!(&#p::Site { function: #fname, array: #aname })
    }

    /// The lane view of an array (a row parameter as it is, a local array by pointers).
    fn view(&self, a: ArrayRef) -> TokenStream {
        let p = private();
        match a {
            ArrayRef::Param(i) => {
                let n = pname(i);
                quote!(#n)
            }
            ArrayRef::Local(l) => {
                let n = lname(l);
                quote!(#p::Rows::local(&mut #n))
            }
        }
    }

    /// Blends `a` (lanes of `m`) and `b` for a value of the return type.
    fn select_value(
        &self,
        ret: &[Scalar],
        tuple: bool,
        m: TokenStream,
        a: TokenStream,
        b: TokenStream,
    ) -> TokenStream {
        let p = private();
        match ret {
            [] => quote!(()),
            [_] if !tuple => quote!(#p::lanes_select(#m, #a, #b)),
            many => {
                let parts = (0..many.len()).map(|j| {
                    let j = syn::Index::from(j);
                    quote!(#p::lanes_select(#m, #a.#j, #b.#j))
                });
                quote!((#(#parts,)*))
            }
        }
    }

    /// The zero of an expression's lane type.
    fn zero_of(&self, ty: &Ty) -> TokenStream {
        match ty {
            Ty::Unit => quote!(()),
            Ty::Scalar(v) => {
                let z = zero(self.ty(*v));
                quote!([#z; W])
            }
            Ty::Tuple(vs) => {
                let zs = vs.iter().map(|v| {
                    let z = zero(self.ty(*v));
                    quote!([#z; W])
                });
                quote!((#(#zs,)*))
            }
        }
    }

    /// Blends two values of lane type `ty` by mask `m`.
    fn select_of(&self, ty: &Ty, m: TokenStream, a: TokenStream, b: TokenStream) -> TokenStream {
        let p = private();
        match ty {
            Ty::Unit => quote!(()),
            Ty::Scalar(_) => quote!(#p::lanes_select(#m, #a, #b)),
            Ty::Tuple(vs) => {
                let parts = (0..vs.len()).map(|j| {
                    let j = syn::Index::from(j);
                    quote!(#p::lanes_select(#m, #a.#j, #b.#j))
                });
                quote!((#(#parts,)*))
            }
        }
    }

    fn block(&self, b: &Block) -> TokenStream {
        let stmts = b.stmts.iter().map(|s| self.stmt(s));
        let tail = b.tail.as_ref().map(|t| self.expr(t));
        quote!({ #(#stmts)* #tail })
    }

    /// A block whose value has type `ty`: one without a tail (its lanes all left by `break`,
    /// `continue` or `return`) gets the zero of `ty`, so it still has the type.
    fn block_typed(&self, b: &Block, ty: &Ty) -> TokenStream {
        if b.tail.is_some() || matches!(ty, Ty::Unit) {
            return self.block(b);
        }
        let stmts = b.stmts.iter().map(|s| self.stmt(s));
        let z = self.zero_of(ty);
        quote!({ #(#stmts)* #z })
    }

    /// A per-lane map: `body` computes lane `__l`'s element of type `t`.
    fn map(t: Scalar, body: TokenStream) -> TokenStream {
        let z = zero(t);
        quote!({
            let mut __r = [#z; W];
            for __l in 0..W {
                __r[__l] = #body;
            }
            __r
        })
    }

    /// The expression as one scalar shared by every lane, when it is uniform (see the module
    /// documentation); `None` otherwise.
    fn uniform_scalar(&self, e: &Expr) -> Option<TokenStream> {
        match &e.kind {
            ExprKind::Lit(l) => Some(crate::cpu::expr::lit(l, self.expr_scalar(e), e.span)),
            ExprKind::Len(a) => Some(match a {
                ArrayRef::Param(i) => {
                    let n = pname(*i);
                    quote!(#n.len)
                }
                ArrayRef::Local(l) => match self.f.locals[*l].ty {
                    LocalTy::Array(_, n) => {
                        let n = Literal::usize_suffixed(n);
                        quote!(#n)
                    }
                    LocalTy::Scalar(_) => quote!(0usize),
                },
            }),
            ExprKind::Param(i) => {
                let prm = &self.f.sig.params[*i];
                (self.root && prm.uniform && prm.kind == ParamKind::Scalar && !self.assigned.contains(i))
                    .then(|| {
                        let n = pname(*i);
                        quote!(#n[0])
                    })
            }
            ExprKind::Local(l) if self.uniform.borrow().contains(l) => {
                let n = format_ident!("u{}", l);
                Some(quote!(#n))
            }
            ExprKind::Unary(op, x) => {
                let t = self.expr_scalar(x);
                let x = self.uniform_scalar(x)?;
                Some(match op {
                    UnOp::Neg if t.is_int() => quote!((#x).wrapping_neg()),
                    UnOp::Neg => quote!((-(#x))),
                    UnOp::Not => quote!((!(#x))),
                })
            }
            ExprKind::Binary(op, a, b) if !matches!(op, BinOp::And | BinOp::Or) => {
                let t = self.expr_scalar(a);
                let (a, b) = (self.uniform_scalar(a)?, self.uniform_scalar(b)?);
                Some(crate::cpu::expr::binop(*op, t, a, b))
            }
            ExprKind::Cast(x, to) => {
                let x = self.uniform_scalar(x)?;
                let t = to.tokens();
                Some(quote!(((#x) as #t)))
            }
            _ => None,
        }
    }
}
