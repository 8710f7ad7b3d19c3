//! The scalar types a kernel can take, return and store.

/// The scalar kinds of the kernel language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarKind {
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
    /// `usize` (64-bit on every backend)
    Usize,
    /// `bool` (one byte)
    Bool,
}

mod sealed {
    pub trait Sealed {}
}

/// A scalar type usable as a kernel argument or array element.
///
/// Implemented for `f32 f64 i32 u32 i64 u64 usize bool` only.
pub trait Element:
    Copy + Send + Sync + Default + PartialEq + std::fmt::Debug + 'static + sealed::Sealed
{
    /// Which scalar this is.
    const KIND: ScalarKind;
}

macro_rules! element {
    ($($t:ty => $k:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const KIND: ScalarKind = ScalarKind::$k;
        }
    )*};
}

element!(f32 => F32, f64 => F64, i32 => I32, u32 => U32, i64 => I64, u64 => U64, usize => Usize, bool => Bool);
