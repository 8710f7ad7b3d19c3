//! Scalar types and the inference table.
//!
//! Inference follows rustc's rules for the subset: unsuffixed integer literals are integer
//! variables (default `i32`), unsuffixed float literals float variables (default `f64`), and
//! `let` without annotation takes the type of its uses.

use proc_macro2::{Span, TokenStream};
use quote::quote;

/// The scalar types of the kernel language.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Scalar {
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `i32`
    I32,
    /// `u32`
    U32,
    /// `i64`
    I64,
    /// `u64`
    U64,
    /// `usize`
    Usize,
    /// `bool`
    Bool,
}

impl Scalar {
    /// Parses a type name.
    pub fn from_name(s: &str) -> Option<Scalar> {
        Some(match s {
            "f32" => Scalar::F32,
            "f64" => Scalar::F64,
            "i32" => Scalar::I32,
            "u32" => Scalar::U32,
            "i64" => Scalar::I64,
            "u64" => Scalar::U64,
            "usize" => Scalar::Usize,
            "bool" => Scalar::Bool,
            _ => return None,
        })
    }

    /// The Rust type name.
    pub fn name(self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::F64 => "f64",
            Scalar::I32 => "i32",
            Scalar::U32 => "u32",
            Scalar::I64 => "i64",
            Scalar::U64 => "u64",
            Scalar::Usize => "usize",
            Scalar::Bool => "bool",
        }
    }

    /// The Rust type as tokens.
    pub fn tokens(self) -> TokenStream {
        match self {
            Scalar::F32 => quote!(f32),
            Scalar::F64 => quote!(f64),
            Scalar::I32 => quote!(i32),
            Scalar::U32 => quote!(u32),
            Scalar::I64 => quote!(i64),
            Scalar::U64 => quote!(u64),
            Scalar::Usize => quote!(usize),
            Scalar::Bool => quote!(bool),
        }
    }

    /// `f32` or `f64`.
    pub fn is_float(self) -> bool {
        matches!(self, Scalar::F32 | Scalar::F64)
    }

    /// An integer type.
    pub fn is_int(self) -> bool {
        matches!(
            self,
            Scalar::I32 | Scalar::U32 | Scalar::I64 | Scalar::U64 | Scalar::Usize
        )
    }

    /// A signed integer type.
    pub fn is_signed_int(self) -> bool {
        matches!(self, Scalar::I32 | Scalar::I64)
    }
}

/// A type variable: an index into [`Types`].
pub type TyVar = usize;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Known(Scalar),
    Int,
    Float,
    Any,
    Link(TyVar),
}

/// The inference table of one function.
#[derive(Default, Clone)]
pub struct Types {
    slots: Vec<Slot>,
}

/// What a variable is known to be, for messages and checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Known {
    /// A concrete scalar.
    Scalar(Scalar),
    /// Some integer type.
    Int,
    /// Some float type.
    Float,
    /// Not yet constrained.
    Any,
}

impl Known {
    /// Description for messages.
    pub fn describe(self) -> String {
        match self {
            Known::Scalar(s) => format!("`{}`", s.name()),
            Known::Int => "an integer".into(),
            Known::Float => "a float".into(),
            Known::Any => "an unknown type".into(),
        }
    }
}

impl Types {
    /// A variable of a known type.
    pub fn known(&mut self, s: Scalar) -> TyVar {
        self.push(Slot::Known(s))
    }

    /// An integer-literal variable.
    pub fn int(&mut self) -> TyVar {
        self.push(Slot::Int)
    }

    /// A float-literal variable.
    pub fn float(&mut self) -> TyVar {
        self.push(Slot::Float)
    }

    /// An unconstrained variable.
    pub fn any(&mut self) -> TyVar {
        self.push(Slot::Any)
    }

    fn push(&mut self, s: Slot) -> TyVar {
        self.slots.push(s);
        self.slots.len() - 1
    }

    fn root(&self, mut v: TyVar) -> TyVar {
        while let Slot::Link(n) = self.slots[v] {
            v = n;
        }
        v
    }

    /// What is known about `v` now.
    pub fn probe(&self, v: TyVar) -> Known {
        match self.slots[self.root(v)] {
            Slot::Known(s) => Known::Scalar(s),
            Slot::Int => Known::Int,
            Slot::Float => Known::Float,
            Slot::Any | Slot::Link(_) => Known::Any,
        }
    }

    /// Makes `a` and `b` the same type; on conflict returns both descriptions.
    pub fn unify(&mut self, a: TyVar, b: TyVar) -> Result<(), (Known, Known)> {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return Ok(());
        }
        let (sa, sb) = (self.slots[ra], self.slots[rb]);
        let merged = match (sa, sb) {
            (Slot::Any, other) | (other, Slot::Any) => other,
            (Slot::Known(x), Slot::Known(y)) if x == y => sa,
            (Slot::Known(x), Slot::Int) | (Slot::Int, Slot::Known(x)) if x.is_int() => Slot::Known(x),
            (Slot::Known(x), Slot::Float) | (Slot::Float, Slot::Known(x)) if x.is_float() => Slot::Known(x),
            (Slot::Int, Slot::Int) => Slot::Int,
            (Slot::Float, Slot::Float) => Slot::Float,
            _ => return Err((self.probe(a), self.probe(b))),
        };
        self.slots[ra] = merged;
        self.slots[rb] = Slot::Link(ra);
        Ok(())
    }

    /// Constrains `v` to `s`.
    pub fn require(&mut self, v: TyVar, s: Scalar) -> Result<(), (Known, Known)> {
        let k = self.known(s);
        self.unify(v, k)
    }

    /// Applies rustc's defaults (`i32`, `f64`); unconstrained variables become `f64`.
    pub fn apply_defaults(&mut self) {
        for i in 0..self.slots.len() {
            let r = self.root(i);
            self.slots[r] = match self.slots[r] {
                Slot::Int => Slot::Known(Scalar::I32),
                Slot::Float | Slot::Any => Slot::Known(Scalar::F64),
                s => s,
            };
        }
    }

    /// The final type of `v` (after [`Types::apply_defaults`]).
    pub fn get(&self, v: TyVar) -> Scalar {
        match self.slots[self.root(v)] {
            Slot::Known(s) => s,
            _ => Scalar::F64,
        }
    }
}

/// A type error message.
pub fn mismatch(span: Span, what: &str, (a, b): (Known, Known)) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "mismatched types in {what}: {} and {}",
            a.describe(),
            b.describe()
        ),
    )
}
