//! What `launch` accepts: host arrays, views, slices and [`XpArray`]s.

use std::borrow::Cow;

use ndarray::{ArrayBase, ArrayView, ArrayViewD, ArrayViewMut, ArrayViewMutD, Data, DataMut, Dimension};

use crate::array::split_mut;
use crate::{Device, DeviceMem, Element, XpArray};

/// A read-only array argument of a launch, on the host or on a device.
#[derive(Debug)]
pub enum XpRef<'a, T: Element> {
    /// Host data.
    Host(ArrayViewD<'a, T>),
    /// Device data.
    Device {
        /// The device.
        device: Device,
        /// The array's shape.
        shape: Vec<usize>,
        /// The memory.
        mem: &'a DeviceMem,
    },
}

/// A writable array argument of a launch, on the host or on a device.
#[derive(Debug)]
pub enum XpMut<'a, T: Element> {
    /// Host data.
    Host(ArrayViewMutD<'a, T>),
    /// Device data.
    Device {
        /// The device.
        device: Device,
        /// The array's shape.
        shape: Vec<usize>,
        /// The memory.
        mem: &'a mut DeviceMem,
    },
}

impl<T: Element> XpRef<'_, T> {
    /// Where the data lives.
    pub fn placement(&self) -> Device {
        match self {
            XpRef::Host(_) => Device::Cpu,
            XpRef::Device { device, .. } => *device,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            XpRef::Host(v) => v.shape(),
            XpRef::Device { shape, .. } => shape,
        }
    }
}

impl<T: Element> XpMut<'_, T> {
    /// Where the data lives.
    pub fn placement(&self) -> Device {
        match self {
            XpMut::Host(_) => Device::Cpu,
            XpMut::Device { device, .. } => *device,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            XpMut::Host(v) => v.shape(),
            XpMut::Device { shape, .. } => shape,
        }
    }
}

/// Types a launch accepts for an input array: `&Array`, `ArrayView`, `&XpArray`, `&[T]`,
/// `&Vec<T>`, `&[T; N]`.
pub trait IntoXpRef<'a, T: Element> {
    /// The argument as a host view or a device reference.
    fn into_xp_ref(self) -> XpRef<'a, T>;
}

/// Types a launch accepts for an output array: `&mut Array`, `ArrayViewMut`, `&mut XpArray`,
/// `&mut [T]`, `&mut Vec<T>`.
pub trait IntoXpMut<'a, T: Element> {
    /// The argument as a writable host view or device reference.
    fn into_xp_mut(self) -> XpMut<'a, T>;
}

impl<'a, T: Element, S: Data<Elem = T>, D: Dimension> IntoXpRef<'a, T> for &'a ArrayBase<S, D> {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        XpRef::Host(self.view().into_dyn())
    }
}

impl<'a, T: Element, D: Dimension> IntoXpRef<'a, T> for ArrayView<'a, T, D> {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        XpRef::Host(self.into_dyn())
    }
}

impl<'a, T: Element, D: Dimension> IntoXpRef<'a, T> for &'a XpArray<T, D> {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        if let Some(d) = self.as_device() {
            return XpRef::Device {
                device: d.device(),
                shape: d.shape().to_vec(),
                mem: d.mem(),
            };
        }
        match self.as_host() {
            Some(a) => XpRef::Host(a.view().into_dyn()),
            None => XpRef::Host(ArrayView::from(&[] as &[T]).into_dyn()),
        }
    }
}

impl<'a, 'b: 'a, T: Element> IntoXpRef<'a, T> for &'a XpRef<'b, T> {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        match self {
            XpRef::Host(v) => XpRef::Host(v.view()),
            XpRef::Device { device, shape, mem } => XpRef::Device {
                device: *device,
                shape: shape.clone(),
                mem,
            },
        }
    }
}

impl<'a, T: Element> IntoXpRef<'a, T> for &'a [T] {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        XpRef::Host(ArrayView::from(self).into_dyn())
    }
}

impl<'a, T: Element> IntoXpRef<'a, T> for &'a Vec<T> {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        XpRef::Host(ArrayView::from(self.as_slice()).into_dyn())
    }
}

impl<'a, T: Element, const N: usize> IntoXpRef<'a, T> for &'a [T; N] {
    fn into_xp_ref(self) -> XpRef<'a, T> {
        XpRef::Host(ArrayView::from(self.as_slice()).into_dyn())
    }
}

impl<'a, T: Element, S: DataMut<Elem = T>, D: Dimension> IntoXpMut<'a, T> for &'a mut ArrayBase<S, D> {
    fn into_xp_mut(self) -> XpMut<'a, T> {
        XpMut::Host(self.view_mut().into_dyn())
    }
}

impl<'a, T: Element, D: Dimension> IntoXpMut<'a, T> for ArrayViewMut<'a, T, D> {
    fn into_xp_mut(self) -> XpMut<'a, T> {
        XpMut::Host(self.into_dyn())
    }
}

impl<'a, T: Element, D: Dimension> IntoXpMut<'a, T> for &'a mut XpArray<T, D> {
    fn into_xp_mut(self) -> XpMut<'a, T> {
        match split_mut(self) {
            Ok(a) => XpMut::Host(a.view_mut().into_dyn()),
            Err(d) => XpMut::Device {
                device: d.device(),
                shape: d.shape().to_vec(),
                mem: d.mem_mut(),
            },
        }
    }
}

impl<'a, T: Element> IntoXpMut<'a, T> for &'a mut [T] {
    fn into_xp_mut(self) -> XpMut<'a, T> {
        XpMut::Host(ArrayViewMut::from(self).into_dyn())
    }
}

impl<'a, T: Element> IntoXpMut<'a, T> for &'a mut Vec<T> {
    fn into_xp_mut(self) -> XpMut<'a, T> {
        XpMut::Host(ArrayViewMut::from(self.as_mut_slice()).into_dyn())
    }
}

/// A host input made contiguous (C order), copying only when the view is not.
#[derive(Debug)]
pub struct HostIn<'a, T: Element> {
    data: Cow<'a, [T]>,
}

impl<'a, T: Element> HostIn<'a, T> {
    /// Makes `view` contiguous.
    pub fn new(view: ArrayViewD<'a, T>) -> Self {
        let data = match view.to_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(view.iter().copied().collect()),
        };
        HostIn { data }
    }

    /// The elements in C order.
    pub fn slice(&self) -> &[T] {
        &self.data
    }
}

/// A host output written through a contiguous buffer: the caller's memory when its view is
/// contiguous in C order, otherwise a copy that [`HostOut::finish`] writes back.
#[derive(Debug)]
pub struct HostOut<'a, T: Element> {
    view: ArrayViewMutD<'a, T>,
    temp: Option<Vec<T>>,
}

impl<'a, T: Element> HostOut<'a, T> {
    /// Prepares `view` for writing.
    pub fn new(view: ArrayViewMutD<'a, T>) -> Self {
        let temp = if view.is_standard_layout() {
            None
        } else {
            Some(view.iter().copied().collect())
        };
        HostOut { view, temp }
    }

    /// Pointer to the first element of the contiguous buffer.
    pub fn as_mut_ptr(&mut self) -> *mut T {
        match &mut self.temp {
            Some(t) => t.as_mut_ptr(),
            None => self.view.as_mut_ptr(),
        }
    }

    /// Writes a temporary buffer back into the caller's array.
    pub fn finish(self) {
        let HostOut { mut view, temp } = self;
        if let Some(t) = temp {
            for (d, s) in view.iter_mut().zip(t) {
                *d = s;
            }
        }
    }
}
