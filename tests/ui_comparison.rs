//! egui_kittest tests of the comparison views (issue 5): baseline/target/final slots filled by
//! dropping files on the real app, the Comparison table, Side by side, leak candidates, the
//! Summary's "Objects allocated between" filter, unrelated snapshots and a failed load of
//! one side.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapsight::app::command::{Command, PaneId, View};
use heapsight::app::document::DocId;
use heapsight::app::panes::comparison::{CompItem, UNRELATED_IDS};
use heapsight::app::panes::summary::{ALL_OBJECTS, RANGE_BOX_LABEL, SummaryItem};
use heapsight::app::panes::summary_range::DUPLICATED_STRINGS;
use heapsight::app::role::Role;
use heapsight::app::{HeapsightApp, StartOptions};
use heapsight::format;
use heapsight::snapshot::leaks::is_builtin_class;
use heapsight::snapshot::{NodeIdx, Snapshot};

/// A dropped file as the native integration delivers it (only the path is read).
#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn fixture(scenario: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/goldens")
        .join(scenario)
        .join(format!("{name}.heapsnapshot.gz"))
}

/// The real app in a 1280×800 window, with nothing open (no demo).
fn harness() -> Harness<'static, HeapsightApp> {
    let app = HeapsightApp::with_options(StartOptions {
        demo: false,
        ..StartOptions::default()
    });
    // The sort arrows (▼) and the status bar's "→" are not in kittest's two test fonts.
    Harness::builder()
        // Wide enough for the Comparison's columns beside the retainer graph tile.
        .with_size(egui::vec2(1600.0, 800.0))
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut HeapsightApp| app.show(ui), app)
}

/// Drops files on the window in one frame (as a file manager drops a selection).
fn drop_files(h: &mut Harness<'static, HeapsightApp>, paths: &[PathBuf]) {
    for path in paths {
        h.input_mut()
            .dropped_files
            .push(Arc::new(DroppedPath(path.clone())));
    }
    h.step();
}

/// Drops `names` of `scenario` (e.g. `["baseline", "target"]`) on the window and waits for
/// them to load.
fn open_scenario(h: &mut Harness<'static, HeapsightApp>, scenario: &str, names: &[&str]) {
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(scenario, n)).collect();
    drop_files(h, &paths);
    wait_idle(h);
}

/// Two snapshots of one process open on the Findings; the Summary is one click away (View).
fn show_summary(h: &mut Harness<'static, HeapsightApp>) {
    if h.state().state().view != View::Summary {
        h.state_mut().push_command(Command::SetView(View::Summary));
        wait_idle(h);
    }
}

fn wait_idle(h: &mut Harness<'static, HeapsightApp>) {
    // A view starts its job when first drawn, so idle means idle for a few frames in a row.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut idle_frames = 0;
    while idle_frames < 4 {
        h.step();
        if h.state().is_busy() {
            idle_frames = 0;
            std::thread::sleep(Duration::from_millis(10));
        } else {
            idle_frames += 1;
        }
        assert!(
            Instant::now() < deadline,
            "the app stayed busy for 3 minutes (compare busy: {}, retainers busy: {}, docs: {})",
            h.state().compare().is_busy(),
            h.state().retainers().is_busy(),
            h.state().documents().all().len()
        );
    }
}

fn show(h: &mut Harness<'static, HeapsightApp>, view: View) {
    h.state_mut().push_command(Command::SetView(view));
    wait_idle(h);
}

fn doc_of(h: &Harness<'static, HeapsightApp>, role: Role) -> heapsight::app::document::DocId {
    h.state()
        .compare()
        .roles
        .doc(role)
        .unwrap_or_else(|| panic!("no {role:?}; errors: {:?}", h.state().errors()))
}

#[test]
fn comparison_ranks_leaking_classes_and_selects_instances_in_their_snapshot() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "final"]);
    let base_doc = doc_of(&h, Role::Baseline);
    let target_doc = doc_of(&h, Role::Target);
    show(&mut h, View::Comparison);

    // # Delta = 2 × iterations, and both leaks at the top of the user classes.
    let rows = h.state().compare().comparison.rows();
    let user: Vec<&(String, i64)> = rows.iter().filter(|(n, _)| !is_builtin_class(n)).collect();
    for leak in ["CachedApiResponse", "RouteStatsEntry"] {
        let rank = user
            .iter()
            .position(|(n, _)| n == leak)
            .unwrap_or_else(|| panic!("{leak} missing from {rows:?}"));
        assert_eq!(user[rank].1, 200, "{leak}");
        assert!(rank < 4, "{leak} ranks {rank} among {user:?}");
    }
    // On screen: the rows and their deltas.
    h.get_by_label("CachedApiResponse");
    h.get_by_label("RouteStatsEntry");
    assert!(h.query_all_by_label("+200").count() >= 2);
    // The header's role labels (the snapshot list names the roles too).
    assert!(h.query_all_by_label("Baseline").count() >= 1);
    assert!(h.query_all_by_label("Target").count() >= 1);
    h.get_by_label("# Delta \u{25BC}");

    // Expand CachedApiResponse (click, right arrow) and select a new instance.
    h.get_by_label("CachedApiResponse").click();
    h.step();
    h.key_press(egui::Key::ArrowRight);
    wait_idle(&mut h);
    let diff = Arc::clone(h.state().compare().comparison.diff().expect("diff"));
    let class = diff
        .classes
        .iter()
        .find(|c| c.name == "CachedApiResponse")
        .expect("class");
    assert_eq!(class.added_count, 200);
    let target = Arc::clone(
        &h.state()
            .documents()
            .all()
            .iter()
            .find(|d| d.id == target_doc)
            .expect("target")
            .snapshot,
    );
    let new_node = class.added[0];
    h.get_by_label(&format!("@{}", target.node_id(new_node)))
        .click();
    wait_idle(&mut h);
    {
        let app = h.state();
        assert_eq!(app.documents().active().map(|d| d.id), Some(target_doc));
        assert_eq!(app.selection().node(), Some(new_node));
        assert_eq!(app.retainers().target(), Some(new_node));
        assert!(!app.retainers().visible_rows_text().is_empty());
    }
    assert!(h.query_all_by_label("new").count() >= 1);

    // A deleted object lives in the baseline: selecting it switches the active snapshot.
    let (index, deleted_class) = diff
        .classes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.removed_count > 0)
        .min_by_key(|(_, c)| c.added.len() + c.removed.len())
        .expect("some object was deleted");
    let deleted: NodeIdx = deleted_class.removed[0];
    // Filter to that class (its rows fit on screen), expand it, click the deleted object.
    h.state_mut()
        .compare_mut()
        .comparison
        .set_filter(&deleted_class.name);
    wait_idle(&mut h);
    {
        let tree = h
            .state_mut()
            .compare_mut()
            .comparison
            .tree_mut()
            .expect("tree");
        let pos = tree
            .top_level()
            .iter()
            .position(|i| *i == CompItem::Class(index as u32))
            .expect("class row");
        let key = tree.child_key(None, pos as u32).expect("key");
        tree.expand(key);
    }
    wait_idle(&mut h);
    let base = Arc::clone(
        &h.state()
            .documents()
            .all()
            .iter()
            .find(|d| d.id == base_doc)
            .expect("base")
            .snapshot,
    );
    let label = format!("@{}", base.node_id(deleted));
    h.get_by_label(&label).click();
    wait_idle(&mut h);
    let app = h.state();
    assert_eq!(app.documents().active().map(|d| d.id), Some(base_doc));
    assert_eq!(app.selection().node(), Some(deleted));
    assert_eq!(app.retainers().target(), Some(deleted));

    #[cfg(feature = "snapshot")]
    h.snapshot("comparison_cache");
}

#[test]
fn comparison_sorts_by_every_column_and_filters() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "final"]);
    show(&mut h, View::Comparison);
    for header in [
        "Constructor",
        "# New",
        "# Deleted",
        "Alloc. Size",
        "Freed Size",
        "Size Delta",
    ] {
        h.get_by_label(header).click();
        wait_idle(&mut h);
        let rows = h.state().compare().comparison.rows();
        assert!(!rows.is_empty(), "{header}");
    }
    // By name ascending (first click on Constructor), then the filter.
    h.get_by_label("Size Delta \u{25BC}").click();
    wait_idle(&mut h);
    h.get_by_label("Class filter").click();
    h.step();
    h.get_by_label("Class filter").type_text("routestats");
    wait_idle(&mut h);
    let rows = h.state().compare().comparison.rows();
    assert_eq!(rows, vec![("RouteStatsEntry".to_owned(), 200)]);
}

#[test]
fn side_by_side_aligns_both_summaries() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "final"]);
    show(&mut h, View::SideBySide);
    let rows = h.state().compare().side_by_side.rows();
    let leak = rows
        .iter()
        .find(|r| r.0 == "CachedApiResponse")
        .expect("aligned row");
    assert_eq!(leak.1, 200);
    assert!(leak.2 > 0);
    // Sorted by growth: size deltas never increase down the list.
    assert!(rows.windows(2).all(|w| w[0].2 >= w[1].2));
    h.get_by_label("Count A");
    h.get_by_label("Growth \u{25BC}");
    h.get_by_label("CachedApiResponse");
}

#[test]
fn leak_candidates_with_three_snapshots() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "target", "final"]);
    let final_doc = doc_of(&h, Role::Final);
    show(&mut h, View::Leaks);
    let candidates = h
        .state()
        .compare()
        .leaks
        .candidates()
        .expect("candidates")
        .to_vec();
    let leak = candidates
        .iter()
        .find(|c| c.class_name == "CachedApiResponse")
        .expect("CachedApiResponse is a candidate");
    assert_eq!(leak.count, 100);
    assert!(!candidates[0].builtin, "user classes first");
    h.get_by_label("CachedApiResponse");
    // Built-in rows are hidden by default.
    assert!(h.query_by_label("(string)").is_none());

    // Clicking the class selects its first group's representative in the final snapshot.
    h.get_by_label("CachedApiResponse").click();
    wait_idle(&mut h);
    let rep = leak.groups[0].representative;
    let app = h.state();
    assert_eq!(app.documents().active().map(|d| d.id), Some(final_doc));
    assert_eq!(app.selection().node(), Some(rep));
    assert_eq!(app.retainers().target(), Some(rep));
    assert!(!app.retainers().visible_rows_text().is_empty());

    #[cfg(feature = "snapshot")]
    h.snapshot("leak_candidates_cache");
}

const BETWEEN_CACHE: &str =
    "Objects allocated between baseline.heapsnapshot.gz and target.heapsnapshot.gz";

fn snapshot_of(h: &Harness<'static, HeapsightApp>, doc: DocId) -> Arc<Snapshot> {
    Arc::clone(
        &h.state()
            .documents()
            .all()
            .iter()
            .find(|d| d.id == doc)
            .expect("open")
            .snapshot,
    )
}

/// Picks `label` in the Summary's range filter box (as a user does: open it, click).
fn pick_range(h: &mut Harness<'static, HeapsightApp>, label: &str) {
    show_summary(h);
    h.get_by_label(RANGE_BOX_LABEL).click();
    // One frame takes the click, the next shows the list.
    h.step();
    h.step();
    // The list's entry: drawn last, over the perspective tabs (one is "Duplicated strings").
    h.get_all_by_label(label)
        .last()
        .expect("the range option")
        .click();
    // The command is applied at the end of this frame; the pane follows on the next.
    h.step();
    h.step();
}

fn offered_labels(h: &mut Harness<'static, HeapsightApp>) -> Vec<String> {
    h.state_mut()
        .summary_mut()
        .ranges()
        .offered()
        .iter()
        .map(|o| o.label.clone())
        .collect()
}

/// The Summary's top-level rows in the oracle's JSON shape, in the order shown.
fn summary_rows(h: &mut Harness<'static, HeapsightApp>) -> Vec<serde_json::Value> {
    let tree = h.state_mut().summary_mut().tree_mut().expect("tree");
    let model = Arc::clone(tree.model());
    tree.top_level()
        .iter()
        .map(|item| {
            let SummaryItem::Class(c) = item else {
                panic!("top level holds classes, not {item:?}");
            };
            crate::comparison::class_row_json(&model.aggregates().classes()[*c as usize])
        })
        .collect()
}

/// Expands class `name` in the Summary and returns its instances as listed.
fn instances_of(h: &mut Harness<'static, HeapsightApp>, name: &str) -> Vec<NodeIdx> {
    let key = {
        let tree = h.state_mut().summary_mut().tree_mut().expect("tree");
        let model = Arc::clone(tree.model());
        let pos = tree
            .top_level()
            .iter()
            .position(|i| {
                matches!(i, SummaryItem::Class(c) if model.aggregates().classes()[*c as usize].name == name)
            })
            .unwrap_or_else(|| panic!("no {name} row"));
        let key = tree.child_key(None, pos as u32).expect("key");
        tree.expand(key);
        key
    };
    wait_idle(h);
    let tree = h.state_mut().summary_mut().tree_mut().expect("tree");
    tree.children_of(Some(key))
        .expect("expanded")
        .iter()
        .map(|i| match i {
            SummaryItem::Instance(n) => *n,
            other => panic!("a class holds instances, not {other:?}"),
        })
        .collect()
}

/// DevTools' Summary filter "Objects allocated between Snapshot 1 and Snapshot 2" on the
/// target's Summary: rows, counts, sizes and distances as DevTools' worker computes them
/// (`tests/fixtures/filters/*-target-between-baseline-and-target.json`), instances in the
/// id range, selection, class filter and sorting on top of it, and back to all objects.
#[test]
fn summary_filter_objects_allocated_between_matches_devtools() {
    for scenario in ["cache", "all"] {
        let mut h = harness();
        drop_files(
            &mut h,
            &[fixture(scenario, "baseline"), fixture(scenario, "target")],
        );
        wait_idle(&mut h);
        let target_doc = doc_of(&h, Role::Target);
        let base = snapshot_of(&h, doc_of(&h, Role::Baseline));
        let target = snapshot_of(&h, target_doc);
        assert_eq!(
            h.state().documents().active().map(|d| d.id),
            Some(target_doc),
            "the Summary shows the target"
        );
        assert!(h.state_mut().summary_mut().range_shown().is_none());
        show_summary(&mut h);
        h.get_by_label(RANGE_BOX_LABEL);
        assert_eq!(
            offered_labels(&mut h),
            vec![
                "Objects allocated before baseline.heapsnapshot.gz".to_owned(),
                BETWEEN_CACHE.to_owned(),
                DUPLICATED_STRINGS.to_owned(),
            ]
        );

        pick_range(&mut h, BETWEEN_CACHE);
        assert!(h.state().is_busy() || h.state_mut().summary_mut().range_shown().is_some());
        wait_idle(&mut h);

        // The rows are DevTools' rows, in DevTools' order (retained size, biggest first).
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
            "tests/fixtures/filters/{scenario}-target-between-baseline-and-target.json"
        ));
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("oracle rows"))
                .expect("json");
        let rows = summary_rows(&mut h);
        assert_eq!(
            serde_json::Value::Array(rows.clone()),
            want["rows"],
            "{scenario}: the filtered Summary differs from DevTools"
        );
        let range = Arc::clone(h.state_mut().summary_mut().range_shown().expect("range"));
        assert_eq!(range.min_exclusive, base.max_js_node_id());
        assert_eq!(range.max_inclusive, target.max_js_node_id());
        assert_eq!(
            want["maxJsNodeId"].as_u64(),
            Some(u64::from(range.max_inclusive))
        );
        let in_range: u64 = rows
            .iter()
            .map(|r| r["count"].as_u64().expect("count"))
            .sum();
        let all_objects: u64 = target.classes().iter().map(|c| u64::from(c.count)).sum();
        // The toolbar says a filter is on: "N of M objects".
        h.get_by_label(&format!(
            "{} of {} objects",
            format::count(in_range),
            format::count(all_objects)
        ));

        // Each leaking class: exactly one object per iteration, all in the id range.
        for (class, at_least) in crate::comparison::leaking_classes(scenario) {
            let row = rows
                .iter()
                .find(|r| r["name"] == class)
                .unwrap_or_else(|| panic!("{scenario}: no {class} row"));
            let count = row["count"].as_u64().expect("count");
            if at_least {
                assert!(count >= 100, "{scenario}: {class} has {count}");
            } else {
                assert_eq!(count, 100, "{scenario}: {class}");
            }
            let instances = instances_of(&mut h, class);
            assert_eq!(
                instances.len() as u64,
                count,
                "{scenario}: {class} instances"
            );
            for n in instances {
                let id = target.node_id(n);
                assert!(
                    id > range.min_exclusive && id <= range.max_inclusive,
                    "{scenario}: {class} @{id} is outside the range"
                );
            }
        }

        // Back to all objects: the snapshot's own rows.
        pick_range(&mut h, ALL_OBJECTS);
        wait_idle(&mut h);
        assert!(h.state_mut().summary_mut().range_shown().is_none());
        let rows = summary_rows(&mut h);
        assert_eq!(rows.len(), target.classes().len());
        let total: u64 = rows
            .iter()
            .map(|r| r["count"].as_u64().expect("count"))
            .sum();
        assert_eq!(total, all_objects);
        h.get_by_label(&format!(
            "{} constructors",
            format::count(target.classes().len() as u64)
        ));

        // And the filter again: computed once, so it is there on the next frame.
        assert_eq!(h.state_mut().summary_mut().ranges().cached_count(), 1);
        pick_range(&mut h, BETWEEN_CACHE);
        assert!(h.state_mut().summary_mut().range_shown().is_some());
        assert_eq!(
            summary_rows(&mut h).len(),
            want["rows"].as_array().expect("rows").len()
        );
    }
}

/// With a range chosen, the Summary still selects, navigates, filters by class and sorts.
#[test]
fn summary_filter_keeps_selection_class_filter_and_sorting() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "target"]);
    let target = snapshot_of(&h, doc_of(&h, Role::Target));
    let base_max = snapshot_of(&h, doc_of(&h, Role::Baseline)).max_js_node_id();
    pick_range(&mut h, BETWEEN_CACHE);
    wait_idle(&mut h);

    // Class filter on top of the range: one row, the range's count.
    h.get_by_label("Class filter").click();
    h.step();
    h.get_by_label("Class filter").type_text("cachedapi");
    wait_idle(&mut h);
    let rows = summary_rows(&mut h);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["count"], 100);
    h.get_by_label_contains("1 of 20 constructors");

    // Click the class, expand it with the right arrow, click an instance.
    h.get_by_label("CachedApiResponse").click();
    h.step();
    h.key_press(egui::Key::ArrowRight);
    wait_idle(&mut h);
    let instances = instances_of(&mut h, "CachedApiResponse");
    let first = instances[0];
    h.get_by_label(&format!("@{}", target.node_id(first)))
        .click();
    wait_idle(&mut h);
    {
        let app = h.state();
        assert_eq!(app.selection().node(), Some(first));
        assert_eq!(app.retainers().target(), Some(first));
        assert!(!app.retainers().visible_rows_text().is_empty());
    }
    // Down and Enter select the next instance, also allocated between the snapshots.
    h.key_press(egui::Key::ArrowDown);
    h.step();
    h.key_press(egui::Key::Enter);
    wait_idle(&mut h);
    let next = h.state().selection().node().expect("selected");
    assert_ne!(next, first);
    assert_eq!(target.class_name(next), "CachedApiResponse");
    assert!(target.node_id(next) > base_max);

    // Sorting by count sorts the range's rows.
    h.state_mut().summary_mut().set_filter("");
    wait_idle(&mut h);
    assert_eq!(h.state_mut().summary_mut().filter(), "");
    h.get_by_label("Count").click();
    wait_idle(&mut h);
    let counts: Vec<u64> = summary_rows(&mut h)
        .iter()
        .map(|r| r["count"].as_u64().expect("count"))
        .collect();
    assert_eq!(counts.len(), 20);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");

    // A node selected elsewhere that the range hides leaves the filter alone.
    let old = (0..target.node_count() as u32)
        .map(NodeIdx)
        .find(|&n| target.node_class(n).is_some() && target.node_id(n) <= base_max)
        .expect("an object older than the baseline");
    h.state_mut().push_command(Command::Select {
        node: old,
        origin: PaneId::External,
    });
    wait_idle(&mut h);
    assert_eq!(h.state().selection().node(), Some(old));
    assert!(h.state_mut().summary_mut().range_shown().is_some());
}

/// The choice is kept per snapshot, and dropped when a snapshot it names leaves its slot.
#[test]
fn summary_filter_resets_when_its_snapshots_go_away() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "target"]);
    let base_doc = doc_of(&h, Role::Baseline);
    let target_doc = doc_of(&h, Role::Target);
    pick_range(&mut h, BETWEEN_CACHE);
    wait_idle(&mut h);
    assert!(h.state_mut().summary_mut().range_shown().is_some());

    // The baseline's Summary: all objects, and only the range before it is offered.
    h.state_mut().push_command(Command::SetActive(base_doc));
    wait_idle(&mut h);
    assert!(h.state_mut().summary_mut().range_shown().is_none());
    assert_eq!(
        offered_labels(&mut h),
        vec![
            "Objects allocated before baseline.heapsnapshot.gz".to_owned(),
            DUPLICATED_STRINGS.to_owned(),
        ]
    );
    // Back to the target: its filter is still chosen and computed.
    h.state_mut().push_command(Command::SetActive(target_doc));
    h.step();
    h.step();
    assert!(h.state_mut().summary_mut().range_shown().is_some());

    // The baseline leaves its slot: the range it bounded goes, with its result.
    h.state_mut().push_command(Command::AssignRole {
        role: Role::Baseline,
        doc: None,
    });
    wait_idle(&mut h);
    assert!(h.state_mut().summary_mut().range_shown().is_none());
    assert_eq!(h.state_mut().summary_mut().ranges().cached_count(), 0);
    assert!(!offered_labels(&mut h).contains(&BETWEEN_CACHE.to_owned()));

    // Back in its slot, chosen again, then closed: one snapshot left, only the filters that
    // need no other snapshot.
    h.state_mut().push_command(Command::AssignRole {
        role: Role::Baseline,
        doc: Some(base_doc),
    });
    wait_idle(&mut h);
    pick_range(&mut h, BETWEEN_CACHE);
    wait_idle(&mut h);
    assert!(h.state_mut().summary_mut().range_shown().is_some());
    h.state_mut().push_command(Command::CloseSnapshot(base_doc));
    wait_idle(&mut h);
    assert!(h.state_mut().summary_mut().range_shown().is_none());
    assert_eq!(offered_labels(&mut h), vec![DUPLICATED_STRINGS.to_owned()]);
    h.get_by_label("CachedApiResponse");
}

/// Leak candidates' "Objects allocated between" opens the target's Summary with that filter;
/// with three snapshots the final snapshot's Summary offers every range.
#[test]
fn leaks_view_points_to_the_summary_filter() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "final"]);
    show(&mut h, View::Leaks);
    h.get_by_label_contains("Leak candidates need a final snapshot too");
    h.get_by_label_contains(
        "Objects allocated between baseline.heapsnapshot.gz and final.heapsnapshot.gz",
    )
    .click();
    wait_idle(&mut h);
    assert_eq!(h.state().state().view, View::Summary);
    let rows = summary_rows(&mut h);
    let leak = rows
        .iter()
        .find(|r| r["name"] == "CachedApiResponse")
        .expect("allocated class");
    assert_eq!(leak["count"], 200);

    // Three snapshots: the final's Summary, restricted to baseline..target, holds the
    // objects of that window still alive: the leak candidates' classes and counts.
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "target", "final"]);
    let final_doc = doc_of(&h, Role::Final);
    h.state_mut().push_command(Command::SetActive(final_doc));
    wait_idle(&mut h);
    assert_eq!(
        offered_labels(&mut h),
        vec![
            "Objects allocated before baseline.heapsnapshot.gz".to_owned(),
            BETWEEN_CACHE.to_owned(),
            "Objects allocated between target.heapsnapshot.gz and final.heapsnapshot.gz".to_owned(),
            DUPLICATED_STRINGS.to_owned(),
        ]
    );
    pick_range(&mut h, BETWEEN_CACHE);
    wait_idle(&mut h);
    let rows = summary_rows(&mut h);
    for class in ["CachedApiResponse", "RouteStatsEntry"] {
        let row = rows.iter().find(|r| r["name"] == class).expect(class);
        assert_eq!(row["count"], 100, "{class}");
    }
}

#[test]
fn unrelated_snapshots_say_so() {
    // A Chrome page against a Node.js server: V8 numbers objects from 1 in every process, so
    // ids coincide, but the objects behind them differ.
    let mut h = harness();
    let chrome =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chrome/page.heapsnapshot.gz");
    drop_files(&mut h, &[chrome, fixture("cache", "final")]);
    wait_idle(&mut h);
    show(&mut h, View::Comparison);
    let related = h.state().compare().comparison.relatedness();
    assert!(related.unrelated(), "{related:?}");
    h.get_by_label(UNRELATED_IDS);
    assert!(!h.state().compare().comparison.rows().is_empty());

    // Two Node.js programs share their bootstrap heap (same ids, same objects).
    let mut h = harness();
    drop_files(
        &mut h,
        &[fixture("emitter", "final"), fixture("cache", "final")],
    );
    wait_idle(&mut h);
    show(&mut h, View::Comparison);
    // (41 252 common ids, 30 929 of them different objects.)
    let related = h.state().compare().comparison.relatedness();
    assert!(related.unrelated(), "{related:?}");
    h.get_by_label(UNRELATED_IDS);

    // The same program: related.
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "final"]);
    show(&mut h, View::Comparison);
    let related = h.state().compare().comparison.relatedness();
    assert!(!related.unrelated(), "{related:?}");
    assert!(h.query_by_label(UNRELATED_IDS).is_none());
}

#[test]
fn failed_load_of_one_side_leaves_the_other_usable() {
    let mut h = harness();
    let dir = std::env::temp_dir().join(format!("heapsight-cmp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let corrupt = dir.join("broken.heapsnapshot");
    std::fs::write(&corrupt, b"{\"snapshot\": {\"meta\": nope").expect("write");

    drop_files(&mut h, &[fixture("cache", "baseline"), corrupt.clone()]);
    wait_idle(&mut h);
    show(&mut h, View::Comparison);
    {
        let app = h.state();
        assert!(app.compare().roles.doc(Role::Baseline).is_some());
        assert!(app.compare().roles.doc(Role::Target).is_none());
        let failure = app
            .compare()
            .roles
            .failure(Role::Target)
            .expect("failure shown");
        assert!(failure.contains("broken.heapsnapshot"), "{failure}");
        assert_eq!(app.documents().all().len(), 1);
    }
    h.get_by_label_contains("Comparison needs a baseline and a target");
    // The baseline is still explorable in the Summary.
    show(&mut h, View::Summary);
    h.get_by_label("Constructor");
    h.get_by_label("(system)");
    // And a good file fills the failed slot.
    open_scenario(&mut h, "cache", &["final"]);
    show(&mut h, View::Comparison);
    let rows = h.state().compare().comparison.rows();
    assert!(
        rows.iter()
            .any(|(n, d)| n == "CachedApiResponse" && *d == 200)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dropping_on_a_slot_replaces_that_snapshot() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["baseline", "final"]);
    show(&mut h, View::Comparison);
    let baseline = doc_of(&h, Role::Baseline);
    // Drop `target` with the pointer over the Target box of the header.
    // The header's Target box (drawn before the snapshot list, which names roles too).
    h.get_all_by_label("Target")
        .next()
        .expect("the Target slot")
        .hover();
    h.step();
    open_scenario(&mut h, "cache", &["target"]);
    let app = h.state();
    let roles = &app.compare().roles;
    assert_eq!(roles.doc(Role::Baseline), Some(baseline));
    assert_eq!(
        roles.doc(Role::Final),
        None,
        "the drop did not fill a free slot"
    );
    let target = roles.doc(Role::Target).expect("target");
    let name = app
        .documents()
        .all()
        .iter()
        .find(|d| d.id == target)
        .expect("open")
        .source
        .display_name();
    assert_eq!(name, "target.heapsnapshot.gz");
    assert!(
        app.compare()
            .comparison
            .rows()
            .iter()
            .any(|(n, d)| n == "CachedApiResponse" && *d == 100),
        "baseline -> target: 100 new CachedApiResponse"
    );
}

#[test]
fn snapshots_opened_together_are_numbered_in_the_order_they_were_opened() {
    // Loads finish in any order (here the smaller baseline often last); the numbers, the
    // order of the snapshot list and the slots follow the order of the files.
    for _ in 0..3 {
        let mut h = harness();
        open_scenario(&mut h, "cache", &["final", "target", "baseline"]);
        let titles: Vec<(String, String)> = h
            .state()
            .documents()
            .all()
            .iter()
            .map(|d| (d.title.clone(), d.source.display_name()))
            .collect();
        assert_eq!(
            titles,
            [
                ("Snapshot 1".into(), "final.heapsnapshot.gz".into()),
                ("Snapshot 2".into(), "target.heapsnapshot.gz".into()),
                ("Snapshot 3".into(), "baseline.heapsnapshot.gz".into()),
            ]
        );
    }
}

/// DevTools' "Duplicated strings" needs no second snapshot: with one open, the filter box
/// offers it, and the rows equal what the DevTools worker computes (tests/fixtures/filters).
#[test]
fn summary_filter_duplicated_strings_matches_devtools() {
    let mut h = harness();
    open_scenario(&mut h, "cache", &["final"]);
    assert_eq!(offered_labels(&mut h), vec![DUPLICATED_STRINGS.to_owned()]);
    pick_range(&mut h, DUPLICATED_STRINGS);
    wait_idle(&mut h);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/filters/cache-final-duplicated-strings.json");
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
    assert_eq!(serde_json::Value::Array(summary_rows(&mut h)), want["rows"]);
    let objects: u64 = want["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["count"].as_u64().expect("count"))
        .sum();
    let shown = h
        .state_mut()
        .summary_mut()
        .range_shown()
        .expect("filtered")
        .object_count;
    assert_eq!(shown, objects);
    h.get_by_label_contains(" of ");
    // Back to all objects.
    pick_range(&mut h, ALL_OBJECTS);
    wait_idle(&mut h);
    assert!(h.state_mut().summary_mut().range_shown().is_none());
    h.get_by_label("CachedApiResponse");
}
