//! The FMA build and the plain build of a kernel give the same bits: `mul_add` is a fused
//! operation in both (one instruction, or a correctly rounded software fma).

mod common;

use common::*;
use osipy_kernels::force_cpu_fma;
use osipy_tests as k;

#[test]
fn fma_and_plain_cpu_builds_agree_bit_for_bit() {
    let mut r = rng(21);
    let w = data(&mut r, &[33], true);
    let x = data(&mut r, &[2000, 33], true);
    force_cpu_fma(Some(false));
    let plain = k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap();
    force_cpu_fma(None);
    let fma = k::weighted_sum::launch(&w, &x).unwrap().into_host().unwrap();
    assert_bits_eq(&fma, &plain, "weighted_sum");
    // And both equal the single-voxel reference, whose mul_add is std's fused one.
    for (i, row) in x.outer_iter().enumerate() {
        let want = k::weighted_sum(w.as_slice().unwrap(), row.as_slice().unwrap());
        assert_bits_eq([&fma[i]], [&want], &format!("item {i}"));
    }
}
