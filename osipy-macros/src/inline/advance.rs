//! One step of a chain: the fetched callee recorded and its own callees queued, with their
//! paths as seen from inside the kernel's front module.

use quote::format_ident;

use crate::calls::call_paths;

use super::*;

impl Input {
    /// Records the fetched callee and queues its own callees; returns the new state.
    pub fn advance(self) -> State {
        let Input {
            callee_id,
            callee,
            mut state,
        } = self;
        if state.todo.is_empty() {
            return state;
        }
        let t = state.todo.remove(0);
        let callee = match callee {
            Fetched::Layout(item) => {
                state.add_layout(&t.from, t.index, callee_id, item);
                return state;
            }
            Fetched::Layouts(list) => {
                for (j, id, item) in list {
                    state.add_layout(&t.from, j, id, item);
                }
                return state;
            }
            Fetched::Callee(item) => item,
        };
        state.edges.push(Edge {
            from: t.from,
            index: t.index,
            to: callee_id.clone(),
        });
        let known = callee_id == state.root_id || state.done.iter().any(|d| d.id == callee_id);
        if !known {
            // Math kernels the callee needs, unless already queued.
            for (name, ty) in crate::math_fns::needed(&callee.block) {
                let key = crate::math_fns::key(&name, ty);
                let queued = state.todo.iter().chain(std::iter::empty()).any(|t| {
                    t.from == crate::math_fns::MATH_CALLER
                        && t.body
                            .segments
                            .last()
                            .is_some_and(|s| s.ident == format!("xp_kernel_named_{name}"))
                        && t.body.segments.iter().any(|s| s.ident == ty)
                }) || state.math_fetched(&key);
                if !queued {
                    let b = format_ident!("xp_kernel_named_{}", name);
                    let d = format_ident!("__xp_deps_{}", name);
                    let tt = format_ident!("{}", ty);
                    let index = state.next_math_index();
                    state.todo.push(Todo {
                        from: crate::math_fns::MATH_CALLER.to_string(),
                        index,
                        body: syn::parse_quote!(::osipy_kernels::math::#tt::#b),
                        deps: syn::parse_quote!(::osipy_kernels::math::#tt::#d),
                        layouts: syn::parse_quote!(::osipy_kernels::math::#tt::#d),
                        kind: Kind::Call,
                    });
                }
            }
            for (j, c) in call_paths(&callee.block).iter().enumerate() {
                state.todo.push(Todo {
                    from: callee_id.clone(),
                    index: j,
                    body: child(&t.deps, &format!("d{j}"), c.span),
                    deps: child(&t.deps, &format!("m{j}"), c.span),
                    layouts: child(&t.deps, &format!("l{j}"), c.span),
                    kind: Kind::Call,
                });
            }
            if !crate::structs::struct_paths(&callee).is_empty() {
                state.todo.push(Todo {
                    from: callee_id.clone(),
                    index: 0,
                    body: t.layouts.clone(),
                    deps: t.layouts.clone(),
                    layouts: t.layouts,
                    kind: Kind::Layouts,
                });
            }
            state.done.push(Done {
                id: callee_id,
                item: callee,
            });
        }
        state
    }
}
