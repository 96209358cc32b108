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
        crate::util::click_view(&h, view.label());
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
    crate::util::click_view(&h, View::Summary.label());
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
    crate::util::click_view(&h, View::Comparison.label());
    settle(&mut h);
    let report = h.state().current_report().expect("report");
    let Section::Table(table) = &report.sections[0] else {
        panic!("rows first");
    };
    assert_eq!(table.title, "Comparison");
    assert_eq!(report.sources.len(), 2);
    assert!(!table.rows.is_empty());
}

#[test]
fn the_window_reopens_a_file_from_its_persisted_index() {
    use heapsight::snapshot::cache::CacheConfig;
    let dir = crate::util::scratch_dir("ui-cache");
    let file = dir.join("cache-final.heapsnapshot.gz");
    std::fs::copy(crate::util::golden_input("cache", "final"), &file).expect("copy fixture");
    let open = |h: &egui_kittest::Harness<'static, heapsight::app::HeapsightApp>| {
        std::sync::Arc::clone(&h.state().documents().active().expect("open").snapshot)
    };
    let options = || {
        let mut o = StartOptions::for_files(vec![file.clone()]);
        o.cache = Some(CacheConfig::in_dir(dir.join("cache")));
        o
    };
    let first = open(&crate::util::app_harness(options(), 600.0));
    assert!(!first.opened_from_index());
    // The index is written beside the window, after the Summary is shown.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !std::fs::read_dir(dir.join("cache")).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "hsidx"))
    }) {
        assert!(std::time::Instant::now() < deadline, "no index written");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let again = open(&crate::util::app_harness(options(), 600.0));
    assert!(again.opened_from_index(), "reopened from the index");
    let rows = |s: &heapsight::snapshot::Snapshot| {
        s.classes()
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.count,
                    c.shallow_size_bytes,
                    c.retained_size_bytes,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&first), rows(&again));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn snapshot_list_shows_every_snapshot_reorders_saves_and_closes() {
    use heapsight::app::command::Command;
    let mut h = demo();
    let docs = |h: &egui_kittest::Harness<'static, heapsight::app::HeapsightApp>| {
        h.state()
            .documents()
            .all()
            .iter()
            .map(|d| (d.id, d.title.clone()))
            .collect::<Vec<_>>()
    };
    let before = docs(&h);
    assert_eq!(before.len(), 2);
    // Each open snapshot is listed with its size, object count and role.
    h.get_by_label("Snapshot 1");
    h.get_by_label("Snapshot 2");
    assert!(h.query_all_by_label("Save as\u{2026}").count() == 2);
    // Move the second one up.
    h.get_all_by_label("\u{2191}")
        .nth(1)
        .expect("second row's Move up")
        .click();
    settle(&mut h);
    let after: Vec<_> = docs(&h).into_iter().map(|(_, t)| t).collect();
    assert_eq!(after, ["Snapshot 2", "Snapshot 1"]);

    // Save as .gz (the bundled demo is gzip already) and as plain JSON: both load back.
    let dir = crate::util::scratch_dir("ui-save-as");
    let (id, _) = before[1];
    for name in ["copy.heapsnapshot.gz", "copy.heapsnapshot"] {
        let out = dir.join(name);
        h.state_mut()
            .push_command(Command::SaveSnapshotTo(id, out.clone()));
        settle(&mut h);
        let copy = crate::util::load_path(&out);
        let shown = &h.state().documents().all()[0].snapshot;
        assert_eq!(copy.node_count(), shown.node_count(), "{name}");
        assert_eq!(copy.total_size(), shown.total_size(), "{name}");
    }
    assert!(!heapsight::atomic_file::part_path(&dir.join("copy.heapsnapshot")).exists());
    // A folder that does not exist: an error banner, nothing written, snapshots stay.
    let bad = dir.join("missing/x.heapsnapshot");
    h.state_mut()
        .push_command(Command::SaveSnapshotTo(id, bad.clone()));
    settle(&mut h);
    assert!(
        h.state()
            .errors()
            .iter()
            .any(|e| e.title.contains("x.heapsnapshot"))
    );
    assert_eq!(docs(&h).len(), 2);

    // Close from the list.
    h.get_all_by_label("\u{00D7}")
        .next()
        .expect("a Close button")
        .click();
    settle(&mut h);
    assert_eq!(docs(&h).len(), 1);
    std::fs::remove_dir_all(&dir).ok();
}
