//! Bad input gets a typed error that names the argument, the expected and the found; shape and
//! placement errors touch no output; an index fault stops only its item.

mod common;

use ndarray::{array, Array1, Array2, Array3, ArrayD, IxDyn};
use osipy_kernels::{select_device, Device, Error, XpArray};
use osipy_tests as k;

#[test]
fn mismatched_item_axes_name_both_arguments_and_leave_outputs_untouched() {
    let x = Array2::<f64>::ones((4, 3));
    let mut mean = Array1::from_elem(5, 9.0);
    let mut var = Array1::from_elem(4, 9.0);
    let e = k::moments::launch(&x, &mut mean, &mut var).unwrap_err();
    match &e {
        Error::Shape {
            kernel,
            arg,
            expected,
            found,
        } => {
            assert_eq!((*kernel, *arg), ("moments", "mean"));
            assert!(expected.contains("[4]") && expected.contains("`x`"), "{expected}");
            assert!(found.contains("[5]"), "{found}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().contains("argument `mean`"), "{e}");
    assert!(
        mean.iter().chain(var.iter()).all(|v| *v == 9.0),
        "an output was touched"
    );
}

#[test]
fn a_row_argument_without_a_row_axis_is_a_shape_error() {
    let x = ndarray::arr0(1.0).into_dyn();
    let e = k::rms::launch(&x).unwrap_err();
    assert!(
        matches!(e, Error::Shape { arg: "x", ref found, .. } if found.contains("0-dimensional")),
        "{e}"
    );
}

#[test]
fn a_uniform_row_must_be_one_dimensional() {
    let w = Array2::<f64>::ones((2, 3));
    let x = Array2::<f64>::ones((4, 3));
    let e = k::weighted_sum::launch(&w, &x).unwrap_err();
    assert!(
        matches!(e, Error::Shape { arg: "w", ref found, .. } if found.contains("[2, 3]")),
        "{e}"
    );
}

#[test]
fn per_item_scalars_must_match_the_rows_item_axes() {
    let t = [0.0, 1.0, 2.0];
    let delay = Array2::<f64>::zeros((2, 2));
    let mut out = Array3::<f64>::zeros((2, 3, 3));
    let e = k::shifted_sample::launch(&t, &t, &delay, &mut out).unwrap_err();
    assert!(matches!(e, Error::Shape { arg: "out", .. }), "{e}");
    assert!(out.iter().all(|v| *v == 0.0));
}

#[test]
fn mixed_placement_is_an_error_naming_the_argument() {
    let a = XpArray::from(array![1.0, 2.0])
        .to_device(&Device::Emulator)
        .unwrap();
    let x = array![3.0, 4.0];
    let e = k::axpy::launch(&a, &x, 1.0).unwrap_err();
    match e {
        Error::MixedPlacement {
            kernel,
            arg,
            first,
            expected,
            found,
        } => {
            assert_eq!((kernel, arg.as_str(), first.as_str()), ("axpy", "x", "a"));
            assert_eq!((expected, found), (Device::Emulator, Device::Cpu));
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = select_device(&[("a", &a), ("x", &x)]).unwrap_err();
    assert!(
        e.to_string().contains("`x`") && e.to_string().contains("to_device"),
        "{e}"
    );
}

#[test]
fn devices_without_a_backend_answer_typed_errors() {
    let host = XpArray::from(array![1.0, 2.0]);
    let e = host.to_device(&Device::Cuda(0)).unwrap_err();
    // Without the `cuda` feature: not compiled; with it but no GPU (the CI stub): unavailable.
    assert!(
        matches!(
            e,
            Error::CudaNotCompiled {
                device: Device::Cuda(0),
                ..
            } | Error::DeviceUnavailable {
                device: Device::Cuda(0),
                ..
            }
        ),
        "{e}"
    );
    assert!(!osipy_kernels::is_gpu_available());
    let a = host.to_device(&Device::Emulator).unwrap();
    assert_eq!(a.placement(), Device::Emulator);
    assert_eq!(select_device(&[("a", &a)]).unwrap(), Device::Emulator);
    // The emulator runs the generated PTX; results stay on the device.
    let y = k::axpy::launch(&a, &a, 1.0).unwrap();
    assert_eq!(y.placement(), Device::Emulator);
    assert_eq!(y.to_host().unwrap().into_raw_vec_and_offset().0, vec![2.0, 5.0]);
    assert_eq!(a.to_host().unwrap(), array![1.0, 2.0]);
    // Transcendentals run on devices from the same source as on the CPU.
    let on_dev = k::decay::launch(&a).unwrap().to_host().unwrap();
    let on_cpu = k::decay::launch(&array![1.0, 2.0]).unwrap().into_host().unwrap();
    assert_eq!(on_dev, on_cpu);
}

#[test]
fn an_out_of_range_row_index_reports_the_lowest_item_and_spares_the_others() {
    // Rows of length 3; k = 4 is out of range for every item.
    let x = Array2::<f64>::ones((10, 3));
    let e = k::pick::launch(&x, 4).unwrap_err();
    assert_eq!(
        e,
        Error::IndexOutOfBounds {
            kernel: "pick",
            function: "pick",
            array: "x",
            item: 0,
            index: 4,
            len: 3
        }
    );
    // Only rows shorter than needed fault, per item: the kernel's outputs elsewhere are written.
    let n = Array1::from(vec![1usize, 2, 3, 9, 0, 5]);
    let e = k::local_fault::launch(&n).unwrap_err();
    assert_eq!(
        e,
        Error::IndexOutOfBounds {
            kernel: "local_fault",
            function: "local_fault",
            array: "a",
            item: 3,
            index: 3,
            len: 3
        }
    );
    assert!(
        e.to_string().contains("item 3") && e.to_string().contains("length 3"),
        "{e}"
    );
}

#[test]
fn a_fault_in_one_item_does_not_spoil_its_neighbours_outputs() {
    let x = array![
        [1.0, 2.0, 3.0],
        [4.0, 5.0, 6.0],
        [7.0, 8.0, 9.0],
        [10.0, 11.0, 12.0]
    ];
    let n = Array1::from(vec![2usize, 5, 3, 4]);
    let mut out = Array2::<f64>::from_elem((4, 3), -1.0);
    let e = k::copy_prefix::launch(&x, &n, &mut out).unwrap_err();
    // Items 1 and 3 fault; the lowest is reported. Items 0 and 2 are complete; the faulting
    // items keep what they wrote before the fault.
    assert_eq!(
        e,
        Error::IndexOutOfBounds {
            kernel: "copy_prefix",
            function: "copy_prefix",
            array: "x",
            item: 1,
            index: 3,
            len: 3
        }
    );
    assert_eq!(
        out,
        array![
            [1.0, 2.0, -1.0],
            [4.0, 5.0, 6.0],
            [7.0, 8.0, 9.0],
            [10.0, 11.0, 12.0]
        ]
    );
}

#[test]
fn zero_items_give_empty_results_with_the_item_shape() {
    let x = ArrayD::<f64>::zeros(IxDyn(&[0, 4, 7]));
    let (lo, hi) = k::min_max::launch(&x).unwrap();
    assert_eq!(lo.shape(), &[0, 4]);
    assert_eq!(hi.shape(), &[0, 4]);
    let empty_rows = Array2::<f64>::zeros((3, 0));
    let (lo, _) = k::min_max::launch(&empty_rows).unwrap();
    assert_eq!(lo.into_host().unwrap().as_slice().unwrap(), &[f64::INFINITY; 3]);
}

#[test]
fn slices_vecs_and_views_are_accepted_as_host_arrays() {
    let a = vec![1.0, 2.0, 3.0];
    let x = [2.0, 2.0, 2.0];
    let y = k::axpy::launch(&a, &x, 1.0).unwrap().into_host().unwrap();
    assert_eq!(y.as_slice().unwrap(), &[3.0, 5.0, 7.0]);
    let y = k::axpy::launch(a.as_slice(), ndarray::ArrayView1::from(&x), 0.0).unwrap();
    assert_eq!(y.as_host().unwrap().as_slice().unwrap(), &[2.0, 4.0, 6.0]);
    let xa = XpArray::from(Array1::from(a.clone()));
    let mut out = vec![0.0; 3];
    k::scale_row::launch(&xa, 1.0, &[0.5, 0.5, 0.5], &mut out).unwrap();
    assert_eq!(out, vec![1.5, 2.5, 3.5]);
}

/// A bi-exponential model whose b axis was not marked `#[uniform]` (the user-study slip).
#[osipy_kernels::xp_kernel(model)]
pub fn biexp_no_uniform(
    b: &[f64],
    #[param(init = 1.0)] s0: f64,
    #[param(init = 1.0e-3, lower = 0.0)] d: f64,
    pred: &mut [f64],
) {
    for k in 0..pred.len() {
        pred[k] = s0 * (-b[k] * d).exp();
    }
}

#[test]
fn a_shared_axis_declared_per_item_suggests_uniform_and_names_data() {
    let b = [0.0, 100.0, 400.0, 800.0];
    let y = Array2::<f64>::ones((5, 4));
    let e = biexp_no_uniform::fitter(&b[..]).fit(&y).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("biexp_no_uniform::fit") && m.contains("argument `data`"),
        "{m}"
    );
    assert!(
        m.contains(
            "`b` was given as one row for every item: if it is the same for every item, mark it `#[uniform]`"
        ),
        "{m}"
    );
    assert!(!m.contains("__xp"), "{m}");
    // No uniform row: no sample axis to check.
    assert_eq!(biexp_no_uniform::SAMPLES, None);
}
