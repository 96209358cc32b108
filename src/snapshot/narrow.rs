//! [`Narrow16`]: a per-node column of 4-byte values kept in 2 bytes per node.
//!
//! Each value is encoded by a [`Codec`] into a `u16` code; values the codec cannot encode
//! read [`OVERFLOW`] and are kept aside in a list sorted by node, in the spirit of
//! [`super::dominators::RetainedSizes`]. Reading the common case is a load and a compare;
//! the overflow list is searched only for the rare nodes that need it.
//!
//! Two codecs: [`SizeCodec`] (self sizes: `0..OVERFLOW` as is) and [`DistanceCodec`]
//! (distances: small depths, [`NO_DISTANCE`], and [`BASE_SYSTEM_DISTANCE`] + small depths).

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use super::column::Column;
use super::distance::{BASE_SYSTEM_DISTANCE, NO_DISTANCE};

/// The code of a value kept in the overflow list.
pub(crate) const OVERFLOW: u16 = u16::MAX;

/// How values map to `u16` codes. `encode` never returns [`OVERFLOW`], and
/// `decode(encode(v)) == v` for every value it encodes.
pub(crate) trait Codec {
    /// The value type (4 bytes).
    type Value: Copy + PartialEq + fmt::Debug;
    /// The code of `v`, or None when `v` goes to the overflow list.
    fn encode(v: Self::Value) -> Option<u16>;
    /// The value of a code other than [`OVERFLOW`] (any value for [`OVERFLOW`]: no branch).
    fn decode(code: u16) -> Self::Value;
    /// The value [`Narrow16::get`] returns for an overflow code without an entry (never
    /// happens in a consistent column).
    const MISSING: Self::Value;
}

/// Self sizes: `0..OVERFLOW` are their own code.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SizeCodec;

impl Codec for SizeCodec {
    type Value = u32;
    const MISSING: u32 = OVERFLOW as u32;

    #[inline]
    fn encode(v: u32) -> Option<u16> {
        u16::try_from(v).ok().filter(|&c| c != OVERFLOW)
    }

    #[inline]
    fn decode(code: u16) -> u32 {
        u32::from(code)
    }
}

/// Distances: codes `0..SYSTEM_CODE` are the depths `0..SYSTEM_CODE`, codes from
/// `SYSTEM_CODE` up to `NO_DISTANCE_CODE` (exclusive) are [`BASE_SYSTEM_DISTANCE`] + 0, 1, …,
/// and `NO_DISTANCE_CODE` is [`NO_DISTANCE`]. Anything else overflows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DistanceCodec;

impl DistanceCodec {
    /// The first code of the system distances.
    pub const SYSTEM_CODE: u16 = 0x8000;
    /// The code of [`NO_DISTANCE`].
    pub const NO_DISTANCE_CODE: u16 = OVERFLOW - 1;
}

impl Codec for DistanceCodec {
    type Value = i32;
    const MISSING: i32 = NO_DISTANCE;

    #[inline]
    fn encode(v: i32) -> Option<u16> {
        const SYSTEM_CODES: i32 =
            (DistanceCodec::NO_DISTANCE_CODE - DistanceCodec::SYSTEM_CODE) as i32;
        if (0..i32::from(Self::SYSTEM_CODE)).contains(&v) {
            Some(v as u16)
        } else if v == NO_DISTANCE {
            Some(Self::NO_DISTANCE_CODE)
        } else if (BASE_SYSTEM_DISTANCE..BASE_SYSTEM_DISTANCE + SYSTEM_CODES).contains(&v) {
            Some(Self::SYSTEM_CODE + (v - BASE_SYSTEM_DISTANCE) as u16)
        } else {
            None
        }
    }

    #[inline]
    fn decode(code: u16) -> i32 {
        if code < Self::SYSTEM_CODE {
            i32::from(code)
        } else if code == Self::NO_DISTANCE_CODE {
            NO_DISTANCE
        } else {
            BASE_SYSTEM_DISTANCE + i32::from(code - Self::SYSTEM_CODE)
        }
    }
}

/// Self sizes, 2 bytes per node.
pub(crate) type SelfSizes = Narrow16<SizeCodec>;
/// Distances, 2 bytes per node.
pub(crate) type Distances = Narrow16<DistanceCodec>;

/// A column of `C::Value`s in 2 bytes per node plus 8 bytes per overflowing value.
pub(crate) struct Narrow16<C: Codec> {
    /// The code of each node's value ([`OVERFLOW`]: see `large`).
    small: Column<u16>,
    /// (node, value) of the nodes whose code is [`OVERFLOW`], by node.
    large: Vec<(u32, C::Value)>,
    _codec: PhantomData<C>,
}

impl<C: Codec> Narrow16<C> {
    /// An empty column.
    pub fn new() -> Self {
        Self::from_raw(Column::default(), Vec::new())
    }

    fn from_raw(small: Column<u16>, large: Vec<(u32, C::Value)>) -> Self {
        Self {
            small,
            large,
            _codec: PhantomData,
        }
    }

    /// The column from its two parts (a persisted index's); None when `large` is not
    /// sorted by node or names a node out of range. Not checked, so a mapped `small` is
    /// not paged in: that `large` lists exactly the nodes whose code is [`OVERFLOW`].
    pub fn from_parts(small: Column<u16>, large: Vec<(u32, C::Value)>) -> Option<Self> {
        let sorted = large.windows(2).all(|w| w[0].0 < w[1].0);
        let in_range = large
            .last()
            .is_none_or(|&(n, _)| (n as usize) < small.len());
        (sorted && in_range).then(|| Self::from_raw(small, large))
    }

    /// The two parts: codes and the (node, value) overflow list.
    pub fn parts(&self) -> (&Column<u16>, &[(u32, C::Value)]) {
        (&self.small, &self.large)
    }

    /// The value of node `n`.
    #[inline]
    pub fn get(&self, n: usize) -> C::Value {
        match self.small[n] {
            OVERFLOW => self.get_large(n),
            code => C::decode(code),
        }
    }

    #[cold]
    fn get_large(&self, n: usize) -> C::Value {
        self.large
            .binary_search_by_key(&(n as u32), |&(node, _)| node)
            .map_or(C::MISSING, |i| self.large[i].1)
    }

    /// Appends the values of the next nodes.
    pub fn extend(&mut self, values: impl IntoIterator<Item = C::Value>) {
        let small = self.small.make_mut();
        let large = &mut self.large;
        let mut next = small.len() as u32;
        small.extend(values.into_iter().map(|v| {
            let n = next;
            next += 1;
            C::encode(v).unwrap_or_else(|| {
                large.push((n, v));
                OVERFLOW
            })
        }));
    }

    /// Reserves room for `additional` more nodes.
    pub fn reserve(&mut self, additional: usize) {
        self.small.make_mut().reserve(additional);
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.small.len()
    }

    /// True without nodes.
    #[allow(dead_code)]
    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }

    /// Every node's value, in node order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = C::Value> + '_ {
        let mut large = self.large.iter();
        self.small.iter().map(move |&code| match code {
            OVERFLOW => large.next().map_or(C::MISSING, |&(_, v)| v),
            code => C::decode(code),
        })
    }

    /// Every node's value as a 4-byte vector (decoded in one pass, then the overflowing
    /// values written over their nodes').
    pub fn to_vec(&self) -> Vec<C::Value> {
        let mut values: Vec<C::Value> = self.small.iter().map(|&code| C::decode(code)).collect();
        for &(n, v) in &self.large {
            values[n as usize] = v;
        }
        values
    }

    /// Bytes of heap memory owned (codes' capacity, 0 when mapped, plus the overflow list).
    pub fn heap_bytes(&self) -> u64 {
        self.small.heap_bytes() + (self.large.capacity() * size_of::<(u32, C::Value)>()) as u64
    }

    /// Bytes of the persisted index the codes map (0 when owned).
    pub fn mapped_bytes(&self) -> u64 {
        self.small.mapped_bytes()
    }

    /// The column for in-place updates with a hashed overflow map (copies a mapped column).
    pub fn into_builder(self) -> NarrowBuilder<C> {
        NarrowBuilder {
            small: self.small.into_vec(),
            large: self.large.into_iter().collect(),
        }
    }
}

impl<C: Codec> Default for Narrow16<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Codec> Clone for Narrow16<C> {
    fn clone(&self) -> Self {
        Self::from_raw(self.small.clone(), self.large.clone())
    }
}

impl<C: Codec> fmt::Debug for Narrow16<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<C: Codec> PartialEq for Narrow16<C> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<C: Codec> FromIterator<C::Value> for Narrow16<C> {
    fn from_iter<I: IntoIterator<Item = C::Value>>(values: I) -> Self {
        let mut column = Self::new();
        column.extend(values);
        column
    }
}

/// A [`Narrow16`] being filled or updated in place: overflowing values in a hash map, so
/// any number of them can be set in any order. [`NarrowBuilder::finish`] sorts them.
pub(crate) struct NarrowBuilder<C: Codec> {
    small: Vec<u16>,
    large: HashMap<u32, C::Value>,
}

impl<C: Codec> NarrowBuilder<C> {
    /// `len` nodes, all `v`.
    pub fn filled(len: usize, v: C::Value) -> Self {
        let mut large = HashMap::new();
        let code = C::encode(v).unwrap_or(OVERFLOW);
        if code == OVERFLOW {
            large.extend((0..len as u32).map(|n| (n, v)));
        }
        Self {
            small: vec![code; len],
            large,
        }
    }

    /// The value of node `n`.
    #[inline]
    pub fn get(&self, n: usize) -> C::Value {
        match self.small[n] {
            OVERFLOW => self.large.get(&(n as u32)).copied().unwrap_or(C::MISSING),
            code => C::decode(code),
        }
    }

    /// The code of node `n` (compare with a value's code to skip decoding).
    #[inline]
    pub fn code(&self, n: usize) -> u16 {
        self.small[n]
    }

    /// Sets the value of node `n`.
    #[inline]
    pub fn set(&mut self, n: usize, v: C::Value) {
        match C::encode(v) {
            Some(code) => {
                if self.small[n] == OVERFLOW {
                    self.large.remove(&(n as u32));
                }
                self.small[n] = code;
            }
            None => {
                self.large.insert(n as u32, v);
                self.small[n] = OVERFLOW;
            }
        }
    }

    /// The finished column.
    pub fn finish(self) -> Narrow16<C> {
        let mut large: Vec<(u32, C::Value)> = self.large.into_iter().collect();
        large.sort_unstable_by_key(|&(n, _)| n);
        Narrow16::from_raw(self.small.into(), large)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<C: Codec>(values: &[C::Value]) {
        let column: Narrow16<C> = values.iter().copied().collect();
        assert_eq!(column.len(), values.len());
        for (n, &v) in values.iter().enumerate() {
            assert_eq!(column.get(n), v, "node {n}");
        }
        assert_eq!(column.iter().collect::<Vec<_>>(), values);
        assert_eq!(column.to_vec(), values);
        assert!(column.large.windows(2).all(|w| w[0].0 < w[1].0));
        // Appended one by one, and through the builder: the same column.
        let mut pushed = Narrow16::<C>::new();
        values.iter().for_each(|&v| pushed.extend([v]));
        assert_eq!(pushed.parts().1, column.parts().1);
        assert!(pushed == column);
        let rebuilt = column.clone().into_builder().finish();
        assert_eq!(rebuilt.parts().1, column.parts().1);
        assert_eq!(rebuilt.parts().0, column.parts().0);
    }

    #[test]
    fn size_boundaries() {
        let max = u32::from(u16::MAX);
        let sizes = [
            0,
            1,
            max - 2,
            max - 1,
            max,
            max + 1,
            u32::MAX - 1,
            u32::MAX,
            7,
        ];
        round_trip::<SizeCodec>(&sizes);
        assert_eq!(SizeCodec::encode(max - 1), Some(u16::MAX - 1));
        assert_eq!(SizeCodec::encode(max), None);
        assert_eq!(SizeCodec::encode(u32::MAX), None);
        let column: SelfSizes = sizes.iter().copied().collect();
        let overflowing: Vec<u32> = column.large.iter().map(|&(n, _)| n).collect();
        assert_eq!(overflowing, [4, 5, 6, 7]);
    }

    #[test]
    fn distance_boundaries() {
        let base = BASE_SYSTEM_DISTANCE;
        let system_codes = i32::from(DistanceCodec::NO_DISTANCE_CODE - DistanceCodec::SYSTEM_CODE);
        let distances = [
            0,
            1,
            0x7FFF,
            0x8000,
            70_000,
            base - 1,
            base,
            base + 1,
            base + system_codes - 1,
            base + system_codes,
            2 * base,
            NO_DISTANCE,
            -1,
            i32::MIN,
            i32::MAX,
            3,
        ];
        round_trip::<DistanceCodec>(&distances);
        for (v, code) in [
            (0, Some(0)),
            (0x7FFF, Some(0x7FFF)),
            (0x8000, None),
            (NO_DISTANCE, Some(DistanceCodec::NO_DISTANCE_CODE)),
            (base, Some(DistanceCodec::SYSTEM_CODE)),
            (base + 5, Some(DistanceCodec::SYSTEM_CODE + 5)),
            (base + system_codes - 1, Some(OVERFLOW - 2)),
            (base + system_codes, None),
            (-1, None),
        ] {
            assert_eq!(DistanceCodec::encode(v), code, "{v}");
        }
        // Every code but OVERFLOW decodes to a value that encodes back to it.
        for code in 0..OVERFLOW {
            assert_eq!(
                DistanceCodec::encode(DistanceCodec::decode(code)),
                Some(code)
            );
            assert_eq!(SizeCodec::encode(SizeCodec::decode(code)), Some(code));
        }
    }

    #[test]
    fn set_keeps_the_overflow_list_sorted() {
        let big = u32::MAX - 3;
        let column: SelfSizes = [0, 0, 0, 70_000, 0, 0, 0, 0, 0, 0].into_iter().collect();
        let mut b = column.into_builder();
        for (n, v) in [
            (7, big),
            (2, big + 1),
            (9, 70_000),
            (5, 1),
            (2, 3),
            (7, big + 2),
        ] {
            b.set(n, v);
            assert_eq!(b.get(n), v);
        }
        let column = b.finish();
        assert_eq!(column.large, [(3, 70_000), (7, big + 2), (9, 70_000)]);
        assert_eq!(
            column.iter().collect::<Vec<_>>(),
            [0, 0, 3, 70_000, 0, 1, 0, big + 2, 0, 70_000]
        );
        let mut b = column.into_builder();
        b.set(9, u32::from(u16::MAX) - 1);
        b.set(7, 0);
        b.set(3, u32::from(u16::MAX));
        let column = b.finish();
        assert_eq!(column.large, [(3, u32::from(u16::MAX))]);
        assert_eq!(column.parts().0[9], u16::MAX - 1);
        assert_eq!(column.get(3), u32::from(u16::MAX));
        assert_eq!(column.get(7), 0);
    }

    #[test]
    fn builder_sets_in_any_order() {
        let mut b = NarrowBuilder::<DistanceCodec>::filled(6, NO_DISTANCE);
        assert_eq!(b.code(3), DistanceCodec::NO_DISTANCE_CODE);
        for (n, v) in [(5, 100_000), (1, 2), (0, BASE_SYSTEM_DISTANCE + 3), (3, -7)] {
            b.set(n, v);
            assert_eq!(b.get(n), v);
        }
        b.set(3, 4);
        let column = b.finish();
        assert_eq!(column.large, [(5, 100_000)]);
        assert_eq!(
            column.iter().collect::<Vec<_>>(),
            [
                BASE_SYSTEM_DISTANCE + 3,
                2,
                NO_DISTANCE,
                4,
                NO_DISTANCE,
                100_000
            ]
        );
        let all_large = NarrowBuilder::<SizeCodec>::filled(3, u32::MAX).finish();
        assert_eq!(all_large.iter().collect::<Vec<_>>(), [u32::MAX; 3]);
    }

    #[test]
    fn from_parts_checks_the_overflow_list() {
        let small: Column<u16> = vec![OVERFLOW, 1, OVERFLOW].into();
        assert!(SelfSizes::from_parts(small.clone(), vec![(0, 70_000), (2, 80_000)]).is_some());
        assert!(SelfSizes::from_parts(small.clone(), vec![(2, 70_000), (0, 80_000)]).is_none());
        assert!(SelfSizes::from_parts(small, vec![(3, 70_000)]).is_none());
    }
}
