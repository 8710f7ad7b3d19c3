//! `XpArray`: an n-dimensional array on the host or on a device.

use ndarray::{Array, ArrayD, Dimension, IxDyn};

use crate::{Device, Element, Error, Placed, Result};

/// An n-dimensional array that lives on the host or on a [`Device`].
///
/// Host arrays are ordinary ndarray arrays. Conversion between places is explicit:
/// [`XpArray::to_device`] and [`XpArray::to_host`] (the seed project's `to_gpu` /
/// `to_numpy`). A kernel launched on arrays that all live on one device runs there.
///
/// Device arrays keep the host layout (C order) in this version: the emulator stores a host
/// copy; layouts tuned for coalesced GPU reads belong to the PTX backend.
#[derive(Debug, Clone, PartialEq)]
pub struct XpArray<T: Element, D: Dimension = IxDyn> {
    inner: Inner<T, D>,
}

#[derive(Debug, Clone, PartialEq)]
enum Inner<T: Element, D: Dimension> {
    Host(Array<T, D>),
    Emulator(DeviceData<T, D>),
}

/// Device memory holding an array's elements in their device representation (little-endian,
/// C order, `usize` as 8 bytes, `bool` as 1 byte).
///
/// CUDA memory is shared between clones of an array until one of them is written by a launch,
/// which then copies it first (copy on write).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeviceMem {
    /// Memory of the PTX emulator (host memory).
    Emulator(Vec<u8>),
    /// Memory of a CUDA device.
    Cuda(std::sync::Arc<crate::cuda::CudaBuffer>),
}

impl PartialEq for DeviceMem {
    /// Same device kind and the same bytes (CUDA memory is compared by downloading it; a
    /// failed download compares unequal).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (DeviceMem::Emulator(a), DeviceMem::Emulator(b)) => a == b,
            (DeviceMem::Cuda(a), DeviceMem::Cuda(b)) => {
                std::sync::Arc::ptr_eq(a, b)
                    || (a.ordinal() == b.ordinal()
                        && matches!((a.to_vec(), b.to_vec()), (Ok(x), Ok(y)) if x == y))
            }
            _ => false,
        }
    }
}

impl DeviceMem {
    /// Size in bytes.
    pub fn len(&self) -> usize {
        match self {
            DeviceMem::Emulator(b) => b.len(),
            DeviceMem::Cuda(b) => b.len(),
        }
    }

    /// A host copy of the bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        match self {
            DeviceMem::Emulator(b) => Ok(b.clone()),
            DeviceMem::Cuda(b) => b.to_vec(),
        }
    }

    /// Whether the memory is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The data of an array that lives on a device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceData<T: Element, D: Dimension> {
    device: Device,
    shape: D,
    mem: DeviceMem,
    _elem: std::marker::PhantomData<T>,
}

impl<T: Element, D: Dimension> DeviceData<T, D> {
    /// The device holding the data.
    pub fn device(&self) -> Device {
        self.device
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.shape.slice()
    }

    /// The device memory.
    pub fn mem(&self) -> &DeviceMem {
        &self.mem
    }

    /// The device memory, mutably.
    pub fn mem_mut(&mut self) -> &mut DeviceMem {
        &mut self.mem
    }
}

impl<T: Element, D: Dimension> XpArray<T, D> {
    /// Wraps a host array.
    pub fn from_host(a: Array<T, D>) -> Self {
        XpArray {
            inner: Inner::Host(a),
        }
    }

    /// Where the array lives.
    pub fn placement(&self) -> Device {
        match &self.inner {
            Inner::Host(_) => Device::Cpu,
            Inner::Emulator(d) => d.device,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match &self.inner {
            Inner::Host(a) => a.shape(),
            Inner::Emulator(d) => d.shape.slice(),
        }
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The host array, if the array lives on the host.
    pub fn as_host(&self) -> Option<&Array<T, D>> {
        match &self.inner {
            Inner::Host(a) => Some(a),
            Inner::Emulator(_) => None,
        }
    }

    /// The host array, mutably, if the array lives on the host.
    pub fn as_host_mut(&mut self) -> Option<&mut Array<T, D>> {
        match &mut self.inner {
            Inner::Host(a) => Some(a),
            Inner::Emulator(_) => None,
        }
    }

    /// The device data, if the array lives on a device.
    pub fn as_device(&self) -> Option<&DeviceData<T, D>> {
        match &self.inner {
            Inner::Host(_) => None,
            Inner::Emulator(d) => Some(d),
        }
    }

    /// A copy of this array on `device` (`Device::Cpu` copies to the host).
    ///
    /// Fails with [`Error::CudaNotCompiled`] for a CUDA device in a build without the `cuda`
    /// feature.
    pub fn to_device(&self, device: &Device) -> Result<XpArray<T, D>> {
        device.check_available()?;
        match device {
            Device::Cpu => Ok(XpArray::from_host(self.to_host()?)),
            Device::Emulator => {
                let host = self.to_host()?;
                let shape = host.raw_dim();
                let mut bytes = Vec::new();
                match host.as_slice() {
                    Some(s) => T::write_bytes(s, &mut bytes),
                    None => T::write_bytes(&host.iter().copied().collect::<Vec<_>>(), &mut bytes),
                }
                Ok(XpArray {
                    inner: Inner::Emulator(DeviceData {
                        device: Device::Emulator,
                        shape,
                        mem: DeviceMem::Emulator(bytes),
                        _elem: std::marker::PhantomData,
                    }),
                })
            }
            Device::Cuda(ordinal) => {
                let host = self.to_host()?;
                let mut bytes = Vec::new();
                T::write_bytes(&host.iter().copied().collect::<Vec<_>>(), &mut bytes);
                let buf = crate::cuda::CudaBuffer::upload(*ordinal, &bytes)?;
                Ok(XpArray {
                    inner: Inner::Emulator(DeviceData {
                        device: *device,
                        shape: host.raw_dim(),
                        mem: DeviceMem::Cuda(std::sync::Arc::new(buf)),
                        _elem: std::marker::PhantomData,
                    }),
                })
            }
        }
    }

    /// A host copy of the array (C order).
    pub fn to_host(&self) -> Result<Array<T, D>> {
        match &self.inner {
            Inner::Host(a) => Ok(a.clone()),
            Inner::Emulator(d) => {
                let bytes = d.mem.to_bytes()?;
                let data = T::read_bytes(&bytes);
                let found = data.len();
                Array::from_shape_vec(d.shape.clone(), data).map_err(|_| Error::DataLength {
                    context: "XpArray::to_host",
                    shape: d.shape.slice().to_vec(),
                    expected: d.shape.size(),
                    found,
                })
            }
        }
    }

    /// The array as a host array, copying only if it lives on a device.
    pub fn into_host(self) -> Result<Array<T, D>> {
        match self.inner {
            Inner::Host(a) => Ok(a),
            Inner::Emulator(_) => self.to_host(),
        }
    }

    /// The same array with a dynamic number of axes.
    pub fn into_dyn(self) -> XpArray<T, IxDyn> {
        match self.inner {
            Inner::Host(a) => XpArray::from_host(a.into_dyn()),
            Inner::Emulator(d) => XpArray {
                inner: Inner::Emulator(DeviceData {
                    device: d.device,
                    shape: d.shape.into_dyn(),
                    mem: d.mem,
                    _elem: std::marker::PhantomData,
                }),
            },
        }
    }

    /// Builds a host array from a shape and C-order data.
    pub fn from_shape_vec(shape: D, data: Vec<T>) -> Result<Self> {
        let expected = shape.size();
        let found = data.len();
        let dims = shape.slice().to_vec();
        Array::from_shape_vec(shape, data)
            .map(XpArray::from_host)
            .map_err(|_| Error::DataLength {
                context: "XpArray::from_shape_vec",
                shape: dims,
                expected,
                found,
            })
    }
}

impl<T: Element> XpArray<T, IxDyn> {
    /// An array on `device` wrapping device memory of `shape` (used by device launches).
    pub fn from_device_mem(device: Device, shape: &[usize], mem: DeviceMem) -> Result<Self> {
        let expected = shape.iter().product::<usize>() * T::SIZE;
        if mem.len() != expected {
            return Err(Error::DataLength {
                context: "XpArray::from_device_mem",
                shape: shape.to_vec(),
                expected,
                found: mem.len(),
            });
        }
        Ok(XpArray {
            inner: Inner::Emulator(DeviceData {
                device,
                shape: IxDyn(shape),
                mem,
                _elem: std::marker::PhantomData,
            }),
        })
    }

    /// An uninitialised-free host array of `shape` filled with `T::default()`.
    pub fn zeros(shape: &[usize]) -> Self {
        XpArray::from_host(ArrayD::default(IxDyn(shape)))
    }
}

impl<T: Element, D: Dimension> From<Array<T, D>> for XpArray<T, D> {
    fn from(a: Array<T, D>) -> Self {
        XpArray::from_host(a)
    }
}

impl<T: Element, D: Dimension> Placed for XpArray<T, D> {
    fn placement(&self) -> Device {
        XpArray::placement(self)
    }
}

impl<S: ndarray::RawData, D: Dimension> Placed for ndarray::ArrayBase<S, D> {
    fn placement(&self) -> Device {
        Device::Cpu
    }
}

impl<T> Placed for [T] {
    fn placement(&self) -> Device {
        Device::Cpu
    }
}

impl<T> Placed for Vec<T> {
    fn placement(&self) -> Device {
        Device::Cpu
    }
}

/// The host array or the device data of `a`, mutably.
pub(crate) fn split_mut<T: Element, D: Dimension>(
    a: &mut XpArray<T, D>,
) -> std::result::Result<&mut Array<T, D>, &mut DeviceData<T, D>> {
    match &mut a.inner {
        Inner::Host(h) => Ok(h),
        Inner::Emulator(d) => Err(d),
    }
}
