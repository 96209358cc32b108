//! Names as DevTools shows them: class names, node names, edge names, WeakMap edges.
//!
//! - [`WeakMapEdges`]: the internal edges V8 names
//!   `N / part of key (K @1) -> value (V @2) pair in WeakMap (table @3)`, parsed once per
//!   string index.
//! - [`class_indexes`]: DevTools' `calculateObjectNames`: one class-name string index per
//!   node (`(system)`, `(compiled code)`, `Function`, `RegExp`, `(string)`…, the constructor
//!   name for objects, `<div>` for `<div id=…>`), appending new strings to the table as
//!   DevTools does.
//! - [`infer_interfaces`] / [`apply_interfaces`]: the `{a, b, c}` class names of plain
//!   `Object`s (DevTools' `inferInterfaceDefinitions` / `applyInterfaceDefinitions`).
//! - [`format_property_name`], [`utf16_len`], [`js_cmp`]: JavaScript string semantics the
//!   above rely on (lengths and ordering in UTF-16 code units).

use std::cmp::Ordering;
use std::collections::HashMap;

use rayon::prelude::*;

use super::dict::ClassIndexBuilder;
use super::edge_kinds::{EdgeKindsRef, KindsRead};
use super::meta::Meta;
use super::strings::{StringTable, StringsOverlay};

/// A parsed WeakMap ephemeron edge name.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WeakMapEdge {
    /// The `@id` of the WeakMap's table.
    pub table_id: u64,
    /// Byte offset where the part shared by the key→value and table→value edges starts.
    pub duplicated_part_start: u32,
}

/// Ephemeron edge names by string index.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct WeakMapEdges {
    by_string: HashMap<u32, WeakMapEdge>,
}

impl WeakMapEdges {
    /// Scans every string once (in parallel) for the ephemeron edge-name pattern.
    pub fn build(strings: &StringTable) -> Self {
        let by_string = (0..strings.len() as u32)
            .into_par_iter()
            .filter_map(|i| parse_weak_map_edge_name(strings.get(i)).map(|m| (i, m)))
            .collect();
        Self { by_string }
    }

    /// The parsed name, if string `name` is an ephemeron edge name.
    pub fn get(&self, name: u32) -> Option<&WeakMapEdge> {
        if self.by_string.is_empty() {
            return None;
        }
        self.by_string.get(&name)
    }
}

/// Matches DevTools' regex
/// `^\d+( \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\))$`.
pub fn parse_weak_map_edge_name(name: &str) -> Option<WeakMapEdge> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let dup = &name[digits..];
    // `.` in a JS regex does not match line terminators.
    if dup.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let rest = dup.strip_prefix(" / part of key (")?;
    // The name ends with `(table @7)`: one closing parenthesis (the regex's last `)`
    // closes its group).
    let rest = rest.strip_suffix(')')?;
    let table_digits = rest.bytes().rev().take_while(u8::is_ascii_digit).count();
    if table_digits == 0 {
        return None;
    }
    let table_id: u64 = rest[rest.len() - table_digits..].parse().ok()?;
    let middle = rest[..rest.len() - table_digits].strip_suffix(" pair in WeakMap (table @")?;
    // middle = `K @\d+) -> value (V @\d+)`
    let middle = middle.strip_suffix(')')?;
    let value_digits = middle.bytes().rev().take_while(u8::is_ascii_digit).count();
    if value_digits == 0 {
        return None;
    }
    let before_value_id = middle[..middle.len() - value_digits].strip_suffix(" @")?;
    // Some occurrence of `@\d+) -> value (` must exist in `before_value_id`.
    let sep = ") -> value (";
    let found = before_value_id.match_indices(sep).any(|(i, _)| {
        let head = &before_value_id[..i];
        let d = head.bytes().rev().take_while(u8::is_ascii_digit).count();
        d > 0 && head[..head.len() - d].ends_with(" @")
    });
    found.then_some(WeakMapEdge {
        table_id,
        duplicated_part_start: digits as u32,
    })
}

/// Length of `s` in UTF-16 code units (JavaScript's `length`).
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// The columns DevTools' `consStringName` walks (node and edge columns as in the file,
/// `edge_to` as node ordinals).
pub(crate) struct ConsColumns<'a> {
    pub node_type: &'a [u8],
    pub node_name: &'a [u32],
    pub first_edge: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
    pub edge_to: &'a [u32],
    pub strings: &'a StringTable,
    /// Type code of `concatenated string`.
    pub cons: u8,
    /// Type code of `internal` edges.
    pub internal: u8,
}

/// The parts DevTools' `consStringName` joins to name the concatenated string `n`: calls
/// `part(node, text)` for each non-concatenated node reached through internal `first` and
/// `second` edges, depth first, until the joined text reaches 1024 UTF-16 units (the last
/// part is whole, so names may be longer).
pub(crate) fn cons_string_parts<'a>(
    c: &ConsColumns<'a>,
    n: u32,
    mut part: impl FnMut(usize, &'a str),
) {
    let mut stack = vec![n];
    let mut name_len = 0usize;
    // DevTools' loop has no other bound: a cons string that contains itself, or a DAG
    // of empty parts, would never reach 1024 characters and loop forever. Real parts
    // are non-empty, so real names are done long before this many steps.
    let mut steps_left = 1u32 << 16;
    while name_len < 1024 && steps_left > 0 {
        steps_left -= 1;
        let Some(node) = stack.pop() else { break };
        let node = node as usize;
        if c.node_type[node] != c.cons {
            let text = c.strings.get(c.node_name[node]);
            part(node, text);
            name_len += utf16_len(text);
            continue;
        }
        let (mut first, mut second) = (0u32, 0u32);
        for e in c.first_edge[node] as usize..c.first_edge[node + 1] as usize {
            if first != 0 && second != 0 {
                break;
            }
            if c.edge_kinds.ty(e) == c.internal {
                match c.strings.get(c.edge_kinds.name(e)) {
                    "first" => first = c.edge_to[e],
                    "second" => second = c.edge_to[e],
                    _ => {}
                }
            }
        }
        stack.push(second);
        stack.push(first);
    }
}

/// JavaScript's default string ordering (UTF-16 code units).
pub fn js_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// Appends `s` to `out` escaped as `JSON.stringify` would (without quotes).
pub fn push_json_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// DevTools' `formatPropertyName`: names with `,'"{}` are shown JSON-quoted.
pub fn format_property_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains([',', '\'', '"', '{', '}']) {
        let mut out = String::with_capacity(name.len() + 2);
        out.push('"');
        push_json_escaped(&mut out, name);
        out.push('"');
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// Inputs of the naming phases.
pub(crate) struct NameInputs<'a> {
    pub meta: &'a Meta,
    pub node_type: &'a [u8],
    pub node_name: &'a [u32],
    pub first_edge: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
}

/// DevTools' `calculateObjectNames`: the class-name string index of every node.
pub(crate) fn class_indexes(
    inp: &NameInputs<'_>,
    strings: &mut StringsOverlay<'_>,
) -> ClassIndexBuilder {
    let nt = inp.meta.nt;
    let mut added: HashMap<String, u32> = HashMap::new();
    let mut index_for = |s: &str, strings: &mut StringsOverlay<'_>| -> u32 {
        if let Some(&i) = added.get(s) {
            return i;
        }
        let i = strings.push(s);
        added.insert(s.to_owned(), i);
        i
    };
    let hidden = index_for("(system)", strings);
    let code = index_for("(compiled code)", strings);
    let function = index_for("Function", strings);
    let regexp = index_for("RegExp", strings);
    // `(type)` class of each other node type, added on first use.
    let mut by_type = [u32::MAX; 256];
    let mut out = ClassIndexBuilder::with_capacity(inp.node_type.len());
    for (n, &t) in inp.node_type.iter().enumerate() {
        let class = if t == nt.hidden {
            hidden
        } else if t == nt.object || t == nt.native {
            let raw = inp.node_name[n];
            let name = strings.get(raw);
            if name.starts_with('<') {
                let short = match name.find(' ') {
                    Some(sp) => format!("{}>", &name[..sp]),
                    None => name.to_owned(),
                };
                index_for(&short, strings)
            } else if let Some(rest) = name.strip_prefix("Detached <") {
                let short = match rest.find(' ') {
                    Some(sp) => format!("{}>", &name[..10 + sp]),
                    None => name.to_owned(),
                };
                index_for(&short, strings)
            } else {
                raw
            }
        } else if t == nt.code {
            code
        } else if t == nt.closure {
            function
        } else if t == nt.regexp {
            regexp
        } else {
            let slot = &mut by_type[usize::from(t)];
            if *slot == u32::MAX {
                let type_name = inp
                    .meta
                    .node_types
                    .get(usize::from(t))
                    .map_or("unknown", String::as_str);
                *slot = index_for(&format!("({type_name})"), strings);
            }
            *slot
        };
        out.push(class);
    }
    out
}

/// An object that matched no interface definition, in [`apply_interfaces`].
const NO_INTERFACE: u32 = u32::MAX;

/// An interface definition: a `{a, b}` name and the properties an object must have.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InterfaceDefinition {
    /// Display name, e.g. `{id, name, email}`.
    pub name: String,
    /// Property names (unsorted, as first seen).
    pub properties: Vec<String>,
}

const MAX_INTERFACE_NAME_LENGTH: usize = 120;
const MIN_INTERFACE_PROPERTY_COUNT: usize = 1;
const MIN_OBJECT_COUNT_PER_INTERFACE: f64 = 2.0;
const MIN_OBJECT_PROPORTION_PER_INTERFACE: f64 = 1000.0;

fn is_plain_object(inp: &NameInputs<'_>, strings: &StringsOverlay<'_>, n: usize) -> bool {
    inp.node_type[n] == inp.meta.nt.object && strings.get(inp.node_name[n]) == "Object"
}

/// DevTools' `inferInterfaceDefinitions`.
pub(crate) fn infer_interfaces(
    inp: &NameInputs<'_>,
    strings: &StringsOverlay<'_>,
) -> Vec<InterfaceDefinition> {
    struct Candidate {
        def: InterfaceDefinition,
        count: u64,
        order: usize,
    }
    let property = inp.meta.et.property;
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    let mut total = 0u64;
    for n in 0..inp.node_type.len() {
        if !is_plain_object(inp, strings, n) {
            continue;
        }
        total += 1;
        let mut name = String::from("{");
        let mut name_len = 1usize; // in UTF-16 units
        let mut properties = Vec::new();
        for e in inp.first_edge[n] as usize..inp.first_edge[n + 1] as usize {
            if inp.edge_kinds.ty(e) != property {
                continue;
            }
            let edge_name = strings.get(inp.edge_kinds.name(e));
            if edge_name == "__proto__" {
                continue;
            }
            let formatted = format_property_name(edge_name);
            let formatted_len = utf16_len(&formatted);
            if name_len > MIN_INTERFACE_PROPERTY_COUNT
                && name_len + formatted_len > MAX_INTERFACE_NAME_LENGTH
            {
                break;
            }
            if name_len != 1 {
                name.push_str(", ");
                name_len += 2;
            }
            name.push_str(&formatted);
            name_len += formatted_len;
            properties.push(edge_name.to_owned());
        }
        if properties.is_empty() {
            continue;
        }
        name.push('}');
        let order = candidates.len();
        candidates
            .entry(name)
            .and_modify(|c| c.count += 1)
            .or_insert_with_key(|name| Candidate {
                def: InterfaceDefinition {
                    name: name.clone(),
                    properties,
                },
                count: 1,
                order,
            });
    }
    let mut sorted: Vec<Candidate> = candidates.into_values().collect();
    // JS: Map insertion order, then a stable sort by count descending.
    sorted.sort_by(|a, b| b.count.cmp(&a.count).then(a.order.cmp(&b.order)));
    let min_count =
        MIN_OBJECT_COUNT_PER_INTERFACE.max(total as f64 / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    sorted
        .into_iter()
        .take_while(|c| c.count as f64 >= min_count)
        .map(|c| c.def)
        .collect()
}

/// DevTools' `applyInterfaceDefinitions`: re-classes plain objects by the best matching
/// interface. `interface_names` persists across calls (DevTools' `#interfaceNames`), so
/// re-applying definitions reuses the string indexes it added before.
pub(crate) fn apply_interfaces(
    inp: &NameInputs<'_>,
    strings: &mut StringsOverlay<'_>,
    definitions: &[InterfaceDefinition],
    interface_names: &mut HashMap<String, u32>,
    class_index: &mut ClassIndexBuilder,
) {
    struct TrieNode {
        next: HashMap<String, usize>,
        /// (property count, definition index, name)
        match_info: Option<(usize, usize)>,
        greatest_next: Option<String>,
    }
    let mut trie = vec![TrieNode {
        next: HashMap::new(),
        match_info: None,
        greatest_next: None,
    }];
    for (index, def) in definitions.iter().enumerate() {
        let mut props: Vec<&str> = def.properties.iter().map(String::as_str).collect();
        props.sort_by(|a, b| js_cmp(a, b));
        let mut cur = 0usize;
        for p in &props {
            let next = match trie[cur].next.get(*p) {
                Some(&i) => i,
                None => {
                    let i = trie.len();
                    trie.push(TrieNode {
                        next: HashMap::new(),
                        match_info: None,
                        greatest_next: None,
                    });
                    trie[cur].next.insert((*p).to_owned(), i);
                    let greater = match &trie[cur].greatest_next {
                        None => true,
                        Some(g) => js_cmp(g, p) == Ordering::Less,
                    };
                    if greater {
                        trie[cur].greatest_next = Some((*p).to_owned());
                    }
                    i
                }
            };
            cur = next;
        }
        if trie[cur].match_info.is_none() {
            trie[cur].match_info = Some((props.len(), index));
        }
    }
    // Better of two matches: more properties, then earlier definition. `None` = no match
    // (the fallback `Object`, property count 0, index infinity).
    let better = |a: Option<(usize, usize)>, b: Option<(usize, usize)>| -> Option<(usize, usize)> {
        match (a, b) {
            (None, b) => b,
            (a, None) => a,
            (Some(x), Some(y)) => {
                if x.0 > y.0 {
                    Some(x)
                } else if y.0 > x.0 {
                    Some(y)
                } else if x.1 <= y.1 {
                    Some(x)
                } else {
                    Some(y)
                }
            }
        }
    };
    let property = inp.meta.et.property;
    let mut props: Vec<&str> = Vec::new();
    let mut states: Vec<usize> = Vec::new();
    let mut next_states: Vec<usize> = Vec::new();
    // (node, matched definition) pairs; strings are added after the scan, which borrows them.
    let mut assignments: Vec<(u32, u32)> = Vec::new();
    for n in 0..inp.node_type.len() {
        if !is_plain_object(inp, strings, n) {
            continue;
        }
        props.clear();
        for e in inp.first_edge[n] as usize..inp.first_edge[n + 1] as usize {
            if inp.edge_kinds.ty(e) == property {
                props.push(strings.get(inp.edge_kinds.name(e)));
            }
        }
        props.sort_by(|a, b| js_cmp(a, b));
        states.clear();
        states.push(0);
        let mut best: Option<(usize, usize)> = trie[0].match_info;
        for p in &props {
            next_states.clear();
            for &s in &states {
                let node = &trie[s];
                let exhausted = match &node.greatest_next {
                    None => true,
                    Some(g) => js_cmp(p, g) != Ordering::Less,
                };
                if !exhausted {
                    next_states.push(s);
                }
                if let Some(&ns) = node.next.get(*p) {
                    if !next_states.contains(&ns) {
                        next_states.push(ns);
                    }
                    best = better(best, trie[ns].match_info);
                }
            }
            std::mem::swap(&mut states, &mut next_states);
        }
        assignments.push((
            n as u32,
            best.map_or(NO_INTERFACE, |(_, index)| index as u32),
        ));
    }
    drop(props);
    for (n, def) in assignments {
        let n = n as usize;
        let class = match def {
            NO_INTERFACE => inp.node_name[n],
            index => {
                let index = index as usize;
                let name = &definitions[index].name;
                match interface_names.get(name) {
                    Some(&i) => i,
                    None => {
                        let i = strings.push(name);
                        interface_names.insert(name.clone(), i);
                        i
                    }
                }
            }
        };
        class_index.set(n, class);
    }
}
