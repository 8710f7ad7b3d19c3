//! Shared test PTX programs and helpers. Every program used by a test is listed
//! in [`all_programs`] so the ptxas test can assemble all of them.
#![allow(dead_code)]

use osipy_kernels::emulator::{GlobalMemory, LaunchConfig, Module, Param};

pub const HEADER: &str = ".version 7.0\n.target sm_70\n.address_size 64\n\n";

/// Type name (without dot) -> byte size.
pub fn size_of(ty: &str) -> u64 {
    match &ty[1..] {
        "8" => 1,
        "16" => 2,
        "32" => 4,
        "64" => 8,
        _ => panic!("bad type {ty}"),
    }
}

/// A kernel `op` applying `body` to `arity` inputs `%a %b %c` of type `in_ty`
/// (element `i` reads inputs `[i*arity ..]`) and storing `%d` of type `out_ty`.
/// `in_reg`/`out_reg` are the declared register types.
pub fn op_kernel(in_ty: &str, in_reg: &str, out_ty: &str, out_reg: &str, arity: u32, body: &str) -> String {
    let isz = size_of(in_ty);
    let osz = size_of(out_ty);
    let mut loads = String::new();
    for (k, r) in ["%a", "%b", "%c"].iter().enumerate().take(arity as usize) {
        loads += &format!("    ld.global.{in_ty} {r}, [%rd4+{}];\n", k as u64 * isz);
    }
    format!(
        "{HEADER}.visible .entry op(\n    .param .u64 op_in,\n    .param .u64 op_out,\n    .param .u32 op_n\n)\n{{\n\
    .reg .pred %p<2>;\n    .reg .pred %q, %q2;\n    .reg .b32 %r<6>;\n    .reg .b64 %rd<8>;\n\
    .reg .{in_reg} %a, %b, %c;\n    .reg .{out_reg} %d;\n\n\
    ld.param.u64 %rd1, [op_in];\n    ld.param.u64 %rd2, [op_out];\n    ld.param.u32 %r1, [op_n];\n\
    mov.u32 %r2, %ctaid.x;\n    mov.u32 %r3, %ntid.x;\n    mov.u32 %r4, %tid.x;\n    mad.lo.s32 %r5, %r2, %r3, %r4;\n\
    setp.ge.u32 %p1, %r5, %r1;\n    @%p1 bra $L__done;\n\
    cvta.to.global.u64 %rd1, %rd1;\n    cvta.to.global.u64 %rd2, %rd2;\n\
    mul.wide.u32 %rd3, %r5, {};\n    add.s64 %rd4, %rd1, %rd3;\n{loads}\
    {body}\n\
    mul.wide.u32 %rd5, %r5, {osz};\n    add.s64 %rd6, %rd2, %rd5;\n    st.global.{out_ty} [%rd6], %d;\n\
$L__done:\n    ret;\n}}\n",
        isz * arity as u64
    )
}

/// Runs an [`op_kernel`] over `inputs` (raw bits, `arity` per element).
pub fn run_op(src: &str, in_ty: &str, out_ty: &str, arity: usize, inputs: &[u64]) -> Vec<u64> {
    let m = Module::parse(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
    let n = inputs.len() / arity;
    let isz = size_of(in_ty) as usize;
    let osz = size_of(out_ty) as usize;
    let mut mem = GlobalMemory::new();
    let inp = mem.alloc(inputs.len() * isz, 8).unwrap();
    let out = mem.alloc(n * osz, 8).unwrap();
    let bytes: Vec<u8> = inputs
        .iter()
        .flat_map(|v| v.to_le_bytes()[..isz].to_vec())
        .collect();
    mem.write(inp, &bytes).unwrap();
    let blocks = (n as u32).div_ceil(64);
    m.launch(
        "op",
        LaunchConfig::linear(blocks, 64),
        &[Param::U64(inp), Param::U64(out), Param::U32(n as u32)],
        &mut mem,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut ob = vec![0u8; n * osz];
    mem.read(out, &mut ob).unwrap();
    ob.chunks_exact(osz)
        .map(|c| {
            let mut x = [0u8; 8];
            x[..osz].copy_from_slice(c);
            u64::from_le_bytes(x)
        })
        .collect()
}

/// Every [`op_kernel`] configuration used by the tests: (in_ty, in_reg, out_ty, out_reg, arity, body).
pub fn op_specs() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    String,
)> {
    let mut v: Vec<(&str, &str, &str, &str, u32, String)> = Vec::new();
    for t in ["f64", "f32"] {
        for op in [
            "add.rn", "sub.rn", "mul.rn", "div.rn", "min", "max", "copysign", "add", "mul",
        ] {
            v.push((t, t, t, t, 2, format!("{op}.{t} %d, %a, %b;")));
        }
        for op in ["sqrt.rn", "rcp.rn", "neg", "abs"] {
            v.push((t, t, t, t, 1, format!("{op}.{t} %d, %a;")));
        }
        v.push((t, t, t, t, 3, format!("fma.rn.{t} %d, %a, %b, %c;")));
        for c in [
            "eq", "ne", "lt", "le", "gt", "ge", "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan",
        ] {
            v.push((
                t,
                t,
                "u32",
                "u32",
                2,
                format!("setp.{c}.{t} %q, %a, %b;\n    selp.u32 %d, 1, 0, %q;"),
            ));
        }
        for k in [
            "finite",
            "infinite",
            "number",
            "notanumber",
            "normal",
            "subnormal",
        ] {
            v.push((
                t,
                t,
                "u32",
                "u32",
                1,
                format!("testp.{k}.{t} %q, %a;\n    selp.u32 %d, 1, 0, %q;"),
            ));
        }
    }
    v.push(("f32", "f32", "f32", "f32", 2, "add.rn.ftz.f32 %d, %a, %b;".into()));
    // conversions
    for (rnd, dst, dreg) in [
        ("rni", "s32", "s32"),
        ("rzi", "s32", "s32"),
        ("rmi", "s32", "s32"),
        ("rpi", "s32", "s32"),
        ("rni", "u32", "u32"),
        ("rzi", "s64", "s64"),
        ("rzi", "u64", "u64"),
        ("rzi", "s16", "s16"),
        ("rzi", "u8", "u32"),
        ("rni", "f64", "f64"),
        ("rzi", "f64", "f64"),
        ("rmi", "f64", "f64"),
        ("rpi", "f64", "f64"),
        ("rn", "f32", "f32"),
        ("rz", "f32", "f32"),
        ("rm", "f32", "f32"),
        ("rp", "f32", "f32"),
    ] {
        v.push(("f64", "f64", dst, dreg, 1, format!("cvt.{rnd}.{dst}.f64 %d, %a;")));
    }
    v.push(("f32", "f32", "f64", "f64", 1, "cvt.f64.f32 %d, %a;".into()));
    v.push(("f32", "f32", "s32", "s32", 1, "cvt.rni.s32.f32 %d, %a;".into()));
    for rnd in ["rn", "rz", "rm", "rp"] {
        v.push((
            "s64",
            "s64",
            "f64",
            "f64",
            1,
            format!("cvt.{rnd}.f64.s64 %d, %a;"),
        ));
        v.push((
            "u64",
            "u64",
            "f64",
            "f64",
            1,
            format!("cvt.{rnd}.f64.u64 %d, %a;"),
        ));
        v.push((
            "s32",
            "s32",
            "f32",
            "f32",
            1,
            format!("cvt.{rnd}.f32.s32 %d, %a;"),
        ));
    }
    v.push(("s32", "s32", "f64", "f64", 1, "cvt.rn.f64.s32 %d, %a;".into()));
    for (dst, src, dreg, sreg) in [
        ("s64", "s32", "s64", "s32"),
        ("u64", "u32", "u64", "u32"),
        ("s32", "s64", "s32", "s64"),
        ("u32", "u64", "u32", "u64"),
        ("s16", "s32", "s16", "s32"),
        ("u8", "s32", "u32", "s32"),
        ("s8", "s32", "s32", "s32"),
    ] {
        v.push((src, sreg, dst, dreg, 1, format!("cvt.{dst}.{src} %d, %a;")));
    }
    v.push(("s32", "s32", "s8", "s32", 1, "cvt.sat.s8.s32 %d, %a;".into()));
    v.push(("s64", "s64", "u32", "u32", 1, "cvt.sat.u32.s64 %d, %a;".into()));
    // integer ops
    for t in ["s32", "u32", "s64", "u64"] {
        for op in ["add", "sub", "mul.lo", "mul.hi", "div", "rem", "min", "max"] {
            v.push((t, t, t, t, 2, format!("{op}.{t} %d, %a, %b;")));
        }
        v.push((t, t, t, t, 3, format!("mad.lo.{t} %d, %a, %b, %c;")));
    }
    for t in ["s32", "s64"] {
        v.push((t, t, t, t, 1, format!("neg.{t} %d, %a;")));
        v.push((t, t, t, t, 1, format!("abs.{t} %d, %a;")));
    }
    v.push(("s32", "s32", "s64", "s64", 2, "mul.wide.s32 %d, %a, %b;".into()));
    v.push(("u32", "u32", "u64", "u64", 2, "mul.wide.u32 %d, %a, %b;".into()));
    for (t, bt) in [("b32", "b32"), ("b64", "b64")] {
        for op in ["and", "or", "xor"] {
            v.push((t, bt, t, bt, 2, format!("{op}.{t} %d, %a, %b;")));
        }
        v.push((t, bt, t, bt, 1, format!("not.{t} %d, %a;")));
        v.push((t, bt, t, bt, 1, format!("brev.{t} %d, %a;")));
        v.push((t, bt, "u32", "u32", 1, format!("clz.{t} %d, %a;")));
        v.push((t, bt, "u32", "u32", 1, format!("popc.{t} %d, %a;")));
    }
    v.push(("b32", "b32", "b32", "b32", 2, "shl.b32 %d, %a, %b;".into()));
    v.push(("b32", "b32", "b32", "b32", 2, "shr.u32 %d, %a, %b;".into()));
    v.push(("b32", "b32", "b32", "b32", 2, "shr.s32 %d, %a, %b;".into()));
    v.push(("b32", "b32", "b32", "b32", 2, "shr.b32 %d, %a, %b;".into()));
    v.push((
        "b64",
        "b64",
        "b64",
        "b64",
        2,
        "cvt.u32.u64 %r1, %b;\n    shl.b64 %d, %a, %r1;".into(),
    ));
    v.push((
        "b64",
        "b64",
        "b64",
        "b64",
        2,
        "cvt.u32.u64 %r1, %b;\n    shr.s64 %d, %a, %r1;".into(),
    ));
    v.push((
        "b64",
        "b64",
        "b64",
        "b64",
        2,
        "cvt.u32.u64 %r1, %b;\n    shr.u64 %d, %a, %r1;".into(),
    ));
    // selp / reinterpretation / predicate logic
    v.push((
        "f64",
        "f64",
        "f64",
        "f64",
        2,
        "setp.lt.f64 %q, %a, %b;\n    selp.f64 %d, %a, %b, %q;".into(),
    ));
    v.push(("f64", "f64", "u64", "u64", 1, "mov.b64 %d, %a;".into()));
    v.push(("u64", "u64", "f64", "f64", 1, "mov.b64 %d, %a;".into()));
    v.push((
        "s32",
        "s32",
        "u32",
        "u32",
        2,
        "setp.lt.s32 %q, %a, 0;\n    setp.gt.s32 %q2, %b, 0;\n    and.pred %q, %q, %q2;\n    not.pred %q2, %q;\n    or.pred %q2, %q2, %q;\n    xor.pred %q, %q, %q2;\n    selp.u32 %d, 1, 0, %q;".into(),
    ));
    v.push((
        "f64",
        "f64",
        "u32",
        "u32",
        2,
        "setp.gt.f64 %q|%q2, %a, %b;\n    selp.u32 %d, 1, 0, %q2;".into(),
    ));
    v.push((
        "f64",
        "f64",
        "u32",
        "u32",
        2,
        "setp.num.f64 %q2, %a, %a;\n    setp.lt.and.f64 %q, %a, %b, %q2;\n    selp.u32 %d, 1, 0, %q;".into(),
    ));
    v
}

/// The kernel for a given body (looked up in [`op_specs`]).
pub fn op_src(body: &str) -> (String, &'static str, &'static str, u32) {
    for (it, ir, ot, or, ar, b) in op_specs() {
        if b == body {
            return (op_kernel(it, ir, ot, or, ar, &b), it, ot, ar);
        }
    }
    panic!("body `{body}` is not listed in op_specs()");
}

/// Runs the op-kernel registered for `body` over `inputs`.
pub fn op(body: &str, inputs: &[u64]) -> Vec<u64> {
    let (src, it, ot, ar) = op_src(body);
    run_op(&src, it, ot, ar as usize, inputs)
}

pub const AXPY: &str = r#"
.visible .entry axpy(
    .param .u64 axpy_x,
    .param .u64 axpy_y,
    .param .f64 axpy_a,
    .param .u32 axpy_n
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<6>;
    .reg .b64 %rd<8>;
    .reg .f64 %fd<5>;

    ld.param.u64 %rd1, [axpy_x];
    ld.param.u64 %rd2, [axpy_y];
    ld.param.f64 %fd1, [axpy_a];
    ld.param.u32 %r1, [axpy_n];
    mov.u32 %r2, %ctaid.x;
    mov.u32 %r3, %ntid.x;
    mov.u32 %r4, %tid.x;
    mad.lo.s32 %r5, %r2, %r3, %r4;
    setp.ge.u32 %p1, %r5, %r1;
    @%p1 bra $L__done;
    cvta.to.global.u64 %rd3, %rd1;
    cvta.to.global.u64 %rd4, %rd2;
    mul.wide.u32 %rd5, %r5, 8;
    add.s64 %rd6, %rd3, %rd5;
    add.s64 %rd7, %rd4, %rd5;
    ld.global.nc.f64 %fd2, [%rd6];
    ld.global.f64 %fd3, [%rd7];
    fma.rn.f64 %fd4, %fd1, %fd2, %fd3;
    st.global.f64 [%rd7], %fd4;
$L__done:
    ret;
}
"#;

/// Local array: a[k] = x * (k+1) for k < 8, then out = sum a[7-k] * 2^-k (Horner-like), via ld/st.local.
pub const LOCAL_LOOP: &str = r#"
.visible .entry local_loop(
    .param .u64 ll_x,
    .param .u64 ll_out
)
{
    .local .align 8 .b8 __local_depot0[64];
    .reg .pred %p<3>;
    .reg .b32 %r<4>;
    .reg .b64 %rd<10>;
    .reg .f64 %fd<8>;

    mov.u64 %rd9, __local_depot0;
    ld.param.u64 %rd1, [ll_x];
    ld.param.u64 %rd2, [ll_out];
    mov.u32 %r1, %tid.x;
    mul.wide.u32 %rd3, %r1, 8;
    add.s64 %rd4, %rd1, %rd3;
    ld.global.f64 %fd1, [%rd4];
    mov.u32 %r2, 0;
    mov.u64 %rd5, %rd9;
$L__fill:
    add.s32 %r3, %r2, 1;
    cvt.rn.f64.s32 %fd2, %r3;
    mul.rn.f64 %fd3, %fd1, %fd2;
    st.local.f64 [%rd5], %fd3;
    add.s64 %rd5, %rd5, 8;
    mov.u32 %r2, %r3;
    setp.lt.s32 %p1, %r2, 8;
    @%p1 bra $L__fill;
    mov.f64 %fd4, 0d0000000000000000;
    mov.u32 %r2, 7;
$L__sum:
    mul.wide.s32 %rd6, %r2, 8;
    add.s64 %rd7, %rd9, %rd6;
    ld.local.f64 %fd5, [%rd7];
    fma.rn.f64 %fd4, %fd4, 0d3FE0000000000000, %fd5;
    sub.s32 %r2, %r2, 1;
    setp.ge.s32 %p2, %r2, 0;
    @%p2 bra $L__sum;
    ld.local.f64 %fd6, [__local_depot0+8];
    add.rn.f64 %fd4, %fd4, %fd6;
    add.s64 %rd8, %rd2, %rd3;
    st.global.f64 [%rd8], %fd4;
    ret;
}
"#;

/// Device function calls with the standard ABI, defined after use via a prototype.
pub const CALLS: &str = r#"
.func  (.param .b64 func_retval0) hypot_fma(
    .param .b64 hypot_fma_param_0,
    .param .b64 hypot_fma_param_1
);

.visible .func store_twice(
    .param .b64 store_twice_param_0,
    .param .b64 store_twice_param_1
)
{
    .reg .b64 %rd<3>;
    .reg .f64 %fd<3>;
    ld.param.u64 %rd1, [store_twice_param_0];
    ld.param.f64 %fd1, [store_twice_param_1];
    add.rn.f64 %fd2, %fd1, %fd1;
    st.global.f64 [%rd1], %fd2;
    ret;
}

.visible .entry calls(
    .param .u64 calls_in,
    .param .u64 calls_out,
    .param .u64 calls_out2
)
{
    .reg .b32 %r<2>;
    .reg .b64 %rd<8>;
    .reg .f64 %fd<5>;

    ld.param.u64 %rd1, [calls_in];
    ld.param.u64 %rd2, [calls_out];
    ld.param.u64 %rd3, [calls_out2];
    mov.u32 %r1, %tid.x;
    mul.wide.u32 %rd4, %r1, 16;
    add.s64 %rd5, %rd1, %rd4;
    ld.global.f64 %fd1, [%rd5];
    ld.global.f64 %fd2, [%rd5+8];
    {
    .reg .b32 temp_param_reg;
    .param .b64 param0;
    st.param.f64 [param0+0], %fd1;
    .param .b64 param1;
    st.param.f64 [param1+0], %fd2;
    .param .b64 retval0;
    call.uni (retval0),
    hypot_fma,
    (
    param0,
    param1
    );
    ld.param.f64 %fd3, [retval0+0];
    }
    mul.wide.u32 %rd6, %r1, 8;
    add.s64 %rd7, %rd2, %rd6;
    st.global.f64 [%rd7], %fd3;
    add.s64 %rd7, %rd3, %rd6;
    {
    .param .b64 param0;
    st.param.b64 [param0+0], %rd7;
    .param .b64 param1;
    st.param.f64 [param1+0], %fd3;
    call.uni store_twice, (param0, param1);
    }
    ret;
}

.func  (.param .b64 func_retval0) hypot_fma(
    .param .b64 hypot_fma_param_0,
    .param .b64 hypot_fma_param_1
)
{
    .reg .f64 %fd<6>;
    ld.param.f64 %fd1, [hypot_fma_param_0];
    ld.param.f64 %fd2, [hypot_fma_param_1];
    mul.rn.f64 %fd3, %fd2, %fd2;
    fma.rn.f64 %fd4, %fd1, %fd1, %fd3;
    sqrt.rn.f64 %fd5, %fd4;
    st.param.f64 [func_retval0+0], %fd5;
    ret;
}
"#;

/// Records the smallest "faulting" item (i % 7 == 3) with atom.min, counts them with
/// atom.add, and exercises cas/exch/max/and/or.
pub const ATOMICS: &str = r#"
.visible .entry atomics(
    .param .u64 at_flags,
    .param .u32 at_n
)
{
    .reg .pred %p<3>;
    .reg .b32 %r<16>;
    .reg .b64 %rd<4>;
    .reg .b64 %rl<3>;

    ld.param.u64 %rd1, [at_flags];
    ld.param.u32 %r1, [at_n];
    mov.u32 %r2, %ctaid.x;
    mov.u32 %r3, %ntid.x;
    mov.u32 %r4, %tid.x;
    mad.lo.s32 %r5, %r2, %r3, %r4;
    setp.ge.u32 %p1, %r5, %r1;
    @%p1 bra $L__end;
    rem.u32 %r6, %r5, 7;
    setp.ne.u32 %p2, %r6, 3;
    @%p2 bra $L__end;
    atom.global.min.s32 %r7, [%rd1], %r5;
    atom.global.add.u32 %r8, [%rd1+4], 1;
    atom.global.max.u32 %r9, [%rd1+8], %r5;
    atom.global.or.b32 %r10, [%rd1+12], 1;
    atom.global.cas.b32 %r11, [%rd1+16], 0, %r5;
    atom.global.exch.b32 %r12, [%rd1+20], 42;
    atom.global.and.b32 %r13, [%rd1+24], 6;
    cvt.u64.u32 %rl1, %r5;
    atom.global.add.u64 %rl2, [%rd1+32], %rl1;
    atom.global.min.s64 %rl2, [%rd1+40], %rl1;
$L__end:
    ret;
}
"#;

/// 3-D grid/block special registers: out[linear] = packed coordinates.
pub const SPECIAL: &str = r#"
.visible .entry special(
    .param .u64 sp_out
)
{
    .reg .b32 %r<20>;
    .reg .b64 %rd<5>;

    ld.param.u64 %rd1, [sp_out];
    mov.u32 %r1, %tid.x;
    mov.u32 %r2, %tid.y;
    mov.u32 %r3, %tid.z;
    mov.u32 %r4, %ntid.x;
    mov.u32 %r5, %ntid.y;
    mov.u32 %r6, %ntid.z;
    mov.u32 %r7, %ctaid.x;
    mov.u32 %r8, %ctaid.y;
    mov.u32 %r9, %ctaid.z;
    mov.u32 %r10, %nctaid.x;
    mov.u32 %r11, %nctaid.y;
    // block linear id
    mad.lo.u32 %r12, %r9, %r11, %r8;
    mad.lo.u32 %r12, %r12, %r10, %r7;
    // thread linear id within block
    mad.lo.u32 %r13, %r3, %r5, %r2;
    mad.lo.u32 %r13, %r13, %r4, %r1;
    mul.lo.u32 %r14, %r4, %r5;
    mul.lo.u32 %r14, %r14, %r6;
    mad.lo.u32 %r15, %r12, %r14, %r13;
    // value: tid.x | tid.y<<4 | tid.z<<8 | ctaid.x<<12 | ctaid.y<<16 | ctaid.z<<20
    shl.b32 %r16, %r2, 4;
    or.b32 %r16, %r16, %r1;
    shl.b32 %r17, %r3, 8;
    or.b32 %r16, %r16, %r17;
    shl.b32 %r17, %r7, 12;
    or.b32 %r16, %r16, %r17;
    shl.b32 %r17, %r8, 16;
    or.b32 %r16, %r16, %r17;
    shl.b32 %r17, %r9, 20;
    or.b32 %r16, %r16, %r17;
    mul.wide.u32 %rd2, %r15, 4;
    add.s64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r16;
    exit;
}
"#;

/// Immediates in all forms, generic addressing via cvta.local, 16-bit registers, byte params.
pub const MISC: &str = r#"
.visible .entry misc(
    .param .u64 misc_out,
    .param .b8 misc_flag
)
{
    .local .align 4 .b8 __local_depot1[8];
    .reg .pred %p<2>;
    .reg .b16 %rs<4>;
    .reg .b32 %r<8>;
    .reg .b64 %rd<8>;
    .reg .f32 %f<3>;
    .reg .f64 %fd<3>;

    ld.param.u64 %rd1, [misc_out];
    ld.param.u8 %rs1, [misc_flag];
    mov.b64 %rd2, 0xFFFFFFFFFFFFFFFF;
    st.global.u64 [%rd1], %rd2;
    mov.u32 %r1, -7;
    st.global.u32 [%rd1+8], %r1;
    mov.f64 %fd1, 0d400921FB54442D18;
    st.global.f64 [%rd1+16], %fd1;
    mov.f32 %f1, 0f3F800000;
    add.rn.f32 %f2, %f1, 0f40000000;
    st.global.f32 [%rd1+24], %f2;
    cvt.u32.u16 %r2, %rs1;
    st.global.u32 [%rd1+28], %r2;
    // generic store/load through a cvta'd local address
    mov.u64 %rd3, __local_depot1;
    cvta.local.u64 %rd4, %rd3;
    st.u32 [%rd4+4], %r1;
    ld.u32 %r3, [%rd4+4];
    cvta.to.local.u64 %rd5, %rd4;
    ld.local.u32 %r4, [%rd5+4];
    add.s32 %r5, %r3, %r4;
    st.global.u32 [%rd1+32], %r5;
    // 16-bit arithmetic
    add.u16 %rs2, %rs1, 0x00FF;
    cvt.u32.u16 %r6, %rs2;
    st.global.u32 [%rd1+36], %r6;
    // st/ld of narrow widths
    st.global.u8 [%rd1+40], %r1;
    ld.global.s8 %r7, [%rd1+40];
    st.global.u32 [%rd1+44], %r7;
    mov.f64 %fd2, -0d3FF0000000000000;
    st.global.f64 [%rd1+48], %fd2;
    ret;
}
"#;

/// Loop used for the throughput measurement: `n` iterations of 5 instructions.
pub const BENCH: &str = r#"
.visible .entry bench(
    .param .u64 b_out,
    .param .u32 b_n
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<4>;
    .reg .b64 %rd<2>;
    .reg .f64 %fd<4>;

    ld.param.u64 %rd1, [b_out];
    ld.param.u32 %r1, [b_n];
    mov.u32 %r2, 0;
    mov.f64 %fd1, 0d0000000000000000;
    mov.f64 %fd2, 0d3FF0000000000000;
$L__loop:
    fma.rn.f64 %fd1, %fd1, 0d3FEFFFFFFFFFFFFF, %fd2;
    add.rn.f64 %fd2, %fd2, 0d3CB0000000000000;
    add.s32 %r2, %r2, 1;
    setp.lt.u32 %p1, %r2, %r1;
    @%p1 bra $L__loop;
    st.global.f64 [%rd1], %fd1;
    ret;
}
"#;

/// Complete named programs (with header) that must assemble with ptxas.
pub fn all_programs() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("axpy", AXPY),
        ("local_loop", LOCAL_LOOP),
        ("calls", CALLS),
        ("atomics", ATOMICS),
        ("special", SPECIAL),
        ("misc", MISC),
        ("bench", BENCH),
    ]
    .iter()
    .map(|(n, s)| (n.to_string(), format!("{HEADER}{s}")))
    .collect();
    for (i, (it, ir, ot, or, ar, b)) in op_specs().into_iter().enumerate() {
        v.push((
            format!("op{i}: {}", b.replace('\n', " ")),
            op_kernel(it, ir, ot, or, ar, &b),
        ));
    }
    v.extend(
        FAULTS
            .iter()
            .map(|(n, s)| (n.to_string(), format!("{HEADER}{s}"))),
    );
    v
}

/// Valid PTX programs that must fault at run time: (name, body without header).
/// Each takes `(.param .u64 f_p, .param .u32 f_n)`.
pub const FAULTS: &[(&str, &str)] = &[
    (
        "uninit_reg",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<4>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    add.s32 %r2, %r1, 1;
    st.global.u32 [%rd1], %r2;
    ret;
}
"#,
    ),
    (
        "misaligned",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b64 %rd<2>;
    .reg .f64 %fd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.global.f64 %fd1, [%rd1+4];
    st.global.f64 [%rd1], %fd1;
    ret;
}
"#,
    ),
    (
        "oob",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<3>;
    .reg .b64 %rd<4>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    mul.wide.u32 %rd2, %r1, 4;
    add.s64 %rd3, %rd1, %rd2;
    ld.global.u32 %r2, [%rd3];
    st.global.u32 [%rd1], %r2;
    ret;
}
"#,
    ),
    (
        "global_ptr_as_local",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<2>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.local.u32 %r1, [%rd1];
    ret;
}
"#,
    ),
    (
        "local_ptr_as_global",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .local .align 4 .b8 __local_depot0[16];
    .reg .b32 %r<2>;
    .reg .b64 %rd<2>;
    mov.u64 %rd1, __local_depot0;
    mov.u32 %r1, 5;
    st.global.u32 [%rd1], %r1;
    ret;
}
"#,
    ),
    (
        "local_oob",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .local .align 4 .b8 __local_depot0[16];
    .reg .b32 %r<2>;
    .reg .b64 %rd<2>;
    mov.u64 %rd1, __local_depot0;
    mov.u32 %r1, 5;
    st.local.u32 [%rd1+16], %r1;
    ret;
}
"#,
    ),
    (
        "uninit_local",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .local .align 8 .b8 __local_depot0[16];
    .reg .b64 %rd<3>;
    .reg .f64 %fd<2>;
    ld.param.u64 %rd1, [f_p];
    mov.u64 %rd2, __local_depot0;
    ld.local.f64 %fd1, [%rd2+8];
    st.global.f64 [%rd1], %fd1;
    ret;
}
"#,
    ),
    (
        "infinite_loop",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<2>;
    mov.u32 %r1, 0;
$L__spin:
    add.s32 %r1, %r1, 1;
    bra.uni $L__spin;
}
"#,
    ),
    (
        "div_zero",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<3>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    div.u32 %r2, 100, %r1;
    st.global.u32 [%rd1], %r2;
    ret;
}
"#,
    ),
    (
        "fall_off_func",
        r#"
.func (.param .b32 g_ret) g(.param .b32 g_a)
{
    .reg .b32 %r<2>;
    ld.param.u32 %r1, [g_a];
    st.param.b32 [g_ret], %r1;
}

.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<3>;
    ld.param.u32 %r1, [f_n];
    {
    .param .b32 param0;
    st.param.b32 [param0], %r1;
    .param .b32 retval0;
    call.uni (retval0), g, (param0);
    ld.param.b32 %r2, [retval0];
    }
    ret;
}
"#,
    ),
    (
        "missing_return_value",
        r#"
.func (.param .b32 g_ret) g(.param .b32 g_a)
{
    ret;
}

.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<3>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    {
    .param .b32 param0;
    st.param.b32 [param0], %r1;
    .param .b32 retval0;
    call.uni (retval0), g, (param0);
    ld.param.b32 %r2, [retval0];
    }
    st.global.u32 [%rd1], %r2;
    ret;
}
"#,
    ),
    (
        // %r2 is written on one path only: the read after the join faults on the other.
        "uninit_on_one_path",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .pred %p<2>;
    .reg .b32 %r<5>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    setp.eq.u32 %p1, %r1, 0;
    @%p1 bra $L__join;
    mov.b32 %r2, 7;
$L__join:
    mov.b32 %r3, %r2;
    add.s32 %r4, %r3, 1;
    st.global.u32 [%rd1], %r4;
    ret;
}
"#,
    ),
    (
        // %r3 is carried from one iteration to the next; the iteration `i == n` skips its
        // read, so only n == 0 never reads it unwritten.
        "uninit_in_loop",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .pred %p<2>;
    .reg .b32 %r<6>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    mov.b32 %r2, 0;
$L__loop:
    setp.eq.u32 %p1, %r2, %r1;
    @%p1 bra $L__first;
    add.s32 %r5, %r3, 1;
    st.global.u32 [%rd1], %r5;
$L__first:
    mov.b32 %r3, %r2;
    add.s32 %r2, %r2, 1;
    setp.lt.u32 %p1, %r2, 3;
    @%p1 bra $L__loop;
    ret;
}
"#,
    ),
    (
        // The guard %p2 is written only when n != 0.
        "uninit_guard",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .pred %p<3>;
    .reg .b32 %r<3>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    setp.eq.u32 %p1, %r1, 0;
    @%p1 bra $L__join;
    setp.eq.u32 %p2, %r1, 1;
$L__join:
    @%p2 st.global.u32 [%rd1], %r1;
    ret;
}
"#,
    ),
    (
        // Straight-line copies (which the emulator may fold into the next instruction).
        "copies",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<7>;
    .reg .b64 %rd<2>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    mov.b32 %r2, %r1;
    mov.b32 %r3, %r2;
    add.s32 %r4, %r3, 1;
    mov.b32 %r5, %r4;
    mov.b32 %r6, %r5;
    st.global.u32 [%rd1], %r6;
    ret;
}
"#,
    ),
    (
        // Adjacent instructions the emulator may fuse (two loads, a setp and its branch),
        // one with a copy folded in front of it.
        "fused",
        r#"
.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .pred %p<2>;
    .reg .b32 %r<4>;
    .reg .b64 %rd<3>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u64 %rd2, [f_p];
    ld.param.u32 %r1, [f_n];
    mov.b32 %r2, %r1;
    setp.eq.u32 %p1, %r2, 0;
    @%p1 bra $L__end;
    add.s32 %r3, %r2, 1;
    st.global.u32 [%rd2], %r3;
$L__end:
    ret;
}
"#,
    ),
    (
        // Two consecutive loads of the return buffer; its second word is never written.
        "uninit_ret_second",
        r#"
.func (.param .align 8 .b8 g_ret[16]) g(.param .b64 g_a)
{
    .reg .b64 %rd<2>;
    ld.param.b64 %rd1, [g_a];
    st.param.b64 [g_ret+0], %rd1;
    ret;
}

.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<2>;
    .reg .b64 %rd<5>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    cvt.u64.u32 %rd2, %r1;
    {
    .param .b64 param0;
    st.param.b64 [param0], %rd2;
    .param .align 8 .b8 retval0[16];
    call.uni (retval0), g, (param0);
    ld.param.b64 %rd3, [retval0+0];
    ld.param.b64 %rd4, [retval0+8];
    }
    st.global.u64 [%rd1], %rd3;
    ret;
}
"#,
    ),
    (
        "uninit_ret_first",
        r#"
.func (.param .align 8 .b8 g_ret[16]) g(.param .b64 g_a)
{
    .reg .b64 %rd<2>;
    ld.param.b64 %rd1, [g_a];
    st.param.b64 [g_ret+0], %rd1;
    ret;
}

.visible .entry f(.param .u64 f_p, .param .u32 f_n)
{
    .reg .b32 %r<2>;
    .reg .b64 %rd<5>;
    ld.param.u64 %rd1, [f_p];
    ld.param.u32 %r1, [f_n];
    cvt.u64.u32 %rd2, %r1;
    {
    .param .b64 param0;
    st.param.b64 [param0], %rd2;
    .param .align 8 .b8 retval0[16];
    call.uni (retval0), g, (param0);
    ld.param.b64 %rd4, [retval0+8];
    ld.param.b64 %rd3, [retval0+0];
    }
    st.global.u64 [%rd1], %rd3;
    ret;
}
"#,
    ),
];

/// Runs fault program `name` with a 16-byte buffer and `n`.
pub fn run_fault(name: &str, n: u32, step_limit: u64) -> Result<(), osipy_kernels::emulator::Error> {
    run_fault_stats(name, n, step_limit).map(|_| ())
}

/// Runs fault program `name` with a 16-byte buffer and `n`; returns the launch statistics
/// and the buffer's first `u32`.
pub fn run_fault_stats(
    name: &str,
    n: u32,
    step_limit: u64,
) -> Result<(osipy_kernels::emulator::LaunchStats, u32), osipy_kernels::emulator::Error> {
    let src = FAULTS.iter().find(|(k, _)| *k == name).expect("fault program").1;
    let m = Module::parse(&format!("{HEADER}{src}"))?.with_step_limit(step_limit);
    let mut mem = GlobalMemory::new();
    let p = mem.alloc(16, 8)?;
    let stats = m.launch(
        "f",
        LaunchConfig::linear(1, 1),
        &[Param::U64(p), Param::U32(n)],
        &mut mem,
    )?;
    Ok((stats, mem.read_u32s(p, 1)?[0]))
}
