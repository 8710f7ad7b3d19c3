//! Assembles every test program with `ptxas -arch=sm_90` when ptxas is available
//! (via the `PTXAS` environment variable or `PATH`); prints a skip notice otherwise.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn find_ptxas() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PTXAS") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("ptxas"))
        .find(|p| p.is_file())
}

#[test]
fn all_test_programs_assemble_with_ptxas() {
    let Some(ptxas) = find_ptxas() else {
        println!("SKIP: ptxas not found (set PTXAS=/path/to/ptxas)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut failures = Vec::new();
    let programs = common::all_programs();
    for (i, (name, src)) in programs.iter().enumerate() {
        // every program must also be accepted by the emulator
        if let Err(e) = osipy_kernels::emulator::Module::parse(src) {
            failures.push(format!("{name}: emulator rejected: {e}"));
        }
        let file = dir.join(format!("p{i}.ptx"));
        std::fs::write(&file, src).unwrap();
        let out = Command::new(&ptxas)
            .args(["-arch=sm_90", "-o"])
            .arg(dir.join(format!("p{i}.cubin")))
            .arg(&file)
            .output()
            .expect("run ptxas");
        if !out.status.success() {
            failures.push(format!("{name}: {}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    println!(
        "ptxas assembled {}/{} programs",
        programs.len() - failures.len(),
        programs.len()
    );
    assert!(failures.is_empty(), "ptxas failures:\n{}", failures.join("\n"));
}
