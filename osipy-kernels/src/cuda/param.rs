//! Kernel parameters and launch timings: plain values, the same with or without the `cuda`
//! feature.

use super::CudaBuffer;

/// One kernel parameter, in the entry's declared order and with its declared size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KernelParam {
    /// `.u64` / `.s64` / `.b64` (device pointers, lengths, strides).
    U64(u64),
    /// `.s64`.
    I64(i64),
    /// `.u32` / `.b32`.
    U32(u32),
    /// `.s32`.
    I32(i32),
    /// `.f64`.
    F64(f64),
    /// `.f32`.
    F32(f32),
    /// `.u8` / `.b8`.
    U8(u8),
}

impl KernelParam {
    /// Size in bytes.
    pub fn size(&self) -> usize {
        match self {
            KernelParam::U64(_) | KernelParam::I64(_) | KernelParam::F64(_) => 8,
            KernelParam::U32(_) | KernelParam::I32(_) | KernelParam::F32(_) => 4,
            KernelParam::U8(_) => 1,
        }
    }
}

impl From<&CudaBuffer> for KernelParam {
    /// The buffer's device address.
    fn from(b: &CudaBuffer) -> Self {
        KernelParam::U64(b.device_ptr())
    }
}

/// How long a launch took on the device.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LaunchTiming {
    /// Seconds between the CUDA events recorded before and after the kernel (0 when nothing
    /// was launched).
    pub kernel_seconds: f64,
}
