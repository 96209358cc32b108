//! Reports in the DevTools oracle's JSON shape (`node oracle.js FILE`), shared by the CLI
//! and the tests. Field names and order follow the oracle exactly so outputs compare as
//! text; `devtoolsFrontendVersion` is omitted.

use serde::Serialize;

use super::{Diff, EdgeIdx, LeakClass, NodeIdx, Snapshot, Statistics};

/// The whole `summary --json` report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryReport {
    /// Base name of the input.
    pub file: String,
    /// Size of the input on disk.
    pub file_bytes: u64,
    /// Totals.
    pub totals: Totals,
    /// Statistics pie.
    pub statistics: Statistics,
    /// Summary rows.
    pub summary: SummarySection,
    /// Largest nodes by retained size.
    pub top_nodes: Vec<NodeReport>,
}

/// The `totals` section.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Nodes in the snapshot.
    pub node_count: usize,
    /// Edges in the snapshot.
    pub edge_count: usize,
    /// Sum of shallow sizes.
    pub total_shallow_size: u64,
    /// Retained size of the root.
    pub total_reachable_size: u64,
    /// Root retained size plus extra native bytes.
    pub total_size: u64,
    /// Header's `extra_native_bytes`.
    pub extra_native_bytes: u64,
    /// Nodes with a distance (reachable from the root).
    pub reachable_node_count: usize,
    /// Shallow size of those nodes.
    pub reachable_shallow_size: u64,
    /// Header's `node_count`.
    pub header_node_count: u64,
    /// Header's `edge_count`.
    pub header_edge_count: u64,
}

/// The `summary` section.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummarySection {
    /// Number of classes before truncation.
    pub class_count: usize,
    /// Rows.
    pub classes: Vec<ClassRow>,
}

/// One Summary row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassRow {
    /// DevTools' class key.
    pub class_key: String,
    /// Constructor name.
    pub name: String,
    /// Instances.
    pub count: u32,
    /// Sum of shallow sizes.
    pub shallow_size: u64,
    /// Class retained size.
    pub retained_size: u64,
    /// Minimum distance.
    pub distance: i32,
}

/// One node with its retainers (a `topNodes` entry, or the `node` command's output).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    /// `@id`.
    pub id: u32,
    /// Name as DevTools shows it.
    pub name: String,
    /// Class name.
    pub class_name: String,
    /// Node type.
    #[serde(rename = "type")]
    pub node_type: String,
    /// Shallow size.
    pub self_size: u64,
    /// Retained size.
    pub retained_size: u64,
    /// Distance.
    pub distance: i32,
    /// Id of the immediate dominator.
    pub dominator_id: u32,
    /// Retainers after DevTools' filter.
    pub retainer_count: usize,
    /// The first retainers (all of them for the `node` command).
    pub retainers: Vec<RetainerRow>,
    /// Ids from the immediate dominator up to the root (`node` command only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dominator_chain: Option<Vec<u32>>,
}

/// One retainer of a node.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetainerRow {
    /// Edge type.
    pub edge_type: String,
    /// Edge name (`String(edge.name())`).
    pub edge_name: String,
    /// Retaining node's id.
    pub node_id: u32,
    /// Retaining node's name.
    pub node_name: String,
    /// Retaining node's class.
    pub node_class_name: String,
}

impl Snapshot {
    /// The `totals` section.
    pub fn totals(&self) -> Totals {
        let (reachable_node_count, reachable_shallow_size) = self
            .distance
            .iter()
            .zip(self.self_size.iter())
            .filter(|&(d, _)| d >= 0)
            .fold((0usize, 0u64), |(c, s), (_, size)| {
                (c + 1, s + u64::from(size))
            });
        Totals {
            node_count: self.node_count(),
            edge_count: self.edge_count(),
            total_shallow_size: self.total_shallow_size(),
            total_reachable_size: self.retained_size(self.root()),
            total_size: self.total_size(),
            extra_native_bytes: self.meta.extra_native_bytes,
            reachable_node_count,
            reachable_shallow_size,
            header_node_count: self.meta.header_node_count,
            header_edge_count: self.meta.header_edge_count,
        }
    }

    /// One node in the oracle's `topNodes` shape, with up to `retainer_limit` retainers.
    pub fn node_report(&self, n: NodeIdx, retainer_limit: usize, with_chain: bool) -> NodeReport {
        let mut retainers = Vec::new();
        let mut count = 0;
        for (from, e) in self.visible_retainers(n) {
            count += 1;
            if retainers.len() < retainer_limit {
                retainers.push(self.retainer_row(from, e));
            }
        }
        NodeReport {
            id: self.node_id(n),
            name: self.node_name(n).into_owned(),
            class_name: self.class_name(n).to_owned(),
            node_type: self.node_type_name(n).to_owned(),
            self_size: self.self_size(n),
            retained_size: self.retained_size(n),
            distance: self.distance(n),
            dominator_id: self.node_id(self.dominator(n)),
            retainer_count: count,
            retainers,
            dominator_chain: with_chain.then(|| {
                self.dominator_chain(n)
                    .into_iter()
                    .map(|d| self.node_id(d))
                    .collect()
            }),
        }
    }

    fn retainer_row(&self, from: NodeIdx, e: EdgeIdx) -> RetainerRow {
        RetainerRow {
            edge_type: self.edge_type_name(e).to_owned(),
            edge_name: self.edge_name(e).into_owned(),
            node_id: self.node_id(from),
            node_name: self.node_name(from).into_owned(),
            node_class_name: self.class_name(from).to_owned(),
        }
    }

    /// The `count` nodes with the largest retained size (ties: lower id first).
    pub fn top_retainers(&self, count: usize) -> Vec<NodeIdx> {
        let better = |a: u32, b: u32| {
            let (ra, rb) = (self.retained.get(a as usize), self.retained.get(b as usize));
            ra > rb || (ra == rb && self.node_id[a as usize] < self.node_id[b as usize])
        };
        let mut top: Vec<u32> = Vec::with_capacity(count + 1);
        for n in 0..self.node_count() as u32 {
            if top.len() == count && !top.last().is_some_and(|&last| better(n, last)) {
                continue;
            }
            let pos = top.partition_point(|&t| better(t, n));
            top.insert(pos, n);
            top.truncate(count);
        }
        top.into_iter().map(NodeIdx).collect()
    }

    /// The full `summary --json` report (all classes, `top_nodes` nodes with
    /// `retainer_limit` retainers each).
    pub fn summary_report(&self, top_nodes: usize, retainer_limit: usize) -> SummaryReport {
        let classes: Vec<ClassRow> = self
            .classes()
            .iter()
            .map(|c| ClassRow {
                class_key: c.key.clone(),
                name: c.name.clone(),
                count: c.count,
                shallow_size: c.shallow_size_bytes,
                retained_size: c.retained_size_bytes,
                distance: c.distance,
            })
            .collect();
        SummaryReport {
            file: self.file_name(),
            file_bytes: self.file_bytes,
            totals: self.totals(),
            statistics: self.statistics.clone(),
            summary: SummarySection {
                class_count: classes.len(),
                classes,
            },
            top_nodes: self
                .top_retainers(top_nodes)
                .into_iter()
                .map(|n| self.node_report(n, retainer_limit, false))
                .collect(),
        }
    }
}

/// The `diff --json` report (the oracle's `--sections comparison` output).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonReport {
    /// Base name of the target file.
    pub file: String,
    /// Size of the target file on disk.
    pub file_bytes: u64,
    /// The comparison.
    pub comparison: ComparisonSection,
}

/// The `comparison` section.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonSection {
    /// Base name of the base file.
    pub base: String,
    /// Number of changed classes.
    pub class_count: usize,
    /// Changed classes, by # Delta descending.
    pub classes: Vec<DiffRow>,
}

/// One Comparison row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffRow {
    /// DevTools' class key.
    pub class_key: String,
    /// Constructor name.
    pub name: String,
    /// # New.
    pub added_count: u32,
    /// # Deleted.
    pub removed_count: u32,
    /// # Delta.
    pub count_delta: i64,
    /// Alloc. Size.
    pub added_size: u64,
    /// Freed Size.
    pub removed_size: u64,
    /// Size Delta.
    pub size_delta: i64,
}

/// Builds the `diff --json` report of `target` compared with `base`.
pub fn comparison_report(base: &Snapshot, target: &Snapshot, diff: &Diff) -> ComparisonReport {
    let classes: Vec<DiffRow> = diff
        .classes
        .iter()
        .map(|c| DiffRow {
            class_key: c.key.clone(),
            name: c.name.clone(),
            added_count: c.added_count,
            removed_count: c.removed_count,
            count_delta: c.count_delta,
            added_size: c.added_size_bytes,
            removed_size: c.removed_size_bytes,
            size_delta: c.size_delta_bytes,
        })
        .collect();
    ComparisonReport {
        file: target.file_name(),
        file_bytes: target.file_bytes(),
        comparison: ComparisonSection {
            base: base.file_name(),
            class_count: classes.len(),
            classes,
        },
    }
}

/// The `leaks --json` report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaksReport {
    /// Base name of the baseline file.
    pub baseline: String,
    /// Base name of the target file.
    pub target: String,
    /// Base name of the final file.
    #[serde(rename = "final")]
    pub last: String,
    /// Candidate classes, user classes first, by count.
    pub classes: Vec<LeakClassRow>,
}

/// One leak candidate class.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeakClassRow {
    /// Class name.
    pub class_name: String,
    /// DevTools built-in row (`(string)`, `system / …`).
    pub builtin: bool,
    /// Objects allocated between baseline and target, alive in final.
    pub count: u32,
    /// Their shallow sizes.
    pub shallow_size: u64,
    /// Their retained size (without double counting).
    pub retained_size: u64,
    /// Groups by retainer path.
    pub groups: Vec<LeakGroupRow>,
}

/// One retainer-path group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeakGroupRow {
    /// Objects in the group.
    pub count: u32,
    /// Id of a representative object (in the final snapshot).
    pub representative_id: u32,
    /// Retainer path from the object toward the roots: `Class edge` hops.
    pub path: Vec<String>,
}

/// Builds the `leaks --json` report.
pub fn leaks_report(
    files: [&Snapshot; 3],
    classes: &[LeakClass],
    groups_per_class: usize,
) -> LeaksReport {
    let last = files[2];
    LeaksReport {
        baseline: files[0].file_name(),
        target: files[1].file_name(),
        last: last.file_name(),
        classes: classes
            .iter()
            .map(|c| LeakClassRow {
                class_name: c.class_name.clone(),
                builtin: c.builtin,
                count: c.count,
                shallow_size: c.shallow_size_bytes,
                retained_size: c.retained_size_bytes,
                groups: c
                    .groups
                    .iter()
                    .take(groups_per_class)
                    .map(|g| LeakGroupRow {
                        count: g.count,
                        representative_id: last.node_id(g.representative),
                        path: g
                            .path
                            .iter()
                            .map(|h| format!("{} {}", h.class_name, h.edge))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Serializes like `JSON.stringify(value, null, 1)` plus a newline.
pub fn to_json_string<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serializing plain structs of strings and integers cannot fail.
    value.serialize(&mut ser).ok();
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

/// One string object of a [`StringGroupReport`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StringNodeReport {
    /// Snapshot object id.
    pub id: u32,
    /// Shallow size.
    pub self_size: u64,
    /// Retained size.
    pub retained_size: u64,
    /// Distance from the roots.
    pub distance: i32,
}

/// A group of DevTools' `getDuplicateStrings`, in its JSON shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StringGroupReport {
    /// The text.
    pub value: String,
    /// Number of string objects with it.
    pub count: usize,
    /// Sum of their shallow sizes.
    pub total_self_size: u64,
    /// Sum of their retained sizes.
    pub total_retained_size: u64,
    /// The objects, in snapshot order.
    pub nodes: Vec<StringNodeReport>,
    /// Whether V8 truncated the text in the snapshot.
    pub truncated: bool,
    /// Real length of a truncated string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<i64>,
    /// Hash of a truncated string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<i64>,
}

impl Snapshot {
    /// [`Snapshot::duplicate_string_groups`] in the JSON shape of DevTools'
    /// `getDuplicateStrings`.
    pub fn string_group_reports(&self) -> Vec<StringGroupReport> {
        self.duplicate_string_groups()
            .into_iter()
            .map(|g| StringGroupReport {
                count: g.nodes.len(),
                total_self_size: g.total_self_size,
                total_retained_size: g.total_retained_size,
                nodes: g
                    .nodes
                    .iter()
                    .map(|&n| StringNodeReport {
                        id: self.node_id(n),
                        self_size: self.self_size(n),
                        retained_size: self.retained_size(n),
                        distance: self.distance(n),
                    })
                    .collect(),
                truncated: g.truncated.is_some(),
                length: g.truncated.and_then(|t| t.0),
                hash: g.truncated.and_then(|t| t.1),
                value: g.value,
            })
            .collect()
    }
}
