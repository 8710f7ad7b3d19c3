//! Literals, paths (locals, parameters, `const`s of the body) and the named constants of the
//! float and integer types (`f64::consts::PI`, `u32::MAX`).

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ir::*;
use crate::lower::{Binding, Lowerer};
use crate::sig::ParamKind;
use crate::types::{Known, Scalar};

impl Lowerer<'_> {
    pub(super) fn lit(&mut self, l: &syn::Lit) -> Expr {
        let span = l.span();
        let (kind, v) = match l {
            syn::Lit::Int(i) => {
                let v = match i.suffix() {
                    "" => self.types.int(),
                    s => match Scalar::from_name(s) {
                        Some(sc) if !matches!(sc, Scalar::Bool) => self.types.known(sc),
                        _ => {
                            self.cx.error(span, format!("literal suffix `{s}` is not supported; use one of f32 f64 i32 u32 i64 u64 usize"));
                            self.types.any()
                        }
                    },
                };
                if self.types.probe(v) == Known::Scalar(Scalar::F64)
                    || self.types.probe(v) == Known::Scalar(Scalar::F32)
                {
                    (LitVal::Float(FloatLit::Text(i.base10_digits().to_string())), v)
                } else {
                    match i.base10_parse::<u128>() {
                        Ok(n) => (LitVal::Int(n), v),
                        Err(e) => {
                            self.cx.push(e);
                            (LitVal::Int(0), v)
                        }
                    }
                }
            }
            syn::Lit::Float(f) => {
                let v = match f.suffix() {
                    "" => self.types.float(),
                    "f32" => self.types.known(Scalar::F32),
                    "f64" => self.types.known(Scalar::F64),
                    s => {
                        self.cx.error(
                            span,
                            format!("literal suffix `{s}` is not supported on a float; use f32 or f64"),
                        );
                        self.types.float()
                    }
                };
                (LitVal::Float(FloatLit::Text(f.base10_digits().to_string())), v)
            }
            syn::Lit::Bool(b) => (LitVal::Bool(b.value), self.types.known(Scalar::Bool)),
            _ => {
                self.cx.error(
                    span,
                    "only number and `true`/`false` literals are supported in a kernel body",
                );
                return self.bad(span);
            }
        };
        Expr {
            kind: ExprKind::Lit(kind),
            ty: Ty::Scalar(v),
            span,
        }
    }

    pub(super) fn path_expr(&mut self, p: &syn::ExprPath) -> Expr {
        let span = p.span();
        if let Some(id) = p.path.get_ident() {
            let name = id.to_string();
            match self.lookup(&name) {
                Some(Binding::Local(l)) => match self.locals[l].ty {
                    LocalTy::Scalar(v) => {
                        return Expr {
                            kind: ExprKind::Local(l),
                            ty: Ty::Scalar(v),
                            span,
                        }
                    }
                    LocalTy::Array(..) => {
                        self.cx.error(
                            span,
                            format!("the array `{name}` cannot be used as a value; index it (`{name}[i]`)"),
                        );
                        return self.bad(span);
                    }
                },
                Some(Binding::Param(i)) => {
                    let p = &self.sig.params[i];
                    return match p.kind {
                        ParamKind::Scalar => Expr {
                            kind: ExprKind::Param(i),
                            ty: Ty::Scalar(self.params[i]),
                            span,
                        },
                        ParamKind::OutScalar => {
                            self.cx.error(
                                span,
                                format!(
                                    "`{name}` is an output `&mut {}`: read or write it as `*{name}`",
                                    p.elem.name()
                                ),
                            );
                            self.bad(span)
                        }
                        _ => {
                            self.cx.error(span, format!("the row `{name}` cannot be used as a value; index it (`{name}[i]`) or take `{name}.len()`"));
                            self.bad(span)
                        }
                    };
                }
                Some(Binding::Struct(k)) => return self.struct_as_scalar(k, &name, span),
                None => {}
            }
            if let Some(c) = self.consts.get(&name).cloned() {
                return self.expr(&c);
            }
            self.cx.error(
                span,
                format!("cannot find `{name}` in this kernel; a kernel body sees only its arguments, its locals, the `const` items declared inside it and scalar constants such as `std::f64::consts::PI` (a `const` of the module is not visible to the macro: declare it inside the body)"),
            );
            return self.bad(span);
        }
        if let Some(e) = self.constant(&p.path, span) {
            return e;
        }
        self.cx.error(
            span,
            "unsupported path: a kernel body can name its arguments, its locals and constants such as `std::f64::consts::PI`, `f64::INFINITY`, `i32::MAX`",
        );
        self.bad(span)
    }

    fn constant(&mut self, path: &syn::Path, span: Span) -> Option<Expr> {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let mut rest: &[String] = &segs;
        if matches!(rest.first().map(String::as_str), Some("std" | "core")) {
            rest = &rest[1..];
        }
        let ty = Scalar::from_name(rest.first()?)?;
        let name = match rest {
            [_, c] => c.as_str(),
            [_, m, c] if m == "consts" => c.as_str(),
            _ => return None,
        };
        let lit = if ty.is_float() {
            let (d, s) = float_const(name)?;
            LitVal::Float(FloatLit::Exact {
                f64_bits: d.to_bits(),
                f32_bits: s.to_bits(),
            })
        } else {
            LitVal::Int(int_const(ty, name)?)
        };
        let v = self.types.known(ty);
        Some(Expr {
            kind: ExprKind::Lit(lit),
            ty: Ty::Scalar(v),
            span,
        })
    }
}

pub(crate) fn float_const(name: &str) -> Option<(f64, f32)> {
    use std::{f32::consts as s, f64::consts as d};
    Some(match name {
        "PI" => (d::PI, s::PI),
        "TAU" => (d::TAU, s::TAU),
        "E" => (d::E, s::E),
        "SQRT_2" => (d::SQRT_2, s::SQRT_2),
        "FRAC_1_SQRT_2" => (d::FRAC_1_SQRT_2, s::FRAC_1_SQRT_2),
        "LN_2" => (d::LN_2, s::LN_2),
        "LN_10" => (d::LN_10, s::LN_10),
        "LOG2_E" => (d::LOG2_E, s::LOG2_E),
        "LOG10_E" => (d::LOG10_E, s::LOG10_E),
        "LOG2_10" => (d::LOG2_10, s::LOG2_10),
        "LOG10_2" => (d::LOG10_2, s::LOG10_2),
        "FRAC_PI_2" => (d::FRAC_PI_2, s::FRAC_PI_2),
        "FRAC_PI_3" => (d::FRAC_PI_3, s::FRAC_PI_3),
        "FRAC_PI_4" => (d::FRAC_PI_4, s::FRAC_PI_4),
        "FRAC_PI_6" => (d::FRAC_PI_6, s::FRAC_PI_6),
        "FRAC_PI_8" => (d::FRAC_PI_8, s::FRAC_PI_8),
        "FRAC_1_PI" => (d::FRAC_1_PI, s::FRAC_1_PI),
        "FRAC_2_PI" => (d::FRAC_2_PI, s::FRAC_2_PI),
        "FRAC_2_SQRT_PI" => (d::FRAC_2_SQRT_PI, s::FRAC_2_SQRT_PI),
        "INFINITY" => (f64::INFINITY, f32::INFINITY),
        "NEG_INFINITY" => (f64::NEG_INFINITY, f32::NEG_INFINITY),
        "NAN" => (f64::NAN, f32::NAN),
        "EPSILON" => (f64::EPSILON, f32::EPSILON),
        "MAX" => (f64::MAX, f32::MAX),
        "MIN" => (f64::MIN, f32::MIN),
        "MIN_POSITIVE" => (f64::MIN_POSITIVE, f32::MIN_POSITIVE),
        _ => return None,
    })
}

pub(crate) fn int_const(ty: Scalar, name: &str) -> Option<u128> {
    let (min, max): (i128, i128) = match ty {
        Scalar::I32 => (i32::MIN.into(), i32::MAX.into()),
        Scalar::U32 => (0, u32::MAX.into()),
        Scalar::I64 => (i64::MIN.into(), i64::MAX.into()),
        Scalar::U64 | Scalar::Usize => (0, u64::MAX.into()),
        _ => return None,
    };
    match name {
        "MAX" => Some(max as u128),
        "MIN" => Some(min as u128),
        _ => None,
    }
}
