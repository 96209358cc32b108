//! Source locations offline: script ids resolved to script names (URLs) through the Script
//! objects in the snapshot.
//!
//! DevTools resolves a location's script id only against a live page ("Reveal in Sources");
//! a loaded file has no debugger. But the snapshot holds the Script objects themselves: a
//! closure (whose `locations` entry carries its script id) links –internal `shared`→ its
//! SharedFunctionInfo, which links –internal `script_or_debug_info` (V8 ≤ 12, Node 20) or
//! `script` (newer V8, Node 24+)→ the Script, a `code` node whose name is the script's
//! name or URL. The map script id → name (string index) is built once, on first use, from
//! every located closure, the first closure of each script id deciding.

use std::collections::HashMap;

use super::{EdgeKind, NodeIdx, Snapshot};

impl Snapshot {
    /// Builds now the lookups computed on first use (script names; the allocation index
    /// of a tracked snapshot), each a pass over the located closures or over every node:
    /// call it on a worker, so that a pane never pays for them on the UI thread.
    pub fn prepare_lookups(&self) {
        self.script_name_map();
        self.allocation_index();
    }

    /// Script id → string index of its name, built on first use.
    fn script_name_map(&self) -> &HashMap<u32, u32> {
        self.script_names.get_or_init(|| {
            let (closure, code) = (self.meta.nt.closure, self.meta.nt.code);
            let mut map = HashMap::new();
            for (node, location) in self.locations.iter() {
                if self.node_type[node as usize] != closure || map.contains_key(&location.script_id)
                {
                    continue;
                }
                let Some(shared) = self.internal_edge_target(NodeIdx(node), &["shared"]) else {
                    continue;
                };
                let Some(script) =
                    self.internal_edge_target(shared, &["script_or_debug_info", "script"])
                else {
                    continue;
                };
                let name = self.raw_name(script);
                if self.node_type[script.0 as usize] == code
                    && !name.is_empty()
                    && !name.starts_with("system / ")
                {
                    map.insert(location.script_id, self.node_name[script.0 as usize]);
                }
            }
            map
        })
    }

    /// The target of `n`'s first internal edge named one of `names`.
    fn internal_edge_target(&self, n: NodeIdx, names: &[&str]) -> Option<NodeIdx> {
        self.edges(n)
            .find(|&e| {
                self.edge_kind(e) == EdgeKind::Internal
                    && names.contains(&self.strings.get(self.edge_kinds.name(e.0 as usize)))
            })
            .map(|e| self.edge_target(e))
    }

    /// The name (usually the URL or file path) of the script with V8 id `script_id`, found
    /// through the Script objects in the snapshot; None when no located closure leads to a
    /// named Script of that id. The first call walks every located closure once.
    pub fn script_name(&self, script_id: u32) -> Option<&str> {
        self.script_name_map()
            .get(&script_id)
            .map(|&s| self.strings.get(s))
    }

    /// Where node `n` was defined or allocated, as DevTools shows a location:
    /// `script:line:column`, 1-based (the file stores them 0-based), e.g.
    /// `/app/server.js:13:15`. When the script's name is unknown: `script 82:13:15` (its
    /// id). None when the snapshot records no location for `n`.
    pub fn location_label(&self, n: NodeIdx) -> Option<String> {
        let location = self.location(n)?;
        let (line, column) = (u64::from(location.line) + 1, u64::from(location.column) + 1);
        Some(match self.script_name(location.script_id) {
            Some(name) => format!("{name}:{line}:{column}"),
            None => format!("script {}:{line}:{column}", location.script_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::snapshot::allocation::tests::{TREE, tiny, tiny_json};
    use crate::snapshot::{Progress, load_bytes};

    #[test]
    fn script_ids_resolve_through_script_objects() {
        let snap = tiny();
        assert_eq!(snap.script_name(5), Some("app.js"));
        assert_eq!(snap.script_name(99), None);
        let label = |id| snap.location_label(snap.find_by_id(id).expect("a node"));
        assert_eq!(label(13).as_deref(), Some("app.js:3:10"), "the closure");
        assert_eq!(label(7).as_deref(), Some("app.js:5:1"), "an object");
        assert_eq!(
            label(11).as_deref(),
            Some("script 99:8:4"),
            "an unknown script"
        );
        assert_eq!(label(5), None, "no location");
    }

    #[test]
    fn newer_v8_names_the_edge_script() {
        let json = tiny_json(4, TREE).replace("\"script_or_debug_info\"", "\"script\"");
        let snap = load_bytes(json.as_bytes(), &Progress::new()).expect("loads");
        assert_eq!(snap.script_name(5), Some("app.js"));
    }
}
