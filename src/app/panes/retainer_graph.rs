//! The retainer graph: a node-link drawing of what keeps the selected object alive.
//!
//! Roots on the left, the object on the right, one column per distance (see
//! [`super::graph_layout`]). Edges carry DevTools' edge names; weak edges are dashed.
//! Drag to pan, scroll or pinch to zoom. Click a node to select it in every pane (the graph
//! keeps its target), double-click to add that node's own retainers, right-click for
//! "Ignore this retainer". The subgraph and its layout are computed on a worker and cached
//! per (object, ignored set, limits, expanded nodes).

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2, pos2, vec2};

use crate::format;
use crate::snapshot::{
    NodeIdx, PathLimits, RetainerView, Snapshot, retaining_paths, shortest_retaining_path,
};

use super::super::command::{Command, PaneId};
use super::super::ignore::{ignore_menu_ui, ignored_line_ui};
use super::super::jobs::{Poll, Promise};
use super::super::theme::{self, GraphTheme, Theme};
use super::graph_layout::{self, GraphLayout, Subgraph, SubgraphNode};
use super::{PaneContext, object_at_id};

/// Nodes shown at first; "Show more" doubles it.
pub const DEFAULT_NODE_CAP: usize = 24;

/// Most nodes the graph ever shows.
const MAX_NODE_CAP: usize = 400;

/// Extra nodes a double-click may add for the clicked node's own retainers.
const EXPAND_CAP: usize = 12;

/// Chains of more than this many single-retainer objects are folded...
const FOLD_RUN: usize = 10;

/// ...down to this many objects at each end, the edge between saying how many hops it spans.
const FOLD_KEEP: usize = 3;

/// Layouts kept for quick back-and-forth between objects.
const CACHE_SIZE: usize = 8;

/// Zoom range.
const MIN_ZOOM: f32 = 0.2;
const MAX_ZOOM: f32 = 3.0;

/// "Fit" zooms out no further than this (labels stay readable).
const MIN_READABLE_ZOOM: f32 = 0.5;

/// Longest label drawn in a node or on an edge (characters).
const MAX_LABEL_CHARS: usize = 28;

/// Everything a layout depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LayoutKey {
    target: NodeIdx,
    view_generation: u64,
    cap: usize,
    expanded: Vec<NodeIdx>,
    /// Hide hops through V8 storage (contexts, element/property stores, hash tables).
    collapse_plumbing: bool,
    /// Draw long chains whole instead of folding their middle.
    unfold: bool,
}

/// The retainer graph pane.
pub struct RetainerGraphPane {
    snapshot: Option<Arc<Snapshot>>,
    view: Arc<RetainerView>,
    view_generation: u64,
    target: Option<NodeIdx>,
    cap: usize,
    expanded: Vec<NodeIdx>,
    /// See [`LayoutKey::collapse_plumbing`] (kept across objects: a preference).
    collapse_plumbing: bool,
    unfold: bool,
    layout: Option<(LayoutKey, Arc<GraphLayout>)>,
    pending: Option<(LayoutKey, Promise<GraphLayout>)>,
    cache: Vec<(LayoutKey, Arc<GraphLayout>)>,
    pan: Vec2,
    zoom: f32,
    fit: bool,
    /// Layers per band when a long graph is folded to fit the pane (decided on "Fit").
    wrap: Option<usize>,
    /// The folded layout last drawn: (the layout it was made from, layers per band, it).
    wrapped: Option<(Arc<GraphLayout>, usize, Arc<GraphLayout>)>,
    seen_selection: u64,
    /// Where the graph was last fitted; until the user pans or zooms, a graph whose pane
    /// moves or changes size (a panel settling, a window resize) is fitted again.
    fitted_rect: Option<Rect>,
    user_moved: bool,
}

impl Default for RetainerGraphPane {
    fn default() -> Self {
        Self {
            snapshot: None,
            view: Arc::new(RetainerView::new()),
            view_generation: 0,
            target: None,
            cap: DEFAULT_NODE_CAP,
            expanded: Vec::new(),
            collapse_plumbing: false,
            unfold: false,
            layout: None,
            pending: None,
            cache: Vec::new(),
            pan: Vec2::ZERO,
            zoom: 1.0,
            fit: true,
            wrap: None,
            wrapped: None,
            seen_selection: 0,
            fitted_rect: None,
            user_moved: false,
        }
    }
}

impl RetainerGraphPane {
    /// Shows graphs of `snapshot`'s objects; forgets the previous snapshot's layouts.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        *self = Self {
            snapshot,
            collapse_plumbing: self.collapse_plumbing,
            ..Self::default()
        };
    }

    /// Hides (or shows again) the hops through V8 storage; the edges count the hops.
    pub fn set_collapse_plumbing(&mut self, on: bool) {
        if self.collapse_plumbing != on {
            self.collapse_plumbing = on;
            self.fit = true;
        }
    }

    /// True when hops through V8 storage are hidden.
    pub fn collapse_plumbing(&self) -> bool {
        self.collapse_plumbing
    }

    /// Draws long chains whole (`true`) or folds their middle (the default).
    pub fn set_unfold(&mut self, on: bool) {
        if self.unfold != on {
            self.unfold = on;
            self.fit = true;
        }
    }

    /// Uses the Retainers-view distances of `view` (after "Ignore this retainer").
    pub fn set_retainer_view(&mut self, view: Arc<RetainerView>, generation: u64) {
        self.view = view;
        self.view_generation = generation;
    }

    /// The object whose retainers are drawn.
    pub fn target(&self) -> Option<NodeIdx> {
        self.target
    }

    /// Draws the retainers of `node` (limits back to their defaults).
    pub fn set_target(&mut self, node: NodeIdx) {
        if self.target != Some(node) {
            self.target = Some(node);
            self.cap = DEFAULT_NODE_CAP;
            self.expanded.clear();
            self.unfold = false;
            self.fit = true;
        }
    }

    /// The layout on screen, if any.
    pub fn layout(&self) -> Option<&GraphLayout> {
        self.layout.as_ref().map(|(_, l)| l.as_ref())
    }

    /// Layers per band when the graph on screen is folded to fit the pane, if it is.
    pub fn layers_per_band(&self) -> Option<usize> {
        self.wrap
    }

    /// True while a layout is computed.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Raises the node cap ("Show more").
    pub fn show_more(&mut self) {
        self.cap = (self.cap * 2).min(MAX_NODE_CAP);
    }

    /// Adds `node`'s own retainers to the graph (double-click).
    pub fn expand(&mut self, node: NodeIdx) {
        if !self.expanded.contains(&node) {
            self.expanded.push(node);
        }
    }

    fn key(&self) -> Option<LayoutKey> {
        Some(LayoutKey {
            target: self.target?,
            view_generation: self.view_generation,
            cap: self.cap,
            expanded: self.expanded.clone(),
            collapse_plumbing: self.collapse_plumbing,
            unfold: self.unfold,
        })
    }

    /// Shows `layout`; a graph of another object (or drawn another way) is fitted to the
    /// pane, since the fit asked for when the target changed was spent on the old graph.
    fn install(&mut self, key: LayoutKey, layout: Arc<GraphLayout>) {
        let refit = self.layout.as_ref().is_none_or(|(old, _)| {
            old.target != key.target
                || old.collapse_plumbing != key.collapse_plumbing
                || old.unfold != key.unfold
        });
        if refit {
            self.fit = true;
            self.user_moved = false;
        }
        self.layout = Some((key, layout));
    }

    /// Starts or collects the layout job for the current key.
    fn poll(&mut self, ctx: &egui::Context) {
        if let Some((key, promise)) = self.pending.as_mut() {
            match promise.try_take() {
                Poll::Pending => {}
                Poll::Ready(layout) => {
                    let key = key.clone();
                    let layout = Arc::new(layout);
                    self.cache.retain(|(k, _)| *k != key);
                    self.cache.push((key.clone(), Arc::clone(&layout)));
                    if self.cache.len() > CACHE_SIZE {
                        self.cache.remove(0);
                    }
                    self.install(key, layout);
                    self.pending = None;
                }
                Poll::Lost => self.pending = None,
            }
        }
        let Some(key) = self.key() else {
            self.layout = None;
            self.pending = None;
            return;
        };
        if self.layout.as_ref().is_some_and(|(k, _)| *k == key)
            || self.pending.as_ref().is_some_and(|(k, _)| *k == key)
        {
            return;
        }
        if let Some((_, cached)) = self.cache.iter().find(|(k, _)| *k == key) {
            let cached = Arc::clone(cached);
            self.install(key, cached);
            self.pending = None;
            return;
        }
        let Some(snapshot) = self.snapshot.clone() else {
            return;
        };
        let view = Arc::clone(&self.view);
        let job_key = key.clone();
        self.pending = Some((
            key,
            Promise::spawn("retainer graph layout", ctx, move || {
                build_layout(&snapshot, &view, &job_key)
            }),
        ));
    }

    /// Draws the toolbar and the graph.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>, ignoring: bool) {
        if let Some(node) = cx
            .selection
            .changed_elsewhere(&mut self.seen_selection, PaneId::RetainerGraph)
        {
            self.set_target(node);
        }
        self.poll(ui.ctx());
        let snapshot = Arc::clone(cx.snapshot);
        let theme = Theme::of(ui);
        // The tile's tab says "Retainer graph"; the header (wrapped in a narrow tile, so its
        // buttons stay reachable) names whose.
        ui.horizontal_wrapped(|ui| {
            let Some(target) = self.target else {
                ui.label(
                    RichText::new("Select an object to draw what keeps it alive")
                        .color(theme.weak_text),
                );
                return;
            };
            ui.label(RichText::new(object_at_id(&snapshot, target)).color(theme.class_name));
            if let Some(layout) = self.layout() {
                ui.label(
                    RichText::new(format!(
                        "\u{2014} {} objects, {} edges",
                        layout.nodes.len(),
                        layout.edges.len()
                    ))
                    .color(theme.weak_text),
                );
                let hidden = layout.hidden_paths;
                if hidden > 0 && self.cap < MAX_NODE_CAP {
                    let more = ui
                        .button(format!("Show more (+{hidden} paths)"))
                        .on_hover_text("Draw more retaining paths");
                    if more.clicked() {
                        self.show_more();
                    }
                }
            }
            if let Some(layout) = self.layout()
                && layout.folded > 0
            {
                let unfold = ui
                    .button(format!("Unfold ({} hidden)", layout.folded))
                    .on_hover_text("Draw the long chains whole, one box per object");
                if unfold.clicked() {
                    self.set_unfold(true);
                }
            }
            let mut collapse = self.collapse_plumbing;
            if ui
                .checkbox(&mut collapse, "Collapse V8 plumbing")
                .on_hover_text(
                    "Hide hops through system / Context, (object elements), \
                     (object properties) and Map/Set tables; the edge says how many hops it \
                     stands for",
                )
                .changed()
            {
                self.set_collapse_plumbing(collapse);
            }
            if ui
                .button("Fit")
                .on_hover_text("Zoom to show the whole graph")
                .clicked()
            {
                self.fit = true;
            }
            if (self.cap != DEFAULT_NODE_CAP || !self.expanded.is_empty())
                && ui
                    .button("Reset")
                    .on_hover_text("Back to the shortest paths only")
                    .clicked()
            {
                self.cap = DEFAULT_NODE_CAP;
                self.expanded.clear();
                self.fit = true;
            }
            if self.is_busy() {
                crate::app::widgets::spinner(ui);
            }
        });
        ignored_line_ui(ui, &snapshot, &self.view, ignoring, cx.commands);
        ui.label(
            RichText::new(
                "Drag to pan, scroll to zoom. Click selects, \u{2190}/\u{2192} walk the path, \
                 double-click adds that object's retainers, right-click to ignore a retainer.",
            )
            .small()
            .color(theme.weak_text),
        );
        let Some(layout) = self.layout.as_ref().map(|(_, l)| Arc::clone(l)) else {
            return;
        };
        self.canvas_ui(ui, cx, &snapshot, &layout);
    }

    /// The layout as drawn: `base`, or `base` folded into bands (see [`Self::wrap`]).
    fn displayed(&mut self, base: &Arc<GraphLayout>) -> Arc<GraphLayout> {
        let Some(per_band) = self.wrap else {
            return Arc::clone(base);
        };
        if let Some((from, k, folded)) = &self.wrapped
            && Arc::ptr_eq(from, base)
            && *k == per_band
        {
            return Arc::clone(folded);
        }
        let folded = Arc::new(graph_layout::wrapped(base, per_band));
        self.wrapped = Some((Arc::clone(base), per_band, Arc::clone(&folded)));
        folded
    }

    /// Zooms to show the whole graph, but never so far that labels become unreadable: then
    /// the target (right end) stays in view and the rest is a drag away.
    fn fit_to(&mut self, rect: Rect, layout: &GraphLayout) {
        let zoom_for = |b: Rect| (rect.width() / b.width()).min(rect.height() / b.height());
        let mut b = layout.bounds.expand(24.0);
        if zoom_for(b) < MIN_READABLE_ZOOM {
            // Too big to read whole: fit the shortest path from the object to its root,
            // the part that answers "what keeps it alive"; the rest is a drag away.
            let path = layout.shortest_path();
            if let Some(path_bounds) = path
                .iter()
                .map(|&i| layout.nodes[i].rect())
                .reduce(|a, r| a.union(r))
            {
                b = path_bounds.expand(24.0);
            }
        }
        let zoom = zoom_for(b).clamp(MIN_READABLE_ZOOM, 1.0);
        self.zoom = zoom;
        self.pan = rect.center().to_vec2() - b.center().to_vec2() * zoom;
        if b.width() * zoom > rect.width() {
            // The object near the right edge (in a folded graph it may end a short last
            // band, far from the bounds' right), the graph's left end never past the pane's.
            let right = layout
                .target
                .map_or(b.right(), |t| layout.nodes[t].rect().right() + 24.0);
            self.pan.x = (rect.right() - right * zoom).min(rect.left() - b.left() * zoom);
        }
        if b.height() * zoom > rect.height() {
            let y = layout
                .target
                .map_or(b.center().y, |t| layout.nodes[t].center.y);
            self.pan.y = rect.center().y - y * zoom;
        }
    }

    /// After a click on `node`, pans (if needed) so that its nearest retainer is on screen:
    /// walking a chain toward the roots never needs a manual drag.
    fn follow(&mut self, rect: Rect, layout: &GraphLayout, node: NodeIdx) {
        if let Some(next) = layout
            .index_of(node)
            .and_then(|i| layout.nearest_retainer(i))
        {
            self.reveal(rect, layout, next);
        }
    }

    /// ← and → walk the selection along the path: left to the nearest retainer (toward the
    /// roots), right back to what it retains (toward the object). Starts at the object.
    fn walk_keys(&self, ui: &Ui, layout: &GraphLayout, selected: Option<NodeIdx>) -> Option<usize> {
        use egui::{Key, Modifiers};
        let (left, right) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowLeft),
                i.consume_key(Modifiers::NONE, Key::ArrowRight),
            )
        });
        if !left && !right {
            return None;
        }
        let Some(current) = selected.and_then(|n| layout.index_of(n)) else {
            return layout.target;
        };
        if left {
            layout.nearest_retainer(current)
        } else {
            let path = layout.shortest_path();
            layout
                .edges
                .iter()
                .filter(|e| e.from == current && !e.edge.weak)
                .min_by_key(|e| (!path.contains(&e.to), e.to))
                .map(|e| e.to)
        }
    }

    /// Pans (if needed) so that node `i` is well inside the pane.
    fn reveal(&mut self, rect: Rect, layout: &GraphLayout, i: usize) {
        self.user_moved = true;
        let r = layout.nodes[i].rect();
        let margin = 40.0;
        let left = r.left() * self.zoom + self.pan.x;
        let right = r.right() * self.zoom + self.pan.x;
        if left < rect.left() + margin {
            self.pan.x += rect.left() + margin - left;
        } else if right > rect.right() - margin {
            self.pan.x -= right - (rect.right() - margin);
        }
        let y = r.center().y * self.zoom + self.pan.y;
        if !(rect.top() + margin..=rect.bottom() - margin).contains(&y) {
            self.pan.y += rect.center().y - y;
        }
    }

    fn canvas_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PaneContext<'_>,
        snapshot: &Snapshot,
        base: &Arc<GraphLayout>,
    ) {
        let gt = GraphTheme::of(ui);
        let theme = Theme::of(ui);
        let (rect, canvas) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, gt.canvas);
        if base.nodes.is_empty() {
            return;
        }
        if !self.user_moved && self.fitted_rect != Some(rect) {
            self.fit = true;
        }
        if self.fit {
            self.fitted_rect = Some(rect);
            // A chain too long for the pane at a readable zoom is folded into bands.
            self.wrap = graph_layout::best_wrap(base, rect.size());
        }
        let shown = self.displayed(base);
        let layout = shown.as_ref();
        if self.fit {
            self.fit = false;
            self.fit_to(rect, layout);
        }
        if canvas.dragged() {
            self.pan += canvas.drag_delta();
            self.user_moved = true;
        }
        if let Some(hover) = canvas.hover_pos() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = pinch * (scroll / 400.0).exp();
            if (factor - 1.0).abs() > 1e-4 {
                let new_zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
                // Keep the point under the pointer fixed.
                let graph_point = (hover.to_vec2() - self.pan) / self.zoom;
                self.zoom = new_zoom;
                self.pan = hover.to_vec2() - graph_point * new_zoom;
                self.user_moved = true;
            }
        }
        let (pan, zoom) = (self.pan, self.zoom);
        let to_screen = move |p: Pos2| pos2(p.x * zoom + pan.x, p.y * zoom + pan.y);
        let font = egui::FontId::proportional((12.5 * zoom).clamp(6.0, 21.0));
        let small = egui::FontId::proportional((11.5 * zoom).clamp(5.0, 19.0));
        let selected = cx.selection.node();
        let show_text = zoom >= 0.45;

        // Edges first, under the nodes.
        for e in &layout.edges {
            let points: Vec<Pos2> = e.points.iter().map(|p| to_screen(*p)).collect();
            let ignored = self.view.is_node_ignored(layout.nodes[e.from].node.node)
                || self.view.is_edge_ignored(e.edge.edge);
            let color = if e.edge.weak {
                theme.weak_marker
            } else if ignored {
                gt.ignored
            } else {
                gt.edge
            };
            let stroke = Stroke::new((1.3 * zoom).max(0.8), color);
            if e.edge.weak {
                painter.extend(egui::Shape::dashed_line(&points, stroke, 6.0, 4.0));
            } else {
                painter.add(egui::Shape::line(points.clone(), stroke));
            }
            if let [.., a, b] = points.as_slice() {
                arrow_head(&painter, *a, *b, color, zoom);
            }
            if show_text && let [a, b, ..] = points.as_slice() {
                let mut label = shorten(&snapshot.edge_label(e.edge.edge));
                if e.edge.weak && !label.starts_with("[[") {
                    label.push_str(" (weak)");
                }
                // Just right of the retainer, above the line.
                let x = a.x + 6.0 * zoom;
                let t = if (b.x - a.x).abs() > 1.0 {
                    ((x - a.x) / (b.x - a.x)).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let y = a.y + (b.y - a.y) * t - 2.0 * zoom;
                let color = if e.edge.weak {
                    theme.weak_marker
                } else {
                    theme.edge_name
                };
                let galley = painter.layout_no_wrap(label, small.clone(), color);
                // An edge that turns back to the next band of a folded graph is labelled
                // above the middle of its run back, clear of the node boxes.
                let back = points
                    .windows(2)
                    .filter(|w| w[1].x < w[0].x - 1.0)
                    .max_by(|p, q| (p[0].x - p[1].x).total_cmp(&(q[0].x - q[1].x)));
                let text_rect = match back {
                    Some(w) => egui::Align2::CENTER_BOTTOM
                        .anchor_size(pos2((w[0].x + w[1].x) / 2.0, w[0].y - 2.0), galley.size()),
                    None => egui::Align2::LEFT_BOTTOM.anchor_size(pos2(x, y), galley.size()),
                };
                painter.rect_filled(text_rect.expand(1.0), 2.0, gt.canvas.gamma_multiply(0.85));
                painter.galley(text_rect.min, galley, color);
                if e.edge.hops > 1 {
                    // The hops a folded or collapsed edge stands for, under its line (the
                    // gap between two boxes holds one short label above and one below).
                    let hops = painter.layout_no_wrap(
                        format!("{} hops", e.edge.hops),
                        small.clone(),
                        theme.weak_text,
                    );
                    let below = egui::Align2::LEFT_TOP.anchor_size(
                        pos2(text_rect.left(), text_rect.bottom() + 5.0 * zoom),
                        hops.size(),
                    );
                    painter.rect_filled(below.expand(1.0), 2.0, gt.canvas.gamma_multiply(0.85));
                    painter.galley(below.min, hops, theme.weak_text);
                }
            }
        }

        // Nodes: a box with a type-coloured bar, `Class @id` and the retained size.
        let mut clicked = None;
        let mut expand = None;
        for (i, placed) in layout.nodes.iter().enumerate() {
            let n = placed.node.node;
            let graph_rect = placed.rect();
            let r = Rect::from_min_max(to_screen(graph_rect.min), to_screen(graph_rect.max));
            if !r.intersects(rect) {
                continue;
            }
            let type_color = gt.node_type(snapshot.node_type_name(n));
            let ignored = self.view.is_node_ignored(n);
            let id = ui.make_persistent_id(("graph_node", n.0));
            let response = ui.interact(r.intersect(rect), id, Sense::click());
            let label = object_at_id(snapshot, n);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            let is_target = layout.target == Some(i);
            let is_selected = selected == Some(n);
            let fill = if ignored {
                gt.node_fill.gamma_multiply(0.5)
            } else {
                gt.node_fill
            };
            let corner = 4.0 * zoom;
            painter.rect_filled(r, corner, fill);
            let bar =
                Rect::from_min_max(r.min, pos2(r.min.x + theme::GRAPH_TYPE_BAR * zoom, r.max.y));
            painter.rect_filled(
                bar,
                egui::CornerRadius {
                    nw: corner as u8,
                    sw: corner as u8,
                    ne: 0,
                    se: 0,
                },
                if ignored { gt.ignored } else { type_color },
            );
            let outline = if is_selected {
                Stroke::new(2.5 * zoom.max(0.6), gt.selected_stroke)
            } else if is_target {
                Stroke::new(2.0 * zoom.max(0.6), gt.target_stroke)
            } else if response.hovered() {
                Stroke::new(1.5, theme.class_name)
            } else {
                Stroke::new(1.0, type_color.gamma_multiply(0.6))
            };
            painter.rect_stroke(r, corner, outline, egui::StrokeKind::Inside);
            if show_text {
                // Text never spills out of its box.
                let painter = painter.with_clip_rect(r.shrink(2.0).intersect(rect));
                let text_x = bar.max.x + 5.0 * zoom;
                let name_color = if ignored {
                    gt.ignored
                } else {
                    theme.class_name
                };
                painter.text(
                    pos2(text_x, r.min.y + 3.0 * zoom),
                    egui::Align2::LEFT_TOP,
                    shorten(&label),
                    font.clone(),
                    name_color,
                );
                let mut detail = format!(
                    "{} \u{00B7} distance {}",
                    format::bytes(snapshot.retained_size(n)),
                    format::distance(placed.node.distance)
                );
                if ignored {
                    detail.push_str(" \u{00B7} ignored");
                }
                painter.text(
                    pos2(text_x, r.max.y - 3.0 * zoom),
                    egui::Align2::LEFT_BOTTOM,
                    detail,
                    small.clone(),
                    theme.weak_text,
                );
            }
            let response = response.on_hover_text(format!(
                "{label}\n{} \u{2014} {}\nretained {}, shallow {}, distance {}",
                snapshot.node_type_name(n),
                crate::app::widgets::shorten(&snapshot.node_name(n)),
                format::bytes(snapshot.retained_size(n)),
                format::bytes(snapshot.self_size(n)),
                format::distance(placed.node.distance)
            ));
            if response.double_clicked() {
                expand = Some(n);
            } else if response.clicked() {
                clicked = Some(n);
            }
            response.context_menu(|ui| {
                if ui.button("Select").clicked() {
                    clicked = Some(n);
                    ui.close();
                }
                if ui.button("Add its retainers").clicked() {
                    expand = Some(n);
                    ui.close();
                }
                if ui.button("Show retainer graph of this object").clicked() {
                    cx.commands.push(Command::Select {
                        node: n,
                        origin: PaneId::External,
                    });
                    ui.close();
                }
                if !is_target {
                    ui.separator();
                    ignore_menu_ui(ui, &self.view, n, cx.commands);
                }
                if ui.button("Copy Class @id").clicked() {
                    cx.commands.push(Command::CopyText(label.clone()));
                    ui.close();
                }
            });
        }
        if cx.focused == PaneId::RetainerGraph
            && let Some(i) = self.walk_keys(ui, layout, selected)
        {
            cx.select(layout.nodes[i].node.node, PaneId::RetainerGraph);
            self.reveal(rect, layout, i);
        }
        if let Some(n) = clicked {
            cx.select(n, PaneId::RetainerGraph);
            self.follow(rect, layout, n);
        }
        if let Some(n) = expand {
            cx.select(n, PaneId::RetainerGraph);
            self.expand(n);
        }
        if canvas.clicked() || canvas.dragged() {
            cx.commands.push(Command::FocusPane(PaneId::RetainerGraph));
        }
        legend_ui(&painter, rect, &gt, &theme);
    }
}

/// Computes the subgraph and its layout (on a worker).
fn build_layout(snapshot: &Snapshot, view: &RetainerView, key: &LayoutKey) -> GraphLayout {
    let limits = PathLimits {
        max_depth: 30,
        max_nodes: (key.cap * 50).max(1000),
        max_siblings: (key.cap / 2).max(8),
    };
    let is_weak = |e| snapshot.is_weak_edge(e);
    let mut sub = Subgraph::default();
    let paths = retaining_paths(snapshot, view, key.target, limits);
    let target = SubgraphNode {
        node: key.target,
        distance: view.distance(snapshot, key.target),
    };
    // The shortest path first, whole, however deep; then the other paths while they fit.
    let shortest = shortest_retaining_path(snapshot, view, key.target);
    graph_layout::extract_shortest(&mut sub, target, &shortest, &is_weak);
    let cap = key.cap.max(sub.graph.node_count() + key.cap / 2);
    graph_layout::extract(&mut sub, target, &paths.paths, cap, &is_weak);
    for &n in &key.expanded {
        if sub.index_of(n).is_none() {
            continue;
        }
        let paths = retaining_paths(snapshot, view, n, limits);
        let own = SubgraphNode {
            node: n,
            distance: view.distance(snapshot, n),
        };
        let cap = sub.graph.node_count() + EXPAND_CAP;
        graph_layout::extract(&mut sub, own, &paths.paths, cap, &is_weak);
    }
    let before = sub.graph.node_count();
    if key.collapse_plumbing {
        sub = graph_layout::contract(&sub, &|n| snapshot.is_v8_plumbing(n));
    }
    let collapsed = before - sub.graph.node_count();
    let mut folded = 0;
    if !key.unfold {
        let fold = graph_layout::long_chain_interiors(&sub, FOLD_RUN, FOLD_KEEP);
        if !fold.is_empty() {
            folded = fold.len();
            sub = graph_layout::contract(&sub, &|n| fold.contains(&n));
        }
    }
    let mut layout = graph_layout::layout(&sub);
    layout.collapsed = collapsed;
    layout.folded = folded;
    if paths.limits.siblings || paths.limits.nodes {
        layout.hidden_paths = layout.hidden_paths.max(1);
    }
    layout
}

/// Cuts a label to [`MAX_LABEL_CHARS`] characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_LABEL_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn arrow_head(painter: &egui::Painter, from: Pos2, tip: Pos2, color: Color32, zoom: f32) {
    let dir = (tip - from).normalized();
    if !dir.is_finite() {
        return;
    }
    let size = 7.0 * zoom.clamp(0.5, 1.5);
    let side = vec2(-dir.y, dir.x) * size * 0.5;
    let base = tip - dir * size;
    painter.add(egui::Shape::convex_polygon(
        vec![tip, base + side, base - side],
        color,
        Stroke::NONE,
    ));
}

/// The node-type colour key in the bottom-left corner of the canvas.
fn legend_ui(painter: &egui::Painter, rect: Rect, gt: &GraphTheme, theme: &Theme) {
    let entries = [
        ("object", gt.object),
        ("closure", gt.closure),
        ("array", gt.array),
        ("string", gt.string),
        ("code", gt.code),
        ("system", gt.system),
        ("native", gt.native),
        ("synthetic", gt.synthetic),
    ];
    let font = egui::FontId::proportional(11.0);
    let mut x = rect.min.x + 8.0;
    let y = rect.max.y - 12.0;
    for (name, color) in entries {
        painter.rect_filled(
            Rect::from_center_size(pos2(x + 5.0, y), vec2(10.0, 10.0)),
            2.0,
            color,
        );
        let r = painter.text(
            pos2(x + 14.0, y),
            egui::Align2::LEFT_CENTER,
            name,
            font.clone(),
            theme.weak_text,
        );
        x = r.max.x + 12.0;
    }
    painter.text(
        pos2(x, y),
        egui::Align2::LEFT_CENTER,
        "- - weak edge",
        font,
        theme.weak_marker,
    );
}

impl super::Pane for RetainerGraphPane {
    fn title(&self) -> String {
        crate::app::command::View::RetainerGraph.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        let recomputing = cx.recomputing;
        RetainerGraphPane::ui(self, ui, &mut cx.pane(), recomputing);
    }

    fn bind(&mut self, _doc: crate::app::document::DocId, snapshot: Arc<Snapshot>) {
        self.set_snapshot(Some(snapshot));
    }

    fn is_busy(&self) -> bool {
        RetainerGraphPane::is_busy(self)
    }
}
