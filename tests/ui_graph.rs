//! egui_kittest tests of the retainer graph and "Ignore this retainer", driving the real app:
//! the cache scenario's final snapshot comes in as a dropped file, a leaking
//! `CachedApiResponse` is selected, the graph is opened from the View menu, and its nodes
//! are clicked one by one toward the module-scoped root.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use heapsight::app::command::{Command, PaneId};
use heapsight::app::panes::graph_layout::GraphLayout;
use heapsight::app::panes::{class_at_id, object_at_id};
use heapsight::app::{HeapsightApp, StartOptions};
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

fn cache_final() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/goldens/cache/final.heapsnapshot.gz")
}

fn harness() -> Harness<'static, HeapsightApp> {
    let app = HeapsightApp::with_options(StartOptions {
        demo: false,
        ..StartOptions::default()
    });
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut HeapsightApp| app.show(ui), app)
}

/// A few frames (menus open, clicks land); spinners keep egui repainting, so no `run()`.
fn settle(h: &mut Harness<'static, HeapsightApp>) {
    for _ in 0..4 {
        h.step();
    }
}

/// Steps frames until nothing runs in the background.
fn wait_idle(h: &mut Harness<'static, HeapsightApp>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    // Idle for a few frames in a row: a command applied at the end of a frame may start a
    // job only on the next one.
    let mut idle_frames = 0;
    loop {
        h.step();
        idle_frames = if h.state().is_busy() {
            0
        } else {
            idle_frames + 1
        };
        if idle_frames >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app stayed busy for 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..3 {
        h.step();
    }
}

/// Drops the cache scenario's final snapshot and selects its biggest `CachedApiResponse`.
fn open_and_select_leak(h: &mut Harness<'static, HeapsightApp>) -> (Arc<Snapshot>, NodeIdx) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(cache_final())));
    h.step();
    wait_idle(h);
    let snapshot = Arc::clone(
        &h.state()
            .documents()
            .active()
            .expect("the dropped snapshot is open")
            .snapshot,
    );
    let class = snapshot
        .classes()
        .iter()
        .position(|c| c.name == "CachedApiResponse")
        .expect("the leaking class is in the snapshot");
    let node = snapshot
        .class_members(class)
        .iter()
        .map(|&n| NodeIdx(n))
        .max_by_key(|&n| (snapshot.retained_size(n), std::cmp::Reverse(n.0)))
        .expect("instances");
    h.state_mut().push_command(Command::Select {
        node,
        origin: PaneId::Summary,
    });
    wait_idle(h);
    (snapshot, node)
}

/// Opens the Retainer graph perspective tab and waits for the layout.
fn open_graph(h: &mut Harness<'static, HeapsightApp>) -> GraphLayout {
    crate::util::click_view(h, "Retainer graph");
    wait_idle(h);
    graph_layout(h)
}

#[test]
fn graph_walks_the_cache_chain_to_the_module_root() {
    let mut h = harness();
    let (snapshot, leak) = open_and_select_leak(&mut h);
    let layout = open_graph(&mut h);
    assert_eq!(h.state().explore().graph.target(), Some(leak));
    let target = layout.target.expect("the target is drawn");
    assert_eq!(layout.nodes[target].node.node, leak);
    assert!(layout.crossings <= layout.initial_crossings);
    // The chain (10 layers, 3 000 points wide at zoom 1) is too long for one row of the
    // 1280-point window at a readable zoom: it is folded into bands.
    assert!(layout.bounds.width() > 2.0 * 1280.0);
    assert!(h.state().explore().graph.layers_per_band().is_some());

    // The shortest chain: CachedApiResponse <- (array) <- Map <- system / Context
    // (->responseCache) <- ... toward the module.
    let path = layout.shortest_path();
    assert!(path.len() >= 5, "a long chain: {path:?}");
    let names: Vec<&str> = path
        .iter()
        .map(|&i| snapshot.class_name(layout.nodes[i].node.node))
        .collect();
    let map = names
        .iter()
        .position(|n| *n == "Map")
        .expect("through a Map");
    let context = names
        .iter()
        .position(|n| *n == "system / Context")
        .expect("through a system / Context");
    assert!(map < context, "{names:?}");
    let edge = layout
        .edges
        .iter()
        .find(|e| e.from == path[context] && e.to == path[context - 1])
        .expect("the context's edge is drawn");
    assert_eq!(snapshot.edge_label(edge.edge.edge), "->responseCache");
    // Distances fall by one at each step toward the roots.
    for w in path.windows(2) {
        assert_eq!(
            layout.nodes[w[1]].node.distance,
            layout.nodes[w[0]].node.distance - 1
        );
    }

    // Click each node along the chain: it becomes the selection of every pane, while the
    // graph keeps showing the leak's retainers.
    for &i in &path[1..] {
        let node = layout.nodes[i].node.node;
        let label = object_at_id(&snapshot, node);
        // Closures are named by their function, as the Retainers pane names them.
        if snapshot.node_type_name(node) == "closure" {
            assert!(!label.starts_with("Function @"), "{label}");
        }
        h.get_by_label(&label).click();
        settle(&mut h);
        wait_idle(&mut h);
        assert_eq!(
            h.state().selection().node(),
            Some(node),
            "after clicking {label}"
        );
        assert_eq!(h.state().selection().origin(), Some(PaneId::RetainerGraph));
        assert_eq!(
            h.state().retainers().target(),
            Some(node),
            "Retainers follow"
        );
        assert_eq!(
            h.state().explore().graph.target(),
            Some(leak),
            "graph keeps its target"
        );
    }
    // The last node clicked sits at a root (distance 2 at most, as DevTools' paths end).
    let last = layout.nodes[*path.last().expect("path")].node;
    assert!(last.distance <= 2, "{last:?}");
}

#[test]
fn ignoring_the_map_cuts_the_chain_and_clear_restores_it() {
    let mut h = harness();
    let (snapshot, leak) = open_and_select_leak(&mut h);
    let layout = open_graph(&mut h);
    let map = layout
        .nodes
        .iter()
        .map(|n| n.node.node)
        .find(|&n| snapshot.class_name(n) == "Map")
        .expect("a Map in the graph");
    let label = class_at_id(&snapshot, map);

    // Right-click the Map: "Ignore this retainer".
    h.get_by_label(&label).click_secondary();
    settle(&mut h);
    h.get_by_label("Ignore this retainer").click();
    wait_idle(&mut h);
    let explore = h.state().explore();
    assert_eq!(explore.ignored.requested(), &[map]);
    assert!(explore.ignored.view().is_node_ignored(map));
    assert!(h.state().retainers().retainer_view().is_node_ignored(map));
    // The leak's only path went through the Map: nothing reaches a root any more.
    let cut = explore.graph.layout().expect("re-laid out");
    assert!(
        cut.index_of(map).is_none(),
        "the ignored Map is no longer on a path"
    );
    assert_eq!(explore.graph.target(), Some(leak));
    // The ignored set is shown above the Retainers pane and above the graph.
    assert_eq!(h.query_all_by_label("Ignored:").count(), 2);

    // Clear: the chain comes back.
    h.query_all_by_label("Clear")
        .next()
        .expect("a Clear button")
        .click();
    wait_idle(&mut h);
    let explore = h.state().explore();
    assert!(explore.ignored.requested().is_empty());
    assert!(!explore.ignored.view().is_active());
    let back = explore.graph.layout().expect("re-laid out");
    assert!(back.index_of(map).is_some());
}

#[test]
fn search_finds_by_class_and_jumps_to_an_id() {
    let mut h = harness();
    let (snapshot, leak) = open_and_select_leak(&mut h);
    h.state_mut().push_command(Command::OpenSearch);
    settle(&mut h);
    h.get_by_label("Find").type_text("CachedApiResponse");
    wait_idle(&mut h);
    let found = h.state().explore().search.results().len();
    assert!(found >= 100, "all the leaked responses: {found}");
    h.get_by_label(&format!("{} results", found));

    // Views switch without losing the selection.
    for view in ["Containment", "Dominators", "Statistics"] {
        crate::util::click_view(&h, view);
        wait_idle(&mut h);
        assert_eq!(h.state().selection().node(), Some(leak));
    }
    h.get_by_label("Other JS objects");
    assert!(snapshot.statistics().total > 0);
}

/// View → Duplicated strings: DevTools' groups (the golden from its worker), a string
/// selected elsewhere opens its group, and clicking an object selects it for Retainers.
#[test]
fn duplicated_strings_view_groups_like_devtools_and_selects() {
    let mut h = harness();
    let (snapshot, _) = open_and_select_leak(&mut h);
    // The perspective tab (as in the View menu).
    crate::util::click_view(&h, "Duplicated strings");
    wait_idle(&mut h);
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/filters/cache-final-string-groups.json"),
        )
        .expect("golden"),
    )
    .expect("json");
    let want = golden.as_array().expect("groups");
    h.get_by_label_contains("string objects repeat 236 texts");
    // The first row is DevTools' first group (biggest total retained size).
    let first = want[0]["value"].as_str().expect("value");
    h.get_by_label(&format!("\"{first}\""));

    // A payload string selected elsewhere (as from Retainers): its group opens on it.
    let payload = want
        .iter()
        .find(|g| g["value"].as_str().is_some_and(|v| v.contains("\"note\"")))
        .expect("the cached payload strings are duplicated");
    assert_eq!(payload["count"], 100);
    let id = payload["nodes"][0]["id"].as_u64().expect("id") as u32;
    let node = snapshot.find_by_id(id).expect("node");
    h.state_mut().push_command(Command::Select {
        node,
        origin: PaneId::Retainers,
    });
    wait_idle(&mut h);
    let label = format!("@{id}");
    h.get_by_label(&label);

    // Clicking another object of the group selects it everywhere.
    let other = payload["nodes"][1]["id"].as_u64().expect("id") as u32;
    h.get_by_label(&format!("@{other}")).click();
    wait_idle(&mut h);
    assert_eq!(
        h.state().selection().node(),
        snapshot.find_by_id(other),
        "the click selects the string"
    );
}

/// The Express app's final snapshot (a listener leak), opened on the graph of object `id`.
fn express_graph(id: &str) -> (Harness<'static, HeapsightApp>, Arc<Snapshot>) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/doctor/express-leaks/final.heapsnapshot.gz");
    let mut options = StartOptions::for_files(vec![file]);
    options.view = Some("graph".into());
    options.select = Some(id.into());
    let mut h = crate::util::app_harness(options, 800.0);
    wait_idle(&mut h);
    let snapshot = Arc::clone(&h.state().documents().active().expect("open").snapshot);
    (h, snapshot)
}

fn graph_layout(h: &Harness<'static, HeapsightApp>) -> GraphLayout {
    h.state()
        .explore()
        .graph
        .layout()
        .expect("the graph is laid out")
        .clone()
}

/// The objects of the drawn path from the target to its root, target first, and the hops
/// each edge stands for.
fn drawn_path(layout: &GraphLayout) -> (Vec<NodeIdx>, u32) {
    let path = layout.shortest_path();
    let hops = path
        .windows(2)
        .map(|w| {
            layout
                .edges
                .iter()
                .find(|e| e.from == w[1] && e.to == w[0])
                .expect("consecutive path objects are linked")
                .edge
                .hops
        })
        .sum();
    (
        path.iter().map(|&i| layout.nodes[i].node.node).collect(),
        hops,
    )
}

#[test]
fn a_115_hop_chain_draws_whole_to_its_root_folded_then_unfolded() {
    // @97675 is a `system / Map` at distance 115: 100+ back pointers of map transitions.
    let (mut h, snapshot) = express_graph("@97675");
    let target = snapshot.find_by_id(97675).expect("the deep object");
    assert_eq!(snapshot.distance(target), 115);
    let layout = graph_layout(&h);
    let (path, hops) = drawn_path(&layout);
    assert_eq!(path[0], target);
    // Drawn to a root, and the hops of the folded path add up to the real distance.
    let root = *path.last().expect("path");
    assert!(snapshot.distance(root) <= 2, "ends at a root");
    assert_eq!(i64::from(hops), i64::from(115 - snapshot.distance(root)));
    assert!(
        layout.folded > 90,
        "the chain's middle is folded: {}",
        layout.folded
    );
    assert!(layout.nodes.len() < 20, "{} boxes", layout.nodes.len());
    h.get_by_label_contains("Unfold").click();
    wait_idle(&mut h);
    let whole = graph_layout(&h);
    let (path, hops) = drawn_path(&whole);
    assert_eq!(whole.folded, 0);
    assert_eq!(hops as usize, path.len() - 1, "one box per object");
    assert_eq!(path.len() as i32, 115 - snapshot.distance(root) + 1);
    // Same path as the core's shortest retaining path, which the Retainers pane expands.
    let core = heapsight::snapshot::shortest_retaining_path(
        &snapshot,
        &heapsight::snapshot::RetainerView::new(),
        target,
    );
    let core: Vec<NodeIdx> = std::iter::once(target)
        .chain(core.iter().map(|h| h.node))
        .collect();
    assert_eq!(path, core);
}

#[test]
fn leaked_response_graph_names_closures_collapses_plumbing_and_walks_with_arrows() {
    // A leaked ServerResponse: res captured by an `onConfig` listener closure on `bus`.
    let (mut h, snapshot) = express_graph("@179857");
    let layout = graph_layout(&h);
    let (path, _) = drawn_path(&layout);
    let labels: Vec<String> = path.iter().map(|&n| object_at_id(&snapshot, n)).collect();
    assert!(
        labels.iter().any(|l| l.starts_with("onConfig @")),
        "the listener closure by its function name: {labels:?}"
    );
    assert!(
        labels.iter().all(|l| !l.starts_with("Function @")),
        "{labels:?}"
    );
    assert!(snapshot.distance(*path.last().expect("path")) <= 2);
    // The closure's box is drawn under that name.
    let closure = labels
        .iter()
        .find(|l| l.starts_with("onConfig @"))
        .expect("closure");
    h.get_by_label(closure);

    // Collapse V8 plumbing: no context, element store or table box; onConfig --->res-->
    // ServerResponse spans 2 hops (through the closure's system / Context).
    h.get_by_label("Collapse V8 plumbing").click();
    wait_idle(&mut h);
    let collapsed = graph_layout(&h);
    assert!(collapsed.collapsed > 0);
    assert!(
        collapsed
            .nodes
            .iter()
            .all(|n| !snapshot.is_v8_plumbing(n.node.node)
                || Some(n.node.node) == path.first().copied()),
        "no plumbing left"
    );
    let (short, hops) = drawn_path(&collapsed);
    assert!(short.len() < path.len());
    assert_eq!(hops as usize, path.len() - 1, "hop counts add up");
    let target = collapsed.target.expect("target");
    let into_target = collapsed
        .edges
        .iter()
        .find(|e| {
            e.to == target
                && object_at_id(&snapshot, collapsed.nodes[e.from].node.node)
                    .starts_with("onConfig @")
        })
        .expect("onConfig retains the response directly once the context is hidden");
    assert_eq!(snapshot.edge_label(into_target.edge.edge), "->res");
    assert_eq!(into_target.edge.hops, 2);
    h.get_by_label("Collapse V8 plumbing").click();
    wait_idle(&mut h);

    // ← walks toward the roots along the path, → comes back.
    h.state_mut()
        .push_command(Command::FocusPane(PaneId::RetainerGraph));
    settle(&mut h);
    let key = |h: &mut Harness<'static, HeapsightApp>, key| {
        h.key_press(key);
        settle(h);
        wait_idle(h);
        h.state().selection().node()
    };
    assert_eq!(key(&mut h, egui::Key::ArrowLeft), Some(path[1]));
    assert_eq!(key(&mut h, egui::Key::ArrowLeft), Some(path[2]));
    assert_eq!(key(&mut h, egui::Key::ArrowRight), Some(path[1]));
    assert_eq!(
        h.state().explore().graph.target(),
        Some(path[0]),
        "graph keeps its target"
    );
    assert_eq!(
        h.state().retainers().target(),
        Some(path[1]),
        "Retainers follow"
    );
}
