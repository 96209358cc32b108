//! Reusable widgets: the virtualized tree table and the cells the heap panes share.

pub mod tree_table;

use egui::{Align, Layout, RichText, Ui};

use crate::format;

use super::theme::{self, Theme};

/// A column a heap table can be sorted by (DevTools' column names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub enum SortColumn {
    /// Constructor (Summary) or Object (Retainers): by name.
    Name,
    /// Distance from the GC roots.
    Distance,
    /// Shallow Size.
    ShallowSize,
    /// Retained Size.
    RetainedSize,
    /// Number of instances (Summary only).
    Count,
}

impl SortColumn {
    /// The direction a first click on the header sorts in (sizes and counts biggest first).
    pub fn default_descending(self) -> bool {
        matches!(self, Self::ShallowSize | Self::RetainedSize | Self::Count)
    }
}

/// A column and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub struct SortKey {
    /// The column.
    pub column: SortColumn,
    /// Biggest (or last in name order) first.
    pub descending: bool,
}

impl SortKey {
    /// DevTools' Summary default: retained size, biggest first.
    pub const RETAINED_DESC: Self = Self {
        column: SortColumn::RetainedSize,
        descending: true,
    };

    /// DevTools' Retainers default: distance, nearest to the roots first.
    pub const DISTANCE_ASC: Self = Self {
        column: SortColumn::Distance,
        descending: false,
    };

    /// Applies the direction to an ascending ordering.
    pub fn apply(self, ordering: std::cmp::Ordering) -> std::cmp::Ordering {
        if self.descending {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

/// A sortable header cell; clicking sorts by `column` (again: flips the direction).
/// Returns true when the sort changed.
/// A sortable column header of a table with its own column type: the title with ▼/▲ when
/// it is the sort column. Returns true when clicked (the caller flips or changes its sort).
pub fn sort_button_ui(
    ui: &mut Ui,
    title: &str,
    tooltip: &str,
    active: Option<bool>,
    right_aligned: bool,
) -> bool {
    let arrow = match active {
        None => "",
        Some(true) => " \u{25BC}",
        Some(false) => " \u{25B2}",
    };
    let text = RichText::new(format!("{title}{arrow}")).strong();
    let layout = if right_aligned {
        Layout::right_to_left(Align::Center)
    } else {
        Layout::left_to_right(Align::Center)
    };
    ui.with_layout(layout, |ui| {
        if right_aligned {
            ui.add_space(theme::CELL_RIGHT_PADDING);
        }
        ui.add(egui::Button::new(text).frame(false).truncate())
    })
    .inner
    .on_hover_text(tooltip)
    .clicked()
}

pub fn sort_header_ui(
    ui: &mut Ui,
    title: &str,
    tooltip: &str,
    column: SortColumn,
    sort: &mut SortKey,
    right_aligned: bool,
) -> bool {
    let active = (sort.column == column).then_some(sort.descending);
    if sort_button_ui(ui, title, tooltip, active, right_aligned) {
        *sort = if sort.column == column {
            SortKey {
                column,
                descending: !sort.descending,
            }
        } else {
            SortKey {
                column,
                descending: column.default_descending(),
            }
        };
        true
    } else {
        false
    }
}

/// A right-aligned size cell: `1.2 MB  12 %`, exact bytes on hover.
pub fn size_cell_ui(ui: &mut Ui, size_bytes: u64, total_bytes: u64) {
    let theme = Theme::of(ui);
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        ui.add_space(theme::CELL_RIGHT_PADDING);
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(theme::PERCENT_WIDTH, theme::ROW_HEIGHT),
            egui::Sense::hover(),
        );
        ui.painter().text(
            rect.right_center(),
            egui::Align2::RIGHT_CENTER,
            format::percent(size_bytes, total_bytes),
            egui::TextStyle::Body.resolve(ui.style()),
            theme.weak_text,
        );
        ui.label(format::bytes(size_bytes))
            .on_hover_text(format!("{} bytes", format::count(size_bytes)));
    });
}

/// A right-aligned plain number cell.
pub fn number_cell_ui(ui: &mut Ui, text: String) {
    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
        ui.add_space(theme::CELL_RIGHT_PADDING);
        ui.label(text);
    });
}

/// Cuts `name` to [`theme::MAX_NAME_CHARS`] characters, with `…`.
pub fn shorten(name: &str) -> std::borrow::Cow<'_, str> {
    match name.char_indices().nth(theme::MAX_NAME_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]).into(),
        None => name.into(),
    }
}

/// The small orange `weak` tag shown after weak references.
pub fn weak_marker_ui(ui: &mut Ui) {
    let theme = Theme::of(ui);
    ui.label(RichText::new("weak").small().color(theme.weak_marker))
        .on_hover_text("A weak reference: it does not keep the object alive.");
}

/// Columns of the Object / Distance / Shallow Size / Retained Size tables (Retainers,
/// Containment, Dominators).
pub fn object_columns(min_object_width: f32) -> [egui_extras::Column; 4] {
    use egui_extras::Column;
    [
        Column::remainder().at_least(min_object_width).clip(true),
        Column::initial(70.0).at_least(50.0).clip(true),
        Column::initial(130.0).at_least(90.0).clip(true),
        Column::initial(130.0).at_least(90.0).clip(true),
    ]
}

/// Header cell `column` of an [`object_columns`] table, sortable; the first two tooltips
/// say what the pane's Object and Distance columns mean.
pub fn object_header_ui(
    ui: &mut Ui,
    column: usize,
    object_tip: &str,
    distance_tip: &str,
    sort: &mut SortKey,
) {
    let (title, tip, col, right) = match column {
        0 => ("Object", object_tip, SortColumn::Name, false),
        1 => ("Distance", distance_tip, SortColumn::Distance, true),
        2 => (
            "Shallow Size",
            "Size of the object itself in bytes",
            SortColumn::ShallowSize,
            true,
        ),
        _ => (
            "Retained Size",
            "Size of the object plus the graph it retains in bytes",
            SortColumn::RetainedSize,
            true,
        ),
    };
    sort_header_ui(ui, title, tip, col, sort, right);
}

/// "Copy as Markdown": the rows on screen as a Markdown table (Ctrl+Shift+C: the cursor's
/// row). True when clicked.
pub fn copy_markdown_button(ui: &mut Ui) -> bool {
    ui.button("Copy as Markdown")
        .on_hover_text(format!(
            "Copy the rows shown (filter and sort applied) as a Markdown table; {} copies the \
             row under the cursor",
            ui.ctx()
                .format_shortcut(&super::shortcut::COPY_MARKDOWN_SHORTCUT)
        ))
        .clicked()
}

/// The "Class filter" box of the class tables (labelled, with a clear button while it holds
/// text). Edits `filter` in place; `id_salt` keeps each table's box apart.
pub fn class_filter_ui(ui: &mut Ui, filter: &mut String, id_salt: &str) {
    let label = ui.label("Class filter");
    ui.add(
        egui::TextEdit::singleline(filter)
            .id_salt(id_salt)
            .hint_text("Filter by class")
            .desired_width(220.0),
    )
    .labelled_by(label.id);
    if !filter.is_empty()
        && ui
            .small_button("\u{00D7}")
            .on_hover_text("Clear the filter")
            .clicked()
    {
        filter.clear();
    }
}

/// A busy indicator like egui's spinner, but it asks for the next frame only after
/// [`PROGRESS_REPAINT`](super::jobs::PROGRESS_REPAINT) (about 10 frames a second) instead
/// of every frame: under software rendering, 60 frames a second compete with the load for
/// the CPU it is waiting on.
pub fn spinner(ui: &mut Ui) -> egui::Response {
    let size = ui.style().spacing.interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::new(egui::Role::ProgressIndicator));
    if ui.is_rect_visible(rect) {
        ui.ctx()
            .request_repaint_after(super::jobs::PROGRESS_REPAINT);
        let color = ui.visuals().strong_text_color();
        let radius = rect.height().min(rect.width()) * 0.5 - 2.0;
        let n_points = 24;
        let time = ui.input(|i| i.time);
        let start = time * std::f64::consts::TAU;
        let end = start + 240f64.to_radians() * time.sin();
        let points: Vec<egui::Pos2> = (0..n_points)
            .map(|i| {
                let angle = egui::emath::lerp(start..=end, f64::from(i) / f64::from(n_points));
                let (sin, cos) = angle.sin_cos();
                rect.center() + radius * egui::vec2(cos as f32, sin as f32)
            })
            .collect();
        ui.painter()
            .add(egui::Shape::line(points, egui::Stroke::new(3.0, color)));
    }
    response
}

/// `+200`, `−3`, `0` (true minus sign, thin thousands separators).
pub fn signed_count(n: i64) -> String {
    let digits = crate::format::count(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{digits}"),
        -1 => format!("\u{2212}{digits}"),
        _ => digits,
    }
}

/// `+1.2 kB`, `−512 B`, `0 B`.
pub fn signed_bytes(n: i64) -> String {
    let text = crate::format::bytes(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{text}"),
        -1 => format!("\u{2212}{text}"),
        _ => text,
    }
}

/// A sortable header cell over any column type; a first click sorts `default_descending`,
/// a second flips. Returns true when the sort changed.
pub fn column_sort_header_ui<C: Copy + PartialEq>(
    ui: &mut Ui,
    title: &str,
    tooltip: &str,
    column: C,
    sort: &mut (C, bool),
    default_descending: bool,
    right_aligned: bool,
) -> bool {
    let arrow = if sort.0 != column {
        ""
    } else if sort.1 {
        " \u{25BC}"
    } else {
        " \u{25B2}"
    };
    let layout = if right_aligned {
        egui::Layout::right_to_left(egui::Align::Center)
    } else {
        egui::Layout::left_to_right(egui::Align::Center)
    };
    let text = egui::RichText::new(format!("{title}{arrow}")).strong();
    let response = ui
        .with_layout(layout, |ui| {
            ui.add(egui::Button::new(text).frame(false).truncate())
        })
        .inner
        .on_hover_text(tooltip);
    if !response.clicked() {
        return false;
    }
    *sort = if sort.0 == column {
        (column, !sort.1)
    } else {
        (column, default_descending)
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_numbers() {
        assert_eq!(signed_count(200), "+200");
        assert_eq!(signed_count(-3), "\u{2212}3");
        assert_eq!(signed_count(0), "0");
        assert_eq!(signed_bytes(-1234), "\u{2212}1.2 kB");
    }
}
