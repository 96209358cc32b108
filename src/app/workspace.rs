//! The tiled workspace (egui_tiles, as rerun's viewer uses it): every view is a tile that
//! can be split, tabbed, resized and dragged elsewhere; the layout persists and View →
//! Reset layout brings the default back (the views left, the retainer graph right, the
//! Retainers below).
//!
//! A tile shows the active snapshot unless it is bound to one (its tab bar's snapshot box,
//! or View → Compare A | B): a bound tile owns its own pane ([`BoundPane`]) and follows the
//! selection made anywhere by object id or class name.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_tiles::{Container, Linear, LinearDir, SimplificationOptions, TileId, Tiles, Tree};

use crate::snapshot::Snapshot;

use super::command::{Command, View};
use super::document::DocId;
pub use super::pane_kind::PaneKind;
use super::panes::allocation::{AllocationPane, WhereCreatedPane};
use super::panes::bound::BoundPane;
use super::panes::comparison::ComparisonPane;
use super::panes::containment::ContainmentPane;
use super::panes::dominators::DominatorsPane;
use super::panes::findings::FindingsPane;
use super::panes::leaks::LeaksPane;
use super::panes::retainer_graph::RetainerGraphPane;
use super::panes::retainers::RetainersPane;
use super::panes::side_by_side::SideBySidePane;
use super::panes::statistics::StatisticsPane;
use super::panes::strings::StringsPane;
use super::panes::summary::SummaryPane;
use super::panes::{Pane, TileContext};
use super::selection::Link;
use super::theme::Theme;

/// A fresh pane of this kind for a tile bound to one snapshot; `None` for the views
/// that compare the role snapshots (they are bound by the roles).
pub fn new_bound_pane(kind: PaneKind) -> Option<Box<dyn Pane>> {
    Some(match kind {
        PaneKind::View(View::Summary) => Box::new(SummaryPane::default()),
        PaneKind::Retainers => Box::new(RetainersPane::default()),
        PaneKind::View(View::Containment) => Box::new(ContainmentPane::default()),
        PaneKind::View(View::Dominators) => Box::new(DominatorsPane::default()),
        PaneKind::View(View::Statistics) => Box::new(StatisticsPane),
        _ => return None,
    })
}

/// A tile of the tree: what it shows and the snapshot it is bound to (not persisted:
/// snapshots are open for one session).
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Tile {
    /// What it shows.
    pub kind: PaneKind,
    /// The snapshot it is bound to; `None`: the active snapshot.
    #[serde(skip)]
    pub bound: Option<DocId>,
}

impl Tile {
    /// A tile of `kind` showing the active snapshot.
    pub fn new(kind: PaneKind) -> Self {
        Self { kind, bound: None }
    }
}

/// The app's panes that show the active snapshot, lent to the workspace for a frame.
pub struct ActivePanes<'a> {
    /// The Summary.
    pub summary: &'a mut SummaryPane,
    /// The Retainers.
    pub retainers: &'a mut RetainersPane,
    /// The retainer graph.
    pub graph: &'a mut RetainerGraphPane,
    /// Containment.
    pub containment: &'a mut ContainmentPane,
    /// Dominators.
    pub dominators: &'a mut DominatorsPane,
    /// Duplicated strings.
    pub strings: &'a mut StringsPane,
    /// The Allocation view's function table.
    pub allocation: &'a mut AllocationPane,
    /// Comparison.
    pub comparison: &'a mut ComparisonPane,
    /// Side by side.
    pub side_by_side: &'a mut SideBySidePane,
    /// Leak candidates.
    pub leaks: &'a mut LeaksPane,
    /// Findings.
    pub findings: &'a mut FindingsPane,
    /// The Live view.
    pub live: &'a mut super::panes::live::LivePane,
}

/// The tiles and the bound tiles' panes.
pub struct Workspace {
    tree: Tree<Tile>,
    bound: HashMap<TileId, BoundPane>,
    statistics: StatisticsPane,
    where_created: WhereCreatedPane,
    /// The view brought forward last (by the perspective tabs, a shortcut or `--view`).
    shown_view: Option<View>,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new(None)
    }
}

/// The tree's id (egui memory of tab scroll and drag state).
const TREE_ID: &str = "heapsight_workspace";

impl Workspace {
    /// The workspace with a saved layout (JSON, see [`Workspace::saved`]), or the default one
    /// when there is none or it does not read.
    pub fn new(saved: Option<&str>) -> Self {
        let tree = saved
            .and_then(|text| serde_json::from_str::<Tree<Tile>>(text).ok())
            .filter(|t| t.root().is_some() && t.tiles.len() < 256)
            .unwrap_or_else(default_tree);
        Self {
            tree,
            bound: HashMap::new(),
            statistics: StatisticsPane,
            where_created: WhereCreatedPane,
            shown_view: None,
        }
    }

    /// The layout as JSON, to persist.
    pub fn saved(&self) -> Option<String> {
        serde_json::to_string(&self.tree).ok()
    }

    /// The layout.
    pub fn tree(&self) -> &Tree<Tile> {
        &self.tree
    }

    /// The layout, to rearrange (tests drive drags through it).
    pub fn tree_mut(&mut self) -> &mut Tree<Tile> {
        &mut self.tree
    }

    /// View → Reset layout.
    pub fn reset(&mut self) {
        self.tree = default_tree();
        self.bound.clear();
        self.shown_view = None;
    }

    /// The tiles showing `kind`, with the snapshot each is bound to.
    pub fn tiles_of(&self, kind: PaneKind) -> Vec<(TileId, Option<DocId>)> {
        let mut found: Vec<_> = self
            .tree
            .tiles
            .iter()
            .filter_map(|(id, t)| match t {
                egui_tiles::Tile::Pane(p) if p.kind == kind => Some((*id, p.bound)),
                _ => None,
            })
            .collect();
        found.sort_by_key(|(id, _)| id.0);
        found
    }

    /// True when a tile of `kind` is on screen (not a hidden tab).
    pub fn is_visible(&self, kind: PaneKind) -> bool {
        self.tree.active_tiles().into_iter().any(|id| {
            matches!(self.tree.tiles.get(id), Some(egui_tiles::Tile::Pane(p)) if p.kind == kind)
        })
    }

    /// The pane of a bound tile.
    pub fn bound_pane(&self, tile: TileId) -> Option<&BoundPane> {
        self.bound.get(&tile)
    }

    /// True while a bound tile on screen works in the background (a hidden one waits until
    /// it is shown again).
    pub fn is_busy(&self) -> bool {
        self.tree
            .active_tiles()
            .iter()
            .filter_map(|id| self.bound.get(id))
            .any(|p| p.is_busy())
    }

    /// Brings the tile of `view` forward when the view changed since the last call (the app
    /// calls this every frame with its current view).
    pub fn follow_view(&mut self, view: View) {
        if self.shown_view != Some(view) {
            self.show_view(view);
        }
    }

    /// Brings the tile of `view` forward (adding it to the main tab group if it was closed).
    pub fn show_view(&mut self, view: View) {
        self.shown_view = Some(view);
        let Some(kind) = PaneKind::of_view(view) else {
            return;
        };
        self.show_kind(kind);
    }

    /// Brings a tile of `kind` forward, adding one if there is none.
    pub fn show_kind(&mut self, kind: PaneKind) {
        if self.tree.root().is_none() {
            self.reset();
        }
        let existing = self
            .tiles_of(kind)
            .into_iter()
            .find(|(_, bound)| bound.is_none())
            .map(|(id, _)| id);
        let tile = match existing {
            Some(id) => id,
            None => {
                let id = self.tree.tiles.insert_pane(Tile::new(kind));
                self.add_to_main_tabs(id);
                id
            }
        };
        self.tree.make_active(|id, _| id == tile);
    }

    /// Adds `tile` as a tab of the main group (or, with none left, beside the whole layout).
    fn add_to_main_tabs(&mut self, tile: TileId) {
        match self.main_tabs().and_then(|p| self.tree.tiles.get_mut(p)) {
            Some(egui_tiles::Tile::Container(c)) => c.add_child(tile),
            _ => {
                let children = self.tree.root().into_iter().chain([tile]).collect();
                let tabs = self.tree.tiles.insert_tab_tile(children);
                self.tree.root = Some(tabs);
            }
        }
    }

    /// The tab group of the main views (where a view's tile goes when it is added back).
    fn main_tabs(&self) -> Option<TileId> {
        PaneKind::MAIN
            .iter()
            .flat_map(|&k| self.tiles_of(k))
            .filter_map(|(id, _)| self.tree.tiles.parent_of(id))
            .find(|&p| {
                matches!(
                    self.tree.tiles.get(p),
                    Some(egui_tiles::Tile::Container(Container::Tabs(_)))
                )
            })
    }

    /// Shows `doc`'s snapshot in `tile` (`None`: the active snapshot again).
    pub fn bind(&mut self, tile: TileId, doc: Option<(DocId, Arc<Snapshot>)>) {
        let Some(egui_tiles::Tile::Pane(t)) = self.tree.tiles.get_mut(tile) else {
            return;
        };
        self.bound.remove(&tile);
        t.bound = None;
        if let Some((doc, snapshot)) = doc
            && let Some(pane) = new_bound_pane(t.kind)
        {
            t.bound = Some(doc);
            self.bound
                .insert(tile, BoundPane::new(tile.0, doc, snapshot, pane));
        }
    }

    /// View → Compare A | B: Summary tiles of `a` and `b` side by side over their Retainers,
    /// as a new tab of the main group.
    pub fn split_ab(&mut self, a: (DocId, Arc<Snapshot>), b: (DocId, Arc<Snapshot>)) {
        if self.tree.root().is_none() {
            self.reset();
        }
        let mut add = |kind: PaneKind, (doc, snapshot): &(DocId, Arc<Snapshot>)| {
            let id = self.tree.tiles.insert_pane(Tile {
                kind,
                bound: Some(*doc),
            });
            if let Some(pane) = new_bound_pane(kind) {
                self.bound
                    .insert(id, BoundPane::new(id.0, *doc, Arc::clone(snapshot), pane));
            }
            id
        };
        let (sa, sb) = (
            add(PaneKind::View(View::Summary), &a),
            add(PaneKind::View(View::Summary), &b),
        );
        let (ra, rb) = (add(PaneKind::Retainers, &a), add(PaneKind::Retainers, &b));
        let top = self.tree.tiles.insert_horizontal_tile(vec![sa, sb]);
        let bottom = self.tree.tiles.insert_horizontal_tile(vec![ra, rb]);
        let split = self.tree.tiles.insert_container(Linear::new_binary(
            LinearDir::Vertical,
            [top, bottom],
            0.62,
        ));
        self.add_to_main_tabs(split);
        self.tree.make_active(|id, _| id == sa);
    }

    /// A snapshot was closed: its tiles show the active snapshot again.
    pub fn on_closed(&mut self, doc: DocId) {
        let tiles: Vec<TileId> = self
            .bound
            .iter()
            .filter(|(_, p)| p.doc() == doc)
            .map(|(id, _)| *id)
            .collect();
        for tile in tiles {
            self.bind(tile, None);
        }
    }

    /// Draws the tiles.
    /// Draws the tiles: `cx` is the active snapshot's, `link` the last selection anywhere.
    pub fn ui(&mut self, ui: &mut Ui, panes: ActivePanes<'_>, cx: TileContext<'_>, link: &Link) {
        if self.tree.root().is_none() {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() * 0.3);
                ui.label(RichText::new("Every tile is closed.").color(Theme::of(ui).weak_text));
                if ui.button("Reset layout").clicked() {
                    cx.commands.push(Command::ResetLayout);
                }
            });
            return;
        }
        let mut behavior = Behavior {
            panes,
            bound: &mut self.bound,
            statistics: &mut self.statistics,
            where_created: &mut self.where_created,
            cx,
            link,
        };
        self.tree.ui(&mut behavior, ui);
    }
}

/// The default layout: the main views as tabs on the left, the retainer graph on the
/// right, the Retainers and where the object was created below.
pub fn default_tree() -> Tree<Tile> {
    let mut tiles = Tiles::default();
    let main: Vec<TileId> = PaneKind::MAIN
        .iter()
        .map(|&k| tiles.insert_pane(Tile::new(k)))
        .collect();
    let summary = main[1];
    let main_tabs = tiles.insert_container(egui_tiles::Tabs {
        children: main,
        active: Some(summary),
    });
    let graph = tiles.insert_pane(Tile::new(PaneKind::View(View::RetainerGraph)));
    let graph_tabs = tiles.insert_tab_tile(vec![graph]);
    let top = tiles.insert_container(Linear::new_binary(
        LinearDir::Horizontal,
        [main_tabs, graph_tabs],
        0.64,
    ));
    let retainers = tiles.insert_pane(Tile::new(PaneKind::Retainers));
    let retainers_tabs = tiles.insert_tab_tile(vec![retainers]);
    let created = tiles.insert_pane(Tile::new(PaneKind::WhereCreated));
    let created_tabs = tiles.insert_tab_tile(vec![created]);
    let bottom = tiles.insert_container(Linear::new_binary(
        LinearDir::Horizontal,
        [retainers_tabs, created_tabs],
        0.72,
    ));
    let root = tiles.insert_container(Linear::new_binary(LinearDir::Vertical, [top, bottom], 0.64));
    Tree::new(egui::Id::unique(TREE_ID), root, tiles)
}

struct Behavior<'a, 'f> {
    panes: ActivePanes<'a>,
    bound: &'a mut HashMap<TileId, BoundPane>,
    statistics: &'a mut StatisticsPane,
    where_created: &'a mut WhereCreatedPane,
    /// The active snapshot's context.
    cx: TileContext<'f>,
    /// The last selection anywhere, for bound tiles.
    link: &'f Link,
}

impl Behavior<'_, '_> {
    fn doc_title(&self, doc: DocId) -> String {
        super::roles::find(self.cx.docs, doc)
            .map_or_else(|| "closed snapshot".to_owned(), |d| d.title.clone())
    }
}

/// The pane of the active snapshot showing `kind` (the Allocation view has two).
fn pane_mut<'p>(
    p: &'p mut ActivePanes<'_>,
    statistics: &'p mut StatisticsPane,
    where_created: &'p mut WhereCreatedPane,
    kind: PaneKind,
) -> Option<&'p mut dyn Pane> {
    Some(match kind {
        PaneKind::View(View::Findings) => p.findings,
        PaneKind::View(View::Summary) => p.summary,
        PaneKind::View(View::Comparison) => p.comparison,
        PaneKind::View(View::SideBySide) => p.side_by_side,
        PaneKind::View(View::Leaks) => p.leaks,
        PaneKind::View(View::Containment) => p.containment,
        PaneKind::View(View::Dominators) => p.dominators,
        PaneKind::View(View::Strings) => p.strings,
        PaneKind::View(View::RetainerGraph) => p.graph,
        PaneKind::Retainers => p.retainers,
        PaneKind::View(View::Statistics) => statistics,
        PaneKind::WhereCreated => where_created,
        PaneKind::View(View::Live) => p.live,
        // Allocation is drawn from two panes; a profile is never a tile.
        PaneKind::View(View::Allocation | View::Profile) => return None,
    })
}

impl egui_tiles::Behavior<Tile> for Behavior<'_, '_> {
    fn pane_ui(&mut self, ui: &mut Ui, tile_id: TileId, tile: &mut Tile) -> egui_tiles::UiResponse {
        egui::Frame::new()
            .inner_margin(egui::Margin::symmetric(6, 4))
            .show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                let Behavior {
                    panes,
                    bound,
                    statistics,
                    where_created,
                    cx,
                    link,
                } = self;
                if tile.bound.is_some()
                    && let Some(pane) = bound.get_mut(&tile_id)
                {
                    pane.follow(link, cx.docs);
                    pane.ui(ui, cx);
                } else if tile.kind == PaneKind::View(View::Allocation) {
                    super::panes::allocation::view_ui(
                        panes.allocation,
                        panes.summary,
                        ui,
                        &mut cx.pane(),
                    );
                } else if let Some(pane) = pane_mut(panes, statistics, where_created, tile.kind) {
                    pane.ui(ui, cx);
                }
            });
        egui_tiles::UiResponse::None
    }

    fn tab_title_for_pane(&mut self, tile: &Tile) -> egui::WidgetText {
        match tile.bound {
            Some(doc) => format!("{} \u{00B7} {}", tile.kind.title(), self.doc_title(doc)).into(),
            None => tile.kind.title().into(),
        }
    }

    fn tab_title_for_tile(&mut self, tiles: &Tiles<Tile>, tile_id: TileId) -> egui::WidgetText {
        match tiles.get(tile_id) {
            Some(egui_tiles::Tile::Pane(tile)) => self.tab_title_for_pane(tile),
            Some(egui_tiles::Tile::Container(_)) => {
                // A split: named by the snapshots its tiles are bound to, else their views.
                let mut docs = Vec::new();
                let mut kinds = Vec::new();
                for_each_pane(tiles, tile_id, &mut |_, t| {
                    if let Some(d) = t.bound
                        && !docs.contains(&d)
                    {
                        docs.push(d);
                    }
                    if !kinds.contains(&t.kind) {
                        kinds.push(t.kind);
                    }
                });
                let names: Vec<String> = if docs.is_empty() {
                    kinds.iter().map(|k| k.title().to_owned()).collect()
                } else {
                    docs.iter().map(|&d| self.doc_title(d)).collect()
                };
                names.join(" | ").into()
            }
            None => "".into(),
        }
    }

    fn is_tab_closable(&self, tiles: &Tiles<Tile>, tile_id: TileId) -> bool {
        // Only the tab in front shows its close button (fewer crosses to read past).
        tiles.parent_of(tile_id).is_none_or(|parent| {
            matches!(
                tiles.get(parent),
                Some(egui_tiles::Tile::Container(Container::Tabs(t))) if t.active == Some(tile_id)
            )
        })
    }

    fn on_tab_close(&mut self, tiles: &mut Tiles<Tile>, tile_id: TileId) -> bool {
        let bound = &mut self.bound;
        for_each_pane(tiles, tile_id, &mut |id, _| {
            bound.remove(&id);
        });
        true
    }

    fn on_tab_button(
        &mut self,
        tiles: &mut Tiles<Tile>,
        tile_id: TileId,
        button_response: egui::Response,
    ) -> egui::Response {
        if button_response.clicked()
            && let Some(egui_tiles::Tile::Pane(tile)) = tiles.get(tile_id)
            && tile.bound.is_none()
            && let Some(view) = tile.kind.view()
        {
            self.cx.commands.push(Command::SetView(view));
        }
        match tiles.get(tile_id) {
            Some(egui_tiles::Tile::Pane(tile)) => {
                match tile.kind.view().and_then(super::palette::view_shortcut) {
                    Some(shortcut) => {
                        let text = button_response.ctx.format_shortcut(&shortcut);
                        button_response.on_hover_text(text)
                    }
                    None => button_response,
                }
            }
            _ => button_response,
        }
    }

    fn top_bar_right_ui(
        &mut self,
        tiles: &Tiles<Tile>,
        ui: &mut Ui,
        _tile_id: TileId,
        tabs: &egui_tiles::Tabs,
        _scroll_offset: &mut f32,
    ) {
        let Some(active) = tabs.active else {
            return;
        };
        let Some(egui_tiles::Tile::Pane(tile)) = tiles.get(active) else {
            return;
        };
        if !tile.kind.bindable() || self.cx.docs.all().len() < 2 {
            return;
        }
        let shown = match tile.bound {
            Some(doc) => self.doc_title(doc),
            None => ACTIVE_SNAPSHOT.to_owned(),
        };
        let mut chosen = None;
        let combo = egui::ComboBox::from_id_salt(("bind_tile", active))
            .selected_text(RichText::new(shown).small())
            .width(140.0)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(tile.bound.is_none(), ACTIVE_SNAPSHOT)
                    .on_hover_text("Show whichever snapshot is active")
                    .clicked()
                {
                    chosen = Some(None);
                }
                for doc in self.cx.docs.all() {
                    if ui
                        .selectable_label(tile.bound == Some(doc.id), &doc.title)
                        .on_hover_text(doc.source.display_name())
                        .clicked()
                    {
                        chosen = Some(Some(doc.id));
                    }
                }
            });
        combo.response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::ComboBox, true, TILE_SNAPSHOT_LABEL)
        });
        combo.response.on_hover_text(
            "The snapshot this tile shows: bind it to one to compare two side by side",
        );
        if let Some(doc) = chosen {
            self.cx
                .commands
                .push(Command::BindTile { tile: active, doc });
        }
    }

    fn simplification_options(&self) -> SimplificationOptions {
        SimplificationOptions {
            all_panes_must_have_tabs: true,
            ..SimplificationOptions::default()
        }
    }

    fn preview_dragged_panes(&self) -> bool {
        false
    }

    fn tab_bar_color(&self, visuals: &egui::Visuals) -> egui::Color32 {
        visuals.faint_bg_color
    }
}

/// The snapshot box's entry for "the active snapshot".
pub const ACTIVE_SNAPSHOT: &str = "Active snapshot";

/// The accessible name of a tile's snapshot box.
pub const TILE_SNAPSHOT_LABEL: &str = "Snapshot of this tile";

/// Calls `f` with every pane tile under `id` (itself, if it is one).
fn for_each_pane(tiles: &Tiles<Tile>, id: TileId, f: &mut impl FnMut(TileId, &Tile)) {
    match tiles.get(id) {
        Some(egui_tiles::Tile::Pane(t)) => f(id, t),
        Some(egui_tiles::Tile::Container(c)) => {
            for &child in c.children() {
                for_each_pane(tiles, child, f);
            }
        }
        None => {}
    }
}
