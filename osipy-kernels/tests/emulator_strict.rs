//! Every strictness rule is reported as a typed error (never a panic).

mod common;

use common::*;
use osipy_kernels::emulator::{
    Error, ExecErrorKind, GlobalMemory, LaunchConfig, MemError, Module, Param, Space,
};

fn exec_kind(r: Result<(), Error>) -> (u32, String, ExecErrorKind) {
    match r {
        Err(Error::Exec { line, text, kind, .. }) => (line, text, kind),
        other => panic!("expected an execution error, got {other:?}"),
    }
}

#[test]
fn unwritten_register_read() {
    let (line, text, kind) = exec_kind(run_fault("uninit_reg", 1, 1000));
    assert_eq!(kind, ExecErrorKind::UninitRegister("%r1".into()));
    assert_eq!(text, "add.s32 %r2, %r1, 1;");
    assert_eq!(line, 11);
}

#[test]
fn misaligned_access() {
    let (_, text, kind) = exec_kind(run_fault("misaligned", 1, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::Misaligned {
                space: Space::Global,
                size: 8,
                ..
            })
        ),
        "{kind:?}"
    );
    assert!(text.starts_with("ld.global.f64"));
}

#[test]
fn out_of_bounds_global() {
    // 16-byte buffer: index 3 is the last valid u32, index 4 is out of bounds
    run_fault("oob", 3, 1000).unwrap();
    let (_, _, kind) = exec_kind(run_fault("oob", 4, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::OutOfBounds {
                space: Space::Global,
                size: 4,
                ..
            })
        ),
        "{kind:?}"
    );
    // far beyond: lands in a guard gap / unallocated region, still OOB
    let (_, _, kind) = exec_kind(run_fault("oob", 100_000, 1000));
    assert!(
        matches!(kind, ExecErrorKind::Memory(MemError::OutOfBounds { .. })),
        "{kind:?}"
    );
}

#[test]
fn axpy_without_enough_memory_is_oob() {
    let m = Module::parse(&format!("{HEADER}{AXPY}")).unwrap();
    let mut mem = GlobalMemory::new();
    let x = mem.alloc(999 * 8, 8).unwrap();
    let y = mem.alloc(1000 * 8, 8).unwrap();
    let e = m
        .launch(
            "axpy",
            LaunchConfig::linear(4, 256),
            &[Param::U64(x), Param::U64(y), Param::F64(1.0), Param::U32(1000)],
            &mut mem,
        )
        .unwrap_err();
    match e {
        Error::Exec {
            thread,
            block,
            kind: ExecErrorKind::Memory(MemError::OutOfBounds { .. }),
            ..
        } => {
            assert_eq!((block.0 * 256 + thread.0), 999);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_state_space() {
    let (_, _, kind) = exec_kind(run_fault("global_ptr_as_local", 1, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::WrongSpace {
                expected: Space::Local,
                ..
            })
        ),
        "{kind:?}"
    );
    let (_, _, kind) = exec_kind(run_fault("local_ptr_as_global", 1, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::WrongSpace {
                expected: Space::Global,
                ..
            })
        ),
        "{kind:?}"
    );
}

#[test]
fn local_out_of_bounds_and_uninitialized() {
    let (_, _, kind) = exec_kind(run_fault("local_oob", 1, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::OutOfBounds {
                space: Space::Local,
                ..
            })
        ),
        "{kind:?}"
    );
    let (_, _, kind) = exec_kind(run_fault("uninit_local", 1, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::Uninit {
                space: Space::Local,
                ..
            })
        ),
        "{kind:?}"
    );
}

#[test]
fn step_limit() {
    let (_, text, kind) = exec_kind(run_fault("infinite_loop", 1, 10_000));
    assert_eq!(kind, ExecErrorKind::StepLimit(10_000));
    assert!(text.contains("$L__spin") || text.starts_with("add.s32"), "{text}");
}

#[test]
fn division_by_zero() {
    run_fault("div_zero", 3, 1000).unwrap();
    let (_, _, kind) = exec_kind(run_fault("div_zero", 0, 1000));
    assert_eq!(kind, ExecErrorKind::DivisionByZero);
}

#[test]
fn falling_off_a_func_and_missing_return_value() {
    let (_, _, kind) = exec_kind(run_fault("fall_off_func", 1, 1000));
    assert_eq!(kind, ExecErrorKind::FellOffFunction("g".into()));
    let (_, text, kind) = exec_kind(run_fault("missing_return_value", 1, 1000));
    assert!(
        matches!(
            kind,
            ExecErrorKind::Memory(MemError::Uninit {
                space: Space::Param,
                ..
            })
        ),
        "{kind:?}"
    );
    assert!(text.starts_with("ld.param.b32 %r2, [retval0]"));
}

fn validate_err(body: &str) -> (u32, String, String) {
    let src = format!(
        "{HEADER}.visible .entry k(.param .u64 k_p)\n{{\n    .reg .pred %p<2>;\n    .reg .b32 %r<4>;\n    .reg .b64 %rd<4>;\n    .reg .f64 %fd<4>;\n    .reg .f32 %f<4>;\n{body}\n    ret;\n}}\n"
    );
    match Module::parse(&src) {
        Err(Error::Validate { line, text, msg }) => (line, text, msg),
        other => panic!("expected a validation error for `{body}`, got {other:?}"),
    }
}

#[test]
fn unknown_instruction_is_named_with_line() {
    let (line, text, msg) = validate_err("    frobnicate.b32 %r1, %r2;");
    assert_eq!(line, 12);
    assert_eq!(text, "frobnicate.b32 %r1, %r2;");
    assert!(msg.contains("frobnicate"), "{msg}");
    let (_, _, msg) = validate_err("    add.sat.s32 %r1, %r2, %r3;");
    assert!(msg.contains("sat"), "{msg}");
    let (_, _, msg) = validate_err("    div.approx.f32 %f1, %f2, %f3;");
    assert!(msg.contains("approx"), "{msg}");
}

#[test]
fn register_type_mismatches() {
    // .f64 op on .b32 registers
    let (_, _, msg) = validate_err("    add.f64 %fd1, %r1, %r2;");
    assert!(msg.contains("%r1"), "{msg}");
    // float op on an integer-typed 64-bit register is not allowed, bit-typed is
    let (_, _, msg) = validate_err("    .reg .u64 %u<2>;\n    mov.f64 %fd1, %u1;");
    assert!(msg.contains("not compatible"), "{msg}");
    // 32-bit register in a 64-bit op
    let (_, _, msg) = validate_err("    add.s64 %rd1, %rd2, %r1;");
    assert!(msg.contains("%r1"), "{msg}");
    // predicate misuse
    let (_, _, msg) = validate_err("    add.s32 %r1, %p1, 1;");
    assert!(msg.contains("%p1"), "{msg}");
    // address register must be 64-bit
    let (_, _, msg) = validate_err("    ld.global.u32 %r1, [%r2];");
    assert!(msg.contains("64-bit"), "{msg}");
    // f64 immediate in an f32 op
    let (_, _, msg) = validate_err("    add.f32 %f1, %f2, 0d3FF0000000000000;");
    assert!(msg.contains("immediate"), "{msg}");
    // immediate out of range
    let (_, _, msg) = validate_err("    mov.u32 %r1, 0x100000000;");
    assert!(msg.contains("does not fit"), "{msg}");
    // bit-size compatible uses are accepted
    let src = format!(
        "{HEADER}.visible .entry k()\n{{\n    .reg .b64 %rd<3>;\n    .reg .f64 %fd<3>;\n    .reg .s64 %s<2>;\n    mov.f64 %fd1, 0d3FF0000000000000;\n    mov.b64 %rd1, %fd1;\n    add.s64 %rd2, %rd1, 1;\n    add.u64 %s1, %rd2, %rd1;\n    add.f64 %fd2, %rd1, %fd1;\n    ret;\n}}\n"
    );
    Module::parse(&src).unwrap();
}

#[test]
fn undeclared_names_and_bad_calls() {
    let (_, _, msg) = validate_err("    mov.u32 %r9, 1;");
    assert!(msg.contains("%r9"), "{msg}");
    let (_, _, msg) = validate_err("    bra $L__nowhere;");
    assert!(msg.contains("$L__nowhere"), "{msg}");
    let (_, _, msg) = validate_err("    {\n    .param .b64 param0;\n    st.param.b64 [param0], %rd1;\n    call.uni nope, (param0);\n    }");
    assert!(msg.contains("unknown function `nope`"), "{msg}");
    let (_, _, msg) = validate_err("    setp.lo.f64 %p1, %fd1, %fd2;");
    assert!(msg.contains("lo"), "{msg}");
    // wrong parameter count / size
    let f = ".func (.param .b64 r) g(.param .b64 a)\n{\n    .reg .b64 %x;\n    ld.param.b64 %x, [a];\n    st.param.b64 [r], %x;\n    ret;\n}\n";
    let call2 = "{\n    .param .b64 p0;\n    .param .b64 p1;\n    .param .b64 rv;\n    st.param.b64 [p0], %rd1;\n    st.param.b64 [p1], %rd1;\n    call.uni (rv), g, (p0, p1);\n    }";
    let src = format!("{HEADER}{f}.visible .entry k()\n{{\n    .reg .b64 %rd<2>;\n    mov.u64 %rd1, 0;\n    {call2}\n    ret;\n}}\n");
    let e = Module::parse(&src).unwrap_err();
    assert!(e.to_string().contains("takes 1 parameters, 2 given"), "{e}");
    let call32 = "{\n    .param .b32 p0;\n    .param .b64 rv;\n    call.uni (rv), g, (p0);\n    }";
    let src = format!("{HEADER}{f}.visible .entry k()\n{{\n    {call32}\n    ret;\n}}\n");
    let e = Module::parse(&src).unwrap_err();
    assert!(e.to_string().contains("4 bytes"), "{e}");
}

#[test]
fn parse_errors_carry_lines() {
    match Module::parse(&format!(
        "{HEADER}.visible .entry k()\n{{\n    mov.u32 %r1 1;\n}}\n"
    )) {
        Err(Error::Parse { line, .. }) => assert_eq!(line, 7),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Module::parse("/* unterminated"),
        Err(Error::Parse { .. })
    ));
}

#[test]
fn launch_parameter_checks() {
    let m = Module::parse(&format!("{HEADER}{AXPY}")).unwrap();
    let mut mem = GlobalMemory::new();
    let e = m
        .launch("axpy", LaunchConfig::linear(1, 1), &[Param::U64(0)], &mut mem)
        .unwrap_err();
    assert!(matches!(e, Error::Launch(_)));
    let e = m
        .launch(
            "axpy",
            LaunchConfig::linear(1, 1),
            &[Param::U64(0), Param::U64(0), Param::U64(0), Param::U32(0)],
            &mut mem,
        )
        .unwrap_err();
    assert!(e.to_string().contains("parameter 2"), "{e}");
    let e = m
        .launch("nope", LaunchConfig::linear(1, 1), &[], &mut mem)
        .unwrap_err();
    assert!(matches!(e, Error::Launch(_)));
    // a null pointer is not in any space
    let e = m
        .launch(
            "axpy",
            LaunchConfig::linear(1, 1),
            &[Param::U64(0), Param::U64(0), Param::F64(1.0), Param::U32(1)],
            &mut mem,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Exec {
                kind: ExecErrorKind::Memory(MemError::WrongSpace { .. }),
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn host_memory_api_checks() {
    let mut mem = GlobalMemory::new();
    let a = mem.alloc(16, 8).unwrap();
    assert!(mem.write(a + 8, &[0; 9]).is_err());
    assert!(mem.alloc(8, 3).is_err());
    mem.write_f64s(a, &[1.0, 2.0]).unwrap();
    assert_eq!(mem.read_f64s(a, 2).unwrap(), vec![1.0, 2.0]);
    mem.free(a).unwrap();
    assert!(mem.read_f64s(a, 1).is_err(), "use after free is out of bounds");
}

#[test]
fn unwritten_on_one_path_only() {
    assert_eq!(run_fault_stats("uninit_on_one_path", 1, 1000).unwrap().1, 8);
    let (_, text, kind) = exec_kind(run_fault("uninit_on_one_path", 0, 1000));
    assert_eq!(kind, ExecErrorKind::UninitRegister("%r2".into()));
    assert_eq!(text, "mov.b32 %r3, %r2;");
}

#[test]
fn unwritten_in_a_loop_iteration() {
    // n == 0: every read follows a write; the last one reads 1.
    assert_eq!(run_fault_stats("uninit_in_loop", 0, 1000).unwrap().1, 2);
    for n in [1, 2] {
        let (_, text, kind) = exec_kind(run_fault("uninit_in_loop", n, 1000));
        if n == 1 {
            assert_eq!(kind, ExecErrorKind::UninitRegister("%r3".into()));
            assert_eq!(text, "add.s32 %r5, %r3, 1;");
        } else {
            assert_eq!(kind, ExecErrorKind::UninitRegister("%r3".into()), "n = {n}");
        }
    }
}

#[test]
fn unwritten_guard_predicate() {
    assert_eq!(run_fault_stats("uninit_guard", 1, 1000).unwrap().1, 1);
    assert_eq!(run_fault_stats("uninit_guard", 2, 1000).unwrap().1, 0);
    let (_, text, kind) = exec_kind(run_fault("uninit_guard", 0, 1000));
    assert_eq!(kind, ExecErrorKind::UninitRegister("%p2".into()));
    assert_eq!(text, "@%p2 st.global.u32 [%rd1], %r1;");
}

#[test]
fn every_instruction_counts_and_the_step_limit_is_exact() {
    let (stats, v) = run_fault_stats("copies", 41, 1000).unwrap();
    assert_eq!(v, 42);
    assert_eq!(stats.instructions, 9);
    let texts = [
        "ld.param.u64 %rd1, [f_p];",
        "ld.param.u32 %r1, [f_n];",
        "mov.b32 %r2, %r1;",
        "mov.b32 %r3, %r2;",
        "add.s32 %r4, %r3, 1;",
        "mov.b32 %r5, %r4;",
        "mov.b32 %r6, %r5;",
        "st.global.u32 [%rd1], %r6;",
        "ret;",
    ];
    for limit in 0..9u64 {
        let (_, text, kind) = exec_kind(run_fault("copies", 41, limit));
        assert_eq!(kind, ExecErrorKind::StepLimit(limit));
        assert_eq!(text, texts[limit as usize], "limit {limit}");
    }
    run_fault("copies", 41, 9).unwrap();

    let (stats, v) = run_fault_stats("fused", 41, 1000).unwrap();
    assert_eq!((stats.instructions, v), (9, 42));
    assert_eq!(run_fault_stats("fused", 0, 1000).unwrap().0.instructions, 7);
    let texts = [
        "ld.param.u64 %rd1, [f_p];",
        "ld.param.u64 %rd2, [f_p];",
        "ld.param.u32 %r1, [f_n];",
        "mov.b32 %r2, %r1;",
        "setp.eq.u32 %p1, %r2, 0;",
        "@%p1 bra $L__end;",
        "add.s32 %r3, %r2, 1;",
        "st.global.u32 [%rd2], %r3;",
        "ret;",
    ];
    for limit in 0..9u64 {
        let (_, text, kind) = exec_kind(run_fault("fused", 41, limit));
        assert_eq!(kind, ExecErrorKind::StepLimit(limit));
        assert_eq!(text, texts[limit as usize], "limit {limit}");
    }
}

#[test]
fn unwritten_return_words_fault_at_their_own_load() {
    for (name, text) in [
        ("uninit_ret_second", "ld.param.b64 %rd4, [retval0+8];"),
        ("uninit_ret_first", "ld.param.b64 %rd4, [retval0+8];"),
    ] {
        let (_, got, kind) = exec_kind(run_fault(name, 3, 1000));
        assert_eq!(got, text, "{name}");
        assert_eq!(
            kind,
            ExecErrorKind::Memory(MemError::Uninit {
                space: Space::Param,
                addr: 8,
                size: 8
            }),
            "{name}"
        );
    }
}

/// Runs `f` on a rayon pool of `threads` threads.
fn on_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn parallel_launch_matches_the_sequential_one() {
    let m = Module::parse(&format!("{HEADER}{AXPY}")).unwrap();
    let n = 1000usize;
    let x: Vec<f64> = (0..n).map(|i| 0.5 + i as f64).collect();
    let y: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
    let run = |parallel: bool| {
        let mut mem = GlobalMemory::new();
        let xa = mem.alloc(n * 8, 8).unwrap();
        let ya = mem.alloc(n * 8, 8).unwrap();
        mem.write_f64s(xa, &x).unwrap();
        mem.write_f64s(ya, &y).unwrap();
        let args = [
            Param::U64(xa),
            Param::U64(ya),
            Param::F64(0.75),
            Param::U32(n as u32),
        ];
        let cfg = LaunchConfig::linear(8, 128);
        let stats = if parallel {
            m.launch_parallel("axpy", cfg, &args, &mut mem)
        } else {
            m.launch("axpy", cfg, &args, &mut mem)
        }
        .unwrap();
        (stats, mem.read_f64s(ya, n).unwrap())
    };
    let want = run(false);
    for threads in [1, 2, 3, 8] {
        assert_eq!(on_pool(threads, || run(true)), want, "{threads} threads");
    }
}

#[test]
fn parallel_launch_reports_the_first_faulting_thread() {
    let m = Module::parse(&format!("{HEADER}{AXPY}")).unwrap();
    for threads in [1, 2, 3, 8] {
        for missing in [1usize, 500] {
            let e = on_pool(threads, || {
                let mut mem = GlobalMemory::new();
                let x = mem.alloc((1000 - missing) * 8, 8).unwrap();
                let y = mem.alloc(1000 * 8, 8).unwrap();
                m.launch_parallel(
                    "axpy",
                    LaunchConfig::linear(4, 256),
                    &[Param::U64(x), Param::U64(y), Param::F64(1.0), Param::U32(1000)],
                    &mut mem,
                )
                .unwrap_err()
            });
            match e {
                Error::Exec {
                    thread,
                    block,
                    kind: ExecErrorKind::Memory(MemError::OutOfBounds { .. }),
                    ..
                } => assert_eq!(
                    (block.0 * 256 + thread.0) as usize,
                    1000 - missing,
                    "{threads} threads"
                ),
                other => panic!("{other:?}"),
            }
        }
    }
}
