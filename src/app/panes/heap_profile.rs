//! The Allocation sampling view of a sampling heap profile (`.heapprofile`: `node --heap-prof`,
//! DevTools' "Allocation sampling", `HeapProfiler.stopSampling`): a flame chart (top-down, the
//! root on top, each frame as wide as the bytes sampled in it and below it; click a frame to
//! zoom into it, hover for its figures) above a bottom-up table (self and total size per
//! function with script:line:col, as DevTools' Bottom-Up view; 1-based lines).

use std::sync::Arc;

use egui::{RichText, Sense, Ui, pos2, vec2};
use egui_extras::{Column, TableBuilder};

use crate::format;
use crate::snapshot::heapprofile::HeapProfile;

use super::super::command::{Command, CommandQueue};
use super::super::theme::{self, FlameTheme, Theme};
use super::super::widgets;

/// Height of one flame chart row, in points.
const FRAME_HEIGHT: f32 = 20.0;

/// Frames narrower than this (points) are not drawn.
const MIN_FRAME_WIDTH: f32 = 1.0;

/// A column of the bottom-up table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProfileColumn {
    Function,
    SelfSize,
    TotalSize,
}

/// One open profile and what the view shows of it.
pub struct HeapProfilePane {
    profile: Arc<HeapProfile>,
    /// Shown as the title.
    name: String,
    /// The frame the flame chart is zoomed into (0: the root).
    zoom: u32,
    sort: (ProfileColumn, bool),
    /// Row order of the bottom-up table, rebuilt when the sort changes.
    order: Vec<u32>,
    /// Rows of the flame chart for the zoomed frame: (zoomed frame, its ancestors root first,
    /// depth of its subtree), rebuilt when the zoom changes.
    rows: (u32, Vec<u32>, usize),
}

impl HeapProfilePane {
    /// The view of `profile`, named `name`.
    pub fn new(name: String, profile: Arc<HeapProfile>) -> Self {
        let mut pane = Self {
            profile,
            name,
            zoom: 0,
            sort: (ProfileColumn::SelfSize, true),
            order: Vec::new(),
            rows: (u32::MAX, Vec::new(), 0),
        };
        pane.sort_rows();
        pane
    }

    /// The profile shown.
    pub fn profile(&self) -> &Arc<HeapProfile> {
        &self.profile
    }

    /// The file name shown as the title.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The frame the flame chart is zoomed into (0: the whole profile).
    pub fn zoomed(&self) -> u32 {
        self.zoom
    }

    /// Zooms the flame chart into profile node `node` (0: the whole profile).
    pub fn zoom_to(&mut self, node: u32) {
        if (node as usize) < self.profile.node_count() {
            self.zoom = node;
        }
    }

    /// The bottom-up rows in table order (indexes into `profile.functions`).
    pub fn row_order(&self) -> &[u32] {
        &self.order
    }

    fn sort_rows(&mut self) {
        let functions = &self.profile.functions;
        let mut order: Vec<u32> = (0..functions.len() as u32).collect();
        let (column, descending) = self.sort;
        order.sort_by(|&a, &b| {
            let (fa, fb) = (&functions[a as usize], &functions[b as usize]);
            let ordering = match column {
                ProfileColumn::Function => fa.frame.display_name().cmp(fb.frame.display_name()),
                ProfileColumn::SelfSize => fa.self_size_bytes.cmp(&fb.self_size_bytes),
                ProfileColumn::TotalSize => fa.total_size_bytes.cmp(&fb.total_size_bytes),
            };
            let ordering = if descending {
                ordering.reverse()
            } else {
                ordering
            };
            ordering.then(a.cmp(&b))
        });
        self.order = order;
    }

    /// Draws the header, the flame chart and the bottom-up table.
    pub fn ui(&mut self, ui: &mut Ui, commands: &mut CommandQueue) {
        let theme = Theme::of(ui);
        let total = self.profile.total_size_bytes();
        ui.horizontal(|ui| {
            ui.label(RichText::new("Allocation sampling").strong());
            ui.label(
                RichText::new(format!(
                    "\u{2014} {}: {} sampled in {} stacks ({} samples). Click a frame to zoom \
                     in, the root to zoom out.",
                    self.name,
                    format::bytes(total),
                    format::count(self.profile.node_count().saturating_sub(1) as u64),
                    format::count(self.profile.sample_count as u64),
                ))
                .color(theme.weak_text),
            );
        });
        let chart_height = (ui.available_height() * 0.5).max(120.0);
        egui::Panel::top("heap_profile_flame")
            .resizable(true)
            .default_size(chart_height)
            .min_size(80.0)
            .show(ui, |ui| self.flame_ui(ui, &theme));
        self.table_ui(ui, commands, &theme);
    }

    fn flame_ui(&mut self, ui: &mut Ui, theme: &Theme) {
        if self.rows.0 != self.zoom {
            self.rows = (
                self.zoom,
                self.chain(self.zoom),
                self.depth_below(self.zoom),
            );
        }
        let (_, ancestors, depth_below) = self.rows.clone();
        if self.zoom != 0 {
            ui.horizontal(|ui| {
                for (i, &n) in ancestors.iter().enumerate() {
                    if i > 0 {
                        ui.label(RichText::new("\u{203A}").color(theme.weak_text));
                    }
                    let name = self.profile.frames[n as usize].display_name().to_owned();
                    if ui.link(name).clicked() {
                        self.zoom = n;
                    }
                }
            });
        }
        egui::ScrollArea::vertical()
            .id_salt("heap_profile_flame_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let width = ui.available_width();
                let depth = depth_below + ancestors.len();
                let (rect, _) = ui
                    .allocate_exact_size(vec2(width, depth as f32 * FRAME_HEIGHT), Sense::hover());
                let painter = ui.painter_at(rect);
                let profile = Arc::clone(&self.profile);
                let zoom_total = profile.total_sizes[self.zoom as usize].max(1) as f32;
                let font = egui::TextStyle::Small.resolve(ui.style());
                // The zoomed frame's ancestors span the whole width above it.
                let mut clicked = None;
                let mut stack: Vec<(u32, f32, f32, usize)> = Vec::new();
                for (row, &n) in ancestors.iter().enumerate() {
                    if n != self.zoom {
                        let r = egui::Rect::from_min_size(
                            pos2(rect.left(), rect.top() + row as f32 * FRAME_HEIGHT),
                            vec2(width, FRAME_HEIGHT - 1.0),
                        );
                        if self.frame_ui(ui, &painter, r, n, &font, true) {
                            clicked = Some(n);
                        }
                    }
                }
                stack.push((
                    self.zoom,
                    rect.left(),
                    width,
                    ancestors.len().saturating_sub(1),
                ));
                while let Some((n, x, w, row)) = stack.pop() {
                    let r = egui::Rect::from_min_size(
                        pos2(x, rect.top() + row as f32 * FRAME_HEIGHT),
                        vec2(w, FRAME_HEIGHT - 1.0),
                    );
                    if self.frame_ui(ui, &painter, r, n, &font, false) {
                        clicked = Some(n);
                    }
                    let mut child_x = x;
                    for &c in &profile.children[n as usize] {
                        let cw = width * profile.total_sizes[c as usize] as f32 / zoom_total;
                        if cw >= MIN_FRAME_WIDTH {
                            stack.push((c, child_x, cw, row + 1));
                        }
                        child_x += cw;
                    }
                }
                if let Some(n) = clicked {
                    self.zoom = if n == self.zoom {
                        profile.parents[n as usize].unwrap_or(0)
                    } else {
                        n
                    };
                }
            });
    }

    /// Draws one frame; true when it was clicked.
    fn frame_ui(
        &self,
        ui: &Ui,
        painter: &egui::Painter,
        r: egui::Rect,
        n: u32,
        font: &egui::FontId,
        ancestor: bool,
    ) -> bool {
        let profile = &self.profile;
        let frame = &profile.frames[n as usize];
        let flame = FlameTheme::of(ui);
        let fill = if ancestor {
            flame.ancestor
        } else {
            flame.frame(&frame.url, frame.display_name())
        };
        painter.rect_filled(r, 2.0, fill);
        if r.width() > 24.0 {
            let text = format!(
                "{}  {}",
                frame.display_name(),
                format::bytes(profile.total_sizes[n as usize])
            );
            let galley = painter.layout(text, font.clone(), flame.text, (r.width() - 6.0).max(1.0));
            let galley = if galley.rows.len() > 1 {
                painter.layout_no_wrap(
                    widget_cut(frame.display_name(), r.width()),
                    font.clone(),
                    flame.text,
                )
            } else {
                galley
            };
            painter.galley(
                pos2(r.left() + 3.0, r.center().y - galley.size().y / 2.0),
                galley,
                flame.text,
            );
        }
        let id = ui.scope_id().with(("flame", n));
        let response = ui.interact(r, id, Sense::click());
        let total = profile.total_size_bytes().max(1);
        let response = response.on_hover_ui(|ui| {
            ui.label(RichText::new(frame.display_name()).strong());
            let location = frame.location_label();
            if !location.is_empty() {
                ui.label(location);
            }
            ui.label(format!(
                "Total {} ({}) \u{00B7} self {}",
                format::bytes(profile.total_sizes[n as usize]),
                format::percent(profile.total_sizes[n as usize], total),
                format::bytes(profile.self_sizes[n as usize]),
            ));
        });
        response.clicked()
    }

    /// `n` and its ancestors, root first.
    fn chain(&self, n: u32) -> Vec<u32> {
        let mut chain = vec![n];
        let mut at = n;
        while let Some(p) = self.profile.parents.get(at as usize).copied().flatten() {
            chain.push(p);
            at = p;
            if chain.len() > self.profile.node_count() {
                break;
            }
        }
        chain.reverse();
        chain
    }

    /// Depth of the deepest descendant of `n` below it.
    fn depth_below(&self, n: u32) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(n, 0usize)];
        while let Some((at, d)) = stack.pop() {
            deepest = deepest.max(d);
            for &c in &self.profile.children[at as usize] {
                stack.push((c, d + 1));
            }
        }
        deepest
    }

    fn table_ui(&mut self, ui: &mut Ui, commands: &mut CommandQueue, theme: &Theme) {
        let total = self.profile.total_size_bytes();
        let mut sort = self.sort;
        let profile = Arc::clone(&self.profile);
        let order = &self.order;
        TableBuilder::new(ui)
            .id_salt("heap_profile_table")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .column(Column::remainder().at_least(260.0).clip(true))
            .column(Column::initial(130.0).at_least(90.0).clip(true))
            .column(Column::initial(130.0).at_least(90.0).clip(true))
            .header(theme::ROW_HEIGHT, |mut header| {
                for (title, tip, column, right) in [
                    (
                        "Function",
                        "The function and where it is (bottom-up: every stack it is on, merged)",
                        ProfileColumn::Function,
                        false,
                    ),
                    (
                        "Self Size",
                        "Bytes sampled in the function itself",
                        ProfileColumn::SelfSize,
                        true,
                    ),
                    (
                        "Total Size",
                        "Bytes sampled in it and in everything it called",
                        ProfileColumn::TotalSize,
                        true,
                    ),
                ] {
                    header.col(|ui| header_ui(ui, title, tip, column, &mut sort, right));
                }
            })
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, order.len(), |mut row| {
                    let Some(f) = order
                        .get(row.index())
                        .and_then(|&i| profile.functions.get(i as usize))
                    else {
                        return;
                    };
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(f.frame.display_name()).color(theme.class_name));
                            let location = f.frame.location_label();
                            if !location.is_empty() {
                                ui.label(RichText::new(location).color(theme.weak_text));
                            }
                        });
                    });
                    row.col(|ui| widgets::size_cell_ui(ui, f.self_size_bytes, total));
                    row.col(|ui| widgets::size_cell_ui(ui, f.total_size_bytes, total));
                    let response = row.response();
                    if response.clicked() {
                        commands.push(Command::CopyText(
                            format!("{}  {}", f.frame.display_name(), f.frame.location_label())
                                .trim_end()
                                .to_owned(),
                        ));
                    }
                    response.on_hover_text("Click to copy the function and its location");
                });
            });
        if sort != self.sort {
            self.sort = sort;
            self.sort_rows();
        }
    }
}

fn widget_cut(name: &str, width: f32) -> String {
    // About 7 points per character at the small text size.
    let chars = ((width - 6.0) / 7.0).max(1.0) as usize;
    match name.char_indices().nth(chars) {
        Some((cut, _)) if chars > 1 => format!("{}\u{2026}", &name[..cut]),
        Some(_) => String::new(),
        None => name.to_owned(),
    }
}

fn header_ui(
    ui: &mut Ui,
    title: &str,
    tip: &str,
    column: ProfileColumn,
    sort: &mut (ProfileColumn, bool),
    right: bool,
) {
    let active = (sort.0 == column).then_some(sort.1);
    if widgets::sort_button_ui(ui, title, tip, active, right) {
        *sort = if sort.0 == column {
            (column, !sort.1)
        } else {
            (column, column != ProfileColumn::Function)
        };
    }
}
