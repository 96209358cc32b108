//! Sampling heap profiles (`.heapprofile`): what `node --heap-prof`, DevTools' "Allocation
//! sampling" and CDP `HeapProfiler.stopSampling` write.
//!
//! The file is `{"head": NODE, "samples": [{size, nodeId, ordinal}, …]}` where a NODE is
//! `{"callFrame": {functionName, scriptId, url, lineNumber, columnNumber}, "selfSize", "id",
//! "children": [NODE, …]}`; lines and columns are 0-based (-1 when unknown) and `selfSize` is
//! the bytes sampled at exactly that stack. [`HeapProfile`] keeps the tree as columns in
//! preorder (index 0 is the head, the synthetic `(root)`), each node's total size
//! (self plus descendants), and the bottom-up [`ProfileFunction`] rows: the nodes merged by
//! function (name, URL, line, column), with self size summed over all of them and total size
//! counted once per stack when a function recurses (as DevTools' Bottom-Up view does).
//! Lines and columns are shown 1-based, as DevTools shows them.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use serde::Deserialize;

use super::error::{Error, ErrorKind, Result};

/// Deepest nesting of JSON arrays and objects accepted (a node costs two levels: about
/// 10 000 stack frames, far beyond V8's sampling depth of 128).
const MAX_NESTING: usize = 20_000;

/// A function (call frame) of a heap profile, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallFrame {
    /// Function name (empty for anonymous functions and top-level code).
    pub function_name: String,
    /// Script URL (empty for native and synthetic frames).
    pub url: String,
    /// V8 script id, as written (a string in CDP).
    pub script_id: String,
    /// 0-based line, -1 when unknown.
    pub line_number: i64,
    /// 0-based column, -1 when unknown.
    pub column_number: i64,
}

impl CallFrame {
    /// 1-based line as DevTools shows it (0 when unknown).
    pub fn line(&self) -> i64 {
        self.line_number.max(-1) + 1
    }

    /// 1-based column as DevTools shows it (0 when unknown).
    pub fn column(&self) -> i64 {
        self.column_number.max(-1) + 1
    }

    /// `url:line:column` (1-based), `url` without a line, empty without a URL.
    pub fn location_label(&self) -> String {
        match (self.url.is_empty(), self.line()) {
            (true, _) => String::new(),
            (false, 0) => self.url.clone(),
            (false, line) => format!("{}:{}:{}", self.url, line, self.column()),
        }
    }

    /// The name DevTools shows: `(anonymous)` for an empty name.
    pub fn display_name(&self) -> &str {
        if self.function_name.is_empty() {
            "(anonymous)"
        } else {
            &self.function_name
        }
    }
}

/// One bottom-up row: all nodes of one function (name, URL, line, column) merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileFunction {
    /// The function (script id of its first node in preorder).
    pub frame: CallFrame,
    /// Bytes sampled in the function itself.
    pub self_size_bytes: u64,
    /// Bytes sampled in it and everything it called (once per stack when it recurses).
    pub total_size_bytes: u64,
    /// Profile nodes (stacks) of the function.
    pub node_count: u32,
}

/// A loaded sampling heap profile (see the module docs).
#[derive(Clone, Debug)]
pub struct HeapProfile {
    /// Call frame of each node, preorder (node 0 is the head, `(root)`).
    pub frames: Vec<CallFrame>,
    /// Each node's id as written.
    pub ids: Vec<u64>,
    /// Each node's self size in bytes.
    pub self_sizes: Vec<u64>,
    /// Each node's total size (self plus all descendants).
    pub total_sizes: Vec<u64>,
    /// Each node's parent (None for the head).
    pub parents: Vec<Option<u32>>,
    /// Each node's children, in file order.
    pub children: Vec<Vec<u32>>,
    /// Number of entries in `samples`.
    pub sample_count: usize,
    /// Bottom-up rows, biggest self size first (ties: total size, then name, URL, line,
    /// column).
    pub functions: Vec<ProfileFunction>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProfile {
    head: RawNode,
    #[serde(default)]
    samples: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNode {
    call_frame: RawCallFrame,
    self_size: f64,
    #[serde(default)]
    id: u64,
    #[serde(default)]
    children: Vec<RawNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCallFrame {
    #[serde(default)]
    function_name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    script_id: ScriptId,
    #[serde(default = "unknown")]
    line_number: i64,
    #[serde(default = "unknown")]
    column_number: i64,
}

fn unknown() -> i64 {
    -1
}

/// A script id written as a string (CDP) or a number.
#[derive(Default, Deserialize)]
#[serde(untagged)]
enum ScriptId {
    Text(String),
    Number(u64),
    #[default]
    Missing,
}

fn not_a_profile(message: String) -> Error {
    Error::new(ErrorKind::NotAProfile(message))
}

/// Deepest nesting of arrays and objects in JSON text (strings skipped).
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl HeapProfile {
    /// Loads a `.heapprofile` (or a gzip-compressed one). Errors name the file; a file
    /// that is not a profile is [`ErrorKind::NotAProfile`].
    pub fn load_path(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).map_err(|e| Error::new(ErrorKind::Io(e)).with_path(path))?;
        Self::from_bytes(&bytes).map_err(|e| e.with_path(path))
    }

    /// Parses a profile from bytes (plain JSON or gzip).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let inflated;
        let json = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .read_to_end(&mut out)
                .map_err(|e| Error::new(ErrorKind::Gzip(e.to_string())))?;
            inflated = out;
            &inflated[..]
        } else {
            bytes
        };
        if nesting_depth(json) > MAX_NESTING {
            return Err(not_a_profile(format!(
                "JSON nested deeper than {MAX_NESTING} levels"
            )));
        }
        // serde recurses per nesting level: parse (and drop the raw tree) on a thread with a
        // stack big enough for MAX_NESTING levels.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("heapsight-heapprofile".into())
                .stack_size(256 << 20)
                .spawn_scoped(scope, || -> Result<Self> {
                    let mut de = serde_json::Deserializer::from_slice(json);
                    de.disable_recursion_limit();
                    let json_err = |e: serde_json::Error| not_a_profile(e.to_string());
                    let raw = RawProfile::deserialize(&mut de).map_err(json_err)?;
                    de.end().map_err(json_err)?;
                    let profile = Self::from_raw(&raw);
                    drop_deep(raw.head);
                    Ok(profile)
                })
                .map_err(|e| Error::new(ErrorKind::Io(e)))?
                .join()
                .map_err(|_| not_a_profile("the parser failed".to_owned()))?
        })
    }

    fn from_raw(raw: &RawProfile) -> Self {
        let mut p = Self {
            frames: Vec::new(),
            ids: Vec::new(),
            self_sizes: Vec::new(),
            total_sizes: Vec::new(),
            parents: Vec::new(),
            children: Vec::new(),
            sample_count: raw.samples.len(),
            functions: Vec::new(),
        };
        // Preorder, iteratively: (node, parent).
        let mut stack: Vec<(&RawNode, Option<u32>)> = vec![(&raw.head, None)];
        while let Some((node, parent)) = stack.pop() {
            let i = p.frames.len() as u32;
            let f = &node.call_frame;
            p.frames.push(CallFrame {
                function_name: f.function_name.clone(),
                url: f.url.clone(),
                script_id: match &f.script_id {
                    ScriptId::Text(s) => s.clone(),
                    ScriptId::Number(n) => n.to_string(),
                    ScriptId::Missing => String::new(),
                },
                line_number: f.line_number,
                column_number: f.column_number,
            });
            p.ids.push(node.id);
            // Sizes are integers in practice; negative or fractional ones are clamped.
            p.self_sizes.push(node.self_size.max(0.0) as u64);
            p.parents.push(parent);
            p.children.push(Vec::new());
            if let Some(parent) = parent {
                p.children[parent as usize].push(i);
            }
            for child in node.children.iter().rev() {
                stack.push((child, Some(i)));
            }
        }
        // Total sizes: children come after their parent in preorder.
        p.total_sizes = p.self_sizes.clone();
        for i in (1..p.frames.len()).rev() {
            if let Some(parent) = p.parents[i] {
                p.total_sizes[parent as usize] += p.total_sizes[i];
            }
        }
        p.functions = p.bottom_up();
        p
    }

    /// Bottom-up rows (the head excluded).
    fn bottom_up(&self) -> Vec<ProfileFunction> {
        type Key<'a> = (&'a str, &'a str, i64, i64);
        let key = |i: usize| -> Key<'_> {
            let f = &self.frames[i];
            (&f.function_name, &f.url, f.line_number, f.column_number)
        };
        let mut slot_of: HashMap<Key<'_>, usize> = HashMap::new();
        let mut rows: Vec<ProfileFunction> = Vec::new();
        let mut slot = vec![0usize; self.frames.len()];
        for i in 1..self.frames.len() {
            let s = *slot_of.entry(key(i)).or_insert_with(|| {
                rows.push(ProfileFunction {
                    frame: self.frames[i].clone(),
                    self_size_bytes: 0,
                    total_size_bytes: 0,
                    node_count: 0,
                });
                rows.len() - 1
            });
            slot[i] = s;
            rows[s].self_size_bytes += self.self_sizes[i];
            rows[s].node_count += 1;
        }
        // Total: a node's subtree counts unless an ancestor has the same function. Walk in
        // preorder with the functions on the current stack.
        let mut on_stack = vec![0u32; rows.len()];
        let mut path: Vec<usize> = Vec::new();
        for i in 1..self.frames.len() {
            // Pop until the top of `path` is this node's parent.
            while let Some(&top) = path.last() {
                if Some(top as u32) == self.parents[i] {
                    break;
                }
                on_stack[slot[top]] -= 1;
                path.pop();
            }
            if on_stack[slot[i]] == 0 {
                rows[slot[i]].total_size_bytes += self.total_sizes[i];
            }
            on_stack[slot[i]] += 1;
            path.push(i);
        }
        rows.sort_by(|a, b| {
            b.self_size_bytes
                .cmp(&a.self_size_bytes)
                .then(b.total_size_bytes.cmp(&a.total_size_bytes))
                .then_with(|| a.frame.function_name.cmp(&b.frame.function_name))
                .then_with(|| a.frame.url.cmp(&b.frame.url))
                .then(a.frame.line_number.cmp(&b.frame.line_number))
                .then(a.frame.column_number.cmp(&b.frame.column_number))
        });
        rows
    }

    /// Total bytes sampled (the head's total size).
    pub fn total_size_bytes(&self) -> u64 {
        self.total_sizes.first().copied().unwrap_or(0)
    }

    /// Number of nodes (stacks), the head included.
    pub fn node_count(&self) -> usize {
        self.frames.len()
    }
}

/// The `profile --json` report.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileReport {
    /// Base name of the input.
    pub file: String,
    /// Total bytes sampled.
    pub total_size: u64,
    /// Nodes (stacks), the head included.
    pub node_count: usize,
    /// Entries in `samples`.
    pub sample_count: usize,
    /// Number of bottom-up rows.
    pub function_count: usize,
    /// Every bottom-up row, in [`HeapProfile::functions`] order.
    pub functions: Vec<ProfileFunctionReport>,
}

/// One bottom-up row of [`ProfileReport`].
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileFunctionReport {
    /// Function name as stored.
    pub name: String,
    /// Script URL.
    pub url: String,
    /// Script id as stored.
    pub script_id: String,
    /// 1-based line (0 when unknown).
    pub line: i64,
    /// 1-based column (0 when unknown).
    pub column: i64,
    /// Bytes sampled in the function itself.
    pub self_size: u64,
    /// Bytes sampled in it and its callees (once per stack).
    pub total_size: u64,
    /// Stacks merged into the row.
    pub node_count: u32,
}

impl HeapProfile {
    /// The `profile --json` report for a file named `file`.
    pub fn report(&self, file: &str) -> ProfileReport {
        ProfileReport {
            file: file.to_owned(),
            total_size: self.total_size_bytes(),
            node_count: self.node_count(),
            sample_count: self.sample_count,
            function_count: self.functions.len(),
            functions: self
                .functions
                .iter()
                .map(|f| ProfileFunctionReport {
                    name: f.frame.function_name.clone(),
                    url: f.frame.url.clone(),
                    script_id: f.frame.script_id.clone(),
                    line: f.frame.line(),
                    column: f.frame.column(),
                    self_size: f.self_size_bytes,
                    total_size: f.total_size_bytes,
                    node_count: f.node_count,
                })
                .collect(),
        }
    }
}

/// Drops a raw tree without recursion (a deep tree would overflow the stack in `Drop`).
fn drop_deep(head: RawNode) {
    let mut stack = vec![head];
    while let Some(mut node) = stack.pop() {
        stack.append(&mut node.children);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, line: i64, self_size: u64, children: Vec<String>) -> String {
        format!(
            r#"{{"callFrame":{{"functionName":"{name}","scriptId":"7","url":"app.js","lineNumber":{line},"columnNumber":2}},"selfSize":{self_size},"id":1,"children":[{}]}}"#,
            children.join(",")
        )
    }

    #[test]
    fn recursion_counts_total_once_per_stack() {
        // (root) -> a(10) -> b(5) -> a(7) -> c(3); (root) -> c(1)
        let c = node("c", 9, 3, vec![]);
        let a2 = node("a", 0, 7, vec![c]);
        let b = node("b", 4, 5, vec![a2]);
        let a = node("a", 0, 10, vec![b]);
        let c2 = node("c", 9, 1, vec![]);
        let text = format!(
            r#"{{"head":{},"samples":[{{"size":1,"nodeId":1,"ordinal":1}}]}}"#,
            node("(root)", -1, 0, vec![a, c2])
        );
        let p = HeapProfile::from_bytes(text.as_bytes()).expect("a profile");
        assert_eq!(p.total_size_bytes(), 26);
        assert_eq!(p.node_count(), 6);
        assert_eq!(p.sample_count, 1);
        let row = |name: &str| {
            p.functions
                .iter()
                .find(|f| f.frame.function_name == name)
                .unwrap_or_else(|| panic!("no row {name}"))
        };
        assert_eq!(
            (row("a").self_size_bytes, row("a").total_size_bytes),
            (17, 25)
        );
        assert_eq!(
            (row("b").self_size_bytes, row("b").total_size_bytes),
            (5, 15)
        );
        assert_eq!(
            (row("c").self_size_bytes, row("c").total_size_bytes),
            (4, 4)
        );
        assert_eq!(row("a").node_count, 2);
        assert_eq!(row("c").frame.location_label(), "app.js:10:3");
        let names: Vec<&str> = p.functions.iter().map(|f| f.frame.display_name()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn deep_profiles_load_and_bad_ones_are_errors() {
        let mut text = node("leaf", 1, 1, vec![]);
        for i in 0..3000 {
            text = node(&format!("f{i}"), 1, 0, vec![text]);
        }
        let p = HeapProfile::from_bytes(format!(r#"{{"head":{text}}}"#).as_bytes())
            .expect("a deep profile");
        assert_eq!(p.node_count(), 3001);
        assert_eq!(p.total_size_bytes(), 1);
        for bad in [
            "",
            "{",
            "[]",
            r#"{"head":{}}"#,
            r#"{"head":{"callFrame":{},"selfSize":"x"}}"#,
        ] {
            let err = HeapProfile::from_bytes(bad.as_bytes()).expect_err(bad);
            assert!(
                err.to_string().contains("not a sampling heap profile"),
                "{err}"
            );
        }
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        let err = HeapProfile::from_bytes(deep.as_bytes()).expect_err("too deep");
        assert!(matches!(err.kind(), ErrorKind::NotAProfile(_)), "{err:?}");
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }
}
