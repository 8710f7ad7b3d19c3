//! The stored data types and their conversion to `f64`.

use super::ByteOrder;

/// The data types [`read`](super::read) converts, with their NIfTI codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    /// `DT_UINT8` (2).
    U8,
    /// `DT_INT8` (256).
    I8,
    /// `DT_INT16` (4).
    I16,
    /// `DT_UINT16` (512).
    U16,
    /// `DT_INT32` (8).
    I32,
    /// `DT_UINT32` (768).
    U32,
    /// `DT_INT64` (1024).
    I64,
    /// `DT_UINT64` (1280).
    U64,
    /// `DT_FLOAT32` (16).
    F32,
    /// `DT_FLOAT64` (64).
    F64,
}

impl Datatype {
    /// The type for a NIfTI `datatype` code, `None` when unsupported.
    pub fn from_code(code: i16) -> Option<Self> {
        Some(match code {
            2 => Self::U8,
            256 => Self::I8,
            4 => Self::I16,
            512 => Self::U16,
            8 => Self::I32,
            768 => Self::U32,
            1024 => Self::I64,
            1280 => Self::U64,
            16 => Self::F32,
            64 => Self::F64,
            _ => return None,
        })
    }

    /// The NIfTI `datatype` code.
    pub fn code(self) -> i16 {
        match self {
            Self::U8 => 2,
            Self::I8 => 256,
            Self::I16 => 4,
            Self::U16 => 512,
            Self::I32 => 8,
            Self::U32 => 768,
            Self::I64 => 1024,
            Self::U64 => 1280,
            Self::F32 => 16,
            Self::F64 => 64,
        }
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::I64 | Self::U64 | Self::F64 => 8,
        }
    }
}

/// The NIfTI name of a `datatype` code (`"unknown"` for codes the spec does not define).
pub fn datatype_name(code: i16) -> &'static str {
    match code {
        0 => "unknown",
        1 => "binary",
        2 => "uint8",
        4 => "int16",
        8 => "int32",
        16 => "float32",
        32 => "complex64",
        64 => "float64",
        128 => "rgb24",
        256 => "int8",
        512 => "uint16",
        768 => "uint32",
        1024 => "int64",
        1280 => "uint64",
        1536 => "float128",
        1792 => "complex128",
        2048 => "complex256",
        2304 => "rgba32",
        _ => "not a NIfTI datatype",
    }
}

/// Converts `n` stored values (in file order) to `f64`; `body` holds exactly `n` values.
pub(super) fn decode(body: &[u8], dt: Datatype, order: ByteOrder, n: usize) -> Vec<f64> {
    macro_rules! conv {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let mut out = Vec::with_capacity(n);
            for c in body.chunks_exact(N) {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                let v = match order {
                    ByteOrder::Little => <$t>::from_le_bytes(a),
                    ByteOrder::Big => <$t>::from_be_bytes(a),
                };
                out.push(v as f64);
            }
            out
        }};
    }
    match dt {
        Datatype::U8 => conv!(u8),
        Datatype::I8 => conv!(i8),
        Datatype::I16 => conv!(i16),
        Datatype::U16 => conv!(u16),
        Datatype::I32 => conv!(i32),
        Datatype::U32 => conv!(u32),
        Datatype::I64 => conv!(i64),
        Datatype::U64 => conv!(u64),
        Datatype::F32 => conv!(f32),
        Datatype::F64 => conv!(f64),
    }
}
