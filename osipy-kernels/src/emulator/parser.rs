//! Hand-written recursive-descent parser from tokens to [`ModuleAst`].

use crate::emulator::ast::{FuncAst, InstrAst, ModuleAst, Operand, ParamDecl, Stmt};
use crate::emulator::error::Error;
use crate::emulator::lexer::{tokenize, Tok, Token};
use crate::emulator::types::Ty;

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

type R<T> = Result<T, Error>;

/// Parses PTX text into a syntax tree.
pub fn parse(src: &str) -> R<ModuleAst> {
    let mut p = Parser {
        toks: tokenize(src)?,
        pos: 0,
    };
    let mut funcs = Vec::new();
    while p.pos < p.toks.len() {
        let line = p.line();
        match p.next_tok()? {
            Tok::Dot(d) => match d.as_str() {
                "version" => {
                    p.next_tok()?;
                }
                "target" => {
                    p.ident()?;
                    while p.eat(',') {
                        p.ident()?;
                    }
                }
                "address_size" => {
                    if p.next_tok()? != Tok::Int(64) {
                        return Err(p.err_at(line, "only `.address_size 64` is supported"));
                    }
                }
                "visible" | "extern" | "weak" => {}
                "entry" => funcs.push(p.function(true, line)?),
                "func" => funcs.push(p.function(false, line)?),
                other => return Err(p.err_at(line, &format!("unsupported module directive `.{other}`"))),
            },
            t => return Err(p.err_at(line, &format!("unexpected token {t:?} at module level"))),
        }
    }
    Ok(ModuleAst { funcs })
}

impl Parser {
    fn line(&self) -> u32 {
        self.toks
            .get(self.pos)
            .or_else(|| self.toks.last())
            .map_or(1, |t| t.line)
    }
    fn err_at(&self, line: u32, msg: &str) -> Error {
        Error::Parse {
            line,
            msg: msg.to_string(),
        }
    }
    fn err(&self, msg: &str) -> Error {
        self.err_at(self.line(), msg)
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn next_tok(&mut self) -> R<Tok> {
        let t = self
            .toks
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos += 1;
        Ok(t.tok.clone())
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: char) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{c}`, found {:?}", self.peek())))
        }
    }
    fn eat_dot(&mut self, d: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Dot(x)) if x == d) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> R<String> {
        match self.next_tok()? {
            Tok::Ident(s) => Ok(s),
            t => Err(self.err(&format!("expected identifier, found {t:?}"))),
        }
    }
    fn int(&mut self) -> R<u64> {
        match self.next_tok()? {
            Tok::Int(v) => Ok(v),
            t => Err(self.err(&format!("expected integer, found {t:?}"))),
        }
    }
    fn ty(&mut self) -> R<Ty> {
        match self.next_tok()? {
            Tok::Dot(d) => Ty::parse(&d).ok_or_else(|| self.err(&format!("unknown type `.{d}`"))),
            t => Err(self.err(&format!("expected a type, found {t:?}"))),
        }
    }

    fn param_decl(&mut self) -> R<ParamDecl> {
        let line = self.line();
        if self.eat_dot("align") {
            self.int()?;
        }
        let ty = self.ty()?;
        // kernel pointer attributes: .ptr .global .align N
        if self.eat_dot("ptr") {
            for sp in ["global", "local", "shared", "const"] {
                self.eat_dot(sp);
            }
            if self.eat_dot("align") {
                self.int()?;
            }
        }
        let name = self.ident()?;
        let array = if self.eat('[') {
            let n = self.int()?;
            self.expect(']')?;
            Some(n)
        } else {
            None
        };
        Ok(ParamDecl {
            name,
            ty,
            array,
            line,
        })
    }

    fn param_list(&mut self) -> R<Vec<ParamDecl>> {
        self.expect('(')?;
        let mut v = Vec::new();
        if self.eat(')') {
            return Ok(v);
        }
        loop {
            if !self.eat_dot("param") {
                return Err(self.err("expected `.param` in parameter list"));
            }
            v.push(self.param_decl()?);
            if self.eat(')') {
                return Ok(v);
            }
            self.expect(',')?;
        }
    }

    fn function(&mut self, is_entry: bool, line: u32) -> R<FuncAst> {
        let mut ret = None;
        if !is_entry && self.peek() == Some(&Tok::Punct('(')) {
            let mut r = self.param_list()?;
            if r.len() != 1 {
                return Err(self.err_at(line, "exactly one return parameter is supported"));
            }
            ret = r.pop();
        }
        let name = self.ident()?;
        let params = if self.peek() == Some(&Tok::Punct('(')) {
            self.param_list()?
        } else {
            Vec::new()
        };
        // performance-tuning directives
        while let Some(Tok::Dot(d)) = self.peek() {
            match d.as_str() {
                "maxntid" | "reqntid" | "minnctapersm" | "maxnreg" | "noreturn" => {
                    self.pos += 1;
                    while matches!(self.peek(), Some(Tok::Int(_)) | Some(Tok::Punct(','))) {
                        self.pos += 1;
                    }
                }
                other => return Err(self.err(&format!("unsupported function directive `.{other}`"))),
            }
        }
        if self.eat(';') {
            return Ok(FuncAst {
                name,
                is_entry,
                ret,
                params,
                body: None,
                line,
            });
        }
        self.expect('{')?;
        let mut body = Vec::new();
        let mut depth = 1;
        loop {
            let line = self.line();
            match self.next_tok()? {
                Tok::Punct('{') => {
                    depth += 1;
                    body.push(Stmt::Open);
                }
                Tok::Punct('}') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    body.push(Stmt::Close);
                }
                Tok::Dot(d) => self.directive(&d, line, &mut body)?,
                Tok::Ident(id) if self.peek() == Some(&Tok::Punct(':')) => {
                    self.pos += 1;
                    body.push(Stmt::Label(id, line));
                }
                Tok::Ident(op) => body.push(Stmt::Instr(self.instr(None, op, line)?)),
                Tok::Punct('@') => {
                    let neg = self.eat('!');
                    let p = self.ident()?;
                    let op = self.ident()?;
                    body.push(Stmt::Instr(self.instr(Some((p, neg)), op, line)?));
                }
                t => return Err(self.err_at(line, &format!("unexpected token {t:?} in function body"))),
            }
        }
        Ok(FuncAst {
            name,
            is_entry,
            ret,
            params,
            body: Some(body),
            line,
        })
    }

    fn directive(&mut self, d: &str, line: u32, body: &mut Vec<Stmt>) -> R<()> {
        match d {
            "reg" => {
                let ty = self.ty()?;
                loop {
                    let name = self.ident()?;
                    let count = if self.eat('<') {
                        let n = self.int()?;
                        self.expect('>')?;
                        Some(u32::try_from(n).map_err(|_| self.err("register count too large"))?)
                    } else {
                        None
                    };
                    body.push(Stmt::Reg {
                        ty,
                        name,
                        count,
                        line,
                    });
                    if !self.eat(',') {
                        break;
                    }
                }
                self.expect(';')
            }
            "local" => {
                let mut align = 1;
                if self.eat_dot("align") {
                    align = self.int()?;
                }
                let ty = self.ty()?;
                let name = self.ident()?;
                let mut n = 1;
                if self.eat('[') {
                    n = self.int()?;
                    self.expect(']')?;
                }
                self.expect(';')?;
                if !align.is_power_of_two() {
                    return Err(self.err_at(line, "alignment must be a power of two"));
                }
                body.push(Stmt::Local {
                    align: align.max(ty.bytes()),
                    size: n * ty.bytes(),
                    name,
                    line,
                });
                Ok(())
            }
            "param" => {
                let p = self.param_decl()?;
                self.expect(';')?;
                body.push(Stmt::Param(p));
                Ok(())
            }
            "pragma" => {
                while !self.eat(';') {
                    self.next_tok()?;
                }
                Ok(())
            }
            other => Err(self.err_at(
                line,
                &format!("unsupported directive `.{other}` in function body"),
            )),
        }
    }

    fn instr(&mut self, guard: Option<(String, bool)>, opcode: String, line: u32) -> R<InstrAst> {
        let mut mods = Vec::new();
        while let Some(Tok::Dot(m)) = self.peek() {
            mods.push(m.clone());
            self.pos += 1;
        }
        let mut operands = Vec::new();
        if !self.eat(';') {
            loop {
                operands.push(self.operand()?);
                if self.eat(';') {
                    break;
                }
                self.expect(',')?;
            }
        }
        Ok(InstrAst {
            guard,
            opcode,
            mods,
            operands,
            line,
        })
    }

    fn signed_int(&mut self) -> R<i128> {
        let neg = self.eat('-');
        let v = self.int()? as i128;
        Ok(if neg { -v } else { v })
    }

    fn operand(&mut self) -> R<Operand> {
        match self.next_tok()? {
            Tok::Punct('[') => {
                let (base, mut off) = match self.peek() {
                    Some(Tok::Ident(_)) => (self.ident()?, 0i128),
                    _ => (String::new(), self.signed_int()?),
                };
                if self.eat('+') || self.peek() == Some(&Tok::Punct('-')) {
                    off += self.signed_int()?;
                }
                self.expect(']')?;
                let off = i64::try_from(off).map_err(|_| self.err("address offset out of range"))?;
                Ok(Operand::Addr(base, off))
            }
            Tok::Punct('(') => {
                let mut v = Vec::new();
                if !self.eat(')') {
                    loop {
                        v.push(self.ident()?);
                        if self.eat(')') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                Ok(Operand::List(v))
            }
            Tok::Punct('!') => Ok(Operand::NotName(self.ident()?)),
            Tok::Punct('-') => match self.next_tok()? {
                Tok::Int(v) => Ok(Operand::Int(-(v as i128))),
                Tok::Float(f) => Ok(Operand::Float(-f)),
                Tok::F64Bits(b) => Ok(Operand::F64Bits(b ^ (1 << 63))),
                Tok::F32Bits(b) => Ok(Operand::F32Bits(b ^ (1 << 31))),
                t => Err(self.err(&format!("unexpected {t:?} after `-`"))),
            },
            Tok::Int(v) => Ok(Operand::Int(v as i128)),
            Tok::F64Bits(b) => Ok(Operand::F64Bits(b)),
            Tok::F32Bits(b) => Ok(Operand::F32Bits(b)),
            Tok::Float(f) => Ok(Operand::Float(f)),
            Tok::Ident(mut s) => {
                if s.starts_with('%') {
                    if let Some(Tok::Dot(d)) = self.peek() {
                        if matches!(d.as_str(), "x" | "y" | "z") {
                            s = format!("{s}.{d}");
                            self.pos += 1;
                        }
                    }
                }
                if self.eat('|') {
                    return Ok(Operand::Pair(s, self.ident()?));
                }
                Ok(Operand::Name(s))
            }
            t => Err(self.err(&format!("unexpected operand token {t:?}"))),
        }
    }
}
