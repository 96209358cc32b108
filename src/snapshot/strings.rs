//! The string table: every string of the snapshot stored once in one byte buffer.
//!
//! Layout: `bytes` holds all strings back to back (UTF-8); `ends[i]` is the end offset of
//! string `i`, so string `i` is `bytes[ends[i-1]..ends[i]]` (with `ends[-1] = 0`). A string
//! index is a `u32` as in the file. Strings added during analysis (class names such as
//! `(system)`, `Detached <div>`, `{a, b}`) are appended after the file's strings, exactly as
//! DevTools appends them to its `strings` array. The text is a `String` after a load, or bytes
//! mapped from a persisted index (see `cache`), where each string is checked as UTF-8 when read.

use super::column::Column;

/// Interned strings addressed by `u32` index.
#[derive(Default, Debug, Clone)]
pub struct StringTable {
    /// All strings back to back.
    text: Text,
    ends: Column<u32>,
}

/// The most text a table holds: its end offsets are `u32`. The parser stops with an error
/// at [`MAX_FILE_TEXT_BYTES`], leaving the rest for the class and interface names analysis
/// adds.
pub(crate) const MAX_TEXT_BYTES: usize = u32::MAX as usize;

/// The most string text a file may have (see [`MAX_TEXT_BYTES`]).
pub(crate) const MAX_FILE_TEXT_BYTES: usize = MAX_TEXT_BYTES - (256 << 20);

/// The text of a [`StringTable`].
#[derive(Debug, Clone)]
enum Text {
    /// Built while loading: valid UTF-8 by type, so slicing at recorded ends is O(1).
    Owned(String),
    /// Mapped from a persisted index: each string is checked as UTF-8 when read.
    Mapped(Column<u8>),
}

impl Default for Text {
    fn default() -> Self {
        Self::Owned(String::new())
    }
}

impl StringTable {
    /// An empty table with room for `count` strings.
    pub fn with_capacity(count: usize) -> Self {
        Self {
            text: Text::default(),
            ends: Vec::with_capacity(count).into(),
        }
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no strings.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends a string and returns its index (copying a mapped table first).
    pub fn push(&mut self, s: &str) -> u32 {
        if matches!(self.text, Text::Mapped(_)) {
            // The same bytes, so `ends` stays valid.
            let owned: String = (0..self.ends.len() as u32).map(|i| self.get(i)).collect();
            self.text = Text::Owned(owned);
        }
        let Text::Owned(text) = &mut self.text else {
            unreachable!("made owned above")
        };
        // Past the limit (only after the parser's check, by analysis names: not expected)
        // the string reads back empty rather than the table breaking.
        if text.len() + s.len() <= MAX_TEXT_BYTES {
            text.push_str(s);
        }
        let end = text.len() as u32;
        let ends = self.ends.make_mut();
        let index = ends.len() as u32;
        ends.push(end);
        index
    }

    /// The string at `index`, or `""` when out of range.
    pub fn get(&self, index: u32) -> &str {
        let i = index as usize;
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let range = start as usize..end as usize;
        match &self.text {
            Text::Owned(text) => text.get(range),
            // Written from a `String` and checksummed, so the check fails only on a bug.
            Text::Mapped(bytes) => bytes.get(range).and_then(|b| std::str::from_utf8(b).ok()),
        }
        .unwrap_or("")
    }

    /// Bytes of text held.
    pub(crate) fn text_len(&self) -> usize {
        match &self.text {
            Text::Owned(text) => text.len(),
            Text::Mapped(bytes) => bytes.len(),
        }
    }

    /// Bytes used by the table (for memory accounting; mapped bytes included).
    pub fn heap_bytes(&self) -> usize {
        let text = match &self.text {
            Text::Owned(text) => text.capacity() as u64,
            Text::Mapped(bytes) => bytes.mapped_bytes(),
        };
        (text + self.ends.heap_bytes() + self.ends.mapped_bytes()) as usize
    }

    /// The table's text (all strings back to back) and the end offset of each string.
    pub(crate) fn columns(&self) -> (&[u8], &[u32]) {
        let text = match &self.text {
            Text::Owned(text) => text.as_bytes(),
            Text::Mapped(bytes) => bytes,
        };
        (text, &self.ends)
    }

    /// A table over `text` and `ends` as [`StringTable::columns`] returns them; None when
    /// the last end is not the text's length (the columns come from a checksummed index
    /// that this crate wrote, so that is all that is checked).
    pub(crate) fn from_columns(text: Column<u8>, ends: Column<u32>) -> Option<Self> {
        let last = ends.last().copied().unwrap_or(0);
        (last as usize == text.len()).then_some(Self {
            text: Text::Mapped(text),
            ends,
        })
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        if let Text::Owned(text) = &mut self.text {
            text.shrink_to_fit();
        }
        self.ends.shrink_to_fit();
    }
}

/// A read-only string table plus strings added on top, so a phase running in parallel with
/// others can add strings without copying or locking the main table. Indexes of added
/// strings continue after the base's; [`StringTable::append`] merges them afterwards.
pub struct StringsOverlay<'a> {
    base: &'a StringTable,
    extra: StringTable,
}

impl<'a> StringsOverlay<'a> {
    /// An overlay with nothing added yet.
    pub fn new(base: &'a StringTable) -> Self {
        Self {
            base,
            extra: StringTable::default(),
        }
    }

    /// The string at `index` (base or added).
    pub fn get(&self, index: u32) -> &str {
        let base_len = self.base.len() as u32;
        if index < base_len {
            self.base.get(index)
        } else {
            self.extra.get(index - base_len)
        }
    }

    /// Adds a string; returns its index in the merged table.
    pub fn push(&mut self, s: &str) -> u32 {
        self.base.len() as u32 + self.extra.push(s)
    }

    /// The added strings, to pass to [`StringTable::append`].
    pub fn into_added(self) -> StringTable {
        self.extra
    }
}

impl StringTable {
    /// Appends all strings of `other` (indexes continue after this table's).
    pub fn append(&mut self, other: &StringTable) {
        for i in 0..other.len() as u32 {
            self.push(other.get(i));
        }
    }
}

/// Read access shared by [`StringTable`] and [`StringsOverlay`].
pub trait Strings {
    /// The string at `index` (`""` when out of range).
    fn get_str(&self, index: u32) -> &str;
    /// Number of strings.
    fn count(&self) -> usize;
}

impl Strings for StringTable {
    fn get_str(&self, index: u32) -> &str {
        self.get(index)
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl Strings for StringsOverlay<'_> {
    fn get_str(&self, index: u32) -> &str {
        self.get(index)
    }
    fn count(&self) -> usize {
        self.base.len() + self.extra.len()
    }
}
