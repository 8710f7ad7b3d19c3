//! The output folder of a command, written as a transaction ([`Transaction`]): begun right
//! after the arguments are checked (before any heavy input is read), it locks `--out`, removes
//! what killed runs left beside it, and builds the outputs in a hidden temporary folder that
//! replaces `--out` at the end in one step, so a failed or killed run leaves the old output
//! (or none) and never a partial one.
//!
//! Beside `DIR` (the `--out` folder), in its parent:
//! - `.DIR.osipy-lock`: an advisory lock (`flock`) held for the whole run, so a second run on
//!   the same `--out` fails at once (exit code 3); the kernel releases it when a process dies.
//! - `.DIR.osipy-tmp-XXXXXX` (a `tempfile` folder): the outputs while they are written.
//! - `.DIR.osipy-old-PID`: where the order without an atomic exchange moves the old output.
//!
//! Only a run holding the lock touches these, so the leftovers it finds are those of dead runs:
//! temporary folders are removed, and an old output moved aside by a run killed before its new
//! output was in place is put back.
//!
//! `--force` replaces an existing `DIR` with `renameat2(RENAME_EXCHANGE)` on Linux (one atomic
//! step: `DIR` is always either the old or the new output), then removes the old one. Where
//! there is no exchange (another system, or a file system without it), the order is: move the
//! old `DIR` aside, rename the new one into place, remove the old; a kill between the first two
//! steps leaves `DIR` missing and the old output aside, and the next run puts it back.
//!
//! For tests, `OSIPY_TEST_PAUSE_AT=STAGE` stops the run at `STAGE` (`begun`: the lock is held
//! and the temporary folder exists; `writing`: the first map is written; `written`: every
//! output is written, before the commit; `exchanged`: the new output is in place and the old
//! one not yet removed; `moved-aside`: without an exchange, the old output moved aside and the
//! new one not yet in place), after writing its process id to the file
//! `OSIPY_TEST_PAUSE_MARKER` (when set); it then sleeps until killed. `OSIPY_TEST_NO_EXCHANGE`
//! (set to anything) takes the order without an exchange, as on other systems.

use std::path::{Path, PathBuf};

use super::CliError;

pub(crate) fn io_err(path: &Path, what: &str, e: std::io::Error) -> CliError {
    CliError::Runtime(format!("{}: cannot {what}: {e}", path.display()))
}

/// A runtime error naming `--out` and the path the user gave.
fn out_err(out: &Path, what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Runtime(format!("--out {}: cannot {what}: {e}", out.display()))
}

/// Checks the output folder: a missing or empty folder is fine; a non-empty one only with
/// `force`; a file never.
pub(crate) fn check_out(out: &Path, force: bool) -> Result<(), CliError> {
    match std::fs::metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(out_err(out, "inspect the output folder", e)),
        Ok(m) if !m.is_dir() => Err(CliError::Exists(format!(
            "--out {}: expected a folder (or a path that does not exist), found a file",
            out.display()
        ))),
        Ok(_) => {
            let mut entries =
                std::fs::read_dir(out).map_err(|e| out_err(out, "read the output folder", e))?;
            if entries.next().is_some() && !force {
                Err(CliError::Exists(format!(
                    "--out {}: the folder exists and is not empty; use --force to replace it",
                    out.display()
                )))
            } else {
                Ok(())
            }
        }
    }
}

/// The parent folder of `out` and its file name.
fn split(out: &Path) -> (PathBuf, String) {
    let name = out
        .file_name()
        .map_or_else(|| "osipy-out".into(), |n| n.to_string_lossy().into_owned());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (parent, name)
}

/// Stops the run at `stage` when `OSIPY_TEST_PAUSE_AT` names it (see the module's docs).
pub(crate) fn pause(stage: &str) {
    if std::env::var_os("OSIPY_TEST_PAUSE_AT").is_some_and(|s| s == stage) {
        if let Some(marker) = std::env::var_os("OSIPY_TEST_PAUSE_MARKER") {
            // Written beside it, then renamed: the test sees the marker only with its pid in.
            let marker = std::path::PathBuf::from(marker);
            let mut part = marker.clone().into_os_string();
            part.push(".part");
            if std::fs::write(&part, std::process::id().to_string()).is_ok() {
                let _ = std::fs::rename(&part, &marker);
            }
        }
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// The advisory lock beside `--out`; the lock file is removed (while still locked) when the
/// run ends, and left by a killed run for the next to reuse.
struct Lock {
    path: PathBuf,
    _file: std::fs::File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlinked while still held: a run waiting on this file sees it is gone and retries.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the lock without waiting: `Ok(false)` when another process holds it.
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Without `flock` no lock is taken (concurrent runs are not detected).
#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// Whether the open `file` is still the file at `path` (not unlinked by the run that held it).
#[cfg(unix)]
fn is_at(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_at(_file: &std::fs::File, _path: &Path) -> bool {
    true
}

fn lock(out: &Path, parent: &Path, name: &str) -> Result<Lock, CliError> {
    let path = parent.join(format!(".{name}.osipy-lock"));
    for _ in 0..100 {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| out_err(out, &format!("create a file in {}", parent.display()), e))?;
        if !try_lock(&file).map_err(|e| out_err(out, &format!("lock {}", path.display()), e))? {
            return Err(CliError::Exists(format!(
                "--out {}: another osipy run is writing this output folder (it holds {}); wait for it to end or choose another --out",
                out.display(),
                path.display()
            )));
        }
        if is_at(&file, &path) {
            return Ok(Lock { path, _file: file });
        }
    }
    Err(CliError::Runtime(format!(
        "--out {}: cannot lock {}: it keeps being replaced",
        out.display(),
        path.display()
    )))
}

/// Removes the temporary folders of dead runs beside `out` and puts back an old output that a
/// run killed mid-replacement moved aside (the caller holds the lock).
fn clean_leftovers(out: &Path, parent: &Path, name: &str) -> Result<(), CliError> {
    let tmp_prefix = format!(".{name}.osipy-tmp");
    let old_prefix = format!(".{name}.osipy-old");
    let entries =
        std::fs::read_dir(parent).map_err(|e| out_err(out, &format!("read {}", parent.display()), e))?;
    let mut olds = Vec::new();
    for entry in entries.flatten() {
        let n = entry.file_name();
        let n = n.to_string_lossy();
        if n.starts_with(&tmp_prefix) {
            remove(out, &entry.path())?;
        } else if n.starts_with(&old_prefix) {
            olds.push(entry.path());
        }
    }
    olds.sort();
    if !olds.is_empty() && std::fs::symlink_metadata(out).is_err() {
        let old = olds.remove(0);
        std::fs::rename(&old, out).map_err(|e| {
            out_err(
                out,
                &format!("put back the old output {} of an interrupted run", old.display()),
                e,
            )
        })?;
    }
    for old in olds {
        remove(out, &old)?;
    }
    Ok(())
}

fn remove(out: &Path, p: &Path) -> Result<(), CliError> {
    let r = match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(_) => Ok(()),
    };
    r.map_err(|e| {
        out_err(
            out,
            &format!("remove {}, left by an interrupted run", p.display()),
            e,
        )
    })
}

/// Swaps the folders `a` and `b` in one step: `Ok(false)` where the system or the file system
/// has no exchange.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// A run's output transaction: the lock on `--out` and the temporary folder the outputs are
/// written into ([`Transaction::path`]). [`Transaction::commit`] puts them in place; dropped
/// uncommitted (a failed run), the temporary folder is removed and the lock released.
pub(crate) struct Transaction {
    /// The temporary folder to write the outputs into.
    pub(crate) path: PathBuf,
    tmp: tempfile::TempDir,
    out: PathBuf,
    lock: Lock,
}

/// Begins the transaction of `out`: creates its parent, takes the lock (exit code 3 when
/// another run holds it), cleans up after dead runs, checks `out` ([`check_out`]) and creates
/// the temporary folder. Errors name `--out` and the path given.
pub(crate) fn begin(out: &Path, force: bool) -> Result<Transaction, CliError> {
    let (parent, name) = split(out);
    std::fs::create_dir_all(&parent)
        .map_err(|e| out_err(out, &format!("create the parent folder {}", parent.display()), e))?;
    let lock = lock(out, &parent, &name)?;
    clean_leftovers(out, &parent, &name)?;
    check_out(out, force)?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.osipy-tmp-"))
        .tempdir_in(&parent)
        .map_err(|e| out_err(out, &format!("create a folder in {}", parent.display()), e))?;
    let t = Transaction {
        path: tmp.path().to_path_buf(),
        tmp,
        out: out.to_path_buf(),
        lock,
    };
    pause("begun");
    Ok(t)
}

impl Transaction {
    /// Puts the finished outputs in place of `--out` (see the module's docs for the order),
    /// then releases the lock.
    pub(crate) fn commit(self) -> Result<(), CliError> {
        pause("written");
        let Transaction { path, tmp, out, lock } = self;
        let exists = std::fs::symlink_metadata(&out).is_ok();
        if !exists {
            std::fs::rename(&path, &out)
                .map_err(|e| out_err(&out, "move the finished output into place", e))?;
            let _ = tmp.keep();
        } else if std::env::var_os("OSIPY_TEST_NO_EXCHANGE").is_none()
            && exchange(&path, &out).map_err(|e| out_err(&out, "exchange the old and the new output", e))?
        {
            pause("exchanged");
            // The temporary folder now holds the old output.
            tmp.close().map_err(|e| {
                out_err(
                    &out,
                    &format!("remove the replaced output (now {})", path.display()),
                    e,
                )
            })?;
        } else {
            let (parent, name) = split(&out);
            let old = parent.join(format!(".{name}.osipy-old-{}", std::process::id()));
            std::fs::rename(&out, &old).map_err(|e| out_err(&out, "move the old output aside", e))?;
            pause("moved-aside");
            if let Err(e) = std::fs::rename(&path, &out) {
                let _ = std::fs::rename(&old, &out);
                return Err(out_err(&out, "move the finished output into place", e));
            }
            let _ = tmp.keep();
            pause("exchanged");
            std::fs::remove_dir_all(&old)
                .map_err(|e| out_err(&out, &format!("remove the replaced output {}", old.display()), e))?;
        }
        drop(lock);
        Ok(())
    }
}

/// Writes `map` as the float32 NIfTI `dir/name` with the geometry of `like`, and records
/// `name` in `files`.
pub(crate) fn write_map(
    dir: &Path,
    name: &str,
    map: &ndarray::Array3<f64>,
    like: &osipy::io::nifti::Nifti,
    files: &mut Vec<String>,
) -> Result<(), CliError> {
    use osipy::io::nifti;
    nifti::write(dir.join(name), map, Some(like), nifti::OutputType::Float32).map_err(osipy::Error::from)?;
    files.push(name.to_string());
    pause("writing");
    Ok(())
}

/// Writes `record` (any `serde` value) as pretty-printed JSON (and a final newline) to
/// `dir/name`.
pub(crate) fn write_json<T: serde::Serialize + ?Sized>(
    dir: &Path,
    name: &str,
    record: &T,
) -> Result<(), CliError> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(record)
        .map_err(|e| CliError::Runtime(format!("{}: {e}", path.display())))?;
    std::fs::write(&path, text + "\n").map_err(|e| io_err(&path, "write", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_the_old_output_and_leaves_nothing_beside_it() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.txt"), "old").unwrap();
        let t = begin(&out, true).unwrap();
        std::fs::write(t.path.join("new.txt"), "new").unwrap();
        t.commit().unwrap();
        assert_eq!(files(&out), ["new.txt"]);
        assert_eq!(files(root.path()), ["out"]);
    }

    #[test]
    fn a_second_transaction_on_the_same_out_is_refused_with_exit_code_3() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let first = begin(&out, false).unwrap();
        let e = begin(&out, false).err().unwrap();
        assert_eq!(e.code(), 3);
        assert!(e
            .to_string()
            .starts_with(&format!("--out {}: another osipy run", out.display())));
        drop(first);
        // Released: the next one begins, and nothing of the first is left.
        let t = begin(&out, false).unwrap();
        assert_eq!(files(root.path()).len(), 2, "{:?}", files(root.path()));
        t.commit().unwrap();
        assert_eq!(files(root.path()), ["out"]);
    }

    #[test]
    fn leftovers_are_removed_and_an_old_output_moved_aside_is_put_back() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(root.path().join(".out.osipy-tmp-abc")).unwrap();
        std::fs::write(root.path().join(".out.osipy-tmp-abc/partial.nii.gz"), "x").unwrap();
        std::fs::create_dir(root.path().join(".out.osipy-old-12")).unwrap();
        std::fs::write(root.path().join(".out.osipy-old-12/old.txt"), "old").unwrap();
        std::fs::create_dir(root.path().join(".other.osipy-tmp-abc")).unwrap();
        // The old output is back, so without --force the run is refused.
        let e = begin(&out, false).err().unwrap();
        assert_eq!(e.code(), 3);
        assert_eq!(files(&out), ["old.txt"]);
        assert_eq!(files(root.path()), [".other.osipy-tmp-abc", "out"]);
    }

    #[test]
    fn an_unwritable_parent_names_out() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        let out = file.join("out");
        let e = begin(&out, false).err().unwrap();
        let m = e.to_string();
        assert!(
            m.starts_with(&format!(
                "--out {}: cannot create the parent folder",
                out.display()
            )),
            "{m}"
        );
        assert!(!m.contains('\n'));
    }
}
