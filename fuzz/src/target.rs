//! The readers under test, each fed one input as its public API takes it.

use std::path::{Path, PathBuf};

use osipy::io::{dicom, nifti};

/// A reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `osipy::io::nifti::parse` in memory; gzip inputs through `read_with` from a file.
    Nifti,
    /// `osipy::npy::parse` in memory.
    Npy,
    /// The YAML configuration of `osipy dce` (`osipy_cli::config::dce_settings`).
    Config,
    /// `osipy::io::dicom::read_series_with` on a folder holding the input as one file.
    Dicom,
}

impl Target {
    /// Every target, in the order `all` runs them.
    pub const ALL: [Target; 4] = [Target::Nifti, Target::Npy, Target::Config, Target::Dicom];

    /// The target's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Nifti => "nifti",
            Target::Npy => "npy",
            Target::Config => "config",
            Target::Dicom => "dicom",
        }
    }

    /// The target named `name`.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// A reader for this target (a scratch folder for the file-based ones).
    pub fn reader(self) -> Reader {
        // A fresh folder from `tempfile` (removed with the reader); the system's temporary
        // folder itself if none can be made, where the file-based targets then fail to read.
        let dir = tempfile::Builder::new()
            .prefix(&format!("osipy-fuzz-{}-", self.name()))
            .tempdir()
            .ok();
        Reader { target: self, dir }
    }
}

/// Feeds inputs to one target.
#[derive(Debug)]
pub struct Reader {
    target: Target,
    dir: Option<tempfile::TempDir>,
}

impl Reader {
    /// Reads `input`; true when the reader accepted it. Errors are expected; panics propagate.
    pub fn read(&mut self, input: &[u8]) -> bool {
        match self.target {
            Target::Nifti if input.starts_with(&[0x1f, 0x8b]) => {
                let path = self.file("input.nii.gz");
                if std::fs::write(&path, input).is_err() {
                    return false;
                }
                let options = nifti::ReadOptions::default().max_image_bytes(64 << 20);
                nifti::read_with(&path, &options).is_ok()
            }
            Target::Nifti => nifti::parse(Path::new("input.nii"), input).is_ok(),
            Target::Npy => osipy::npy::parse(Path::new("input.npy"), input).is_ok(),
            Target::Config => osipy_cli::config::dce_settings("input.yaml", input).is_ok(),
            Target::Dicom => {
                let path = self.file("input.dcm");
                if std::fs::write(&path, input).is_err() {
                    return false;
                }
                let Some(dir) = path.parent() else {
                    return false;
                };
                dicom::read_series_with(dir, &dicom::ReadOptions::default()).is_ok()
            }
        }
    }

    /// `name` in the scratch folder.
    fn file(&self, name: &str) -> PathBuf {
        match &self.dir {
            Some(d) => d.path().join(name),
            None => std::env::temp_dir().join("osipy-fuzz-no-folder").join(name),
        }
    }
}
