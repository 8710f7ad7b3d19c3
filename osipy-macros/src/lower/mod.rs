//! Lowering a kernel function (syn AST to the typed IR of `ir`): the `Lowerer` and its scopes.
//! Statements and blocks in `stmt`, `let` in `locals`, body `const`s in `consts`, expressions in
//! `expr`, calls, methods and intrinsics in `call`, struct values in `structs` and
//! `struct_call`.

mod call;
mod consts;
mod expr;
mod literals;
mod locals;
mod ops;
mod stmt;
mod struct_call;
mod struct_field;
mod struct_let;
mod structs;

use std::collections::HashMap;

use syn::spanned::Spanned;

use crate::calls::{call_paths, path_key};
use crate::ctxt::Ctxt;
use crate::ir::*;
use crate::sig::Sig;
use crate::structs::StructTable;
use crate::types::{TyVar, Types};
use consts::collect_consts;
use expr::diverges;
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
}

pub(crate) fn strip_parens(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        syn::Expr::Group(g) => strip_parens(&g.expr),
        other => other,
    }
}
