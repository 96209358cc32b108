//! The analysis pipeline: parsed columns in, a ready [`Snapshot`] out.
//!
//! Phases, in order (each announced through [`Progress`], cancel checked between them):
//! validate → DOM state → { retainer offsets } beside { page-owned flags → essential edges }
//! → { dominator DFS beside retainer sources → dominator main loop } beside { shallow sizes
//! → distances → statistics sums } → { retained sizes beside retainer sources → retainer
//! edges, in place } beside { class names } → { dominated nodes } beside { class counts } →
//! { class retained sizes and row order } beside { id index }. The two sides of each step
//! run on the two cores; the dominator tree (~1.3 s for a 1 GB file) is the long pole, so
//! what does not need it is done beside it, except what would add a column to the peak
//! memory while the tree's temporaries are alive (class names, the class counts' per-node
//! class ids).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use super::aggregate::{self, ClassInputs, StatisticsInputs, TreeInputs};
use super::dict::ClassIndex;
use super::distance::{self, DistanceInputs};
use super::dom::{self, DomInputs};
use super::dominators::{self, EdgeView};
use super::error::{ErrorKind, Result};
use super::graph;
use super::id_index::IdIndex;
use super::names::{self, NameInputs, WeakMapEdges};
use super::narrow::Distances;
use super::parse::Parsed;
use super::progress::Progress;
use super::shallow::{self, ShallowInputs};
use super::strings::StringsOverlay;
use super::trace;
use super::{Snapshot, Timings};

fn check_cancel(progress: &Progress) -> Result<()> {
    if progress.is_cancelled() {
        Err(ErrorKind::Cancelled.into())
    } else {
        Ok(())
    }
}

/// Logs how long a scope took (for phases running in parallel, where [`Progress`] phases
/// would interleave).
struct PhaseTimer {
    name: &'static str,
    started: Instant,
}

impl PhaseTimer {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            started: Instant::now(),
        }
    }
}

impl Drop for PhaseTimer {
    fn drop(&mut self) {
        log::debug!(
            "  {}: {:.3} s{}",
            self.name,
            self.started.elapsed().as_secs_f64(),
            super::progress::memory_note()
        );
    }
}

/// What the second core computes while the dominator tree is built.
struct Analysed {
    distance: Distances,
    statistics: aggregate::StatisticsSums,
    class_names: ClassNames,
}

/// Class names (DevTools' `{a, b}` interface names included) and the strings they add.
struct ClassNames {
    class_index: ClassIndex,
    added_strings: super::strings::StringTable,
    interfaces: Vec<super::InterfaceDefinition>,
    interface_names: HashMap<String, u32>,
}

/// Runs every phase on a parsed snapshot.
pub(crate) fn analyze(
    parsed: Parsed,
    path: Option<PathBuf>,
    file_bytes: u64,
    parse_secs: f64,
    progress: &Progress,
) -> Result<Snapshot> {
    let started = Instant::now();
    let Parsed {
        meta,
        cols,
        mut strings,
        ..
    } = parsed;
    progress.set_phase("Checking the graph");
    graph::validate(&meta, &cols, strings.len())?;
    check_cancel(progress)?;

    let node_count = cols.node_id.len();
    let root = meta.root_ordinal;
    let super::parse::RawColumns {
        node_type,
        mut node_name,
        node_id,
        mut node_self_size,
        mut node_detachedness,
        first_edge,
        edge_kinds,
        edge_to,
        locations: raw_locations,
        trace_node_id,
        trace_function_infos,
        trace_tree,
        samples,
    } = cols;
    let trace = trace::build(&meta, &trace_function_infos, trace_tree, strings.len())?;
    drop(trace_function_infos);

    progress.set_phase("Propagating DOM state");
    dom::propagate(
        &DomInputs {
            meta: &meta,
            node_type: &node_type,
            first_edge: &first_edge,
            edge_to: &edge_to,
            edge_kinds: edge_kinds.view(),
        },
        &mut strings,
        &mut node_name,
        &mut node_detachedness,
    );
    check_cancel(progress)?;

    progress.set_phase("Building retainers and node flags");
    let edges = EdgeView {
        first_edge: &first_edge,
        edge_to: &edge_to,
        edge_kinds: edge_kinds.view(),
    };
    let ((first_retainer, locations), (weak_maps, essential)) = rayon::join(
        || {
            let _timer = PhaseTimer::new("retainer offsets and locations");
            let first_retainer = graph::retainer_offsets(node_count, &edge_to);
            // Built now so the raw array (16 bytes a location, 60 MB in the 1.1 GB file)
            // is gone before the dominator pass reaches the peak.
            let locations = aggregate::build_locations(&meta, &raw_locations, node_count);
            (first_retainer, locations)
        },
        || {
            let _timer = PhaseTimer::new("page-owned flags and essential edges");
            let weak_maps = WeakMapEdges::build(&strings);
            let page_owned = dominators::page_owned_flags(&edges, &meta.et, root, |n| {
                node_type[n as usize] == meta.nt.synthetic
                    && strings.get(node_name[n as usize]) == "(Document DOM trees)"
            });
            let essential = dominators::essential_edges(
                &edges,
                &meta.et,
                root,
                &node_id,
                &page_owned,
                &weak_maps,
            );
            (weak_maps, essential)
        },
    );
    drop(raw_locations);
    // Only "detached" is read after the analysis: without any (every Node.js snapshot),
    // the column is dropped (1 byte per node).
    if !node_detachedness.contains(&dom::DETACHED) {
        node_detachedness = Vec::new();
    }
    check_cancel(progress)?;

    progress.set_phase("Calculating dominators, distances and names");
    let distance_inputs = DistanceInputs {
        meta: &meta,
        strings: &strings,
        node_type: &node_type,
        node_name: &node_name,
        first_edge: &first_edge,
        edge_to: &edge_to,
        edge_kinds: edge_kinds.view(),
        weak_maps: &weak_maps,
    };
    let is_user_root = {
        let r = root as usize;
        (first_edge[r]..first_edge[r + 1])
            .any(|e| distance_inputs.is_user_root(edge_to[e as usize] as usize))
    };
    let cancelled = || progress.is_cancelled();
    // The dominators' DFS beside the retainers' source nodes with their edges' essential
    // bits (all the main loop reads; it renames them to DFS numbers in place, and once the
    // tree is done the same slots get the edge ordinals, `retainer_edge`, so the retainer
    // index never holds both); then the main loop, which has no other work to share, beside
    // the shallow sizes, distances and statistics.
    let timer = PhaseTimer::new("dominators (Lengauer-Tarjan)");
    let (searched, retainer_slots) = rayon::join(
        || dominators::search(&edges, &essential, root),
        || {
            let _timer = PhaseTimer::new("retainer sources");
            graph::retainer_sources(&first_edge, &edge_to, &first_retainer, |e| {
                essential.edges.get(e as usize)
            })
        },
    );
    check_cancel(progress)?;
    let (tree, rest) = rayon::join(
        || {
            dominators::finish(
                &edges,
                searched,
                &first_retainer,
                retainer_slots,
                root,
                &cancelled,
            )
        },
        || {
            let timer = PhaseTimer::new("shallow sizes");
            shallow::reattribute(
                &ShallowInputs {
                    meta: &meta,
                    strings: &strings,
                    node_type: &node_type,
                    node_name: &node_name,
                    first_edge: &first_edge,
                    edge_to: &edge_to,
                    edge_kinds: edge_kinds.view(),
                    has_user_roots: is_user_root,
                },
                &mut node_self_size,
            );
            drop(timer);
            let timer = PhaseTimer::new("distances");
            let distance = distance::distances(&distance_inputs, &HashSet::new());
            drop(timer);
            // The class counts wait for the tree's temporaries to be freed (their per-node
            // columns would add to the peak); the statistics need no memory per node.
            let timer = PhaseTimer::new("statistics");
            let statistics = aggregate::statistics(&StatisticsInputs {
                meta: &meta,
                strings: &strings,
                node_type: &node_type,
                node_name: &node_name,
                self_size: &node_self_size,
                first_edge: &first_edge,
                edge_to: &edge_to,
                edge_kinds: edge_kinds.view(),
                first_retainer: &first_retainer,
            });
            drop(timer);
            // The class names, coded as they are found (2 bytes a node), fit beside the
            // main loop's peak.
            let timer = PhaseTimer::new("class names and interfaces");
            let name_inputs = NameInputs {
                meta: &meta,
                node_type: &node_type,
                node_name: &node_name,
                first_edge: &first_edge,
                edge_kinds: edge_kinds.view(),
            };
            // Class names add strings: collect them in an overlay, merged below.
            let mut added = StringsOverlay::new(&strings);
            let mut class_index = names::class_indexes(&name_inputs, &mut added);
            let interfaces = names::infer_interfaces(&name_inputs, &added);
            let mut interface_names = HashMap::new();
            names::apply_interfaces(
                &name_inputs,
                &mut added,
                &interfaces,
                &mut interface_names,
                &mut class_index,
            );
            let class_index = class_index.finish();
            drop(timer);
            let class_names = ClassNames {
                class_index,
                added_strings: added.into_added(),
                interfaces,
                interface_names,
            };
            Analysed {
                distance,
                statistics,
                class_names,
            }
        },
    );
    let (tree, mut retainer_slots) = tree.ok_or(ErrorKind::Cancelled)?;
    drop(timer);
    let Analysed {
        distance,
        statistics,
        class_names,
    } = rest;
    drop(essential);
    check_cancel(progress)?;

    progress.set_phase("Calculating retained sizes");
    // In two steps, so the DFS order is freed before the dominated lists and the class
    // counts allocate.
    let super::dominators::DominatorTree {
        dominator,
        preorder,
        unreachable_count,
    } = tree;
    let (retained, ()) = rayon::join(
        || dominators::retained_sizes(&preorder, &dominator, &node_self_size),
        || {
            let _timer = PhaseTimer::new("retainer edges");
            graph::sources_to_edges(&first_edge, &edge_to, &first_retainer, &mut retainer_slots);
        },
    );
    drop(preorder);
    let ClassNames {
        class_index,
        added_strings,
        interfaces,
        interface_names,
    } = class_names;
    strings.append(&added_strings);
    let retainer_edge = retainer_slots;
    let (dominated, counts) = rayon::join(
        || dominators::Dominated::build(&dominator, root),
        || {
            let _timer = PhaseTimer::new("class counts");
            aggregate::count_classes(&ClassInputs {
                meta: &meta,
                strings: &strings,
                node_type: &node_type,
                self_size: &node_self_size,
                class_index: &class_index,
                distance: &distance,
                locations: &locations,
                include: None,
            })
        },
    );
    check_cancel(progress)?;

    progress.set_phase("Building class aggregates and statistics");
    // The id index is built here rather than beside the dominator tree: there it would add
    // to the peak memory (the tree's temporaries are freed by now).
    let (aggregates, by_id) = rayon::join(
        || {
            aggregate::finish_aggregates(
                counts,
                &strings,
                &TreeInputs {
                    root,
                    retained: &retained,
                    dominated: &dominated,
                },
            )
        },
        || IdIndex::build(&node_id),
    );
    let statistics = statistics.finish(retained.get(root as usize));

    progress.set_phase("Ready");
    let analyze_secs = started.elapsed().as_secs_f64();
    log::info!(
        "analyzed {node_count} nodes, {} edges in {analyze_secs:.2}s (parse {parse_secs:.2}s)",
        edge_to.len()
    );
    Ok(Snapshot {
        path,
        file_bytes,
        timings: Timings {
            parse_secs,
            analyze_secs,
        },
        meta,
        strings,
        node_type: node_type.into(),
        node_name: node_name.into(),
        node_id: node_id.into(),
        self_size: node_self_size,
        detachedness: node_detachedness.into(),
        first_edge: first_edge.into(),
        edge_kinds,
        edge_to: edge_to.into(),
        first_retainer: first_retainer.into(),
        retainer_edge: retainer_edge.into(),
        distance,
        dominator: dominator.into(),
        retained,
        dominated,
        class_index,
        aggregates,
        statistics,
        locations,
        interfaces,
        interface_names,
        weak_maps,
        by_id,
        unreachable_count,
        trace,
        trace_node_id: trace_node_id.into(),
        samples,
        allocation: std::sync::OnceLock::new(),
        script_names: std::sync::OnceLock::new(),
        cache_source: None,
        opened_from_index: false,
    })
}
