//! End to end: the output folder as a transaction. `--out` is checked before any input is
//! read; a second run on the same `--out` fails with exit code 3 while the first runs; and a
//! run killed (SIGKILL) at each stage (`OSIPY_TEST_PAUSE_AT`) leaves either no output, the old
//! one or the new one, never a partial one, and the next run removes what it left.

#![cfg(unix)]

mod common;

use common::{osipy, write_npy, BIN};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NT: usize = 20;

/// A folder with a small concentration series `conc.npy` (2x2x1 voxels x 20 frames).
fn setup() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("osipy-outputs-")
        .tempdir()
        .unwrap();
    let mut data = Vec::new();
    for v in 0..4 {
        for k in 0..NT {
            let t = k as f64 * 5.0;
            let c = if t > 20.0 {
                (0.05 + 0.02 * v as f64) * (1.0 - (-(t - 20.0) / 40.0).exp())
            } else {
                0.0
            };
            data.push(c);
        }
    }
    write_npy(&dir.path().join("conc.npy"), &[2, 2, 1, NT], &data);
    std::fs::create_dir(dir.path().join("res")).unwrap();
    dir
}

fn args<'a>(dir: &'a Path, out: &'a str, model: &'a str, force: bool) -> Vec<String> {
    let mut a: Vec<String> = ["dce", "--input"].iter().map(|s| s.to_string()).collect();
    a.push(dir.join("conc.npy").display().to_string());
    for s in [
        "--out",
        out,
        "--dt",
        "5",
        "--model",
        model,
        "--quiet",
        "--threads",
        "1",
    ] {
        a.push(s.to_string());
    }
    if force {
        a.push("--force".into());
    }
    a
}

/// Starts a run that stops at `stage`, and waits until it is there.
fn paused(dir: &Path, a: &[String], stage: &str) -> Child {
    paused_with(dir, a, stage, &[])
}

/// [`paused`] with more environment variables.
fn paused_with(dir: &Path, a: &[String], stage: &str, env: &[(&str, &str)]) -> Child {
    let marker = dir.join(format!("paused-{stage}"));
    let mut child = Command::new(BIN)
        .args(a)
        .envs(env.iter().copied())
        .env("OSIPY_TEST_PAUSE_AT", stage)
        .env("OSIPY_TEST_PAUSE_MARKER", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before reaching {stage}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{stage}: never reached"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = std::fs::read_to_string(&marker).unwrap();
    assert_eq!(pid, child.id().to_string());
    std::fs::remove_file(&marker).unwrap();
    child
}

/// SIGKILL (`Child::kill` on Unix), then reaps the process.
fn kill(mut child: Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The hidden entries beside `out` whose names start with `prefix`.
fn beside(res: &Path, prefix: &str) -> Vec<PathBuf> {
    names(res)
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .map(|n| res.join(n))
        .collect()
}

fn model_of(out: &Path) -> String {
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    p["settings"]["model"].as_str().unwrap().to_string()
}

fn run_ok(a: &[String]) {
    let r = Command::new(BIN).args(a).output().unwrap();
    assert!(
        r.status.success(),
        "{a:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}

/// The files of a complete two-parameter (tofts, patlak) output.
const COMPLETE: usize = 17;

#[test]
fn an_unusable_out_fails_before_the_input_is_read_and_names_out() {
    let dir = setup();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("out");
    // The input does not exist either: --out is what is reported.
    let r = osipy(&[
        "dce",
        "--input",
        "missing.nii.gz",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "osipy: --out {}: cannot create the parent folder {}:",
            out.display(),
            file.display()
        )),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn killed_after_the_transaction_began_leaves_no_output_and_the_next_run_cleans_up() {
    let dir = setup();
    let res = dir.path().join("res");
    let out = res.join("out");
    let o = out.to_str().unwrap();
    kill(paused(dir.path(), &args(dir.path(), o, "tofts", false), "begun"));
    assert!(!out.exists());
    let tmp = beside(&res, ".out.osipy-tmp-");
    assert_eq!(tmp.len(), 1, "{:?}", names(&res));
    assert!(names(&tmp[0]).is_empty());
    run_ok(&args(dir.path(), o, "tofts", false));
    assert_eq!(names(&res), ["out"]);
    assert_eq!(names(&out).len(), COMPLETE);
}

#[test]
fn killed_while_writing_leaves_partial_files_only_in_the_temporary_folder() {
    let dir = setup();
    let res = dir.path().join("res");
    let out = res.join("out");
    let o = out.to_str().unwrap();
    kill(paused(
        dir.path(),
        &args(dir.path(), o, "tofts", false),
        "writing",
    ));
    assert!(!out.exists());
    let tmp = beside(&res, ".out.osipy-tmp-");
    assert_eq!(tmp.len(), 1, "{:?}", names(&res));
    assert_eq!(names(&tmp[0]), ["ktrans.nii.gz"]);
    run_ok(&args(dir.path(), o, "tofts", false));
    assert_eq!(names(&res), ["out"]);
    assert_eq!(model_of(&out), "tofts");
}

#[test]
fn a_forced_run_killed_before_the_exchange_keeps_the_old_output() {
    let dir = setup();
    let res = dir.path().join("res");
    let out = res.join("out");
    let o = out.to_str().unwrap();
    run_ok(&args(dir.path(), o, "tofts", false));
    kill(paused(
        dir.path(),
        &args(dir.path(), o, "patlak", true),
        "written",
    ));
    assert_eq!(model_of(&out), "tofts");
    assert_eq!(names(&out).len(), COMPLETE);
    // The new output, complete but not committed, is removed by the next run.
    assert_eq!(beside(&res, ".out.osipy-tmp-").len(), 1);
    run_ok(&args(dir.path(), o, "patlak", true));
    assert_eq!(names(&res), ["out"]);
    assert_eq!(model_of(&out), "patlak");
}

#[test]
fn a_forced_run_killed_between_the_exchange_and_the_removal_leaves_the_new_output() {
    let dir = setup();
    let res = dir.path().join("res");
    let out = res.join("out");
    let o = out.to_str().unwrap();
    run_ok(&args(dir.path(), o, "tofts", false));
    kill(paused(
        dir.path(),
        &args(dir.path(), o, "patlak", true),
        "exchanged",
    ));
    // --out is the new output, complete; the old one waits beside it.
    assert_eq!(model_of(&out), "patlak");
    assert_eq!(names(&out).len(), COMPLETE);
    let left = beside(&res, ".out.osipy-");
    let old: Vec<&PathBuf> = left.iter().filter(|p| p.is_dir()).collect();
    assert_eq!(old.len(), 1, "{:?}", names(&res));
    assert_eq!(model_of(old[0]), "tofts");
    // The next run removes it.
    run_ok(&args(dir.path(), o, "extended_tofts", true));
    assert_eq!(names(&res), ["out"]);
    assert_eq!(model_of(&out), "extended_tofts");
}

#[test]
fn a_second_run_on_the_same_out_fails_with_exit_code_3_while_the_first_runs() {
    let dir = setup();
    let res = dir.path().join("res");
    let out = res.join("out");
    let o = out.to_str().unwrap();
    let first = paused(dir.path(), &args(dir.path(), o, "tofts", false), "begun");
    let r = Command::new(BIN)
        .args(args(dir.path(), o, "patlak", false))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with(&format!(
            "osipy: --out {o}: another osipy run is writing this output folder"
        )),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // Another --out in the same folder is not blocked.
    let other = res.join("other");
    run_ok(&args(dir.path(), other.to_str().unwrap(), "patlak", false));
    // The lock dies with its process.
    kill(first);
    run_ok(&args(dir.path(), o, "patlak", false));
    assert_eq!(model_of(&out), "patlak");
    assert_eq!(names(&res), ["other", "out"]);
}

#[test]
fn without_an_exchange_a_run_killed_with_the_old_output_aside_has_it_put_back() {
    let dir = setup();
    let res = dir.path().join("res");
    let out = res.join("out");
    let o = out.to_str().unwrap();
    run_ok(&args(dir.path(), o, "tofts", false));
    let no_exchange = [("OSIPY_TEST_NO_EXCHANGE", "1")];
    let a = args(dir.path(), o, "patlak", true);
    kill(paused_with(dir.path(), &a, "moved-aside", &no_exchange));
    // The moment without --out: the old output is aside, the new one in the temporary folder.
    assert!(!out.exists());
    let old = beside(&res, ".out.osipy-old-");
    assert_eq!(old.len(), 1, "{:?}", names(&res));
    assert_eq!(model_of(&old[0]), "tofts");
    // The next run puts the old output back, so without --force it is refused (exit 3)...
    let r = Command::new(BIN)
        .args(args(dir.path(), o, "patlak", false))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(3), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(model_of(&out), "tofts");
    assert_eq!(names(&res), ["out"]);
    // ... and with it replaced: old aside, new in place, old removed.
    let r = Command::new(BIN)
        .args(&a)
        .env("OSIPY_TEST_NO_EXCHANGE", "1")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(model_of(&out), "patlak");
    assert_eq!(names(&res), ["out"]);
}
