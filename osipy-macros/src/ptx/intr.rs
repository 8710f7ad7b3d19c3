//! PTX for intrinsics, with exactly the CPU backend's semantics.

use crate::ir::*;
use crate::ptx::expr::sign_mask;
use crate::ptx::ops::{bits_ty, ptx_ty, Rc};
use crate::types::Scalar;

impl crate::ptx::Fx<'_> {
    pub(crate) fn intrinsic(&mut self, intr: Intr, args: &[Expr], e: &Expr) -> String {
        let s = args.first().map(|a| self.expr_ty(a)).unwrap_or(Scalar::F64);
        let xs: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
        let a = xs[0].clone();
        let t = ptx_ty(s);
        match intr {
            Intr::Exp => self.math_call("exp", s, &xs),
            Intr::Exp2 => self.math_call("exp2", s, &xs),
            Intr::Ln => self.math_call("ln", s, &xs),
            Intr::Log2 => self.math_call("log2", s, &xs),
            Intr::Log10 => self.math_call("log10", s, &xs),
            Intr::Powf => self.math_call("powf", s, &xs),
            Intr::Powi => self.math_call("powi", s, &xs),
            Intr::Sqrt => self.un(&format!("sqrt.rn.{t}"), s, &a),
            Intr::Abs if s.is_int() => {
                // Wrapping absolute value: (a ^ m) - m with m = a >> (width - 1).
                let (m, x, r) = (self.sreg(s), self.sreg(s), self.sreg(s));
                let w = Rc::size(s) * 8 - 1;
                self.ins(format!("shr.{t} {m}, {a}, {w}"));
                self.ins(format!("xor.{} {x}, {a}, {m}", bits_ty(s)));
                self.ins(format!("sub.{t} {r}, {x}, {m}"));
                r
            }
            Intr::Abs => {
                let r = self.sreg(s);
                self.bit_op_float(&r, &a, s, "and", !sign_mask(s));
                r
            }
            Intr::Min | Intr::Max if s.is_int() => {
                let r = self.sreg(s);
                let o = if intr == Intr::Min { "min" } else { "max" };
                self.ins(format!("{o}.{t} {r}, {a}, {}", xs[1]));
                r
            }
            Intr::Min | Intr::Max => self.float_min_max(intr == Intr::Min, s, &a, &xs[1]),
            Intr::Floor => self.un(&format!("cvt.rmi.{t}.{t}"), s, &a),
            Intr::Ceil => self.un(&format!("cvt.rpi.{t}.{t}"), s, &a),
            Intr::Trunc => self.un(&format!("cvt.rzi.{t}.{t}"), s, &a),
            Intr::Round => self.round(s, &a),
            Intr::MulAdd => {
                let r = self.sreg(s);
                self.ins(format!("fma.rn.{t} {r}, {a}, {}, {}", xs[1], xs[2]));
                r
            }
            Intr::Signum => {
                let r = self.sreg(s);
                self.bit_op_float(&r, &a, s, "and", sign_mask(s));
                let one_bits = if s == Scalar::F64 {
                    1f64.to_bits()
                } else {
                    u64::from(1f32.to_bits())
                };
                let r2 = self.sreg(s);
                self.bit_op_float(&r2, &r, s, "or", one_bits);
                let (p, out) = (self.reg(Rc::Pred), self.sreg(s));
                self.ins(format!("setp.nan.{t} {p}, {a}, {a}"));
                self.ins(format!("selp.{t} {out}, {a}, {r2}, {p}"));
                out
            }
            Intr::Recip => {
                let one = if s == Scalar::F64 {
                    1f64.to_bits()
                } else {
                    u64::from(1f32.to_bits())
                };
                let o = self.konst(s, one);
                let r = self.sreg(s);
                self.ins(format!("div.rn.{t} {r}, {o}, {a}"));
                r
            }
            Intr::IsNan => {
                let p = self.reg(Rc::Pred);
                self.ins(format!("setp.nan.{t} {p}, {a}, {a}"));
                p
            }
            Intr::IsFinite => {
                let p = self.reg(Rc::Pred);
                self.ins(format!("testp.finite.{t} {p}, {a}"));
                p
            }
            Intr::ToBits => {
                let to = if s == Scalar::F32 {
                    Scalar::U32
                } else {
                    Scalar::U64
                };
                let r = self.sreg(to);
                self.ins(format!("mov.{} {r}, {a}", bits_ty(to)));
                r
            }
            Intr::FromBits => {
                let to = self.expr_ty(e);
                let r = self.sreg(to);
                self.ins(format!("mov.{} {r}, {a}", bits_ty(to)));
                r
            }
        }
    }

    fn un(&mut self, op: &str, s: Scalar, a: &str) -> String {
        let r = self.sreg(s);
        self.ins(format!("{op} {r}, {a}"));
        r
    }

    /// min/max ignoring NaN with -0 < +0, in the CPU's order of precedence.
    fn float_min_max(&mut self, min: bool, s: Scalar, a: &str, b: &str) -> String {
        let t = ptx_ty(s);
        let (c, bt) = if s == Scalar::F64 {
            (Rc::B64, "b64")
        } else {
            (Rc::B32, "b32")
        };
        let (ia, ib) = (self.reg(c), self.reg(c));
        self.ins(format!("mov.{bt} {ia}, {a}"));
        self.ins(format!("mov.{bt} {ib}, {b}"));
        let op = if min { "or" } else { "and" };
        self.ins(format!("{op}.{bt} {ia}, {ia}, {ib}"));
        let r = self.sreg(s);
        self.ins(format!("mov.{bt} {r}, {ia}"));
        let p = self.reg(Rc::Pred);
        self.ins(format!("setp.nan.{t} {p}, {b}, {b}"));
        self.ins(format!("selp.{t} {r}, {a}, {r}, {p}"));
        self.ins(format!("setp.nan.{t} {p}, {a}, {a}"));
        self.ins(format!("selp.{t} {r}, {b}, {r}, {p}"));
        let (first, second) = if min { ("lt", "lt") } else { ("gt", "gt") };
        self.ins(format!("setp.{second}.{t} {p}, {b}, {a}"));
        self.ins(format!("selp.{t} {r}, {b}, {r}, {p}"));
        self.ins(format!("setp.{first}.{t} {p}, {a}, {b}"));
        self.ins(format!("selp.{t} {r}, {a}, {r}, {p}"));
        r
    }

    /// Round half away from zero: trunc, then step away when the remainder is >= 0.5.
    fn round(&mut self, s: Scalar, a: &str) -> String {
        let t = ptx_ty(s);
        let tr = self.sreg(s);
        self.ins(format!("cvt.rzi.{t}.{t} {tr}, {a}"));
        let d = self.sreg(s);
        self.ins(format!("sub.rn.{t} {d}, {a}, {tr}"));
        let ad = self.sreg(s);
        self.bit_op_float(&ad, &d, s, "and", !sign_mask(s));
        let half = if s == Scalar::F64 {
            0.5f64.to_bits()
        } else {
            u64::from(0.5f32.to_bits())
        };
        let h = self.konst(s, half);
        let p = self.reg(Rc::Pred);
        self.ins(format!("setp.ge.{t} {p}, {ad}, {h}"));
        let sg = self.sreg(s);
        self.bit_op_float(&sg, a, s, "and", sign_mask(s));
        let one_bits = if s == Scalar::F64 {
            1f64.to_bits()
        } else {
            u64::from(1f32.to_bits())
        };
        let one = self.sreg(s);
        self.bit_op_float(&one, &sg, s, "or", one_bits);
        let u = self.sreg(s);
        self.ins(format!("add.rn.{t} {u}, {tr}, {one}"));
        let r = self.sreg(s);
        self.ins(format!("selp.{t} {r}, {u}, {tr}, {p}"));
        r
    }

    /// Calls the math library's `name` for type `s`: the bundle's math kernel when it was
    /// fetched, else records it as missing (the module is then refused on devices).
    pub(crate) fn math_call(&mut self, name: &str, s: Scalar, args: &[String]) -> String {
        let key = crate::math_fns::key(name, if s == Scalar::F32 { "f32" } else { "f64" });
        let Some(k) = self.math_map.get(&key).copied() else {
            self.need_math(&key);
            return self.konst(s, 0);
        };
        let callee = &self.funcs[k];
        let ptys: Vec<&'static str> = callee
            .sig
            .params
            .iter()
            .map(|p| crate::ptx::param_ty(p.elem))
            .collect();
        let nslots = crate::ptx::n_slots(callee);
        let r = self.sreg(s);
        let mut block = String::from("{\n");
        block.push_str(&format!(
            "\t.param .align 8 .b8 mret[{}];\n",
            crate::ptx::slot(nslots)
        ));
        let mut names = Vec::new();
        for (j, (a, t)) in args.iter().zip(&ptys).enumerate() {
            block.push_str(&format!(
                "\t.param .{t} marg{j};\n\tst.param.{t} [marg{j}], {a};\n"
            ));
            names.push(format!("marg{j}"));
        }
        block.push_str(&format!(
            "\tcall.uni (mret), {}, ({});\n",
            crate::ptx::fn_name(callee, k),
            names.join(", ")
        ));
        self.called.push(k);
        block.push_str(&format!(
            "\tld.param.{} {r}, [mret+{}];\n\t}}\n",
            crate::ptx::param_ty(s),
            crate::ptx::slot(0)
        ));
        self.code.push('\t');
        self.code.push_str(&block);
        r
    }
}
