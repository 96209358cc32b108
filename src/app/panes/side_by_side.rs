//! Side by side: the Summary of the baseline and of the target in one table, aligned by
//! DevTools' class key, with each side's count and sizes, the deltas and a bar that draws
//! the shallow-size delta. Sorted by growth (size delta, biggest first) by default.
//!
//! Aligning the classes is O(classes) and runs on a worker when the pair changes; so does
//! re-sorting or filtering a long list.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use crate::format;
use crate::snapshot::{ClassAggregate, Snapshot};

use super::super::document::DocId;
use super::super::jobs::{Poll, Promise};
use super::super::role::Role;
use super::super::theme::{self, CompareTheme, Theme};
use super::super::widgets::{self, number_cell_ui};
use super::super::widgets::{column_sort_header_ui as sort_header_ui, signed_bytes, signed_count};
use super::CompareContext;
use super::comparison::{bytes_cell_ui, delta_cell_ui};

/// Lists longer than this are sorted on a worker.
const INLINE_SORT_LIMIT: usize = 20_000;

/// A sortable column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SideColumn {
    /// Constructor.
    Name,
    /// Count in the baseline.
    BaseCount,
    /// Count in the target.
    TargetCount,
    /// Count delta.
    CountDelta,
    /// Shallow size in the baseline.
    BaseSize,
    /// Shallow size in the target.
    TargetSize,
    /// Shallow size delta (the bar).
    SizeDelta,
    /// Retained size in the baseline.
    BaseRetained,
    /// Retained size in the target.
    TargetRetained,
}

/// Column and direction (descending when `.1`).
pub type SideSort = (SideColumn, bool);

/// One constructor: its Summary row in each snapshot (index into `classes()`).
#[derive(Clone, Copy, Debug)]
pub struct SideRow {
    /// Class index in the baseline.
    pub base: Option<u32>,
    /// Class index in the target.
    pub target: Option<u32>,
}

/// Both snapshots and their aligned rows.
pub struct Aligned {
    base: Arc<Snapshot>,
    target: Arc<Snapshot>,
    rows: Vec<SideRow>,
    /// Largest |shallow size delta|, for the bar scale.
    max_delta_bytes: u64,
}

const EMPTY: (u32, u64, u64) = (0, 0, 0);

impl Aligned {
    fn class(s: &Snapshot, c: Option<u32>) -> Option<&ClassAggregate> {
        s.classes().get(c? as usize)
    }

    /// Name of a row (from the target when it has the class).
    pub fn name(&self, row: SideRow) -> &str {
        Self::class(&self.target, row.target)
            .or_else(|| Self::class(&self.base, row.base))
            .map_or("", |c| c.name.as_str())
    }

    /// (count, shallow, retained) on each side.
    fn sides(&self, row: SideRow) -> [(u32, u64, u64); 2] {
        let f = |c: Option<&ClassAggregate>| {
            c.map_or(EMPTY, |c| {
                (c.count, c.shallow_size_bytes, c.retained_size_bytes)
            })
        };
        [
            f(Self::class(&self.base, row.base)),
            f(Self::class(&self.target, row.target)),
        ]
    }

    /// Target − baseline count.
    pub fn count_delta(&self, row: SideRow) -> i64 {
        let [b, t] = self.sides(row);
        i64::from(t.0) - i64::from(b.0)
    }

    /// Target − baseline shallow size.
    pub fn size_delta(&self, row: SideRow) -> i64 {
        let [b, t] = self.sides(row);
        t.1 as i64 - b.1 as i64
    }

    fn key(&self, row: SideRow, column: SideColumn) -> i128 {
        let [b, t] = self.sides(row);
        match column {
            SideColumn::Name => 0,
            SideColumn::BaseCount => i128::from(b.0),
            SideColumn::TargetCount => i128::from(t.0),
            SideColumn::CountDelta => i128::from(self.count_delta(row)),
            SideColumn::BaseSize => i128::from(b.1),
            SideColumn::TargetSize => i128::from(t.1),
            SideColumn::SizeDelta => i128::from(self.size_delta(row)),
            SideColumn::BaseRetained => i128::from(b.2),
            SideColumn::TargetRetained => i128::from(t.2),
        }
    }

    /// Row indices passing `filter` (lower case), sorted by `sort`.
    fn order(&self, sort: SideSort, filter: &str) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.rows.len() as u32)
            .filter(|&i| {
                filter.is_empty()
                    || self
                        .name(self.rows[i as usize])
                        .to_lowercase()
                        .contains(filter)
            })
            .collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (self.rows[a as usize], self.rows[b as usize]);
            let o = match sort.0 {
                SideColumn::Name => self.name(x).cmp(self.name(y)),
                col => self.key(x, col).cmp(&self.key(y, col)),
            };
            let o = if sort.1 { o.reverse() } else { o };
            o.then_with(|| self.name(x).cmp(self.name(y)))
        });
        order
    }
}

/// Aligns both Summaries by class key (runs on a worker).
fn align(base: Arc<Snapshot>, target: Arc<Snapshot>) -> Aligned {
    let by_key: HashMap<&str, u32> = target
        .classes()
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.as_str(), i as u32))
        .collect();
    let mut seen = vec![false; target.classes().len()];
    let mut rows: Vec<SideRow> = base
        .classes()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let t = by_key.get(c.key.as_str()).copied();
            if let Some(t) = t {
                seen[t as usize] = true;
            }
            SideRow {
                base: Some(i as u32),
                target: t,
            }
        })
        .collect();
    rows.extend(
        seen.iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(t, _)| SideRow {
                base: None,
                target: Some(t as u32),
            }),
    );
    drop(by_key);
    let mut aligned = Aligned {
        base,
        target,
        rows,
        max_delta_bytes: 0,
    };
    aligned.max_delta_bytes = aligned
        .rows
        .iter()
        .map(|&r| aligned.size_delta(r).unsigned_abs())
        .max()
        .unwrap_or(0);
    aligned
}

/// The Side by side pane.
pub struct SideBySidePane {
    pair: Option<(DocId, DocId)>,
    job: Option<Promise<Aligned>>,
    aligned: Option<Arc<Aligned>>,
    order: Arc<Vec<u32>>,
    order_key: Option<(SideSort, String)>,
    order_job: Option<(SideSort, String, Promise<Vec<u32>>)>,
    sort: SideSort,
    filter: String,
}

impl Default for SideBySidePane {
    fn default() -> Self {
        Self {
            pair: None,
            job: None,
            aligned: None,
            order: Arc::new(Vec::new()),
            order_key: None,
            order_job: None,
            sort: (SideColumn::SizeDelta, true),
            filter: String::new(),
        }
    }
}

impl SideBySidePane {
    /// True while aligning or sorting.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.order_job.is_some()
    }

    /// The rows in display order as (constructor, count delta, size delta).
    pub fn rows(&self) -> Vec<(String, i64, i64)> {
        let Some(a) = self.aligned.as_ref() else {
            return Vec::new();
        };
        self.order
            .iter()
            .map(|&i| {
                let r = a.rows[i as usize];
                (a.name(r).to_owned(), a.count_delta(r), a.size_delta(r))
            })
            .collect()
    }

    fn sync(&mut self, ctx: &egui::Context, cx: &CompareContext<'_>) {
        let base = cx.snapshot(Role::Baseline);
        let target = cx.snapshot(Role::Target);
        let ids = base.as_ref().zip(target.as_ref()).map(|(b, t)| (b.0, t.0));
        if ids != self.pair {
            self.pair = ids;
            self.aligned = None;
            self.order = Arc::new(Vec::new());
            self.order_key = None;
            self.order_job = None;
            self.job = base
                .zip(target)
                .map(|((_, b), (_, t))| Promise::spawn("side by side", ctx, move || align(b, t)));
        }
        if let Some(job) = self.job.as_mut() {
            match job.try_take() {
                Poll::Pending => {}
                Poll::Ready(a) => {
                    self.aligned = Some(Arc::new(a));
                    self.job = None;
                }
                Poll::Lost => self.job = None,
            }
        }
        if let Some((sort, filter, job)) = self.order_job.as_mut() {
            match job.try_take() {
                Poll::Pending => {}
                Poll::Ready(order) => {
                    self.order = Arc::new(order);
                    self.order_key = Some((*sort, filter.clone()));
                    self.order_job = None;
                }
                Poll::Lost => self.order_job = None,
            }
        }
        let Some(aligned) = self.aligned.as_ref() else {
            return;
        };
        let want = (self.sort, self.filter.trim().to_lowercase());
        let running = self
            .order_job
            .as_ref()
            .is_some_and(|(s, f, _)| (*s, f.clone()) == want);
        if self.order_key.as_ref() != Some(&want) && !running {
            if aligned.rows.len() <= INLINE_SORT_LIMIT {
                self.order = Arc::new(aligned.order(want.0, &want.1));
                self.order_key = Some(want);
            } else {
                let a = Arc::clone(aligned);
                let (sort, filter) = want.clone();
                let job = Promise::spawn("side by side sort", ctx, move || a.order(sort, &filter));
                self.order_job = Some((want.0, want.1, job));
            }
        }
    }

    /// Draws the toolbar and the table.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut CompareContext<'_>) {
        self.sync(ui.ctx(), cx);
        let theme = Theme::of(ui);
        let ct = CompareTheme::of(ui);
        if self.pair.is_none() {
            ui.add_space(12.0);
            ui.label(
                RichText::new("Side by side needs a baseline and a target: drop a second snapshot on the window.")
                    .color(theme.weak_text),
            );
            return;
        }
        let mut filter = self.filter.clone();
        ui.horizontal(|ui| {
            widgets::class_filter_ui(ui, &mut filter, "side_by_side_class_filter");
            if let Some(a) = self.aligned.as_ref() {
                ui.label(
                    RichText::new(format!(
                        "{} constructors \u{00B7} A = baseline {} ({}), B = target {} ({})",
                        format::count(self.order.len() as u64),
                        display_name(&a.base),
                        format::bytes(a.base.total_size()),
                        display_name(&a.target),
                        format::bytes(a.target.total_size())
                    ))
                    .color(theme.weak_text),
                );
            }
            if self.is_busy() {
                crate::app::widgets::spinner(ui);
            }
        });
        self.filter = filter;
        let Some(aligned) = self.aligned.clone() else {
            ui.horizontal(|ui| {
                crate::app::widgets::spinner(ui);
                ui.label(RichText::new("Aligning the summaries\u{2026}").color(theme.weak_text));
            });
            return;
        };
        let order = Arc::clone(&self.order);
        let mut sort = self.sort;
        let header: [(&str, &str, SideColumn); 10] = [
            (
                "Constructor",
                "Classes of both snapshots, matched by class key",
                SideColumn::Name,
            ),
            (
                "Count A",
                "Objects of the class in the baseline",
                SideColumn::BaseCount,
            ),
            (
                "Count B",
                "Objects of the class in the target",
                SideColumn::TargetCount,
            ),
            (
                "# Delta",
                "Count B \u{2212} Count A",
                SideColumn::CountDelta,
            ),
            (
                "Shallow A",
                "Shallow size in the baseline",
                SideColumn::BaseSize,
            ),
            (
                "Shallow B",
                "Shallow size in the target",
                SideColumn::TargetSize,
            ),
            (
                "Size Delta",
                "Shallow B \u{2212} Shallow A",
                SideColumn::SizeDelta,
            ),
            (
                "Growth",
                "The size delta as a bar (scaled to the largest change)",
                SideColumn::SizeDelta,
            ),
            (
                "Retained A",
                "Retained size in the baseline",
                SideColumn::BaseRetained,
            ),
            (
                "Retained B",
                "Retained size in the target",
                SideColumn::TargetRetained,
            ),
        ];
        let mut builder = TableBuilder::new(ui)
            .id_salt("side_by_side_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::remainder().at_least(200.0).clip(true));
        for width in [70.0, 70.0, 70.0, 80.0, 80.0, 85.0, 130.0, 85.0, 85.0] {
            builder = builder.column(Column::initial(width).at_least(50.0).clip(true));
        }
        builder
            .header(theme::HEADER_HEIGHT, |mut row| {
                for (c, (title, tip, col)) in header.iter().enumerate() {
                    row.col(|ui| {
                        let default_desc = *col != SideColumn::Name;
                        sort_header_ui(ui, title, tip, *col, &mut sort, default_desc, c != 0);
                    });
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, order.len(), |mut row| {
                    let Some(&i) = order.get(row.index()) else {
                        return;
                    };
                    let r = aligned.rows[i as usize];
                    let [b, t] = aligned.sides(r);
                    row.col(|ui| {
                        ui.label(
                            RichText::new(widgets::shorten(aligned.name(r)))
                                .color(theme.class_name)
                                .strong(),
                        );
                        if r.base.is_none() {
                            ui.label(RichText::new("new").small().color(ct.added));
                        } else if r.target.is_none() {
                            ui.label(RichText::new("gone").small().color(ct.removed));
                        }
                    });
                    row.col(|ui| number_cell_ui(ui, format::count(u64::from(b.0))));
                    row.col(|ui| number_cell_ui(ui, format::count(u64::from(t.0))));
                    let dc = aligned.count_delta(r);
                    row.col(|ui| delta_cell_ui(ui, signed_count(dc), dc));
                    row.col(|ui| bytes_cell_ui(ui, b.1));
                    row.col(|ui| bytes_cell_ui(ui, t.1));
                    let ds = aligned.size_delta(r);
                    row.col(|ui| delta_cell_ui(ui, signed_bytes(ds), ds));
                    row.col(|ui| delta_bar_ui(ui, ds, aligned.max_delta_bytes));
                    row.col(|ui| bytes_cell_ui(ui, b.2));
                    row.col(|ui| bytes_cell_ui(ui, t.2));
                });
            });
        self.sort = sort;
    }
}

/// The file name, or `bundled demo` for a snapshot compiled into the binary.
fn display_name(s: &Snapshot) -> String {
    let name = s.file_name();
    if name.is_empty() {
        "(bundled demo)".to_owned()
    } else {
        name
    }
}

/// A diverging bar: growth to the right of the centre line, shrinkage to the left.
fn delta_bar_ui(ui: &mut Ui, delta: i64, max_abs: u64) {
    let theme = Theme::of(ui);
    let ct = CompareTheme::of(ui);
    let size = egui::vec2(ui.available_width(), theme::ROW_HEIGHT);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let rect = rect.shrink2(egui::vec2(4.0, 4.0));
    let painter = ui.painter();
    let mid = rect.center().x;
    painter.vline(mid, rect.y_range(), egui::Stroke::new(1.0, theme.weak_text));
    if max_abs == 0 || delta == 0 {
        return;
    }
    // Square-root scale, so small changes stay visible next to one huge one.
    let frac = ((delta.unsigned_abs() as f64) / max_abs as f64).sqrt() as f32;
    let half = rect.width() / 2.0 - 1.0;
    let len = (frac * half).max(1.0);
    let (x0, x1, color) = if delta > 0 {
        (mid, mid + len, ct.added)
    } else {
        (mid - len, mid, ct.removed)
    };
    painter.rect_filled(
        egui::Rect::from_x_y_ranges(x0..=x1, rect.y_range()),
        2.0,
        color,
    );
    response.on_hover_text(signed_bytes(delta));
}

impl super::Pane for SideBySidePane {
    fn title(&self) -> String {
        crate::app::command::View::SideBySide.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        SideBySidePane::ui(self, ui, &mut cx.compare());
    }

    fn is_busy(&self) -> bool {
        SideBySidePane::is_busy(self)
    }
}
