//! Lowering a kernel function: scopes, statements and blocks (expressions in `expr`).

mod call;
mod expr;
mod struct_call;
mod structs;

use std::collections::HashMap;

use syn::spanned::Spanned;

use crate::calls::{call_paths, path_key};
use crate::ctxt::Ctxt;
use crate::ir::*;
use crate::sig::{scalar_type, ParamKind, Sig};
use crate::structs::StructTable;
use crate::types::{Scalar, TyVar, Types};
use expr::{compound_op, diverges, TyVarOf};
use structs::{FieldRef, StructVal};

/// What a name in scope refers to.
#[derive(Clone, Copy)]
pub(crate) enum Binding {
    Local(LocalId),
    Param(usize),
    /// A struct value: index into [`Lowerer::svals`].
    Struct(usize),
}

/// State while lowering one function.
pub(crate) struct Lowerer<'a> {
    pub(crate) cx: &'a mut Ctxt,
    pub(crate) sig: &'a Sig,
    pub(crate) types: Types,
    pub(crate) locals: Vec<Local>,
    scopes: Vec<Vec<(String, Binding)>>,
    pub(crate) params: Vec<TyVar>,
    ret: Vec<TyVar>,
    pub(crate) call_index: HashMap<String, usize>,
    pub(crate) callee_sigs: &'a [Sig],
    loops: usize,
    /// Checking the body before callees are fetched: calls are not typed.
    pub(crate) precheck: bool,
    /// `const` items of the body: name -> the value as a typed literal expression.
    pub(crate) consts: HashMap<String, syn::Expr>,
    /// Layouts of the struct types the function names, by path as written.
    pub(crate) structs: &'a StructTable,
    /// Struct values in scope (their fields are locals or parameters).
    pub(crate) svals: Vec<StructVal>,
    /// Nesting of blocks (1: the function's body).
    depth: usize,
}

/// Lowers `f` (whose signature is `sig`) to IR. `callee_sigs[i]` is the signature of the
/// function called through the `i`-th distinct call path of the body.
/// Checks `f`'s body before its callees are fetched (calls are not typed), so body errors are
/// reported even when a callee cannot be resolved.
pub fn precheck(cx: &mut Ctxt, f: &syn::ItemFn, sig: &Sig) {
    lower_inner(
        cx,
        f,
        sig,
        String::new(),
        Vec::new(),
        &[],
        &StructTable::new(),
        true,
    );
}

/// Lowers `f` (whose signature is `sig`) to IR; `structs` holds the layouts of the struct types
/// it names.
pub fn lower_fn(
    cx: &mut Ctxt,
    f: &syn::ItemFn,
    sig: &Sig,
    id: String,
    callee_ids: Vec<String>,
    callee_sigs: &[Sig],
    structs: &StructTable,
) -> Func {
    lower_inner(cx, f, sig, id, callee_ids, callee_sigs, structs, false)
}

#[allow(clippy::too_many_arguments)]
fn lower_inner(
    cx: &mut Ctxt,
    f: &syn::ItemFn,
    sig: &Sig,
    id: String,
    callee_ids: Vec<String>,
    callee_sigs: &[Sig],
    structs: &StructTable,
    precheck: bool,
) -> Func {
    let mut types = Types::default();
    let params: Vec<TyVar> = sig.params.iter().map(|p| types.known(p.elem)).collect();
    let ret: Vec<TyVar> = sig.ret.iter().map(|s| types.known(*s)).collect();
    let call_index = call_paths(&f.block)
        .iter()
        .enumerate()
        .map(|(i, c)| (path_key(&c.path), i))
        .collect();
    let mut lw = Lowerer {
        cx,
        sig,
        types,
        locals: Vec::new(),
        scopes: vec![sig
            .params
            .iter()
            .enumerate()
            .filter(|(i, _)| sig.struct_of_param(*i).is_none())
            .map(|(i, p)| (p.name.to_string(), Binding::Param(i)))
            .collect()],
        params,
        ret,
        call_index,
        callee_sigs,
        loops: 0,
        precheck,
        consts: HashMap::new(),
        structs,
        svals: Vec::new(),
        depth: 0,
    };
    for sa in &sig.structs {
        let fields = (sa.first..sa.first + sa.len()).map(FieldRef::Param).collect();
        lw.bind_struct(&sa.name, sa.layout.clone(), fields);
    }
    lw.consts = collect_consts(lw.cx, &f.block);
    let mut body = lw.block(&f.block);
    if let Some(tail) = body.tail.take() {
        let t = lw.check_return(*tail);
        body.tail = Some(Box::new(t));
    } else if !lw.sig.ret.is_empty() && !diverges(&body) && !ends_in_loop(&body) {
        lw.cx
            .error(f.sig.output.span(), "the function must end with its return value");
    }
    lw.types.apply_defaults();
    Func {
        id,
        sig: sig.clone(),
        types: lw.types,
        locals: lw.locals,
        body,
        callees: callee_ids,
    }
}

fn ends_in_loop(b: &Block) -> bool {
    matches!(b.stmts.last(), Some(Stmt::Loop(_)))
}

impl Lowerer<'_> {
    pub(crate) fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, b)| *b)
    }

    /// Binds `name` to a struct value whose fields are `fields`.
    pub(crate) fn bind_struct(
        &mut self,
        name: &syn::Ident,
        layout: Option<std::rc::Rc<crate::structs::Layout>>,
        fields: Vec<FieldRef>,
    ) {
        self.svals.push(StructVal { layout, fields });
        let k = self.svals.len() - 1;
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.to_string(), Binding::Struct(k)));
        }
    }

    /// A new local that no name refers to (the fields of a struct local).
    pub(crate) fn add_local(&mut self, name: &syn::Ident, ty: LocalTy) -> LocalId {
        self.locals.push(Local {
            name: name.clone(),
            ty,
        });
        self.locals.len() - 1
    }

    pub(crate) fn bind(&mut self, name: &syn::Ident, ty: LocalTy) -> LocalId {
        self.locals.push(Local {
            name: name.clone(),
            ty,
        });
        let id = self.locals.len() - 1;
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.to_string(), Binding::Local(id)));
        }
        id
    }

    pub(crate) fn block_ty(&self, b: &Block) -> Ty {
        match &b.tail {
            Some(t) => t.ty.clone(),
            None => Ty::Unit,
        }
    }

    /// Lowers a block in a new scope.
    pub(crate) fn block(&mut self, b: &syn::Block) -> Block {
        self.scopes.push(Vec::new());
        self.depth += 1;
        let mut stmts = Vec::new();
        let mut tail = None;
        let n = b.stmts.len();
        for (k, s) in b.stmts.iter().enumerate() {
            match s {
                syn::Stmt::Local(l) => self.let_stmt(l, &mut stmts),
                // Read by `collect_consts` before the body.
                syn::Stmt::Item(syn::Item::Const(_)) => {}
                syn::Stmt::Item(it) => self.cx.spanned(&it,
                    "items (fn, struct, use, ...) other than `const` are not supported inside a kernel body; define another #[xp_kernel] function",
                ),
                syn::Stmt::Macro(m) => {
                    let name = m.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                    self.cx.spanned(&m,
                        format!("macros such as `{name}!` are not supported in a kernel body; a kernel computes values and writes outputs"),
                    );
                }
                syn::Stmt::Expr(e, semi) => {
                    if let Some(st) = self.stmt_like(e) {
                        stmts.push(st);
                    } else if semi.is_none() && k + 1 == n {
                        let fn_level = self.depth == 1;
                        tail = Some(Box::new(self.return_value(e, fn_level)));
                    } else {
                        let x = self.expr(e);
                        stmts.push(Stmt::Expr(x));
                    }
                }
            }
        }
        self.scopes.pop();
        self.depth -= 1;
        Block { stmts, tail }
    }

    /// Expressions that are statements: assignments, loops, jumps. `None` for other expressions.
    fn stmt_like(&mut self, e: &syn::Expr) -> Option<Stmt> {
        Some(match e {
            syn::Expr::Assign(a) if self.struct_target(&a.left).is_some() => return self.struct_assign(a),
            syn::Expr::Assign(a) => {
                let (value, vv) = self.scalar(&a.right);
                let (place, pv) = self.place(&a.left)?;
                self.unify(pv, vv, a.span(), "an assignment");
                Stmt::Assign {
                    place,
                    op: None,
                    value,
                    span: a.span(),
                }
            }
            syn::Expr::Binary(b) if compound_op(&b.op).is_some() => {
                let op = compound_op(&b.op)?;
                let (value, vv) = self.scalar(&b.right);
                let (place, pv) = self.place(&b.left)?;
                if !matches!(op, BinOp::Shl | BinOp::Shr) {
                    self.unify(pv, vv, b.span(), "a compound assignment");
                }
                Stmt::Assign {
                    place,
                    op: Some(op),
                    value,
                    span: b.span(),
                }
            }
            syn::Expr::While(w) => {
                self.no_label(&w.label);
                let (cond, cv) = self.scalar(&w.cond);
                self.require(cv, Scalar::Bool, w.cond.span(), "a `while` condition");
                self.loops += 1;
                let body = self.block(&w.body);
                self.loops -= 1;
                Stmt::While { cond, body }
            }
            syn::Expr::Loop(l) => {
                self.no_label(&l.label);
                self.loops += 1;
                let body = self.block(&l.body);
                self.loops -= 1;
                Stmt::Loop(body)
            }
            syn::Expr::ForLoop(f) => return Some(self.for_loop(f)),
            syn::Expr::Break(b) => {
                if b.label.is_some() {
                    self.cx.spanned(
                        &b,
                        "loop labels are not supported; leave nested loops with a `bool` flag and `break`",
                    );
                }
                if let Some(v) = &b.expr {
                    self.cx.spanned(
                        &v,
                        "`break` with a value is not supported; assign to a local before `break`",
                    );
                }
                if self.loops == 0 {
                    self.cx.spanned(&b, "`break` outside a loop");
                }
                Stmt::Break(b.span())
            }
            syn::Expr::Continue(c) => {
                if c.label.is_some() {
                    self.cx.spanned(
                        &c,
                        "loop labels are not supported; leave nested loops with a `bool` flag and `break`",
                    );
                }
                if self.loops == 0 {
                    self.cx.spanned(&c, "`continue` outside a loop");
                }
                Stmt::Continue(c.span())
            }
            syn::Expr::Return(r) => {
                let v = r.expr.as_ref().map(|e| {
                    let x = self.return_value(e, true);
                    self.check_return(x)
                });
                if v.is_none() && !self.sig.ret.is_empty() {
                    self.cx
                        .error(r.span(), "`return` needs the kernel's return value");
                }
                Stmt::Return(v, r.span())
            }
            _ => return None,
        })
    }

    fn no_label(&mut self, l: &Option<syn::Label>) {
        if let Some(l) = l {
            self.cx.spanned(
                &l,
                "loop labels are not supported; leave nested loops with a `bool` flag and `break`",
            );
        }
    }

    /// Checks a returned value against the signature.
    fn check_return(&mut self, x: Expr) -> Expr {
        if self.precheck {
            // Calls are untyped before callees are fetched; the full lowering checks this.
            return x;
        }
        let span = x.span;
        let ret = self.ret.clone();
        match (&x.ty, ret.len()) {
            (Ty::Unit, 0) => {}
            (Ty::Scalar(v), 1) if !self.sig.ret_tuple => {
                let v = *v;
                self.unify(Some(v), Some(ret[0]), span, "the return value");
            }
            (Ty::Tuple(vs), n) if vs.len() == n => {
                let vs = vs.clone();
                for (a, b) in vs.into_iter().zip(ret) {
                    self.unify(Some(a), Some(b), span, "the return value");
                }
            }
            _ => {
                if let ExprKind::Tuple(_) = x.kind {
                } else if !matches!(x.kind, ExprKind::If(..) | ExprKind::Block(_)) || !ret.is_empty() {
                    self.cx
                        .error(span, "this value does not match the kernel's return type");
                }
            }
        }
        x
    }

    /// Lowers the tail or `return` value, allowing a tuple expression there.
    pub(crate) fn tuple_or_expr(&mut self, e: &syn::Expr) -> Expr {
        if let syn::Expr::Tuple(t) = e {
            let mut xs = Vec::new();
            let mut vs = Vec::new();
            for el in &t.elems {
                let (x, v) = self.scalar(el);
                xs.push(x);
                vs.push(v.unwrap_or_else(|| self.types.any()));
            }
            return Expr {
                kind: ExprKind::Tuple(xs),
                ty: Ty::Tuple(vs),
                span: t.span(),
            };
        }
        self.expr(e)
    }

    fn place(&mut self, e: &syn::Expr) -> Option<(Place, TyVarOf)> {
        match e {
            syn::Expr::Paren(p) => self.place(&p.expr),
            syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                let name = p.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                match self.lookup(&name) {
                    Some(Binding::Local(l)) => match self.locals[l].ty {
                        LocalTy::Scalar(v) => Some((Place::Local(l), Some(v))),
                        LocalTy::Array(..) => {
                            self.cx.spanned(
                                &e,
                                "assigning a whole array is not supported; assign its elements",
                            );
                            None
                        }
                    },
                    Some(Binding::Param(i)) if self.sig.params[i].kind == ParamKind::Scalar => {
                        Some((Place::Param(i), Some(self.params[i])))
                    }
                    Some(Binding::Param(i)) if self.sig.params[i].kind == ParamKind::OutScalar => {
                        self.cx
                            .error(e.span(), format!("write the output through `*{name} = ...`"));
                        None
                    }
                    Some(Binding::Struct(_)) => {
                        self.cx.spanned(&e, format!("cannot assign a scalar to the struct `{name}`: assign its fields (`{name}.field = ..`)"));
                        None
                    }
                    _ => {
                        self.cx.spanned(&e, format!("cannot assign to `{name}`"));
                        None
                    }
                }
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                let x = self.expr(e);
                match x.kind {
                    ExprKind::Param(i) => Some((Place::Param(i), Some(self.params[i]))),
                    _ => None,
                }
            }
            syn::Expr::Field(f) => self.field_place(f),
            syn::Expr::Index(ix) => {
                let (a, ev, writable) = self.array_ref(&ix.expr, "assignment")?;
                if !writable {
                    self.cx.spanned(
                        &ix.expr,
                        "cannot assign into an input row; write into an output `&mut [T]` or a local array",
                    );
                }
                let (i, iv) = self.scalar(&ix.index);
                self.require(
                    iv,
                    Scalar::Usize,
                    ix.index.span(),
                    "an index (indices are `usize`)",
                );
                Some((Place::Index(a, Box::new(i)), ev))
            }
            _ => {
                self.cx.spanned(
                    &e,
                    "unsupported assignment target: assign to a local, `*out`, or an element `row[i]`",
                );
                None
            }
        }
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop) -> Stmt {
        self.no_label(&f.label);
        let (range, rev) = match &*f.expr {
            syn::Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                (strip_parens(&m.receiver), true)
            }
            other => (strip_parens(other), false),
        };
        let syn::Expr::Range(r) = range else {
            self.cx.spanned(
                &f.expr,
                "`for` loops iterate over an integer range: `a..b`, `a..=b` or `(a..b).rev()`",
            );
            return Stmt::Loop(Block {
                stmts: Vec::new(),
                tail: None,
            });
        };
        let (Some(s), Some(e)) = (&r.start, &r.end) else {
            self.cx
                .error(r.span(), "a `for` range needs both ends: `a..b` or `a..=b`");
            return Stmt::Loop(Block {
                stmts: Vec::new(),
                tail: None,
            });
        };
        let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
        let (start, sv) = self.scalar(s);
        let (end, ev) = self.scalar(e);
        self.unify(sv, ev, r.span(), "the ends of a range");
        let v = sv.unwrap_or_else(|| self.types.int());
        if matches!(
            self.types.probe(v),
            crate::types::Known::Float
                | crate::types::Known::Scalar(Scalar::F32 | Scalar::F64 | Scalar::Bool)
        ) {
            self.cx.spanned(&r, "a `for` range must be of integers");
        }
        self.scopes.push(Vec::new());
        let name = match &*f.pat {
            syn::Pat::Ident(pi) => pi.ident.clone(),
            syn::Pat::Wild(w) => syn::Ident::new("_", w.span()),
            other => {
                self.cx.spanned(&other, "the loop variable must be a name");
                syn::Ident::new("_", other.span())
            }
        };
        let var = self.bind(&name, LocalTy::Scalar(v));
        self.loops += 1;
        let body = self.block(&f.body);
        self.loops -= 1;
        self.scopes.pop();
        Stmt::For {
            var,
            start,
            end,
            inclusive,
            rev,
            body,
        }
    }

    fn let_stmt(&mut self, l: &syn::Local, out: &mut Vec<Stmt>) {
        if let Some(init) = &l.init {
            if let Some((_, d)) = &init.diverge {
                self.cx.spanned(&d, "`let ... else` is not supported");
            }
        }
        let (pat, annot) = match &l.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let init = l.init.as_ref().map(|i| &*i.expr);
        // Arrays.
        let is_array = matches!(annot, Some(syn::Type::Array(_)))
            || matches!(
                init.map(strip_parens),
                Some(syn::Expr::Array(_) | syn::Expr::Repeat(_))
            );
        if is_array {
            return self.let_array(pat, annot, init, out);
        }
        if self.is_struct_let(annot, init) {
            return self.let_struct(pat, annot, init, out);
        }
        match pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let v = match annot {
                    Some(t) => match scalar_type(t) {
                        Some(s) => self.types.known(s),
                        None => {
                            self.cx.spanned(&t, "unsupported local type: use a scalar (f32 f64 i32 u32 i64 u64 usize bool), `[T; N]` or a struct marked `#[xp_struct]`");
                            self.types.any()
                        }
                    },
                    None => self.types.any(),
                };
                let x = init.map(|e| {
                    let (x, xv) = self.scalar(e);
                    self.unify(Some(v), xv, e.span(), "a `let` binding");
                    x
                });
                let id = self.bind(&pi.ident, LocalTy::Scalar(v));
                out.push(Stmt::Let { locals: vec![Some(id)], init: x });
            }
            syn::Pat::Wild(_) => {
                if let Some(e) = init {
                    let x = self.expr(e);
                    out.push(Stmt::Expr(x));
                }
            }
            syn::Pat::Tuple(t) => self.let_tuple(t, init, out),
            other => self.cx.spanned(&other,
                "unsupported pattern in `let`: bind a name (`let x = ..`) or a tuple of names (`let (a, b) = f(..)`)",
            ),
        }
    }

    fn let_tuple(&mut self, t: &syn::PatTuple, init: Option<&syn::Expr>, out: &mut Vec<Stmt>) {
        let Some(init) = init else {
            self.cx.spanned(&t, "a tuple `let` needs an initialiser");
            return;
        };
        let mut names = Vec::new();
        for p in &t.elems {
            match p {
                syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    names.push(Some(pi.ident.clone()))
                }
                syn::Pat::Wild(_) => names.push(None),
                other => {
                    self.cx.spanned(&other, "tuple patterns hold names or `_`");
                    return;
                }
            }
        }
        if let syn::Expr::Tuple(te) = strip_parens(init) {
            if te.elems.len() != names.len() {
                self.cx.spanned(
                    &te,
                    "the tuple has a different number of elements than the pattern",
                );
                return;
            }
            let vals: Vec<(Expr, TyVarOf)> = te.elems.iter().map(|e| self.scalar(e)).collect();
            for (n, (x, v)) in names.into_iter().zip(vals) {
                let v = v.unwrap_or_else(|| self.types.any());
                let id = n.map(|n| self.bind(&n, LocalTy::Scalar(v)));
                out.push(Stmt::Let {
                    locals: vec![id],
                    init: Some(x),
                });
            }
            return;
        }
        let x = self.expr(init);
        if self.precheck
            && matches!(x.kind, ExprKind::Lit(_))
            && matches!(strip_parens(init), syn::Expr::Call(_))
        {
            for n in names.into_iter().flatten() {
                let v = self.types.any();
                self.bind(&n, LocalTy::Scalar(v));
            }
            return;
        }
        let Ty::Tuple(vs) = x.ty.clone() else {
            self.cx.spanned(&init, "expected a call returning a tuple");
            return;
        };
        if vs.len() != names.len() {
            self.cx.spanned(
                &t,
                format!(
                    "the call returns {} values, the pattern binds {}",
                    vs.len(),
                    names.len()
                ),
            );
            return;
        }
        let ids = names
            .into_iter()
            .zip(vs)
            .map(|(n, v)| n.map(|n| self.bind(&n, LocalTy::Scalar(v))))
            .collect();
        out.push(Stmt::Let {
            locals: ids,
            init: Some(x),
        });
    }

    fn let_array(
        &mut self,
        pat: &syn::Pat,
        annot: Option<&syn::Type>,
        init: Option<&syn::Expr>,
        out: &mut Vec<Stmt>,
    ) {
        let syn::Pat::Ident(pi) = pat else {
            self.cx.spanned(&pat, "bind a local array to a name");
            return;
        };
        let elem = self.types.any();
        let mut len: Option<usize> = None;
        if let Some(syn::Type::Array(a)) = annot {
            match scalar_type(&a.elem) {
                Some(s) => self.require(Some(elem), s, a.elem.span(), "the array's element type"),
                None => self.cx.spanned(&a.elem, "array elements must be scalars"),
            }
            len = self.array_len(&a.len);
        } else if let Some(t) = annot {
            self.cx.spanned(&t, "expected an array type `[T; N]`");
        }
        let Some(init) = init else {
            self.cx.spanned(
                &pat,
                "a local array needs an initialiser: `[0.0; N]` or `[a, b, ..]`",
            );
            return;
        };
        let ai = match strip_parens(init) {
            syn::Expr::Repeat(r) => {
                let (x, v) = self.scalar(&r.expr);
                self.unify(Some(elem), v, r.expr.span(), "the array's element type");
                let n = self.array_len(&r.len);
                if let (Some(a), Some(b)) = (len, n) {
                    if a != b {
                        self.cx.spanned(
                            &r.len,
                            format!("array length {b} differs from the annotation's {a}"),
                        );
                    }
                }
                len = len.or(n);
                ArrayInit::Repeat(Box::new(x), len.unwrap_or(0))
            }
            syn::Expr::Array(a) => {
                let mut xs = Vec::new();
                for e in &a.elems {
                    let (x, v) = self.scalar(e);
                    self.unify(Some(elem), v, e.span(), "the array's element type");
                    xs.push(x);
                }
                if let Some(n) = len {
                    if n != xs.len() {
                        self.cx.spanned(
                            &a,
                            format!("the annotation says {n} elements, the list has {}", xs.len()),
                        );
                    }
                }
                len = Some(xs.len());
                ArrayInit::List(xs)
            }
            other => {
                self.cx.spanned(
                    &other,
                    "a local array is initialised with `[value; N]` or `[a, b, ..]`",
                );
                return;
            }
        };
        let n = len.unwrap_or(0);
        if len == Some(0) {
            self.cx
                .error(pat.span(), "local arrays must have at least one element");
        }
        let id = self.bind(&pi.ident, LocalTy::Array(elem, n));
        out.push(Stmt::LetArray { local: id, init: ai });
    }

    fn array_len(&mut self, e: &syn::Expr) -> Option<usize> {
        let e = match strip_parens(e) {
            syn::Expr::Path(p) => match p.path.get_ident().and_then(|i| self.consts.get(&i.to_string())) {
                Some(v) => v.clone(),
                None => e.clone(),
            },
            _ => e.clone(),
        };
        let e = &e;
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) = strip_parens(e)
        {
            if let Ok(n) = i.base10_parse::<usize>() {
                if n <= 1 << 16 {
                    return Some(n);
                }
                self.cx
                    .error(e.span(), "local arrays hold at most 65536 elements");
                return None;
            }
        }
        self.cx.error(
            e.span(),
            "the length of a local array must be an integer literal or a `const` declared inside the kernel's body (`const N: usize = 4;`); a `const` of the module is not visible to the macro",
        );
        None
    }
}

/// The `const` items of a kernel body (any block; a const is visible in its whole body, as in
/// Rust): `const N: usize = 4;`, `const K: f64 = -0.5;`. The type is a scalar of the kernel
/// language and the value a literal (with a sign); each becomes a literal of that type where
/// it is named, so a const serves as an array length, a loop bound or a value alike.
fn collect_consts(cx: &mut Ctxt, b: &syn::Block) -> HashMap<String, syn::Expr> {
    use syn::visit::Visit;
    struct V<'c> {
        cx: &'c mut Ctxt,
        out: HashMap<String, syn::Expr>,
    }
    impl<'ast> Visit<'ast> for V<'_> {
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            let ty = match &*c.ty {
                syn::Type::Path(p) => p.path.get_ident().and_then(|i| Scalar::from_name(&i.to_string())),
                _ => None,
            };
            let Some(ty) = ty else {
                self.cx.spanned(
                    &c.ty,
                    "a `const` in a kernel body has a scalar type: f32 f64 i32 u32 i64 u64 usize bool",
                );
                return;
            };
            let (neg, lit) = match strip_parens(&c.expr) {
                syn::Expr::Lit(l) => (false, l.lit.clone()),
                syn::Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    expr,
                    ..
                }) => match strip_parens(expr) {
                    syn::Expr::Lit(l) => (true, l.lit.clone()),
                    _ => (false, syn::Lit::Verbatim(proc_macro2::Literal::u8_suffixed(0))),
                },
                _ => (false, syn::Lit::Verbatim(proc_macro2::Literal::u8_suffixed(0))),
            };
            let span = c.expr.span();
            let typed = match (&lit, ty) {
                (syn::Lit::Bool(b), Scalar::Bool) if !neg => Some(syn::Lit::Bool(b.clone())),
                (syn::Lit::Int(i), t) if t != Scalar::Bool && i.suffix().is_empty() => Some(syn::Lit::Int(
                    syn::LitInt::new(&format!("{}{}", i.base10_digits(), t.name()), span),
                )),
                (syn::Lit::Float(f), Scalar::F32 | Scalar::F64) if f.suffix().is_empty() => {
                    Some(syn::Lit::Float(syn::LitFloat::new(
                        &format!("{}{}", f.base10_digits(), ty.name()),
                        span,
                    )))
                }
                (syn::Lit::Int(_) | syn::Lit::Float(_), _) => Some(lit.clone()),
                _ => None,
            };
            let Some(typed) = typed else {
                self.cx.spanned(
                    &c.expr,
                    "the value of a `const` in a kernel body is a literal (`4`, `-0.5`, `true`)",
                );
                // A stand-in of the right type, so uses of the name raise no follow-on error.
                let zero: syn::Expr = match ty {
                    Scalar::Bool => syn::parse_quote_spanned!(span=> false),
                    t => syn::parse_str(&format!("0{}", t.name())).unwrap_or_else(|_| syn::parse_quote!(0)),
                };
                self.out.insert(c.ident.to_string(), zero);
                return;
            };
            let e: syn::Expr = if neg {
                syn::parse_quote_spanned!(span=> -#typed)
            } else {
                syn::parse_quote_spanned!(span=> #typed)
            };
            self.out.insert(c.ident.to_string(), e);
        }
    }
    let mut v = V {
        cx,
        out: HashMap::new(),
    };
    v.visit_block(b);
    v.out
}

pub(crate) fn strip_parens(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        syn::Expr::Group(g) => strip_parens(&g.expr),
        other => other,
    }
}
