//! Tests of the driver layer. Without a GPU (the CI stub libcuda, or a machine without one)
//! every operation must be a clean `DeviceUnavailable`; with one, memory, launches, JIT logs
//! and kernel faults are exercised. `OSIPY_CUDA_STUB=1` asserts there is no GPU;
//! `OSIPY_REQUIRE_GPU=1` (set by `scripts/gpu-tests.sh run`) fails instead of skipping.

use super::launch::grid_size;
use super::module::{block_size, log_text, max_grid};
use super::*;
use crate::{Device, Error};

/// A grid-stride kernel: `y[i] = a * x[i] + y[i] + k` over `n` items.
const AXPY: &str = "
.version 7.0
.target sm_70
.address_size 64

.visible .entry axpy(
	.param .u64 n,
	.param .f64 a,
	.param .u64 x,
	.param .u64 y,
	.param .u32 k
)
{
	.reg .pred %p<2>;
	.reg .b32 %r<6>;
	.reg .b64 %rd<10>;
	.reg .f64 %fd<4>;
	ld.param.u64 %rd1, [n];
	ld.param.f64 %fd1, [a];
	ld.param.u64 %rd2, [x];
	ld.param.u64 %rd3, [y];
	ld.param.u32 %r5, [k];
	cvta.to.global.u64 %rd2, %rd2;
	cvta.to.global.u64 %rd3, %rd3;
	mov.u32 %r1, %ctaid.x;
	mov.u32 %r2, %ntid.x;
	mov.u32 %r3, %tid.x;
	mov.u32 %r4, %nctaid.x;
	mul.wide.u32 %rd4, %r1, %r2;
	cvt.u64.u32 %rd5, %r3;
	add.u64 %rd4, %rd4, %rd5;
	mul.wide.u32 %rd6, %r4, %r2;
LOOP:
	setp.ge.u64 %p1, %rd4, %rd1;
	@%p1 bra DONE;
	shl.b64 %rd7, %rd4, 3;
	add.u64 %rd8, %rd2, %rd7;
	ld.global.f64 %fd2, [%rd8];
	add.u64 %rd9, %rd3, %rd7;
	ld.global.f64 %fd3, [%rd9];
	fma.rn.f64 %fd3, %fd1, %fd2, %fd3;
	cvt.rn.f64.u32 %fd2, %r5;
	add.rn.f64 %fd3, %fd3, %fd2;
	st.global.f64 [%rd9], %fd3;
	add.u64 %rd4, %rd4, %rd6;
	bra LOOP;
DONE:
	ret;
}
";

/// Rejected by the JIT: an unknown instruction.
const BAD: &str = ".version 7.0\n.target sm_70\n.address_size 64\n\
    .visible .entry bad(.param .u64 n)\n{\n\tbogus_instruction_xyz.u64 %rd1;\n\tret;\n}\n";

/// Stores through the address it is given.
const FAULT: &str = ".version 7.0\n.target sm_70\n.address_size 64\n\
    .visible .entry fault(.param .u64 p)\n{\n\t.reg .b64 %rd<2>;\n\tld.param.u64 %rd1, [p];\n\
    \tst.global.u64 [%rd1], 7;\n\tret;\n}\n";

fn gpu() -> bool {
    let yes = is_gpu_available();
    if !yes {
        assert!(
            std::env::var("OSIPY_REQUIRE_GPU").as_deref() != Ok("1"),
            "OSIPY_REQUIRE_GPU is set, but no CUDA device is usable"
        );
        eprintln!("no usable CUDA device: GPU part skipped");
    }
    yes
}

fn is_unavailable(e: &Error, ordinal: usize) -> bool {
    matches!(e, Error::DeviceUnavailable { device: Device::Cuda(n), .. } if *n == ordinal)
}

#[test]
fn without_a_gpu_everything_is_device_unavailable() {
    if std::env::var("OSIPY_CUDA_STUB").as_deref() == Ok("1") {
        assert!(!is_gpu_available());
        assert_eq!(device_count(), 0);
    }
    if is_gpu_available() {
        return;
    }
    let e = CudaBuffer::upload(0, &[1, 2, 3]).unwrap_err();
    assert!(is_unavailable(&e, 0), "{e:?}");
    assert!(e.to_string().contains("cuda:0"), "{e}");
    eprintln!("without a GPU: {e}");
    assert!(is_unavailable(&CudaBuffer::upload(0, &[]).unwrap_err(), 0));
    assert!(is_unavailable(&CudaBuffer::alloc_zeroed(2, 64).unwrap_err(), 2));
    assert!(is_unavailable(
        &CudaBuffer::upload_elems(1, &[1.0f64]).unwrap_err(),
        1
    ));
    let e = launch(0, AXPY, "axpy", 10, &[KernelParam::U64(10)]).unwrap_err();
    assert!(is_unavailable(&e, 0), "{e:?}");
    let e = launch(0, AXPY, "axpy", 0, &[]).unwrap_err();
    assert!(is_unavailable(&e, 0), "{e:?}");
    assert!(!is_gpu_available(), "stable answer");
}

#[test]
fn a_bad_ordinal_names_the_device_count() {
    let n = device_count();
    let e = CudaBuffer::alloc_zeroed(n + 3, 8).unwrap_err();
    assert!(is_unavailable(&e, n + 3), "{e:?}");
    if n > 0 {
        assert!(e.to_string().contains(&format!("has {n} CUDA device")), "{e}");
    }
    let e = launch(usize::MAX, AXPY, "axpy", 1, &[]).unwrap_err();
    assert!(is_unavailable(&e, usize::MAX), "{e:?}");
}

#[test]
fn launch_configuration_fills_the_device_and_stays_in_range() {
    assert_eq!(block_size(1024), 256);
    assert_eq!(block_size(200), 192);
    assert_eq!(block_size(20), 20);
    assert_eq!(block_size(0), 1);
    assert_eq!(max_grid(132, Some(8)), 1056);
    assert_eq!(max_grid(132, None), 132 * 32);
    assert_eq!(max_grid(0, Some(0)), 32);
    assert_eq!(max_grid(u32::MAX, Some(u32::MAX)), i32::MAX as u32);
    assert_eq!(grid_size(1, 256, 1056), 1);
    assert_eq!(grid_size(257, 256, 1056), 2);
    assert_eq!(grid_size(u64::MAX, 256, 1056), 1056);
    assert_eq!(grid_size(10, 0, 5), 5);
}

#[test]
fn parameters_travel_as_native_bytes_at_the_slot_start() {
    let bytes = |p: KernelParam| p.slot().to_ne_bytes();
    assert_eq!(
        bytes(KernelParam::U32(0x0403_0201))[..4],
        0x0403_0201u32.to_ne_bytes()
    );
    assert_eq!(bytes(KernelParam::F32(1.5))[..4], 1.5f32.to_ne_bytes());
    assert_eq!(bytes(KernelParam::I64(-2)), (-2i64).to_ne_bytes());
    assert_eq!(bytes(KernelParam::U8(9))[0], 9);
    assert_eq!(KernelParam::I32(1).size(), 4);
    assert_eq!(KernelParam::F64(1.0).size(), 8);
    assert_eq!(KernelParam::U8(1).size(), 1);
}

#[test]
fn jit_logs_are_cut_at_the_reported_length_and_nul() {
    assert_eq!(log_text(b"ptxas error\0junk", 100), "ptxas error");
    assert_eq!(log_text(b"abcdef", 3), "abc");
    assert_eq!(log_text(b"", 10), "");
}

#[test]
fn gpu_memory_round_trips() {
    if !gpu() {
        return;
    }
    let data: Vec<u8> = (0..=255).collect();
    let b = CudaBuffer::upload(0, &data).unwrap();
    assert_eq!((b.len(), b.ordinal(), b.device()), (256, 0, Device::Cuda(0)));
    assert_ne!(b.device_ptr(), 0);
    assert_eq!(b.to_vec().unwrap(), data);
    let c = b.try_clone().unwrap();
    assert_eq!(c.to_vec().unwrap(), data);
    let z = CudaBuffer::alloc_zeroed(0, 1000).unwrap();
    assert!(z.to_vec().unwrap().iter().all(|v| *v == 0));
    let e = CudaBuffer::alloc_zeroed(0, 0).unwrap();
    assert_eq!((e.is_empty(), e.device_ptr()), (true, 0));
    assert!(matches!(b.download(&mut [0u8; 3]), Err(Error::DataLength { .. })));
    let mut w = CudaBuffer::upload_elems(0, &[true, false, true]).unwrap();
    assert_eq!(w.to_elems::<bool>().unwrap(), [true, false, true]);
    w.write(&[0, 2, 0]).unwrap();
    assert_eq!(w.to_elems::<bool>().unwrap(), [false, true, false]);
    let f = CudaBuffer::upload_elems(0, &[1.5f64, -2.0, f64::MAX]).unwrap();
    assert_eq!(f.to_elems::<f64>().unwrap(), [1.5, -2.0, f64::MAX]);
    assert_eq!(f.to_elems::<usize>().unwrap().len(), 3);
    let odd = CudaBuffer::upload(0, &[1, 2, 3]).unwrap();
    assert!(matches!(odd.to_elems::<u32>(), Err(Error::DataLength { .. })));
}

#[test]
fn gpu_launch_computes_every_item_and_times_it() {
    if !gpu() {
        return;
    }
    // More items than one wave of blocks, so the grid-stride loop is exercised.
    let n = 3_000_000usize;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let y: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
    let xb = CudaBuffer::upload_elems(0, &x).unwrap();
    let yb = CudaBuffer::upload_elems(0, &y).unwrap();
    let params = [
        KernelParam::U64(n as u64),
        KernelParam::F64(2.0),
        KernelParam::from(&xb),
        KernelParam::from(&yb),
        KernelParam::U32(5),
    ];
    let t = launch(0, AXPY, "axpy", n as u64, &params).unwrap();
    assert!(t.kernel_seconds > 0.0 && t.kernel_seconds < 10.0, "{t:?}");
    let out: Vec<f64> = yb.to_elems().unwrap();
    for i in [0, 1, 255, 256, n / 2, n - 1] {
        assert_eq!(out[i], 2.0f64.mul_add(x[i], y[i]) + 5.0, "item {i}");
    }
    // Cached module, zero items, wrong parameters.
    assert_eq!(launch(0, AXPY, "axpy", 0, &params).unwrap().kernel_seconds, 0.0);
    let e = launch(0, AXPY, "axpy", 1, &params[..4]).unwrap_err();
    assert!(matches!(e, Error::DeviceCode { kernel: "axpy", .. }), "{e:?}");
    assert!(e.to_string().contains("expected 5 parameters"), "{e}");
    let e = launch(0, AXPY, "nope", 1, &params).unwrap_err();
    assert!(e.to_string().contains("no `.entry nope`"), "{e}");
}

#[test]
fn gpu_jit_failure_carries_the_log() {
    if !gpu() {
        return;
    }
    let e = launch(0, BAD, "bad", 1, &[KernelParam::U64(1)]).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::DeviceCode { kernel: "bad", .. }), "{e:?}");
    assert!(
        msg.contains("JIT rejected") && msg.contains("JIT error log"),
        "{msg}"
    );
    assert!(msg.contains("bogus_instruction_xyz"), "{msg}");
}

const FAULT_CHILD: &str = "OSIPY_CUDA_FAULT_CHILD";

/// A fault leaves the context unusable, so it runs in a child process: this test binary again.
#[test]
fn gpu_kernel_fault_is_reported_while_running() {
    if !gpu() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "cuda::tests::fault_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FAULT_CHILD, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("FAULT-REPORTED: "), "{text}");
}

#[test]
#[ignore = "run by gpu_kernel_fault_is_reported_while_running in a child process"]
fn fault_child() {
    if std::env::var_os(FAULT_CHILD).is_none() {
        return;
    }
    let e = launch(0, FAULT, "fault", 1, &[KernelParam::U64(8)]).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::DeviceCode { kernel: "fault", .. }), "{e:?}");
    assert!(msg.contains("kernel `fault` failed while running"), "{msg}");
    println!("FAULT-REPORTED: {msg}");
}
