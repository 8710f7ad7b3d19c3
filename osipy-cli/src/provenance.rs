//! The provenance record (`provenance.json`) of every command, typed (`serde` derive): the
//! fields every record has ([`Record`]: tool, version, command line, device, outputs,
//! timings) and a command's own part, flattened into the same JSON object ([`Maps`] for the
//! map-making commands, [`Dce`] for `osipy dce`, the demos' own).

use serde::{Serialize, Serializer};

use super::inputs::Hashes;

/// Pairs written as one JSON object, in their order (timings, status counts, medians by name).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pairs<K, V>(pub(crate) Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<K: Clone, V: Clone> Pairs<K, V> {
    /// The pairs of `v`, copied.
    pub(crate) fn of(v: &[(K, V)]) -> Self {
        Pairs(v.to_vec())
    }
}

/// A provenance record: the common header and the command's part `P` (its fields appear at
/// the top level of the JSON object).
#[derive(Serialize)]
pub(crate) struct Record<'a, P: Serialize> {
    /// `osipy COMMAND`.
    pub(crate) tool: &'static str,
    /// The version of osipy that wrote the record.
    pub(crate) osipy_version: &'static str,
    /// The command line as given.
    pub(crate) command_line: &'a [String],
    /// The device the work ran on.
    pub(crate) device: String,
    /// The files written, in order.
    pub(crate) outputs: &'a [String],
    /// Seconds per stage.
    pub(crate) timings_s: Pairs<&'static str, f64>,
    /// The readers' notes: input read with a fallback (also printed as warnings), series
    /// combined, files skipped.
    pub(crate) reader_notes: Vec<String>,
    /// The command's own fields.
    #[serde(flatten)]
    pub(crate) part: P,
}

impl<'a, P: Serialize> Record<'a, P> {
    /// The record of `tool` (`osipy dce`, ...) run as `command_line` on `device`.
    pub(crate) fn new(
        tool: &'static str,
        command_line: &'a [String],
        device: impl std::fmt::Display,
        outputs: &'a [String],
        timings: &[(&'static str, f64)],
        part: P,
    ) -> Self {
        Record {
            tool,
            osipy_version: env!("CARGO_PKG_VERSION"),
            command_line,
            device: device.to_string(),
            outputs,
            timings_s: Pairs::of(timings),
            reader_notes: super::inputs::reader_notes(),
            part,
        }
    }

    /// Writes the record as `dir/provenance.json`.
    pub(crate) fn write(&self, dir: &std::path::Path) -> Result<(), super::CliError> {
        super::outdir::write_json(dir, "provenance.json", self)
    }
}

/// The median of a map over the mask.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Median<'a> {
    /// The map's name.
    pub(crate) map: &'a str,
    /// Its unit.
    pub(crate) unit: &'a str,
    /// The median over the mask (null when no voxel is finite).
    pub(crate) median: f64,
}

impl<'a> Median<'a> {
    /// `(name, unit, median)` triples as records.
    pub(crate) fn all(m: &[(&'a str, &'a str, f64)]) -> Vec<Self> {
        m.iter()
            .map(|(map, unit, median)| Median {
                map,
                unit,
                median: *median,
            })
            .collect()
    }
}

/// The part of `osipy t1`, `dsc`, `ivim` and `asl`: settings, input hashes, geometry, and the
/// statuses and medians over the mask.
#[derive(Serialize)]
pub(crate) struct Maps<'a, S: Serialize> {
    /// The settings the run used (flags, files, and where each value came from).
    pub(crate) settings: S,
    /// SHA-256 of each input file, by path.
    pub(crate) inputs_sha256: &'a Hashes,
    /// The voxel-to-world matrix of the outputs.
    pub(crate) affine: [[f64; 4]; 4],
    /// The voxels of the mask.
    pub(crate) mask_voxels: usize,
    /// Voxels per fit status.
    pub(crate) status_counts: Pairs<String, usize>,
    /// Medians over the mask.
    pub(crate) medians: Vec<Median<'a>>,
}

/// Voxels per status, by the status's name.
pub(crate) fn status_counts<S: std::fmt::Display>(c: &[(S, usize)]) -> Pairs<String, usize> {
    Pairs(c.iter().map(|(s, n)| (s.to_string(), *n)).collect())
}

/// The part of `osipy dce`.
#[derive(Serialize)]
pub(crate) struct Dce<'a, S: Serialize> {
    /// `[x, y, z, t]` of the input.
    pub(crate) input_shape_xyzt: [usize; 4],
    /// The settings the run used.
    pub(crate) settings: &'a S,
    /// SHA-256 of each input file, by path.
    pub(crate) inputs_sha256: Hashes,
    /// The voxels of the mask.
    pub(crate) mask_voxels: usize,
    /// The voxels whose fit converged.
    pub(crate) converged_voxels: usize,
    /// Median of each parameter over the mask, by name.
    pub(crate) medians: Pairs<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_has_the_header_then_the_command_part_at_the_top_level() {
        let files = vec!["a.nii.gz".to_string()];
        let cl = vec!["osipy".to_string(), "t1".to_string()];
        let hashes = Hashes::new();
        let part = Maps {
            settings: serde_json::json!({"x": 1}),
            inputs_sha256: &hashes,
            affine: [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ],
            mask_voxels: 3,
            status_counts: status_counts(&[("ok", 2), ("failed", 1)]),
            medians: Median::all(&[("t1", "s", 1.25), ("s0", "a.u.", f64::NAN)]),
        };
        let r = Record::new(
            "osipy t1",
            &cl,
            "cpu",
            &files,
            &[("read", 0.5), ("fit", 2.0)],
            part,
        );
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            format!(
                concat!(
                    r#"{{"tool":"osipy t1","osipy_version":"{}","command_line":["osipy","t1"],"device":"cpu","#,
                    r#""outputs":["a.nii.gz"],"timings_s":{{"read":0.5,"fit":2.0}},"reader_notes":[],"settings":{{"x":1}},"#,
                    r#""inputs_sha256":{{}},"affine":[[1.0,0.0,0.0,0.0],[0.0,1.0,0.0,0.0],[0.0,0.0,1.0,0.0],[0.0,0.0,0.0,1.0]],"#,
                    r#""mask_voxels":3,"status_counts":{{"ok":2,"failed":1}},"#,
                    r#""medians":[{{"map":"t1","unit":"s","median":1.25}},{{"map":"s0","unit":"a.u.","median":null}}]}}"#
                ),
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
