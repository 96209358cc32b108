//! egui_kittest tests of the perspectives in sight: the tab row, Ctrl+1…9, the command
//! palette (Ctrl+K) and Help → Keyboard shortcuts, on the bundled demo.

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use heapsight::app::StartOptions;
use heapsight::app::command::View;

fn demo() -> egui_kittest::Harness<'static, heapsight::app::HeapsightApp> {
    crate::util::app_harness(StartOptions::for_files(Vec::new()), 800.0)
}

fn settle(h: &mut egui_kittest::Harness<'static, heapsight::app::HeapsightApp>) {
    for _ in 0..4 {
        h.step();
    }
    crate::util::wait_app_idle(h);
}

#[test]
fn tabs_and_numbered_shortcuts_switch_perspectives() {
    let mut h = demo();
    for view in [View::Summary, View::Dominators, View::Statistics] {
        h.get_by_label(view.label()).click();
        settle(&mut h);
        assert_eq!(h.state().state().view, view);
    }
    // Ctrl+3 is the third tab, Comparison.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    settle(&mut h);
    assert_eq!(h.state().state().view, View::Comparison);
}

#[test]
fn command_palette_runs_a_command_by_name_and_lists_shortcuts() {
    let mut h = demo();
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    settle(&mut h);
    assert!(h.state().palette().is_open());
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text("dominat");
    settle(&mut h);
    // Only matching commands are listed; Enter runs the first.
    h.get_by_label("Show Dominators");
    assert!(h.query_by_label("Show Summary").is_none());
    h.key_press(Key::Enter);
    settle(&mut h);
    assert_eq!(h.state().state().view, View::Dominators);
    assert!(!h.state().palette().is_open());

    // Escape closes without running anything; a disabled command says why.
    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    settle(&mut h);
    h.get_by_role(egui::accesskit::Role::TextInput)
        .type_text("shortcuts");
    settle(&mut h);
    h.key_press(Key::Enter);
    settle(&mut h);
    assert!(h.state().palette().shortcuts_shown());
    h.get_by_label("Command palette: every command by name");
    h.get_by_label("Retainer graph: walk the path toward the roots / back");

    h.key_press_modifiers(Modifiers::COMMAND, Key::K);
    settle(&mut h);
    h.key_press(Key::Escape);
    settle(&mut h);
    assert!(!h.state().palette().is_open());
    assert_eq!(h.state().state().view, View::Dominators);
}
