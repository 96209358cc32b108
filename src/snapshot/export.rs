//! Reports: what a view shows, exported as Markdown, JSON or one self-contained HTML file.
//!
//! A [`Report`] is a small document model: a title, the [`Source`] snapshots, and
//! [`Section`]s, each a [`Table`] (Summary or Comparison rows, selected rows), a [`Path`] (a
//! retainer path or a dominator chain) or a [`Chart`] (Statistics). The builders
//! ([`summary_table`], [`comparison_table`], [`objects_table`], [`retainer_path`],
//! [`dominator_chain`], [`statistics_chart`]) take the core's data, so a report holds exactly
//! what the panes and `heapsight summary`/`diff`/`node` show. The renderers
//! ([`Report::to_markdown`], [`Report::to_json`], [`Report::to_html`], and
//! [`Table::to_markdown`] for "Copy as Markdown" of selected rows) are pure functions of the
//! model: the same report renders to the same bytes.
//!
//! Cells hold numbers as integers (exact bytes and counts; percentages in tenths of a
//! percent), so the JSON carries the figures and the Markdown/HTML format them as the panes
//! do. The HTML file has inline CSS and an inline SVG chart: no scripts, no external resources.

use serde::{Deserialize, Serialize};

use super::diff::Diff;
use super::{Aggregates, ClassAggregate, NodeIdx, Snapshot};
use crate::format;

/// A whole report: title, inputs, sections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Title (the first heading).
    pub title: String,
    /// The snapshots the report is about (target first, then the base of a comparison).
    pub sources: Vec<Source>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// One input snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The file's base name (empty for a snapshot loaded from memory).
    pub file: String,
    /// Nodes in the snapshot.
    pub node_count: u64,
    /// DevTools' total size (root retained size plus extra native bytes).
    pub total_size_bytes: u64,
    /// When the file was written (its modification time, UTC, `2026-12-06 08:15:02 UTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken: Option<String>,
}

impl Source {
    /// The source entry of `snap` (file name, node count, total size, file time).
    pub fn of(snap: &Snapshot) -> Self {
        let taken = snap
            .path()
            .and_then(|p| std::fs::metadata(p).ok())
            .and_then(|m| m.modified().ok())
            .map(utc_time);
        Self {
            file: snap.file_name(),
            node_count: snap.node_count() as u64,
            total_size_bytes: snap.total_size(),
            taken,
        }
    }
}

/// `2026-12-06 08:15:02 UTC`.
fn utc_time(at: std::time::SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (year, month, day) = format::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// One section of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Section {
    /// Rows and columns.
    Table(Table),
    /// A retainer path or a dominator chain.
    Path(Path),
    /// The Statistics chart.
    Chart(Chart),
}

/// A table: Summary rows, Comparison rows, selected objects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    /// Heading.
    pub title: String,
    /// A line under the heading (the filter in use, rows left out); may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows: one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// A column of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// Header.
    pub name: String,
    /// Alignment.
    pub align: Align,
    /// What the cells hold, which decides how they are formatted.
    pub kind: ColumnKind,
}

impl Column {
    /// A column; numbers are right-aligned, text left-aligned.
    pub fn new(name: &str, kind: ColumnKind) -> Self {
        let align = if kind == ColumnKind::Text {
            Align::Left
        } else {
            Align::Right
        };
        Self {
            name: name.to_owned(),
            align,
            kind,
        }
    }
}

/// Horizontal alignment of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Align {
    /// Left (text).
    Left,
    /// Right (numbers).
    Right,
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ColumnKind {
    /// Text.
    Text,
    /// Bytes (shown as `1.2 MB`).
    Bytes,
    /// A count (shown with thousands separators).
    Count,
    /// A signed change in bytes (shown as `+1.2 MB`/`−3 kB`).
    BytesDelta,
    /// A signed change in a count (shown as `+12`).
    CountDelta,
    /// A share, in tenths of a percent (shown as `12.3 %`).
    Percent,
    /// A distance from the roots (`−` when unreachable or system-only).
    Distance,
}

/// One cell: a number (exact) or a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// Bytes, counts, distances, tenths of a percent.
    Number(i64),
    /// Names.
    Text(String),
}

impl Cell {
    /// A number cell from an unsigned figure.
    pub fn bytes(n: u64) -> Self {
        Self::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// A text cell.
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    /// `part` of `total` in tenths of a percent (0 for an empty total).
    pub fn percent(part: u64, total: u64) -> Self {
        if total == 0 {
            return Self::Number(0);
        }
        Self::Number((part as f64 * 1000.0 / total as f64).round() as i64)
    }

    /// The cell as text, formatted for `kind`.
    pub fn display(&self, kind: ColumnKind) -> String {
        let n = match self {
            Self::Text(s) => return s.clone(),
            Self::Number(n) => *n,
        };
        let magnitude = n.unsigned_abs();
        let sign = if n > 0 {
            "+"
        } else if n < 0 {
            "\u{2212}"
        } else {
            ""
        };
        match kind {
            ColumnKind::Text => n.to_string(),
            ColumnKind::Bytes => format::bytes(magnitude),
            ColumnKind::Count => format::count(magnitude),
            ColumnKind::BytesDelta => format!("{sign}{}", format::bytes(magnitude)),
            ColumnKind::CountDelta => format!("{sign}{}", format::count(magnitude)),
            ColumnKind::Percent => format!("{}.{} %", magnitude / 10, magnitude % 10),
            ColumnKind::Distance => format::distance(i32::try_from(n).unwrap_or(i32::MAX)),
        }
    }
}

/// A path of objects: a retainer path (the object, what holds it, … up to a GC root) or a
/// dominator chain (the object, its immediate dominator, … up to the root).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Path {
    /// Heading.
    pub title: String,
    /// Which kind of path.
    pub path_kind: PathKind,
    /// The hops, the selected object first.
    pub hops: Vec<Hop>,
}

/// What a [`Path`] follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PathKind {
    /// Retainers along the shortest path to a GC root (the Retainers pane's first row each).
    Retainers,
    /// Immediate dominators up to the root.
    Dominators,
}

/// One object of a [`Path`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hop {
    /// The edge from this object to the previous hop, as DevTools labels it (`.name`,
    /// `[0]`, `->x`, `{map}`); empty for the first hop and in dominator chains.
    pub edge: String,
    /// The object's name as the Retainers pane shows it (closures by function name).
    pub name: String,
    /// Its class (Constructor).
    pub class_name: String,
    /// Its snapshot object id (`@id`).
    pub id: u32,
    /// Distance from the roots.
    pub distance: i32,
    /// Shallow size.
    pub self_size_bytes: u64,
    /// Retained size.
    pub retained_size_bytes: u64,
}

/// The Statistics chart: categories of the heap and the total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// Heading.
    pub title: String,
    /// DevTools' total size.
    pub total_bytes: u64,
    /// The categories (they add up to the total).
    pub categories: Vec<Category>,
}

/// One slice of a [`Chart`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Name, as DevTools' legend says it.
    pub name: String,
    /// Bytes.
    pub bytes: u64,
}

// ---------------------------------------------------------------------------------------
// Builders.

/// True when class `name` passes the Summary/Comparison class filter `filter` (DevTools'
/// "Filter by class": a case-insensitive substring; an empty filter passes everything).
pub fn class_filter_matches(filter: &str, name: &str) -> bool {
    let filter = filter.trim();
    filter.is_empty() || name.to_lowercase().contains(&filter.to_lowercase())
}

/// The line under a filtered table (`Filter by class “x”: 3 of 120 rows.`; empty without one).
pub fn filter_note(filter: &str, shown: usize, total: usize) -> String {
    if filter.trim().is_empty() {
        String::new()
    } else {
        format!(
            "Filter by class \u{201c}{}\u{201d}: {shown} of {total} rows.",
            filter.trim()
        )
    }
}

/// The Summary's columns: Constructor, Distance, Count, Shallow Size, %, Retained Size, %.
fn summary_columns() -> Vec<Column> {
    vec![
        Column::new("Constructor", ColumnKind::Text),
        Column::new("Distance", ColumnKind::Distance),
        Column::new("Count", ColumnKind::Count),
        Column::new("Shallow Size", ColumnKind::Bytes),
        Column::new("Shallow %", ColumnKind::Percent),
        Column::new("Retained Size", ColumnKind::Bytes),
        Column::new("Retained %", ColumnKind::Percent),
    ]
}

fn summary_row(c: &ClassAggregate, total: u64) -> Vec<Cell> {
    vec![
        Cell::text(&c.name),
        Cell::Number(i64::from(c.distance)),
        Cell::Number(i64::from(c.count)),
        Cell::bytes(c.shallow_size_bytes),
        Cell::percent(c.shallow_size_bytes, total),
        Cell::bytes(c.retained_size_bytes),
        Cell::percent(c.retained_size_bytes, total),
    ]
}

/// The Summary rows of `snap` whose class passes `filter`, in the Summary's order
/// (retained size descending), as the Summary pane and `summary --json` show them.
pub fn summary_table(snap: &Snapshot, filter: &str) -> Table {
    summary_table_of(snap, snap.aggregates(), filter)
}

/// [`summary_table`] over other aggregates of `snap` (an id-range filter's).
pub fn summary_table_of(snap: &Snapshot, aggregates: &Aggregates, filter: &str) -> Table {
    let rows: Vec<usize> = (0..aggregates.classes.len())
        .filter(|&i| class_filter_matches(filter, &aggregates.classes[i].name))
        .collect();
    let mut table = summary_rows_table(snap, aggregates, &rows);
    table.note = filter_note(filter, rows.len(), aggregates.classes.len());
    table
}

/// The Summary rows `rows` (indexes into `aggregates.classes`, in the order given): "Copy as
/// Markdown" of selected Summary rows.
pub fn summary_rows_table(snap: &Snapshot, aggregates: &Aggregates, rows: &[usize]) -> Table {
    let total = snap.total_size();
    Table {
        title: "Summary".to_owned(),
        note: String::new(),
        columns: summary_columns(),
        rows: rows
            .iter()
            .filter_map(|&i| aggregates.classes.get(i))
            .map(|c| summary_row(c, total))
            .collect(),
    }
}

/// The Comparison rows of `diff` whose class passes `filter`, in the Comparison's order
/// (# Delta descending), as the Comparison pane and `diff --json` show them.
pub fn comparison_table(diff: &Diff, base: &Snapshot, filter: &str) -> Table {
    let rows: Vec<usize> = (0..diff.classes.len())
        .filter(|&i| class_filter_matches(filter, &diff.classes[i].name))
        .collect();
    let mut table = comparison_rows_table(diff, &rows);
    let base_name = base.file_name();
    let mut note = if base_name.is_empty() {
        String::new()
    } else {
        format!("Compared with {base_name}.")
    };
    let filtered = filter_note(filter, rows.len(), diff.classes.len());
    if !filtered.is_empty() {
        if !note.is_empty() {
            note.push(' ');
        }
        note.push_str(&filtered);
    }
    table.note = note;
    table
}

/// The Comparison rows `rows` (indexes into `diff.classes`): "Copy as Markdown" of selected
/// Comparison rows.
pub fn comparison_rows_table(diff: &Diff, rows: &[usize]) -> Table {
    Table {
        title: "Comparison".to_owned(),
        note: String::new(),
        columns: vec![
            Column::new("Constructor", ColumnKind::Text),
            Column::new("# New", ColumnKind::Count),
            Column::new("# Deleted", ColumnKind::Count),
            Column::new("# Delta", ColumnKind::CountDelta),
            Column::new("Alloc. Size", ColumnKind::Bytes),
            Column::new("Freed Size", ColumnKind::Bytes),
            Column::new("Size Delta", ColumnKind::BytesDelta),
        ],
        rows: rows
            .iter()
            .filter_map(|&i| diff.classes.get(i))
            .map(|c| {
                vec![
                    Cell::text(&c.name),
                    Cell::Number(i64::from(c.added_count)),
                    Cell::Number(i64::from(c.removed_count)),
                    Cell::Number(c.count_delta),
                    Cell::bytes(c.added_size_bytes),
                    Cell::bytes(c.removed_size_bytes),
                    Cell::Number(c.size_delta_bytes),
                ]
            })
            .collect(),
    }
}

/// Objects as the object grids show them (Object `name @id`, Distance, Shallow Size,
/// Retained Size, with shares of the total): "Copy as Markdown" of selected instances,
/// retainers or containment rows.
pub fn objects_table(snap: &Snapshot, title: &str, nodes: &[NodeIdx]) -> Table {
    let total = snap.total_size();
    Table {
        title: title.to_owned(),
        note: String::new(),
        columns: vec![
            Column::new("Object", ColumnKind::Text),
            Column::new("Distance", ColumnKind::Distance),
            Column::new("Shallow Size", ColumnKind::Bytes),
            Column::new("Shallow %", ColumnKind::Percent),
            Column::new("Retained Size", ColumnKind::Bytes),
            Column::new("Retained %", ColumnKind::Percent),
        ],
        rows: nodes
            .iter()
            .map(|&n| {
                vec![
                    Cell::Text(object_label(snap, n)),
                    Cell::Number(i64::from(snap.distance(n))),
                    Cell::bytes(snap.self_size(n)),
                    Cell::percent(snap.self_size(n), total),
                    Cell::bytes(snap.retained_size(n)),
                    Cell::percent(snap.retained_size(n), total),
                ]
            })
            .collect(),
    }
}

/// `name @id` as the Retainers pane names objects (closures by function name).
fn object_label(snap: &Snapshot, n: NodeIdx) -> String {
    format!(
        "{} @{}",
        super::doctor::display_name(snap, n),
        snap.node_id(n)
    )
}

fn hop(snap: &Snapshot, n: NodeIdx, edge: String) -> Hop {
    Hop {
        edge,
        name: super::doctor::display_name(snap, n),
        class_name: snap.class_name(n).to_owned(),
        id: snap.node_id(n),
        distance: snap.distance(n),
        self_size_bytes: snap.self_size(n),
        retained_size_bytes: snap.retained_size(n),
    }
}

/// The retainer path of `n`: `n`, the retainer the Retainers pane lists first (the strong
/// retainer nearest to the roots), its first retainer, … up to a GC root (the path
/// `heapsight doctor` prints and the Retainers pane expands first).
pub fn retainer_path(snap: &Snapshot, n: NodeIdx) -> Path {
    let steps = super::doctor::path_to(snap, n);
    // `steps` runs from the root side to `n`; each step's edge leads to it from the step
    // before. Object first, each hop with the edge from it to the previous hop.
    let mut hops = Vec::with_capacity(steps.len());
    for k in (0..steps.len()).rev() {
        let edge = steps
            .get(k + 1)
            .map(|next| next.edge.clone())
            .unwrap_or_default();
        hops.push(hop(snap, steps[k].node, edge));
    }
    Path {
        title: format!("Retainer path of {}", object_label(snap, n)),
        path_kind: PathKind::Retainers,
        hops,
    }
}

/// The dominator chain of `n`: `n`, its immediate dominator, … up to the root, with their
/// retained sizes (what freeing each would release).
pub fn dominator_chain(snap: &Snapshot, n: NodeIdx) -> Path {
    let hops = std::iter::once(n)
        .chain(snap.dominator_chain(n))
        .map(|d| hop(snap, d, String::new()))
        .collect();
    Path {
        title: format!("Dominator chain of {}", object_label(snap, n)),
        path_kind: PathKind::Dominators,
        hops,
    }
}

/// DevTools' Statistics: Code, Strings, JS arrays, Typed arrays, System objects, Other JS
/// objects, Other non-JS objects, and the total.
pub fn statistics_chart(snap: &Snapshot) -> Chart {
    let s = snap.statistics();
    let category = |name: &str, bytes: u64| Category {
        name: name.to_owned(),
        bytes,
    };
    Chart {
        title: "Statistics".to_owned(),
        total_bytes: s.total,
        categories: vec![
            category("Code", s.code),
            category("Strings", s.strings),
            category("JS arrays", s.js_arrays),
            category("Typed arrays", s.typed_arrays),
            category("System objects", s.system),
            category("Other JS objects", s.other_js_objects),
            category("Other non-JS objects", s.other_non_js_objects),
        ],
    }
}

/// What [`Report::build`] puts in a report.
#[derive(Clone, Debug, Default)]
pub struct ReportRequest<'a> {
    /// The class filter of the Summary or Comparison rows (empty: all rows).
    pub filter: &'a str,
    /// The Comparison against this base (with its diff) instead of the Summary.
    pub base: Option<(&'a Snapshot, &'a Diff)>,
    /// Selected objects: each gets its retainer path and dominator chain.
    pub nodes: &'a [NodeIdx],
    /// Include the Statistics chart.
    pub statistics: bool,
}

impl Report {
    /// An empty report titled `title`.
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            sources: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// The report of `snap`: the Summary (or the Comparison with `request.base`) rows
    /// passing the filter, each selected object's retainer path and dominator chain, and
    /// the Statistics chart.
    pub fn build(snap: &Snapshot, request: &ReportRequest<'_>) -> Self {
        let file = snap.file_name();
        let mut report = Self::new(&if file.is_empty() {
            "heapsight report".to_owned()
        } else {
            format!("heapsight report: {file}")
        });
        report.sources.push(Source::of(snap));
        match request.base {
            Some((base, diff)) => {
                report.sources.push(Source::of(base));
                report
                    .sections
                    .push(Section::Table(comparison_table(diff, base, request.filter)));
            }
            None => report
                .sections
                .push(Section::Table(summary_table(snap, request.filter))),
        }
        for &n in request.nodes {
            report.sections.push(Section::Path(retainer_path(snap, n)));
            report
                .sections
                .push(Section::Path(dominator_chain(snap, n)));
        }
        if request.statistics {
            report.sections.push(Section::Chart(statistics_chart(snap)));
        }
        report
    }
}

// ---------------------------------------------------------------------------------------
// Markdown.

/// Escapes text for a Markdown paragraph or table cell: characters Markdown would read
/// (`|`, backticks, `*`, `_`, `[`, `]`, `<`, `>`, `~`, `\`) get a backslash; line breaks
/// become `<br>`.
pub fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

impl Table {
    /// The table as a GitHub-flavoured Markdown table (header, alignment row, rows), with no
    /// heading: what "Copy as Markdown" copies.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push('|');
        for c in &self.columns {
            out.push_str(&format!(" {} |", markdown_escape(&c.name)));
        }
        out.push_str("\n|");
        for c in &self.columns {
            out.push_str(match c.align {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        out.push('\n');
        for row in &self.rows {
            out.push('|');
            for (i, c) in self.columns.iter().enumerate() {
                let text = row
                    .get(i)
                    .map(|cell| cell.display(c.kind))
                    .unwrap_or_default();
                out.push_str(&format!(" {} |", markdown_escape(&text)));
            }
            out.push('\n');
        }
        out
    }
}

fn hop_text(h: &Hop) -> String {
    format!("{} @{}", h.name, h.id)
}

impl Path {
    /// The path as a numbered Markdown list, the selected object first.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        for (i, h) in self.hops.iter().enumerate() {
            let object = markdown_escape(&hop_text(h));
            let line = match self.path_kind {
                PathKind::Retainers if !h.edge.is_empty() => {
                    format!("{} in {object}", markdown_escape(&h.edge))
                }
                _ => object,
            };
            out.push_str(&format!(
                "{}. {line} ({}, distance {}, retained {})\n",
                i + 1,
                markdown_escape(&h.class_name),
                format::distance(h.distance),
                format::bytes(h.retained_size_bytes)
            ));
        }
        out
    }
}

impl Chart {
    /// The chart as a Markdown table of categories, bytes and shares, and the total.
    pub fn to_markdown(&self) -> String {
        let mut table = Table {
            title: self.title.clone(),
            note: String::new(),
            columns: vec![
                Column::new("Category", ColumnKind::Text),
                Column::new("Size", ColumnKind::Bytes),
                Column::new("%", ColumnKind::Percent),
            ],
            rows: self
                .categories
                .iter()
                .map(|c| {
                    vec![
                        Cell::text(&c.name),
                        Cell::bytes(c.bytes),
                        Cell::percent(c.bytes, self.total_bytes),
                    ]
                })
                .collect(),
        };
        table.rows.push(vec![
            Cell::text("Total"),
            Cell::bytes(self.total_bytes),
            Cell::percent(self.total_bytes, self.total_bytes),
        ]);
        table.to_markdown()
    }
}

impl Report {
    /// The report as Markdown: `# title`, the sources, then each section under `## title`.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n\n", markdown_escape(&self.title));
        for s in &self.sources {
            out.push_str(&format!("- {}\n", markdown_escape(&source_line(s))));
        }
        if !self.sources.is_empty() {
            out.push('\n');
        }
        for section in &self.sections {
            let (title, body) = match section {
                Section::Table(t) => {
                    let mut body = String::new();
                    if !t.note.is_empty() {
                        body.push_str(&format!("{}\n\n", markdown_escape(&t.note)));
                    }
                    body.push_str(&t.to_markdown());
                    (&t.title, body)
                }
                Section::Path(p) => (&p.title, p.to_markdown()),
                Section::Chart(c) => (&c.title, c.to_markdown()),
            };
            out.push_str(&format!("## {}\n\n{body}\n", markdown_escape(title)));
        }
        out
    }

    /// The report as JSON (pretty, camelCase field names, sections tagged by `kind`), with a
    /// final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a report written by [`Report::to_json`].
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }
}

/// `final.heapsnapshot: 12 345 nodes, 4.5 MB, taken 2026-12-06 08:15:02 UTC`.
fn source_line(s: &Source) -> String {
    let file = if s.file.is_empty() {
        "(in memory)"
    } else {
        s.file.as_str()
    };
    let mut line = format!(
        "{file}: {} nodes, {}",
        format::count(s.node_count),
        format::bytes(s.total_size_bytes)
    );
    if let Some(taken) = &s.taken {
        line.push_str(&format!(", taken {taken}"));
    }
    line
}

// ---------------------------------------------------------------------------------------
// HTML.

/// Escapes text for HTML content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Slice colours of the chart, in category order (DevTools' Statistics palette), then the
/// rest.
const CHART_COLORS: [&str; 8] = [
    "#f9a825", "#8e24aa", "#1e88e5", "#00897b", "#757575", "#43a047", "#e53935", "#6d4c41",
];

const HTML_STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;\
margin:2em auto;max-width:72em;padding:0 1em;color:#202124;background:#fff}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #dadce0}\
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .7em;border:1px solid #dadce0}\
th{background:#f1f3f4;text-align:left}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\
.note{color:#5f6368}.edge{color:#8e24aa}.id{color:#5f6368}ol.path li{margin:.15em 0}\
.chart{display:flex;gap:2em;align-items:center}.swatch{display:inline-block;width:.8em;\
height:.8em;margin-right:.4em;vertical-align:middle}\
@media (prefers-color-scheme:dark){body{color:#e8eaed;background:#202124}\
th{background:#303134}th,td{border-color:#5f6368}}";

fn table_html(t: &Table) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    let class = |a: Align| {
        if a == Align::Right {
            " class=\"r\""
        } else {
            ""
        }
    };
    for c in &t.columns {
        out.push_str(&format!(
            "<th{}>{}</th>",
            class(c.align),
            html_escape(&c.name)
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, c) in t.columns.iter().enumerate() {
            let cell = row.get(i);
            let text = cell.map(|cell| cell.display(c.kind)).unwrap_or_default();
            // Exact figures on hover.
            let title = match (cell, c.kind) {
                (Some(Cell::Number(n)), ColumnKind::Bytes | ColumnKind::BytesDelta) => {
                    format!(" title=\"{n} B\"")
                }
                _ => String::new(),
            };
            out.push_str(&format!(
                "<td{}{title}>{}</td>",
                class(c.align),
                html_escape(&text)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn path_html(p: &Path) -> String {
    let mut out = String::from("<ol class=\"path\">\n");
    for h in &p.hops {
        out.push_str("<li>");
        if p.path_kind == PathKind::Retainers && !h.edge.is_empty() {
            out.push_str(&format!(
                "<span class=\"edge\">{}</span> in ",
                html_escape(&h.edge)
            ));
        }
        out.push_str(&format!(
            "{} <span class=\"id\">@{}</span> <span class=\"note\">({}, distance {}, retained <span title=\"{} B\">{}</span>)</span></li>\n",
            html_escape(&h.name),
            h.id,
            html_escape(&h.class_name),
            html_escape(&format::distance(h.distance)),
            h.retained_size_bytes,
            html_escape(&format::bytes(h.retained_size_bytes)),
        ));
    }
    out.push_str("</ol>\n");
    out
}

/// The chart as an inline SVG donut with a legend table.
fn chart_html(c: &Chart) -> String {
    const R: f64 = 80.0;
    const WIDTH: f64 = 36.0;
    let total: u64 = c.categories.iter().map(|k| k.bytes).sum();
    let mut svg = format!(
        "<svg width=\"200\" height=\"200\" viewBox=\"-100 -100 200 200\" role=\"img\" aria-label=\"{}\">\n",
        html_escape(&c.title)
    );
    let mut start = 0.0f64;
    for (i, k) in c.categories.iter().enumerate() {
        if k.bytes == 0 || total == 0 {
            continue;
        }
        let color = CHART_COLORS[i % CHART_COLORS.len()];
        let fraction = k.bytes as f64 / total as f64;
        let label = html_escape(&format!("{}: {}", k.name, format::bytes(k.bytes)));
        if fraction >= 0.999_999 {
            svg.push_str(&format!(
                "<circle r=\"{R}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{WIDTH}\"><title>{label}</title></circle>\n"
            ));
            break;
        }
        let end = start + fraction;
        let point = |t: f64| {
            let a = t * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
            (R * a.cos(), R * a.sin())
        };
        let ((x0, y0), (x1, y1)) = (point(start), point(end));
        let large = i32::from(fraction > 0.5);
        svg.push_str(&format!(
            "<path d=\"M {x0:.3} {y0:.3} A {R} {R} 0 {large} 1 {x1:.3} {y1:.3}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{WIDTH}\"><title>{label}</title></path>\n"
        ));
        start = end;
    }
    svg.push_str(&format!(
        "<text text-anchor=\"middle\" dy=\"0.35em\" font-size=\"16\" fill=\"currentColor\">{}</text>\n</svg>\n",
        html_escape(&format::bytes(c.total_bytes))
    ));
    let mut legend = String::from(
        "<table>\n<thead><tr><th>Category</th><th class=\"r\">Size</th><th class=\"r\">%</th></tr></thead>\n<tbody>\n",
    );
    for (i, k) in c.categories.iter().enumerate() {
        legend.push_str(&format!(
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td class=\"r\" title=\"{} B\">{}</td><td class=\"r\">{}</td></tr>\n",
            CHART_COLORS[i % CHART_COLORS.len()],
            html_escape(&k.name),
            k.bytes,
            html_escape(&format::bytes(k.bytes)),
            html_escape(&Cell::percent(k.bytes, c.total_bytes).display(ColumnKind::Percent)),
        ));
    }
    legend.push_str(&format!(
        "<tr><th>Total</th><th class=\"r\" title=\"{} B\">{}</th><th class=\"r\">100.0 %</th></tr>\n</tbody>\n</table>\n",
        c.total_bytes,
        html_escape(&format::bytes(c.total_bytes)),
    ));
    format!("<div class=\"chart\">\n{svg}{legend}</div>\n")
}

impl Report {
    /// The report as one self-contained HTML file: inline CSS, the chart as inline SVG, no
    /// scripts and nothing loaded from anywhere; every text escaped.
    pub fn to_html(&self) -> String {
        let title = html_escape(&self.title);
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{HTML_STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        if !self.sources.is_empty() {
            out.push_str("<ul>\n");
            for s in &self.sources {
                out.push_str(&format!("<li>{}</li>\n", html_escape(&source_line(s))));
            }
            out.push_str("</ul>\n");
        }
        for section in &self.sections {
            let (title, body) = match section {
                Section::Table(t) => {
                    let mut body = String::new();
                    if !t.note.is_empty() {
                        body.push_str(&format!("<p class=\"note\">{}</p>\n", html_escape(&t.note)));
                    }
                    body.push_str(&table_html(t));
                    (&t.title, body)
                }
                Section::Path(p) => (&p.title, path_html(p)),
                Section::Chart(c) => (&c.title, chart_html(c)),
            };
            out.push_str(&format!("<h2>{}</h2>\n{body}", html_escape(title)));
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// GitHub-flavoured Markdown.
    Markdown,
    /// JSON ([`Report::to_json`]).
    Json,
    /// One self-contained HTML file.
    Html,
}

impl ExportFormat {
    /// `md`/`markdown`, `json`, `html`/`htm` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(Self::Markdown),
            "json" => Some(Self::Json),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }

    /// The format a file name's extension names.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::parse)
    }

    /// The format's name in menus and dialogs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Markdown => "Markdown",
            Self::Json => "JSON",
            Self::Html => "HTML",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Html => "html",
        }
    }

    /// Renders `report` in this format.
    pub fn render(self, report: &Report) -> String {
        match self {
            Self::Markdown => report.to_markdown(),
            Self::Json => report.to_json(),
            Self::Html => report.to_html(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_cells() {
        assert_eq!(
            markdown_escape("a|b `c` <div>\nx\r\ny __proto__"),
            "a\\|b \\`c\\` \\<div\\><br>x<br>y \\_\\_proto\\_\\_"
        );
        let table = Table {
            title: "T".into(),
            note: String::new(),
            columns: vec![
                Column::new("Name", ColumnKind::Text),
                Column::new("Size", ColumnKind::Bytes),
                Column::new("Δ", ColumnKind::CountDelta),
                Column::new("%", ColumnKind::Percent),
            ],
            rows: vec![vec![
                Cell::text("x|y"),
                Cell::Number(1500),
                Cell::Number(-3),
                Cell::Number(123),
            ]],
        };
        assert_eq!(
            table.to_markdown(),
            "| Name | Size | Δ | % |\n|---|---:|---:|---:|\n| x\\|y | 1.5 kB | \u{2212}3 | 12.3 % |\n"
        );
    }

    #[test]
    fn html_escapes_text() {
        assert_eq!(
            html_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(
            ExportFormat::from_path("r.MD".as_ref()),
            Some(ExportFormat::Markdown)
        );
        assert_eq!(ExportFormat::parse("html"), Some(ExportFormat::Html));
        assert_eq!(ExportFormat::from_path("r.txt".as_ref()), None);
    }
}
