//! Reader for the CSV files of the OSIPI code collection (`tests/data/osipi`): one row per case,
//! a header row, and vector-valued cells as space-separated numbers inside one field. Fields
//! are separated by commas; no field of these files contains a comma or a quote.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One row: its cells by (trimmed) column name.
#[derive(Debug, Clone)]
pub struct Row {
    /// The file, for messages.
    pub file: String,
    /// 1-based line number in the file, for messages.
    pub line: usize,
    cells: HashMap<String, String>,
}

impl Row {
    /// The raw text of `column`.
    pub fn text(&self, column: &str) -> Result<&str, String> {
        self.cells
            .get(column)
            .map(|s| s.trim())
            .ok_or_else(|| format!("{}:{}: no column `{column}`", self.file, self.line))
    }

    /// A scalar cell.
    pub fn num(&self, column: &str) -> Result<f64, String> {
        let t = self.text(column)?;
        t.parse::<f64>().map_err(|_| {
            format!(
                "{}:{}: column `{column}`: expected a number, found `{t}`",
                self.file, self.line
            )
        })
    }

    /// A vector cell (space-separated numbers).
    pub fn vec(&self, column: &str) -> Result<Vec<f64>, String> {
        let t = self.text(column)?;
        t.split_whitespace()
            .map(|x| {
                x.parse::<f64>().map_err(|_| {
                    format!(
                        "{}:{}: column `{column}`: expected numbers, found `{x}`",
                        self.file, self.line
                    )
                })
            })
            .collect()
    }
}

/// The directory of the copied data: `tests/data/osipi`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/osipi")
}

/// Reads every row of a CSV file (the header gives the column names, trimmed).
pub fn read(path: &Path) -> Result<Vec<Row>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    // Some files start with a UTF-8 byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.lines().enumerate();
    let header: Vec<String> = match lines.next() {
        Some((_, h)) => h.split(',').map(|c| c.trim().to_string()).collect(),
        None => return Err(format!("{file}: empty file, expected a header row")),
    };
    let mut rows = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != header.len() {
            return Err(format!(
                "{file}:{}: expected {} fields (as the header), found {}",
                i + 1,
                header.len(),
                fields.len()
            ));
        }
        rows.push(Row {
            file: file.clone(),
            line: i + 1,
            cells: header
                .iter()
                .cloned()
                .zip(fields.iter().map(|f| f.to_string()))
                .collect(),
        });
    }
    Ok(rows)
}

/// numpy's `isclose`: `|got - want| <= atol + rtol * |want|`.
pub fn close(got: f64, want: f64, atol: f64, rtol: f64) -> bool {
    (got - want).abs() <= atol + rtol * want.abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scalar_and_vector_cells() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let p = dir.join("a.csv");
        std::fs::write(&p, "label, x ,v\ncase_1,0.5,1  2   3\n\ncase_2,-1e-3,4\n").unwrap();
        let rows = read(&p).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text("label").unwrap(), "case_1");
        assert_eq!(rows[0].num("x").unwrap(), 0.5);
        assert_eq!(rows[0].vec("v").unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(rows[1].num("x").unwrap(), -1e-3);
        assert!(rows[1].num("label").unwrap_err().contains("expected a number"));
        assert!(rows[0].num("y").unwrap_err().contains("no column `y`"));
        std::fs::write(&p, "a,b\n1\n").unwrap();
        assert!(read(&p).unwrap_err().contains("expected 2 fields"));
        assert!(close(1.04, 1.0, 0.0, 0.05) && !close(1.06, 1.0, 0.0, 0.05));
    }
}
