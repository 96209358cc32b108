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

#[test]
fn export_report_writes_what_is_on_screen_and_copies_rows_as_markdown() {
    use heapsight::app::command::Command;
    use heapsight::snapshot::export::{self, ExportFormat, Report, Section};
    let mut h = demo();
    h.get_by_label(View::Summary.label()).click();
    settle(&mut h);
    h.state_mut().summary_mut().set_filter("cached");
    settle(&mut h);
    let snapshot = std::sync::Arc::clone(&h.state().documents().active().expect("demo").snapshot);
    let class = snapshot
        .classes()
        .iter()
        .position(|c| c.name == "CachedApiResponse")
        .expect("the demo's leak");
    let node = heapsight::snapshot::NodeIdx(snapshot.class_members(class)[0]);
    h.state_mut().push_command(Command::Select {
        node,
        origin: heapsight::app::command::PaneId::Summary,
    });
    settle(&mut h);

    let dir = crate::util::scratch_dir("ui-export");
    let json = dir.join("report.json");
    h.state_mut()
        .push_command(Command::ExportReportTo(json.clone(), ExportFormat::Json));
    settle(&mut h);
    let report = Report::from_json(&std::fs::read_to_string(&json).expect("written"))
        .expect("valid JSON report");
    let Section::Table(table) = &report.sections[0] else {
        panic!("the Summary rows first: {:?}", report.sections[0]);
    };
    // The filtered rows on screen are the core's filtered Summary rows, same order.
    let expected = export::summary_table(&snapshot, "cached");
    assert_eq!(table.rows, expected.rows);
    assert!(table.note.contains("cached"), "{}", table.note);
    let paths: Vec<&str> = report
        .sections
        .iter()
        .filter_map(|s| match s {
            Section::Path(p) => Some(p.title.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        paths.len(),
        2,
        "retainer path and dominator chain: {paths:?}"
    );
    assert!(matches!(report.sections.last(), Some(Section::Chart(_))));
    assert_eq!(
        report,
        h.state().current_report().expect("report"),
        "the file is the report of the screen"
    );

    // HTML: one self-contained file.
    let html = dir.join("report.html");
    h.state_mut()
        .push_command(Command::ExportReportTo(html.clone(), ExportFormat::Html));
    settle(&mut h);
    let text = std::fs::read_to_string(&html).expect("written");
    assert!(text.contains("CachedApiResponse") && !text.contains("<script"));

    // Copy as Markdown: the same rows as a Markdown table.
    h.get_by_label("Copy as Markdown").click();
    settle(&mut h);
    let markdown = h.state().rows_markdown(false).expect("rows");
    assert_eq!(
        markdown,
        table.to_markdown(),
        "the table exported, as Markdown"
    );
    assert!(markdown.contains("| CachedApiResponse |"), "{markdown}");

    // In the Comparison view the report holds the Comparison rows of both snapshots.
    h.get_by_label(View::Comparison.label()).click();
    settle(&mut h);
    let report = h.state().current_report().expect("report");
    let Section::Table(table) = &report.sections[0] else {
        panic!("rows first");
    };
    assert_eq!(table.title, "Comparison");
    assert_eq!(report.sources.len(), 2);
    assert!(!table.rows.is_empty());
}
