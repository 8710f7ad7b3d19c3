//! Lowering of calls: method calls (`.len()`, float intrinsics), calls of other kernels
//! (arguments matched to the callee's signature, rows and `&mut` outputs), and scalar
//! function calls (`f64::from_bits`, `f64::max`, ..).

use crate::calls::{is_scalar_path, path_key};
use crate::ir::*;
use crate::lower::expr::*;
use crate::lower::{Binding, Lowerer};
use crate::sig::ParamKind;
use crate::types::{Known, Scalar};
use proc_macro2::Span;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    pub(crate) fn method(&mut self, m: &syn::ExprMethodCall) -> Expr {
        let span = m.span();
        let name = m.method.to_string();
        if m.turbofish.is_some() {
            self.cx
                .error(m.span(), "turbofish `::<>` is not supported on methods");
        }
        if let Some(x) = self.struct_method(m) {
            return x;
        }
        if name == "len" {
            let Some((a, _, _)) = self.array_ref(&m.receiver, "`.len()`") else {
                return self.bad(span);
            };
            if !m.args.is_empty() {
                self.cx.spanned(&m.args, "`.len()` takes no arguments");
            }
            let v = self.types.known(Scalar::Usize);
            return Expr {
                kind: ExprKind::Len(a),
                ty: Ty::Scalar(v),
                span,
            };
        }
        if name == "is_empty" {
            let Some((a, _, _)) = self.array_ref(&m.receiver, "`.is_empty()`") else {
                return self.bad(span);
            };
            let uv = self.types.known(Scalar::Usize);
            let bv = self.types.known(Scalar::Bool);
            let zv = self.types.known(Scalar::Usize);
            let len = Expr {
                kind: ExprKind::Len(a),
                ty: Ty::Scalar(uv),
                span,
            };
            let zero = Expr {
                kind: ExprKind::Lit(LitVal::Int(0)),
                ty: Ty::Scalar(zv),
                span,
            };
            return Expr {
                kind: ExprKind::Binary(BinOp::Eq, Box::new(len), Box::new(zero)),
                ty: Ty::Scalar(bv),
                span,
            };
        }
        if name == "rev" {
            self.cx.spanned(
                &m.method,
                "`.rev()` is supported only on a range in `for i in (a..b).rev()`",
            );
            return self.bad(span);
        }
        let Some(intr) = intrinsic(&name) else {
            self.cx.spanned(
                &m.method,
                format!("method `{name}` is not supported in a kernel body; supported methods: {METHODS}"),
            );
            return self.bad(span);
        };
        let mut args = vec![&*m.receiver];
        args.extend(m.args.iter());
        self.intrinsic_call(intr, &name, &args, span)
    }

    /// Types an intrinsic applied to `args` (receiver first).
    pub(crate) fn intrinsic_call(&mut self, intr: Intr, name: &str, args: &[&syn::Expr], span: Span) -> Expr {
        let arity = match intr {
            Intr::Powf | Intr::Powi | Intr::Min | Intr::Max => 2,
            Intr::MulAdd => 3,
            _ => 1,
        };
        if args.len() != arity {
            self.cx.error(
                span,
                format!(
                    "`{name}` takes {} argument(s), found {}",
                    arity - 1,
                    args.len() - 1
                ),
            );
            return self.bad(span);
        }
        let mut lowered = Vec::new();
        let mut vars = Vec::new();
        for a in args {
            let (x, v) = self.scalar(a);
            lowered.push(x);
            vars.push(v);
        }
        let recv = vars[0];
        let ty = match intr {
            Intr::Powi => {
                self.require(
                    vars[1],
                    Scalar::I32,
                    args[1].span(),
                    "the exponent of `powi` (an `i32`)",
                );
                recv
            }
            Intr::Powf | Intr::Min | Intr::Max => {
                self.unify(recv, vars[1], span, &format!("`{name}`"));
                recv
            }
            Intr::MulAdd => {
                self.unify(recv, vars[1], span, "`mul_add`");
                self.unify(recv, vars[2], span, "`mul_add`");
                recv
            }
            Intr::IsNan | Intr::IsFinite => Some(self.types.known(Scalar::Bool)),
            Intr::ToBits => match recv.map(|v| self.types.probe(v)) {
                Some(Known::Scalar(Scalar::F32)) => Some(self.types.known(Scalar::U32)),
                _ => {
                    self.require(recv, Scalar::F64, span, "`to_bits`");
                    Some(self.types.known(Scalar::U64))
                }
            },
            Intr::FromBits => unreachable_from_bits(),
            _ => recv,
        };
        if let Some(r) = recv {
            let k = self.types.probe(r);
            let int_ok = matches!(intr, Intr::Abs | Intr::Min | Intr::Max);
            let bad = match k {
                Known::Int => !int_ok,
                Known::Scalar(s) if s.is_int() => !int_ok || (intr == Intr::Abs && !s.is_signed_int()),
                Known::Scalar(Scalar::Bool) => true,
                _ => false,
            };
            if bad {
                self.cx
                    .error(span, format!("`{name}` is not supported on {}", k.describe()));
            }
        }
        Expr {
            kind: ExprKind::Intrinsic(intr, lowered),
            ty: ty.map(Ty::Scalar).unwrap_or(Ty::Unit),
            span,
        }
    }

    pub(crate) fn call(&mut self, c: &syn::ExprCall) -> Expr {
        let span = c.span();
        let syn::Expr::Path(p) = &*c.func else {
            self.cx.spanned(
                &c.func,
                "only calls of other #[xp_kernel] functions by path are supported",
            );
            return self.bad(span);
        };
        if is_scalar_path(&p.path) {
            return self.scalar_fn_call(&p.path, c, span);
        }
        let key = path_key(&p.path);
        let Some(idx) = self.call_index.get(&key).copied() else {
            self.cx.spanned(&p, "internal: call site not numbered");
            return self.bad(span);
        };
        let Some(callee) = self.callee_sigs.get(idx).cloned() else {
            if self.precheck {
                // Callees are not fetched yet: check the arguments' own expressions only.
                for a in &c.args {
                    self.precheck_arg(a);
                }
                let v = self.types.any();
                return Expr {
                    kind: ExprKind::Lit(LitVal::Int(0)),
                    ty: Ty::Scalar(v),
                    span,
                };
            }
            self.cx.spanned(&p,
                format!("`{key}` is not an #[xp_kernel] function; a kernel can call only other #[xp_kernel] functions"),
            );
            return self.bad(span);
        };
        if callee.arity() != c.args.len() {
            self.cx.error(
                span,
                format!(
                    "`{}` takes {} argument(s), found {}",
                    callee.name,
                    callee.arity(),
                    c.args.len()
                ),
            );
            return self.bad(span);
        }
        let mut args = Vec::new();
        let mut flat = 0;
        for (pos, a) in c.args.iter().enumerate() {
            if let Some(sa) = callee.structs.iter().find(|s| s.pos == pos) {
                self.struct_arg(sa, a, &callee, &mut args);
                flat += sa.len();
                continue;
            }
            let Some(p) = callee.params.get(flat) else { break };
            flat += 1;
            let sp = a.span();
            match p.kind {
                ParamKind::Scalar => {
                    let (x, v) = self.scalar(a);
                    self.require(
                        v,
                        p.elem,
                        sp,
                        &format!("argument `{}` of `{}`", p.name, callee.name),
                    );
                    args.push(Arg::Value(x));
                }
                ParamKind::Row | ParamKind::OutRow => {
                    let want_mut = p.kind == ParamKind::OutRow;
                    let (inner, is_mut_ref) = strip_ref(a);
                    if want_mut && !is_mut_ref && !self.is_out_row_param(inner) {
                        self.cx.error(
                            sp,
                            format!(
                                "argument `{}` of `{}` is `&mut [{}]`: pass `&mut array` or an output row",
                                p.name,
                                callee.name,
                                p.elem.name()
                            ),
                        );
                        continue;
                    }
                    let Some((r, ev, writable)) =
                        self.array_ref(inner, &format!("argument `{}` of `{}`", p.name, callee.name))
                    else {
                        continue;
                    };
                    if want_mut && !writable {
                        self.cx.error(
                            sp,
                            format!(
                                "argument `{}` of `{}` must be writable: an output row or a local array",
                                p.name, callee.name
                            ),
                        );
                    }
                    self.require(
                        ev,
                        p.elem,
                        sp,
                        &format!("argument `{}` of `{}`", p.name, callee.name),
                    );
                    args.push(if want_mut {
                        Arg::RowMut(r, sp)
                    } else {
                        Arg::Row(r, sp)
                    });
                }
                ParamKind::OutScalar => match self.scalar_ref(a) {
                    Some((r, v)) => {
                        self.require(
                            Some(v),
                            p.elem,
                            sp,
                            &format!("argument `{}` of `{}`", p.name, callee.name),
                        );
                        args.push(Arg::ScalarMut(r, sp));
                    }
                    None => self.cx.error(
                        sp,
                        format!(
                            "argument `{}` of `{}` is `&mut {}`: pass `&mut local` or an output argument",
                            p.name,
                            callee.name,
                            p.elem.name()
                        ),
                    ),
                },
            }
        }
        let ty = match callee.ret.len() {
            0 => Ty::Unit,
            1 if !callee.ret_tuple => Ty::Scalar(self.types.known(callee.ret[0])),
            _ => Ty::Tuple(callee.ret.iter().map(|s| self.types.known(*s)).collect()),
        };
        Expr {
            kind: ExprKind::Call(idx, args),
            ty,
            span,
        }
    }

    pub(crate) fn is_out_row_param(&self, e: &syn::Expr) -> bool {
        if let syn::Expr::Path(p) = e {
            if let Some(id) = p.path.get_ident() {
                if let Some(Binding::Param(i)) = self.lookup(&id.to_string()) {
                    return self.sig.params[i].kind == ParamKind::OutRow;
                }
            }
        }
        false
    }

    pub(crate) fn scalar_ref(&mut self, e: &syn::Expr) -> Option<(ScalarRef, crate::types::TyVar)> {
        let (inner, is_mut) = strip_ref(e);
        let inner = match inner {
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &*u.expr,
            other => other,
        };
        let syn::Expr::Path(p) = inner else { return None };
        let name = p.path.get_ident()?.to_string();
        match self.lookup(&name)? {
            Binding::Param(i) if self.sig.params[i].kind == ParamKind::OutScalar => {
                Some((ScalarRef::Param(i), self.params[i]))
            }
            Binding::Local(l) if is_mut => match self.locals[l].ty {
                LocalTy::Scalar(v) => Some((ScalarRef::Local(l), v)),
                LocalTy::Array(..) => None,
            },
            _ => None,
        }
    }

    pub(crate) fn scalar_fn_call(&mut self, path: &syn::Path, c: &syn::ExprCall, span: Span) -> Expr {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let n = segs.len();
        let ty = Scalar::from_name(&segs[n - 2]);
        let name = segs[n - 1].as_str();
        if name == "from_bits" && ty.is_some_and(Scalar::is_float) && c.args.len() == 1 {
            let ty = ty.unwrap_or(Scalar::F64);
            let (x, v) = self.scalar(&c.args[0]);
            let bits = if ty == Scalar::F64 {
                Scalar::U64
            } else {
                Scalar::U32
            };
            self.require(v, bits, c.args[0].span(), "the argument of `from_bits`");
            let tv = self.types.known(ty);
            return Expr {
                kind: ExprKind::Intrinsic(Intr::FromBits, vec![x]),
                ty: Ty::Scalar(tv),
                span,
            };
        }
        if let (Some(ty), Some(intr)) = (ty, intrinsic(name)) {
            if !matches!(intr, Intr::FromBits) {
                let args: Vec<&syn::Expr> = c.args.iter().collect();
                let e = self.intrinsic_call(intr, name, &args, span);
                if let Some(first) = args.first() {
                    if let Ty::Scalar(v) = self.expr_ty_of_first(&e) {
                        self.require(Some(v), ty, first.span(), &format!("`{}::{name}`", ty.name()));
                    }
                }
                return e;
            }
        }
        self.cx.error(
            span,
            format!("`{}` is not supported; supported: `f64::from_bits`, `f32::from_bits` and the float methods {METHODS}", segs.join("::")),
        );
        self.bad(span)
    }
}
