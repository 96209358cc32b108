//! egui_kittest tests of the Allocation view (issue 11) on a snapshot written with
//! `node --track-heap-objects`: the functions that allocated are listed with their script
//! locations; clicking one filters the Summary to its live objects (as many as its Live Count);
//! a caller row filters by that stack; the selected object's allocation stack is shown beside
//! the Retainers; an untracked snapshot says how to get allocation data.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapsight::app::command::{Command, View};
use heapsight::app::panes::summary_range::RangeKey;
use heapsight::app::{HeapsightApp, StartOptions};

use crate::util;

fn open(rel: &str) -> Harness<'static, HeapsightApp> {
    let mut h = open_files(vec![util::fixture(rel)]);
    h.state_mut()
        .push_command(Command::SetView(View::Allocation));
    util::wait_app_idle(&mut h);
    h
}

/// Clicks the top-level row of `function` and waits for the Summary filter.
fn choose(h: &mut Harness<'static, HeapsightApp>, function: &str) -> (u64, u64) {
    let (path, live) = {
        let tree = h
            .state_mut()
            .explore_mut()
            .allocation
            .tree_mut()
            .expect("the allocation table");
        let model = std::sync::Arc::clone(tree.model());
        let item = model
            .top_level_item(function)
            .expect("an allocating function");
        let row = model.row(item).expect("row");
        (row.path, row.live_count)
    };
    // The function's row is in the table on top (the Summary below may list a class of the
    // same name).
    let label = h
        .query_all_by_label(function)
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .expect("row on screen");
    label.click();
    util::wait_app_idle(h);
    let range = h
        .state()
        .summary()
        .range_shown()
        .expect("the Summary is filtered")
        .clone();
    assert!(matches!(range.key, RangeKey::AllocatedBy(_)));
    // The objects the Summary counts are those the core says the row allocated (the Live
    // Count also counts internal objects, e.g. the elements store of an Array, which the
    // Summary, as DevTools', does not list).
    let snapshot = std::sync::Arc::clone(&h.state().documents().active().expect("doc").snapshot);
    let expected: u64 = snapshot
        .aggregates_allocated_by(&path)
        .classes()
        .iter()
        .map(|c| u64::from(c.count))
        .sum();
    assert_eq!(range.object_count, expected);
    assert!(expected <= live);
    (range.object_count, live)
}

#[test]
fn a_function_filters_the_summary_to_its_live_objects() {
    for rel in [
        "allocation/node20/leak.heapsnapshot.gz",
        "allocation/node26/leak.heapsnapshot.gz",
    ] {
        let mut h = open(rel);
        // Functions with their script locations, as DevTools lists them.
        assert!(
            h.query_all_by_label_contains("leak.js:").count() >= 3,
            "{rel}: script:line:col beside the functions"
        );
        let (shown, live) = choose(&mut h, "SessionPayload");
        assert!(
            shown > 0 && live > 0,
            "{rel}: the Summary shows the row's live objects"
        );
        // The filter box names the row.
        let label = h
            .state()
            .summary()
            .ranges()
            .chosen_option()
            .map(|o| o.label.clone())
            .unwrap_or_default();
        assert!(
            label.starts_with("Objects allocated by SessionPayload (")
                && label.contains("leak.js:"),
            "{label}"
        );
        // Another function replaces the filter.
        let (shown, _) = choose(&mut h, "UserSession");
        assert!(shown > 0, "{rel}");
        // All objects again: the filter box is reset and the row no longer chosen.
        h.state_mut().push_command(Command::SetSummaryRange(None));
        util::wait_app_idle(&mut h);
        assert!(h.state().summary().range_shown().is_none());
    }
}

#[test]
fn callers_expand_and_the_stack_of_an_object_is_shown() {
    let mut h = open("allocation/node20/leak.heapsnapshot.gz");
    // Expand SessionPayload: its caller (UserSession, then rememberSession …) appears.
    {
        let tree = h
            .state_mut()
            .explore_mut()
            .allocation
            .tree_mut()
            .expect("table");
        let model = std::sync::Arc::clone(tree.model());
        let item = model.top_level_item("SessionPayload").expect("row");
        let index = tree
            .top_level()
            .iter()
            .position(|&i| i == item)
            .expect("top level");
        let key = tree.child_key(None, index as u32).expect("key");
        tree.expand(key);
    }
    util::wait_app_idle(&mut h);
    assert!(h.query_all_by_label_contains("UserSession").count() >= 2);

    // Select a live SessionPayload: its allocation stack is shown, innermost frame first.
    let snapshot = std::sync::Arc::clone(&h.state().documents().active().expect("doc").snapshot);
    let node = (0..snapshot.node_count() as u32)
        .map(heapsight::snapshot::NodeIdx)
        .find(|&n| {
            snapshot.class_name(n) == "SessionPayload" && snapshot.allocation_stack(n).is_some()
        })
        .expect("a SessionPayload with a stack");
    let frames = snapshot.allocation_stack(node).expect("stack");
    assert!(frames.len() >= 3);
    h.state_mut()
        .push_command(Command::SelectId(snapshot.node_id(node)));
    util::wait_app_idle(&mut h);
    assert_eq!(h.query_all_by_label("Where it was created").count(), 1);
    assert!(
        h.query_by_label("Created at").is_some(),
        "the source location"
    );
    for f in frames.iter().take(3) {
        assert!(
            h.query_all_by_label(f.display_name()).count() >= 1,
            "frame {} shown",
            f.display_name()
        );
    }
    assert!(h.query_by_label("Copy stack").is_some());
}

#[test]
fn an_untracked_snapshot_says_how_to_record_allocations() {
    let h = open("goldens/cache/final.heapsnapshot.gz");
    assert!(
        h.query_by_label_contains("This snapshot has no allocation data")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("No allocation stacks in this snapshot")
            .is_none(),
        "nothing selected yet"
    );
}

fn open_files(files: Vec<std::path::PathBuf>) -> Harness<'static, HeapsightApp> {
    util::app_harness(StartOptions::for_files(files), 900.0)
}

#[test]
fn a_heap_profile_opens_as_a_flame_chart_and_a_bottom_up_table() {
    let mut h = open_files(vec![util::fixture("allocation/node20/leak.heapprofile.gz")]);
    assert_eq!(h.state().state().view, View::Profile);
    assert!(h.state().errors().is_empty(), "{:?}", h.state().errors());
    let pane = h.state().profiles().active().expect("the profile is shown");
    let profile = std::sync::Arc::clone(pane.profile());
    // The figures of profile.json (checked by check-heapprofile.py against the raw file).
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(util::fixture("allocation/node20/profile.json")).expect("profile.json"),
    )
    .expect("json");
    assert_eq!(
        profile.total_size_bytes(),
        expected["totalSize"].as_u64().expect("total")
    );
    // The bottom-up table: biggest self size first, with script:line:col.
    let first = &profile.functions[pane.row_order()[0] as usize];
    assert_eq!(first.frame.display_name(), "SessionPayload");
    assert!(
        h.query_by_label_contains(&format!("leak.js:{}:", first.frame.line()))
            .is_some()
    );
    // The flame chart: a click on a frame zooms into it, a click on it again zooms out.
    let handle = (0..profile.node_count() as u32)
        .find(|&n| profile.frames[n as usize].function_name == "handleRequest")
        .expect("handleRequest frame");
    h.state_mut()
        .profiles_mut()
        .active_mut()
        .expect("pane")
        .zoom_to(handle);
    h.run();
    assert_eq!(
        h.state().profiles().active().expect("pane").zoomed(),
        handle
    );
    // The breadcrumb names the frame's ancestors.
    assert!(h.query_by_label("executeUserEntryPoint").is_some());
}

#[test]
fn a_bad_heap_profile_shows_its_error_and_the_snapshot_stays() {
    let dir = util::scratch_dir("bad-heapprofile");
    let bad = dir.join("broken.heapprofile");
    std::fs::write(&bad, b"{\"head\": {\"callFrame\": ").expect("write");
    let mut files = vec![util::fixture("allocation/node20/leak.heapsnapshot.gz")];
    files.push(bad);
    let h = open_files(files);
    let errors = h.state().errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].title.contains("broken.heapprofile"), "{errors:?}");
    assert!(
        errors[0].message.contains("broken.heapprofile"),
        "{errors:?}"
    );
    assert_eq!(h.state().documents().all().len(), 1, "the snapshot is open");
    assert!(h.state().profiles().all().is_empty());
}
