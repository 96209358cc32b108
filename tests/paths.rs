//! Retaining paths, "Ignore this retainer" and search on a real leak scenario.

use std::path::PathBuf;

use heapsight::snapshot::{
    self, NodeIdx, PathLimits, Progress, RetainerView, SearchQuery, SearchScope, Snapshot,
    retaining_paths,
};

fn load_final(scenario: &str) -> Snapshot {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/goldens")
        .join(scenario)
        .join("final.heapsnapshot.gz");
    snapshot::load_path(&path, &Progress::new()).expect("golden input loads")
}

fn first_instance(snap: &Snapshot, class: &str) -> NodeIdx {
    let c = snap
        .classes()
        .iter()
        .position(|c| c.name == class)
        .expect("class present");
    NodeIdx(snap.class_members(c)[0])
}

/// Every path of the forest ends at a root (distance <= 2) and is a real retainer chain.
fn check_forest(snap: &Snapshot, below: NodeIdx, edges: &[snapshot::RetainingEdge]) -> usize {
    let mut leaves = 0;
    for r in edges {
        assert_eq!(
            snap.edge_target(r.edge),
            below,
            "edge points at the node below"
        );
        assert_eq!(
            snap.edge_source(r.edge),
            r.node,
            "edge starts at the retainer"
        );
        if r.children.is_empty() {
            assert!(
                r.distance <= 2,
                "a path ends at a GC root, got distance {}",
                r.distance
            );
            leaves += 1;
        } else {
            leaves += check_forest(snap, r.node, &r.children);
        }
    }
    leaves
}

#[test]
fn retaining_paths_lead_from_a_leaked_object_to_the_roots() {
    let snap = load_final("cache");
    let leaked = first_instance(&snap, "CachedApiResponse");
    let view = RetainerView::new();
    let paths = retaining_paths(&snap, &view, leaked, PathLimits::default());
    assert!(!paths.paths.is_empty());
    assert!(check_forest(&snap, leaked, &paths.paths) > 0);
    // The shortest path goes through the Map that caches it.
    let first = &paths.paths[0];
    let mut chain = vec![snap.class_name(first.node).to_owned()];
    let mut cur = first;
    while let Some(next) = cur.children.first() {
        chain.push(snap.class_name(next.node).to_owned());
        cur = next;
    }
    assert!(chain.iter().any(|c| c == "Map"), "chain {chain:?}");
}

#[test]
fn ignoring_a_retainer_makes_paths_avoid_it() {
    let snap = load_final("cache");
    let leaked = first_instance(&snap, "CachedApiResponse");
    let plain = RetainerView::new();
    let (first_retainer, _) = snap
        .visible_retainers(leaked)
        .min_by_key(|&(from, e)| plain.retainer_distance(&snap, from, e))
        .expect("has a retainer");
    let view = RetainerView::with_ignored(&snap, [first_retainer]);
    assert!(view.is_active() && view.is_node_ignored(first_retainer));
    // The ignored node is no longer reachable in the view: it sorts last.
    assert!(view.distance(&snap, first_retainer) >= snapshot::BASE_UNREACHABLE_DISTANCE);
    let paths = retaining_paths(&snap, &view, leaked, PathLimits::default());
    fn uses(edges: &[snapshot::RetainingEdge], n: NodeIdx) -> bool {
        edges.iter().any(|r| r.node == n || uses(&r.children, n))
    }
    assert!(!uses(&paths.paths, first_retainer));
}

#[test]
fn search_finds_classes_names_strings_and_ids() {
    let snap = load_final("cache");
    let by_class = snapshot::search(
        &snap,
        &SearchQuery {
            text: "cachedapiresponse".into(),
            case_sensitive: false,
            scope: SearchScope::ClassName,
        },
    );
    assert_eq!(by_class.len(), 200);
    let none = snapshot::search(
        &snap,
        &SearchQuery {
            text: "cachedapiresponse".into(),
            case_sensitive: true,
            scope: SearchScope::ClassName,
        },
    );
    assert!(none.is_empty());
    let strings = snapshot::search(
        &snap,
        &SearchQuery {
            text: "x-request-id".into(),
            case_sensitive: true,
            scope: SearchScope::StringValue,
        },
    );
    assert!(!strings.is_empty());
    assert!(
        strings
            .iter()
            .all(|&n| snap.node_type_name(n).contains("string"))
    );
    let leaked = first_instance(&snap, "CachedApiResponse");
    let by_id = snapshot::search(
        &snap,
        &SearchQuery {
            text: format!("@{}", snap.node_id(leaked)),
            ..SearchQuery::default()
        },
    );
    assert_eq!(by_id, vec![leaked]);
}

#[test]
fn shortest_path_has_no_depth_bound_and_agrees_with_the_forest() {
    use crate::util::SnapshotBuilder;
    // global -> a0 -> a1 -> ... -> a59 -> leak, a weak shortcut global -> leak, and a
    // shortcut a2 -> detour -> a10: the path takes the shortcut and still has 54 hops,
    // beyond DevTools' depth 30. It ends at a0, at distance 2 (paths end at a root).
    let mut b = SnapshotBuilder::new();
    let global = b.global(3, 10);
    let mut prev = global;
    let mut chain = Vec::new();
    for i in 0..60 {
        let n = b.node("object", "Link", 100 + 2 * i, 16);
        b.prop(prev, "next", n);
        chain.push(n);
        prev = n;
    }
    let leak = b.node("object", "Leak", 999, 64);
    b.prop(prev, "held", leak);
    b.edge(global, "weak", "w", leak);
    let detour = b.node("object", "Detour", 777, 8);
    b.prop(chain[2], "d", detour);
    b.prop(detour, "late", chain[10]);
    let snap = b.load();
    let leak = crate::util::by_id(&snap, 999);
    let view = RetainerView::new();
    let path = snapshot::shortest_retaining_path(&snap, &view, leak);
    let ids: Vec<u32> = path.iter().map(|h| snap.node_id(h.node)).collect();
    let expected: Vec<u32> = (10..60)
        .rev()
        .map(|i| 100 + 2 * i)
        .chain([777, 104, 102, 100])
        .collect();
    assert_eq!(ids, expected, "nearest retainer first, to a root");
    assert_eq!(snap.distance(path[path.len() - 1].node), 2);
    for w in path.windows(2) {
        assert_eq!(
            snap.edge_target(w[1].edge),
            w[0].node,
            "each hop is a real edge"
        );
        assert_eq!(w[1].distance, w[0].distance - 1);
    }
    assert_eq!(snap.edge_target(path[0].edge), leak);
    // DevTools' bounded forest stops at depth 30 and finds no path at all.
    let forest = retaining_paths(&snap, &view, leak, PathLimits::default());
    assert!(forest.paths.is_empty() && forest.limits.depth);
    // A root has no path; on short chains the first forest path is the same path.
    let global = crate::util::by_id(&snap, 3);
    assert!(snapshot::shortest_retaining_path(&snap, &view, global).is_empty());
    let near = crate::util::by_id(&snap, 104);
    let forest = retaining_paths(&snap, &view, near, PathLimits::default());
    let mut first = vec![forest.paths[0].node];
    let mut cur = &forest.paths[0];
    while let Some(next) = cur.children.first() {
        first.push(next.node);
        cur = next;
    }
    let short: Vec<NodeIdx> = snapshot::shortest_retaining_path(&snap, &view, near)
        .iter()
        .map(|h| h.node)
        .collect();
    assert_eq!(short, first);
}
