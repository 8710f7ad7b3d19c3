//! Checking a launch's shapes and placements before anything runs.

use crate::{Device, Error, Result};

/// How a kernel parameter maps onto arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `#[uniform] x: &[T]`: one 1-D row shared by every item.
    UniformRow,
    /// `x: T`: one value per item (an array of the item shape).
    ItemScalar,
    /// `x: &[T]`: one row per item (item axes, then the row).
    ItemRow,
    /// `x: &mut T`: one output value per item.
    OutScalar,
    /// `x: &mut [T]`: one output row per item.
    OutRow,
}

impl Role {
    fn has_row(self) -> bool {
        matches!(self, Role::ItemRow | Role::OutRow)
    }
}

/// One array argument of a launch, as `plan` sees it.
#[derive(Debug, Clone)]
pub struct ArgInfo<'s> {
    /// Parameter name.
    pub name: &'static str,
    /// How the parameter maps onto the array.
    pub role: Role,
    /// Where the array lives.
    pub placement: Device,
    /// The array's shape.
    pub shape: &'s [usize],
}

/// The outcome of a successful check: where to run and over how many items.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Where every array lives, so where the kernel runs.
    pub device: Device,
    /// The item axes shared by every per-item argument.
    pub item_shape: Vec<usize>,
    /// The number of items (product of `item_shape`).
    pub n_items: usize,
    /// For each argument in order: its row length (last axis) for rows, 0 otherwise.
    pub row_lens: Vec<usize>,
}

/// Checks placements and shapes of every array argument of `kernel` and returns the plan.
///
/// Placement: every array must live on the device of the first one. Shapes: uniform rows are
/// 1-D; per-item scalars have the item shape; per-item rows have the item shape plus a row
/// axis of any length; the first per-item argument fixes the item shape.
pub fn plan(kernel: &'static str, args: &[ArgInfo<'_>]) -> Result<Plan> {
    let mut device: Option<(Device, &'static str)> = None;
    for a in args {
        match device {
            None => device = Some((a.placement, a.name)),
            Some((d, first)) if d != a.placement => {
                return Err(Error::MixedPlacement {
                    kernel,
                    arg: a.name.to_string(),
                    first: first.to_string(),
                    expected: d,
                    found: a.placement,
                })
            }
            Some(_) => {}
        }
    }
    let device = device.map(|d| d.0).unwrap_or(Device::Cpu);

    let mut item: Option<(&[usize], &'static str, bool)> = None;
    let mut row_lens = Vec::with_capacity(args.len());
    for a in args {
        let shape = a.shape;
        match a.role {
            Role::UniformRow => {
                if shape.len() != 1 {
                    return Err(Error::Shape {
                        kernel,
                        arg: a.name,
                        expected: "a 1-dimensional row shared by every item (#[uniform])".into(),
                        found: format!("an array of shape {shape:?}"),
                    });
                }
                row_lens.push(shape[0]);
                continue;
            }
            role if role.has_row() => {
                let Some((&len, lead)) = shape.split_last() else {
                    return Err(Error::Shape {
                        kernel,
                        arg: a.name,
                        expected: "an array with item axes followed by a row axis".into(),
                        found: "a 0-dimensional array".into(),
                    });
                };
                row_lens.push(len);
                check_items(kernel, a.name, lead, shape, true, &mut item)?;
            }
            _ => {
                row_lens.push(0);
                check_items(kernel, a.name, shape, shape, false, &mut item)?;
            }
        }
    }
    let item_shape = item.map(|i| i.0.to_vec()).unwrap_or_default();
    let n_items = item_shape.iter().product();
    Ok(Plan {
        device,
        item_shape,
        n_items,
        row_lens,
    })
}

/// Checks that `lead` (the item axes of argument `name`, a row when `row`) are the item axes
/// fixed so far. When one side is a per-item row given as a single 1-D row (no item axes), the
/// error suggests `#[uniform]` for it: the usual slip of a shared axis (a time or b-value row)
/// declared per item.
fn check_items<'s>(
    kernel: &'static str,
    name: &'static str,
    lead: &'s [usize],
    shape: &[usize],
    row: bool,
    item: &mut Option<(&'s [usize], &'static str, bool)>,
) -> Result<()> {
    match item {
        None => *item = Some((lead, name, row)),
        Some((fixed, by, by_row)) if *fixed != lead => {
            let hint = if *by_row && fixed.is_empty() {
                format!(
                    "; `{by}` was given as one row for every item: if it is the same for every item, mark it `#[uniform]`"
                )
            } else if row && lead.is_empty() {
                format!(
                    "; `{name}` was given as one row: if it is the same for every item, mark it `#[uniform]`"
                )
            } else {
                String::new()
            };
            return Err(Error::Shape {
                kernel,
                arg: name,
                expected: format!("item axes {fixed:?} (fixed by `{by}`)"),
                found: format!("item axes {lead:?} (array of shape {shape:?}){hint}"),
            });
        }
        Some(_) => {}
    }
    Ok(())
}
