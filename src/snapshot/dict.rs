//! Dictionary-coded columns: values with few distinct entries (class names, allocation
//! locations) stored as 2-byte codes into a table of the distinct values.
//!
//! - [`Codes`]: a `u32` per entry in 2 bytes while every code fits (`u16`), else 4.
//! - [`ClassIndex`]: each node's class-name string index (DevTools' `classIndex`), one code
//!   per node into the table of distinct names: a few hundred in a Node.js heap, so 2 bytes
//!   a node instead of 4.
//! - [`Locations`]: the nodes with an allocation location, sorted, each with a code into the
//!   table of distinct locations (1 921 distinct among 3.7 M in the 1.1 GB benchmark file):
//!   6 bytes an entry instead of 16.

use super::aggregate::Location;
use super::column::Column;

/// `u32` codes, 2 bytes each while every code is below 65 536.
#[derive(Clone, Debug)]
pub(crate) enum Codes {
    /// Every code fits a `u16`.
    Narrow(Column<u16>),
    /// Any code.
    Wide(Column<u32>),
}

impl Default for Codes {
    fn default() -> Self {
        Self::Narrow(Column::default())
    }
}

impl Codes {
    /// Packs `codes`, all below `distinct`.
    fn pack(distinct: usize, codes: impl ExactSizeIterator<Item = u32>) -> Self {
        if distinct <= usize::from(u16::MAX) + 1 {
            Self::Narrow(codes.map(|c| c as u16).collect::<Vec<u16>>().into())
        } else {
            Self::Wide(codes.collect::<Vec<u32>>().into())
        }
    }

    /// Code `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Self::Narrow(c) => u32::from(c[i]),
            Self::Wide(c) => c[i],
        }
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        match self {
            Self::Narrow(c) => c.len(),
            Self::Wide(c) => c.len(),
        }
    }

    /// The codes' bytes (owned or mapped) and whether they are the 2-byte form.
    pub(crate) fn bytes(&self) -> (&[u8], bool) {
        match self {
            Self::Narrow(c) => (bytemuck::cast_slice(c), true),
            Self::Wide(c) => (bytemuck::cast_slice(c), false),
        }
    }

    /// Memory held (owned capacity plus mapped length).
    pub(crate) fn heap_bytes(&self) -> u64 {
        match self {
            Self::Narrow(c) => c.held_bytes(),
            Self::Wide(c) => c.held_bytes(),
        }
    }
}

/// Assigns codes to values in first-seen order: `(codes, distinct values)`.
fn encode<T: Copy + Eq + std::hash::Hash>(values: impl Iterator<Item = T>) -> (Vec<u32>, Vec<T>) {
    let mut table: Vec<T> = Vec::new();
    let mut code_of: foldhash::HashMap<T, u32> = foldhash::HashMap::default();
    let mut last: Option<(T, u32)> = None;
    let codes = values
        .map(|v| {
            // Runs of one value are common (a module's many closures, a class's instances).
            if let Some((lv, lc)) = last
                && lv == v
            {
                return lc;
            }
            let c = *code_of.entry(v).or_insert_with(|| {
                table.push(v);
                (table.len() - 1) as u32
            });
            last = Some((v, c));
            c
        })
        .collect();
    (codes, table)
}

/// Each node's class-name string index, dictionary-coded (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct ClassIndex {
    /// The code of each node.
    pub codes: Codes,
    /// The string index of each code.
    pub names: Vec<u32>,
}

impl ClassIndex {
    /// Codes `class_index` (one string index per node).
    #[cfg(test)]
    pub fn from_indexes(class_index: &[u32]) -> Self {
        let mut builder = ClassIndexBuilder::with_capacity(class_index.len());
        for &i in class_index {
            builder.push(i);
        }
        builder.finish()
    }

    /// The class-name string index of node `n`.
    #[inline]
    pub fn get(&self, n: usize) -> u32 {
        self.names[self.codes.get(n) as usize]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Every node's string index, as one `u32` per node.
    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<u32> {
        (0..self.len()).map(|n| self.get(n)).collect()
    }

    /// Memory held.
    pub fn heap_bytes(&self) -> u64 {
        self.codes.heap_bytes() + (self.names.capacity() * 4) as u64
    }
}

/// Builds a [`ClassIndex`] node by node, coding as it goes: no per-node table of string
/// indexes (4 bytes a node) is ever held, so the class names can be computed beside the
/// dominator pass's peak.
#[derive(Debug, Default)]
pub(crate) struct ClassIndexBuilder {
    /// The codes so far: 2 bytes each until a code passes `u16`.
    codes: CodesBuilder,
    /// The string index of each code.
    names: Vec<u32>,
    /// The code of each string index (`u32::MAX`: none yet); string indexes are dense.
    code_of: Vec<u32>,
}

#[derive(Debug)]
enum CodesBuilder {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Default for CodesBuilder {
    fn default() -> Self {
        Self::Narrow(Vec::new())
    }
}

impl ClassIndexBuilder {
    /// An empty index with room for `nodes` nodes.
    pub fn with_capacity(nodes: usize) -> Self {
        Self {
            codes: CodesBuilder::Narrow(Vec::with_capacity(nodes)),
            ..Self::default()
        }
    }

    /// Continues from `index` (to change some nodes' classes).
    pub fn from_index(index: &ClassIndex) -> Self {
        let mut builder = Self::with_capacity(index.len());
        for n in 0..index.len() {
            builder.push(index.get(n));
        }
        builder
    }

    /// The code of string index `index`, a new one if it has none yet.
    fn code(&mut self, index: u32) -> u32 {
        let i = index as usize;
        if i >= self.code_of.len() {
            self.code_of
                .resize((i + 1).max(self.code_of.len() * 2), u32::MAX);
        }
        if self.code_of[i] == u32::MAX {
            self.code_of[i] = self.names.len() as u32;
            self.names.push(index);
            if self.names.len() > usize::from(u16::MAX) + 1
                && let CodesBuilder::Narrow(narrow) = &mut self.codes
            {
                self.codes =
                    CodesBuilder::Wide(std::mem::take(narrow).into_iter().map(u32::from).collect());
            }
        }
        self.code_of[i]
    }

    /// Appends a node of class-name string index `index`.
    pub fn push(&mut self, index: u32) {
        let code = self.code(index);
        match &mut self.codes {
            CodesBuilder::Narrow(c) => c.push(code as u16),
            CodesBuilder::Wide(c) => c.push(code),
        }
    }

    /// Gives node `n` (already pushed) the class-name string index `index`.
    pub fn set(&mut self, n: usize, index: u32) {
        let code = self.code(index);
        match &mut self.codes {
            CodesBuilder::Narrow(c) => c[n] = code as u16,
            CodesBuilder::Wide(c) => c[n] = code,
        }
    }

    /// The finished index. Codes of names no node has any more stay in the table.
    pub fn finish(self) -> ClassIndex {
        ClassIndex {
            codes: match self.codes {
                CodesBuilder::Narrow(c) => Codes::Narrow(c.into()),
                CodesBuilder::Wide(c) => Codes::Wide(c.into()),
            },
            names: self.names,
        }
    }
}

/// Allocation locations by node, dictionary-coded (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct Locations {
    /// Node ordinals with a location, increasing.
    pub nodes: Column<u32>,
    /// The code of each entry's location.
    pub codes: Codes,
    /// The location of each code.
    pub table: Vec<Location>,
}

impl Locations {
    /// From `(node, location)` pairs sorted by node, one per node.
    pub fn from_sorted(pairs: &[(u32, Location)]) -> Self {
        let (codes, table) = encode(pairs.iter().map(|&(_, l)| l));
        Self {
            nodes: pairs.iter().map(|&(n, _)| n).collect::<Vec<u32>>().into(),
            codes: Codes::pack(table.len(), codes.into_iter()),
            table,
        }
    }

    /// The location of node `n`, if it has one.
    pub fn get(&self, n: u32) -> Option<Location> {
        let i = self.nodes.binary_search(&n).ok()?;
        Some(self.table[self.codes.get(i) as usize])
    }

    /// `(node, location)` pairs in node order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Location)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, self.table[self.codes.get(i) as usize]))
    }

    /// Memory held.
    pub fn heap_bytes(&self) -> u64 {
        self.nodes.held_bytes()
            + self.codes.heap_bytes()
            + (self.table.capacity() * std::mem::size_of::<Location>()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(script_id: u32, line: u32) -> Location {
        Location {
            script_id,
            line,
            column: 0,
        }
    }

    #[test]
    fn class_index_reads_back_every_node() {
        let raw = vec![7, 7, 3, 9, 3, 7, 0];
        let c = ClassIndex::from_indexes(&raw);
        assert_eq!(c.names, vec![7, 3, 9, 0]);
        assert!(c.codes.bytes().1, "four names fit two bytes");
        assert_eq!(c.to_vec(), raw);
        assert_eq!(c.len(), 7);
        assert_eq!(ClassIndex::from_indexes(&[]).len(), 0);
    }

    #[test]
    fn builder_sets_classes_after_pushing() {
        let mut b = ClassIndexBuilder::with_capacity(4);
        for i in [5, 5, 2, 5] {
            b.push(i);
        }
        b.set(1, 9);
        b.set(3, 2);
        let c = b.finish();
        assert_eq!(c.to_vec(), [5, 9, 2, 2]);
        let mut again = ClassIndexBuilder::from_index(&c);
        again.set(0, 2);
        assert_eq!(again.finish().to_vec(), [2, 9, 2, 2]);
        // Widening keeps every code.
        let mut b = ClassIndexBuilder::with_capacity(3);
        b.push(1);
        b.push(7);
        b.push(1);
        for i in 0..70_000 {
            b.set(2, 100 + i);
        }
        let c = b.finish();
        assert!(!c.codes.bytes().1);
        assert_eq!(c.to_vec(), [1, 7, 70_099]);
    }

    #[test]
    fn codes_widen_past_65536_distinct_values() {
        let raw: Vec<u32> = (0..70_000u32).rev().collect();
        let c = ClassIndex::from_indexes(&raw);
        assert!(!c.codes.bytes().1);
        assert_eq!(c.to_vec(), raw);
        let exactly: Vec<u32> = (0..65_536u32).collect();
        let c = ClassIndex::from_indexes(&exactly);
        assert!(c.codes.bytes().1, "65 536 distinct codes still fit");
        assert_eq!(c.get(65_535), 65_535);
    }

    #[test]
    fn locations_find_and_list_in_node_order() {
        let pairs = vec![
            (2, loc(1, 5)),
            (4, loc(1, 5)),
            (9, loc(3, 0)),
            (11, loc(1, 5)),
        ];
        let l = Locations::from_sorted(&pairs);
        assert_eq!(l.table.len(), 2);
        assert_eq!(l.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(l.get(9), Some(loc(3, 0)));
        assert_eq!(l.get(3), None);
        assert!(Locations::default().get(0).is_none());
    }
}
