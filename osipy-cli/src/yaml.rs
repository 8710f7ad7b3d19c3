//! YAML text to a `serde_norway::Value` within bounds: the configuration file's size is capped
//! and alias expansion (`&a [*b, *b]`, which grows exponentially with nesting) stops at a node
//! budget, counted while the value is built, so a small file cannot expand into gigabytes.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_norway::{Mapping, Number, Value};

/// The largest configuration file read, in bytes (a file of every setting is about 5 KiB).
pub(crate) const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// The most nodes (scalars, lists, mappings) a configuration may hold after alias expansion.
pub(crate) const MAX_NODES: usize = 100_000;
/// The most bytes of text its scalars may hold after alias expansion.
pub(crate) const MAX_TEXT_BYTES: usize = 4 << 20;

/// Why [`parse`] failed.
#[derive(Debug)]
pub(crate) enum YamlError {
    /// More than [`MAX_NODES`] nodes or [`MAX_TEXT_BYTES`] of text once aliases are expanded.
    TooLarge,
    /// What serde_norway reported (a syntax error, several documents, a tag, ...), on one line.
    Syntax(String),
}

/// Parses one YAML document into a value, within the bounds of this module.
pub(crate) fn parse(text: &str) -> Result<Value, YamlError> {
    let budget = Budget {
        nodes: Cell::new(MAX_NODES),
        text: Cell::new(MAX_TEXT_BYTES),
        exceeded: Cell::new(false),
    };
    let result = Seed(&budget).deserialize(serde_norway::Deserializer::from_str(text));
    match result {
        Ok(v) => Ok(v),
        Err(_) if budget.exceeded.get() => Err(YamlError::TooLarge),
        // serde_norway's own bound on alias replays.
        Err(e) if e.to_string().contains("repetition limit exceeded") => Err(YamlError::TooLarge),
        Err(e) => Err(YamlError::Syntax(one_line(&e.to_string()))),
    }
}

/// `text` on one line, control characters escaped.
pub(crate) fn one_line(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s
}

struct Budget {
    nodes: Cell<usize>,
    text: Cell<usize>,
    exceeded: Cell<bool>,
}

impl Budget {
    fn take<E: de::Error>(&self, text: usize) -> Result<(), E> {
        let (n, t) = (self.nodes.get(), self.text.get());
        if n == 0 || t < text {
            self.exceeded.set(true);
            return Err(E::custom("the configuration expands past its node budget"));
        }
        self.nodes.set(n - 1);
        self.text.set(t - text);
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct Seed<'a>(&'a Budget);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Number(Number::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Number(Number::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Number(Number::from(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.take(v.len())?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.0.take(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take(0)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Sequence(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take(0)?;
        let mut out = Mapping::new();
        while let Some(k) = map.next_key_seed(self)? {
            if out.contains_key(&k) {
                let name = match &k {
                    Value::String(t) => one_line(t),
                    Value::Number(n) => n.to_string(),
                    _ => "a non-scalar key".into(),
                };
                return Err(de::Error::custom(format_args!("duplicate key `{name}`")));
            }
            let v = map.next_value_seed(self)?;
            out.insert(k, v);
        }
        Ok(Value::Mapping(out))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Value, A::Error> {
        Err(de::Error::custom("tagged values (!tag) are not settings"))
    }
}
