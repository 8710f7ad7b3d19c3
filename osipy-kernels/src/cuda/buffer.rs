//! `CudaBuffer`: device memory, and byte views of host element slices.

use std::borrow::Cow;
use std::fmt;
use std::mem::{size_of, size_of_val};

use cust::sys as cu;

use super::driver::{check, context, unavailable, Ctx};
use crate::{Device, Element, Error, Result, ScalarKind};

/// Device memory of a fixed number of bytes on one CUDA device, freed on drop.
///
/// A zero-sized buffer allocates nothing (its [`CudaBuffer::device_ptr`] is 0), but creating
/// one still checks that the device exists. Copies are synchronous: when a call returns, the
/// data has arrived.
pub struct CudaBuffer {
    ptr: cu::CUdeviceptr,
    bytes: usize,
    ctx: Ctx,
}

impl fmt::Debug for CudaBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CudaBuffer")
            .field("device", &self.device())
            .field("ptr", &format_args!("{:#x}", self.ptr))
            .field("bytes", &self.bytes)
            .finish()
    }
}

/// Whether `T`'s host bytes are its device representation (little-endian, `usize` as 8 bytes).
const fn host_layout_is_device_layout<T: Element>() -> bool {
    cfg!(target_endian = "little") && size_of::<T>() == T::SIZE
}

/// The device representation of `src`: borrowed when the host layout is the same.
fn elem_bytes<T: Element>(src: &[T]) -> Cow<'_, [u8]> {
    if host_layout_is_device_layout::<T>() {
        // SAFETY: `Element` is sealed to f32 f64 i32 u32 i64 u64 usize bool: plain scalars
        // without padding, so every byte of `src` is initialised. The view covers exactly the
        // `size_of_val(src)` bytes of the slice, `u8` needs no alignment, and the borrow keeps
        // `src` alive and unmodified for the view's lifetime. With little-endian byte order
        // and `size_of::<T>() == T::SIZE` these bytes are the device representation.
        Cow::Borrowed(unsafe { std::slice::from_raw_parts(src.as_ptr().cast::<u8>(), size_of_val(src)) })
    } else {
        let mut v = Vec::with_capacity(src.len() * T::SIZE);
        T::write_bytes(src, &mut v);
        Cow::Owned(v)
    }
}

/// A writable byte view of `dst` when any device bytes are valid values of `T` in place.
fn elem_bytes_mut<T: Element>(dst: &mut [T]) -> Option<&mut [u8]> {
    if host_layout_is_device_layout::<T>() && !matches!(T::KIND, ScalarKind::Bool) {
        // SAFETY: as in `elem_bytes`; in addition every bit pattern is a valid value of the
        // numeric `Element` types (`bool`, which has invalid bytes, is excluded above), so any
        // bytes written through the view leave valid values. The exclusive borrow of `dst`
        // guarantees the view is the only access while it lives.
        Some(unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<u8>(), size_of_val(dst)) })
    } else {
        None
    }
}

impl CudaBuffer {
    /// Allocates `bytes` bytes on device `ordinal`, contents undefined.
    fn alloc(ordinal: usize, bytes: usize) -> Result<Self> {
        let ctx = context(ordinal)?;
        let mut ptr: cu::CUdeviceptr = 0;
        if bytes > 0 {
            // SAFETY: `ptr` is a live local the driver writes the allocation's address into.
            check(unsafe { cu::cuMemAlloc_v2(&mut ptr, bytes) })
                .map_err(|e| unavailable(ordinal, format!("allocating {bytes} bytes failed: {e}")))?;
        }
        Ok(CudaBuffer { ptr, bytes, ctx })
    }

    /// Allocates `bytes` zeroed bytes on device `ordinal`.
    pub fn alloc_zeroed(ordinal: usize, bytes: usize) -> Result<Self> {
        let b = Self::alloc(ordinal, bytes)?;
        if bytes > 0 {
            // SAFETY: `b.ptr` is a live allocation of exactly `bytes` bytes in the current context.
            check(unsafe { cu::cuMemsetD8_v2(b.ptr, 0, bytes) })
                .map_err(|e| unavailable(ordinal, format!("zeroing {bytes} bytes failed: {e}")))?;
        }
        Ok(b)
    }

    /// Copies `src` into new device memory on device `ordinal`.
    pub fn upload(ordinal: usize, src: &[u8]) -> Result<Self> {
        let mut b = Self::alloc(ordinal, src.len())?;
        b.write(src)?;
        Ok(b)
    }

    /// Copies elements into new device memory, in their device representation
    /// (little-endian, `usize` as 8 bytes, `bool` as one byte 0 or 1).
    pub fn upload_elems<T: Element>(ordinal: usize, src: &[T]) -> Result<Self> {
        Self::upload(ordinal, &elem_bytes(src))
    }

    /// Overwrites the whole buffer with `src`, which must have the buffer's length.
    pub fn write(&mut self, src: &[u8]) -> Result<()> {
        self.check_len("CudaBuffer::write", src.len())?;
        if self.bytes == 0 {
            return Ok(());
        }
        self.ctx.make_current()?;
        // SAFETY: the destination is this buffer's live allocation of `self.bytes` bytes and
        // the source is a host slice of the same length, borrowed for the (synchronous) copy.
        check(unsafe { cu::cuMemcpyHtoD_v2(self.ptr, src.as_ptr().cast(), self.bytes) }).map_err(|e| {
            unavailable(
                self.ctx.ordinal,
                format!("copying {} bytes to the device failed: {e}", self.bytes),
            )
        })
    }

    /// Overwrites the whole buffer with elements (see [`CudaBuffer::upload_elems`]).
    pub fn write_elems<T: Element>(&mut self, src: &[T]) -> Result<()> {
        self.write(&elem_bytes(src))
    }

    /// Copies the whole buffer into `dst`, which must have the buffer's length.
    pub fn download(&self, dst: &mut [u8]) -> Result<()> {
        self.check_len("CudaBuffer::download", dst.len())?;
        if self.bytes == 0 {
            return Ok(());
        }
        self.ctx.make_current()?;
        // SAFETY: the source is this buffer's live allocation of `self.bytes` bytes; the
        // destination is an exclusively borrowed host slice of the same length, and the copy
        // has finished when the call returns.
        check(unsafe { cu::cuMemcpyDtoH_v2(dst.as_mut_ptr().cast(), self.ptr, self.bytes) }).map_err(|e| {
            unavailable(
                self.ctx.ordinal,
                format!("copying {} bytes from the device failed: {e}", self.bytes),
            )
        })
    }

    /// The buffer's bytes, copied to the host.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let mut v = vec![0u8; self.bytes];
        self.download(&mut v)?;
        Ok(v)
    }

    /// Copies the buffer into `dst`, read as elements; the buffer must hold exactly
    /// `dst.len()` of them. A `bool` is true for any non-zero byte.
    pub fn download_elems<T: Element>(&self, dst: &mut [T]) -> Result<()> {
        let need = dst.len().checked_mul(T::SIZE);
        if need != Some(self.bytes) {
            return Err(Error::DataLength {
                context: "CudaBuffer::download_elems",
                shape: vec![dst.len()],
                expected: self.bytes / T::SIZE,
                found: dst.len(),
            });
        }
        if let Some(view) = elem_bytes_mut(dst) {
            return self.download(view);
        }
        let bytes = self.to_vec()?;
        for (d, v) in dst.iter_mut().zip(T::read_bytes(&bytes)) {
            *d = v;
        }
        Ok(())
    }

    /// The buffer read as elements; its length must be a multiple of the element size.
    pub fn to_elems<T: Element>(&self) -> Result<Vec<T>> {
        if !self.bytes.is_multiple_of(T::SIZE) {
            return Err(Error::DataLength {
                context: "CudaBuffer::to_elems",
                shape: vec![self.bytes / T::SIZE],
                expected: self.bytes / T::SIZE * T::SIZE,
                found: self.bytes,
            });
        }
        let mut v = vec![T::default(); self.bytes / T::SIZE];
        self.download_elems(&mut v)?;
        Ok(v)
    }

    /// A new buffer on the same device with the same contents.
    pub fn try_clone(&self) -> Result<Self> {
        let b = Self::alloc(self.ctx.ordinal, self.bytes)?;
        if self.bytes > 0 {
            // SAFETY: both are live allocations of `self.bytes` bytes in the current context.
            check(unsafe { cu::cuMemcpyDtoD_v2(b.ptr, self.ptr, self.bytes) }).map_err(|e| {
                unavailable(
                    self.ctx.ordinal,
                    format!("copying {} bytes on the device failed: {e}", self.bytes),
                )
            })?;
        }
        Ok(b)
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.bytes
    }

    /// Whether the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// The device address (0 for an empty buffer), to pass to a kernel as a `.u64` parameter.
    pub fn device_ptr(&self) -> u64 {
        self.ptr
    }

    /// The device ordinal.
    pub fn ordinal(&self) -> usize {
        self.ctx.ordinal
    }

    /// The device, `Device::Cuda(ordinal)`.
    pub fn device(&self) -> Device {
        Device::Cuda(self.ctx.ordinal)
    }

    fn check_len(&self, context: &'static str, found: usize) -> Result<()> {
        if found == self.bytes {
            return Ok(());
        }
        Err(Error::DataLength {
            context,
            shape: vec![self.bytes],
            expected: self.bytes,
            found,
        })
    }
}

impl Drop for CudaBuffer {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        // Errors cannot be reported from drop; a failed free (e.g. after a kernel fault left the
        // context unusable) leaks the allocation.
        if self.ctx.make_current().is_ok() {
            // SAFETY: `ptr` was allocated by `cuMemAlloc_v2` in this context and is freed once.
            let _ = unsafe { cu::cuMemFree_v2(self.ptr) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_views_match_the_device_representation() {
        fn same<T: Element>(v: &[T]) {
            let mut want = Vec::new();
            T::write_bytes(v, &mut want);
            assert_eq!(&*elem_bytes(v), &want[..]);
        }
        same(&[1.5f64, -0.0, f64::NAN]);
        same(&[1.5f32, f32::INFINITY]);
        same(&[-1i32, 7]);
        same(&[u32::MAX, 3]);
        same(&[i64::MIN, 2]);
        same(&[u64::MAX]);
        same(&[usize::MAX, 0]);
        same(&[true, false, true]);
        same::<f64>(&[]);
        assert!(elem_bytes_mut(&mut [true]).is_none());
        let mut d = [0u32; 2];
        if let Some(v) = elem_bytes_mut(&mut d) {
            v.copy_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0x80]);
        }
        assert_eq!(d, [1, 0x8000_0000]);
    }
}
