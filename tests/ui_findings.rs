//! egui_kittest tests of the Findings view (issue 10): three snapshots of a leaking Express
//! app open on the leak doctor's cards; clicking a card selects its holder (Retainers and the
//! retainer graph follow); a held class lists its objects; File → Export findings writes the
//! report; healthy snapshots show no leak and stay on the Summary.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapsight::app::command::{Command, ExportFormat, View};
use heapsight::app::{HeapsightApp, StartOptions};
use heapsight::snapshot::doctor::{FindingKind, Severity};

use crate::util;

/// A tall window, so that the first card with its object list fits without scrolling.
fn open(scenario: &str, names: &[&str]) -> Harness<'static, HeapsightApp> {
    let files = names
        .iter()
        .map(|n| util::fixture(&format!("doctor/{scenario}/{n}.heapsnapshot.gz")))
        .collect();
    let app = HeapsightApp::with_options(StartOptions::for_files(files));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 1600.0))
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut HeapsightApp| app.show(ui), app);
    wait_idle(&mut h);
    h
}

fn wait_idle(h: &mut Harness<'static, HeapsightApp>) {
    crate::util::wait_app_idle(h);
}

#[test]
fn three_snapshots_open_on_the_findings_and_a_card_selects_its_holder() {
    let mut h = open("express-leaks", &["baseline", "target", "final"]);
    assert_eq!(h.state().state().view, View::Findings, "shown first");
    let report = h
        .state()
        .compare()
        .findings
        .report()
        .expect("diagnosed")
        .clone();
    let leaks: Vec<_> = report
        .diagnosis
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Leak)
        .collect();
    assert_eq!(leaks.len(), 2, "the two root causes");
    // The cards are on screen, with the holders' names a person recognises.
    assert!(h.query_all_by_label_contains("profileCache").count() >= 1);
    assert!(h.query_all_by_label_contains("config-changed").count() >= 1);
    // The first finding is selected on arrival: the final snapshot is shown, its holder
    // selected, the Retainers pane and the graph are about it.
    let (last_doc, _) = report.last.clone().expect("last");
    let first = &report.diagnosis.findings[0];
    assert_eq!(h.state().documents().active().map(|d| d.id), Some(last_doc));
    assert_eq!(h.state().selection().node(), Some(first.holder.node));
    assert_eq!(h.state().retainers().target(), Some(first.holder.node));
    assert_eq!(h.state().explore().graph.target(), Some(first.holder.node));

    // The two leaks have different holders.
    assert_ne!(leaks[0].holder.node, leaks[1].holder.node);

    // A held class of the first card opens its objects; clicking one selects it.
    let (c, class) = first
        .held_classes
        .iter()
        .enumerate()
        .find(|(_, h)| !h.members.is_empty())
        .expect("a held class with objects");
    h.state_mut().compare_mut().findings.toggle_class(0, c);
    wait_idle(&mut h);
    assert_eq!(h.state().compare().findings.open_class(), Some((0, c)));
    assert_eq!(
        h.query_all_by_label_contains(&format!("objects of {} held through", class.class_name))
            .count(),
        1
    );
    let member = class.members[0];
    let id = {
        let (_, snap) = report.last.as_ref().expect("last");
        snap.node_id(member)
    };
    h.get_all_by_label(&format!("@{id}"))
        .next()
        .expect("member row")
        .click();
    wait_idle(&mut h);
    assert_eq!(h.state().selection().node(), Some(member));
    assert_eq!(h.state().retainers().target(), Some(member));

    // The card's "Show holder" goes back to the holder, in every pane.
    h.get_all_by_label("Show holder")
        .next()
        .expect("button")
        .click();
    wait_idle(&mut h);
    assert_eq!(h.state().compare().findings.selected(), Some(0));
    assert_eq!(h.state().selection().node(), Some(first.holder.node));
    assert_eq!(h.state().explore().graph.target(), Some(first.holder.node));

    // File → Export findings, both formats, as the CLI writes them.
    let dir = util::scratch_dir("ui-findings-export");
    let md = dir.join("findings.md");
    let json = dir.join("findings.json");
    h.state_mut().write_findings(&md, ExportFormat::Markdown);
    h.state_mut().write_findings(&json, ExportFormat::Json);
    let text = std::fs::read_to_string(&md).expect("markdown written");
    assert!(text.starts_with("# heapsight leak doctor"));
    assert!(text.contains("profileCache"), "{text}");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written")).expect("json");
    assert_eq!(
        value["findings"].as_array().map(Vec::len),
        Some(report.diagnosis.findings.len())
    );
    assert_eq!(value["method"], "three-snapshot");
    // A folder that does not exist: an error banner naming the file, nothing written.
    let bad = dir.join("missing").join("findings.md");
    h.state_mut().write_findings(&bad, ExportFormat::Markdown);
    assert!(!bad.exists());
    assert!(
        h.state()
            .errors()
            .iter()
            .any(|e| e.title.contains("findings.md")),
        "{:?}",
        h.state().errors()
    );
    // The menu command without a dialog available does not lose anything either.
    h.state_mut().push_command(Command::SetView(View::Summary));
    wait_idle(&mut h);
    assert_eq!(h.state().state().view, View::Summary);

    #[cfg(feature = "snapshot")]
    h.snapshot("findings_express");
}

#[test]
fn healthy_snapshots_show_no_leak_and_one_snapshot_stays_on_the_summary() {
    let mut h = open("healthy", &["baseline", "target", "final"]);
    let report = h
        .state()
        .compare()
        .findings
        .report()
        .expect("diagnosed")
        .clone();
    assert!(
        report
            .diagnosis
            .findings
            .iter()
            .all(|f| f.severity != Severity::Leak),
        "no leak on healthy code"
    );
    h.state_mut().push_command(Command::SetView(View::Findings));
    wait_idle(&mut h);
    assert!(
        h.query_by_label_contains("0 leaks").is_some()
            || h.query_by_label_contains("No findings").is_some()
    );

    // One snapshot: patterns only, and the Summary stays first.
    let h = open("listeners-single", &["final"]);
    assert_eq!(h.state().state().view, View::Summary);
    let report = h.state().compare().findings.report().expect("diagnosed");
    assert!(
        report
            .diagnosis
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::Listeners && f.severity == Severity::Leak)
    );
}
