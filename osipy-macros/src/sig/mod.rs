//! The signature model: which parameters are per item, uniform, rows or outputs.

mod attrs;
mod parse;

use proc_macro2::Span;
use syn::{Ident, Visibility};

use std::rc::Rc;

use crate::structs::Layout;
use crate::types::Scalar;

pub use parse::{parse_sig, scalar_type};

const SUPPORTED_TYPES: &str = "a kernel argument is a scalar (f32 f64 i32 u32 i64 u64 usize bool), \
     a row `&[T]`, an output row `&mut [T]`, an output value `&mut T`, or a struct marked \
     `#[xp_struct]` (`s: S` or `s: &mut S`)";

/// How a parameter is passed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParamKind {
    /// `x: T`
    Scalar,
    /// `x: &[T]`
    Row,
    /// `x: &mut [T]`
    OutRow,
    /// `x: &mut T`
    OutScalar,
}

/// One parameter.
#[derive(Clone)]
pub struct Param {
    /// Name.
    pub name: Ident,
    /// How it is passed.
    pub kind: ParamKind,
    /// Element or value type.
    pub elem: Scalar,
    /// `#[uniform]`: the same for every item.
    pub uniform: bool,
    /// Span of the whole parameter.
    pub span: Span,
    /// `#[param]`: a fitted parameter of a fit model, with its defaults.
    pub fit: Option<FitSpec>,
}

/// What `#[param(..)]` says about a fitted parameter.
#[derive(Clone, Debug)]
pub struct FitSpec {
    /// Default initial value.
    pub init: f64,
    /// Default lower bound.
    pub lower: f64,
    /// Default upper bound.
    pub upper: f64,
    /// `log`: the fit steps the parameter on a log scale.
    pub log: bool,
    /// Span of the attribute.
    pub span: Span,
}

impl Param {
    /// Whether the parameter is written by the kernel.
    pub fn is_output(&self) -> bool {
        matches!(self.kind, ParamKind::OutRow | ParamKind::OutScalar)
    }
}

/// A parameter of a struct type (`s: S` or `s: &mut S`), flattened into one scalar parameter
/// per field (`Scalar` or `OutScalar`, named `s_field`) at `first..first + n`.
#[derive(Clone)]
pub struct StructArg {
    /// Name as written.
    pub name: Ident,
    /// Position among the arguments as written.
    pub pos: usize,
    /// Index of its first scalar parameter.
    pub first: usize,
    /// `&mut S`.
    pub mutable: bool,
    /// The struct's layout (`None` while checking a body before layouts are fetched).
    pub layout: Option<Rc<Layout>>,
    /// Span of the whole parameter.
    pub span: Span,
}

impl StructArg {
    /// Number of scalar parameters it stands for.
    pub fn len(&self) -> usize {
        self.layout.as_ref().map_or(0, |l| l.fields.len())
    }
}

/// A checked kernel signature.
#[derive(Clone)]
pub struct Sig {
    /// Function name.
    pub name: Ident,
    /// Visibility of the function.
    pub vis: Visibility,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// Return values (none, one, or a tuple).
    pub ret: Vec<Scalar>,
    /// Whether the return type is written as a tuple.
    pub ret_tuple: bool,
    /// Parameters of struct types, in order (their fields are in `params`).
    pub structs: Vec<StructArg>,
    /// A struct return type (its fields are `ret`, as a tuple): `Some(None)` while checking a
    /// body before layouts are fetched.
    pub ret_struct: Option<Option<Rc<Layout>>>,
}

impl Sig {
    /// Number of arguments as written (a struct counts once).
    pub fn arity(&self) -> usize {
        self.params.len() + self.structs.len() - self.structs.iter().map(StructArg::len).sum::<usize>()
    }

    /// The struct argument whose fields include parameter `i`.
    pub fn struct_of_param(&self, i: usize) -> Option<&StructArg> {
        self.structs
            .iter()
            .find(|s| (s.first..s.first + s.len()).contains(&i))
    }
}
