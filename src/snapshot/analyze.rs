//! The analysis pipeline: parsed columns in, a ready [`Snapshot`] out.
//!
//! Phases, in order (each announced through [`Progress`], cancel checked between them):
//! validate → DOM state → { retainers } beside { page-owned flags → essential edges } →
//! { dominators } beside { shallow sizes → distances → class names → class counts and
//! statistics sums } → { retained sizes } beside { dominated nodes } → { class retained
//! sizes and row order } beside { id index }. The two sides of each step run on the two cores; the
//! dominator tree (one core, ~2 s for a 1 GB file) is the long pole, so everything that
//! does not need it is done beside it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use rayon::slice::ParallelSliceMut as _;

use super::aggregate::{self, ClassInputs, StatisticsInputs, TreeInputs};
use super::distance::{self, DistanceInputs};
use super::dom::{self, DomInputs};
use super::dominators::{self, EdgeView};
use super::error::{ErrorKind, Result};
use super::graph;
use super::names::{self, NameInputs, WeakMapEdges};
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
            "  {}: {:.3} s",
            self.name,
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// What the second core computes while the dominator tree is built.
struct Analysed {
    distance: Vec<i32>,
    class_index: Vec<u32>,
    added_strings: super::strings::StringTable,
    interfaces: Vec<super::InterfaceDefinition>,
    interface_names: HashMap<String, u32>,
    locations: Vec<(u32, aggregate::Location)>,
    counts: aggregate::ClassCounts,
    statistics: aggregate::StatisticsSums,
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
        edge_type,
        edge_name,
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
            edge_type: &edge_type,
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
        edge_type: &edge_type,
        edge_name: &edge_name,
    };
    let (retainers, (weak_maps, essential)) = rayon::join(
        || {
            let _timer = PhaseTimer::new("retainers");
            graph::build_retainers(&first_edge, &edge_to)
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
    check_cancel(progress)?;

    progress.set_phase("Calculating dominators, distances and names");
    let distance_inputs = DistanceInputs {
        meta: &meta,
        strings: &strings,
        node_type: &node_type,
        node_name: &node_name,
        first_edge: &first_edge,
        edge_to: &edge_to,
        edge_type: &edge_type,
        edge_name: &edge_name,
        weak_maps: &weak_maps,
    };
    let is_user_root = {
        let r = root as usize;
        (first_edge[r]..first_edge[r + 1])
            .any(|e| distance_inputs.is_user_root(edge_to[e as usize] as usize))
    };
    let cancelled = || progress.is_cancelled();
    let (tree, rest) = rayon::join(
        || {
            let _timer = PhaseTimer::new("dominators (Lengauer-Tarjan)");
            dominators::dominators(
                &edges,
                &essential,
                &retainers.first_retainer,
                &retainers.retainer_edge,
                &retainers.retainer_node,
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
                    edge_type: &edge_type,
                    has_user_roots: is_user_root,
                },
                &mut node_self_size,
            );
            drop(timer);
            let timer = PhaseTimer::new("distances");
            let distance = distance::distances(&distance_inputs, &HashSet::new());
            drop(timer);
            let timer = PhaseTimer::new("class names and interfaces");
            let name_inputs = NameInputs {
                meta: &meta,
                node_type: &node_type,
                node_name: &node_name,
                first_edge: &first_edge,
                edge_type: &edge_type,
                edge_name: &edge_name,
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
            drop(timer);
            // What needs no dominator tree is done here, while the other core computes it.
            let _timer = PhaseTimer::new("class counts and statistics");
            let locations = aggregate::build_locations(&meta, &raw_locations, node_count);
            let self_size = &node_self_size;
            let (counts, statistics) = rayon::join(
                || {
                    aggregate::count_classes(&ClassInputs {
                        meta: &meta,
                        strings: &added,
                        node_type: &node_type,
                        self_size,
                        class_index: &class_index,
                        distance: &distance,
                        locations: &locations,
                        include: None,
                    })
                },
                || {
                    aggregate::statistics(&StatisticsInputs {
                        meta: &meta,
                        strings: &strings,
                        node_type: &node_type,
                        node_name: &node_name,
                        self_size,
                        first_edge: &first_edge,
                        edge_to: &edge_to,
                        edge_type: &edge_type,
                        edge_name: &edge_name,
                        first_retainer: &retainers.first_retainer,
                    })
                },
            );
            Analysed {
                distance,
                class_index,
                added_strings: added.into_added(),
                interfaces,
                interface_names,
                locations,
                counts,
                statistics,
            }
        },
    );
    let tree = tree.ok_or(ErrorKind::Cancelled)?;
    let Analysed {
        distance,
        class_index,
        added_strings,
        interfaces,
        interface_names,
        locations,
        counts,
        statistics,
    } = rest;
    strings.append(&added_strings);
    drop(essential);
    check_cancel(progress)?;

    progress.set_phase("Calculating retained sizes");
    let (retained, (first_dominated, dominated)) = rayon::join(
        || dominators::retained_sizes(&tree, &node_self_size),
        || dominators::dominated_nodes(&tree.dominator, root),
    );
    let unreachable_count = tree.unreachable_count;
    let dominator = tree.dominator;
    drop(tree.preorder);
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
                    first_dominated: &first_dominated,
                    dominated: &dominated,
                },
            )
        },
        || {
            let mut by_id: Vec<u32> = (0..node_count as u32).collect();
            by_id.par_sort_unstable_by_key(|&n| (node_id[n as usize], n));
            by_id
        },
    );
    let statistics = statistics.finish(retained[root as usize]);

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
        self_size: node_self_size.into(),
        detachedness: node_detachedness.into(),
        first_edge: first_edge.into(),
        edge_type: edge_type.into(),
        edge_name: edge_name.into(),
        edge_to: edge_to.into(),
        first_retainer: retainers.first_retainer.into(),
        retainer_edge: retainers.retainer_edge.into(),
        retainer_node: retainers.retainer_node.into(),
        distance: distance.into(),
        dominator: dominator.into(),
        retained: retained.into(),
        first_dominated: first_dominated.into(),
        dominated: dominated.into(),
        class_index: class_index.into(),
        aggregates,
        statistics,
        locations,
        interfaces,
        interface_names,
        weak_maps,
        by_id: by_id.into(),
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
