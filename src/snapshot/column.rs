//! [`Column`]: a flat array of plain integers that is either owned (`Vec<T>`) or a typed view
//! into a memory-mapped persisted index (see [`super::cache`]).
//!
//! A mapped column costs no memory until its pages are touched, so a snapshot reopened from
//! its index pays only for what a view reads: the Summary never pages in the edges. Both
//! variants dereference to `&[T]`; code that reads columns does not know which it has.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, Range};
use std::sync::Arc;

use memmap2::Mmap;

/// A column of `T` (a `u8`/`u32`/`u64`/`i32`…), owned or mapped. Dereferences to `&[T]`.
pub struct Column<T> {
    repr: Repr<T>,
}

enum Repr<T> {
    Owned(Vec<T>),
    /// `bytes` is a range of `map` whose start is aligned for `T` and whose length is a
    /// multiple of `size_of::<T>()` (checked by [`Column::mapped`]).
    Mapped {
        map: Arc<Mmap>,
        bytes: Range<usize>,
        _type: PhantomData<T>,
    },
}

impl<T: bytemuck::Pod> Column<T> {
    /// A typed view of `map[bytes]`; None when the range is out of bounds, misaligned for
    /// `T`, or not a whole number of `T`s.
    pub(crate) fn mapped(map: Arc<Mmap>, bytes: Range<usize>) -> Option<Self> {
        let slice = map.get(bytes.clone())?;
        bytemuck::try_cast_slice::<u8, T>(slice).ok()?;
        Some(Self {
            repr: Repr::Mapped {
                map,
                bytes,
                _type: PhantomData,
            },
        })
    }

    /// The column as a slice.
    pub fn as_slice(&self) -> &[T] {
        match &self.repr {
            Repr::Owned(v) => v,
            // The range was checked in `mapped`, and the map never changes.
            Repr::Mapped { map, bytes, .. } => bytemuck::cast_slice(&map[bytes.clone()]),
        }
    }

    /// The owned vector, copying a mapped column.
    pub fn into_vec(self) -> Vec<T> {
        match self.repr {
            Repr::Owned(v) => v,
            Repr::Mapped { .. } => self.as_slice().to_vec(),
        }
    }

    /// Mutable access, copying a mapped column into an owned one first.
    pub fn make_mut(&mut self) -> &mut Vec<T> {
        if let Repr::Mapped { .. } = self.repr {
            self.repr = Repr::Owned(self.as_slice().to_vec());
        }
        match &mut self.repr {
            Repr::Owned(v) => v,
            Repr::Mapped { .. } => unreachable!("converted to owned above"),
        }
    }

    /// Bytes of heap memory this column owns (its capacity); 0 when mapped.
    pub fn heap_bytes(&self) -> u64 {
        match &self.repr {
            Repr::Owned(v) => (v.capacity() * size_of::<T>()) as u64,
            Repr::Mapped { .. } => 0,
        }
    }

    /// Bytes of the persisted index this column maps (0 when owned).
    pub fn mapped_bytes(&self) -> u64 {
        match &self.repr {
            Repr::Owned(_) => 0,
            Repr::Mapped { bytes, .. } => bytes.len() as u64,
        }
    }

    /// Memory the column holds, wherever it lives: owned capacity plus mapped length.
    pub fn held_bytes(&self) -> u64 {
        self.heap_bytes() + self.mapped_bytes()
    }

    /// True when the column is a view into a persisted index.
    pub fn is_mapped(&self) -> bool {
        matches!(self.repr, Repr::Mapped { .. })
    }

    /// Releases spare capacity of an owned column.
    pub fn shrink_to_fit(&mut self) {
        if let Repr::Owned(v) = &mut self.repr {
            v.shrink_to_fit();
        }
    }
}

impl<T: bytemuck::Pod> Deref for Column<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: bytemuck::Pod> AsRef<[T]> for Column<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Self {
        Self {
            repr: Repr::Owned(v),
        }
    }
}

impl<T> Default for Column<T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl<T: Clone> Clone for Column<T> {
    fn clone(&self) -> Self {
        let repr = match &self.repr {
            Repr::Owned(v) => Repr::Owned(v.clone()),
            Repr::Mapped { map, bytes, .. } => Repr::Mapped {
                map: Arc::clone(map),
                bytes: bytes.clone(),
                _type: PhantomData,
            },
        };
        Self { repr }
    }
}

impl<T: bytemuck::Pod + fmt::Debug> fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: bytemuck::Pod + PartialEq> PartialEq for Column<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: bytemuck::Pod + PartialEq> PartialEq<Vec<T>> for Column<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<'a, T: bytemuck::Pod> IntoIterator for &'a Column<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_column_reads_and_mutates() {
        let mut c: Column<u32> = vec![1, 2, 3].into();
        assert_eq!(&c[..], &[1, 2, 3]);
        assert!(!c.is_mapped());
        c.make_mut().push(4);
        assert_eq!(c.len(), 4);
        assert_eq!(c.clone(), vec![1, 2, 3, 4]);
    }
}
