//! egui_kittest tests of the tiled workspace: the default layout (views, retainer graph and
//! Retainers on screen together), rearranging tiles by dragging, the layout persisting and
//! View → Reset layout, and A/B tiles bound to two snapshots with linked selection.

use egui_kittest::kittest::Queryable as _;
use heapsight::app::command::{Command, View};
use heapsight::app::pane_kind::PaneKind;
use heapsight::app::selection::Linked;
use heapsight::app::state::AppState;
use heapsight::app::workspace::Tile;
use heapsight::app::{HeapsightApp, StartOptions};
use heapsight::snapshot::{NodeIdx, Snapshot};

type Harness = egui_kittest::Harness<'static, HeapsightApp>;

fn demo() -> Harness {
    crate::util::app_harness(StartOptions::for_files(Vec::new()), 900.0)
}

fn settle(h: &mut Harness) {
    for _ in 0..4 {
        h.step();
    }
    crate::util::wait_app_idle(h);
}

/// For each tile kind, the kinds sharing its parent container: the layout's shape, which
/// survives a restart (tile ids may not).
fn shape(tree: &egui_tiles::Tree<Tile>) -> Vec<(PaneKind, Vec<PaneKind>)> {
    let mut out = Vec::new();
    for (id, tile) in tree.tiles.iter() {
        let egui_tiles::Tile::Pane(pane) = tile else {
            continue;
        };
        let siblings = tree
            .tiles
            .parent_of(*id)
            .and_then(|p| tree.tiles.get_container(p))
            .map(|c| {
                c.children()
                    .filter_map(|c| tree.tiles.get_pane(c).map(|t| t.kind))
                    .collect()
            })
            .unwrap_or_default();
        out.push((pane.kind, siblings));
    }
    out.sort_by_key(|(k, _)| format!("{k:?}"));
    out
}

fn parent_of_kind(tree: &egui_tiles::Tree<Tile>, kind: PaneKind) -> egui_tiles::TileId {
    let (id, _) = tree
        .tiles
        .iter()
        .find(|(_, t)| matches!(t, egui_tiles::Tile::Pane(p) if p.kind == kind))
        .expect("a tile of that kind");
    tree.tiles.parent_of(*id).expect("in a container")
}

#[test]
fn the_default_layout_shows_the_class_list_the_graph_and_the_retainers_together() {
    let mut h = demo();
    h.state_mut().push_command(Command::SetView(View::Summary));
    settle(&mut h);
    let ws = h.state().workspace();
    for kind in [
        PaneKind::View(View::Summary),
        PaneKind::View(View::RetainerGraph),
        PaneKind::Retainers,
        PaneKind::WhereCreated,
    ] {
        assert!(ws.is_visible(kind), "{kind:?} on screen");
    }
    // The Summary's table and the graph's header are both drawn.
    h.get_by_label("Constructor");
    assert!(
        h.state().selection().node().is_some()
            || h.query_by_label("Select an object to draw what keeps it alive")
                .is_some()
    );

    // A view of the main group comes to the front; the graph and Retainers stay.
    h.state_mut()
        .push_command(Command::SetView(View::Dominators));
    settle(&mut h);
    let ws = h.state().workspace();
    assert!(ws.is_visible(PaneKind::View(View::Dominators)));
    assert!(
        !ws.is_visible(PaneKind::View(View::Summary)),
        "same tab group"
    );
    assert!(
        ws.is_visible(PaneKind::View(View::RetainerGraph)) && ws.is_visible(PaneKind::Retainers)
    );

    // With snapshots open, Live is a tile too (added to the main group when asked for).
    assert!(
        h.state()
            .workspace()
            .tiles_of(PaneKind::View(View::Live))
            .is_empty()
    );
    h.state_mut().push_command(Command::SetView(View::Live));
    settle(&mut h);
    let ws = h.state().workspace();
    assert!(
        ws.is_visible(PaneKind::View(View::Live))
            && ws.is_visible(PaneKind::View(View::RetainerGraph))
    );
    assert!(h.query_all_by_label_contains("Attach").count() >= 1);
}

#[test]
fn tiles_rearrange_by_dragging_persist_and_reset() {
    let mut h = demo();
    settle(&mut h);
    let default_shape = shape(h.state().workspace().tree());

    // Drag the Retainer graph's tab onto the Retainers' tab bar: it becomes a tab there.
    let graph_tab = h
        .get_all_by_label(View::RetainerGraph.label())
        .last()
        .expect("the graph tile's tab")
        .rect();
    let retainers_tab = h.get_by_label("Retainers").rect();
    h.drag_at(graph_tab.center());
    for i in 1..=12 {
        let t = i as f32 / 12.0;
        h.hover_at(
            graph_tab
                .center()
                .lerp(retainers_tab.right_center() + egui::vec2(60.0, 0.0), t),
        );
        h.step();
    }
    h.drop_at(retainers_tab.right_center() + egui::vec2(60.0, 0.0));
    settle(&mut h);
    let tree = h.state().workspace().tree().clone();
    assert_eq!(
        parent_of_kind(&tree, PaneKind::View(View::RetainerGraph)),
        parent_of_kind(&tree, PaneKind::Retainers),
        "the graph was dropped among the Retainers' tabs"
    );
    let moved_shape = shape(&tree);
    assert_ne!(moved_shape, default_shape);

    // Persisted: a new window restores the arrangement.
    let saved: AppState =
        serde_json::from_str(&serde_json::to_string(&h.state().state_to_save()).expect("json"))
            .expect("the saved state reads back");
    let restored =
        crate::util::app_harness_with_state(saved, StartOptions::for_files(Vec::new()), 900.0);
    assert_eq!(shape(restored.state().workspace().tree()), moved_shape);

    // A layout this version cannot read costs the layout only, not the rest of the state.
    let mut garbled = h.state().state_to_save();
    garbled.layout = Some("{\"root\": 7, \"tiles\": \"from another version\"}".to_owned());
    let recent = garbled.recent_files.clone();
    let fallback =
        crate::util::app_harness_with_state(garbled, StartOptions::for_files(Vec::new()), 900.0);
    assert_eq!(shape(fallback.state().workspace().tree()), default_shape);
    assert_eq!(fallback.state().state().recent_files, recent);

    // View → Reset layout.
    let mut restored = restored;
    restored.state_mut().push_command(Command::ResetLayout);
    settle(&mut restored);
    assert_eq!(shape(restored.state().workspace().tree()), default_shape);

    // A closed tile comes back when its view is asked for.
    let graph = restored
        .state()
        .workspace()
        .tiles_of(PaneKind::View(View::RetainerGraph))[0]
        .0;
    restored
        .state_mut()
        .workspace_mut()
        .tree_mut()
        .remove_recursively(graph);
    settle(&mut restored);
    assert!(
        restored
            .state()
            .workspace()
            .tiles_of(PaneKind::View(View::RetainerGraph))
            .is_empty()
    );
    restored
        .state_mut()
        .push_command(Command::SetView(View::RetainerGraph));
    settle(&mut restored);
    assert!(
        restored
            .state()
            .workspace()
            .is_visible(PaneKind::View(View::RetainerGraph))
    );
}

/// A node of `a` (not a root or a V8 internal) whose id `b` has (`in_b`) or lacks.
fn object_of(a: &Snapshot, b: &Snapshot, in_b: bool, class: Option<&str>) -> NodeIdx {
    (0..a.node_count() as u32)
        .map(NodeIdx)
        .find(|&n| {
            let name = a.class_name(n);
            class.is_none_or(|c| c == name)
                && !name.starts_with('(')
                && !name.starts_with("system")
                && a.distance(n) > 0
                && b.find_by_id(a.node_id(n)).is_some() == in_b
        })
        .expect("such an object in the demo")
}

#[test]
fn a_b_tiles_link_selection_by_id_and_say_what_was_freed_or_is_new() {
    let mut h = demo();
    settle(&mut h);
    h.state_mut().push_command(Command::SplitAb);
    settle(&mut h);
    let docs: Vec<_> = h
        .state()
        .documents()
        .all()
        .iter()
        .map(|d| (d.id, d.title.clone(), std::sync::Arc::clone(&d.snapshot)))
        .collect();
    let (a_doc, a_title, a) = docs[0].clone();
    let (b_doc, b_title, b) = docs[1].clone();
    assert_eq!(a_title, "Snapshot 1");
    let summaries: Vec<_> = h
        .state()
        .workspace()
        .tiles_of(PaneKind::View(View::Summary))
        .into_iter()
        .filter_map(|(id, bound)| bound.map(|d| (id, d)))
        .collect();
    assert_eq!(
        summaries.iter().map(|(_, d)| *d).collect::<Vec<_>>(),
        vec![a_doc, b_doc],
        "one Summary tile per snapshot, baseline first"
    );
    let (a_tile, b_tile) = (summaries[0].0, summaries[1].0);
    // Both on screen, titled by their snapshot.
    assert!(
        h.state()
            .workspace()
            .is_visible(PaneKind::View(View::Summary))
    );
    h.get_by_label(&format!("Summary \u{00B7} {a_title}"));
    h.get_by_label(&format!("Summary \u{00B7} {b_title}"));

    let bound_node = |h: &Harness, tile| {
        h.state()
            .workspace()
            .bound_pane(tile)
            .expect("bound")
            .selection()
            .node()
    };
    let absent = |h: &Harness, tile| {
        h.state()
            .workspace()
            .bound_pane(tile)
            .expect("bound")
            .absent()
            .map(str::to_owned)
    };

    // An object in both: selected in A, B selects the object with the same id.
    let common = object_of(&a, &b, true, None);
    let id = a.node_id(common);
    h.state_mut().push_command(Command::SelectIn {
        doc: a_doc,
        node: common,
    });
    settle(&mut h);
    assert_eq!(bound_node(&h, a_tile), Some(common));
    assert_eq!(bound_node(&h, b_tile).map(|n| b.node_id(n)), Some(id));
    assert_eq!(absent(&h, b_tile), None);
    // The panes of the active snapshot (the target) follow too.
    assert_eq!(h.state().selection().node().map(|n| b.node_id(n)), Some(id));

    // Freed: in A, not in B (taken later).
    let freed = object_of(&a, &b, false, None);
    h.state_mut().push_command(Command::SelectIn {
        doc: a_doc,
        node: freed,
    });
    settle(&mut h);
    let message = absent(&h, b_tile).expect("B says the object is not there");
    assert!(
        message.contains(&format!("@{}", a.node_id(freed))) && message.contains("freed"),
        "{message}"
    );
    // Said in the B tile, and above the tiles of the active snapshot (B).
    assert!(h.query_all_by_label(&message).count() >= 2);
    assert_eq!(h.state().link_absent(), Some(message.as_str()));

    // New: in B, not in A (allocated after A was taken).
    let new = object_of(&b, &a, false, Some("CachedApiResponse"));
    h.state_mut().push_command(Command::SelectIn {
        doc: b_doc,
        node: new,
    });
    settle(&mut h);
    let message = absent(&h, a_tile).expect("A says the object is not there");
    assert!(message.contains("new"), "{message}");
    assert_eq!(absent(&h, b_tile), None);

    // Classes link by name; a class A does not have is said so.
    h.state_mut().push_command(Command::LinkClass {
        doc: b_doc,
        class: "CachedApiResponse".to_owned(),
    });
    settle(&mut h);
    assert!(matches!(&h.state().link().what, Some(Linked::Class(c)) if c == "CachedApiResponse"));
    let has_class = a.classes().iter().any(|c| c.name == "CachedApiResponse");
    assert_eq!(
        absent(&h, a_tile).is_some_and(|m| m.contains("has no CachedApiResponse objects")),
        !has_class
    );

    // Closing B's snapshot: its tiles show the active snapshot again.
    h.state_mut().push_command(Command::CloseSnapshot(b_doc));
    settle(&mut h);
    assert!(h.state().workspace().bound_pane(b_tile).is_none());
}

#[test]
fn a_tile_is_bound_to_a_snapshot_from_its_tab_bar_and_back() {
    let mut h = demo();
    h.state_mut().push_command(Command::SetView(View::Findings));
    settle(&mut h);
    let first = h.state().documents().all()[0].id;
    // The Retainers tile's snapshot box (Findings, in front of the main group, has none).
    h.get_by_label(heapsight::app::workspace::TILE_SNAPSHOT_LABEL)
        .click();
    settle(&mut h);
    h.get_all_by_label("Snapshot 1")
        .last()
        .expect("the box's entry")
        .click();
    settle(&mut h);
    let retainers = h.state().workspace().tiles_of(PaneKind::Retainers);
    assert_eq!(retainers.len(), 1);
    let (tile, bound) = retainers[0];
    assert_eq!(bound, Some(first));
    assert!(h.state().workspace().bound_pane(tile).is_some());
    h.get_by_label("Retainers \u{00B7} Snapshot 1");

    // Back to the active snapshot.
    h.get_by_label(heapsight::app::workspace::TILE_SNAPSHOT_LABEL)
        .click();
    settle(&mut h);
    h.get_all_by_label(heapsight::app::workspace::ACTIVE_SNAPSHOT)
        .last()
        .expect("the box's entry")
        .click();
    settle(&mut h);
    assert_eq!(
        h.state().workspace().tiles_of(PaneKind::Retainers)[0].1,
        None
    );
}
