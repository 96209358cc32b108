//! A virtualized tree table: an expandable tree flattened into rows for
//! `egui_extras::TableBody::rows`, so a frame only lays out the rows on screen.
//!
//! # Model
//! A pane implements [`TreeModel`]: the (sorted) children of an item, or of the invisible
//! root. Items are small `Copy` handles (a class index, a `NodeIdx`, an `EdgeIdx`), unique
//! among the children of one parent. Heap graphs are not trees (a node appears under many
//! parents, retainer chains have cycles), so expansion is tracked per *position*: an arena of
//! open tree nodes, each knowing its parent and its index in the parent's child list.
//!
//! # Flattening
//! The visible rows are a list of [`Segment`]s, runs of consecutive children of one parent
//! (a million instances of a class are one segment). Row `i` is found by binary search over
//! the segments' start rows. The segment list is rebuilt only when expansion, sorting or
//! the model changes, in O(open nodes), never O(children).
//!
//! # Background work
//! Child lists longer than [`INLINE_LIMIT`] are computed and sorted on a rayon worker; until
//! they arrive the tree shows the previous list (when re-sorting) or a "Loading…" row. Finding
//! an item in such a list (to reveal a selection) is also a worker job.

use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::Arc;

use egui::{Align, Layout, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use crate::app::jobs::{Poll, Promise};
use crate::app::theme::{self, Theme};

/// Child lists up to this length are built on the UI thread; longer ones on a worker.
pub const INLINE_LIMIT: usize = 20_000;

/// What a tree pane shows: children of items, sorted.
pub trait TreeModel: Send + Sync + 'static {
    /// A row's handle; unique among the children of one parent.
    type Item: Copy + Eq + Hash + Send + Sync + std::fmt::Debug + 'static;
    /// The sort order the children are requested in.
    type Sort: Copy + PartialEq + Send + Sync + std::fmt::Debug + 'static;

    /// The children of `parent` (`None` = the top level), sorted by `sort`.
    /// Runs on a worker when [`TreeModel::child_count`] exceeds [`INLINE_LIMIT`].
    fn children(&self, parent: Option<Self::Item>, sort: Self::Sort) -> Vec<Self::Item>;

    /// The number of children (an upper bound is fine); must be cheap.
    fn child_count(&self, parent: Option<Self::Item>) -> usize;

    /// True when the item can be expanded.
    fn has_children(&self, item: Self::Item) -> bool;
}

/// Identifies a row by position: child `index` of the open tree node `parent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RowKey {
    parent: u32,
    index: u32,
}

/// One visible row.
#[derive(Clone, Copy, Debug)]
pub struct RowRef<I> {
    /// Nesting level, 0 for top-level rows.
    pub depth: u32,
    /// The item, or `None` for a "Loading…" placeholder.
    pub item: Option<I>,
    /// Position of the row (None for placeholders).
    pub key: Option<RowKey>,
    /// True when the item is expanded.
    pub open: bool,
    /// True when the item can be expanded.
    pub has_children: bool,
}

/// A run of consecutive rows: children `start..start + len` of `parent`, or one placeholder.
#[derive(Clone, Copy, Debug)]
struct Segment {
    parent: u32,
    start: u32,
    len: u32,
    placeholder: bool,
}

impl Segment {
    fn rows(&self) -> usize {
        if self.placeholder {
            1
        } else {
            self.len as usize
        }
    }
}

/// The result of fetching a child list: the list, and where the items that were open (or
/// under the cursor) when the fetch started ended up in it.
struct Fetched<I> {
    list: Arc<[I]>,
    tracked: Vec<I>,
    positions: Vec<Option<u32>>,
}

/// An open position in the tree (the root is arena slot 0).
struct OpenNode<I: 'static> {
    item: Option<I>,
    parent: u32,
    index: u32,
    depth: u32,
    children: Option<Arc<[I]>>,
    pending: Option<Promise<Fetched<I>>>,
    /// The children must be fetched again (sort or model changed).
    stale: bool,
    /// Open children: child index -> arena slot.
    open: BTreeMap<u32, u32>,
}

/// The keyboard cursor: a row position and the item there (to follow it across re-sorts).
#[derive(Clone, Copy, Debug)]
struct Cursor<I> {
    key: RowKey,
    item: I,
}

/// A pending "reveal this path" request (e.g. select a node that another pane picked).
struct Reveal<I: 'static> {
    path: Vec<I>,
    step: usize,
    node: u32,
    search: Option<Promise<Option<u32>>>,
}

/// What happened in the table this frame.
#[derive(Debug)]
pub struct TreeResponse<I> {
    /// A row was clicked (not on its expander): the pane usually selects its item.
    pub clicked: Option<I>,
    /// Enter was pressed on the cursor row.
    pub activated: Option<I>,
    /// Ctrl+C was pressed on the cursor row.
    pub copy: Option<I>,
    /// The table was clicked or scrolled (the pane takes keyboard focus).
    pub interacted: bool,
    /// The visible rows' responses (for context menus: `response.context_menu(…)`).
    pub rows: Vec<(I, egui::Response)>,
}

impl<I> Default for TreeResponse<I> {
    fn default() -> Self {
        Self {
            clicked: None,
            activated: None,
            copy: None,
            interacted: false,
            rows: Vec::new(),
        }
    }
}

/// The tree state and its flattened rows.
pub struct TreeTable<M: TreeModel> {
    model: Arc<M>,
    sort: M::Sort,
    nodes: Vec<Option<OpenNode<M::Item>>>,
    free: Vec<u32>,
    segments: Vec<Segment>,
    segment_start: Vec<usize>,
    row_count: usize,
    dirty: bool,
    cursor: Option<Cursor<M::Item>>,
    scroll_to_cursor: bool,
    /// Centre the cursor row when scrolling to it (after a reveal).
    scroll_center: bool,
    reveal: Option<Reveal<M::Item>>,
    /// Narrower than this, the table scrolls sideways (its columns' least widths summed).
    min_width: f32,
}

const ROOT: u32 = 0;

impl<M: TreeModel> TreeTable<M> {
    /// A tree over `model`, sorted by `sort`, with nothing expanded.
    pub fn new(model: Arc<M>, sort: M::Sort) -> Self {
        Self {
            model,
            sort,
            nodes: vec![Some(OpenNode {
                item: None,
                parent: ROOT,
                index: 0,
                depth: 0,
                children: None,
                pending: None,
                stale: false,
                open: BTreeMap::new(),
            })],
            free: Vec::new(),
            segments: Vec::new(),
            segment_start: Vec::new(),
            row_count: 0,
            dirty: true,
            cursor: None,
            scroll_to_cursor: false,
            scroll_center: false,
            min_width: 0.0,
            reveal: None,
        }
    }

    /// The model.
    pub fn model(&self) -> &Arc<M> {
        &self.model
    }

    /// The current sort order.
    pub fn sort(&self) -> M::Sort {
        self.sort
    }

    /// Re-sorts every open list (big lists on workers; the old order shows meanwhile).
    pub fn set_sort(&mut self, sort: M::Sort) {
        if sort != self.sort {
            self.sort = sort;
            for node in self.nodes.iter_mut().flatten() {
                node.pending = None;
                node.children_stale();
            }
        }
    }

    /// Replaces the model; `top_level_only` re-fetches just the top level (e.g. a filter that
    /// only applies to top-level rows), otherwise every open list is re-fetched.
    pub fn set_model(&mut self, model: Arc<M>, top_level_only: bool) {
        self.model = model;
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(node) = node
                && (!top_level_only || i == ROOT as usize)
            {
                node.pending = None;
                node.children_stale();
            }
        }
    }

    /// Number of visible rows (valid after [`TreeTable::poll`]).
    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// True while a child list or a reveal is being computed.
    pub fn is_busy(&self) -> bool {
        self.reveal.is_some()
            || self
                .nodes
                .iter()
                .flatten()
                .any(|n| n.pending.is_some() || n.children.is_none() || n.stale)
    }

    /// Visible row `i`.
    pub fn row(&self, i: usize) -> Option<RowRef<M::Item>> {
        let s = self
            .segment_start
            .partition_point(|&start| start <= i)
            .checked_sub(1)?;
        let seg = self.segments.get(s)?;
        let node = self.node(seg.parent)?;
        if seg.placeholder {
            return Some(RowRef {
                depth: node.depth,
                item: None,
                key: None,
                open: false,
                has_children: false,
            });
        }
        let index = seg.start + (i - self.segment_start[s]) as u32;
        let item = *node.children.as_ref()?.get(index as usize)?;
        Some(RowRef {
            depth: node.depth,
            item: Some(item),
            key: Some(RowKey {
                parent: seg.parent,
                index,
            }),
            open: node.open.contains_key(&index),
            has_children: self.model.has_children(item),
        })
    }

    /// The items from the top level down to the row at `key` (inclusive).
    pub fn path(&self, key: RowKey) -> Vec<M::Item> {
        let mut path = Vec::new();
        if let Some(item) = self.item_at(key) {
            path.push(item);
        }
        let mut id = key.parent;
        while id != ROOT {
            let Some(node) = self.node(id) else { break };
            if let Some(item) = node.item {
                path.push(item);
            }
            id = node.parent;
        }
        path.reverse();
        path
    }

    /// The item at a row position.
    pub fn item_at(&self, key: RowKey) -> Option<M::Item> {
        self.node(key.parent)?
            .children
            .as_ref()?
            .get(key.index as usize)
            .copied()
    }

    /// The top-level items (empty until the first fetch is done).
    pub fn top_level(&self) -> &[M::Item] {
        self.node(ROOT)
            .and_then(|n| n.children.as_deref())
            .unwrap_or(&[])
    }

    /// The arena slot of the open row `key` (None = the root).
    fn slot_of(&self, key: Option<RowKey>) -> Option<u32> {
        match key {
            None => Some(ROOT),
            Some(k) => self.node(k.parent)?.open.get(&k.index).copied(),
        }
    }

    /// The children of the open row `key` (None = the top level), once fetched.
    pub fn children_of(&self, key: Option<RowKey>) -> Option<&[M::Item]> {
        self.node(self.slot_of(key)?)?.children.as_deref()
    }

    /// The position of child `index` of the open row `key` (None = the top level).
    pub fn child_key(&self, key: Option<RowKey>, index: u32) -> Option<RowKey> {
        Some(RowKey {
            parent: self.slot_of(key)?,
            index,
        })
    }

    /// Expands or collapses the row at `key`.
    pub fn toggle(&mut self, key: RowKey) {
        if self.is_open(key) {
            self.collapse(key);
        } else {
            self.expand(key);
        }
    }

    /// True when the row at `key` is expanded.
    pub fn is_open(&self, key: RowKey) -> bool {
        self.node(key.parent)
            .is_some_and(|n| n.open.contains_key(&key.index))
    }

    /// Expands the row at `key` (its children are fetched on the next [`TreeTable::poll`]).
    /// Returns the open node's slot.
    fn open_slot(&mut self, key: RowKey) -> Option<u32> {
        if let Some(&id) = self.node(key.parent)?.open.get(&key.index) {
            return Some(id);
        }
        let item = self.item_at(key)?;
        if !self.model.has_children(item) {
            return None;
        }
        let depth = self.node(key.parent)?.depth + 1;
        let node = OpenNode {
            item: Some(item),
            parent: key.parent,
            index: key.index,
            depth,
            children: None,
            pending: None,
            stale: false,
            open: BTreeMap::new(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = Some(node);
                id
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as u32
            }
        };
        self.node_mut(key.parent)?.open.insert(key.index, id);
        self.dirty = true;
        Some(id)
    }

    /// Expands the row at `key`.
    pub fn expand(&mut self, key: RowKey) {
        self.open_slot(key);
    }

    /// Collapses the row at `key` (and forgets what was open below it).
    pub fn collapse(&mut self, key: RowKey) {
        let Some(id) = self
            .node_mut(key.parent)
            .and_then(|n| n.open.remove(&key.index))
        else {
            return;
        };
        self.free_subtree(id);
        // A cursor inside the collapsed subtree moves up to the collapsed row.
        if let Some(cursor) = self.cursor
            && !self.is_visible(cursor.key)
        {
            self.set_cursor(Some(key));
        }
        self.dirty = true;
    }

    /// Collapses everything and forgets the cursor.
    pub fn collapse_all(&mut self) {
        let open: Vec<u32> = self
            .node_mut(ROOT)
            .map(|n| std::mem::take(&mut n.open).into_values().collect())
            .unwrap_or_default();
        for id in open {
            self.free_subtree(id);
        }
        self.cursor = None;
        self.reveal = None;
        self.dirty = true;
    }

    /// The row under the keyboard cursor.
    pub fn cursor(&self) -> Option<RowKey> {
        self.cursor.map(|c| c.key)
    }

    /// The item under the keyboard cursor.
    pub fn cursor_item(&self) -> Option<M::Item> {
        self.cursor.map(|c| c.item)
    }

    /// Moves the keyboard cursor.
    pub fn set_cursor(&mut self, key: Option<RowKey>) {
        self.cursor = key.and_then(|key| {
            Some(Cursor {
                key,
                item: self.item_at(key)?,
            })
        });
    }

    /// Opens the rows along `path` (top-level item first) and puts the cursor on the last
    /// one, scrolling it into view. Lists are fetched and searched on workers as needed.
    pub fn reveal(&mut self, path: Vec<M::Item>) {
        self.reveal = (!path.is_empty()).then_some(Reveal {
            path,
            step: 0,
            node: ROOT,
            search: None,
        });
    }

    /// Collects finished jobs, starts the fetches expansion asked for, advances a reveal and
    /// rebuilds the rows if needed. Call once per frame before drawing.
    pub fn poll(&mut self, ctx: &egui::Context) {
        for id in 0..self.nodes.len() as u32 {
            let Some(node) = self.node_mut(id) else {
                continue;
            };
            if let Some(promise) = node.pending.as_mut() {
                match promise.try_take() {
                    Poll::Pending => {}
                    Poll::Ready(fetched) => {
                        node.pending = None;
                        self.apply_fetch(id, fetched);
                    }
                    Poll::Lost => {
                        node.pending = None;
                        node.children = Some(Arc::from(Vec::new()));
                        self.dirty = true;
                    }
                }
            } else if node.children.is_none() || node.stale() {
                self.fetch(id, ctx);
            }
        }
        self.poll_reveal(ctx);
        if self.dirty {
            self.rebuild();
        }
    }

    fn fetch(&mut self, id: u32, ctx: &egui::Context) {
        let tracked = self.tracked_items(id);
        let Some(node) = self.node_mut(id) else {
            return;
        };
        node.clear_stale();
        let parent = node.item;
        let model = Arc::clone(&self.model);
        let sort = self.sort;
        if model.child_count(parent) <= INLINE_LIMIT {
            let list: Arc<[M::Item]> = model.children(parent, sort).into();
            let positions = positions_of(&list, &tracked);
            self.apply_fetch(
                id,
                Fetched {
                    list,
                    tracked,
                    positions,
                },
            );
        } else {
            let promise = Promise::spawn("tree children", ctx, move || {
                let list: Arc<[M::Item]> = model.children(parent, sort).into();
                let positions = positions_of(&list, &tracked);
                Fetched {
                    list,
                    tracked,
                    positions,
                }
            });
            if let Some(node) = self.node_mut(id) {
                node.pending = Some(promise);
            }
        }
    }

    /// Items whose position must survive a re-fetch of `id`'s children.
    fn tracked_items(&self, id: u32) -> Vec<M::Item> {
        let Some(node) = self.node(id) else {
            return Vec::new();
        };
        let mut tracked: Vec<M::Item> = node
            .open
            .values()
            .filter_map(|&c| self.node(c).and_then(|c| c.item))
            .collect();
        if let Some(cursor) = self.cursor
            && cursor.key.parent == id
        {
            tracked.push(cursor.item);
        }
        tracked
    }

    fn apply_fetch(&mut self, id: u32, fetched: Fetched<M::Item>) {
        let Fetched {
            list,
            tracked,
            positions,
        } = fetched;
        let new_index = |item: M::Item| -> Option<u32> {
            if let Some(k) = tracked.iter().position(|t| *t == item) {
                return positions[k];
            }
            // Opened after the fetch started: look it up here if that is cheap.
            if list.len() <= INLINE_LIMIT {
                list.iter().position(|t| *t == item).map(|p| p as u32)
            } else {
                None
            }
        };
        let old_open = self
            .node_mut(id)
            .map(|n| std::mem::take(&mut n.open))
            .unwrap_or_default();
        let mut open = BTreeMap::new();
        for (_, child) in old_open {
            match self.node(child).and_then(|c| c.item).and_then(new_index) {
                Some(p) => {
                    if let Some(c) = self.node_mut(child) {
                        c.index = p;
                    }
                    open.insert(p, child);
                }
                None => self.free_subtree(child),
            }
        }
        if let Some(cursor) = self.cursor
            && cursor.key.parent == id
        {
            self.cursor = new_index(cursor.item).map(|index| Cursor {
                key: RowKey { parent: id, index },
                item: cursor.item,
            });
        }
        if let Some(node) = self.node_mut(id) {
            node.open = open;
            node.children = Some(list);
        }
        self.dirty = true;
    }

    fn poll_reveal(&mut self, ctx: &egui::Context) {
        while let Some(mut reveal) = self.reveal.take() {
            let Some(children) = self.node(reveal.node).and_then(|n| n.children.clone()) else {
                if self.node(reveal.node).is_some() {
                    self.reveal = Some(reveal); // wait for the list
                }
                return;
            };
            let target = reveal.path[reveal.step];
            let index = if let Some(search) = reveal.search.as_mut() {
                match search.try_take() {
                    Poll::Pending => {
                        self.reveal = Some(reveal);
                        return;
                    }
                    Poll::Ready(found) => found,
                    Poll::Lost => None,
                }
            } else if children.len() <= INLINE_LIMIT {
                children.iter().position(|c| *c == target).map(|p| p as u32)
            } else {
                reveal.search = Some(Promise::spawn("find row", ctx, move || {
                    children.iter().position(|c| *c == target).map(|p| p as u32)
                }));
                self.reveal = Some(reveal);
                return;
            };
            let Some(index) = index else {
                return; // not in the tree (filtered out): give up
            };
            let key = RowKey {
                parent: reveal.node,
                index,
            };
            if reveal.step + 1 == reveal.path.len() {
                self.set_cursor(Some(key));
                self.scroll_to_cursor = true;
                self.scroll_center = true;
                self.dirty = true;
                return;
            }
            let Some(child) = self.open_slot(key) else {
                return;
            };
            reveal.node = child;
            reveal.step += 1;
            reveal.search = None;
            self.reveal = Some(reveal);
            if self.node(child).is_some_and(|n| n.children.is_none()) {
                self.fetch(child, ctx);
            }
        }
    }

    fn rebuild(&mut self) {
        self.segments.clear();
        self.segment_start.clear();
        self.row_count = 0;
        self.flatten(ROOT);
        self.dirty = false;
    }

    fn flatten(&mut self, id: u32) {
        let Some(node) = self.node(id) else { return };
        let Some(len) = node.children.as_ref().map(|c| c.len() as u32) else {
            self.push_segment(Segment {
                parent: id,
                start: 0,
                len: 0,
                placeholder: true,
            });
            return;
        };
        let open: Vec<(u32, u32)> = node.open.iter().map(|(&i, &c)| (i, c)).collect();
        let mut next = 0u32;
        for (index, child) in open {
            if index >= len {
                continue;
            }
            if index > next {
                self.push_segment(Segment {
                    parent: id,
                    start: next,
                    len: index - next,
                    placeholder: false,
                });
            }
            self.push_segment(Segment {
                parent: id,
                start: index,
                len: 1,
                placeholder: false,
            });
            self.flatten(child);
            next = index + 1;
        }
        if next < len {
            self.push_segment(Segment {
                parent: id,
                start: next,
                len: len - next,
                placeholder: false,
            });
        }
    }

    fn push_segment(&mut self, seg: Segment) {
        self.segment_start.push(self.row_count);
        self.row_count += seg.rows();
        self.segments.push(seg);
    }

    /// The visible row index of `key`, if it is visible.
    pub fn row_of(&self, key: RowKey) -> Option<usize> {
        self.segments
            .iter()
            .zip(&self.segment_start)
            .find(|(s, _)| {
                !s.placeholder
                    && s.parent == key.parent
                    && (s.start..s.start + s.len).contains(&key.index)
            })
            .map(|(s, &start)| start + (key.index - s.start) as usize)
    }

    fn is_visible(&self, key: RowKey) -> bool {
        let mut id = key.parent;
        while id != ROOT {
            let Some(node) = self.node(id) else {
                return false;
            };
            id = node.parent;
        }
        self.item_at(key).is_some()
    }

    fn free_subtree(&mut self, id: u32) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if let Some(node) = self.nodes.get_mut(id as usize).and_then(Option::take) {
                stack.extend(node.open.into_values());
                self.free.push(id);
            }
        }
    }

    fn node(&self, id: u32) -> Option<&OpenNode<M::Item>> {
        self.nodes.get(id as usize)?.as_ref()
    }

    fn node_mut(&mut self, id: u32) -> Option<&mut OpenNode<M::Item>> {
        self.nodes.get_mut(id as usize)?.as_mut()
    }

    /// Handles the navigation keys on the cursor row: up/down move, right expands (or enters
    /// the first child), left collapses (or goes to the parent), Home/End jump, Enter
    /// activates, Ctrl+C copies.
    fn keyboard(&mut self, ui: &Ui, response: &mut TreeResponse<M::Item>) {
        use egui::Key;
        let (up, down, left, right, enter, home, end, page_up, page_down, copy) = ui.input(|i| {
            (
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::ArrowDown),
                i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::ArrowRight),
                i.key_pressed(Key::Enter),
                i.key_pressed(Key::Home),
                i.key_pressed(Key::End),
                i.key_pressed(Key::PageUp),
                i.key_pressed(Key::PageDown),
                i.events.iter().any(|e| {
                    matches!(e, egui::Event::Copy)
                        || matches!(e, egui::Event::Key { key: Key::C, pressed: true, modifiers, .. } if modifiers.command)
                }),
            )
        });
        let current = self.cursor.and_then(|c| self.row_of(c.key));
        let last = self.row_count.saturating_sub(1);
        let page = 20;
        let target = if up {
            Some(current.map_or(0, |r| r.saturating_sub(1)))
        } else if down {
            Some(current.map_or(0, |r| (r + 1).min(last)))
        } else if page_up {
            Some(current.map_or(0, |r| r.saturating_sub(page)))
        } else if page_down {
            Some(current.map_or(0, |r| (r + page).min(last)))
        } else if home {
            Some(0)
        } else if end {
            Some(last)
        } else {
            None
        };
        if let Some(row) = target {
            // Skip "Loading…" placeholders in the direction of travel.
            let mut r = row;
            while let Some(rr) = self.row(r) {
                if rr.key.is_some() {
                    break;
                }
                r = if up || page_up {
                    r.saturating_sub(1)
                } else {
                    r + 1
                };
                if r == 0 || r > last {
                    break;
                }
            }
            if let Some(key) = self.row(r).and_then(|rr| rr.key) {
                self.set_cursor(Some(key));
                self.scroll_to_cursor = true;
            }
        }
        let Some(cursor) = self.cursor else { return };
        if right {
            if self.is_open(cursor.key) {
                if let Some(next) = self
                    .row_of(cursor.key)
                    .and_then(|r| self.row(r + 1))
                    .and_then(|r| r.key)
                {
                    self.set_cursor(Some(next));
                    self.scroll_to_cursor = true;
                }
            } else {
                self.expand(cursor.key);
            }
        }
        if left {
            if self.is_open(cursor.key) {
                self.collapse(cursor.key);
            } else if cursor.key.parent != ROOT
                && let Some(parent) = self.node(cursor.key.parent)
            {
                let key = RowKey {
                    parent: parent.parent,
                    index: parent.index,
                };
                self.set_cursor(Some(key));
                self.scroll_to_cursor = true;
            }
        }
        if enter {
            response.activated = Some(cursor.item);
        }
        if copy {
            response.copy = Some(cursor.item);
        }
        if self.dirty {
            self.rebuild();
        }
    }

    /// Draws the table: `header(ui, column)` for each header cell, `cell(ui, row, column)`
    /// for each visible cell (column 0 comes after the indentation and the expander).
    /// `selected(item)` highlights rows; `keyboard` lets this table take the navigation keys.
    #[allow(clippy::too_many_arguments)]
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        id_salt: &str,
        columns: &[Column],
        keyboard: bool,
        header: impl FnMut(&mut Ui, usize),
        cell: impl FnMut(&mut Ui, &RowRef<M::Item>, usize),
        selected: impl Fn(M::Item) -> bool,
    ) -> TreeResponse<M::Item> {
        if ui.available_width() >= self.min_width {
            return self.table_ui(ui, id_salt, columns, keyboard, header, cell, selected);
        }
        // In a tile narrower than the columns, the table scrolls sideways instead of hiding
        // its right-hand columns.
        let width = self.min_width;
        egui::ScrollArea::horizontal()
            .id_salt((id_salt, "sideways"))
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.set_width(width);
                self.table_ui(ui, id_salt, columns, keyboard, header, cell, selected)
            })
            .inner
    }

    /// Below `width` points the table scrolls sideways rather than cut its last columns.
    pub fn set_min_width(&mut self, width: f32) {
        self.min_width = width;
    }

    #[allow(clippy::too_many_arguments)]
    fn table_ui(
        &mut self,
        ui: &mut Ui,
        id_salt: &str,
        columns: &[Column],
        keyboard: bool,
        mut header: impl FnMut(&mut Ui, usize),
        mut cell: impl FnMut(&mut Ui, &RowRef<M::Item>, usize),
        selected: impl Fn(M::Item) -> bool,
    ) -> TreeResponse<M::Item> {
        let mut response = TreeResponse::default();
        if keyboard && !ui.ctx().egui_wants_keyboard_input() {
            self.keyboard(ui, &mut response);
        }
        let theme = Theme::of(ui);
        let mut builder = TableBuilder::new(ui)
            .id_salt(id_salt)
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            // Jumps (keys, reveals) land at once: no animation to catch half-way.
            .animate_scrolling(false)
            .cell_layout(Layout::left_to_right(Align::Center));
        for c in columns {
            builder = builder.column(*c);
        }
        let center = std::mem::take(&mut self.scroll_center);
        if std::mem::take(&mut self.scroll_to_cursor)
            && let Some(row) = self.cursor.and_then(|c| self.row_of(c.key))
        {
            // A revealed row is centred (context around it); keyboard moves scroll minimally.
            builder = builder.scroll_to_row(row, center.then_some(Align::Center));
        }
        let cursor_key = self.cursor.map(|c| c.key);
        let mut toggled: Option<RowKey> = None;
        let mut clicked: Option<RowKey> = None;
        let mut row_responses = Vec::new();
        let table = builder.header(theme::HEADER_HEIGHT, |mut row| {
            for c in 0..columns.len() {
                row.col(|ui| header(ui, c));
            }
        });
        let output = table.body(|mut body| {
            body.ui_mut().style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            let painter = body.ui_mut().painter().clone();
            body.rows(theme::ROW_HEIGHT, self.row_count, |mut row| {
                let Some(info) = self.row(row.index()) else {
                    return;
                };
                row.set_selected(info.item.is_some_and(&selected));
                let mut expander_clicked = false;
                for c in 0..columns.len() {
                    row.col(|ui| {
                        if c == 0 {
                            ui.add_space(info.depth as f32 * theme::INDENT);
                            if expander_ui(ui, &info, &theme) {
                                expander_clicked = true;
                            }
                        }
                        cell(ui, &info, c);
                    });
                }
                let r = row.response();
                if let Some(item) = info.item {
                    row_responses.push((item, r.clone()));
                }
                if let Some(key) = info.key {
                    if expander_clicked || r.double_clicked() {
                        toggled = Some(key);
                    } else if r.clicked() {
                        clicked = Some(key);
                    }
                    if cursor_key == Some(key) && keyboard {
                        painter.rect_stroke(
                            r.rect.shrink(0.5),
                            0.0,
                            egui::Stroke::new(1.0, theme.cursor_stroke),
                            egui::StrokeKind::Inside,
                        );
                    }
                }
            });
        });
        if output.inner_rect.width() > 0.0
            && ui.rect_contains_pointer(output.inner_rect)
            && ui.input(|i| i.pointer.any_pressed() || i.smooth_scroll_delta.y != 0.0)
        {
            response.interacted = true;
        }
        response.rows = row_responses;
        if let Some(key) = toggled {
            self.set_cursor(Some(key));
            self.toggle(key);
            response.interacted = true;
        }
        if let Some(key) = clicked {
            self.set_cursor(Some(key));
            response.clicked = self.item_at(key);
            response.interacted = true;
        }
        if self.dirty {
            self.rebuild();
        }
        response
    }
}

impl<I> OpenNode<I> {
    /// Marks the children for re-fetch while keeping the current list on screen.
    fn children_stale(&mut self) {
        self.pending = None;
        self.stale = true;
    }

    fn stale(&self) -> bool {
        self.stale
    }

    fn clear_stale(&mut self) {
        self.stale = false;
    }
}

/// Positions of `tracked` items in `list` (one pass; `tracked` is short).
fn positions_of<I: PartialEq>(list: &[I], tracked: &[I]) -> Vec<Option<u32>> {
    let mut positions = vec![None; tracked.len()];
    if tracked.is_empty() {
        return positions;
    }
    let mut found = 0;
    for (p, item) in list.iter().enumerate() {
        if let Some(k) = tracked.iter().position(|t| t == item)
            && positions[k].is_none()
        {
            positions[k] = Some(p as u32);
            found += 1;
            if found == tracked.len() {
                break;
            }
        }
    }
    positions
}

/// Draws the expand/collapse triangle (or its space); true when it was clicked.
fn expander_ui<I>(ui: &mut Ui, row: &RowRef<I>, theme: &Theme) -> bool {
    let size = egui::vec2(theme::EXPANDER_WIDTH, theme::ROW_HEIGHT);
    if !row.has_children {
        ui.add_space(size.x);
        return false;
    }
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    let color = if response.hovered() {
        ui.visuals().strong_text_color()
    } else {
        theme.weak_text
    };
    let c = rect.center();
    let r = 4.0;
    let points = if row.open {
        vec![
            egui::pos2(c.x - r, c.y - r * 0.5),
            egui::pos2(c.x + r, c.y - r * 0.5),
            egui::pos2(c.x, c.y + r * 0.7),
        ]
    } else {
        vec![
            egui::pos2(c.x - r * 0.5, c.y - r),
            egui::pos2(c.x + r * 0.7, c.y),
            egui::pos2(c.x - r * 0.5, c.y + r),
        ]
    };
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
    response.clicked()
}
