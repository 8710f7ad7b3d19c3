//! Where arrays live and kernels run.

use std::fmt;

use crate::{Error, Result};

/// A place where arrays live and kernels run.
///
/// `Cpu` runs the rayon backend. `Cuda(ordinal)` is an NVIDIA GPU driven through the CUDA
/// driver API (a build without the `cuda` feature answers
/// [`Error::CudaNotCompiled`]). `Emulator` is a device whose memory is host
/// memory and whose launches interpret the generated PTX on the CPU, so GPU code can be tested
/// anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    /// Host memory; kernels run on the CPU with rayon.
    Cpu,
    /// The CUDA GPU with this ordinal.
    Cuda(usize),
    /// The PTX emulator.
    Emulator,
}

impl Device {
    /// Whether arrays on this device live in host memory owned by the caller (`Cpu` only).
    pub fn is_host(&self) -> bool {
        matches!(self, Device::Cpu)
    }

    /// Checks that arrays can be moved to this device in this build and on this machine.
    pub fn check_available(&self) -> Result<()> {
        match self {
            Device::Cpu | Device::Emulator => Ok(()),
            Device::Cuda(n) => crate::cuda::check_device(*n),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "the CPU"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
            Device::Emulator => write!(f, "the PTX emulator"),
        }
    }
}

/// Whether a CUDA GPU can be used by this build on this machine.
///
/// Always `false` without the `cuda` feature; with it, `false` where the driver library is
/// present but reports no GPU.
pub fn is_gpu_available() -> bool {
    crate::cuda::is_gpu_available()
}

/// Anything that lives on a [`Device`]: host arrays, slices and [`crate::XpArray`]s.
pub trait Placed {
    /// Where the data lives.
    fn placement(&self) -> Device;
}

/// The backend a set of arrays selects (the seed project's `get_array_module`).
///
/// Each entry is a name (used in the error message) and an array. All on the host selects
/// [`Device::Cpu`]; all on one device selects that device; a mixture is
/// [`Error::MixedPlacement`] naming the first array that differs. No arrays selects the CPU.
///
/// ```
/// use ndarray::array;
/// use osipy_kernels::{select_device, Device, XpArray};
///
/// let a = array![1.0, 2.0];
/// let b = XpArray::from(array![3.0, 4.0]);
/// assert_eq!(select_device(&[("a", &a), ("b", &b)]).unwrap(), Device::Cpu);
/// let e = b.to_device(&Device::Emulator).unwrap();
/// assert!(select_device(&[("a", &a), ("e", &e)]).is_err());
/// ```
pub fn select_device(arrays: &[(&str, &dyn Placed)]) -> Result<Device> {
    let Some(((first, a0), rest)) = arrays.split_first() else {
        return Ok(Device::Cpu);
    };
    let device = a0.placement();
    for (name, a) in rest {
        let p = a.placement();
        if p != device {
            return Err(Error::MixedPlacement {
                kernel: "select_device",
                arg: (*name).to_string(),
                first: (*first).to_string(),
                expected: device,
                found: p,
            });
        }
    }
    Ok(device)
}
