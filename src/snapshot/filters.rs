//! DevTools' named Summary filters (besides the id ranges of
//! [`Snapshot::aggregates_in_id_range`]). For now "Duplicated strings", DevTools'
//! `createDuplicatedStringsFilter`: string and concatenated-string objects whose text occurs
//! in another such object too, the waste a leak of repeated keys or payloads shows.

use std::borrow::Cow;
use std::collections::HashMap;

use super::distance::js_parse_int;
use super::{Aggregates, EdgeKind, NodeIdx, Snapshot};

impl Snapshot {
    /// One flag per node: part of DevTools' "Duplicated strings". Counted are `string` and
    /// `concatenated string` nodes with a non-zero shallow size, except flat cons strings
    /// (an empty half). Two of them duplicate each other when their texts are equal; strings
    /// V8 truncated in the snapshot (an internal `truncated` edge to `true`) only when their
    /// shown texts, real lengths and hashes all agree. Walks every node: run it on a worker.
    pub fn duplicated_strings(&self) -> Vec<bool> {
        let nt = self.meta.nt;
        let mut flags = vec![false; self.node_count()];
        // Texts as DevTools names them: a concatenated string by its (first 1024+) characters.
        let mut untruncated: HashMap<Cow<'_, str>, u32> = HashMap::new();
        // Truncated text -> (node, length, hash) of those seen.
        type Seen = (u32, Option<i64>, Option<i64>);
        let mut truncated: HashMap<Cow<'_, str>, Vec<Seen>> = HashMap::new();
        for (i, &t) in self.node_type.iter().enumerate() {
            if t != nt.string && t != nt.cons_string {
                continue;
            }
            let n = NodeIdx(i as u32);
            if self.self_size.get(i) == 0 || (t == nt.cons_string && self.is_flat_cons_string(n)) {
                continue;
            }
            let name = self.node_name(n);
            if let Some((length, hash)) = self.truncation(n) {
                let seen = truncated.entry(name).or_default();
                match seen.iter().find(|s| s.1 == length && s.2 == hash) {
                    Some(&(first, _, _)) => {
                        flags[first as usize] = true;
                        flags[i] = true;
                    }
                    None => seen.push((i as u32, length, hash)),
                }
            } else {
                match untruncated.get(&name) {
                    Some(&first) => {
                        flags[first as usize] = true;
                        flags[i] = true;
                    }
                    None => {
                        untruncated.insert(name, i as u32);
                    }
                }
            }
        }
        flags
    }

    /// Summary aggregates of DevTools' "Duplicated strings" filter (see
    /// [`Snapshot::duplicated_strings`]). Walks the whole graph: run it on a worker.
    pub fn aggregates_of_duplicated_strings(&self) -> Aggregates {
        let flags = self.duplicated_strings();
        self.aggregates_where(&|n| flags[n])
    }

    /// For a string V8 truncated in the snapshot (DevTools' `nodeIsTruncatedString`): its
    /// real length and hash (`nodeStringLength`, `nodeStringHash`). `None` for whole strings.
    fn truncation(&self, n: NodeIdx) -> Option<(Option<i64>, Option<i64>)> {
        let truncated = self.internal_target(n, "truncated")?;
        if self.value_as_bool(truncated) != Some(true) {
            return None;
        }
        let int = |name| {
            self.internal_target(n, name)
                .and_then(|v| self.value_as_int(v))
        };
        Some((int("length"), int("hash")))
    }

    /// DevTools' `isFlatConsString`: a cons string with an internal `first` or `second` edge
    /// to an empty string.
    fn is_flat_cons_string(&self, n: NodeIdx) -> bool {
        self.edges(n).any(|e| {
            self.edge_kind(e) == EdgeKind::Internal
                && matches!(&*self.edge_name(e), "first" | "second")
                && self.node_name(self.edge_target(e)).is_empty()
        })
    }

    /// DevTools' `findInternalEdgeTarget`: the target of `n`'s first internal edge `name`.
    fn internal_target(&self, n: NodeIdx, name: &str) -> Option<NodeIdx> {
        self.edges(n)
            .find(|&e| self.edge_kind(e) == EdgeKind::Internal && self.edge_name(e) == name)
            .map(|e| self.edge_target(e))
    }

    /// DevTools' `nodeValueAsBool`: a `number` node named `bool` whose internal `value` edge
    /// leads to `true` or `false`.
    fn value_as_bool(&self, n: NodeIdx) -> Option<bool> {
        if self.node_type[n.0 as usize] != self.meta.nt.number || self.raw_name(n) != "bool" {
            return None;
        }
        match self.raw_name(self.internal_target(n, "value")?) {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// DevTools' `nodeValueAsInt`: a `number` node named `int` whose internal `value` edge
    /// leads to its digits.
    fn value_as_int(&self, n: NodeIdx) -> Option<i64> {
        if self.node_type[n.0 as usize] != self.meta.nt.number || self.raw_name(n) != "int" {
            return None;
        }
        js_parse_int(self.raw_name(self.internal_target(n, "value")?))
    }
}

/// Strings with the same text: one group of DevTools' `getDuplicateStrings`.
#[derive(Clone, Debug)]
pub struct StringGroup {
    /// The text as DevTools names it (a concatenated string's first 1024+ characters).
    pub value: String,
    /// For strings V8 truncated in the snapshot: their real length and hash.
    pub truncated: Option<(Option<i64>, Option<i64>)>,
    /// The string objects, in snapshot order.
    pub nodes: Vec<NodeIdx>,
    /// Sum of their shallow sizes.
    pub total_self_size: u64,
    /// Sum of their retained sizes.
    pub total_retained_size: u64,
}

impl Snapshot {
    /// DevTools' `getDuplicateStrings`: the objects of [`Snapshot::duplicated_strings`]
    /// grouped by text, biggest total retained size first (ties keep first-seen order, plain
    /// strings before truncated ones). Walks every node: run it on a worker.
    pub fn duplicate_string_groups(&self) -> Vec<StringGroup> {
        let flags = self.duplicated_strings();
        let mut groups: Vec<StringGroup> = Vec::new();
        let mut plain: HashMap<String, usize> = HashMap::new();
        // Truncated groups go after the plain ones, in their own first-seen order by text.
        let mut truncated_groups: Vec<Vec<StringGroup>> = Vec::new();
        let mut truncated_by_text: HashMap<String, usize> = HashMap::new();
        for (i, _) in flags.iter().enumerate().filter(|(_, f)| **f) {
            let n = NodeIdx(i as u32);
            let value = self.node_name(n).into_owned();
            let group = if let Some(key) = self.truncation(n) {
                let slot = *truncated_by_text.entry(value.clone()).or_insert_with(|| {
                    truncated_groups.push(Vec::new());
                    truncated_groups.len() - 1
                });
                let list = &mut truncated_groups[slot];
                match list.iter().position(|g| g.truncated == Some(key)) {
                    Some(k) => &mut list[k],
                    None => {
                        list.push(StringGroup::new(value, Some(key)));
                        list.last_mut().expect("just pushed")
                    }
                }
            } else {
                let k = *plain.entry(value.clone()).or_insert_with(|| {
                    groups.push(StringGroup::new(value, None));
                    groups.len() - 1
                });
                &mut groups[k]
            };
            group.nodes.push(n);
            group.total_self_size += self.self_size(n);
            group.total_retained_size += self.retained_size(n);
        }
        groups.extend(truncated_groups.into_iter().flatten());
        groups.sort_by_key(|g| std::cmp::Reverse(g.total_retained_size));
        groups
    }
}

impl StringGroup {
    fn new(value: String, truncated: Option<(Option<i64>, Option<i64>)>) -> Self {
        Self {
            value,
            truncated,
            nodes: Vec::new(),
            total_self_size: 0,
            total_retained_size: 0,
        }
    }
}
