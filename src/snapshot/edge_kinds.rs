//! [`EdgeKinds`]: each edge's type and name index, in one `u32` column when they fit.
//!
//! A file's edges carry a type (an index into `meta.edge_types`, 7 types in V8) and a
//! `name_or_index` (a string index, or the index of element and hidden edges). Packed,
//! an edge is `name << 3 | type`: 4 bytes instead of 5, which saves 1 byte per edge at
//! every phase of a load (47 MB on a snapshot with 47 M edges). That needs at most 8 types
//! and every name below 2^29; when a file breaks either (a sparse array with a huge element
//! index, a future V8 with more types), the two columns are kept as they are in the file.
//!
//! Code that reads one edge now and then uses [`EdgeKindsRef::ty`] / [`EdgeKindsRef::name`]
//! (a match on the form, which is the same for every edge). Loops over many edges use
//! [`with_kinds!`], which compiles the loop once per form.

use super::column::Column;

/// Bits of a packed entry that hold the edge type.
const TYPE_BITS: u32 = 3;
const TYPE_MASK: u32 = (1 << TYPE_BITS) - 1;
/// The most edge types the packed form holds.
pub(crate) const MAX_PACKED_TYPES: usize = 1 << TYPE_BITS;
/// The largest name the packed form holds.
pub(crate) const MAX_PACKED_NAME: u32 = u32::MAX >> TYPE_BITS;

/// Every edge's type and name index, owned or mapped (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum EdgeKinds {
    /// `name << 3 | type` per edge.
    Packed(Column<u32>),
    /// The file's two columns.
    Wide { ty: Column<u8>, name: Column<u32> },
}

impl Default for EdgeKinds {
    fn default() -> Self {
        Self::Packed(Column::default())
    }
}

impl EdgeKinds {
    /// Empty columns for a file with `type_count` edge types: packed unless there are more
    /// than the packed form holds.
    pub fn for_types(type_count: usize) -> Self {
        if type_count <= MAX_PACKED_TYPES {
            Self::Packed(Column::default())
        } else {
            Self::Wide {
                ty: Column::default(),
                name: Column::default(),
            }
        }
    }

    /// Builds the columns from `(type, name)` pairs (tests and small synthetic inputs).
    #[cfg(test)]
    pub fn from_pairs(type_count: usize, pairs: &[(u8, u32)]) -> Self {
        let mut kinds = Self::for_types(type_count);
        kinds.extend(pairs.iter().copied());
        kinds
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        match self {
            Self::Packed(p) => p.len(),
            Self::Wide { ty, .. } => ty.len(),
        }
    }

    /// True for the packed form.
    pub fn is_packed(&self) -> bool {
        matches!(self, Self::Packed(_))
    }

    /// A borrowed view, cheap to copy into the analysis phases' inputs.
    #[inline]
    pub fn view(&self) -> EdgeKindsRef<'_> {
        match self {
            Self::Packed(p) => EdgeKindsRef::Packed(Packed(p)),
            Self::Wide { ty, name } => EdgeKindsRef::Wide(Wide { ty, name }),
        }
    }

    /// The type of edge `e`.
    #[inline]
    pub fn ty(&self, e: usize) -> u8 {
        self.view().ty(e)
    }

    /// The name index of edge `e`.
    #[inline]
    pub fn name(&self, e: usize) -> u32 {
        self.view().name(e)
    }

    /// Reserves room for `additional` more edges.
    pub fn reserve(&mut self, additional: usize) {
        match self {
            Self::Packed(p) => p.make_mut().reserve(additional),
            Self::Wide { ty, name } => {
                ty.make_mut().reserve(additional);
                name.make_mut().reserve(additional);
            }
        }
    }

    /// Appends edges given as `(type, name)` pairs. Types must be below the `type_count`
    /// given to [`Self::for_types`] (a larger one may corrupt a packed entry: the parser
    /// reports it as an error). A name too large for the packed form turns the columns
    /// wide first.
    pub fn extend(&mut self, pairs: impl Iterator<Item = (u8, u32)> + Clone) {
        if let Self::Packed(p) = self {
            let p = p.make_mut();
            let start = p.len();
            let mut all_names = 0u32;
            p.extend(pairs.clone().map(|(t, n)| {
                all_names |= n;
                (n << TYPE_BITS) | u32::from(t)
            }));
            if all_names <= MAX_PACKED_NAME {
                return;
            }
            p.truncate(start);
            self.widen();
        }
        if let Self::Wide { ty, name } = self {
            ty.make_mut().extend(pairs.clone().map(|(t, _)| t));
            name.make_mut().extend(pairs.map(|(_, n)| n));
        }
    }

    /// Turns the packed form into the wide one (the names are unpacked in place).
    fn widen(&mut self) {
        if let Self::Packed(p) = self {
            let mut name = std::mem::take(p).into_vec();
            let ty: Vec<u8> = name.iter().map(|&x| (x & TYPE_MASK) as u8).collect();
            for x in &mut name {
                *x >>= TYPE_BITS;
            }
            *self = Self::Wide {
                ty: ty.into(),
                name: name.into(),
            };
        }
    }

    /// Bytes of heap memory the columns own (0 when mapped).
    pub fn heap_bytes(&self) -> u64 {
        match self {
            Self::Packed(p) => p.heap_bytes(),
            Self::Wide { ty, name } => ty.heap_bytes() + name.heap_bytes(),
        }
    }

    /// Bytes of the persisted index the columns map (0 when owned).
    pub fn mapped_bytes(&self) -> u64 {
        match self {
            Self::Packed(p) => p.mapped_bytes(),
            Self::Wide { ty, name } => ty.mapped_bytes() + name.mapped_bytes(),
        }
    }
}

/// Reads edge types and names; implemented by each form and by [`EdgeKindsRef`].
pub(crate) trait KindsRead: Copy {
    /// The type of edge `e`.
    fn ty(self, e: usize) -> u8;
    /// The name index of edge `e`.
    fn name(self, e: usize) -> u32;
}

/// The packed form's column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packed<'a>(pub &'a [u32]);

impl KindsRead for Packed<'_> {
    #[inline(always)]
    fn ty(self, e: usize) -> u8 {
        (self.0[e] & TYPE_MASK) as u8
    }

    #[inline(always)]
    fn name(self, e: usize) -> u32 {
        self.0[e] >> TYPE_BITS
    }
}

/// The wide form's columns.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wide<'a> {
    pub ty: &'a [u8],
    pub name: &'a [u32],
}

impl KindsRead for Wide<'_> {
    #[inline(always)]
    fn ty(self, e: usize) -> u8 {
        self.ty[e]
    }

    #[inline(always)]
    fn name(self, e: usize) -> u32 {
        self.name[e]
    }
}

/// A borrowed [`EdgeKinds`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum EdgeKindsRef<'a> {
    Packed(Packed<'a>),
    Wide(Wide<'a>),
}

impl KindsRead for EdgeKindsRef<'_> {
    #[inline]
    fn ty(self, e: usize) -> u8 {
        match self {
            Self::Packed(p) => p.ty(e),
            Self::Wide(w) => w.ty(e),
        }
    }

    #[inline]
    fn name(self, e: usize) -> u32 {
        match self {
            Self::Packed(p) => p.name(e),
            Self::Wide(w) => w.name(e),
        }
    }
}

/// `with_kinds!(view, |k| body)`: runs `body` with `k` bound to the form of `view` (an
/// [`EdgeKindsRef`]) as a concrete [`KindsRead`], so a loop over many edges is compiled
/// once per form and decodes without a match per edge.
macro_rules! with_kinds {
    ($view:expr, |$k:ident| $body:expr) => {
        match $view {
            $crate::snapshot::edge_kinds::EdgeKindsRef::Packed($k) => $body,
            $crate::snapshot::edge_kinds::EdgeKindsRef::Wide($k) => $body,
        }
    };
}
pub(crate) use with_kinds;

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(k: &EdgeKinds) -> Vec<(u8, u32)> {
        let v = k.view();
        (0..k.len()).map(|e| (v.ty(e), v.name(e))).collect()
    }

    #[test]
    fn packs_types_and_names() {
        let input = [(0, 0), (6, 17), (7, MAX_PACKED_NAME), (3, 1 << 20)];
        let k = EdgeKinds::from_pairs(8, &input);
        assert!(k.is_packed());
        assert_eq!(k.len(), 4);
        assert_eq!(pairs(&k), input);
        assert_eq!(k.heap_bytes(), 4 * k.len() as u64);
        with_kinds!(k.view(), |f| {
            assert_eq!((f.ty(1), f.name(1)), (6, 17));
            assert_eq!((f.ty(2), f.name(2)), (7, MAX_PACKED_NAME));
        });
    }

    #[test]
    fn a_large_name_widens_the_columns() {
        let first = [(1, 5), (2, MAX_PACKED_NAME)];
        let second = [(4, MAX_PACKED_NAME + 1), (6, u32::MAX), (0, 9)];
        let mut k = EdgeKinds::for_types(7);
        k.extend(first.iter().copied());
        assert!(k.is_packed());
        k.extend(second.iter().copied());
        assert!(!k.is_packed());
        let all: Vec<_> = first.iter().chain(&second).copied().collect();
        assert_eq!(pairs(&k), all);
        with_kinds!(k.view(), |f| assert_eq!(
            (f.ty(3), f.name(3)),
            (6, u32::MAX)
        ));
        // Wide stays wide.
        k.extend([(3, 1)].into_iter());
        assert_eq!(pairs(&k).last(), Some(&(3, 1)));
    }

    #[test]
    fn many_types_are_kept_wide() {
        let input = [(0, 1), (8, 2), (200, 3)];
        let k = EdgeKinds::from_pairs(9, &input);
        assert!(!k.is_packed());
        assert_eq!(pairs(&k), input);
        // (A `Vec<u8>` allocates at least 8 bytes.)
        assert!(k.heap_bytes() >= 5 * k.len() as u64);
    }
}
