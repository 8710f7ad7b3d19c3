//! The `.npy` header: the Python dict literal of `descr`, `fortran_order` and `shape`, read by
//! a small parser of our own so that its sizes are checked before anything is allocated.

/// The keys of a `.npy` header that the size checks need (`fortran_order` is checked).
pub(super) struct Header {
    pub(super) descr: Value,
    pub(super) shape: Vec<usize>,
}

pub(super) enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// Anything else (a list for a structured dtype, a number, ...), as written.
    Other(String),
}

impl Value {
    pub(super) fn describe(&self) -> String {
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
pub(super) fn parse_dict(text: &str) -> Result<Header, String> {
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
            // NumPy writes these three keys only (and ndarray-npy refuses others).
            other => return Err(format!("an unexpected key '{}'", other.escape_default())),
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
    // Checked here; ndarray-npy applies it.
    match fortran_order.ok_or("no 'fortran_order' key")? {
        Value::Bool(_) => {}
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
    Ok(Header { descr, shape })
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
