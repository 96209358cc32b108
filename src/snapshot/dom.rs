//! DOM attachment state (DevTools' `propagateDOMState`).
//!
//! Only for snapshots with a `detachedness` node field (Chrome pages; Node snapshots have
//! all zeros). Native nodes with a known state pass it to native children (attached wins);
//! detached native nodes are renamed `Detached <name>` by pointing their name at a new
//! string. For old snapshots without the field, native nodes already named `Detached …`
//! are marked detached.

use std::collections::HashMap;

use super::edge_kinds::{EdgeKindsRef, KindsRead};
use super::meta::Meta;
use super::strings::StringTable;

/// DevTools' `DOMLinkState`.
pub const UNKNOWN: u8 = 0;
/// Attached to a document.
pub const ATTACHED: u8 = 1;
/// Detached from every document.
pub const DETACHED: u8 = 2;

/// Inputs of the propagation.
pub(crate) struct DomInputs<'a> {
    pub meta: &'a Meta,
    pub node_type: &'a [u8],
    pub first_edge: &'a [u32],
    pub edge_to: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
}

/// Propagates attachment state; updates `detachedness` and `node_name` in place.
pub(crate) fn propagate(
    inp: &DomInputs<'_>,
    strings: &mut StringTable,
    node_name: &mut [u32],
    detachedness: &mut Vec<u8>,
) {
    let node_count = inp.node_type.len();
    let native = inp.meta.nt.native;
    if inp.meta.node_detachedness_offset.is_none() {
        detachedness.clear();
        detachedness.resize(node_count, UNKNOWN);
        for n in 0..node_count {
            if inp.node_type[n] == native && strings.get(node_name[n]).starts_with("Detached ") {
                detachedness[n] = DETACHED;
            }
        }
        return;
    }
    if !detachedness.iter().any(|&d| d != UNKNOWN) {
        return;
    }
    let et = inp.meta.et;
    let mut visited = vec![false; node_count];
    let mut attached: Vec<u32> = Vec::new();
    let mut detached: Vec<u32> = Vec::new();
    let mut renamed: HashMap<u32, u32> = HashMap::new();

    let mut process = |n: usize,
                       state: u8,
                       detachedness: &mut [u8],
                       node_name: &mut [u32],
                       strings: &mut StringTable,
                       attached: &mut Vec<u32>,
                       detached: &mut Vec<u32>| {
        if visited[n] {
            return;
        }
        if inp.node_type[n] != native {
            visited[n] = true;
            return;
        }
        detachedness[n] = state;
        if state == ATTACHED {
            attached.push(n as u32);
        } else if state == DETACHED {
            let old = node_name[n];
            let new = *renamed.entry(old).or_insert_with(|| {
                let name = format!("Detached {}", strings.get(old));
                strings.push(&name)
            });
            node_name[n] = new;
            detached.push(n as u32);
        }
        visited[n] = true;
    };

    for n in 0..node_count {
        let state = detachedness[n];
        if state == UNKNOWN {
            continue;
        }
        process(
            n,
            state,
            detachedness,
            node_name,
            strings,
            &mut attached,
            &mut detached,
        );
    }
    let children = |n: usize| {
        (inp.first_edge[n] as usize..inp.first_edge[n + 1] as usize).filter_map(move |e| {
            let t = inp.edge_kinds.ty(e);
            (t != et.hidden && t != et.invisible && t != et.weak).then_some(inp.edge_to[e] as usize)
        })
    };
    while let Some(n) = attached.pop() {
        for c in children(n as usize) {
            process(
                c,
                ATTACHED,
                detachedness,
                node_name,
                strings,
                &mut attached,
                &mut detached,
            );
        }
    }
    while let Some(n) = detached.pop() {
        if detachedness[n as usize] == ATTACHED {
            continue;
        }
        for c in children(n as usize) {
            process(
                c,
                DETACHED,
                detachedness,
                node_name,
                strings,
                &mut attached,
                &mut detached,
            );
        }
    }
}
