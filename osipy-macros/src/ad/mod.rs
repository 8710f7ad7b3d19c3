//! Forward-mode differentiation of the IR (DESIGN point 7).
//!
//! The fitted parameters of a model are the directions. An activity analysis first finds, for
//! every float local, local array and parameter, the set of directions (a bit mask) its value
//! can depend on; only those tangents exist. The transformation then rewrites each function:
//! every active expression is split into a value bound to a local and one tangent per
//! direction, statements update tangents next to values, and calls go to differentiated
//! variants of the callee (one per pattern of active arguments), so derivatives flow through
//! loops, branches, local arrays, intrinsics and calls to other kernels alike.
//!
//! The root model's prediction writes (`pred[k] = v`) are where the sample is consumed: in
//! [`Mode::Eval`] the residual and the derivative row go straight into chi2, the gradient
//! `Jᵀ W r` and the normal matrix `Jᵀ W J` (nothing is stored per sample); in
//! [`Mode::Jacobian`] the value and its derivative row are written out.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::Ident;

use crate::ir::*;
use crate::sig::{Param, ParamKind, Sig};
use crate::types::Scalar;

mod analysis;
mod tx;
mod tx_assign;
mod tx_call;
mod tx_expr;
mod tx_intr;
mod tx_stmt;

/// Bit mask of directions.
type Mask = u64;

/// What the root model's prediction writes become.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Residuals into chi2, gradient and normal matrix (the fit), weighted or not.
    Eval {
        /// Whether a weights row follows the model's parameters.
        weighted: bool,
    },
    /// Value and derivative row written out (`jac[k * P + a]`).
    Jacobian,
}

/// Differentiates a model bundle.
pub struct Ad<'a> {
    bundle: &'a [Func],
    p: usize,
    /// Index of the prediction row among the root's parameters.
    pred: usize,
    /// Differentiated callees made so far.
    pub variants: Vec<Func>,
    infos: HashMap<(String, Vec<Mask>), Info>,
    made: HashMap<(String, Vec<Mask>), String>,
    /// Unsupported constructs met, with their spans.
    pub errors: Vec<(Span, String)>,
}

#[derive(Clone, PartialEq, Eq, Default)]
struct Analysis {
    local: Vec<Mask>,
    param: Vec<Mask>,
    ret: Vec<Mask>,
}

#[derive(Clone)]
struct Info {
    an: Analysis,
}

/// The directions of a mask, in order.
fn dirs(m: Mask, p: usize) -> Vec<usize> {
    (0..p).filter(|a| m & (1 << a) != 0).collect()
}

/// Tangents of one value: one entry per direction, `None` where it is zero.
type Tan = Vec<Option<Expr>>;

/// Extra parameters of the evaluation function: the weights row (if weighted), chi2, gradient, then the lower
/// triangle of the normal matrix row by row (`h_a_b`, `b <= a`).
pub fn eval_extra(p: usize, weighted: bool, span: Span) -> Vec<Param> {
    let mk = |name: String, kind| Param {
        name: Ident::new(&name, span),
        kind,
        elem: Scalar::F64,
        uniform: false,
        span,
        fit: None,
    };
    let mut v = Vec::new();
    if weighted {
        v.push(mk("__xp_w".into(), ParamKind::Row));
    }
    v.push(mk("__xp_chi2".into(), ParamKind::OutScalar));
    for a in 0..p {
        v.push(mk(format!("__xp_g{a}"), ParamKind::OutScalar));
    }
    for a in 0..p {
        for b in 0..=a {
            v.push(mk(format!("__xp_h{a}_{b}"), ParamKind::OutScalar));
        }
    }
    v
}

/// Extra parameter of the Jacobian function: the derivative rows (`n * P`).
pub fn jacobian_extra(span: Span) -> Vec<Param> {
    vec![Param {
        name: Ident::new("jacobian", span),
        kind: ParamKind::OutRow,
        elem: Scalar::F64,
        uniform: false,
        span,
        fit: None,
    }]
}

/// Rewrites one function.
struct Tx<'s, 'a> {
    ad: &'s mut Ad<'a>,
    src: &'a Func,
    an: Analysis,
    out: Func,
    /// Tangent locals (scalars and arrays) of active locals, per direction.
    tl: HashMap<LocalId, Vec<Option<LocalId>>>,
    /// Tangent parameters of active parameters, per direction.
    tp: HashMap<usize, Vec<Option<usize>>>,
    /// Assigned active value parameters live in these locals.
    shadow: HashMap<usize, LocalId>,
    /// Constant tangents of parameters (the root's seeds).
    seeds: HashMap<usize, usize>,
    mode: Option<Mode>,
    prelude: Vec<Stmt>,
}

/// Where a block's value goes.
enum Sink {
    /// The function body (a variant returns its tangents too).
    Body,
    /// Nowhere special: the block keeps its value.
    None,
    /// Assigned to a local and its tangents (an active `if` or block expression).
    Assign(LocalId, Vec<Option<LocalId>>),
}

/// Whether an expression contains a call or a block (which must be rewritten even when its
/// value is inactive).
fn needs_tx(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call(..) | ExprKind::If(..) | ExprKind::Block(_) => true,
        ExprKind::Unary(_, x) | ExprKind::Cast(x, _) | ExprKind::Index(_, x) => needs_tx(x),
        ExprKind::Binary(_, a, b) => needs_tx(a) || needs_tx(b),
        ExprKind::Intrinsic(_, xs) | ExprKind::Tuple(xs) => xs.iter().any(needs_tx),
        ExprKind::Lit(_) | ExprKind::Local(_) | ExprKind::Param(_) | ExprKind::Len(_) => false,
    }
}

fn mark_assigned(b: &Block, out: &mut [bool]) {
    for s in &b.stmts {
        match s {
            Stmt::Assign {
                place: Place::Param(i),
                ..
            } => out[*i] = true,
            Stmt::While { body, .. } | Stmt::For { body, .. } | Stmt::Loop(body) => mark_assigned(body, out),
            Stmt::Expr(e) | Stmt::Let { init: Some(e), .. } => mark_expr(e, out),
            _ => {}
        }
    }
    if let Some(t) = &b.tail {
        mark_expr(t, out);
    }
}

fn mark_expr(e: &Expr, out: &mut [bool]) {
    match &e.kind {
        ExprKind::If(c, t, el) => {
            mark_expr(c, out);
            mark_assigned(t, out);
            if let Some(el) = el {
                mark_assigned(el, out);
            }
        }
        ExprKind::Block(b) => mark_assigned(b, out),
        ExprKind::Unary(_, x) | ExprKind::Cast(x, _) | ExprKind::Index(_, x) => mark_expr(x, out),
        ExprKind::Binary(_, a, b) => {
            mark_expr(a, out);
            mark_expr(b, out);
        }
        ExprKind::Intrinsic(_, xs) | ExprKind::Tuple(xs) => xs.iter().for_each(|x| mark_expr(x, out)),
        ExprKind::Call(_, args) => {
            for a in args {
                match a {
                    Arg::Value(x) => mark_expr(x, out),
                    Arg::ScalarMut(ScalarRef::Param(i), _) => out[*i] = true,
                    _ => {}
                }
            }
        }
        _ => {}
    }
}
