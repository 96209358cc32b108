//! The command palette (Ctrl+K) and Help → Keyboard shortcuts.
//!
//! Every command the menus offer is an [`Action`] here too, so the palette can run it by
//! name; the shortcuts are listed once ([`SHORTCUTS`] and [`PANE_KEYS`]) for both the
//! dispatcher and the help window.

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::command::{Command, ExportFormat, View};
use super::theme::Theme;

/// Ctrl/Cmd+K: the command palette.
pub const PALETTE_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);

/// The perspectives reachable with Ctrl/Cmd+1…9, in tab order.
pub const NUMBERED_VIEWS: [View; 9] = [
    View::Findings,
    View::Summary,
    View::Comparison,
    View::SideBySide,
    View::Leaks,
    View::Containment,
    View::Dominators,
    View::Statistics,
    View::RetainerGraph,
];

const DIGITS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

/// The shortcut that shows `view`, if it has one.
pub fn view_shortcut(view: View) -> Option<KeyboardShortcut> {
    NUMBERED_VIEWS
        .iter()
        .position(|&v| v == view)
        .map(|i| KeyboardShortcut::new(Modifiers::COMMAND, DIGITS[i]))
}

/// Reads Ctrl/Cmd+1…9 into view switches.
pub fn view_shortcuts(ctx: &egui::Context, commands: &mut super::command::CommandQueue) {
    for view in NUMBERED_VIEWS {
        if let Some(shortcut) = view_shortcut(view)
            && ctx.input_mut(|i| i.consume_shortcut(&shortcut))
        {
            commands.push(Command::SetView(view));
        }
    }
}

/// Keys that work inside panes (listed in Help → Keyboard shortcuts).
pub const PANE_KEYS: [(&str, &str); 9] = [
    ("\u{2191} / \u{2193}", "Tables: move the selection"),
    ("\u{2192} / \u{2190}", "Tables: expand / collapse the row"),
    ("Enter", "Tables: expand or collapse the row"),
    (
        "\u{2190} / \u{2192}",
        "Retainer graph: walk the path toward the roots / back",
    ),
    (
        "Double-click",
        "Retainer graph: add that object's retainers",
    ),
    ("Right-click", "Ignore this retainer, copy, select"),
    ("Drag, scroll", "Retainer graph, flame chart: pan, zoom"),
    ("\u{2191} / \u{2193}, Enter", "Command palette: choose, run"),
    ("Esc", "Close the command palette or a dialog"),
];

/// Something the palette can run: its name, where it lives, its shortcut.
#[derive(Clone, Debug)]
pub struct Action {
    /// What the palette lists (`Show Summary`, `Open…`).
    pub label: String,
    /// Where the same command sits in the menus (`View`, `File`).
    pub group: &'static str,
    /// Its keyboard shortcut, if any.
    pub shortcut: Option<KeyboardShortcut>,
    /// What it does.
    pub command: PaletteCommand,
    /// False when it cannot run now (shown dimmed, with the reason).
    pub enabled: Result<(), &'static str>,
}

/// What an [`Action`] does: an app command, or a window of the app itself.
#[derive(Clone, Debug)]
pub enum PaletteCommand {
    /// An app command.
    Run(Command),
    /// Help → Keyboard shortcuts.
    ShowShortcuts,
    /// Help → About.
    ShowAbout,
}

/// What the app offers now, for the palette's list.
pub struct Offer<'a> {
    /// Open snapshots: (document id, label).
    pub snapshots: Vec<(super::document::DocId, String)>,
    /// The active snapshot has a file (Save Redacted Copy).
    pub has_file: bool,
    /// The leak doctor has a report (Export Findings).
    pub diagnosed: bool,
    /// Some snapshot is open.
    pub any_open: bool,
    /// Recent files.
    pub recent: &'a [std::path::PathBuf],
}

/// Every action, in palette order.
pub fn actions(offer: &Offer<'_>) -> Vec<Action> {
    let mut out = Vec::new();
    let mut add = |label: String,
                   group: &'static str,
                   shortcut: Option<KeyboardShortcut>,
                   command: PaletteCommand,
                   enabled: Result<(), &'static str>| {
        out.push(Action {
            label,
            group,
            shortcut,
            command,
            enabled,
        });
    };
    let need_open = if offer.any_open {
        Ok(())
    } else {
        Err("open a snapshot first")
    };
    for view in View::ALL {
        add(
            format!("Show {}", view.label()),
            "View",
            view_shortcut(view),
            PaletteCommand::Run(Command::SetView(view)),
            Ok(()),
        );
    }
    add(
        "Show Retainers".into(),
        "View",
        None,
        PaletteCommand::Run(Command::ShowTile(super::pane_kind::PaneKind::Retainers)),
        Ok(()),
    );
    add(
        format!("Show {}", super::panes::allocation::WHERE_CREATED),
        "View",
        None,
        PaletteCommand::Run(Command::ShowTile(super::pane_kind::PaneKind::WhereCreated)),
        Ok(()),
    );
    add(
        "Compare A | B (two snapshots side by side, linked selection)".into(),
        "View",
        None,
        PaletteCommand::Run(Command::SplitAb),
        if offer.snapshots.len() >= 2 {
            Ok(())
        } else {
            Err("open two snapshots first")
        },
    );
    add(
        "Reset Layout".into(),
        "View",
        None,
        PaletteCommand::Run(Command::ResetLayout),
        Ok(()),
    );
    add(
        "Open\u{2026}".into(),
        "File",
        Some(super::command::OPEN_SHORTCUT),
        PaletteCommand::Run(Command::OpenDialog),
        Ok(()),
    );
    add(
        "Open Demo Snapshot".into(),
        "File",
        None,
        PaletteCommand::Run(Command::Open(vec![super::document::Source::demo()])),
        Ok(()),
    );
    for path in offer.recent {
        add(
            format!("Open Recent: {}", path.display()),
            "File",
            None,
            PaletteCommand::Run(Command::Open(vec![super::document::Source::Path(
                path.clone(),
            )])),
            if path.exists() {
                Ok(())
            } else {
                Err("the file no longer exists")
            },
        );
    }
    add(
        "Attach to Process\u{2026}".into(),
        "File",
        None,
        PaletteCommand::Run(Command::SetView(View::Live)),
        Ok(()),
    );
    add(
        "Save Redacted Copy\u{2026}".into(),
        "File",
        None,
        PaletteCommand::Run(Command::SaveRedacted),
        if offer.has_file {
            Ok(())
        } else {
            Err("open a snapshot file first")
        },
    );
    for format in [ExportFormat::Markdown, ExportFormat::Json] {
        add(
            format!("Export Findings as {}\u{2026}", format.label()),
            "File",
            None,
            PaletteCommand::Run(Command::ExportFindings(format)),
            if offer.diagnosed {
                Ok(())
            } else {
                Err("open a snapshot first")
            },
        );
    }
    for format in [
        crate::snapshot::export::ExportFormat::Markdown,
        crate::snapshot::export::ExportFormat::Json,
        crate::snapshot::export::ExportFormat::Html,
    ] {
        add(
            format!("Export Report as {}\u{2026}", format.label()),
            "File",
            None,
            PaletteCommand::Run(Command::ExportReport(format)),
            need_open,
        );
    }
    add(
        "Copy Rows as Markdown".into(),
        "Summary, Comparison",
        None,
        PaletteCommand::Run(Command::CopyMarkdown { cursor_only: false }),
        need_open,
    );
    add(
        "Copy Row as Markdown".into(),
        "Summary, Comparison",
        Some(super::command::COPY_MARKDOWN_SHORTCUT),
        PaletteCommand::Run(Command::CopyMarkdown { cursor_only: true }),
        need_open,
    );
    for (id, label) in &offer.snapshots {
        add(
            format!("Switch to {label}"),
            "Snapshots",
            None,
            PaletteCommand::Run(Command::SetActive(*id)),
            Ok(()),
        );
        add(
            format!("Close {label}"),
            "File",
            None,
            PaletteCommand::Run(Command::CloseSnapshot(*id)),
            Ok(()),
        );
    }
    add(
        "Search Objects\u{2026}".into(),
        "Edit",
        Some(super::command::FIND_SHORTCUT),
        PaletteCommand::Run(Command::OpenSearch),
        need_open,
    );
    add(
        "Stop Ignoring All Retainers".into(),
        "Retainers",
        None,
        PaletteCommand::Run(Command::ClearIgnoredRetainers),
        need_open,
    );
    add(
        "Clear Recent Files".into(),
        "File",
        None,
        PaletteCommand::Run(Command::ClearRecent),
        Ok(()),
    );
    add(
        "Keyboard Shortcuts".into(),
        "Help",
        None,
        PaletteCommand::ShowShortcuts,
        Ok(()),
    );
    add(
        "About heapsight".into(),
        "Help",
        None,
        PaletteCommand::ShowAbout,
        Ok(()),
    );
    add(
        "Quit".into(),
        "File",
        Some(super::command::QUIT_SHORTCUT),
        PaletteCommand::Run(Command::Quit),
        Ok(()),
    );
    out
}

/// True when every word of `query` occurs in `label` or `group` (case-insensitive).
pub fn matches(action: &Action, query: &str) -> bool {
    let haystack = format!("{} {}", action.label, action.group).to_lowercase();
    query
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}

/// The palette's state: open or not, the query, the highlighted row.
#[derive(Default)]
pub struct Palette {
    open: bool,
    query: String,
    highlighted: usize,
    focus_pending: bool,
    shortcuts_open: bool,
}

impl Palette {
    /// Opens the palette with an empty query.
    pub fn open(&mut self) {
        self.open = true;
        self.query.clear();
        self.highlighted = 0;
        self.focus_pending = true;
    }

    /// True while the palette is shown.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Shows Help → Keyboard shortcuts.
    pub fn show_shortcuts(&mut self) {
        self.shortcuts_open = true;
    }

    /// True while the Keyboard shortcuts window is shown.
    pub fn shortcuts_shown(&self) -> bool {
        self.shortcuts_open
    }

    /// Draws the palette (when open) and the shortcuts window (when open); the chosen
    /// command goes to `commands`. `offer` is only asked for while the palette is open.
    pub fn ui<'a>(
        &mut self,
        ctx: &egui::Context,
        offer: impl FnOnce() -> Offer<'a>,
        commands: &mut super::command::CommandQueue,
    ) {
        if ctx.input_mut(|i| i.consume_shortcut(&PALETTE_SHORTCUT)) {
            if self.open {
                self.open = false;
            } else {
                self.open();
            }
        }
        self.shortcuts_ui(ctx);
        if !self.open {
            return;
        }
        let actions = actions(&offer());
        let shown: Vec<&Action> = actions.iter().filter(|a| matches(a, &self.query)).collect();
        let (up, down, enter, escape) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::Enter),
                i.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if escape {
            self.open = false;
            return;
        }
        if down {
            self.highlighted = (self.highlighted + 1).min(shown.len().saturating_sub(1));
        }
        if up {
            self.highlighted = self.highlighted.saturating_sub(1);
        }
        self.highlighted = self.highlighted.min(shown.len().saturating_sub(1));
        let mut chosen: Option<Action> = None;
        if enter && let Some(a) = shown.get(self.highlighted) {
            chosen = Some((*a).clone());
        }
        let mut open = true;
        egui::Window::new("Command palette")
            .title_bar(false)
            .collapsible(false)
            .resizable(false)
            .fixed_size(egui::vec2(520.0, 0.0))
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 60.0))
            .show(ctx, |ui| {
                let theme = Theme::of(ui);
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text("Type a command (Esc to close)")
                        .desired_width(f32::INFINITY),
                );
                if self.focus_pending {
                    edit.request_focus();
                    self.focus_pending = false;
                }
                if edit.changed() {
                    self.highlighted = 0;
                }
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(360.0)
                    .show(ui, |ui| {
                        if shown.is_empty() {
                            ui.label(RichText::new("No command matches").color(theme.weak_text));
                        }
                        for (i, action) in shown.iter().enumerate() {
                            let row = action_row_ui(ui, action, i == self.highlighted, &theme);
                            if i == self.highlighted && (up || down) {
                                row.scroll_to_me(None);
                            }
                            if row.clicked() {
                                chosen = Some((*action).clone());
                            }
                        }
                    });
            });
        if let Some(action) = chosen
            && action.enabled.is_ok()
        {
            match action.command {
                PaletteCommand::Run(c) => commands.push(c),
                PaletteCommand::ShowShortcuts => self.shortcuts_open = true,
                PaletteCommand::ShowAbout => super::desktop::open_about(ctx),
            }
            open = false;
        }
        self.open = open;
    }

    fn shortcuts_ui(&mut self, ctx: &egui::Context) {
        if !self.shortcuts_open {
            return;
        }
        let mut open = true;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                let theme = Theme::of(ui);
                egui::Grid::new("shortcuts_grid")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        let global = [
                            (PALETTE_SHORTCUT, "Command palette: every command by name"),
                            (super::command::OPEN_SHORTCUT, "Open a snapshot or profile"),
                            (super::command::FIND_SHORTCUT, "Search objects"),
                            (
                                super::command::COPY_MARKDOWN_SHORTCUT,
                                "Copy the row under the cursor as Markdown",
                            ),
                            (super::command::QUIT_SHORTCUT, "Quit"),
                        ];
                        for (shortcut, what) in global {
                            ui.label(RichText::new(ctx.format_shortcut(&shortcut)).monospace());
                            ui.label(what);
                            ui.end_row();
                        }
                        for view in NUMBERED_VIEWS {
                            if let Some(shortcut) = view_shortcut(view) {
                                ui.label(RichText::new(ctx.format_shortcut(&shortcut)).monospace());
                                ui.label(format!("Show {}", view.label()));
                                ui.end_row();
                            }
                        }
                        for (keys, what) in PANE_KEYS {
                            ui.label(RichText::new(keys).monospace());
                            ui.label(RichText::new(what).color(theme.weak_text));
                            ui.end_row();
                        }
                    });
            });
        self.shortcuts_open = open;
    }
}

/// One palette row: label, where it lives, shortcut; dimmed with the reason when disabled.
fn action_row_ui(ui: &mut Ui, action: &Action, highlighted: bool, theme: &Theme) -> egui::Response {
    let text = match action.enabled {
        Ok(()) => RichText::new(&action.label),
        Err(_) => RichText::new(&action.label).color(theme.weak_text),
    };
    let row = ui
        .horizontal(|ui| {
            let label =
                ui.add(egui::Button::selectable(highlighted, text).frame_when_inactive(false));
            ui.label(RichText::new(action.group).small().color(theme.weak_text));
            if let Some(shortcut) = &action.shortcut {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.label(
                        RichText::new(ui.ctx().format_shortcut(shortcut))
                            .monospace()
                            .color(theme.weak_text),
                    );
                });
            }
            label
        })
        .inner;
    match action.enabled {
        Ok(()) => row,
        Err(why) => row.on_hover_text(format!("Not now: {why}")),
    }
}
