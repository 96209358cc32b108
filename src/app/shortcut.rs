//! The window-wide keyboard shortcuts (a leaf module: the menus, the palette, the widgets
//! and the command dispatcher all name them).

/// Ctrl/Cmd+O: File → Open.
pub const OPEN_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);

/// Ctrl/Cmd+Q: quit.
pub const QUIT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::Q);

/// Ctrl/Cmd+F: search.
pub const FIND_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::F);

/// Ctrl/Cmd+Shift+C: copy the row under the cursor as Markdown.
pub const COPY_MARKDOWN_SHORTCUT: egui::KeyboardShortcut = egui::KeyboardShortcut::new(
    egui::Modifiers::COMMAND.plus(egui::Modifiers::SHIFT),
    egui::Key::C,
);
