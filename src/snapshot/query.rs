//! Search over a loaded snapshot, shared by the CLI and the app (run it on a worker: it
//! scans every node, in parallel).

use rayon::prelude::*;

use super::{NodeIdx, Snapshot};

/// What a search matches against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SearchScope {
    /// Class name or node name (DevTools' Ctrl+F matches names).
    #[default]
    ClassOrName,
    /// Only the class name (the Summary's Constructor column).
    ClassName,
    /// Only string values (nodes of the string types).
    StringValue,
}

/// A search request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Text to look for (substring).
    pub text: String,
    /// Match case exactly.
    pub case_sensitive: bool,
    /// Where to look.
    pub scope: SearchScope,
}

/// Nodes matching `query`, in snapshot order. Like DevTools, nodes with zero shallow size
/// are skipped (they are not shown in the grids). An `@123` query finds that id.
pub fn search(snap: &Snapshot, query: &SearchQuery) -> Vec<NodeIdx> {
    let text = query.text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if let Some(id) = text.strip_prefix('@').and_then(|d| d.parse::<u32>().ok()) {
        return snap.find_by_id(id).into_iter().collect();
    }
    let needle = if query.case_sensitive {
        text.to_owned()
    } else {
        text.to_lowercase()
    };
    let matches = |hay: &str| {
        if query.case_sensitive {
            hay.contains(&needle)
        } else if hay.is_ascii() && needle.is_ascii() {
            hay.as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        } else {
            hay.to_lowercase().contains(&needle)
        }
    };
    // Decide once per string index whether it matches (many nodes share names).
    let string_matches: Vec<bool> = (0..snap.strings.len() as u32)
        .into_par_iter()
        .map(|i| matches(snap.strings.get(i)))
        .collect();
    let nt = snap.meta.nt;
    (0..snap.node_count() as u32)
        .into_par_iter()
        .filter(|&n| {
            let i = n as usize;
            if snap.self_size.get(i) == 0 {
                return false;
            }
            let t = snap.node_type[i];
            let is_string = t == nt.string || t == nt.cons_string || t == nt.sliced_string;
            match query.scope {
                SearchScope::ClassName => string_matches[snap.class_index.get(i) as usize],
                SearchScope::StringValue => {
                    is_string
                        && if t == nt.cons_string {
                            matches(&snap.node_name(NodeIdx(n)))
                        } else {
                            string_matches[snap.node_name[i] as usize]
                        }
                }
                SearchScope::ClassOrName => {
                    string_matches[snap.class_index.get(i) as usize]
                        || string_matches[snap.node_name[i] as usize]
                        || ((t == nt.cons_string
                            || (t == nt.object && snap.raw_name(NodeIdx(n)) == "Object"))
                            && matches(&snap.node_name(NodeIdx(n))))
                }
            }
        })
        .map(NodeIdx)
        .collect()
}
