//! Design tokens: the only place with colour literals, row heights and spacing.
//!
//! Colours follow DevTools' heap snapshot grid: class and object names in the text colour,
//! `@id`s greyed, edge names purple, weak references orange, errors red. Each token has a
//! dark and a light value; [`Theme::of`] picks by the current visuals, which follow the
//! system theme (see [`install`]).

use egui::Color32;

/// Height of one table row, in points.
pub const ROW_HEIGHT: f32 = 18.0;

/// Height of a table header row, in points.
pub const HEADER_HEIGHT: f32 = 22.0;

/// Indentation per tree level, in points.
pub const INDENT: f32 = 14.0;

/// Width reserved for the expand/collapse triangle, in points.
pub const EXPANDER_WIDTH: f32 = 14.0;

/// Space kept free at the right of right-aligned cells (room for the scroll bar), in points.
pub const CELL_RIGHT_PADDING: f32 = 8.0;

/// Width of the percentage part of a size cell, in points.
pub const PERCENT_WIDTH: f32 = 44.0;

/// Longest node name shown in a row before it is cut with `…` (characters).
pub const MAX_NAME_CHARS: usize = 120;

/// Colours resolved for the current (dark or light) visuals.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    /// True when the dark palette is in use.
    pub dark: bool,
    /// Class / object names (Constructor column).
    pub class_name: Color32,
    /// `@id` suffixes and other secondary text.
    pub weak_text: Color32,
    /// Edge names (`.cache`, `[3]`, `->ctx`).
    pub edge_name: Color32,
    /// String values shown as object names.
    pub string_value: Color32,
    /// The "weak" marker on weak references.
    pub weak_marker: Color32,
    /// Error banners.
    pub error: Color32,
    /// Background of error banners.
    pub error_bg: Color32,
    /// Background of the selected row.
    pub selected_bg: Color32,
    /// Outline of the keyboard cursor row.
    pub cursor_stroke: Color32,
    /// Overlay shown while files are dragged over the window.
    pub drop_overlay: Color32,
    /// Text on the drop overlay.
    pub drop_text: Color32,
    /// Progress bar fill.
    pub progress: Color32,
    /// Text that says a filter hides objects (the Summary's id range).
    pub filter_active: Color32,
}

const DARK: Theme = Theme {
    dark: true,
    class_name: Color32::from_rgb(0xe8, 0xea, 0xed),
    weak_text: Color32::from_rgb(0x9a, 0xa0, 0xa6),
    edge_name: Color32::from_rgb(0xc5, 0x8a, 0xf9),
    string_value: Color32::from_rgb(0xf2, 0x8b, 0x82),
    weak_marker: Color32::from_rgb(0xfd, 0xb0, 0x5a),
    error: Color32::from_rgb(0xff, 0x8a, 0x80),
    error_bg: Color32::from_rgb(0x4a, 0x1c, 0x1c),
    selected_bg: Color32::from_rgb(0x1f, 0x4e, 0x8c),
    cursor_stroke: Color32::from_rgb(0x8a, 0xb4, 0xf8),
    drop_overlay: Color32::from_rgba_premultiplied(0x10, 0x30, 0x60, 0xd0),
    drop_text: Color32::from_rgb(0xff, 0xff, 0xff),
    progress: Color32::from_rgb(0x8a, 0xb4, 0xf8),
    filter_active: Color32::from_rgb(0xfd, 0xd6, 0x63),
};

const LIGHT: Theme = Theme {
    dark: false,
    class_name: Color32::from_rgb(0x20, 0x21, 0x24),
    weak_text: Color32::from_rgb(0x5f, 0x63, 0x68),
    edge_name: Color32::from_rgb(0x88, 0x13, 0x91),
    string_value: Color32::from_rgb(0xc5, 0x22, 0x1f),
    weak_marker: Color32::from_rgb(0xb0, 0x5a, 0x00),
    error: Color32::from_rgb(0xb3, 0x26, 0x1e),
    error_bg: Color32::from_rgb(0xfc, 0xe8, 0xe6),
    selected_bg: Color32::from_rgb(0xcf, 0xe1, 0xfc),
    cursor_stroke: Color32::from_rgb(0x1a, 0x73, 0xe8),
    drop_overlay: Color32::from_rgba_premultiplied(0xd0, 0xe0, 0xfa, 0xe0),
    drop_text: Color32::from_rgb(0x17, 0x4e, 0xa6),
    progress: Color32::from_rgb(0x1a, 0x73, 0xe8),
    filter_active: Color32::from_rgb(0xb0, 0x5a, 0x00),
};

impl Theme {
    /// The palette matching the visuals in use by `ui`.
    pub fn of(ui: &egui::Ui) -> Self {
        if ui.visuals().dark_mode { DARK } else { LIGHT }
    }
}

/// Makes egui follow the operating system's dark/light preference, sets our spacing and
/// adds egui's monospace font (Hack) as a fallback for symbols Ubuntu-Light lacks (`→`,
/// `▼`, the thin space of `format::count`).
pub fn install(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if let Some(proportional) = fonts.families.get_mut(&egui::FontFamily::Proportional) {
        proportional.push("Hack".to_owned());
    }
    ctx.set_fonts(fonts);
    // `HEAPSIGHT_THEME=light|dark` overrides the system (e.g. for screenshots under Xvfb).
    let preference = match std::env::var("HEAPSIGHT_THEME").as_deref() {
        Ok("light") => egui::ThemePreference::Light,
        Ok("dark") => egui::ThemePreference::Dark,
        _ => egui::ThemePreference::System,
    };
    ctx.options_mut(|o| o.theme_preference = preference);
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(6.0, 2.0);
        style.spacing.button_padding = egui::vec2(6.0, 2.0);
        style.interaction.selectable_labels = false;
    });
}

/// [`install`] on the first call for this context (cheap afterwards).
pub fn install_once(ctx: &egui::Context) {
    let id = egui::Id::unique("heapsight_theme_installed");
    if !ctx.data(|d| d.get_temp::<bool>(id).unwrap_or(false)) {
        install(ctx);
        ctx.data_mut(|d| d.insert_temp(id, true));
    }
}

/// Colours of the retainer graph and the Statistics chart (one per DevTools node type or
/// statistics category), for the current visuals.
#[derive(Clone, Copy, Debug)]
pub struct GraphTheme {
    /// Node box background.
    pub node_fill: Color32,
    /// Plain JS objects.
    pub object: Color32,
    /// Closures (functions).
    pub closure: Color32,
    /// Arrays and `(array)` internals.
    pub array: Color32,
    /// Strings of every kind.
    pub string: Color32,
    /// Compiled code.
    pub code: Color32,
    /// `hidden` / system objects (`system / Context`, `(system)`).
    pub system: Color32,
    /// Native (embedder) objects.
    pub native: Color32,
    /// Synthetic nodes (the root, `(GC roots)`, root categories).
    pub synthetic: Color32,
    /// Any other type (numbers, symbols, regexps, shapes).
    pub other: Color32,
    /// Retaining edges.
    pub edge: Color32,
    /// Outline of the node whose retainers are shown.
    pub target_stroke: Color32,
    /// Outline of the selected node.
    pub selected_stroke: Color32,
    /// Ignored retainers (greyed).
    pub ignored: Color32,
    /// Background of the graph canvas.
    pub canvas: Color32,
}

/// Width of the node-type bar at the left of a graph node, in points.
pub const GRAPH_TYPE_BAR: f32 = 5.0;

const DARK_GRAPH: GraphTheme = GraphTheme {
    node_fill: Color32::from_rgb(0x2a, 0x2d, 0x33),
    object: Color32::from_rgb(0x8a, 0xb4, 0xf8),
    closure: Color32::from_rgb(0x81, 0xc9, 0x95),
    array: Color32::from_rgb(0xfd, 0xd6, 0x63),
    string: Color32::from_rgb(0xf2, 0x8b, 0x82),
    code: Color32::from_rgb(0xc5, 0x8a, 0xf9),
    system: Color32::from_rgb(0x9a, 0xa0, 0xa6),
    native: Color32::from_rgb(0x78, 0xd9, 0xec),
    synthetic: Color32::from_rgb(0xe8, 0xea, 0xed),
    other: Color32::from_rgb(0xff, 0xb7, 0x4d),
    edge: Color32::from_rgb(0x80, 0x86, 0x8b),
    target_stroke: Color32::from_rgb(0xf2, 0x8b, 0x82),
    selected_stroke: Color32::from_rgb(0x8a, 0xb4, 0xf8),
    ignored: Color32::from_rgb(0x5f, 0x63, 0x68),
    canvas: Color32::from_rgb(0x1b, 0x1c, 0x1f),
};

const LIGHT_GRAPH: GraphTheme = GraphTheme {
    node_fill: Color32::from_rgb(0xff, 0xff, 0xff),
    object: Color32::from_rgb(0x1a, 0x73, 0xe8),
    closure: Color32::from_rgb(0x18, 0x80, 0x38),
    array: Color32::from_rgb(0xe3, 0x74, 0x00),
    string: Color32::from_rgb(0xc5, 0x22, 0x1f),
    code: Color32::from_rgb(0x88, 0x13, 0x91),
    system: Color32::from_rgb(0x5f, 0x63, 0x68),
    native: Color32::from_rgb(0x00, 0x7b, 0x83),
    synthetic: Color32::from_rgb(0x20, 0x21, 0x24),
    other: Color32::from_rgb(0xb0, 0x5a, 0x00),
    edge: Color32::from_rgb(0x9a, 0xa0, 0xa6),
    target_stroke: Color32::from_rgb(0xc5, 0x22, 0x1f),
    selected_stroke: Color32::from_rgb(0x1a, 0x73, 0xe8),
    ignored: Color32::from_rgb(0xbd, 0xc1, 0xc6),
    canvas: Color32::from_rgb(0xf8, 0xf9, 0xfa),
};

impl GraphTheme {
    /// The graph palette matching the visuals in use by `ui`.
    pub fn of(ui: &egui::Ui) -> Self {
        if ui.visuals().dark_mode {
            DARK_GRAPH
        } else {
            LIGHT_GRAPH
        }
    }

    /// The colour of a DevTools node type (`object`, `closure`, `hidden`, …).
    pub fn node_type(&self, type_name: &str) -> Color32 {
        match type_name {
            "object" => self.object,
            "closure" => self.closure,
            "array" => self.array,
            "string" | "concatenated string" | "sliced string" => self.string,
            "code" => self.code,
            "hidden" | "object shape" => self.system,
            "native" => self.native,
            "synthetic" => self.synthetic,
            _ => self.other,
        }
    }
}

/// Narrowest box of a comparison slot (baseline / target / final) in the header, in points.
pub const SLOT_MIN_WIDTH: f32 = 220.0;

/// Height of the content of a comparison slot box, in points.
pub const SLOT_HEIGHT: f32 = 36.0;

/// Colours of the comparison views: growth and shrinkage, and one per snapshot role.
#[derive(Clone, Copy, Debug)]
pub struct CompareTheme {
    /// New objects, positive deltas, growth bars.
    pub added: Color32,
    /// Deleted objects, negative deltas, shrink bars.
    pub removed: Color32,
    /// The baseline slot's label.
    pub baseline: Color32,
    /// The target slot's label.
    pub target: Color32,
    /// The final slot's label.
    pub last: Color32,
}

const DARK_COMPARE: CompareTheme = CompareTheme {
    added: Color32::from_rgb(0x81, 0xc9, 0x95),
    removed: Color32::from_rgb(0xf2, 0x8b, 0x82),
    baseline: Color32::from_rgb(0x9a, 0xa0, 0xa6),
    target: Color32::from_rgb(0x8a, 0xb4, 0xf8),
    last: Color32::from_rgb(0xfd, 0xd6, 0x63),
};

const LIGHT_COMPARE: CompareTheme = CompareTheme {
    added: Color32::from_rgb(0x18, 0x80, 0x38),
    removed: Color32::from_rgb(0xc5, 0x22, 0x1f),
    baseline: Color32::from_rgb(0x5f, 0x63, 0x68),
    target: Color32::from_rgb(0x1a, 0x73, 0xe8),
    last: Color32::from_rgb(0xb0, 0x5a, 0x00),
};

impl CompareTheme {
    /// The comparison palette matching the visuals in use by `ui`.
    pub fn of(ui: &egui::Ui) -> Self {
        if ui.visuals().dark_mode {
            DARK_COMPARE
        } else {
            LIGHT_COMPARE
        }
    }

    /// The label colour of a snapshot role.
    pub fn role(&self, role: super::role::Role) -> Color32 {
        match role {
            super::role::Role::Baseline => self.baseline,
            super::role::Role::Target => self.target,
            super::role::Role::Final => self.last,
        }
    }
}

/// Colours of the flame chart (sampling heap profiles).
#[derive(Clone, Copy, Debug)]
pub struct FlameTheme {
    /// Frames of the user's own scripts (hue varies by function).
    pub user: [Color32; 4],
    /// Frames of Node's or the browser's own code (`node:…`, `internal/…`).
    pub runtime: Color32,
    /// Frames without a script (`(root)`, `(V8 API)`, natives).
    pub native: Color32,
    /// The zoomed frame's ancestors (drawn full width above it).
    pub ancestor: Color32,
    /// Text on frames.
    pub text: Color32,
}

const FLAME: FlameTheme = FlameTheme {
    user: [
        Color32::from_rgb(0xf2, 0x9e, 0x4c),
        Color32::from_rgb(0xf1, 0xc4, 0x5a),
        Color32::from_rgb(0xe8, 0x7a, 0x4f),
        Color32::from_rgb(0xf5, 0xb0, 0x6b),
    ],
    runtime: Color32::from_rgb(0x8a, 0xb4, 0xf8),
    native: Color32::from_rgb(0xbd, 0xc1, 0xc6),
    ancestor: Color32::from_rgb(0x9a, 0xa0, 0xa6),
    text: Color32::from_rgb(0x20, 0x21, 0x24),
};

impl FlameTheme {
    /// The flame palette (the same in light and dark mode: text is dark on light frames).
    pub fn of(_ui: &egui::Ui) -> Self {
        FLAME
    }

    /// The fill of a frame of function `name` in script `url`: runtime code in blue, the
    /// user's code in warm colours (stable per function), frames without a script grey.
    pub fn frame(&self, url: &str, name: &str) -> Color32 {
        if url.is_empty() {
            return self.native;
        }
        if url.starts_with("node:") || url.starts_with("internal/") {
            return self.runtime;
        }
        let hash = name
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        self.user[hash as usize % self.user.len()]
    }
}
