//! Streaming parser for `.heapsnapshot` JSON (plain or gzip).
//!
//! No JSON DOM is built: a reader thread reads (and, for `.gz`, inflates) the file in 4 MiB
//! chunks and hands them over a bounded channel, while this thread tokenizes the bytes and
//! writes numbers straight into column vectors. Only the small `snapshot` header goes
//! through `serde_json`. Peak memory is the columns plus a few chunks; the file itself is
//! never held in memory.

use rayon::prelude::*;
use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::edge_kinds::EdgeKinds;
use super::error::{Error, ErrorKind, Result, meta_err};
use super::memory::{self, LoadOptions, Need};
use super::meta::{Meta, RawHeader, TraceLayout};
use super::narrow::SelfSizes;
use super::progress::Progress;
use super::strings::{MAX_FILE_TEXT_BYTES, StringTable};
use super::trace::{NO_PARENT, TraceTree, trace_err};

/// Size of one chunk handed from the reader thread to the parser.
const CHUNK_BYTES: usize = 4 << 20;

/// Columns read from the file, before any analysis. Lengths: `node_*` = node count,
/// `first_edge` = node count + 1, `edge_*` = edge count.
#[derive(Debug, Default)]
pub(crate) struct RawColumns {
    pub node_type: Vec<u8>,
    pub node_name: Vec<u32>,
    pub node_id: Vec<u32>,
    /// Written in the 2-byte form directly (the 4-byte column never exists).
    pub node_self_size: SelfSizes,
    pub node_detachedness: Vec<u8>,
    /// Prefix sums of `edge_count` (edge ordinals, not multiplied by the edge field count).
    pub first_edge: Vec<u32>,
    /// Each edge's type and name index (packed when they fit, see [`EdgeKinds`]).
    pub edge_kinds: EdgeKinds,
    /// Target node ordinal (the file's `to_node` divided by the node field count).
    pub edge_to: Vec<u32>,
    /// The raw `locations` array (flat, `location_field_count` values per entry).
    pub locations: Vec<u32>,
    /// Each node's `trace_node_id` (empty unless the snapshot has allocation traces and
    /// its nodes carry the field).
    pub trace_node_id: Vec<u32>,
    /// The raw `trace_function_infos` array (empty without allocation traces).
    pub trace_function_infos: Vec<u64>,
    /// The `trace_tree`, flattened in preorder (empty without allocation traces).
    pub trace_tree: TraceTree,
    /// The raw `samples` array (flat, `sample_layout.field_count` values per entry).
    pub samples: Vec<u64>,
}

/// Everything read from a file: layout, columns, strings.
pub(crate) struct Parsed {
    pub meta: Meta,
    pub cols: RawColumns,
    pub strings: StringTable,
    /// Where each top-level value lies in the (decompressed) input, in file order.
    pub sections: Vec<Section>,
}

/// Where a top-level value lies: from just after its key's `:` to just after the value
/// (offsets in the decompressed input). The redactor copies most of them unread.
#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub key: Vec<u8>,
    pub start: u64,
    pub end: u64,
}

/// A source of input bytes: the reader thread's channel plus the current chunk.
struct Input<'p> {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    /// Exhausted chunks go back to the reader thread for reuse (saves page faults).
    recycle: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    progress: &'p Progress,
    /// Where we are, for "unexpected end of input ..." messages.
    context: &'static str,
}

impl Input<'_> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Replaces the exhausted chunk with the next one. Returns false at end of input.
    #[cold]
    fn refill(&mut self) -> Result<bool> {
        if self.progress.is_cancelled() {
            return Err(ErrorKind::Cancelled.into());
        }
        self.base += self.buf.len() as u64;
        self.pos = 0;
        let old = std::mem::take(&mut self.buf);
        if old.capacity() > 0 {
            self.recycle.try_send(old).ok();
        }
        loop {
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => continue,
                Ok(Ok(chunk)) => {
                    self.buf = chunk;
                    return Ok(true);
                }
                Ok(Err(err)) => return Err(read_error(err)),
                Err(_) => return Ok(false),
            }
        }
    }

    fn truncated(&self) -> Error {
        ErrorKind::Truncated {
            context: self.context.to_owned(),
            offset: self.offset(),
        }
        .into()
    }

    fn json_err(&self, message: impl Into<String>) -> Error {
        ErrorKind::Json {
            offset: self.offset().saturating_sub(1),
            message: message.into(),
        }
        .into()
    }

    /// Next byte, or None at end of input.
    #[inline]
    fn next_byte_opt(&mut self) -> Result<Option<u8>> {
        if self.pos == self.buf.len() && !self.refill()? {
            return Ok(None);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(Some(b))
    }

    /// Next byte; end of input is a truncation error.
    #[inline]
    fn next_byte(&mut self) -> Result<u8> {
        match self.next_byte_opt()? {
            Some(b) => Ok(b),
            None => Err(self.truncated()),
        }
    }

    /// Next byte that is not JSON whitespace.
    #[inline]
    fn next_non_ws(&mut self) -> Result<u8> {
        loop {
            while self.pos < self.buf.len() {
                let b = self.buf[self.pos];
                self.pos += 1;
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(b);
                }
            }
            if !self.refill()? {
                return Err(self.truncated());
            }
        }
    }

    fn expect(&mut self, want: u8) -> Result<()> {
        let b = self.next_non_ws()?;
        if b == want {
            Ok(())
        } else {
            Err(self.json_err(format!(
                "expected '{}' but found {}",
                want as char,
                describe(b)
            )))
        }
    }

    /// Parses the body of a JSON string (after the opening quote), appending UTF-8 to `out`.
    fn string_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let start_len = out.len();
        loop {
            // Fast path: copy a run of plain bytes from the current chunk.
            let rest = &self.buf[self.pos..];
            if let Some(i) = memchr::memchr2(b'"', b'\\', rest) {
                if rest[..i].iter().any(|&b| b < 0x20) {
                    return Err(self.json_err("control character inside a string"));
                }
                out.extend_from_slice(&rest[..i]);
                self.pos += i + 1;
                if rest[i] == b'"' {
                    break;
                }
                self.escape_into(out)?;
            } else {
                if rest.iter().any(|&b| b < 0x20) {
                    return Err(self.json_err("control character inside a string"));
                }
                out.extend_from_slice(rest);
                self.pos = self.buf.len();
                if !self.refill()? {
                    return Err(self.truncated());
                }
            }
        }
        let added = &out[start_len..];
        if std::str::from_utf8(added).is_err() {
            let fixed = String::from_utf8_lossy(added).into_owned();
            out.truncate(start_len);
            out.extend_from_slice(fixed.as_bytes());
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let b = self.next_byte()?;
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.json_err("invalid \\u escape"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn escape_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let b = self.next_byte()?;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate: combine with a following low surrogate if there is one.
                    if self.peek_is(b'\\')? {
                        self.pos += 1;
                        if self.next_byte()? != b'u' {
                            return Err(self.json_err("invalid escape after a surrogate"));
                        }
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            char::from_u32(cp).unwrap_or('\u{FFFD}')
                        } else {
                            push_char(out, '\u{FFFD}');
                            char::from_u32(lo).unwrap_or('\u{FFFD}')
                        }
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            other => {
                return Err(self.json_err(format!("invalid escape '\\{}'", other as char)));
            }
        };
        push_char(out, c);
        Ok(())
    }

    fn peek_is(&mut self, want: u8) -> Result<bool> {
        if self.pos == self.buf.len() && !self.refill()? {
            return Ok(false);
        }
        Ok(self.buf[self.pos] == want)
    }

    /// Parses a JSON array of non-negative integers (each < 2^32) in records of `width`
    /// values, calling `sink` with runs of complete records (a slice whose length is a
    /// multiple of `width`, record after record). The opening `[` must be next (after
    /// whitespace). Returns the number of values left over in an incomplete last record (0
    /// when the length is a multiple of `width`).
    ///
    /// This is the hot loop of loading. Each chunk is cut after a `,` into pieces that are
    /// decoded on both cores ([`decode_piece`]); the values are then handed to `sink` in
    /// order, many records at a time so the sink can fill its columns in tight loops. The few
    /// bytes of a number cut by a chunk boundary, and the values of a record cut by a piece
    /// boundary, are carried over.
    fn u32_records(&mut self, width: usize, mut sink: impl FnMut(&[u32]) + Send) -> Result<usize> {
        debug_assert!(width > 0 && width <= 32);
        self.expect(b'[')?;
        // Values of a record cut by a piece boundary.
        let mut partial: Vec<u32> = Vec::with_capacity(width);
        // Hands `values` on; returns the number of values of an incomplete record kept.
        let mut emit = |mut values: &[u32]| -> usize {
            if !partial.is_empty() {
                let take = (width - partial.len()).min(values.len());
                partial.extend_from_slice(&values[..take]);
                values = &values[take..];
                if partial.len() < width {
                    return partial.len();
                }
                sink(&partial);
                partial.clear();
            }
            let whole = values.len() - values.len() % width;
            if whole > 0 {
                sink(&values[..whole]);
            }
            partial.extend_from_slice(&values[whole..]);
            partial.len()
        };
        // Decoded values not yet handed to `sink`: they are emitted on this thread while the
        // pool decodes the next chunk.
        let mut pending: Vec<Vec<u32>> = Vec::new();
        // Emptied value buffers, reused so decoding does not fault in fresh pages each chunk.
        let mut spare: Vec<Vec<u32>> = Vec::new();
        let mut carry: Vec<u8> = Vec::new();
        let mut carry_offset = self.offset();
        let mut start_state = EXPECT_FIRST;
        loop {
            if self.pos == self.buf.len() && !self.refill()? {
                return Err(self.truncated());
            }
            let chunk_offset = self.offset();
            let avail = &self.buf[self.pos..];
            let mut body_start = 0;
            let mut done = false;
            if !carry.is_empty() || start_state == EXPECT_FIRST {
                // Complete the value cut by the previous chunk boundary.
                let Some(j) = memchr::memchr2(b',', b']', avail) else {
                    if carry.is_empty() {
                        carry_offset = chunk_offset;
                    }
                    carry.extend_from_slice(avail);
                    self.pos = self.buf.len();
                    continue;
                };
                if carry.is_empty() {
                    carry_offset = chunk_offset;
                }
                carry.extend_from_slice(&avail[..=j]);
                let (values, end) = decode_piece(&carry, start_state, Vec::new())
                    .map_err(|(at, msg)| json_error_at(carry_offset + at as u64, msg))?;
                pending.push(values);
                carry.clear();
                body_start = j + 1;
                start_state = EXPECT_VALUE;
                done = end == PieceEnd::Closed;
            }
            if !done {
                let body = &avail[body_start..];
                let (end, closed) = match memchr::memchr(b']', body) {
                    Some(k) => (k + 1, true),
                    None => (memchr::memrchr(b',', body).map_or(0, |k| k + 1), false),
                };
                let piece = &body[..end];
                let base = chunk_offset + body_start as u64;
                // Cut at a ',' into pairs of parts, decoded pair by pair on both cores
                // while this thread's share is also to hand the previous chunk's values on.
                // Several pairs per core let the core that finishes first take more.
                let cuts = part_starts(piece);
                let mut pairs: Vec<DecodePair> = cuts
                    .windows(3)
                    .step_by(2)
                    .map(|w| DecodePair {
                        bounds: [w[0], w[1], w[2]],
                        buffers: [
                            spare.pop().unwrap_or_default(),
                            spare.pop().unwrap_or_default(),
                        ],
                        results: None,
                    })
                    .collect();
                let emit_ref = &mut emit;
                let pending_ref = &mut pending;
                let spare_ref = &mut spare;
                rayon::join(
                    || {
                        pairs.par_iter_mut().enumerate().for_each(|(k, pair)| {
                            let [a, b] = std::mem::take(&mut pair.buffers);
                            let state = if k == 0 { start_state } else { EXPECT_VALUE };
                            let [start, mid, end] = pair.bounds;
                            pair.results = Some(decode_pair(
                                &piece[start..mid],
                                state,
                                a,
                                &piece[mid..end],
                                b,
                            ));
                        });
                    },
                    || {
                        for mut v in pending_ref.drain(..) {
                            emit_ref(&v);
                            v.clear();
                            spare_ref.push(v);
                        }
                    },
                );
                let mut closed_part = false;
                for pair in pairs {
                    let (ra, rb) = pair.results.expect("every pair is decoded");
                    let [start, mid, end] = pair.bounds;
                    for (start, end, result) in [(start, mid, ra), (mid, end, rb)] {
                        if closed_part && start < end {
                            return Err(json_error_at(
                                base + start as u64,
                                "unexpected data after ']'",
                            ));
                        }
                        let (values, part_end) = result
                            .map_err(|(at, msg)| json_error_at(base + (start + at) as u64, msg))?;
                        closed_part |= part_end == PieceEnd::Closed;
                        pending.push(values);
                    }
                }
                done = closed || closed_part;
                if !piece.is_empty() {
                    start_state = EXPECT_VALUE;
                }
                if done {
                    pending.drain(..).for_each(|v| {
                        emit(&v);
                    });
                    self.pos += body_start + end;
                    return Ok(emit(&[]));
                }
                carry_offset = base + end as u64;
                carry.extend_from_slice(&body[end..]);
                self.pos = self.buf.len();
            } else {
                pending.drain(..).for_each(|v| {
                    emit(&v);
                });
                self.pos += body_start;
                return Ok(emit(&[]));
            }
        }
    }

    /// Parses a non-negative JSON integer whose first byte, `first`, was just read.
    fn integer_after(&mut self, first: u8) -> Result<u64> {
        if !first.is_ascii_digit() {
            return Err(self.json_err(format!(
                "expected a non-negative integer but found {}",
                describe(first)
            )));
        }
        let mut value = u64::from(first - b'0');
        loop {
            if self.pos == self.buf.len() && !self.refill()? {
                return Ok(value);
            }
            let b = self.buf[self.pos];
            if b.is_ascii_digit() {
                self.pos += 1;
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or_else(|| self.json_err("integer out of range"))?;
            } else if matches!(b, b'.' | b'e' | b'E' | b'-' | b'+') {
                self.pos += 1;
                return Err(self.json_err("expected a non-negative integer"));
            } else {
                return Ok(value);
            }
        }
    }

    /// Parses a JSON array of non-negative integers (small arrays: trace function infos,
    /// samples) into `out`.
    fn u64_array(&mut self, out: &mut Vec<u64>) -> Result<()> {
        self.expect(b'[')?;
        let mut b = self.next_non_ws()?;
        if b == b']' {
            return Ok(());
        }
        loop {
            out.push(self.integer_after(b)?);
            match self.next_non_ws()? {
                b',' => b = self.next_non_ws()?,
                b']' => return Ok(()),
                other => {
                    return Err(
                        self.json_err(format!("expected ',' or ']' but found {}", describe(other)))
                    );
                }
            }
        }
    }

    /// Parses the nested `trace_tree` (records of `layout.node_field_count` values, the
    /// `children` value being an array of child records) into preorder columns, without
    /// recursion. A node gets its ordinal when its `children` array opens, as DevTools'
    /// `traverseNode` creates a node before visiting its children.
    fn trace_tree(&mut self, layout: &TraceLayout, tree: &mut TraceTree) -> Result<()> {
        /// One open array of records.
        struct Level {
            /// Ordinal of the node whose children these are ([`NO_PARENT`] at the top).
            parent: u32,
            /// Next field of the current record.
            field: usize,
            /// Ordinal of the current record's node, once its `children` opened.
            node: u32,
            /// Values of the current record read so far.
            values: [u64; 32],
        }
        let width = layout.node_field_count;
        let cut_short = |input: &Self, field: usize| {
            trace_err(format!(
                "a \"trace_tree\" record has {field} values but trace_node_fields has {width} (near byte {})",
                input.offset()
            ))
        };
        self.expect(b'[')?;
        let mut b = self.next_non_ws()?;
        if b == b']' {
            return Ok(());
        }
        let new_level = |parent: u32| Level {
            parent,
            field: 0,
            node: NO_PARENT,
            values: [0; 32],
        };
        let mut levels: Vec<Level> = vec![new_level(NO_PARENT)];
        loop {
            // `b` starts the value of field `level.field` of the innermost record.
            let Some(level) = levels.last_mut() else {
                return Ok(());
            };
            if level.field == layout.node_children {
                if b != b'[' {
                    return Err(trace_err(format!(
                        "a \"trace_tree\" record's children are not an array (found {} at byte {})",
                        describe(b),
                        self.offset().saturating_sub(1)
                    )));
                }
                let node = tree.push(level.parent);
                level.node = node;
                b = self.next_non_ws()?;
                if b != b']' {
                    levels.push(new_level(node));
                    continue;
                }
                level.field += 1;
            } else {
                if b == b'[' {
                    return Err(trace_err(format!(
                        "a \"trace_tree\" record has {} values before its children array, but trace_node_fields puts children at {} (byte {})",
                        level.field,
                        layout.node_children,
                        self.offset().saturating_sub(1)
                    )));
                }
                let value = self.integer_after(b)?;
                level.values[level.field] = value;
                level.field += 1;
            }
            // After a value: complete records, close arrays, until the next value starts.
            loop {
                let Some(level) = levels.last_mut() else {
                    return Ok(());
                };
                if level.field == width {
                    // The record is complete (its node exists since its children opened).
                    let (i, v) = (level.node as usize, &level.values);
                    tree.id[i] = self.trace_u32(v[layout.node_id], "id")?;
                    tree.function[i] =
                        self.trace_u32(v[layout.node_function_info_index], "function_info_index")?;
                    tree.count[i] = v[layout.node_count];
                    tree.size[i] = v[layout.node_size];
                    level.field = 0;
                    level.node = NO_PARENT;
                }
                match self.next_non_ws()? {
                    b',' => {
                        b = self.next_non_ws()?;
                        break;
                    }
                    b']' => {
                        if level.field != 0 {
                            return Err(cut_short(self, level.field));
                        }
                        levels.pop();
                        match levels.last_mut() {
                            // The children array of the enclosing record is done.
                            Some(up) => up.field += 1,
                            None => return Ok(()),
                        }
                    }
                    other => {
                        return Err(self.json_err(format!(
                            "expected ',' or ']' but found {}",
                            describe(other)
                        )));
                    }
                }
            }
        }
    }

    /// A trace node value that must fit in 32 bits.
    fn trace_u32(&self, value: u64, what: &str) -> Result<u32> {
        u32::try_from(value).map_err(|_| {
            trace_err(format!(
                "a \"trace_tree\" node has {what} {value}, which is out of range (near byte {})",
                self.offset()
            ))
        })
    }

    /// Skips one JSON value (any type, any depth, no recursion), optionally copying its bytes.
    fn skip_value(&mut self, mut capture: Option<&mut Vec<u8>>) -> Result<()> {
        // Stack of open containers: b'{' or b'['.
        let mut stack: Vec<u8> = Vec::new();
        // Whether the current object expects a key next.
        let mut b = self.next_non_ws()?;
        loop {
            if let Some(c) = capture.as_deref_mut() {
                c.push(b);
            }
            match b {
                b'{' | b'[' => {
                    stack.push(b);
                    let n = self.next_non_ws()?;
                    let close = if b == b'{' { b'}' } else { b']' };
                    if n == close {
                        stack.pop();
                        if let Some(c) = capture.as_deref_mut() {
                            c.push(n);
                        }
                    } else {
                        b = n;
                        if stack.last() == Some(&b'{') && b != b'"' {
                            return Err(self.json_err("expected a string key"));
                        }
                        continue;
                    }
                }
                b'"' => {
                    let mut tmp = Vec::new();
                    self.string_into(&mut tmp)?;
                    if let Some(c) = capture.as_deref_mut() {
                        // Re-escape minimally: the captured text is re-parsed by serde_json.
                        for ch in String::from_utf8_lossy(&tmp).chars() {
                            match ch {
                                '"' => c.extend_from_slice(b"\\\""),
                                '\\' => c.extend_from_slice(b"\\\\"),
                                ch if (ch as u32) < 0x20 => {
                                    c.extend_from_slice(format!("\\u{:04x}", ch as u32).as_bytes())
                                }
                                ch => push_char(c, ch),
                            }
                        }
                        c.push(b'"');
                    }
                }
                b'-' | b'0'..=b'9' => loop {
                    if self.pos == self.buf.len() && !self.refill()? {
                        break;
                    }
                    let n = self.buf[self.pos];
                    if n.is_ascii_digit() || matches!(n, b'.' | b'e' | b'E' | b'+' | b'-') {
                        self.pos += 1;
                        if let Some(c) = capture.as_deref_mut() {
                            c.push(n);
                        }
                    } else {
                        break;
                    }
                },
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match b {
                        b't' => b"rue",
                        b'f' => b"alse",
                        _ => b"ull",
                    };
                    for &w in word {
                        let n = self.next_byte()?;
                        if n != w {
                            return Err(self.json_err(format!("unexpected {}", describe(n))));
                        }
                        if let Some(c) = capture.as_deref_mut() {
                            c.push(n);
                        }
                    }
                }
                other => {
                    return Err(self.json_err(format!("unexpected {}", describe(other))));
                }
            }
            // After a value: inside an object after a key we need ':', else ',' or close.
            let Some(&top) = stack.last() else {
                return Ok(());
            };
            let n = self.next_non_ws()?;
            if let Some(c) = capture.as_deref_mut() {
                c.push(n);
            }
            match (top, n) {
                (b'{', b':') | (b'{', b',') | (b'[', b',') => {
                    b = self.next_non_ws()?;
                }
                (b'{', b'}') | (b'[', b']') => {
                    stack.pop();
                    // Closing a container is itself the end of a value: check what follows.
                    loop {
                        let Some(&top) = stack.last() else {
                            return Ok(());
                        };
                        let n = self.next_non_ws()?;
                        if let Some(c) = capture.as_deref_mut() {
                            c.push(n);
                        }
                        match (top, n) {
                            (b'{', b',') | (b'[', b',') | (b'{', b':') => {
                                b = self.next_non_ws()?;
                                break;
                            }
                            (b'{', b'}') | (b'[', b']') => {
                                stack.pop();
                            }
                            _ => return Err(self.json_err(format!("unexpected {}", describe(n)))),
                        }
                    }
                }
                _ => return Err(self.json_err(format!("unexpected {}", describe(n)))),
            }
        }
    }
}

const EXPECT_FIRST: u8 = 0; // after '[': a value or ']'
const EXPECT_VALUE: u8 = 1; // after ',': a value

/// How a decoded piece of a number array ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PieceEnd {
    /// After a `,` (more values follow in the next piece).
    Open,
    /// At the closing `]` (which must be the piece's last byte).
    Closed,
}

fn json_error_at(offset: u64, message: impl Into<String>) -> Error {
    ErrorKind::Json {
        offset,
        message: message.into(),
    }
    .into()
}

/// Decodes a piece of a JSON array of u32s. The piece starts in `state` (just after `[`
/// or after a `,`) and must end just after a `,` (more to come) or at the closing `]`.
/// Errors carry the offset within the piece.
fn decode_piece(piece: &[u8], state: u8, mut values: Vec<u32>) -> PieceResult {
    prepare(&mut values, piece);
    decode_from(piece, 0, state == EXPECT_FIRST, values)
}

/// Two parts of a chunk's piece decoded together ([`decode_pair`]), with where they lie in
/// the piece and, once decoded, what they gave.
struct DecodePair {
    /// The first part is `bounds[0]..bounds[1]`, the second `bounds[1]..bounds[2]`.
    bounds: [usize; 3],
    buffers: [Vec<u32>; 2],
    results: Option<(PieceResult, PieceResult)>,
}

/// Where the parts of a piece start, and its length last: pieces of 64 KiB or more are cut
/// just after a `,` into [`PARTS`] parts of about equal size (an even count, as parts are
/// decoded in pairs); a smaller piece is one part and an empty one.
fn part_starts(piece: &[u8]) -> Vec<usize> {
    let n = piece.len();
    if n < 1 << 16 {
        return vec![0, n, n];
    }
    let mut cuts = vec![0];
    for k in 1..PARTS {
        let from = (k * n / PARTS).max(cuts[k - 1]);
        cuts.push(memchr::memchr(b',', &piece[from..]).map_or(n, |j| from + j + 1));
    }
    cuts.push(n);
    cuts
}

/// How many parts [`part_starts`] cuts a large piece into.
const PARTS: usize = 8;

/// What [`decode_piece`] returns: the values and how the piece ended, or the offset within
/// the piece of the first error and its message.
type PieceResult = std::result::Result<(Vec<u32>, PieceEnd), (usize, String)>;

/// Empties `values` and makes room for every value `piece` can hold.
fn prepare(values: &mut Vec<u32>, piece: &[u8]) {
    values.clear();
    values.reserve(piece.len() / 2 + 1);
}

/// Decodes two pieces as [`decode_piece`] does, the fast paths of both interleaved on this
/// thread: each value's decoding waits on where the previous one ended, so one piece alone
/// leaves the core idle between values, and two independent chains fill those gaps (about
/// 1.4x the values per second). `b` starts after a `,`.
fn decode_pair(
    a: &[u8],
    a_state: u8,
    mut va: Vec<u32>,
    b: &[u8],
    mut vb: Vec<u32>,
) -> (PieceResult, PieceResult) {
    prepare(&mut va, a);
    prepare(&mut vb, b);
    let (mut i, mut j) = (0, 0);
    if a_state == EXPECT_VALUE {
        while i + 16 <= a.len() && j + 16 <= b.len() {
            let (Some((x, next_i)), Some((y, next_j))) = (plain_value(a, i), plain_value(b, j))
            else {
                break;
            };
            va.push(x);
            vb.push(y);
            (i, j) = (next_i, next_j);
        }
    }
    (
        decode_from(a, i, a_state == EXPECT_FIRST, va),
        decode_from(b, j, false, vb),
    )
}

/// The careful loop of [`decode_piece`], from `i` (0, or the start of a value the fast
/// path did not take); `first` when `i` is just after the array's `[`.
fn decode_from(piece: &[u8], mut i: usize, mut first: bool, mut values: Vec<u32>) -> PieceResult {
    let is_ws = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let n = piece.len();
    loop {
        if !first {
            i = decode_plain(piece, i, &mut values);
        }
        while i < n && is_ws(piece[i]) {
            i += 1;
        }
        if i == n {
            return Ok((values, PieceEnd::Open));
        }
        let mut d = piece[i].wrapping_sub(b'0');
        if d >= 10 {
            let b = piece[i];
            if b == b']' && first {
                return if i + 1 == n {
                    Ok((values, PieceEnd::Closed))
                } else {
                    Err((i + 1, "unexpected data after ']'".into()))
                };
            }
            return Err((
                i,
                match b {
                    b'-' => "negative number where a count or index was expected".to_owned(),
                    _ => format!("expected a number but found {}", describe(b)),
                },
            ));
        }
        first = false;
        let start = i;
        let mut value = 0u64;
        loop {
            value = value * 10 + u64::from(d);
            i += 1;
            if i == n {
                break;
            }
            d = piece[i].wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            if i - start >= 10 {
                return Err((i, "number too large (over 2^32-1)".into()));
            }
        }
        if value > u64::from(u32::MAX) {
            return Err((start, "number too large (over 2^32-1)".into()));
        }
        values.push(value as u32);
        while i < n && is_ws(piece[i]) {
            i += 1;
        }
        match piece.get(i) {
            Some(b',') => i += 1,
            Some(b']') => {
                return if i + 1 == n {
                    Ok((values, PieceEnd::Closed))
                } else {
                    Err((i + 1, "unexpected data after ']'".into()))
                };
            }
            Some(b'.' | b'e' | b'E') => {
                return Err((i, "fractional number where an integer was expected".into()));
            }
            Some(b) if b.is_ascii_digit() => {
                return Err((i, "expected ',' or ']' between numbers".into()));
            }
            Some(&b) => {
                return Err((i, format!("unexpected {} in a number array", describe(b))));
            }
            None => return Err((n, "a number array piece ended inside a number".into())),
        }
    }
}

/// The fast path of [`decode_piece`]: decodes values of the common shape `123,` or `123\n,`
/// from `i` (the start of a value), eight bytes at a time, until fewer than 16 bytes are
/// left or anything else comes (spaces, `]`, a number over 10 digits or 2^32-1, bad bytes).
/// Returns where it stopped: the start of the value it did not take, which the careful
/// loop of [`decode_piece`] then decodes or reports.
#[inline]
fn decode_plain(piece: &[u8], mut i: usize, values: &mut Vec<u32>) -> usize {
    while i + 16 <= piece.len() {
        let Some((value, next)) = plain_value(piece, i) else {
            break;
        };
        values.push(value);
        i = next;
    }
    i
}

/// One value of the fast path at `i`, which has 16 bytes after it: the value and the start
/// of the next one, or `None` when it is not of the common shape. The 16 bytes are read
/// once, as one integer: the digits and the separator after them are taken out by shifts.
#[inline(always)]
fn plain_value(piece: &[u8], i: usize) -> Option<(u32, usize)> {
    const POW10: [u64; 3] = [1, 10, 100];
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&piece[i..i + 16]);
    let w = u128::from_le_bytes(bytes);
    let (mut value, mut len) = digits8(w as u64);
    if len == 8 {
        let (low, low_len) = digits8((w >> 64) as u64);
        if low_len > 2 {
            return None;
        }
        value = value * POW10[low_len] + low;
        len += low_len;
        if value > u64::from(u32::MAX) {
            return None;
        }
    } else if len == 0 {
        return None;
    }
    // The two bytes after the digits (at most 10 of them, so within the 16).
    let after = (w >> (8 * len)) as u16;
    if after as u8 == b',' {
        Some((value as u32, i + len + 1))
    } else if after == u16::from_le_bytes([b'\n', b',']) {
        Some((value as u32, i + len + 2))
    } else {
        None
    }
}

/// The leading ASCII digits of the 8 bytes of `w` (little-endian, SWAR): their value and
/// count (0 to 8).
#[inline(always)]
fn digits8(w: u64) -> (u64, usize) {
    // Digits become 0..=9; any other byte becomes > 9 (in its low 7 bits or its top bit).
    let x = w ^ 0x3030_3030_3030_3030;
    let low7 = x & 0x7F7F_7F7F_7F7F_7F7F;
    let non_digit = (low7.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
    let len = (non_digit.trailing_zeros() / 8) as usize;
    if len == 0 {
        return (0, 0);
    }
    // Move the digits to the top bytes (most significant digit first in memory = lowest
    // byte), then combine pairs, quads and octets.
    let d = x << (8 * (8 - len));
    let d = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let d = (d.wrapping_mul(100) + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
    let d = (d.wrapping_mul(10000) + (d >> 32)) & 0x0000_0000_FFFF_FFFF;
    (d, len)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

fn read_error(err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::InvalidInput
        || err.kind() == std::io::ErrorKind::InvalidData
    {
        ErrorKind::Gzip(err.to_string()).into()
    } else if err.kind() == std::io::ErrorKind::UnexpectedEof {
        // Only the gzip decoder reports this (files just end): a truncated `.gz`.
        ErrorKind::Gzip(format!("{err}; the compressed file is truncated")).into()
    } else {
        ErrorKind::Io(err).into()
    }
}

/// Parses a whole snapshot from `reader` (already decompressed or not: gzip is detected
/// from the magic bytes). `size_hint` is the uncompressed size when known, used only to
/// bound preallocation. As soon as the header is read, the memory the load will `need` is
/// checked against what is available (see [`memory::check`]).
pub(crate) fn parse<'a>(
    reader: Box<dyn Read + Send + 'a>,
    size_hint: Option<u64>,
    options: &LoadOptions,
    need: Need,
    progress: &Progress,
) -> Result<Parsed> {
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<std::io::Result<Vec<u8>>>(4);
        let (recycle, recycled) = sync_channel::<Vec<u8>>(4);
        let reader_thread = std::thread::Builder::new()
            .name("heapsight-reader".into())
            .spawn_scoped(scope, move || read_chunks(reader, &tx, &recycled))
            .map_err(|e| Error::new(ErrorKind::Io(e)))?;
        let mut input = Input {
            rx,
            recycle,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            progress,
            context: "before the snapshot",
        };
        let result = parse_document(&mut input, size_hint, options, need);
        // Dropping the receiver stops the reader thread at its next send.
        drop(input);
        reader_thread.join().ok();
        result
    })
}

/// The reader thread: fills chunks and sends them until end of input, error, or hang-up.
/// Also the reader of the redactor's copying pass.
pub(crate) fn read_chunks(
    mut reader: Box<dyn Read + Send + '_>,
    tx: &SyncSender<std::io::Result<Vec<u8>>>,
    recycled: &Receiver<Vec<u8>>,
) {
    loop {
        let mut chunk = recycled.try_recv().unwrap_or_default();
        chunk.resize(CHUNK_BYTES, 0);
        let mut filled = 0;
        // Fill the chunk (gzip readers return short reads).
        let result = loop {
            match reader.read(&mut chunk[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    filled += n;
                    if filled == chunk.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        chunk.truncate(filled);
        let at_end = filled < CHUNK_BYTES;
        if filled > 0 && tx.send(Ok(chunk)).is_err() {
            return;
        }
        if let Err(e) = result {
            tx.send(Err(e)).ok();
            return;
        }
        if at_end {
            return;
        }
    }
}

fn parse_document(
    input: &mut Input<'_>,
    size_hint: Option<u64>,
    options: &LoadOptions,
    need: Need,
) -> Result<Parsed> {
    input.progress.set_phase("Reading snapshot header");
    let first = match input.next_byte_opt()? {
        None => return Err(ErrorKind::Empty.into()),
        Some(b) => b,
    };
    let first = if matches!(first, b' ' | b'\n' | b'\r' | b'\t') {
        input.next_non_ws()?
    } else {
        first
    };
    if first != b'{' {
        return Err(
            if first == b'[' || first == b'"' || first.is_ascii_digit() {
                ErrorKind::NotASnapshot("the JSON document is not an object".into()).into()
            } else {
                input.json_err(format!(
                    "expected '{{' at the start of a heap snapshot but found {}",
                    describe(first)
                ))
            },
        );
    }

    let mut meta: Option<Meta> = None;
    let mut cols = RawColumns::default();
    let mut strings: Option<StringTable> = None;
    let mut sections = Vec::new();
    let mut seen_nodes = false;
    let mut seen_edges = false;
    let mut key = Vec::new();
    let mut first_key = true;
    loop {
        let b = input.next_non_ws()?;
        if b == b'}' && first_key {
            break;
        }
        first_key = false;
        if b != b'"' {
            return Err(input.json_err(format!("expected a key but found {}", describe(b))));
        }
        key.clear();
        input.string_into(&mut key)?;
        input.expect(b':')?;
        let start = input.offset();
        match key.as_slice() {
            b"snapshot" => {
                input.context = "inside the \"snapshot\" header";
                let mut raw = Vec::new();
                input.skip_value(Some(&mut raw))?;
                let header: RawHeader = serde_json::from_slice(&raw).map_err(|e| {
                    Error::new(ErrorKind::NotASnapshot(format!(
                        "the \"snapshot\" header is not a heap snapshot header ({e})"
                    )))
                })?;
                let m = Meta::from_raw(header)?;
                memory::check(&m, options, need)?;
                meta = Some(m);
            }
            b"nodes" => {
                let m = header_before(meta.as_ref(), "nodes")?;
                input.context = "inside the \"nodes\" array";
                input.progress.set_phase("Reading nodes");
                parse_nodes(input, m, &mut cols, size_hint)?;
                seen_nodes = true;
            }
            b"edges" => {
                let m = header_before(meta.as_ref(), "edges")?;
                input.context = "inside the \"edges\" array";
                input.progress.set_phase("Reading edges");
                parse_edges(input, m, &mut cols, size_hint)?;
                seen_edges = true;
            }
            b"strings" => {
                input.context = "inside the \"strings\" array";
                input.progress.set_phase("Reading strings");
                strings = Some(parse_strings(input)?);
            }
            // Allocation traces: read only when the header (written first by V8) says the
            // snapshot has them; otherwise skipped, so untracked snapshots pay nothing.
            b"trace_function_infos" => {
                input.context = "inside the \"trace_function_infos\" array";
                if meta.as_ref().is_some_and(|m| m.trace_layout.is_some()) {
                    input.progress.set_phase("Reading allocation traces");
                    input.u64_array(&mut cols.trace_function_infos)?;
                } else {
                    input.skip_value(None)?;
                }
            }
            b"trace_tree" => {
                input.context = "inside the \"trace_tree\" array";
                if let Some(layout) = meta.as_ref().and_then(|m| m.trace_layout) {
                    input.progress.set_phase("Reading allocation traces");
                    input.trace_tree(&layout, &mut cols.trace_tree)?;
                } else {
                    input.skip_value(None)?;
                }
            }
            b"samples" => {
                input.context = "inside the \"samples\" array";
                if meta.as_ref().is_some_and(|m| m.sample_layout.is_some()) {
                    input.progress.set_phase("Reading samples");
                    input.u64_array(&mut cols.samples)?;
                } else {
                    input.skip_value(None)?;
                }
            }
            b"locations" => {
                input.context = "inside the \"locations\" array";
                input.progress.set_phase("Reading locations");
                let locations = &mut cols.locations;
                input.u32_records(1, |r| locations.extend_from_slice(r))?;
            }
            _ => {
                input.context = "inside a top-level value";
                input.skip_value(None)?;
            }
        }
        sections.push(Section {
            key: key.clone(),
            start,
            end: input.offset(),
        });
        input.context = "between top-level fields";
        match input.next_non_ws()? {
            b',' => {}
            b'}' => break,
            other => {
                return Err(input.json_err(format!(
                    "expected ',' or '}}' but found {}",
                    describe(other)
                )));
            }
        }
    }
    // Only whitespace may follow.
    while let Some(b) = input.next_byte_opt()? {
        if !matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0) {
            return Err(input.json_err(format!(
                "unexpected {} after the end of the snapshot",
                describe(b)
            )));
        }
    }
    let meta = meta.ok_or_else(|| {
        Error::new(ErrorKind::NotASnapshot(
            "the JSON object has no \"snapshot\" header".into(),
        ))
    })?;
    if !seen_nodes {
        return Err(ErrorKind::NotASnapshot("there is no \"nodes\" array".into()).into());
    }
    if !seen_edges {
        return Err(ErrorKind::NotASnapshot("there is no \"edges\" array".into()).into());
    }
    let strings = strings.ok_or_else(|| {
        Error::new(ErrorKind::NotASnapshot(
            "there is no \"strings\" array".into(),
        ))
    })?;
    Ok(Parsed {
        meta,
        cols,
        strings,
        sections,
    })
}

/// The header, which V8 writes before the arrays that need its field layout.
fn header_before<'m>(meta: Option<&'m Meta>, array: &str) -> Result<&'m Meta> {
    meta.ok_or_else(|| {
        Error::new(ErrorKind::NotASnapshot(format!(
            "\"{array}\" comes before the \"snapshot\" header"
        )))
    })
}

/// Preallocation bound: the header's count, but never more than the input could hold.
fn capacity(header_count: u64, min_bytes_per_item: u64, size_hint: Option<u64>) -> usize {
    let bound = size_hint.map_or(1 << 22, |s| s / min_bytes_per_item.max(1) + 1);
    header_count.min(bound) as usize
}

fn parse_nodes(
    input: &mut Input<'_>,
    m: &Meta,
    cols: &mut RawColumns,
    size_hint: Option<u64>,
) -> Result<()> {
    let nf = m.node_field_count;
    let cap = capacity(m.header_node_count, 2 * nf as u64, size_hint);
    cols.node_type.reserve(cap);
    cols.node_name.reserve(cap);
    cols.node_id.reserve(cap);
    cols.node_self_size.reserve(cap);
    cols.first_edge.reserve(cap + 1);
    if m.node_detachedness_offset.is_some() {
        cols.node_detachedness.reserve(cap);
    }
    if m.node_trace_node_id_offset.is_some() {
        cols.trace_node_id.reserve(cap);
    }
    let type_count = m.node_types.len() as u32;
    let header_nodes = m.header_node_count.max(1) as f64;
    let progress = input.progress;
    let (o_type, o_name, o_id, o_size, o_edges) = (
        m.node_type_offset,
        m.node_name_offset,
        m.node_id_offset,
        m.node_self_size_offset,
        m.node_edge_count_offset,
    );
    let o_detached = m.node_detachedness_offset;
    let o_trace = m.node_trace_node_id_offset;
    let mut edge_total: u64 = 0;
    let mut bad_type: Option<(usize, u32)> = None;
    let c = cols;
    let left = input.u32_records(nf, |r| {
        // Column by column, so each loop is tight (this runs for every node of the file).
        let records = r.chunks_exact(nf);
        let mut any_bad = false;
        let first = c.node_type.len();
        c.node_type.extend(records.clone().map(|x| {
            any_bad |= x[o_type] >= type_count;
            x[o_type] as u8
        }));
        if any_bad
            && bad_type.is_none()
            && let Some(i) = records.clone().position(|x| x[o_type] >= type_count)
        {
            bad_type = Some((first + i, r[i * nf + o_type]));
        }
        c.node_name.extend(records.clone().map(|x| x[o_name]));
        c.node_id.extend(records.clone().map(|x| x[o_id]));
        c.node_self_size.extend(records.clone().map(|x| x[o_size]));
        c.first_edge.extend(records.clone().map(|x| {
            let first = edge_total as u32;
            edge_total += u64::from(x[o_edges]);
            first
        }));
        if let Some(o) = o_trace {
            c.trace_node_id.extend(records.clone().map(|x| x[o]));
        }
        if let Some(o) = o_detached {
            c.node_detachedness
                .extend(records.map(|x| (x[o] & 3) as u8));
        }
        progress.set_fraction(c.node_id.len() as f64 / header_nodes);
    })?;
    if let Some((node, t)) = bad_type {
        return Err(ErrorKind::Graph(format!(
            "node {node} has type {t}, but there are only {type_count} node types"
        ))
        .into());
    }
    if left != 0 {
        return Err(meta_err(format!(
            "the \"nodes\" array length is not a multiple of the {nf} node fields"
        )));
    }
    if edge_total > u64::from(u32::MAX) {
        return Err(meta_err("more than 2^32 edges are not supported"));
    }
    c.first_edge.push(edge_total as u32);
    Ok(())
}

fn parse_edges(
    input: &mut Input<'_>,
    m: &Meta,
    cols: &mut RawColumns,
    size_hint: Option<u64>,
) -> Result<()> {
    let ef = m.edge_field_count;
    let nf = m.node_field_count as u32;
    let cap = capacity(m.header_edge_count, 2 * ef as u64, size_hint);
    // DevTools' synthetic "invisible" type is not a valid type in a file.
    let type_count = (m.edge_types.len() - 1) as u32;
    cols.edge_kinds = EdgeKinds::for_types(type_count as usize);
    cols.edge_kinds.reserve(cap);
    cols.edge_to.reserve(cap);
    let header_edges = m.header_edge_count.max(1) as f64;
    let progress = input.progress;
    let (o_type, o_name, o_to) = (
        m.edge_type_offset,
        m.edge_name_offset,
        m.edge_to_node_offset,
    );
    let mut bad: Option<String> = None;
    let c = cols;
    let left = input.u32_records(ef, |r| {
        // Column by column, so each loop is tight (this runs for every edge of the file).
        let records = r.chunks_exact(ef);
        let first = c.edge_to.len();
        // The usual field counts get a constant divisor (a multiply, not a division).
        let misaligned = match nf {
            6 => push_targets(&mut c.edge_to, records.clone(), o_to, 6),
            7 => push_targets(&mut c.edge_to, records.clone(), o_to, 7),
            _ => push_targets(&mut c.edge_to, records.clone(), o_to, nf),
        };
        if (misaligned || records.clone().any(|x| x[o_type] >= type_count))
            && bad.is_none()
            && let Some(i) = records
                .clone()
                .position(|x| x[o_type] >= type_count || x[o_to] % nf != 0)
        {
            let (t, to) = (r[i * ef + o_type], r[i * ef + o_to]);
            let edge = first + i;
            bad = Some(if t >= type_count {
                format!("edge {edge} has type {t}, but there are only {type_count} edge types")
            } else {
                format!(
                    "edge {edge} points to node index {to}, which is not a multiple of the {nf} node fields"
                )
            });
        }
        c.edge_kinds
            .extend(records.clone().map(|x| (x[o_type] as u8, x[o_name])));
        progress.set_fraction(c.edge_to.len() as f64 / header_edges);
    })?;
    if let Some(message) = bad {
        return Err(ErrorKind::Graph(message).into());
    }
    if left != 0 {
        return Err(meta_err(format!(
            "the \"edges\" array length is not a multiple of the {ef} edge fields"
        )));
    }
    Ok(())
}

/// Appends the node ordinal each record's `to_node` field (at `o_to`) points to, and says
/// whether any is not a multiple of `nf`. Inlined, so a constant `nf` at the call is a
/// multiply (this runs for every edge).
#[inline(always)]
fn push_targets(
    out: &mut Vec<u32>,
    records: std::slice::ChunksExact<'_, u32>,
    o_to: usize,
    nf: u32,
) -> bool {
    let mut misaligned = false;
    out.extend(records.map(|x| {
        let to = x[o_to];
        let node = to / nf;
        misaligned |= node * nf != to;
        node
    }));
    misaligned
}

fn parse_strings(input: &mut Input<'_>) -> Result<StringTable> {
    let mut table = StringTable::with_capacity(1 << 16);
    let mut scratch: Vec<u8> = Vec::new();
    input.expect(b'[')?;
    let mut first = true;
    loop {
        let b = input.next_non_ws()?;
        if b == b']' && first {
            break;
        }
        first = false;
        if b != b'"' {
            return Err(input.json_err(format!(
                "expected a string in \"strings\" but found {}",
                describe(b)
            )));
        }
        scratch.clear();
        input.string_into(&mut scratch)?;
        if table.text_len() + scratch.len() > MAX_FILE_TEXT_BYTES {
            return Err(meta_err(format!(
                "the strings add up to more than {} MiB, which is not supported",
                MAX_FILE_TEXT_BYTES >> 20
            )));
        }
        // `string_into` leaves valid UTF-8 (invalid input is replaced with U+FFFD).
        table.push(std::str::from_utf8(&scratch).unwrap_or("\u{FFFD}"));
        match input.next_non_ws()? {
            b',' => {}
            b']' => break,
            other => {
                return Err(
                    input.json_err(format!("expected ',' or ']' but found {}", describe(other)))
                );
            }
        }
    }
    table.shrink_to_fit();
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `text` (a piece after a `,`) one byte at a time: the careful loop only.
    fn careful(text: &[u8]) -> std::result::Result<(Vec<u32>, PieceEnd), (usize, String)> {
        let mut values = Vec::new();
        let mut at = 0;
        // Feed the careful path by decoding each value's piece on its own.
        while at < text.len() {
            let end = text[at..]
                .iter()
                .position(|&b| b == b',' || b == b']')
                .map_or(text.len(), |k| at + k + 1);
            let (v, piece_end) = decode_piece(&text[at..end], EXPECT_VALUE, Vec::new())
                .map_err(|(i, m)| (at + i, m))?;
            values.extend(v);
            if piece_end == PieceEnd::Closed {
                return Ok((values, PieceEnd::Closed));
            }
            at = end;
        }
        Ok((values, PieceEnd::Open))
    }

    #[test]
    fn parts_are_cut_after_commas_and_cover_the_piece() {
        assert_eq!(part_starts(b"1,2,3,"), [0, 6, 6]);
        let text: String = (0..40_000u32).map(|v| format!("{v},")).collect();
        let piece = text.as_bytes();
        let cuts = part_starts(piece);
        assert_eq!(cuts.len(), PARTS + 1);
        assert_eq!((cuts[0], cuts[PARTS]), (0, piece.len()));
        for w in cuts.windows(2) {
            assert!(w[0] < w[1] && piece[w[1] - 1] == b',', "{cuts:?}");
            assert!(w[1] - w[0] < piece.len() / PARTS + 8, "{cuts:?}");
        }
        // A piece with a comma only at its end stays one part followed by empty ones.
        let long = format!("{}]", "7".repeat(1 << 17));
        let cuts = part_starts(long.as_bytes());
        assert!(cuts[1..].iter().all(|&c| c == long.len()), "{cuts:?}");
    }

    #[test]
    fn fast_path_agrees_with_the_careful_loop() {
        let mut numbers: Vec<String> = Vec::new();
        let mut p: u64 = 1;
        for _ in 0..10 {
            for v in [p, p - 1, p + 7, p * 3 / 2] {
                numbers.push(v.min(u64::from(u32::MAX)).to_string());
            }
            p *= 10;
        }
        numbers.extend(["4294967295", "0004", "0000000012"].map(String::from));
        let separators = [",", "\n,", " ,", ", ", "\n , "];
        let bad = [
            "",
            "4294967296",
            "12345678901",
            "99999999999",
            "-1",
            "1.5",
            "1e3",
            "x",
            "12 3",
            "]",
        ];
        for (k, sep_a) in separators.iter().enumerate() {
            for (b, bad) in bad.iter().enumerate() {
                let mut text = String::new();
                for (i, n) in numbers.iter().enumerate() {
                    if i == 3 * b + k && !bad.is_empty() {
                        text.push_str(bad);
                        text.push(',');
                    }
                    text.push_str(n);
                    text.push_str(if i % 3 == 0 {
                        sep_a
                    } else {
                        separators[(i + k) % 2]
                    });
                }
                let piece = text.as_bytes();
                let fast = decode_piece(piece, EXPECT_VALUE, Vec::new());
                assert_eq!(fast, careful(piece), "piece {text:?}");
                assert_eq!(fast.is_ok(), bad.is_empty(), "piece {text:?}");
                // Interleaved in pairs, cut after each ',' in turn: as each part alone.
                for (cut, _) in text.match_indices(',').step_by(5) {
                    let (a, b) = piece.split_at(cut + 1);
                    for state in [EXPECT_VALUE, EXPECT_FIRST] {
                        assert_eq!(
                            decode_pair(a, state, vec![7], b, Vec::new()),
                            (
                                decode_piece(a, state, Vec::new()),
                                decode_piece(b, EXPECT_VALUE, Vec::new())
                            ),
                            "pair {a:?} {b:?}"
                        );
                    }
                }
                let closed = format!("{text}17]");
                assert_eq!(
                    decode_piece(closed.as_bytes(), EXPECT_VALUE, Vec::new()),
                    careful(closed.as_bytes()),
                    "piece {closed:?}"
                );
            }
        }
        let (values, end) = decode_piece(
            b"1,22,333,4444,55555,666666,7777777,88888888,999999999,4294967295\n,0,",
            EXPECT_VALUE,
            Vec::new(),
        )
        .expect("valid");
        assert_eq!(end, PieceEnd::Open);
        assert_eq!(
            values,
            [
                1,
                22,
                333,
                4444,
                55555,
                666666,
                7777777,
                88888888,
                999999999,
                u32::MAX,
                0
            ]
        );
    }
}
