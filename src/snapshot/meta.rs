//! The `snapshot` header of a heap snapshot: field layout and type tables.
//!
//! Field offsets are looked up by name in `meta.node_fields` / `meta.edge_fields`, never
//! hard-coded, so snapshots with extra or reordered fields (`detachedness` missing in old
//! files, `trace_node_id`, future additions) load correctly.

use serde::Deserialize;

use super::error::{Result, meta_err};

/// The raw header as it appears in the file (only the parts we read).
#[derive(Debug, Deserialize)]
pub(crate) struct RawHeader {
    pub meta: RawMeta,
    pub node_count: Option<u64>,
    pub edge_count: Option<u64>,
    #[serde(default)]
    pub trace_function_count: u64,
    #[serde(default)]
    pub root_index: Option<u64>,
    #[serde(default)]
    pub extra_native_bytes: Option<f64>,
}

/// The raw `snapshot.meta` object.
#[derive(Debug, Deserialize)]
pub(crate) struct RawMeta {
    pub node_fields: Vec<String>,
    pub node_types: Vec<serde_json::Value>,
    pub edge_fields: Vec<String>,
    pub edge_types: Vec<serde_json::Value>,
    #[serde(default)]
    pub location_fields: Vec<String>,
    #[serde(default)]
    pub trace_function_info_fields: Vec<String>,
    #[serde(default)]
    pub trace_node_fields: Vec<String>,
    #[serde(default)]
    pub sample_fields: Vec<String>,
}

/// The largest `extra_native_bytes` accepted (2^53, the largest exact integer of a JSON
/// number as V8 writes it).
const MAX_EXTRA_NATIVE_BYTES: f64 = 9_007_199_254_740_992.0;

/// Sentinel for "this type does not exist in this snapshot's type table".
pub const NO_TYPE: u8 = u8::MAX;

/// The resolved layout of a snapshot: offsets of each field and the type tables.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// Number of integers per node in the `nodes` array.
    pub node_field_count: usize,
    /// Offset of `type` within a node record.
    pub node_type_offset: usize,
    /// Offset of `name` within a node record.
    pub node_name_offset: usize,
    /// Offset of `id` within a node record.
    pub node_id_offset: usize,
    /// Offset of `self_size` within a node record.
    pub node_self_size_offset: usize,
    /// Offset of `edge_count` within a node record.
    pub node_edge_count_offset: usize,
    /// Offset of `detachedness`, if the snapshot has it (V8 9.x and later).
    pub node_detachedness_offset: Option<usize>,
    /// Offset of `trace_node_id`, if the snapshot has allocation traces
    /// (`trace_function_count > 0`) and its nodes carry the field (None otherwise, even
    /// when the field is present: then every value is 0 and is not kept).
    pub node_trace_node_id_offset: Option<usize>,
    /// Node type names, indexed by the `type` field.
    pub node_types: Vec<String>,
    /// Number of integers per edge in the `edges` array.
    pub edge_field_count: usize,
    /// Offset of `type` within an edge record.
    pub edge_type_offset: usize,
    /// Offset of `name_or_index` within an edge record.
    pub edge_name_offset: usize,
    /// Offset of `to_node` within an edge record.
    pub edge_to_node_offset: usize,
    /// Edge type names, indexed by the `type` field; DevTools' synthetic `invisible` appended.
    pub edge_types: Vec<String>,
    /// Number of integers per entry of `locations` (0 when the snapshot has none).
    pub location_field_count: usize,
    /// Offsets in a location record: object_index, script_id, line, column.
    pub location_offsets: Option<[usize; 4]>,
    /// Header's `node_count`.
    pub header_node_count: u64,
    /// Header's `edge_count`.
    pub header_edge_count: u64,
    /// Header's `trace_function_count`.
    pub trace_function_count: u64,
    /// Layout of `trace_function_infos` and `trace_tree` (only when
    /// `trace_function_count > 0`).
    pub trace_layout: Option<TraceLayout>,
    /// Offsets of `timestamp_us` and `last_assigned_id` in a `samples` record, and the
    /// record width (None when `meta.sample_fields` lacks them).
    pub sample_layout: Option<SampleLayout>,
    /// Header's `root_index` divided by the node field count (node ordinal of the root).
    pub root_ordinal: u32,
    /// Header's `extra_native_bytes` (0 when absent).
    pub extra_native_bytes: u64,
    /// Well-known node type codes (or [`NO_TYPE`]).
    pub nt: NodeTypes,
    /// Well-known edge type codes (or [`NO_TYPE`]).
    pub et: EdgeTypes,
}

/// Where the values of allocation trace records are (offsets looked up by name in
/// `meta.trace_function_info_fields` and `meta.trace_node_fields`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceLayout {
    /// Values per `trace_function_infos` record.
    pub function_info_field_count: usize,
    /// Offset of `name` (a string index) in a function info record.
    pub function_name: usize,
    /// Offset of `script_name` (a string index).
    pub function_script_name: usize,
    /// Offset of `script_id`.
    pub function_script_id: usize,
    /// Offset of `line` (1-based; 0 when unknown).
    pub function_line: usize,
    /// Offset of `column` (1-based; 0 when unknown).
    pub function_column: usize,
    /// Values per `trace_tree` node record (the nested `children` array counts as one).
    pub node_field_count: usize,
    /// Offset of the trace node's `id` (what objects' `trace_node_id` refers to).
    pub node_id: usize,
    /// Offset of `function_info_index` (a record number in `trace_function_infos`).
    pub node_function_info_index: usize,
    /// Offset of `count` (allocations at exactly this stack).
    pub node_count: usize,
    /// Offset of `size` (bytes allocated at exactly this stack).
    pub node_size: usize,
    /// Offset of `children` (a nested array of child records).
    pub node_children: usize,
}

/// Where the values of a `samples` record are (`meta.sample_fields`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SampleLayout {
    /// Values per record.
    pub field_count: usize,
    /// Offset of `timestamp_us`.
    pub timestamp_us: usize,
    /// Offset of `last_assigned_id`.
    pub last_assigned_id: usize,
}

/// Codes of the node types DevTools treats specially.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct NodeTypes {
    pub hidden: u8,
    pub array: u8,
    pub string: u8,
    pub object: u8,
    pub code: u8,
    pub closure: u8,
    pub regexp: u8,
    pub number: u8,
    pub native: u8,
    pub synthetic: u8,
    pub cons_string: u8,
    pub sliced_string: u8,
}

/// Codes of the edge types.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct EdgeTypes {
    pub context: u8,
    pub element: u8,
    pub property: u8,
    pub internal: u8,
    pub hidden: u8,
    pub shortcut: u8,
    pub weak: u8,
    pub invisible: u8,
}

fn type_names(value: Option<&serde_json::Value>, what: &str) -> Result<Vec<String>> {
    let list = value
        .and_then(|v| v.as_array())
        .ok_or_else(|| meta_err(format!("meta.{what}[type] is not a list of type names")))?;
    let names: Vec<String> = list
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(|| meta_err(format!("meta.{what}[type] contains a non-string")))?;
    if names.len() >= usize::from(NO_TYPE) {
        return Err(meta_err(format!(
            "meta.{what} has too many types ({})",
            names.len()
        )));
    }
    Ok(names)
}

fn find(names: &[String], name: &str) -> u8 {
    names
        .iter()
        .position(|n| n == name)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(NO_TYPE)
}

fn field(fields: &[String], name: &str, what: &str) -> Result<usize> {
    fields
        .iter()
        .position(|f| f == name)
        .ok_or_else(|| meta_err(format!("meta.{what} has no \"{name}\" field")))
}

impl Meta {
    /// Resolves a raw header into offsets and type tables.
    pub(crate) fn from_raw(raw: RawHeader) -> Result<Self> {
        let m = raw.meta;
        let node_type_offset = field(&m.node_fields, "type", "node_fields")?;
        let node_types = type_names(m.node_types.get(node_type_offset), "node_types")?;
        let edge_type_offset = field(&m.edge_fields, "type", "edge_fields")?;
        let mut edge_types = type_names(m.edge_types.get(edge_type_offset), "edge_types")?;
        edge_types.push("invisible".to_owned());
        let location_offsets = if m.location_fields.is_empty() {
            None
        } else {
            Some([
                field(&m.location_fields, "object_index", "location_fields")?,
                field(&m.location_fields, "script_id", "location_fields")?,
                field(&m.location_fields, "line", "location_fields")?,
                field(&m.location_fields, "column", "location_fields")?,
            ])
        };
        let trace_layout = if raw.trace_function_count > 0 {
            let (info, node) = (&m.trace_function_info_fields, &m.trace_node_fields);
            let what_info = "trace_function_info_fields";
            let what_node = "trace_node_fields";
            if !(1..=32).contains(&info.len()) || !(1..=32).contains(&node.len()) {
                return Err(meta_err(format!(
                    "unsupported allocation trace field counts: {} function info fields, {} trace node fields",
                    info.len(),
                    node.len()
                )));
            }
            Some(TraceLayout {
                function_info_field_count: info.len(),
                function_name: field(info, "name", what_info)?,
                function_script_name: field(info, "script_name", what_info)?,
                function_script_id: field(info, "script_id", what_info)?,
                function_line: field(info, "line", what_info)?,
                function_column: field(info, "column", what_info)?,
                node_field_count: node.len(),
                node_id: field(node, "id", what_node)?,
                node_function_info_index: field(node, "function_info_index", what_node)?,
                node_count: field(node, "count", what_node)?,
                node_size: field(node, "size", what_node)?,
                node_children: field(node, "children", what_node)?,
            })
        } else {
            None
        };
        let sample_layout = match (
            m.sample_fields.iter().position(|f| f == "timestamp_us"),
            m.sample_fields.iter().position(|f| f == "last_assigned_id"),
        ) {
            (Some(timestamp_us), Some(last_assigned_id)) if m.sample_fields.len() <= 32 => {
                Some(SampleLayout {
                    field_count: m.sample_fields.len(),
                    timestamp_us,
                    last_assigned_id,
                })
            }
            _ => None,
        };
        let node_trace_node_id_offset = if trace_layout.is_some() {
            m.node_fields.iter().position(|f| f == "trace_node_id")
        } else {
            None
        };
        let node_field_count = m.node_fields.len();
        if !(1..=32).contains(&node_field_count) || !(1..=32).contains(&m.edge_fields.len()) {
            return Err(meta_err(format!(
                "unsupported field counts: {node_field_count} node fields, {} edge fields",
                m.edge_fields.len()
            )));
        }
        let root_index = raw.root_index.unwrap_or(0);
        if !root_index.is_multiple_of(node_field_count as u64) {
            return Err(meta_err(format!(
                "root_index {root_index} is not a multiple of the node field count {node_field_count}"
            )));
        }
        // Bytes of native memory: anything past 2^53 (8 PiB) is not a size, and summing it
        // with the node sizes would overflow.
        let extra_native_bytes = raw.extra_native_bytes.unwrap_or(0.0).max(0.0);
        if !extra_native_bytes.is_finite() || extra_native_bytes > MAX_EXTRA_NATIVE_BYTES {
            return Err(meta_err(format!(
                "extra_native_bytes {extra_native_bytes} is out of range (over 2^53)"
            )));
        }
        let root_ordinal = u32::try_from(root_index / node_field_count as u64)
            .map_err(|_| meta_err(format!("root_index {root_index} is out of range")))?;
        let nt = NodeTypes {
            hidden: find(&node_types, "hidden"),
            array: find(&node_types, "array"),
            string: find(&node_types, "string"),
            object: find(&node_types, "object"),
            code: find(&node_types, "code"),
            closure: find(&node_types, "closure"),
            regexp: find(&node_types, "regexp"),
            number: find(&node_types, "number"),
            native: find(&node_types, "native"),
            synthetic: find(&node_types, "synthetic"),
            cons_string: find(&node_types, "concatenated string"),
            sliced_string: find(&node_types, "sliced string"),
        };
        let et = EdgeTypes {
            context: find(&edge_types, "context"),
            element: find(&edge_types, "element"),
            property: find(&edge_types, "property"),
            internal: find(&edge_types, "internal"),
            hidden: find(&edge_types, "hidden"),
            shortcut: find(&edge_types, "shortcut"),
            weak: find(&edge_types, "weak"),
            invisible: find(&edge_types, "invisible"),
        };
        Ok(Self {
            node_field_count,
            node_type_offset,
            node_name_offset: field(&m.node_fields, "name", "node_fields")?,
            node_id_offset: field(&m.node_fields, "id", "node_fields")?,
            node_self_size_offset: field(&m.node_fields, "self_size", "node_fields")?,
            node_edge_count_offset: field(&m.node_fields, "edge_count", "node_fields")?,
            node_detachedness_offset: m.node_fields.iter().position(|f| f == "detachedness"),
            node_trace_node_id_offset,
            node_types,
            edge_field_count: m.edge_fields.len(),
            edge_type_offset,
            edge_name_offset: field(&m.edge_fields, "name_or_index", "edge_fields")?,
            edge_to_node_offset: field(&m.edge_fields, "to_node", "edge_fields")?,
            edge_types,
            location_field_count: m.location_fields.len(),
            location_offsets,
            header_node_count: raw
                .node_count
                .ok_or_else(|| meta_err("the header has no node_count"))?,
            header_edge_count: raw
                .edge_count
                .ok_or_else(|| meta_err("the header has no edge_count"))?,
            trace_function_count: raw.trace_function_count,
            trace_layout,
            sample_layout,
            root_ordinal,
            extra_native_bytes: extra_native_bytes as u64,
            nt,
            et,
        })
    }
}
