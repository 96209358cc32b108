//! The analysis pipeline: parsed columns in, a ready [`Snapshot`] out.
//!
//! Phases, in order (each announced through [`Progress`], cancel checked between them):
//! validate → retainers → DOM state → page-owned flags and essential edges → then in
//! parallel { dominators } and { shallow sizes → distances → class names } → retained sizes
//! → dominated nodes → aggregates → statistics → id index.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use rayon::slice::ParallelSliceMut as _;

use super::aggregate::{self, AggregateInputs, StatisticsInputs};
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
        locations,
    } = cols;

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
    let (tree, (distance, class_index, interfaces, interface_names)) = rayon::join(
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
            let _timer = PhaseTimer::new("class names and interfaces");
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
            (
                distance,
                (class_index, added.into_added()),
                interfaces,
                interface_names,
            )
        },
    );
    let tree = tree.ok_or(ErrorKind::Cancelled)?;
    let (class_index, added_strings) = class_index;
    strings.append(&added_strings);
    drop(essential);
    check_cancel(progress)?;

    progress.set_phase("Calculating retained sizes");
    let retained = dominators::retained_sizes(&tree, &node_self_size);
    let unreachable_count = tree.unreachable_count;
    let dominator = tree.dominator;
    drop(tree.preorder);
    let (first_dominated, dominated) = dominators::dominated_nodes(&dominator, root);
    check_cancel(progress)?;

    progress.set_phase("Building class aggregates and statistics");
    let locations = aggregate::build_locations(&meta, &locations, node_count);
    let ((aggregates, statistics), by_id) = rayon::join(
        || {
            rayon::join(
                || {
                    let _timer = PhaseTimer::new("aggregates");
                    aggregate::aggregates(&AggregateInputs {
                        meta: &meta,
                        strings: &strings,
                        node_type: &node_type,
                        self_size: &node_self_size,
                        class_index: &class_index,
                        distance: &distance,
                        retained: &retained,
                        first_dominated: &first_dominated,
                        dominated: &dominated,
                        locations: &locations,
                        include: None,
                    })
                },
                || {
                    let _timer = PhaseTimer::new("statistics");
                    aggregate::statistics(&StatisticsInputs {
                        meta: &meta,
                        strings: &strings,
                        node_type: &node_type,
                        node_name: &node_name,
                        self_size: &node_self_size,
                        first_edge: &first_edge,
                        edge_to: &edge_to,
                        edge_type: &edge_type,
                        edge_name: &edge_name,
                        first_retainer: &retainers.first_retainer,
                        root_retained: retained[root as usize],
                    })
                },
            )
        },
        || {
            let _timer = PhaseTimer::new("id index");
            let mut by_id: Vec<u32> = (0..node_count as u32).collect();
            by_id.par_sort_unstable_by_key(|&n| (node_id[n as usize], n));
            by_id
        },
    );

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
        node_type,
        node_name,
        node_id,
        self_size: node_self_size,
        detachedness: node_detachedness,
        first_edge,
        edge_type,
        edge_name,
        edge_to,
        first_retainer: retainers.first_retainer,
        retainer_edge: retainers.retainer_edge,
        retainer_node: retainers.retainer_node,
        distance,
        dominator,
        retained,
        first_dominated,
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
    })
}
