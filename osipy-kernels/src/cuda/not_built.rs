//! The CUDA API of a build without the `cuda` feature: the same types and functions, with no
//! driver behind them. Nothing can reach a CUDA device: [`device_count`] is 0, and every
//! constructor and [`launch`] answer [`Error::CudaNotCompiled`], whose one-line message says to
//! build with `--features cuda`. A [`CudaBuffer`] cannot exist, so its accessors are never
//! called.

use std::convert::Infallible;

use super::{KernelParam, LaunchTiming};
use crate::{Device, Element, Error, Result};

/// `Error::CudaNotCompiled` for `what` on `cuda:ordinal`.
fn not_compiled(what: &str, ordinal: usize) -> Error {
    Error::CudaNotCompiled {
        what: what.to_string(),
        device: Device::Cuda(ordinal),
    }
}

/// The number of CUDA devices: always 0 in this build.
pub fn device_count() -> usize {
    0
}

/// Whether at least one CUDA device can be used: always `false` in this build.
pub fn is_gpu_available() -> bool {
    false
}

/// Checks that device `ordinal` exists: always `CudaNotCompiled` in this build.
pub fn check_device(ordinal: usize) -> Result<()> {
    Err(not_compiled("moving an array", ordinal))
}

/// Device memory on a CUDA device. This build has none: every constructor fails with
/// `CudaNotCompiled`, so no value of this type exists.
#[derive(Debug)]
pub struct CudaBuffer {
    never: Infallible,
}

impl CudaBuffer {
    /// Allocates `bytes` zeroed bytes on device `ordinal`: `CudaNotCompiled` in this build.
    pub fn alloc_zeroed(ordinal: usize, bytes: usize) -> Result<Self> {
        let _ = bytes;
        Err(not_compiled("allocating CUDA memory", ordinal))
    }

    /// Copies `src` to a new buffer on device `ordinal`: `CudaNotCompiled` in this build.
    pub fn upload(ordinal: usize, src: &[u8]) -> Result<Self> {
        let _ = src;
        Err(not_compiled("copying to CUDA memory", ordinal))
    }

    /// Copies elements to a new buffer on device `ordinal`: `CudaNotCompiled` in this build.
    pub fn upload_elems<T: Element>(ordinal: usize, src: &[T]) -> Result<Self> {
        let _ = src;
        Err(not_compiled("copying to CUDA memory", ordinal))
    }

    /// Overwrites the buffer with `src`.
    pub fn write(&mut self, src: &[u8]) -> Result<()> {
        let _ = src;
        match self.never {}
    }

    /// Overwrites the buffer with elements.
    pub fn write_elems<T: Element>(&mut self, src: &[T]) -> Result<()> {
        let _ = src;
        match self.never {}
    }

    /// Copies the buffer into `dst`.
    pub fn download(&self, dst: &mut [u8]) -> Result<()> {
        let _ = dst;
        match self.never {}
    }

    /// A host copy of the bytes.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        match self.never {}
    }

    /// Copies the buffer's elements into `dst`.
    pub fn download_elems<T: Element>(&self, dst: &mut [T]) -> Result<()> {
        let _ = dst;
        match self.never {}
    }

    /// A host copy of the elements.
    pub fn to_elems<T: Element>(&self) -> Result<Vec<T>> {
        match self.never {}
    }

    /// A new buffer on the same device with the same contents.
    pub fn try_clone(&self) -> Result<Self> {
        match self.never {}
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        match self.never {}
    }

    /// Whether the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        match self.never {}
    }

    /// The device address.
    pub fn device_ptr(&self) -> u64 {
        match self.never {}
    }

    /// The device ordinal.
    pub fn ordinal(&self) -> usize {
        match self.never {}
    }

    /// The device, `Device::Cuda(ordinal)`.
    pub fn device(&self) -> Device {
        match self.never {}
    }
}

/// Runs `entry` of `ptx` on device `ordinal`: `CudaNotCompiled` in this build.
pub fn launch(
    ordinal: usize,
    ptx: &'static str,
    entry: &str,
    n_items: u64,
    params: &[KernelParam],
) -> Result<LaunchTiming> {
    let _ = (ptx, n_items, params);
    Err(not_compiled(&format!("kernel `{entry}`"), ordinal))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CudaNotCompiled` for `cuda:ordinal`, with a one-line message naming the feature.
    fn is_not_compiled(e: &Error, ordinal: usize) -> bool {
        let text = e.to_string();
        matches!(e, Error::CudaNotCompiled { device: Device::Cuda(n), .. } if *n == ordinal)
            && text.contains("--features cuda")
            && text.lines().count() == 1
    }

    #[test]
    fn without_the_feature_no_cuda_device_exists() {
        assert_eq!(device_count(), 0);
        assert!(!is_gpu_available());
        assert!(!crate::is_gpu_available());
    }

    #[test]
    fn without_the_feature_every_cuda_entry_point_answers_cuda_not_compiled() {
        assert!(is_not_compiled(&check_device(0).unwrap_err(), 0));
        assert!(is_not_compiled(
            &Device::Cuda(3).check_available().unwrap_err(),
            3
        ));
        assert!(is_not_compiled(&CudaBuffer::alloc_zeroed(1, 8).unwrap_err(), 1));
        assert!(is_not_compiled(&CudaBuffer::upload(0, &[1, 2]).unwrap_err(), 0));
        assert!(is_not_compiled(
            &CudaBuffer::upload_elems(2, &[1.0f64]).unwrap_err(),
            2
        ));
        let e = launch(0, "", "k", 1, &[KernelParam::U64(1)]).unwrap_err();
        assert!(is_not_compiled(&e, 0), "{e}");
        let host = crate::XpArray::from(ndarray::array![1.0, 2.0]);
        assert!(is_not_compiled(&host.to_device(&Device::Cuda(0)).unwrap_err(), 0));
    }
}
