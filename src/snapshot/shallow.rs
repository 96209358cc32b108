//! DevTools' shallow-size re-attribution (`JSHeapSnapshot.calculateShallowSizes`).
//!
//! `hidden` and `array` nodes (and native `system / ExternalStringData`) that are reachable
//! through non-weak edges from exactly one "owner" (a node of any other type) hand their self
//! size to that owner, so `{a, b}` objects include their `(object properties)[]` backing
//! store. Skipped when the root has no user roots (snapshots taken with "expose internals").
//! Works in place on the `self_size` column.

use super::edge_kinds::{EdgeKindsRef, KindsRead, with_kinds};
use super::meta::Meta;
use super::narrow::SelfSizes;
use super::strings::StringTable;

const UNVISITED: u32 = u32::MAX;
const MULTIPLE_OWNERS: u32 = u32::MAX - 1;

/// Inputs of the re-attribution.
pub(crate) struct ShallowInputs<'a> {
    pub meta: &'a Meta,
    pub strings: &'a StringTable,
    pub node_type: &'a [u8],
    pub node_name: &'a [u32],
    pub first_edge: &'a [u32],
    pub edge_to: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
    pub has_user_roots: bool,
}

/// Moves owned hidden/array sizes into their owners' `self_size`.
pub(crate) fn reattribute(inp: &ShallowInputs<'_>, self_sizes: &mut SelfSizes) {
    if !inp.has_user_roots {
        return;
    }
    let nt = inp.meta.nt;
    let weak = inp.meta.et.weak;
    let node_count = inp.node_type.len();
    let mut owners = vec![0u32; node_count];
    for (i, owner) in owners.iter_mut().enumerate() {
        let t = inp.node_type[i];
        *owner = if t == nt.hidden
            || t == nt.array
            || (t == nt.native
                && inp.strings.get(inp.node_name[i]) == "system / ExternalStringData")
        {
            UNVISITED
        } else {
            i as u32
        };
    }
    // DevTools starts its worklist with every owner in ordinal order and pops from the end.
    // Owners never change (a node owned by itself stays so), so taking them from the last
    // down, each followed by all it pushes, is the same order without a list of every node
    // (4 bytes a node at the dominator pass's peak).
    let mut worklist: Vec<u32> = Vec::new();
    with_kinds!(
        inp.edge_kinds,
        |k| for start in (0..node_count as u32).rev() {
            if owners[start as usize] != start {
                continue;
            }
            worklist.push(start);
            while let Some(id) = worklist.pop() {
                let owner = owners[id as usize];
                let n = id as usize;
                for e in inp.first_edge[n] as usize..inp.first_edge[n + 1] as usize {
                    if k.ty(e) == weak {
                        continue;
                    }
                    let target = inp.edge_to[e];
                    let current = owners[target as usize];
                    if current == UNVISITED {
                        owners[target as usize] = owner;
                        worklist.push(target);
                    } else if current == target || current == owner || current == MULTIPLE_OWNERS {
                        // Owned by itself, by the same owner, or already shared: nothing changes.
                    } else {
                        owners[target as usize] = MULTIPLE_OWNERS;
                        worklist.push(target);
                    }
                }
            }
        }
    );
    let root = inp.meta.root_ordinal;
    // Sizes may grow past the 2-byte codes in any order: the builder's overflow is a map.
    let mut self_size = std::mem::take(self_sizes).into_builder();
    for i in 0..node_count {
        let owner = owners[i];
        if owner == UNVISITED || owner == MULTIPLE_OWNERS || owner == i as u32 {
            continue;
        }
        if inp.node_type[owner as usize] == nt.synthetic || owner == root {
            continue;
        }
        let size = self_size.get(i);
        self_size.set(i, 0);
        let owner = owner as usize;
        self_size.set(owner, self_size.get(owner).wrapping_add(size));
    }
    *self_sizes = self_size.finish();
}
