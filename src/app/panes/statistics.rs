//! The Statistics view, as DevTools' pie: where the heap's bytes go (code, strings, JS
//! arrays, typed arrays, system objects, other JS objects, other native objects, and the
//! snapshot's extra native bytes when it records them). Drawn with the egui painter: a
//! donut chart, a legend with sizes and percentages, and the totals.

use std::f32::consts::TAU;

use egui::{Color32, RichText, Sense, Shape, Ui, vec2};

use crate::format;
use crate::snapshot::Snapshot;

use super::super::theme::{GraphTheme, Theme};

/// One slice of the chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// DevTools' name.
    pub name: &'static str,
    /// Bytes.
    pub size_bytes: u64,
}

/// The categories in DevTools' order; extra native bytes only when the snapshot has them
/// (they are part of "Other non-JS objects", shown separately here).
pub fn categories(snapshot: &Snapshot) -> Vec<Category> {
    let st = snapshot.statistics();
    let extra = snapshot.meta().extra_native_bytes;
    let mut out = vec![
        Category {
            name: "Code",
            size_bytes: st.code,
        },
        Category {
            name: "Strings",
            size_bytes: st.strings,
        },
        Category {
            name: "JS arrays",
            size_bytes: st.js_arrays,
        },
        Category {
            name: "Typed arrays",
            size_bytes: st.typed_arrays,
        },
        Category {
            name: "System objects",
            size_bytes: st.system,
        },
        Category {
            name: "Other JS objects",
            size_bytes: st.other_js_objects,
        },
        Category {
            name: "Other non-JS objects",
            size_bytes: st.other_non_js_objects.saturating_sub(extra),
        },
    ];
    if extra > 0 {
        out.push(Category {
            name: "Extra native bytes",
            size_bytes: extra,
        });
    }
    out
}

fn colors(gt: &GraphTheme) -> [Color32; 8] {
    [
        gt.code, gt.string, gt.array, gt.native, gt.system, gt.object, gt.closure, gt.other,
    ]
}

/// Draws the chart and the legend.
pub fn ui(ui: &mut Ui, snapshot: &Snapshot) {
    let theme = Theme::of(ui);
    let gt = GraphTheme::of(ui);
    let st = snapshot.statistics();
    let cats = categories(snapshot);
    let total: u64 = cats.iter().map(|c| c.size_bytes).sum();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Statistics").strong());
        ui.label(
            RichText::new(format!(
                "\u{2014} total {}: V8 heap {}, native {}",
                format::bytes(st.total),
                format::bytes(st.v8heap_total),
                format::bytes(st.native_total)
            ))
            .color(theme.weak_text),
        );
    });
    ui.add_space(8.0);
    let colors = colors(&gt);
    ui.horizontal_top(|ui| {
        let side = ui
            .available_height()
            .min(ui.available_width() * 0.45)
            .clamp(160.0, 420.0);
        let (rect, _) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
        let painter = ui.painter_at(rect);
        let center = rect.center();
        let outer = side * 0.47;
        let inner = outer * 0.55;
        let mut start = -TAU / 4.0;
        for (i, c) in cats.iter().enumerate() {
            if total == 0 || c.size_bytes == 0 {
                continue;
            }
            let sweep = TAU * c.size_bytes as f32 / total as f32;
            let steps = ((sweep / TAU) * 128.0).ceil().max(2.0) as usize;
            // One mesh per slice: no anti-aliasing seams between its pieces.
            let color = colors[i % colors.len()];
            let mut mesh = egui::Mesh::default();
            for k in 0..=steps {
                let a = start + sweep * k as f32 / steps as f32;
                let dir = vec2(a.cos(), a.sin());
                mesh.colored_vertex(center + dir * inner, color);
                mesh.colored_vertex(center + dir * outer, color);
                if k > 0 {
                    let b = (2 * k) as u32;
                    mesh.add_triangle(b - 2, b - 1, b + 1);
                    mesh.add_triangle(b - 2, b + 1, b);
                }
            }
            painter.add(Shape::mesh(mesh));
            start += sweep;
        }
        painter.text(
            center - vec2(0.0, 9.0),
            egui::Align2::CENTER_CENTER,
            format::bytes(st.total),
            egui::FontId::proportional(20.0),
            theme.class_name,
        );
        painter.text(
            center + vec2(0.0, 12.0),
            egui::Align2::CENTER_CENTER,
            "total",
            egui::FontId::proportional(12.0),
            theme.weak_text,
        );
        ui.add_space(24.0);
        ui.vertical(|ui| {
            ui.add_space(side * 0.2);
            egui::Grid::new("statistics_legend")
                .num_columns(3)
                .spacing(vec2(16.0, 6.0))
                .show(ui, |ui| {
                    for (i, c) in cats.iter().enumerate() {
                        ui.horizontal(|ui| {
                            let (r, _) = ui.allocate_exact_size(vec2(12.0, 12.0), Sense::hover());
                            ui.painter().rect_filled(r, 2.0, colors[i % colors.len()]);
                            ui.label(c.name);
                        });
                        ui.label(format::bytes(c.size_bytes))
                            .on_hover_text(format!("{} bytes", format::count(c.size_bytes)));
                        ui.label(
                            RichText::new(format::percent(c.size_bytes, total))
                                .color(theme.weak_text),
                        );
                        ui.end_row();
                    }
                    ui.label(RichText::new("Total").strong());
                    ui.label(RichText::new(format::bytes(st.total)).strong());
                    ui.label("");
                    ui.end_row();
                });
        });
    });
}

/// The Statistics view as a tile (it keeps no state of its own).
#[derive(Default)]
pub struct StatisticsPane;

impl super::Pane for StatisticsPane {
    fn title(&self) -> String {
        crate::app::command::View::Statistics.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        self::ui(ui, cx.snapshot);
    }
}
