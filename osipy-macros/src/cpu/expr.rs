//! Expressions in Rust: operators with the kernel language's semantics, intrinsics through
//! `osipy_kernels::math`, checked indexing, literals by their bits.

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;

use crate::ir::*;
use crate::sig::ParamKind;
use crate::types::Scalar;

use super::*;

impl Emitter<'_> {
    pub(super) fn expr(&self, e: &Expr) -> TokenStream {
        match &e.kind {
            ExprKind::Lit(l) => lit(l, self.expr_scalar(e), e.span),
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
                let x = self.expr(x);
                match op {
                    UnOp::Neg if t.is_int() => quote!((#x).wrapping_neg()),
                    UnOp::Neg => quote!((-(#x))),
                    UnOp::Not => quote!((!(#x))),
                }
            }
            ExprKind::Binary(op, a, b) => {
                let t = self.expr_scalar(a);
                binop(*op, t, self.expr(a), self.expr(b))
            }
            ExprKind::Cast(x, to) => {
                let x = self.expr(x);
                let t = to.tokens();
                quote!(((#x) as #t))
            }
            ExprKind::Index(a, i) => {
                let i = self.expr(i);
                let s = self.slice(*a, false);
                let (fname, aname) = (self.fn_name(), self.array_name(*a));
                quote!(::osipy_kernels::__private::get(
                    #s, #i, &::osipy_kernels::__private::Site { function: #fname, array: #aname },
                )?)
            }
            ExprKind::Len(a) => match a {
                ArrayRef::Param(i) => {
                    let n = pname(*i);
                    quote!(#n.len())
                }
                ArrayRef::Local(l) => match self.f.locals[*l].ty {
                    LocalTy::Array(_, n) => {
                        let n = Literal::usize_suffixed(n);
                        quote!(#n)
                    }
                    LocalTy::Scalar(_) => quote!(0usize),
                },
            },
            ExprKind::Intrinsic(intr, args) => self.intrinsic(*intr, args, e),
            ExprKind::Call(idx, args) => {
                let k = (self.resolve)(&self.f.callees[*idx]);
                let name = fn_ident(k);
                let args = args.iter().map(|a| match a {
                    Arg::Value(x) => self.expr(x),
                    Arg::Row(r, _) => self.slice(*r, false),
                    Arg::RowMut(r, _) => self.slice(*r, true),
                    Arg::ScalarMut(ScalarRef::Param(i), _) => {
                        let n = pname(*i);
                        quote!(&mut *#n)
                    }
                    Arg::ScalarMut(ScalarRef::Local(l), _) => {
                        let n = lname(*l);
                        quote!(&mut #n)
                    }
                });
                quote!(#name(#(#args),*)?)
            }
            ExprKind::If(c, t, e2) => {
                let c = self.expr(c);
                let t = self.block(t);
                match e2 {
                    Some(b) => {
                        let b = self.block(b);
                        quote!((if #c #t else #b))
                    }
                    None => quote!((if #c #t)),
                }
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::Tuple(xs) => {
                let xs = xs.iter().map(|x| self.expr(x));
                quote!((#(#xs,)*))
            }
        }
    }

    fn intrinsic(&self, intr: Intr, args: &[Expr], e: &Expr) -> TokenStream {
        let t = args.first().map(|a| self.expr_scalar(a)).unwrap_or(Scalar::F64);
        let xs: Vec<TokenStream> = args.iter().map(|a| self.expr(a)).collect();
        if let Some(name) = math_name(intr) {
            let key = crate::math_fns::key(name, if t == Scalar::F32 { "f32" } else { "f64" });
            if let Some(k) = self.math.get(&key) {
                let f = fn_ident(*k);
                return quote!(#f(#(#xs),*)?);
            }
        }
        scalar_intrinsic(intr, t, self.expr_scalar(e), &xs)
    }
}

/// The math library name of a transcendental intrinsic.
pub(crate) fn math_name(intr: Intr) -> Option<&'static str> {
    match intr {
        Intr::Exp => Some("exp"),
        Intr::Exp2 => Some("exp2"),
        Intr::Ln => Some("ln"),
        Intr::Log2 => Some("log2"),
        Intr::Log10 => Some("log10"),
        Intr::Powf => Some("powf"),
        Intr::Powi => Some("powi"),
        _ => None,
    }
}

/// Intrinsic `intr` on operands of type `t` (result type `ret`) given as Rust expressions
/// `xs`: the scalar lowering's semantics, also used by the lane lowering lane by lane.
pub(crate) fn scalar_intrinsic(intr: Intr, t: Scalar, ret: Scalar, xs: &[TokenStream]) -> TokenStream {
    let tt = t.tokens();
    let m = if t == Scalar::F32 {
        quote!(f32)
    } else {
        quote!(f64)
    };
    let ops = if t == Scalar::F32 {
        quote!(f32_ops)
    } else {
        quote!(f64_ops)
    };
    let p = quote!(::osipy_kernels::__private);
    match intr {
        Intr::Exp => quote!(#p::math::#m::exp(#(#xs),*)),
        Intr::Exp2 => quote!(#p::math::#m::exp2(#(#xs),*)),
        Intr::Ln => quote!(#p::math::#m::ln(#(#xs),*)),
        Intr::Log2 => quote!(#p::math::#m::log2(#(#xs),*)),
        Intr::Log10 => quote!(#p::math::#m::log10(#(#xs),*)),
        Intr::Powf => quote!(#p::math::#m::powf(#(#xs),*)),
        Intr::Powi => quote!(#p::math::#m::powi(#(#xs),*)),
        Intr::Sqrt => quote!(<#tt>::sqrt(#(#xs),*)),
        Intr::Abs if t.is_int() => quote!(<#tt>::wrapping_abs(#(#xs),*)),
        Intr::Abs => quote!(<#tt>::abs(#(#xs),*)),
        Intr::Min if t.is_int() => quote!(::core::cmp::min(#(#xs),*)),
        Intr::Max if t.is_int() => quote!(::core::cmp::max(#(#xs),*)),
        Intr::Min => quote!(#p::#ops::min(#(#xs),*)),
        Intr::Max => quote!(#p::#ops::max(#(#xs),*)),
        Intr::Floor => quote!(<#tt>::floor(#(#xs),*)),
        Intr::Ceil => quote!(<#tt>::ceil(#(#xs),*)),
        Intr::Trunc => quote!(<#tt>::trunc(#(#xs),*)),
        Intr::Round => quote!(#p::#ops::round(#(#xs),*)),
        Intr::MulAdd => quote!(<#tt>::mul_add(#(#xs),*)),
        Intr::Signum => quote!(#p::#ops::signum(#(#xs),*)),
        Intr::Recip => {
            let x = &xs[0];
            quote!(((1.0 as #tt) / (#x)))
        }
        Intr::IsNan => quote!(<#tt>::is_nan(#(#xs),*)),
        Intr::IsFinite => quote!(<#tt>::is_finite(#(#xs),*)),
        Intr::ToBits => quote!(<#tt>::to_bits(#(#xs),*)),
        Intr::FromBits => {
            let r = ret.tokens();
            quote!(<#r>::from_bits(#(#xs),*))
        }
    }
}

/// A binary operation on operands of type `t` with the kernel language's semantics.
pub(crate) fn binop(op: BinOp, t: Scalar, a: TokenStream, b: TokenStream) -> TokenStream {
    let ki = quote!(::osipy_kernels::__private::KernelInt);
    if t.is_int() {
        return match op {
            BinOp::Add => quote!((#a).wrapping_add(#b)),
            BinOp::Sub => quote!((#a).wrapping_sub(#b)),
            BinOp::Mul => quote!((#a).wrapping_mul(#b)),
            BinOp::Div => quote!(#ki::k_div(#a, #b)),
            BinOp::Rem => quote!(#ki::k_rem(#a, #b)),
            BinOp::Shl => quote!(#ki::k_shl(#a, (#b) as u32)),
            BinOp::Shr => quote!(#ki::k_shr(#a, (#b) as u32)),
            _ => plain(op, a, b),
        };
    }
    plain(op, a, b)
}

fn plain(op: BinOp, a: TokenStream, b: TokenStream) -> TokenStream {
    let o = match op {
        BinOp::Add => quote!(+),
        BinOp::Sub => quote!(-),
        BinOp::Mul => quote!(*),
        BinOp::Div => quote!(/),
        BinOp::Rem => quote!(%),
        BinOp::BitAnd => quote!(&),
        BinOp::BitOr => quote!(|),
        BinOp::BitXor => quote!(^),
        BinOp::Shl => quote!(<<),
        BinOp::Shr => quote!(>>),
        BinOp::Eq => quote!(==),
        BinOp::Ne => quote!(!=),
        BinOp::Lt => quote!(<),
        BinOp::Le => quote!(<=),
        BinOp::Gt => quote!(>),
        BinOp::Ge => quote!(>=),
        BinOp::And => quote!(&&),
        BinOp::Or => quote!(||),
    };
    quote!((#a #o #b))
}

/// A literal of type `t`.
pub(crate) fn lit(l: &LitVal, t: Scalar, span: Span) -> TokenStream {
    let mut tok = match l {
        LitVal::Bool(b) => return if *b { quote!(true) } else { quote!(false) },
        LitVal::Int(n) => match t {
            Scalar::I32 => Literal::i32_suffixed(*n as i32),
            Scalar::U32 => Literal::u32_suffixed(*n as u32),
            Scalar::I64 => Literal::i64_suffixed(*n as i64),
            Scalar::U64 => Literal::u64_suffixed(*n as u64),
            Scalar::Usize => Literal::usize_suffixed(*n as usize),
            Scalar::F64 => return float_tokens((*n as f64).to_bits(), Scalar::F64),
            Scalar::F32 => return float_tokens(u64::from((*n as f32).to_bits()), Scalar::F32),
            Scalar::Bool => return quote!(false),
        },
        LitVal::Float(FloatLit::Text(s)) => {
            let s = s.replace('_', "");
            return match t {
                Scalar::F32 => float_tokens(u64::from(s.parse::<f32>().unwrap_or(f32::NAN).to_bits()), t),
                _ => float_tokens(s.parse::<f64>().unwrap_or(f64::NAN).to_bits(), Scalar::F64),
            };
        }
        LitVal::Float(FloatLit::Exact { f64_bits, f32_bits }) => {
            return match t {
                Scalar::F32 => float_tokens(u64::from(*f32_bits), t),
                _ => float_tokens(*f64_bits, Scalar::F64),
            }
        }
    };
    tok.set_span(span);
    quote!((#tok))
}

/// An exact float value: a literal when finite and round-tripping, else `from_bits`.
fn float_tokens(bits: u64, t: Scalar) -> TokenStream {
    if t == Scalar::F32 {
        let v = f32::from_bits(bits as u32);
        if v.is_finite() {
            let l = Literal::f32_suffixed(v);
            return quote!((#l));
        }
        let b = Literal::u32_suffixed(bits as u32);
        quote!(<f32>::from_bits(#b))
    } else {
        let v = f64::from_bits(bits);
        if v.is_finite() {
            let l = Literal::f64_suffixed(v);
            return quote!((#l));
        }
        let b = Literal::u64_suffixed(bits);
        quote!(<f64>::from_bits(#b))
    }
}
