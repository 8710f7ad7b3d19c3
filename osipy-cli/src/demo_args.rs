//! The command line of `osipy demo`: its help text, options and their parser.

use std::path::PathBuf;

use osipy_kernels::Device;

use clap::Args;

use crate::values;

/// Help text above the options of `osipy demo --help`.
const ABOUT: &str = "\
Fit a synthetic 4-D phantom and write maps, figures and a report

MODALITY dce (the default): builds a phantom (extended Tofts tissue: normal tissue with smooth
parameter gradients, a tumour with rim and core, a vessel; Parker AIF, plasma with Hct 0.42;
frames 4 s apart; Gaussian noise), fits every voxel of the body mask with the extended Tofts
model (osipy::dce::VolumeFit), prints the accuracy against the truth and the timings, and
writes NIfTI maps, quality maps, the phantom, PNG figures, provenance.json, report.md and report.html.

MODALITY dsc: builds a DSC signal phantom (grey and white matter, a lesion with contrast
leakage, an artery with partial volume, a venous sinus; gamma-variate AIF; frames 1.5 s apart,
TE 30 ms; Gaussian noise of SD --noise times S0), runs the whole DSC chain on it
(osipy::dsc::Analysis: baseline detection, automatic AIF and venous output scaling, oSVD, BSW
leakage correction), prints the medians per region against the truth and writes the maps, the
truth, figures, provenance.json, report.md and report.html.

MODALITY asl: writes a BIDS ASL phantom (grey and white matter, a region of late arrival; a
multi-PLD PCASL series with a separate M0 scan and slice timing, a single-PLD series with an
included M0; noise SD --noise percent of M0), analyses both with `osipy asl` and prints the
CBF and ATT medians per region against the truth.

MODALITY ivim: builds a diffusion phantom (four tissues of the OSIPI IVIM collection with
gradients of D and f; the 18 b-values of its generic set; Rician noise of SD --noise times S0),
fits every voxel with the full IVIM fit (osipy::ivim::Fit), prints the median errors against
the truth and writes dwi.nii.gz with dwi.bval (an input for osipy ivim), the maps, the truth,
figures, provenance.json, report.md and report.html.";

/// Help text below the options of `osipy demo --help`.
const AFTER: &str = "\
Exit codes: 0 success; 1 runtime error; 2 usage error; 3 the output folder exists and is not
empty (use --force), or another osipy run is writing it (a lock on .DIR.osipy-lock beside it).";

/// The modality of a demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Modality {
    /// DCE-MRI: the extended Tofts phantom.
    #[default]
    Dce,
    /// DSC-MRI: the perfusion phantom.
    Dsc,
    /// ASL: the BIDS ASL phantom (multi- and single-PLD).
    Asl,
    /// IVIM: the diffusion phantom.
    Ivim,
}

fn modality(v: &str) -> Result<Modality, String> {
    match v {
        "dce" => Ok(Modality::Dce),
        "dsc" => Ok(Modality::Dsc),
        "asl" => Ok(Modality::Asl),
        "ivim" => Ok(Modality::Ivim),
        _ => Err(format!("expected dce, dsc, asl or ivim, found `{v}`")),
    }
}

fn size(v: &str) -> Result<Size, String> {
    match v {
        "small" => Ok(Size::Small),
        "full" => Ok(Size::Full),
        _ => Err(format!("expected small or full, found `{v}`")),
    }
}

/// Size of the phantom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 16 x 16 x 4 voxels x 80 frames.
    Small,
    /// 64 x 64 x 16 voxels x 80 frames.
    Full,
}

impl Size {
    /// The grid `[x, y, z]`.
    pub fn dims(self) -> [usize; 3] {
        match self {
            Size::Small => [16, 16, 4],
            Size::Full => [64, 64, 16],
        }
    }

    /// The name on the command line: `small` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Full => "full",
        }
    }
}

/// Options of `osipy demo`.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(about = "Fit a synthetic phantom and write maps, figures and a report", long_about = ABOUT, after_help = AFTER)]
pub struct DemoOptions {
    /// The modality of the phantom: dce, dsc, asl or ivim
    #[arg(value_name = "MODALITY", default_value = "dce", value_parser = modality)]
    pub modality: Modality,
    /// Output folder; built in a hidden sibling folder and renamed into place when everything
    /// is written
    #[arg(long, value_name = "DIR", default_value = "osipy-demo", value_parser = values::out_dir_parser())]
    pub out: PathBuf,
    /// Replace DIR if it exists and is not empty (in one atomic exchange on Linux)
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr and no summary on stdout
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// full: 64x64x16 voxels (x 80 frames for dce, 60 for dsc); small: 16x16x4
    #[arg(long, value_name = "SIZE", default_value = "full", value_parser = size)]
    pub size: Size,
    /// Seed of the noise generator
    #[arg(long, value_name = "N", default_value = "42", value_parser = values::seed)]
    pub seed: u64,
    /// Noise standard deviation: dce in mM, dsc and ivim as a fraction of S0 (0 for noise-free
    /// data)
    #[arg(long = "noise", id = "noise", value_name = "SIGMA", default_value = "0.02",
          allow_negative_numbers = true, value_parser = values::noise)]
    pub noise_mm: f64,
    /// cpu, emulator (the PTX emulator; slow), cuda or cuda:N
    #[arg(long, value_name = "DEV", default_value = "cpu", value_parser = values::device)]
    pub device: Device,
    /// Worker threads of the CPU fit (default: one per core)
    #[arg(long, value_name = "N", value_parser = values::threads)]
    pub threads: Option<usize>,
    /// The Levenberg-Marquardt driver: adaptive, or classic (the driver of earlier versions)
    #[arg(long = "fit-driver", id = "fit_driver", value_name = "D", default_value = "adaptive",
          value_parser = values::fit_driver)]
    pub fit_driver: osipy_kernels::fit::Driver,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            out: PathBuf::from("osipy-demo"),
            force: false,
            quiet: false,
            size: Size::Full,
            seed: 42,
            noise_mm: 0.02,
            device: Device::Cpu,
            threads: None,
            modality: Modality::Dce,
            fit_driver: osipy_kernels::fit::Driver::Adaptive,
        }
    }
}
