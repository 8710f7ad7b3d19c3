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
    /// Size in device memory, in bytes (`usize` is 8, `bool` is 1).
    const SIZE: usize;
    /// Appends the little-endian device representation of `src` to `dst`.
    fn write_bytes(src: &[Self], dst: &mut Vec<u8>);
    /// Reads values from their device representation (`bool`: any non-zero byte is true).
    fn read_bytes(src: &[u8]) -> Vec<Self>;
}

macro_rules! element {
    ($($t:ty => $k:ident, $n:literal);*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const KIND: ScalarKind = ScalarKind::$k;
            const SIZE: usize = $n;
            fn write_bytes(src: &[Self], dst: &mut Vec<u8>) {
                dst.reserve(src.len() * $n);
                for v in src {
                    dst.extend_from_slice(&v.to_le_bytes());
                }
            }
            fn read_bytes(src: &[u8]) -> Vec<Self> {
                src.chunks_exact($n)
                    .map(|c| {
                        let mut b = [0u8; $n];
                        b.copy_from_slice(c);
                        <$t>::from_le_bytes(b)
                    })
                    .collect()
            }
        }
    )*};
}

element!(f32 => F32, 4; f64 => F64, 8; i32 => I32, 4; u32 => U32, 4; i64 => I64, 8; u64 => U64, 8);

impl sealed::Sealed for usize {}
impl Element for usize {
    const KIND: ScalarKind = ScalarKind::Usize;
    const SIZE: usize = 8;
    fn write_bytes(src: &[Self], dst: &mut Vec<u8>) {
        for v in src {
            dst.extend_from_slice(&(*v as u64).to_le_bytes());
        }
    }
    fn read_bytes(src: &[u8]) -> Vec<Self> {
        u64::read_bytes(src).into_iter().map(|v| v as usize).collect()
    }
}

impl sealed::Sealed for bool {}
impl Element for bool {
    const KIND: ScalarKind = ScalarKind::Bool;
    const SIZE: usize = 1;
    fn write_bytes(src: &[Self], dst: &mut Vec<u8>) {
        dst.extend(src.iter().map(|b| u8::from(*b)));
    }
    fn read_bytes(src: &[u8]) -> Vec<Self> {
        src.iter().map(|b| *b != 0).collect()
    }
}
