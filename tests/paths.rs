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
