//! A small, dependency-free reader for NumPy `.npy` files: data written by Python (golden
//! data such as `tests/data/fit-golden`, the peer benchmark's arrays).
//!
//! Supported: format versions 1.0 and 2.0, C order, and the dtypes `'<f8'` ([`read_f64`]),
//! `'<u4'` ([`read_u32`]) and `'|b1'` ([`read_bool`]). Anything else (another magic string,
//! version, dtype or byte order, Fortran order, a truncated or overlong file, a malformed header)
//! is refused with an error that names the file, what was expected and what was found.
//!
//! Each reader returns `(shape, data)`: one entry of `shape` per axis (empty for a 0-d array)
//! and the elements in C (row-major) order, `data.len()` being the product of `shape`.

use std::path::Path;

/// `(shape, data)` as returned by the readers.
pub type Array<T> = (Vec<usize>, Vec<T>);

/// Reads a `.npy` file of dtype `'<f8'` (little-endian float64).
pub fn read_f64(path: &Path) -> Result<Array<f64>, String> {
    read(path)
}

/// Reads a `.npy` file of dtype `'<u4'` (little-endian uint32).
pub fn read_u32(path: &Path) -> Result<Array<u32>, String> {
    read(path)
}

/// Reads a `.npy` file of dtype `'|b1'` (bool, one byte per element, 0 or 1).
pub fn read_bool(path: &Path) -> Result<Array<bool>, String> {
    read(path)
}

/// Parses the bytes of a `.npy` file of dtype `'<f8'`; `name` labels the errors.
pub fn parse_f64(name: &str, bytes: &[u8]) -> Result<Array<f64>, String> {
    parse(name, bytes)
}

/// Parses the bytes of a `.npy` file of dtype `'<u4'`; `name` labels the errors.
pub fn parse_u32(name: &str, bytes: &[u8]) -> Result<Array<u32>, String> {
    parse(name, bytes)
}

/// Parses the bytes of a `.npy` file of dtype `'|b1'`; `name` labels the errors.
pub fn parse_bool(name: &str, bytes: &[u8]) -> Result<Array<bool>, String> {
    parse(name, bytes)
}

/// An element type: its `descr` in the header, its size in bytes and how to decode one.
trait Element: Sized {
    const DESCR: &'static str;
    const WHAT: &'static str;
    const SIZE: usize;
    /// `None` when the bytes are not a valid element (a bool byte other than 0 or 1).
    fn decode(chunk: &[u8]) -> Option<Self>;
}

impl Element for f64 {
    const DESCR: &'static str = "<f8";
    const WHAT: &'static str = "little-endian float64";
    const SIZE: usize = 8;
    fn decode(chunk: &[u8]) -> Option<Self> {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        Some(f64::from_le_bytes(b))
    }
}

impl Element for u32 {
    const DESCR: &'static str = "<u4";
    const WHAT: &'static str = "little-endian uint32";
    const SIZE: usize = 4;
    fn decode(chunk: &[u8]) -> Option<Self> {
        let mut b = [0u8; 4];
        b.copy_from_slice(chunk);
        Some(u32::from_le_bytes(b))
    }
}

impl Element for bool {
    const DESCR: &'static str = "|b1";
    const WHAT: &'static str = "bool";
    const SIZE: usize = 1;
    fn decode(chunk: &[u8]) -> Option<Self> {
        match chunk[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";

fn read<T: Element>(path: &Path) -> Result<Array<T>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read the file: {e}", path.display()))?;
    parse(&path.display().to_string(), &bytes)
}

fn parse<T: Element>(name: &str, bytes: &[u8]) -> Result<Array<T>, String> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        let n = bytes.len().min(MAGIC.len());
        return Err(format!(
            "{name}: not a .npy file: expected the magic string \"\\x93NUMPY\", found \"{}\"{}",
            bytes[..n].escape_ascii(),
            if bytes.len() < MAGIC.len() {
                " (file too short)"
            } else {
                ""
            }
        ));
    }
    if bytes.len() < 8 {
        return Err(format!(
            "{name}: truncated preamble: expected 2 version bytes after the magic string, found {}",
            bytes.len() - MAGIC.len()
        ));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) => 4,
        _ => {
            return Err(format!(
                "{name}: unsupported .npy format version {major}.{minor}: expected 1.0 or 2.0"
            ))
        }
    };
    let start = 8 + len_bytes;
    if bytes.len() < start {
        return Err(format!(
            "{name}: truncated preamble: version {major}.0 needs {start} bytes before the header, found {}",
            bytes.len()
        ));
    }
    let header_len = bytes[8..start]
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let data_start = start
        .checked_add(header_len)
        .ok_or_else(|| format!("{name}: header length {header_len} is too large"))?;
    if bytes.len() < data_start {
        return Err(format!(
            "{name}: truncated header: the preamble announces {header_len} header bytes, found {}",
            bytes.len() - start
        ));
    }
    // Versions 1.0 and 2.0 store the header in latin-1.
    let text: String = bytes[start..data_start].iter().map(|&b| char::from(b)).collect();
    let header = parse_header(&text).map_err(|e| format!("{name}: malformed header {text:?}: {e}"))?;

    if !matches!(&header.descr, Value::Str(d) if d == T::DESCR) {
        return Err(format!(
            "{name}: unsupported dtype: expected '{}' ({}), found {}",
            T::DESCR,
            T::WHAT,
            header.descr.describe()
        ));
    }
    if header.fortran_order {
        return Err(format!(
            "{name}: Fortran-order array: expected C order ('fortran_order': False), found True"
        ));
    }
    let shape_text = format!("{:?}", header.shape);
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("{name}: shape {shape_text} has too many elements"))?;
    let needed = count
        .checked_mul(T::SIZE)
        .ok_or_else(|| format!("{name}: shape {shape_text} has too many bytes"))?;
    let found = bytes.len() - data_start;
    if found < needed {
        return Err(format!(
            "{name}: truncated data: shape {shape_text} of '{}' needs {needed} bytes, found {found}",
            T::DESCR
        ));
    }
    if found > needed {
        return Err(format!(
            "{name}: {} unexpected bytes after the data: shape {shape_text} of '{}' needs {needed} bytes, \
             found {found}",
            found - needed,
            T::DESCR
        ));
    }
    let data = bytes[data_start..]
        .chunks_exact(T::SIZE)
        .enumerate()
        .map(|(i, chunk)| {
            T::decode(chunk).ok_or_else(|| {
                format!(
                    "{name}: invalid '{}' element {i}: expected a byte 0 or 1, found 0x{:02x}",
                    T::DESCR,
                    chunk[0]
                )
            })
        })
        .collect::<Result<Vec<T>, String>>()?;
    Ok((header.shape, data))
}

/// The three keys of a `.npy` header.
struct Header {
    descr: Value,
    fortran_order: bool,
    shape: Vec<usize>,
}

enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// Anything else (a list for a structured dtype, a number, ...), as written.
    Other(String),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("'{s}'"),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Value::Tuple(t) => format!("{t:?}"),
            Value::Other(s) => s.clone(),
        }
    }
}

/// Parses the Python dict literal of the header, e.g.
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 3), }` followed by padding.
fn parse_header(text: &str) -> Result<Header, String> {
    let mut c = Cursor {
        s: text.as_bytes(),
        pos: 0,
    };
    c.expect(b'{')?;
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    loop {
        if c.eat(b'}') {
            break;
        }
        let key = c.string()?;
        c.expect(b':')?;
        let value = c.value()?;
        match key.as_str() {
            "descr" => descr = Some(value),
            "fortran_order" => fortran_order = Some(value),
            "shape" => shape = Some(value),
            _ => {}
        }
        if !c.eat(b',') {
            c.expect(b'}')?;
            break;
        }
    }
    c.skip_ws();
    if c.pos != c.s.len() {
        return Err(format!("unexpected text after the dict at byte {}", c.pos));
    }
    let descr = descr.ok_or("no 'descr' key")?;
    let fortran_order = match fortran_order.ok_or("no 'fortran_order' key")? {
        Value::Bool(b) => b,
        v => {
            return Err(format!(
                "'fortran_order' should be True or False, found {}",
                v.describe()
            ))
        }
    };
    let shape = match shape.ok_or("no 'shape' key")? {
        Value::Tuple(t) => t,
        v => {
            return Err(format!(
                "'shape' should be a tuple of integers, found {}",
                v.describe()
            ))
        }
    };
    Ok(Header {
        descr,
        fortran_order,
        shape,
    })
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at byte {}, found {}",
                char::from(c),
                self.pos,
                self.found()
            ))
        }
    }

    fn found(&self) -> String {
        match self.s.get(self.pos) {
            Some(&b) => format!("'{}'", char::from(b)),
            None => "the end of the header".to_string(),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => {
                return Err(format!(
                    "expected a quoted string at byte {}, found {}",
                    self.pos,
                    self.found()
                ))
            }
        };
        let start = self.pos + 1;
        let len = self.s[start..]
            .iter()
            .position(|&b| b == quote)
            .ok_or_else(|| format!("unterminated string at byte {}", self.pos))?;
        self.pos = start + len + 1;
        Ok(self.s[start..start + len]
            .iter()
            .map(|&b| char::from(b))
            .collect())
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'\'' | b'"') => Ok(Value::Str(self.string()?)),
            Some(b'(') => {
                self.pos += 1;
                let mut dims = Vec::new();
                loop {
                    if self.eat(b')') {
                        break;
                    }
                    dims.push(self.integer()?);
                    if !self.eat(b',') {
                        self.expect(b')')?;
                        break;
                    }
                }
                Ok(Value::Tuple(dims))
            }
            Some(b'[' | b'{') => Ok(Value::Other(self.balanced()?)),
            _ => {
                let word = self.word();
                match word.as_str() {
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "" => Err(format!(
                        "expected a value at byte {}, found {}",
                        self.pos,
                        self.found()
                    )),
                    _ => Ok(Value::Other(word)),
                }
            }
        }
    }

    /// A non-negative integer, with Python 2's optional `L` suffix.
    fn integer(&mut self) -> Result<usize, String> {
        self.skip_ws();
        let start = self.pos;
        let word = self.word();
        let digits = word.strip_suffix('L').unwrap_or(&word);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "expected a non-negative integer in 'shape' at byte {start}, found {word:?}"
            ));
        }
        digits
            .parse()
            .map_err(|_| format!("dimension {digits} in 'shape' is too large"))
    }

    /// A run of characters up to the next delimiter.
    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len() && !b",:)}] \t\r\n".contains(&self.s[self.pos]) {
            self.pos += 1;
        }
        self.s[start..self.pos].iter().map(|&b| char::from(b)).collect()
    }

    /// A bracketed value (`[...]` or `{...}`) as written, brackets nested.
    fn balanced(&mut self) -> Result<String, String> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote = None;
        while self.pos < self.s.len() {
            let b = self.s[self.pos];
            self.pos += 1;
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(b),
                (None, b'[' | b'{' | b'(') => depth += 1,
                (None, b']' | b'}' | b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self.s[start..self.pos].iter().map(|&b| char::from(b)).collect());
                    }
                }
                _ => {}
            }
        }
        Err(format!("unterminated bracket at byte {start}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file as NumPy writes it: the header padded with spaces and a newline so that the
    /// data start on a multiple of 64 bytes.
    fn npy(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let pre = if version == 1 { 10 } else { 12 };
        let mut header = dict.as_bytes().to_vec();
        while !(pre + header.len() + 1).is_multiple_of(64) {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(&header);
        out.extend_from_slice(data);
        out
    }

    fn f64_bytes(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn header(descr: &str, fortran: bool, shape: &str) -> String {
        let order = if fortran { "True" } else { "False" };
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}")
    }

    fn err_f64(bytes: &[u8]) -> String {
        parse_f64("x.npy", bytes).expect_err("should be refused")
    }

    #[test]
    fn numpy_bytes_verbatim() {
        // `np.save(f, np.array([1.5, -2.0]))` with NumPy 2.5, byte for byte.
        let mut b =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }".to_vec();
        b.resize(127, b' ');
        b.push(b'\n');
        b.extend_from_slice(&f64_bytes(&[1.5, -2.0]));
        assert_eq!(b, npy(1, &header("<f8", false, "(2,)"), &f64_bytes(&[1.5, -2.0])));
        assert_eq!(parse_f64("a.npy", &b).unwrap(), (vec![2], vec![1.5, -2.0]));
    }

    #[test]
    fn two_d_c_order() {
        let values: Vec<f64> = (0..6).map(|i| i as f64 * 0.5 - 1.0).collect();
        let b = npy(1, &header("<f8", false, "(2, 3)"), &f64_bytes(&values));
        let (shape, data) = parse_f64("a.npy", &b).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(data, values);
    }

    #[test]
    fn special_values_round_trip() {
        let values = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
        ];
        let b = npy(1, &header("<f8", false, "(6,)"), &f64_bytes(&values));
        let (_, data) = parse_f64("a.npy", &b).unwrap();
        for (got, want) in data.iter().zip(values) {
            assert_eq!(got.to_bits(), want.to_bits());
        }
        let b = npy(1, &header("<f8", false, "(1,)"), &f64_bytes(&[f64::NAN]));
        assert!(parse_f64("a.npy", &b).unwrap().1[0].is_nan());
    }

    #[test]
    fn version_2_0() {
        let b = npy(2, &header("<f8", false, "(2,)"), &f64_bytes(&[1.5, -2.0]));
        // NumPy's own bytes for `write_array(f, np.array([1.5, -2.0]), version=(2, 0))`.
        assert_eq!(&b[..12], b"\x93NUMPY\x02\x00t\x00\x00\x00");
        assert_eq!(b.len(), 128 + 16);
        assert_eq!(parse_f64("a.npy", &b).unwrap(), (vec![2], vec![1.5, -2.0]));
    }

    #[test]
    fn scalar_and_empty() {
        let b = npy(1, &header("<f8", false, "()"), &f64_bytes(&[3.25]));
        assert_eq!(parse_f64("a.npy", &b).unwrap(), (vec![], vec![3.25]));
        let b = npy(1, &header("<f8", false, "(0, 3)"), &[]);
        assert_eq!(parse_f64("a.npy", &b).unwrap(), (vec![0, 3], vec![]));
    }

    #[test]
    fn u32_and_bool() {
        let data: Vec<u8> = [1u32, u32::MAX, 7].iter().flat_map(|v| v.to_le_bytes()).collect();
        let b = npy(1, &header("<u4", false, "(3,)"), &data);
        assert_eq!(parse_u32("a.npy", &b).unwrap(), (vec![3], vec![1, u32::MAX, 7]));

        let b = npy(1, &header("|b1", false, "(1, 3)"), &[1, 0, 1]);
        assert_eq!(
            parse_bool("a.npy", &b).unwrap(),
            (vec![1, 3], vec![true, false, true])
        );
        let e = parse_bool("m.npy", &npy(1, &header("|b1", false, "(2,)"), &[1, 2])).unwrap_err();
        assert_eq!(
            e,
            "m.npy: invalid '|b1' element 1: expected a byte 0 or 1, found 0x02"
        );
    }

    #[test]
    fn key_order_quotes_and_python2_longs() {
        let dict = "{\"shape\": (2L, 1L), \"fortran_order\": False, \"descr\": \"<f8\"}";
        let b = npy(1, dict, &f64_bytes(&[1.0, 2.0]));
        assert_eq!(parse_f64("a.npy", &b).unwrap(), (vec![2, 1], vec![1.0, 2.0]));
    }

    #[test]
    fn wrong_magic() {
        let mut b = npy(1, &header("<f8", false, "(1,)"), &f64_bytes(&[1.0]));
        b[1] = b'X';
        assert_eq!(
            err_f64(&b),
            "x.npy: not a .npy file: expected the magic string \"\\x93NUMPY\", found \"\\x93XUMPY\""
        );
        let e = err_f64(b"PK\x03");
        assert!(
            e.starts_with("x.npy: not a .npy file:") && e.ends_with("(file too short)"),
            "{e}"
        );
    }

    #[test]
    fn unsupported_version() {
        let mut b = npy(2, &header("<f8", false, "(1,)"), &f64_bytes(&[1.0]));
        b[6] = 3;
        assert_eq!(
            err_f64(&b),
            "x.npy: unsupported .npy format version 3.0: expected 1.0 or 2.0"
        );
    }

    #[test]
    fn unsupported_dtype() {
        for (descr, found) in [(">f8", "'>f8'"), ("<f4", "'<f4'"), ("<u4", "'<u4'")] {
            let b = npy(1, &header(descr, false, "(1,)"), &f64_bytes(&[1.0]));
            assert_eq!(
                err_f64(&b),
                format!("x.npy: unsupported dtype: expected '<f8' (little-endian float64), found {found}")
            );
        }
        let b = npy(1, &header("<f8", false, "(1,)"), &f64_bytes(&[1.0]));
        assert_eq!(
            parse_u32("x.npy", &b).unwrap_err(),
            "x.npy: unsupported dtype: expected '<u4' (little-endian uint32), found '<f8'"
        );
        // A structured dtype is a list.
        let dict = "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }";
        let e = err_f64(&npy(1, dict, &[0; 12]));
        assert_eq!(
            e,
            "x.npy: unsupported dtype: expected '<f8' (little-endian float64), \
             found [('a', '<f8'), ('b', '<i4')]"
        );
    }

    #[test]
    fn fortran_order() {
        let b = npy(1, &header("<f8", true, "(2, 2)"), &f64_bytes(&[1.0; 4]));
        assert_eq!(
            err_f64(&b),
            "x.npy: Fortran-order array: expected C order ('fortran_order': False), found True"
        );
    }

    #[test]
    fn truncated_and_overlong_data() {
        let mut b = npy(1, &header("<f8", false, "(1000, 3)"), &f64_bytes(&[0.5; 3000]));
        b.truncate(b.len() - 8);
        assert_eq!(
            err_f64(&b),
            "x.npy: truncated data: shape [1000, 3] of '<f8' needs 24000 bytes, found 23992"
        );
        let b = npy(1, &header("<f8", false, "(2,)"), &f64_bytes(&[0.5; 3]));
        assert_eq!(
            err_f64(&b),
            "x.npy: 8 unexpected bytes after the data: shape [2] of '<f8' needs 16 bytes, found 24"
        );
    }

    #[test]
    fn truncated_preamble_and_header() {
        let b = npy(1, &header("<f8", false, "(1,)"), &f64_bytes(&[1.0]));
        assert_eq!(
            err_f64(&b[..7]),
            "x.npy: truncated preamble: expected 2 version bytes after the magic string, found 1"
        );
        assert_eq!(
            err_f64(&b[..9]),
            "x.npy: truncated preamble: version 1.0 needs 10 bytes before the header, found 9"
        );
        assert_eq!(
            err_f64(&b[..50]),
            "x.npy: truncated header: the preamble announces 118 header bytes, found 40"
        );
    }

    #[test]
    fn malformed_headers() {
        let cases = [
            ("{'descr': '<f8', 'shape': (1,), }", "no 'fortran_order' key"),
            (
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }",
                "'fortran_order' should be True or False, found 0",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': 1, }",
                "'shape' should be a tuple of integers, found 1",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",
                "expected a non-negative integer in 'shape'",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (1,) ",
                "expected '}'",
            ),
            ("['descr']", "expected '{' at byte 0"),
            (
                "{'descr': '<f8, 'fortran_order': False}",
                "expected '}' at byte 17, found 'f'",
            ),
            ("{'descr' '<f8'}", "expected ':' at byte 9, found '''"),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
                "dimension 99999999999999999999999 in 'shape' is too large",
            ),
        ];
        for (dict, want) in cases {
            let e = err_f64(&npy(1, dict, &f64_bytes(&[1.0])));
            assert!(
                e.starts_with("x.npy: malformed header \"{") || e.starts_with("x.npy: malformed header \"["),
                "{e}"
            );
            assert!(e.contains(want), "{dict}: {e}");
        }
        let huge =
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }";
        let e = err_f64(&npy(1, huge, &[]));
        assert!(e.contains("too many"), "{e}");
    }

    #[test]
    fn reads_files_and_names_them() {
        let dir = std::env::temp_dir().join(format!("osipy-npy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npy");
        std::fs::write(
            &path,
            npy(1, &header("<f8", false, "(3,)"), &f64_bytes(&[1.0, 2.0, 3.0])),
        )
        .unwrap();
        assert_eq!(read_f64(&path).unwrap(), (vec![3], vec![1.0, 2.0, 3.0]));
        let e = read_u32(&path).unwrap_err();
        assert!(
            e.starts_with(&format!("{}: unsupported dtype", path.display())),
            "{e}"
        );
        let e = read_bool(&dir.join("missing.npy")).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "{}: cannot read the file:",
                dir.join("missing.npy").display()
            )),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_the_fit_golden_data() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/fit-golden/expdecay3");
        let (shape, t) = read_f64(&dir.join("t.npy")).unwrap();
        assert_eq!(shape, vec![50]);
        for (i, ti) in t.iter().enumerate() {
            assert_eq!(*ti, i as f64 * 0.1);
        }
        let (shape, y) = read_f64(&dir.join("y.npy")).unwrap();
        assert_eq!((shape, y.len()), (vec![1000, 50], 50_000));
        assert_eq!(
            read_f64(&dir.join("lower.npy")).unwrap(),
            (vec![3], vec![0.0, 0.0, -1.0])
        );
    }
}
