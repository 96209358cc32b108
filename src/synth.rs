//! Synthetic V8 heap snapshots, written straight to the `.heapsnapshot` JSON format.
//!
//! [`write_synthetic`] streams a snapshot of roughly [`SynthOptions::target_bytes`] bytes to any
//! [`std::io::Write`] without holding the graph: memory use is a 64 KiB output buffer plus a few
//! hundred fixed nodes, whatever the file size, so a 4–6 GB benchmark input can be written on a
//! machine that could never build it with `make-big.js` (which needs ~5× the file size in RAM).
//!
//! # Layout of the file
//!
//! The text mimics what Node 20+ writes (`v8.writeHeapSnapshot`), byte for byte in its framing:
//! `{"snapshot":{"meta":…,"node_count":N,"edge_count":E,"trace_function_count":0},` then
//! `"nodes"` (one node of 7 numbers per line), `"edges"` (3 numbers per line),
//! `"trace_function_infos"`, `"trace_tree"`, `"samples"` (all empty), `"locations"` (4 numbers
//! per line) and `"strings"` (one per line, index 0 is V8's `"<dummy>"`). No trailing newline.
//!
//! # Layout of the graph
//!
//! Node indexes (the `to_node` values are these times 7):
//! - `0 .. header_len`: fixed nodes. Node 0 is the synthetic root `""` with edges to
//!   `(GC roots)` (element 1), the `global` object (shortcut `"2"`), `C++ roots` and
//!   `Node / Environment`. `(GC roots)` holds ten synthetic sub-roots (`(Internalized strings)`,
//!   `(Strong roots)`, `(Handle scope)`, …). Then `global`, its proxy, `system / NativeContext`,
//!   a script `system / Context`, maps (`object shape`), class constructors with prototypes and
//!   shared function infos, interned strings (statuses, `sku-N`, `cohort-N`) and five
//!   containers whose element/property/internal edges fan out to every unit (see below).
//! - `header_len .. header_len + unit nodes`: `units` fixed-shape units. The shape of unit `u`
//!   depends only on `u % 64` (a "block" is 64 units), so the first node of any unit, the total
//!   node/edge counts and every string index are computed up front in O(1) per unit. A unit is a
//!   `Customer` (unique name string, duplicated country string, `tags`/`orders` arrays, an
//!   `onChange` closure whose `system / Context` captures the customer and its order: a cycle),
//!   an `Order` (back edge to the customer, three `LineItem`s holding heap numbers, a `Date`) and
//!   an `AuditEntry`. Every 8th unit adds a `Session` (unique token string, weak edge to the
//!   order, a `locations` entry), every 64th a `Buffer` → `ArrayBuffer` →
//!   `system / JSArrayBufferData` (native), every 16th (`u % 16 == 7`) a concatenated string.
//! - The `AuditEntry`s form rings of [`CHAIN_LEN`] units (`next` → the next unit's entry, the
//!   last one back to the ring's head), held only through their head by `global.auditChains`:
//!   dominator chains thousands of nodes deep, for testing non-recursive algorithms.
//! - Last, a few embedder nodes (`C++ roots`, `Node / Environment`, `Node / …` natives).
//!
//! Node ids are increasing in node order: `2 * index + 1` (odd) for V8 heap objects,
//! `2 * index + 2` (even) for the embedder nodes at the end, as V8 numbers embedder nodes even.
//! String indexes: `0` is `"<dummy>"`, then the fixed strings, then per-unit strings
//! (`customer-N`, a numeric Map slot name, and for sessions a token), in unit order.
//! Everything is deterministic for a given [`SynthOptions`]; the seed only picks statuses,
//! countries, cohorts and SKUs (never the shape).
//!
//! # A family of three snapshots
//!
//! [`write_family_member`] writes one of three snapshots of one process that leaks
//! ([`FamilyMember::Baseline`], [`Target`](FamilyMember::Target), [`Final`](FamilyMember::Final)),
//! the input of the three-snapshot method (`heapsight leaks`, the leak doctor). The three
//! share the units of one [`SynthOptions`] (the unit count is the one that makes the *target*
//! about `target_bytes`; the baseline is a few percent smaller, the final a few percent larger)
//! and differ only in a leak section between the units and the embedder nodes:
//!
//! - The base graph is the single snapshot's plus two header nodes: a module
//!   `system / Context` (`previous` → the script context) that the `handleRequest` closure
//!   now captures (internal `context`), holding `leakyCache` (a context edge) → a `Map`
//!   (self size 32, internal `table`). So the leak is held by
//!   `(Stack roots)` / `global.handleRequest` → `handleRequest` → Context → Map → table.
//!   Every node of the base graph has the same index, id, name, size and edges in the three
//!   files (only the Map's `table` edge and the `(Handle scope)` edges point elsewhere), and
//!   every string of the base graph has the same index.
//! - `L = max(1, units / 20)` leak entries per round: the baseline has none, the target
//!   entries `0..L`, the final `0..2L` (the target's entries are the same objects, same ids).
//!   Entry `e` is 8 nodes in this order: the key string `sess-<e>`; a `LeakedSession`
//!   (object, 64 bytes; property `id` → the key, `payload` → a 200-character string,
//!   `items` → an `Array`, internal `map`); the payload; the `Array` (internal `elements`);
//!   its `(array)` backing store with elements `0..3` → three heap numbers.
//! - The Map's table, an `(array)` `""` re-created (new id) in each snapshot as it is rehashed
//!   on growth: internal edges named by slot number alternate key string and `LeakedSession`,
//!   two per entry (slot names `1200 + 2 * units + 3e` and one more, fresh numeric strings).
//! - Churn: `C = clamp(L / 4, 4, 1000)` short-lived `TempBuffer`s (object, internal
//!   `elements` → a 1 KiB `(array)`), held by `(Handle scope)` (internal edges `"3"`…),
//!   allocated anew for each snapshot and gone from the next one. They are "new in the
//!   target" but not leaked: the three-snapshot method must find exactly the target's `8L`
//!   entry nodes (`L` of them `LeakedSession`s, the first user class).
//!
//! Ids: V8 numbers objects increasingly, so each snapshot's leak nodes come from its own
//! "epoch" of odd ids reserved between the units and the embedder nodes: epoch 0 (the
//! baseline's table and churn), epoch 1 (entries `0..L`, the target's table and churn),
//! epoch 2 (entries `L..2L`, the final's table and churn). A leak node's id is
//! `2 * (B + epoch start + slot) + 1` where `B` is the number of header and unit nodes; the
//! embedder nodes keep fixed even ids above every epoch. Ids still increase in node order in
//! every file, the target's new objects have odd ids above all the baseline's odd ids
//! (DevTools' `maxJsNodeId`), and the final's above all the target's.
//! String indexes: the base strings, then four per present entry (key, payload, key slot
//! name, value slot name), so an entry's strings have the same indexes in target and final.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthOptions {
    /// Approximate size of the file in bytes (usually within 1%; at least one unit is written).
    pub target_bytes: u64,

    /// Seed for the tiny xorshift generator; the same options always give the same bytes.
    pub seed: u64,
}

/// What [`write_synthetic`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Number of nodes (`snapshot.node_count`).
    pub nodes: u64,

    /// Number of edges (`snapshot.edge_count`).
    pub edges: u64,

    /// Length of the `strings` array, including V8's `"<dummy>"` at index 0.
    pub strings: u64,

    /// Bytes written to the output.
    pub bytes: u64,

    /// Entries of the family's `leakyCache` Map in this snapshot (0 outside a family).
    pub leak_entries: u64,
}

/// One snapshot of a family (see the [module docs](self#a-family-of-three-snapshots)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FamilyMember {
    /// After warm-up: the leak's Map is empty.
    Baseline,
    /// After one round of the leak: `L` entries.
    Target,
    /// After a second round: `2L` entries, the first `L` the target's.
    Final,
}

impl FamilyMember {
    /// The three, in the order they are taken.
    pub const ALL: [Self; 3] = [Self::Baseline, Self::Target, Self::Final];

    /// `baseline`, `target` or `final`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Target => "target",
            Self::Final => "final",
        }
    }

    /// The file name `heapsight synth --family` gives it: `<name>.heapsnapshot`.
    pub fn file_name(self) -> String {
        format!("{}.heapsnapshot", self.name())
    }

    /// 0, 1, 2: also the number of leak rounds before it.
    fn index(self) -> u64 {
        match self {
            Self::Baseline => 0,
            Self::Target => 1,
            Self::Final => 2,
        }
    }
}

/// Length of the `AuditEntry` rings (the deep chains), in units.
pub const CHAIN_LEN: u64 = 4096;

/// The `snapshot.meta` object exactly as Node 20 (V8 11.3+) writes it.
const META: &str = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape","wasm object"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]}"#;

/// String index of `""` (index 0 is V8's `"<dummy>"`), the name of array backing stores.
const EMPTY_STRING: u32 = 1;

/// Number of fields per node in `META`.
const NODE_FIELDS: u64 = 7;

// Node types (indexes into `meta.node_types[0]`).
const HIDDEN: u8 = 0;
const ARRAY: u8 = 1;
const STRING: u8 = 2;
const OBJECT: u8 = 3;
const CODE: u8 = 4;
const CLOSURE: u8 = 5;
const REGEXP: u8 = 6;
const NUMBER: u8 = 7;
const NATIVE: u8 = 8;
const SYNTHETIC: u8 = 9;
const CONCATENATED: u8 = 10;
const OBJECT_SHAPE: u8 = 14;

// Edge types (indexes into `meta.edge_types[0]`).
const E_CONTEXT: u8 = 0;
const E_ELEMENT: u8 = 1;
const E_PROPERTY: u8 = 2;
const E_INTERNAL: u8 = 3;
const E_HIDDEN: u8 = 4;
const E_SHORTCUT: u8 = 5;
const E_WEAK: u8 = 6;

/// Units per block; the shape of a unit depends only on its index modulo this.
const BLOCK: u64 = 64;

/// Numeric strings `"0"..NUMERIC_NAMES` are fixed strings (edge names such as `"2"`); Map slot
/// names of the units start above them so that no string appears twice.
const NUMERIC_NAMES: u64 = 1200;

/// Script id, line and column of the `Session` constructor in the `locations` array.
const SESSION_LOCATION: [u64; 3] = [42, 17, 2];

const STATUSES: [&str; 4] = ["active", "suspended", "pending", "closed"];
const COUNTRIES: [&str; 6] = [
    "DE/region",
    "US/region",
    "FR/region",
    "JP/region",
    "BR/region",
    "IN/region",
];
const SKU_COUNT: u64 = 997;
const COHORT_COUNT: u64 = 50;

/// Nodes of one leak entry (key, `LeakedSession`, payload, `Array`, `(array)`, 3 numbers).
const ENTRY_NODES: u64 = 8;

/// Heap numbers in a `LeakedSession`'s `items`.
const ITEMS_PER_ENTRY: u64 = 3;

/// Characters of a `LeakedSession`'s payload string.
const PAYLOAD_LEN: usize = 200;

/// Nodes of one `TempBuffer` (the object and its backing `(array)`).
const CHURN_NODES: u64 = 2;

/// Strings of one leak entry: key, payload, key slot name, value slot name.
const ENTRY_STRINGS: u64 = 4;

/// Offsets of the fixed nodes of a unit, relative to the unit's first node.
mod unit {
    pub const CUSTOMER: u64 = 0;
    pub const NAME: u64 = 1;
    pub const COUNTRY: u64 = 2;
    pub const TAGS: u64 = 3;
    pub const TAGS_ELEMENTS: u64 = 4;
    pub const ORDERS: u64 = 5;
    pub const ORDERS_ELEMENTS: u64 = 6;
    pub const NOTIFY: u64 = 7;
    pub const CONTEXT: u64 = 8;
    pub const ORDER: u64 = 9;
    pub const ITEMS: u64 = 10;
    pub const ITEMS_ELEMENTS: u64 = 11;
    pub const LINE_ITEM: u64 = 12; // Three of them.
    pub const PRICE: u64 = 15; // Three heap numbers, one per line item.
    pub const DATE: u64 = 18;
    pub const AUDIT: u64 = 19;
    /// First optional node: the `Session` (then its token string) when present.
    pub const SESSION: u64 = 20;
}

/// The optional parts of unit `u`, which depend only on `u % 64`.
#[derive(Clone, Copy)]
struct Shape {
    session: Option<u64>,
    buffer: Option<u64>,
    note: Option<u64>,
}

impl Shape {
    fn of(u: u64) -> Self {
        let mut next = unit::SESSION;
        let mut take = |present: bool, count: u64| {
            present.then(|| {
                let at = next;
                next += count;
                at
            })
        };
        let session = take(u.is_multiple_of(8), 2);
        let buffer = take(u.is_multiple_of(64), 3);
        let note = take(u % 16 == 7, 1);
        Self {
            session,
            buffer,
            note,
        }
    }

    /// Number of per-unit strings: the customer name, the Map slot name, maybe a token.
    fn strings(self) -> u64 {
        2 + u64::from(self.session.is_some())
    }
}

/// A tiny deterministic generator (xorshift64), seeded per unit so that every pass over the
/// units sees the same values.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        // SplitMix64 finalizer to spread (seed, stream) over the state.
        let mut x = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        Self(if x == 0 { 0x2545_F491_4F6C_DD1D } else { x })
    }

    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % n
    }
}

/// Writes a synthetic Node heap snapshot of about `opts.target_bytes` bytes to `out`.
///
/// Counts are known before anything is written, so the header is exact; the graph is produced
/// twice (once for `nodes`, once for `edges`) by the same deterministic generator.
/// `out` need not be buffered.
pub fn write_synthetic(opts: &SynthOptions, out: impl Write) -> io::Result<SynthStats> {
    write_layout(&Layout::for_target(opts.target_bytes, opts.seed, None), out)
}

/// Writes one snapshot of the family of `opts` (see the
/// [module docs](self#a-family-of-three-snapshots)): the three members of one `opts` share
/// their units and ids, and the target is about `opts.target_bytes` bytes.
pub fn write_family_member(
    opts: &SynthOptions,
    member: FamilyMember,
    out: impl Write,
) -> io::Result<SynthStats> {
    let units = Layout::for_target(opts.target_bytes, opts.seed, Some(FamilyMember::Target)).units;
    write_layout(&Layout::new(units, opts.seed, Some(member)), out)
}

/// Writes a snapshot (`member: None`) or one family member to `path`, through a temporary
/// `<path>.part` in the same directory renamed at the end, so that an error never leaves a
/// half-written file under the final name.
pub fn write_to_path(
    opts: &SynthOptions,
    member: Option<FamilyMember>,
    path: &Path,
) -> io::Result<SynthStats> {
    crate::atomic_file::write_via_part(path, |writer| match member {
        None => write_synthetic(opts, writer),
        Some(member) => write_family_member(opts, member, writer),
    })
}

fn write_layout(layout: &Layout, out: impl Write) -> io::Result<SynthStats> {
    let mut out = Out::new(out);
    layout.write(&mut out)?;
    out.flush()?;
    Ok(SynthStats {
        nodes: layout.node_count,
        edges: layout.edge_count,
        strings: layout.string_count(),
        bytes: out.bytes,
        leak_entries: layout.entries(),
    })
}

// ----------------------------------------------------------------------------
// Output.

/// A byte counter and buffer in front of the writer; numbers are formatted by hand.
struct Out<W: Write> {
    w: W,
    buf: Vec<u8>,
    bytes: u64,
}

const OUT_BUFFER_BYTES: usize = 64 * 1024;

impl<W: Write> Out<W> {
    fn new(w: W) -> Self {
        Self {
            w,
            buf: Vec::with_capacity(OUT_BUFFER_BYTES + 256),
            bytes: 0,
        }
    }

    fn raw(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
    }

    fn num(&mut self, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
    }

    /// Call after each record; writes the buffer out when it is full.
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= OUT_BUFFER_BYTES {
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.w.flush()
    }

    /// Bytes written so far, including the buffered ones.
    fn position(&self) -> u64 {
        self.bytes + self.buf.len() as u64
    }

    /// A JSON string the way V8's serializer writes it: `"`, `\` and control characters
    /// escaped, every non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF).
    fn json_string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.buf.push(b'"');
        for c in s.chars() {
            match c {
                '"' => self.raw(b"\\\""),
                '\\' => self.raw(b"\\\\"),
                '\n' => self.raw(b"\\n"),
                '\r' => self.raw(b"\\r"),
                '\t' => self.raw(b"\\t"),
                '\u{8}' => self.raw(b"\\b"),
                '\u{c}' => self.raw(b"\\f"),
                ' '..='~' => self.buf.push(c as u8),
                _ => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let u = *unit;
                        self.raw(b"\\u");
                        for shift in [12, 8, 4, 0] {
                            self.buf.push(HEX[usize::from((u >> shift) & 0xF)]);
                        }
                    }
                }
            }
        }
        self.buf.push(b'"');
    }
}

// ----------------------------------------------------------------------------
// Graph emission: one generator, several consumers.

/// Consumer of the generated graph. The generator calls `node` for each node in order, then
/// `edge` for each of that node's edges, before the next `node`.
trait Sink {
    fn node(&mut self, ty: u8, name: u32, self_size: u64, embedder: bool) -> io::Result<()>;
    fn edge(&mut self, ty: u8, name_or_index: u64, to_node_index: u64) -> io::Result<()>;
}

/// Counts nodes and edges.
#[derive(Default)]
struct Counter {
    nodes: u64,
    edges: u64,
}

impl Sink for Counter {
    fn node(&mut self, _: u8, _: u32, _: u64, _: bool) -> io::Result<()> {
        self.nodes += 1;
        Ok(())
    }

    fn edge(&mut self, _: u8, _: u64, _: u64) -> io::Result<()> {
        self.edges += 1;
        Ok(())
    }
}

/// Writes the `nodes` array. A node is held back until its edges are counted.
struct NodeWriter<'a, W: Write> {
    out: &'a mut Out<W>,
    pending: Option<(u8, u32, u64, bool)>,
    pending_edges: u64,
    /// Index of the next node to be written.
    index: u64,
    ids: IdMap,
}

impl<'a, W: Write> NodeWriter<'a, W> {
    fn new(out: &'a mut Out<W>, first_index: u64, ids: IdMap) -> Self {
        Self {
            out,
            pending: None,
            pending_edges: 0,
            index: first_index,
            ids,
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some((ty, name, self_size, embedder)) = self.pending.take() else {
            return Ok(());
        };
        let out = &mut *self.out;
        if self.index != 0 {
            out.raw(b",");
        }
        let id = self.ids.id(self.index, embedder);
        out.num(u64::from(ty));
        out.raw(b",");
        out.num(u64::from(name));
        out.raw(b",");
        out.num(id);
        out.raw(b",");
        out.num(self_size);
        out.raw(b",");
        out.num(self.pending_edges);
        out.raw(b",0,0\n");
        self.index += 1;
        self.pending_edges = 0;
        out.maybe_flush()
    }
}

impl<W: Write> Sink for NodeWriter<'_, W> {
    fn node(&mut self, ty: u8, name: u32, self_size: u64, embedder: bool) -> io::Result<()> {
        self.finish()?;
        self.pending = Some((ty, name, self_size, embedder));
        Ok(())
    }

    fn edge(&mut self, _: u8, _: u64, _: u64) -> io::Result<()> {
        self.pending_edges += 1;
        Ok(())
    }
}

/// Writes the `edges` array.
struct EdgeWriter<'a, W: Write> {
    out: &'a mut Out<W>,
    first: bool,
}

impl<W: Write> Sink for EdgeWriter<'_, W> {
    fn node(&mut self, _: u8, _: u32, _: u64, _: bool) -> io::Result<()> {
        Ok(())
    }

    fn edge(&mut self, ty: u8, name_or_index: u64, to_node_index: u64) -> io::Result<()> {
        let out = &mut *self.out;
        if !self.first {
            out.raw(b",");
        }
        self.first = false;
        out.num(u64::from(ty));
        out.raw(b",");
        out.num(name_or_index);
        out.raw(b",");
        out.num(to_node_index * NODE_FIELDS);
        out.raw(b"\n");
        out.maybe_flush()
    }
}

/// Node index → id: `2 * index + 1` for the header and units, the epochs of a family's leak
/// section (see the module docs), then fixed even ids for the embedder nodes.
#[derive(Clone, Copy)]
struct IdMap {
    /// Index of the first leak node (header and unit nodes come before it).
    leak_base: u64,
    /// Nodes in this snapshot's leak section.
    leak_nodes: u64,
    /// Nodes of the entries present in this snapshot (they come first in the section).
    entry_nodes: u64,
    /// `L`, entries per round.
    leak: u64,
    /// The member's index: the epoch of its table and churn.
    member: u64,
    /// First slot of each epoch, relative to `leak_base`.
    epoch_start: [u64; 3],
    /// Slots of all three epochs together (the embedder ids come after them).
    reserved: u64,
}

impl IdMap {
    /// `2 * index + 1`, or `+ 2` for embedder nodes: no leak section.
    fn plain() -> Self {
        Self {
            leak_base: u64::MAX,
            leak_nodes: 0,
            entry_nodes: 0,
            leak: 0,
            member: 0,
            epoch_start: [0; 3],
            reserved: 0,
        }
    }

    fn id(&self, index: u64, embedder: bool) -> u64 {
        if embedder {
            return 2 * (index - self.leak_nodes + self.reserved) + 2;
        }
        if index < self.leak_base {
            return 2 * index + 1;
        }
        let r = index - self.leak_base;
        let (epoch, slot) = if r < self.entry_nodes {
            // Entry e: epoch 1 for the target's, 2 for the final's extra ones.
            let e = r / ENTRY_NODES;
            let epoch = 1 + e / self.leak;
            let slot = (e - (epoch - 1) * self.leak) * ENTRY_NODES + r % ENTRY_NODES;
            (epoch, slot)
        } else {
            // This snapshot's table and churn, after its epoch's entries.
            let entries = if self.member == 0 { 0 } else { self.leak };
            (self.member, entries * ENTRY_NODES + r - self.entry_nodes)
        };
        2 * (self.leak_base + self.epoch_start[epoch as usize] + slot) + 1
    }
}

// ----------------------------------------------------------------------------
// Fixed nodes.

/// A reference to a fixed node: in the header, or in the tail after the units.
#[derive(Clone, Copy)]
enum Ref {
    Head(usize),
    Tail(usize),
    /// A node of a family's leak section.
    Leak(LeakRef),
}

/// The leak-section nodes that fixed nodes point to.
#[derive(Clone, Copy)]
enum LeakRef {
    /// The `leakyCache` Map's table.
    Table,
    /// The `i`-th `TempBuffer`.
    Churn(u64),
}

/// Edges of a fixed node that go to every unit (or every 8th, or every chain head).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fanout {
    /// `customersByName`: property `customer-N` → Customer of unit N.
    CustomersByName,
    /// `ordersById` table: internal `<slot>` → Order of unit N.
    OrdersTable,
    /// `allOrders` elements: element N → Order of unit N.
    AllOrders,
    /// `activeSessions` elements: element i → Session of unit 8i.
    Sessions,
    /// `auditChains` elements: element j → AuditEntry of unit j * CHAIN_LEN.
    Chains,
}

struct FixedEdge {
    ty: u8,
    name_or_index: u64,
    to: Ref,
}

struct FixedNode {
    ty: u8,
    name: u32,
    self_size: u64,
    embedder: bool,
    edges: Vec<FixedEdge>,
    fanout: Option<Fanout>,
}

/// Builds the fixed strings and nodes.
struct Builder {
    strings: Vec<String>,
    string_index: HashMap<String, u32>,
    head: Vec<FixedNode>,
    tail: Vec<FixedNode>,
}

impl Builder {
    fn new() -> Self {
        let mut b = Self {
            strings: Vec::new(),
            string_index: HashMap::new(),
            head: Vec::new(),
            tail: Vec::new(),
        };
        // V8 writes a placeholder at index 0 that no node or edge refers to.
        b.strings.push("<dummy>".to_owned());
        let empty = b.s("");
        debug_assert_eq!(empty, EMPTY_STRING);
        for i in 0..NUMERIC_NAMES {
            b.s(&i.to_string());
        }
        b
    }

    /// Interns a string, returning its index.
    fn s(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.string_index.get(text) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(text.to_owned());
        self.string_index.insert(text.to_owned(), i);
        i
    }

    fn node(&mut self, ty: u8, name: &str, self_size: u64) -> Ref {
        let name = self.s(name);
        self.head.push(FixedNode {
            ty,
            name,
            self_size,
            embedder: false,
            edges: Vec::new(),
            fanout: None,
        });
        Ref::Head(self.head.len() - 1)
    }

    fn tail_node(&mut self, ty: u8, name: &str, self_size: u64) -> Ref {
        let name = self.s(name);
        self.tail.push(FixedNode {
            ty,
            name,
            self_size,
            embedder: true,
            edges: Vec::new(),
            fanout: None,
        });
        Ref::Tail(self.tail.len() - 1)
    }

    fn get(&mut self, r: Ref) -> &mut FixedNode {
        match r {
            Ref::Head(i) => &mut self.head[i],
            Ref::Tail(i) => &mut self.tail[i],
            Ref::Leak(_) => unreachable!("leak nodes are not fixed nodes"),
        }
    }

    /// An edge whose name is a string (every type but element and hidden).
    fn named(&mut self, from: Ref, ty: u8, name: &str, to: Ref) {
        debug_assert!(ty != E_ELEMENT && ty != E_HIDDEN);
        let name = u64::from(self.s(name));
        self.get(from).edges.push(FixedEdge {
            ty,
            name_or_index: name,
            to,
        });
    }

    /// An edge whose name is an index (element and hidden).
    fn indexed(&mut self, from: Ref, ty: u8, index: u64, to: Ref) {
        debug_assert!(ty == E_ELEMENT || ty == E_HIDDEN);
        self.get(from).edges.push(FixedEdge {
            ty,
            name_or_index: index,
            to,
        });
    }
}

/// V8's size of a sequential one-byte string of `len` characters.
fn string_size(len: u64) -> u64 {
    (12 + len).div_ceil(8) * 8
}

fn digits(mut v: u64) -> u64 {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// Fixed nodes that the unit generator refers to (header node indexes).
struct FixedRefs {
    customer_proto: u64,
    order_proto: u64,
    line_item_proto: u64,
    session_proto: u64,
    audit_proto: u64,
    script_context: u64,
    scope_info: u64,
    notify_shared: u64,
    map_customer: u64,
    map_order: u64,
    map_line_item: u64,
    map_session: u64,
    map_audit: u64,
    map_array: u64,
    map_date: u64,
    map_buffer: u64,
    map_array_buffer: u64,
    map_function: u64,
    map_context: u64,
    map_heap_number: u64,
    status_node: [u64; 4],
    vip_node: u64,
    vip_suffix_node: u64,
    sku_node0: u64,
    cohort_node0: u64,
}

/// String indexes that the unit generator needs: class names (`s_`) and edge names (`p_`).
struct UnitStrings {
    s_customer: u32,
    s_order: u32,
    s_line_item: u32,
    s_session: u32,
    s_audit: u32,
    s_array: u32,
    s_date: u32,
    s_buffer: u32,
    s_array_buffer: u32,
    s_notify: u32,
    s_system_context: u32,
    s_heap_number: u32,
    s_backing_store_data: u32,
    s_concatenated: u32,
    s_country: [u32; 6],
    p_name: u32,
    p_status: u32,
    p_country: u32,
    p_tags: u32,
    p_orders: u32,
    p_on_change: u32,
    p_attachment: u32,
    p_note: u32,
    p_proto: u32,
    p_map: u32,
    p_elements: u32,
    p_context: u32,
    p_shared: u32,
    p_previous: u32,
    p_scope_info: u32,
    p_o: u32,
    p_c: u32,
    p_customer: u32,
    p_items: u32,
    p_created_at: u32,
    p_sku: u32,
    p_next: u32,
    p_order: u32,
    p_token: u32,
    p_last_order: u32,
    p_buffer: u32,
    p_backing_store: u32,
    p_first: u32,
    p_second: u32,
}

/// What a family member adds to the base graph (see the module docs).
#[derive(Clone, Copy)]
struct Family {
    member: FamilyMember,
    /// `L`: entries added per round.
    leak: u64,
    /// `C`: `TempBuffer`s per snapshot.
    churn: u64,
    /// Header index of the `Object` map (for `LeakedSession`s and `TempBuffer`s).
    map_object: u64,
    s_leaked_session: u32,
    s_temp_buffer: u32,
    p_id: u32,
    p_payload: u32,
}

impl Family {
    fn new(member: FamilyMember, units: u64) -> Self {
        let leak = (units / 20).max(1);
        Self {
            member,
            leak,
            churn: (leak / 4).clamp(4, 1000),
            map_object: 0,
            s_leaked_session: 0,
            s_temp_buffer: 0,
            p_id: 0,
            p_payload: 0,
        }
    }
}

// ----------------------------------------------------------------------------
// Layout: everything needed to generate any part of the file, computed up front.

struct Layout {
    seed: u64,
    units: u64,
    /// Set for a family member: the leak section and its header nodes.
    family: Option<Family>,
    head: Vec<FixedNode>,
    tail: Vec<FixedNode>,
    fixed_strings: Vec<String>,
    refs: FixedRefs,
    strs: UnitStrings,
    /// Per position in a block: nodes/edges/strings of the units before it in the block
    /// (index 64 = a whole block).
    node_prefix: [u64; BLOCK as usize + 1],
    edge_prefix: [u64; BLOCK as usize + 1],
    string_prefix: [u64; BLOCK as usize + 1],
    /// Header-located closures: (header index, script id, line, column).
    fixed_locations: Vec<(u64, [u64; 3])>,
    /// Nodes of the leak section (0 outside a family).
    leak_nodes: u64,
    ids: IdMap,
    node_count: u64,
    edge_count: u64,
}

impl Layout {
    /// Picks the number of units whose file comes closest to `target_bytes`.
    fn for_target(target_bytes: u64, seed: u64, member: Option<FamilyMember>) -> Self {
        let mut units = (target_bytes / 1000).max(1);
        let mut layout = Self::new(units, seed, member);
        for _ in 0..4 {
            let (fixed, per_unit) = layout.estimate_bytes();
            let next = (target_bytes.saturating_sub(fixed) as f64 / per_unit)
                .round()
                .max(1.0) as u64;
            if next == units {
                break;
            }
            units = next;
            layout = Self::new(units, seed, member);
        }
        layout
    }

    fn new(units: u64, seed: u64, member: Option<FamilyMember>) -> Self {
        let mut b = Builder::new();
        // Strings used by units (interned first so their indexes are small, as in V8).
        let strs = UnitStrings {
            s_customer: b.s("Customer"),
            s_order: b.s("Order"),
            s_line_item: b.s("LineItem"),
            s_session: b.s("Session"),
            s_audit: b.s("AuditEntry"),
            s_array: b.s("Array"),
            s_date: b.s("Date"),
            s_buffer: b.s("Buffer"),
            s_array_buffer: b.s("ArrayBuffer"),
            s_notify: b.s("notify"),
            s_system_context: b.s("system / Context"),
            s_heap_number: b.s("heap number"),
            s_backing_store_data: b.s("system / JSArrayBufferData"),
            s_concatenated: b.s("(concatenated string)"),
            s_country: COUNTRIES.map(|c| b.s(c)),
            p_name: b.s("name"),
            p_status: b.s("status"),
            p_country: b.s("country"),
            p_tags: b.s("tags"),
            p_orders: b.s("orders"),
            p_on_change: b.s("onChange"),
            p_attachment: b.s("attachment"),
            p_note: b.s("note"),
            p_proto: b.s("__proto__"),
            p_map: b.s("map"),
            p_elements: b.s("elements"),
            p_context: b.s("context"),
            p_shared: b.s("shared"),
            p_previous: b.s("previous"),
            p_scope_info: b.s("scope_info"),
            p_o: b.s("o"),
            p_c: b.s("c"),
            p_customer: b.s("customer"),
            p_items: b.s("items"),
            p_created_at: b.s("createdAt"),
            p_sku: b.s("sku"),
            p_next: b.s("next"),
            p_order: b.s("order"),
            p_token: b.s("token"),
            p_last_order: b.s("lastOrder"),
            p_buffer: b.s("buffer"),
            p_backing_store: b.s("backing_store"),
            p_first: b.s("first"),
            p_second: b.s("second"),
        };

        // Embedder nodes at the end (even ids), created first so the header can refer to them.
        let cpp_roots = b.tail_node(SYNTHETIC, "C++ roots", 0);
        let environment = b.tail_node(SYNTHETIC, "Node / Environment", 2592);
        let isolate_data = b.tail_node(NATIVE, "Node / IsolateData", 3832);
        let async_hooks = b.tail_node(NATIVE, "Node / AsyncHooks", 216);
        let async_ids = b.tail_node(NATIVE, "Node / AliasedFloat64Array", 56);
        let realm = b.tail_node(NATIVE, "Node / PrincipalRealm", 232);

        // Roots.
        let root = b.node(SYNTHETIC, "", 0);
        let gc_roots = b.node(SYNTHETIC, "(GC roots)", 0);
        let sub_root_names = [
            "(Internalized strings)",
            "(External strings)",
            "(Read-only roots)",
            "(Strong roots)",
            "(Smi roots)",
            "(Stack roots)",
            "(Handle scope)",
            "(Builtins)",
            "(Global handles)",
            "(Weak collections)",
        ];
        let sub_roots = sub_root_names.map(|name| b.node(SYNTHETIC, name, 0));
        let [
            internalized,
            _external,
            _read_only,
            strong,
            _smi,
            stack,
            handle_scope,
            builtins,
            global_handles,
            _weak,
        ] = sub_roots;

        // The global object and its context.
        let global = b.node(OBJECT, "global", 40);
        let global_proxy = b.node(OBJECT, "global", 32);
        let native_context = b.node(HIDDEN, "system / NativeContext", 2264);
        let script_context = b.node(OBJECT, "system / Context", 56);
        let scope_info = b.node(CODE, "system / ScopeInfo", 48);
        let undefined = b.node(HIDDEN, "system / Oddball", 48);

        // Maps (hidden classes).
        let map_names = [
            "global",
            "Object",
            "Array",
            "Customer",
            "Order",
            "LineItem",
            "Session",
            "AuditEntry",
            "Date",
            "Buffer",
            "ArrayBuffer",
            "Map",
            "Function",
            "Context",
            "HeapNumber",
        ];
        let maps = map_names.map(|_| b.node(OBJECT_SHAPE, "system / Map", 72));
        let map = |name: &str| maps[map_names.iter().position(|m| *m == name).unwrap_or(0)];

        // Classes: constructor closure, prototype, shared function info.
        let class_names = ["Customer", "Order", "LineItem", "Session", "AuditEntry"];
        let mut protos = Vec::new();
        let mut ctors = Vec::new();
        let mut shareds = Vec::new();
        for class in class_names {
            let ctor = b.node(CLOSURE, class, 64);
            let proto = b.node(OBJECT, "Object", 24);
            let shared = b.node(CODE, class, 56);
            b.named(ctor, E_PROPERTY, "prototype", proto);
            b.named(ctor, E_INTERNAL, "shared", shared);
            b.named(ctor, E_INTERNAL, "context", script_context);
            b.named(ctor, E_INTERNAL, "map", map("Function"));
            b.named(proto, E_PROPERTY, "constructor", ctor);
            b.named(proto, E_INTERNAL, "map", map("Object"));
            ctors.push(ctor);
            protos.push(proto);
            shareds.push(shared);
        }
        let notify_shared = b.node(CODE, "notify", 56);
        let handle_request = b.node(CLOSURE, "handleRequest", 64);
        let handle_request_shared = b.node(CODE, "handleRequest", 56);
        b.named(handle_request, E_INTERNAL, "shared", handle_request_shared);
        b.named(handle_request, E_INTERNAL, "context", script_context);
        b.named(handle_request, E_INTERNAL, "map", map("Function"));
        let sku_pattern = b.node(REGEXP, r"^sku-\d+$", 32);
        b.named(sku_pattern, E_INTERNAL, "map", map("Object"));
        let banner_text = "heapsight \"synthetic\"\n\tv1 \\ naïve → café";
        let banner = b.node(STRING, banner_text, string_size(banner_text.len() as u64));

        // Interned strings.
        let statuses =
            STATUSES.map(|status| b.node(STRING, status, string_size(status.len() as u64)));
        let mut interned = statuses.to_vec();
        let vip = b.node(STRING, "vip", string_size(3));
        interned.push(vip);
        let vip_suffix = b.node(STRING, " (vip)", string_size(6));
        interned.push(vip_suffix);
        let mut sku0 = None;
        for k in 0..SKU_COUNT {
            let text = format!("sku-{k}");
            let r = b.node(STRING, &text, string_size(text.len() as u64));
            sku0.get_or_insert(r);
            interned.push(r);
        }
        let mut cohort0 = None;
        for k in 0..COHORT_COUNT {
            let text = format!("cohort-{k}");
            let r = b.node(STRING, &text, string_size(text.len() as u64));
            cohort0.get_or_insert(r);
            interned.push(r);
        }

        // Containers that fan out to the units.
        let sessions = units.div_ceil(8);
        let chains = units.div_ceil(CHAIN_LEN);
        let customers_by_name = b.node(OBJECT, "Object", 24);
        let dictionary = b.node(HIDDEN, "system / PropertyDictionary", 16 + 24 * units);
        b.named(customers_by_name, E_INTERNAL, "properties", dictionary);
        b.named(customers_by_name, E_INTERNAL, "map", map("Object"));
        let orders_by_id = b.node(OBJECT, "Map", 32);
        let orders_table = b.node(ARRAY, "", 8 * (3 + units / 2 + 3 * units));
        b.named(orders_by_id, E_INTERNAL, "table", orders_table);
        b.named(orders_by_id, E_INTERNAL, "map", map("Map"));
        let array = |b: &mut Builder, len: u64, fanout: Fanout| {
            let object = b.node(OBJECT, "Array", 32);
            let elements = b.node(ARRAY, "", 16 + 8 * len);
            b.named(object, E_INTERNAL, "elements", elements);
            b.named(object, E_INTERNAL, "map", map("Array"));
            b.get(elements).fanout = Some(fanout);
            object
        };
        let all_orders = array(&mut b, units, Fanout::AllOrders);
        let active_sessions = array(&mut b, sessions, Fanout::Sessions);
        let audit_chains = array(&mut b, chains, Fanout::Chains);
        b.get(customers_by_name).fanout = Some(Fanout::CustomersByName);
        b.get(orders_table).fanout = Some(Fanout::OrdersTable);

        // Edges of the roots and the global object.
        b.indexed(root, E_ELEMENT, 1, gc_roots);
        b.named(root, E_SHORTCUT, "2", global);
        b.indexed(root, E_ELEMENT, 3, cpp_roots);
        b.indexed(root, E_ELEMENT, 4, environment);
        for (i, &sub) in sub_roots.iter().enumerate() {
            b.indexed(gc_roots, E_ELEMENT, i as u64 + 1, sub);
        }
        for (i, &s) in interned.iter().enumerate() {
            b.named(internalized, E_INTERNAL, &(i + 1).to_string(), s);
        }
        b.named(strong, E_INTERNAL, "undefined_value", undefined);
        for (name, &m) in map_names.iter().zip(&maps) {
            b.named(strong, E_INTERNAL, &format!("{name}_map"), m);
        }
        b.named(stack, E_INTERNAL, "1", handle_request);
        b.named(handle_scope, E_INTERNAL, "1", global_proxy);
        b.named(handle_scope, E_INTERNAL, "2", customers_by_name);
        for (i, &shared) in shareds
            .iter()
            .chain([notify_shared, handle_request_shared].iter())
            .enumerate()
        {
            b.named(builtins, E_INTERNAL, &(i + 1).to_string(), shared);
        }
        b.named(global_handles, E_INTERNAL, "1", native_context);
        b.named(global_handles, E_INTERNAL, "2", sku_pattern);

        b.named(global, E_PROPERTY, "customersByName", customers_by_name);
        b.named(global, E_PROPERTY, "ordersById", orders_by_id);
        b.named(global, E_PROPERTY, "allOrders", all_orders);
        b.named(global, E_PROPERTY, "activeSessions", active_sessions);
        b.named(global, E_PROPERTY, "auditChains", audit_chains);
        for (class, &ctor) in class_names.iter().zip(&ctors) {
            b.named(global, E_PROPERTY, class, ctor);
        }
        b.named(global, E_PROPERTY, "handleRequest", handle_request);
        b.named(global, E_PROPERTY, "skuPattern", sku_pattern);
        b.named(global, E_PROPERTY, "banner", banner);
        b.named(global, E_INTERNAL, "map", map("global"));
        b.named(global, E_INTERNAL, "native_context", native_context);
        b.named(global_proxy, E_INTERNAL, "native_context", native_context);
        b.named(global_proxy, E_INTERNAL, "map", map("global"));
        b.named(native_context, E_INTERNAL, "scope_info", scope_info);
        b.named(native_context, E_INTERNAL, "extension", global);
        b.named(
            native_context,
            E_INTERNAL,
            "global_proxy_object",
            global_proxy,
        );
        b.named(
            native_context,
            E_INTERNAL,
            "script_context_table",
            script_context,
        );
        b.named(native_context, E_WEAK, "next_context_link", undefined);
        b.named(script_context, E_INTERNAL, "scope_info", scope_info);
        b.named(script_context, E_INTERNAL, "previous", native_context);
        b.named(script_context, E_CONTEXT, "VERSION", banner);

        b.named(environment, E_INTERNAL, "isolate_data", isolate_data);
        b.named(environment, E_INTERNAL, "async_hooks", async_hooks);
        b.named(environment, E_INTERNAL, "principal_realm", realm);
        b.named(async_hooks, E_INTERNAL, "async_ids_stack", async_ids);
        b.named(realm, E_INTERNAL, "context", native_context);

        let head_index = |r: Ref| match r {
            Ref::Head(i) => i as u64,
            Ref::Tail(_) | Ref::Leak(_) => unreachable!("head node expected"),
        };

        // A family's leak: nodes, strings and edges added last, so that the rest of the
        // header is as in a single snapshot.
        let family = member.map(|member| {
            let mut f = Family::new(member, units);
            let module_context = b.node(OBJECT, "system / Context", 48);
            let leaky_cache = b.node(OBJECT, "Map", 32);
            b.named(module_context, E_CONTEXT, "leakyCache", leaky_cache);
            b.named(module_context, E_INTERNAL, "scope_info", scope_info);
            b.named(module_context, E_INTERNAL, "previous", script_context);
            b.named(module_context, E_INTERNAL, "map", map("Context"));
            b.named(leaky_cache, E_INTERNAL, "table", Ref::Leak(LeakRef::Table));
            b.named(leaky_cache, E_INTERNAL, "map", map("Map"));
            // handleRequest closes over the module context instead of the script context.
            let p_context = u64::from(b.s("context"));
            for e in &mut b.get(handle_request).edges {
                if e.ty == E_INTERNAL && e.name_or_index == p_context {
                    e.to = module_context;
                }
            }
            for i in 0..f.churn {
                b.named(
                    handle_scope,
                    E_INTERNAL,
                    &(3 + i).to_string(),
                    Ref::Leak(LeakRef::Churn(i)),
                );
            }
            f.map_object = head_index(map("Object"));
            f.s_leaked_session = b.s("LeakedSession");
            f.s_temp_buffer = b.s("TempBuffer");
            f.p_id = b.s("id");
            f.p_payload = b.s("payload");
            f
        });
        let mut fixed_locations = Vec::new();
        for (k, &ctor) in ctors.iter().enumerate() {
            fixed_locations.push((head_index(ctor), [42, 3 + 14 * k as u64, 0]));
        }
        fixed_locations.push((head_index(handle_request), [43, 120, 9]));

        let refs = FixedRefs {
            customer_proto: head_index(protos[0]),
            order_proto: head_index(protos[1]),
            line_item_proto: head_index(protos[2]),
            session_proto: head_index(protos[3]),
            audit_proto: head_index(protos[4]),
            script_context: head_index(script_context),
            scope_info: head_index(scope_info),
            notify_shared: head_index(notify_shared),
            map_customer: head_index(map("Customer")),
            map_order: head_index(map("Order")),
            map_line_item: head_index(map("LineItem")),
            map_session: head_index(map("Session")),
            map_audit: head_index(map("AuditEntry")),
            map_array: head_index(map("Array")),
            map_date: head_index(map("Date")),
            map_buffer: head_index(map("Buffer")),
            map_array_buffer: head_index(map("ArrayBuffer")),
            map_function: head_index(map("Function")),
            map_context: head_index(map("Context")),
            map_heap_number: head_index(map("HeapNumber")),
            vip_node: head_index(vip),
            vip_suffix_node: head_index(vip_suffix),
            status_node: statuses.map(head_index),
            sku_node0: sku0.map_or(0, head_index),
            cohort_node0: cohort0.map_or(0, head_index),
        };

        let mut layout = Self {
            seed,
            units,
            family,
            head: b.head,
            tail: b.tail,
            fixed_strings: b.strings,
            refs,
            strs,
            node_prefix: [0; BLOCK as usize + 1],
            edge_prefix: [0; BLOCK as usize + 1],
            string_prefix: [0; BLOCK as usize + 1],
            fixed_locations,
            leak_nodes: 0,
            ids: IdMap::plain(),
            node_count: 0,
            edge_count: 0,
        };

        // Per-block tables. Only the counts matter here, so the generator may run before the
        // tables it uses for `to_node` values are filled in.
        for r in 0..BLOCK {
            let mut c = Counter::default();
            layout.emit_unit(r, &mut c).ok();
            let r = r as usize;
            layout.node_prefix[r + 1] = layout.node_prefix[r] + c.nodes;
            layout.edge_prefix[r + 1] = layout.edge_prefix[r] + c.edges;
            layout.string_prefix[r + 1] = layout.string_prefix[r] + Shape::of(r as u64).strings();
        }

        let fixed_edges: u64 = layout
            .head
            .iter()
            .chain(&layout.tail)
            .map(|node| node.edges.len() as u64 + node.fanout.map_or(0, |f| layout.fanout_len(f)))
            .sum();
        let mut leak = Counter::default();
        layout.emit_leak(&mut leak).ok();
        layout.leak_nodes = leak.nodes;
        layout.ids = layout.id_map();
        layout.node_count = layout.head.len() as u64
            + layout.unit_nodes_total()
            + layout.leak_nodes
            + layout.tail.len() as u64;
        layout.edge_count = fixed_edges + layout.per_units(&layout.edge_prefix) + leak.edges;
        layout
    }

    fn id_map(&self) -> IdMap {
        let Some(f) = self.family else {
            return IdMap::plain();
        };
        let own = 1 + f.churn * CHURN_NODES; // A table and the churn.
        let round = f.leak * ENTRY_NODES + own;
        IdMap {
            leak_base: self.leak_base(),
            leak_nodes: self.leak_nodes,
            entry_nodes: self.entries() * ENTRY_NODES,
            leak: f.leak,
            member: f.member.index(),
            epoch_start: [0, own, own + round],
            reserved: own + 2 * round,
        }
    }

    /// Leak entries present in this snapshot (0 outside a family).
    fn entries(&self) -> u64 {
        self.family.map_or(0, |f| f.member.index() * f.leak)
    }

    /// Index of the first node of the leak section (after the units).
    fn leak_base(&self) -> u64 {
        self.head.len() as u64 + self.unit_nodes_total()
    }

    /// Index of the first node (the key string) of leak entry `e`.
    fn entry_base(&self, e: u64) -> u64 {
        self.leak_base() + e * ENTRY_NODES
    }

    /// Index of this snapshot's table of the `leakyCache` Map.
    fn table_index(&self) -> u64 {
        self.entry_base(self.entries())
    }

    /// Index of this snapshot's `i`-th `TempBuffer`.
    fn churn_index(&self, i: u64) -> u64 {
        self.table_index() + 1 + i * CHURN_NODES
    }

    /// Index of the `k`-th string of leak entry `e` (see [`ENTRY_STRINGS`]).
    fn leak_string(&self, e: u64, k: u64) -> u32 {
        let index = self.string_count_without_leak() + e * ENTRY_STRINGS + k;
        debug_assert!(index < u64::from(u32::MAX), "string index overflow");
        index as u32
    }

    /// Slot number of the key of entry `e` in the table (the value's is one more). Above
    /// every unit's slot name (`NUMERIC_NAMES + 2u`), so the names are new strings.
    fn slot(&self, e: u64) -> u64 {
        NUMERIC_NAMES + 2 * self.units + 3 * e
    }

    /// The leak section: entries, then this snapshot's table, then its churn.
    fn emit_leak<S: Sink>(&self, s: &mut S) -> io::Result<()> {
        let Some(f) = self.family else {
            return Ok(());
        };
        let n = &self.refs;
        let t = &self.strs;
        for e in 0..self.entries() {
            let b = self.entry_base(e);
            s.node(
                STRING,
                self.leak_string(e, 0),
                string_size(5 + digits(e)),
                false,
            )?;
            s.node(OBJECT, f.s_leaked_session, 64, false)?;
            s.edge(E_PROPERTY, u64::from(f.p_id), b)?;
            s.edge(E_PROPERTY, u64::from(f.p_payload), b + 2)?;
            s.edge(E_PROPERTY, u64::from(t.p_items), b + 3)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), f.map_object)?;
            s.node(
                STRING,
                self.leak_string(e, 1),
                string_size(PAYLOAD_LEN as u64),
                false,
            )?;
            s.node(OBJECT, t.s_array, 32, false)?;
            s.edge(E_INTERNAL, u64::from(t.p_elements), b + 4)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), n.map_array)?;
            s.node(ARRAY, EMPTY_STRING, 16 + 8 * ITEMS_PER_ENTRY, false)?;
            for k in 0..ITEMS_PER_ENTRY {
                s.edge(E_ELEMENT, k, b + 5 + k)?;
            }
            for _ in 0..ITEMS_PER_ENTRY {
                s.node(NUMBER, t.s_heap_number, 16, false)?;
                s.edge(E_INTERNAL, u64::from(t.p_map), n.map_heap_number)?;
            }
        }
        // The table: an OrderedHashMap of (key, value, chain) slots after the buckets.
        let capacity = self.entries().next_power_of_two().max(4);
        s.node(
            ARRAY,
            EMPTY_STRING,
            16 + 8 * (3 + capacity / 2 + 3 * capacity),
            false,
        )?;
        for e in 0..self.entries() {
            let b = self.entry_base(e);
            s.edge(E_INTERNAL, u64::from(self.leak_string(e, 2)), b)?;
            s.edge(E_INTERNAL, u64::from(self.leak_string(e, 3)), b + 1)?;
        }
        for i in 0..f.churn {
            let b = self.churn_index(i);
            s.node(OBJECT, f.s_temp_buffer, 48, false)?;
            s.edge(E_INTERNAL, u64::from(t.p_elements), b + 1)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), f.map_object)?;
            s.node(ARRAY, EMPTY_STRING, 1040, false)?;
        }
        Ok(())
    }

    /// Sum of a per-block prefix table over all units.
    fn per_units(&self, prefix: &[u64; BLOCK as usize + 1]) -> u64 {
        (self.units / BLOCK) * prefix[BLOCK as usize] + prefix[(self.units % BLOCK) as usize]
    }

    fn unit_nodes_total(&self) -> u64 {
        self.per_units(&self.node_prefix)
    }

    /// Index of the first node of unit `u`.
    fn unit_base(&self, u: u64) -> u64 {
        self.head.len() as u64
            + (u / BLOCK) * self.node_prefix[BLOCK as usize]
            + self.node_prefix[(u % BLOCK) as usize]
    }

    /// Index of the `k`-th string of unit `u` (0: customer name, 1: slot name, 2: token).
    fn unit_string(&self, u: u64, k: u64) -> u32 {
        let index = self.fixed_strings.len() as u64
            + (u / BLOCK) * self.string_prefix[BLOCK as usize]
            + self.string_prefix[(u % BLOCK) as usize]
            + k;
        debug_assert!(index < u64::from(u32::MAX), "string index overflow");
        index as u32
    }

    fn string_count(&self) -> u64 {
        self.string_count_without_leak() + self.entries() * ENTRY_STRINGS
    }

    fn string_count_without_leak(&self) -> u64 {
        self.fixed_strings.len() as u64 + self.per_units(&self.string_prefix)
    }

    fn resolve(&self, r: Ref) -> u64 {
        match r {
            Ref::Head(i) => i as u64,
            Ref::Tail(i) => self.leak_base() + self.leak_nodes + i as u64,
            Ref::Leak(LeakRef::Table) => self.table_index(),
            Ref::Leak(LeakRef::Churn(i)) => self.churn_index(i),
        }
    }

    fn fanout_len(&self, f: Fanout) -> u64 {
        match f {
            Fanout::CustomersByName | Fanout::OrdersTable | Fanout::AllOrders => self.units,
            Fanout::Sessions => self.units.div_ceil(8),
            Fanout::Chains => self.units.div_ceil(CHAIN_LEN),
        }
    }

    /// The `i`-th edge of a fan-out.
    fn fanout_edge<S: Sink>(&self, f: Fanout, i: u64, s: &mut S) -> io::Result<()> {
        match f {
            Fanout::CustomersByName => s.edge(
                E_PROPERTY,
                u64::from(self.unit_string(i, 0)),
                self.unit_base(i) + unit::CUSTOMER,
            ),
            Fanout::OrdersTable => s.edge(
                E_INTERNAL,
                u64::from(self.unit_string(i, 1)),
                self.unit_base(i) + unit::ORDER,
            ),
            Fanout::AllOrders => s.edge(E_ELEMENT, i, self.unit_base(i) + unit::ORDER),
            Fanout::Sessions => s.edge(E_ELEMENT, i, self.unit_base(8 * i) + unit::SESSION),
            Fanout::Chains => s.edge(E_ELEMENT, i, self.unit_base(i * CHAIN_LEN) + unit::AUDIT),
        }
    }

    fn emit_fixed<S: Sink>(&self, node: &FixedNode, s: &mut S) -> io::Result<()> {
        s.node(node.ty, node.name, node.self_size, node.embedder)?;
        for e in &node.edges {
            s.edge(e.ty, e.name_or_index, self.resolve(e.to))?;
        }
        if let Some(f) = node.fanout {
            for i in 0..self.fanout_len(f) {
                self.fanout_edge(f, i, s)?;
            }
        }
        Ok(())
    }

    /// The whole graph in node order.
    fn emit_graph<S: Sink>(&self, s: &mut S) -> io::Result<()> {
        for node in &self.head {
            self.emit_fixed(node, s)?;
        }
        for u in 0..self.units {
            self.emit_unit(u, s)?;
        }
        self.emit_leak(s)?;
        for node in &self.tail {
            self.emit_fixed(node, s)?;
        }
        Ok(())
    }

    /// The nodes and edges of unit `u`.
    fn emit_unit<S: Sink>(&self, u: u64, s: &mut S) -> io::Result<()> {
        use unit::*;

        let n = &self.refs;
        let t = &self.strs;
        let b = self.unit_base(u);
        let shape = Shape::of(u);
        let mut rng = Rng::new(self.seed, u);
        let status = rng.below(4) as usize;
        let country = rng.below(COUNTRIES.len() as u64) as usize;
        let cohort = rng.below(COHORT_COUNT);
        let sku = rng.below(SKU_COUNT);
        let wide = shape.buffer.is_some() || shape.note.is_some();

        // Customer.
        s.node(OBJECT, t.s_customer, if wide { 64 } else { 56 }, false)?;
        s.edge(E_PROPERTY, u64::from(t.p_name), b + NAME)?;
        s.edge(E_PROPERTY, u64::from(t.p_status), n.status_node[status])?;
        s.edge(E_PROPERTY, u64::from(t.p_country), b + COUNTRY)?;
        s.edge(E_PROPERTY, u64::from(t.p_tags), b + TAGS)?;
        s.edge(E_PROPERTY, u64::from(t.p_orders), b + ORDERS)?;
        s.edge(E_PROPERTY, u64::from(t.p_on_change), b + NOTIFY)?;
        if let Some(at) = shape.buffer {
            s.edge(E_PROPERTY, u64::from(t.p_attachment), b + at)?;
        }
        if let Some(at) = shape.note {
            s.edge(E_PROPERTY, u64::from(t.p_note), b + at)?;
        }
        s.edge(E_PROPERTY, u64::from(t.p_proto), n.customer_proto)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_customer)?;

        // Its unique name ("customer-N") and a duplicated country string.
        s.node(
            STRING,
            self.unit_string(u, 0),
            string_size(9 + digits(u)),
            false,
        )?;
        s.node(STRING, t.s_country[country], string_size(9), false)?;

        // tags: ["vip", "cohort-N"].
        s.node(OBJECT, t.s_array, 32, false)?;
        s.edge(E_INTERNAL, u64::from(t.p_elements), b + TAGS_ELEMENTS)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_array)?;
        s.node(ARRAY, EMPTY_STRING, 32, false)?;
        s.edge(E_ELEMENT, 0, n.vip_node)?;
        s.edge(E_ELEMENT, 1, n.cohort_node0 + cohort)?;

        // orders: [order].
        s.node(OBJECT, t.s_array, 32, false)?;
        s.edge(E_INTERNAL, u64::from(t.p_elements), b + ORDERS_ELEMENTS)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_array)?;
        s.node(ARRAY, EMPTY_STRING, 24, false)?;
        s.edge(E_ELEMENT, 0, b + ORDER)?;

        // onChange: a closure over the customer and the order.
        s.node(CLOSURE, t.s_notify, 64, false)?;
        s.edge(E_INTERNAL, u64::from(t.p_context), b + CONTEXT)?;
        s.edge(E_INTERNAL, u64::from(t.p_shared), n.notify_shared)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_function)?;
        s.node(OBJECT, t.s_system_context, 40, false)?;
        s.edge(E_CONTEXT, u64::from(t.p_o), b + ORDER)?;
        s.edge(E_CONTEXT, u64::from(t.p_c), b + CUSTOMER)?;
        s.edge(E_INTERNAL, u64::from(t.p_scope_info), n.scope_info)?;
        s.edge(E_INTERNAL, u64::from(t.p_previous), n.script_context)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_context)?;

        // Order, with a back edge to its customer.
        s.node(OBJECT, t.s_order, 48, false)?;
        s.edge(E_PROPERTY, u64::from(t.p_customer), b + CUSTOMER)?;
        s.edge(E_PROPERTY, u64::from(t.p_items), b + ITEMS)?;
        s.edge(E_PROPERTY, u64::from(t.p_created_at), b + DATE)?;
        s.edge(E_PROPERTY, u64::from(t.p_proto), n.order_proto)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_order)?;
        s.node(OBJECT, t.s_array, 32, false)?;
        s.edge(E_INTERNAL, u64::from(t.p_elements), b + ITEMS_ELEMENTS)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_array)?;
        s.node(ARRAY, EMPTY_STRING, 40, false)?;
        for k in 0..3 {
            s.edge(E_ELEMENT, k, b + LINE_ITEM + k)?;
        }
        for k in 0..3 {
            s.node(OBJECT, t.s_line_item, 40, false)?;
            s.edge(
                E_PROPERTY,
                u64::from(t.p_sku),
                n.sku_node0 + (sku + k) % SKU_COUNT,
            )?;
            s.edge(E_HIDDEN, 2, b + PRICE + k)?;
            s.edge(E_PROPERTY, u64::from(t.p_proto), n.line_item_proto)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), n.map_line_item)?;
        }
        for _ in 0..3 {
            s.node(NUMBER, t.s_heap_number, 16, false)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), n.map_heap_number)?;
        }
        s.node(OBJECT, t.s_date, 32, false)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_date)?;

        // AuditEntry: rings of CHAIN_LEN entries, held through their head only.
        let next = if !(u + 1).is_multiple_of(CHAIN_LEN) && u + 1 < self.units {
            u + 1
        } else {
            u - u % CHAIN_LEN
        };
        s.node(OBJECT, t.s_audit, 32, false)?;
        s.edge(
            E_PROPERTY,
            u64::from(t.p_next),
            self.unit_base(next) + AUDIT,
        )?;
        s.edge(E_WEAK, u64::from(t.p_order), b + ORDER)?;
        s.edge(E_PROPERTY, u64::from(t.p_proto), n.audit_proto)?;
        s.edge(E_INTERNAL, u64::from(t.p_map), n.map_audit)?;

        if let Some(at) = shape.session {
            s.node(OBJECT, t.s_session, 48, false)?;
            s.edge(E_PROPERTY, u64::from(t.p_customer), b + CUSTOMER)?;
            s.edge(E_PROPERTY, u64::from(t.p_token), b + at + 1)?;
            s.edge(E_WEAK, u64::from(t.p_last_order), b + ORDER)?;
            s.edge(E_PROPERTY, u64::from(t.p_proto), n.session_proto)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), n.map_session)?;
            s.node(
                STRING,
                self.unit_string(u, 2),
                string_size(token_len(u)),
                false,
            )?;
        }
        if let Some(at) = shape.buffer {
            s.node(OBJECT, t.s_buffer, 96, false)?;
            s.edge(E_INTERNAL, u64::from(t.p_buffer), b + at + 1)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), n.map_buffer)?;
            s.node(OBJECT, t.s_array_buffer, 80, false)?;
            s.edge(E_INTERNAL, u64::from(t.p_backing_store), b + at + 2)?;
            s.edge(E_INTERNAL, u64::from(t.p_map), n.map_array_buffer)?;
            s.node(NATIVE, t.s_backing_store_data, 256, false)?;
        }
        if shape.note.is_some() {
            s.node(CONCATENATED, t.s_concatenated, 32, false)?;
            s.edge(E_INTERNAL, u64::from(t.p_first), b + NAME)?;
            s.edge(E_INTERNAL, u64::from(t.p_second), n.vip_suffix_node)?;
        }
        Ok(())
    }

    /// Calls `f` with each string of unit `u`, in index order.
    fn unit_strings(&self, u: u64, mut f: impl FnMut(&[u8])) {
        let mut buf = [0u8; 64];
        let mut len = put(&mut buf, 0, b"customer-");
        len = put_num(&mut buf, len, u, 10);
        f(&buf[..len]);
        let len = put_num(&mut buf, 0, NUMERIC_NAMES + 2 * u, 10);
        f(&buf[..len]);
        if Shape::of(u).session.is_some() {
            let len = token(&mut buf, u);
            f(&buf[..len]);
        }
    }

    /// Writes the whole file.
    fn write<W: Write>(&self, out: &mut Out<W>) -> io::Result<()> {
        out.raw(b"{\"snapshot\":{\"meta\":");
        out.raw(META.as_bytes());
        out.raw(b",\"node_count\":");
        out.num(self.node_count);
        out.raw(b",\"edge_count\":");
        out.num(self.edge_count);
        out.raw(b",\"trace_function_count\":0},\n\"nodes\":[");

        let mut nodes = NodeWriter::new(&mut *out, 0, self.ids);
        self.emit_graph(&mut nodes)?;
        nodes.finish()?;
        debug_assert_eq!(nodes.index, self.node_count);

        out.raw(b"],\n\"edges\":[");
        self.emit_graph(&mut EdgeWriter {
            out: &mut *out,
            first: true,
        })?;

        out.raw(b"],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[");
        let mut first = true;
        for &(index, location) in &self.fixed_locations {
            write_location(out, &mut first, index, location)?;
        }
        for i in 0..self.units.div_ceil(8) {
            write_location(
                out,
                &mut first,
                self.unit_base(8 * i) + unit::SESSION,
                SESSION_LOCATION,
            )?;
        }

        out.raw(b"],\n\"strings\":[\"<dummy>\"");
        for s in &self.fixed_strings[1..] {
            out.raw(b",\n");
            out.json_string(s);
            out.maybe_flush()?;
        }
        for u in 0..self.units {
            self.unit_strings(u, |s| {
                out.raw(b",\n\"");
                out.raw(s);
                out.raw(b"\"");
            });
            out.maybe_flush()?;
        }
        self.write_leak_strings(out)?;
        out.raw(b"]}");
        Ok(())
    }

    /// The strings of the leak entries, in index order (see [`Layout::leak_string`]).
    fn write_leak_strings<W: Write>(&self, out: &mut Out<W>) -> io::Result<()> {
        let mut payload = [0u8; PAYLOAD_LEN];
        for e in 0..self.entries() {
            out.raw(b",\n\"sess-");
            out.num(e);
            out.raw(b"\",\n\"");
            leak_payload(&mut payload, self.seed, e);
            out.raw(&payload);
            out.raw(b"\",\n\"");
            out.num(self.slot(e));
            out.raw(b"\",\n\"");
            out.num(self.slot(e) + 1);
            out.raw(b"\"");
            out.maybe_flush()?;
        }
        Ok(())
    }

    /// (Bytes that do not depend on the units, average bytes per unit) of this layout's file.
    ///
    /// The per-unit figure averages 16 blocks spread over the units, since numbers get longer
    /// towards the end of the file.
    fn estimate_bytes(&self) -> (u64, f64) {
        let mut fixed = Out::new(io::sink());
        fixed.raw(META.as_bytes());
        fixed.raw(&[b' '; 200]); // Framing, counts and section names.
        {
            let mut nodes = NodeWriter::new(&mut fixed, self.node_count / 2, IdMap::plain());
            for node in self.head.iter().chain(&self.tail) {
                nodes
                    .node(node.ty, node.name, node.self_size, node.embedder)
                    .ok();
                nodes.finish().ok();
            }
        }
        {
            let mut edges = EdgeWriter {
                out: &mut fixed,
                first: false,
            };
            for node in self.head.iter().chain(&self.tail) {
                for e in &node.edges {
                    edges.edge(e.ty, e.name_or_index, self.resolve(e.to)).ok();
                }
            }
        }
        for s in &self.fixed_strings {
            fixed.raw(b",\n");
            fixed.json_string(s);
            fixed.drain().ok();
        }

        let blocks = self.units.div_ceil(BLOCK);
        let samples = blocks.min(16);
        let mut sampled = Out::new(io::sink());
        let mut sampled_units = 0;
        for k in 0..samples {
            let block = (2 * k + 1) * blocks / (2 * samples);
            for u in block * BLOCK..((block + 1) * BLOCK).min(self.units) {
                let mut nodes = NodeWriter::new(&mut sampled, self.unit_base(u), IdMap::plain());
                self.emit_unit(u, &mut nodes).ok();
                nodes.finish().ok();
                let mut edges = EdgeWriter {
                    out: &mut sampled,
                    first: false,
                };
                self.emit_unit(u, &mut edges).ok();
                for f in [
                    Fanout::CustomersByName,
                    Fanout::OrdersTable,
                    Fanout::AllOrders,
                ] {
                    self.fanout_edge(f, u, &mut edges).ok();
                }
                if u.is_multiple_of(8) {
                    self.fanout_edge(Fanout::Sessions, u / 8, &mut edges).ok();
                    let mut first = false;
                    write_location(
                        &mut sampled,
                        &mut first,
                        self.unit_base(u),
                        SESSION_LOCATION,
                    )
                    .ok();
                }
                self.unit_strings(u, |s| {
                    sampled.raw(b",\n\"\"");
                    sampled.raw(s);
                });
                sampled.drain().ok();
                sampled_units += 1;
            }
        }
        let mut per_unit = sampled.position() as f64 / sampled_units.max(1) as f64;
        if self.family.is_some() {
            // The leak grows with the units (L = units / 20): count it per unit.
            let mut leak = Out::new(io::sink());
            {
                let mut nodes = NodeWriter::new(&mut leak, self.leak_base(), self.ids);
                self.emit_leak(&mut nodes).ok();
                nodes.finish().ok();
            }
            self.emit_leak(&mut EdgeWriter {
                out: &mut leak,
                first: false,
            })
            .ok();
            self.write_leak_strings(&mut leak).ok();
            per_unit += leak.position() as f64 / self.units as f64;
        }
        (fixed.position(), per_unit.max(1.0))
    }
}

fn write_location<W: Write>(
    out: &mut Out<W>,
    first: &mut bool,
    node_index: u64,
    location: [u64; 3],
) -> io::Result<()> {
    if !*first {
        out.raw(b",");
    }
    *first = false;
    out.num(node_index * NODE_FIELDS);
    for v in location {
        out.raw(b",");
        out.num(v);
    }
    out.raw(b"\n");
    out.maybe_flush()
}

fn put(buf: &mut [u8; 64], at: usize, s: &[u8]) -> usize {
    buf[at..at + s.len()].copy_from_slice(s);
    at + s.len()
}

fn put_num(buf: &mut [u8; 64], at: usize, mut v: u64, radix: u64) -> usize {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut tmp = [0u8; 64];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = DIGITS[(v % radix) as usize];
        v /= radix;
        if v == 0 {
            break;
        }
    }
    put(buf, at, &tmp[i..])
}

/// A session token, unique per unit: `tok_<u in base 36>_<hash in hex>` (as `make-big.js`).
fn token(buf: &mut [u8; 64], u: u64) -> usize {
    let mut len = put(buf, 0, b"tok_");
    len = put_num(buf, len, u, 36);
    len = put(buf, len, b"_");
    put_num(buf, len, u.wrapping_mul(2_654_435_761) % (1 << 32), 16)
}

/// The payload of leak entry `e`: `sess-<e>:` then letters and digits, [`PAYLOAD_LEN`] in all.
fn leak_payload(buf: &mut [u8; PAYLOAD_LEN], seed: u64, e: u64) {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut prefix = [0u8; 64];
    let mut len = put(&mut prefix, 0, b"sess-");
    len = put_num(&mut prefix, len, e, 10);
    len = put(&mut prefix, len, b":");
    buf[..len].copy_from_slice(&prefix[..len]);
    let mut rng = Rng::new(seed, u64::MAX - e);
    for c in &mut buf[len..] {
        *c = ALPHABET[rng.below(36) as usize];
    }
}

fn token_len(u: u64) -> u64 {
    let mut buf = [0u8; 64];
    token(&mut buf, u) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(target_bytes: u64, seed: u64) -> (Vec<u8>, SynthStats) {
        let mut bytes = Vec::new();
        let stats = write_synthetic(&SynthOptions { target_bytes, seed }, &mut bytes)
            .expect("write to a Vec");
        (bytes, stats)
    }

    fn array<'a>(json: &'a serde_json::Value, key: &str) -> &'a Vec<serde_json::Value> {
        json[key].as_array().expect("array")
    }

    fn ints(json: &serde_json::Value, key: &str) -> Vec<u64> {
        array(json, key)
            .iter()
            .map(|v| v.as_u64().expect("unsigned integer"))
            .collect()
    }

    /// Parses a snapshot with serde_json and checks every structural invariant a loader relies on.
    fn check(bytes: &[u8], stats: &SynthStats) -> serde_json::Value {
        let json: serde_json::Value = serde_json::from_slice(bytes).expect("valid JSON");
        let snapshot = &json["snapshot"];
        let meta: serde_json::Value = serde_json::from_str(META).expect("meta");
        assert_eq!(snapshot["meta"], meta);
        let node_count = snapshot["node_count"].as_u64().expect("node_count");
        let edge_count = snapshot["edge_count"].as_u64().expect("edge_count");
        assert_eq!(node_count, stats.nodes);
        assert_eq!(edge_count, stats.edges);
        assert_eq!(bytes.len() as u64, stats.bytes);

        let nodes = ints(&json, "nodes");
        let edges = ints(&json, "edges");
        let strings = array(&json, "strings");
        assert_eq!(nodes.len() as u64, node_count * 7);
        assert_eq!(edges.len() as u64, edge_count * 3);
        assert_eq!(strings.len() as u64, stats.strings);
        assert_eq!(strings[0], "<dummy>");

        let node_types = meta["node_types"][0].as_array().expect("types").len() as u64;
        let mut edge_sum = 0;
        let mut last_id = 0;
        for node in nodes.chunks(7) {
            assert!(node[0] < node_types);
            assert!(node[1] < strings.len() as u64, "node name index");
            assert!(node[2] > last_id, "ids increase");
            last_id = node[2];
            edge_sum += node[4];
        }
        assert_eq!(edge_sum, edge_count);
        // Node 0 is the synthetic root, node 1 "(GC roots)".
        assert_eq!((nodes[0], nodes[1], nodes[2]), (9, 1, 1));
        assert_eq!(strings[nodes[7 + 1] as usize], "(GC roots)");

        for edge in edges.chunks(3) {
            assert!(edge[0] <= 6);
            if edge[0] != u64::from(E_ELEMENT) && edge[0] != u64::from(E_HIDDEN) {
                assert!(edge[1] < strings.len() as u64, "edge name index");
            }
            assert_eq!(edge[2] % 7, 0);
            assert!(edge[2] < nodes.len() as u64);
        }
        for location in ints(&json, "locations").chunks(4) {
            assert_eq!(location[0] % 7, 0);
            assert!(location[0] < nodes.len() as u64);
        }
        json
    }

    #[test]
    fn small_snapshot_is_consistent() {
        let (bytes, stats) = generate(300_000, 7);
        let json = check(&bytes, &stats);
        assert!(stats.nodes > 1000 && stats.edges > stats.nodes);
        assert!(!ints(&json, "locations").is_empty());
        // Within 2% of the requested size.
        let ratio = stats.bytes as f64 / 300_000.0;
        assert!(
            (0.98..1.02).contains(&ratio),
            "bytes {} for 300000",
            stats.bytes
        );
    }

    #[test]
    fn tiny_targets_still_give_a_valid_snapshot() {
        for target in [0, 1, 10_000] {
            let (bytes, stats) = generate(target, 1);
            check(&bytes, &stats);
        }
    }

    #[test]
    fn partial_blocks_and_chains_are_consistent() {
        // Unit counts around block and chain boundaries.
        for units in [
            1,
            7,
            63,
            64,
            65,
            129,
            CHAIN_LEN - 1,
            CHAIN_LEN,
            CHAIN_LEN + 5,
        ] {
            let layout = Layout::new(units, 3, None);
            let mut out = Out::new(Vec::new());
            layout.write(&mut out).expect("write");
            out.flush().expect("flush");
            let stats = SynthStats {
                nodes: layout.node_count,
                edges: layout.edge_count,
                strings: layout.string_count(),
                bytes: out.bytes,
                leak_entries: 0,
            };
            let mut counter = Counter::default();
            layout.emit_graph(&mut counter).expect("count");
            assert_eq!((counter.nodes, counter.edges), (stats.nodes, stats.edges));
            check(&out.w, &stats);
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, _) = generate(50_000, 11);
        let (b, _) = generate(50_000, 11);
        let (c, _) = generate(50_000, 12);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn unit_contents_are_where_the_layout_says() {
        let (bytes, stats) = generate(400_000, 5);
        let json = check(&bytes, &stats);
        let nodes = ints(&json, "nodes");
        let strings = array(&json, "strings");
        let layout = Layout::for_target(400_000, 5, None);
        assert_eq!(layout.node_count, stats.nodes);
        let name = |i: u64| {
            strings[nodes[(i * 7 + 1) as usize] as usize]
                .as_str()
                .expect("string")
        };
        for u in [0, 1, 8, 63, 64, layout.units - 1] {
            let b = layout.unit_base(u);
            assert_eq!(name(b + unit::CUSTOMER), "Customer");
            assert_eq!(name(b + unit::NAME), format!("customer-{u}"));
            assert_eq!(name(b + unit::ORDER), "Order");
            assert_eq!(name(b + unit::AUDIT), "AuditEntry");
            if u.is_multiple_of(8) {
                assert_eq!(name(b + unit::SESSION), "Session");
                assert!(name(b + unit::SESSION + 1).starts_with("tok_"));
            }
        }
        // Escapes survive the round trip, and strings are unique as in V8.
        assert!(
            strings
                .iter()
                .any(|s| s == "heapsight \"synthetic\"\n\tv1 \\ naïve → café")
        );
        let mut unique: Vec<&str> = strings
            .iter()
            .map(|s| s.as_str().expect("string"))
            .collect();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), strings.len());
    }

    /// DevTools' own loader (the oracle) accepts a 5 MB synthetic snapshot and finds every node
    /// reachable. Run with `HEAPSIGHT_ORACLE=/tmp/oracle cargo test -- --ignored devtools`
    /// (an oracle directory where `setup.sh` has been run).
    #[test]
    #[ignore = "needs Node and the DevTools oracle (HEAPSIGHT_ORACLE)"]
    fn devtools_loader_accepts_synthetic() {
        let oracle = std::env::var_os("HEAPSIGHT_ORACLE")
            .expect("set HEAPSIGHT_ORACLE to an oracle directory with lib/ set up");
        let oracle = std::path::Path::new(&oracle).join("oracle.js");
        let path = std::env::temp_dir().join(format!(
            "heapsight-synth-{}.heapsnapshot",
            std::process::id()
        ));
        let file = std::fs::File::create(&path).expect("create");
        let stats = write_synthetic(
            &SynthOptions {
                target_bytes: 5_000_000,
                seed: 1,
            },
            file,
        )
        .expect("write");
        let output = std::process::Command::new("node")
            .arg(&oracle)
            .arg(&path)
            .args(["--sections", "totals,summary"])
            .output();
        std::fs::remove_file(&path).ok();
        let output = output.expect("run node");
        assert!(
            output.status.success(),
            "oracle failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("oracle JSON");
        let totals = &json["totals"];
        assert_eq!(totals["nodeCount"].as_u64(), Some(stats.nodes));
        assert_eq!(totals["edgeCount"].as_u64(), Some(stats.edges));
        assert_eq!(totals["reachableNodeCount"].as_u64(), Some(stats.nodes));
        let classes = json["summary"]["classes"].as_array().expect("classes");
        let count = |key: &str| {
            classes
                .iter()
                .find(|c| c["classKey"] == key)
                .and_then(|c| c["count"].as_u64())
        };
        let customers = count(",Customer").expect("Customer row");
        assert_eq!(count(",LineItem"), Some(3 * customers));
        assert_eq!(count("42,17,2,Session"), Some(customers.div_ceil(8)));
    }

    // ------------------------------------------------------------------------
    // Families.

    use crate::snapshot::{EdgeKind, NodeIdx, Progress, Snapshot};

    const FAMILY_BYTES: u64 = 2_000_000;

    fn member(target_bytes: u64, seed: u64, member: FamilyMember) -> (Vec<u8>, SynthStats) {
        let mut bytes = Vec::new();
        let stats = write_family_member(&SynthOptions { target_bytes, seed }, member, &mut bytes)
            .expect("write to a Vec");
        (bytes, stats)
    }

    /// The 2 MB family, loaded once for all the tests that need it.
    fn loaded_family() -> &'static [(Snapshot, SynthStats); 3] {
        static FAMILY: std::sync::OnceLock<[(Snapshot, SynthStats); 3]> =
            std::sync::OnceLock::new();
        FAMILY.get_or_init(|| {
            FamilyMember::ALL.map(|m| {
                let (bytes, stats) = member(FAMILY_BYTES, 1, m);
                let snap = crate::snapshot::load_bytes(&bytes, &Progress::new()).expect("loads");
                (snap, stats)
            })
        })
    }

    /// The edge of `n` with this kind and name, and its target.
    fn edge_to(s: &Snapshot, n: NodeIdx, kind: EdgeKind, name: &str) -> Option<NodeIdx> {
        s.edges(n)
            .find(|&e| s.edge_kind(e) == kind && s.edge_name(e) == name)
            .map(|e| s.edge_target(e))
    }

    /// (module Context, `leakyCache` Map, its table).
    fn leaky_cache(s: &Snapshot) -> (NodeIdx, NodeIdx, NodeIdx) {
        let context = (0..s.node_count() as u32)
            .map(NodeIdx)
            .find(|&n| edge_to(s, n, EdgeKind::Context, "leakyCache").is_some())
            .expect("a context holding leakyCache");
        let map = edge_to(s, context, EdgeKind::Context, "leakyCache").expect("leakyCache");
        let table = edge_to(s, map, EdgeKind::Internal, "table").expect("table");
        (context, map, table)
    }

    #[test]
    fn family_members_are_consistent_and_deterministic() {
        for target in [0, 10_000, 300_000] {
            for m in FamilyMember::ALL {
                let (bytes, stats) = member(target, 3, m);
                check(&bytes, &stats);
                assert_eq!(
                    member(target, 3, m).0,
                    bytes,
                    "{target} {m:?} deterministic"
                );
            }
        }
        // Counts match a generator pass, and the leak grows by L per round.
        let units = Layout::for_target(300_000, 3, Some(FamilyMember::Target)).units;
        let layouts = FamilyMember::ALL.map(|m| Layout::new(units, 3, Some(m)));
        let leak = (units / 20).max(1);
        for (k, layout) in layouts.iter().enumerate() {
            let mut counter = Counter::default();
            layout.emit_graph(&mut counter).expect("count");
            assert_eq!(
                (counter.nodes, counter.edges),
                (layout.node_count, layout.edge_count)
            );
            assert_eq!(layout.entries(), k as u64 * leak);
        }
        // Another seed, other bytes; a family member is not the single snapshot.
        let (a, _) = member(300_000, 3, FamilyMember::Target);
        assert_ne!(a, member(300_000, 4, FamilyMember::Target).0);
        assert_ne!(a, generate(300_000, 3).0);
    }

    #[test]
    fn family_target_is_about_the_requested_size() {
        let sizes = FamilyMember::ALL.map(|m| member(FAMILY_BYTES, 1, m).1.bytes as f64);
        let ratio = sizes[1] / FAMILY_BYTES as f64;
        assert!((0.98..1.02).contains(&ratio), "target {} bytes", sizes[1]);
        assert!(sizes[0] < sizes[1] && sizes[1] < sizes[2]);
        assert!(sizes[2] / sizes[0] < 1.1, "{sizes:?}");
    }

    #[test]
    fn family_members_share_the_base_graph() {
        let [(base, _), (target, _), (last, _)] = loaded_family();
        let cache = [base, target, last].map(leaky_cache);
        let id = |s: &Snapshot, n: NodeIdx| s.node_id(n);
        // The Context and the Map keep their ids; the table is new in each snapshot.
        for (s, c) in [(target, cache[1]), (last, cache[2])] {
            assert_eq!(id(s, c.0), id(base, cache[0].0));
            assert_eq!(id(s, c.1), id(base, cache[0].1));
        }
        assert_eq!(base.raw_name(cache[0].0), "system / Context");
        assert_eq!(base.raw_name(cache[0].1), "Map");
        assert!(id(base, cache[0].2) < id(target, cache[1].2));
        assert!(id(target, cache[1].2) < id(last, cache[2].2));
        assert!(target.find_by_id(id(base, cache[0].2)).is_none());
        assert!(last.find_by_id(id(target, cache[1].2)).is_none());
        // handleRequest closes over the module context.
        let handle_request = (0..base.node_count() as u32)
            .map(NodeIdx)
            .find(|&n| base.raw_name(n) == "handleRequest" && base.node_type_name(n) == "closure")
            .expect("handleRequest");
        assert_eq!(
            edge_to(base, handle_request, EdgeKind::Internal, "context"),
            Some(cache[0].0)
        );

        // Every object of the baseline is in the later snapshots, same everything, except the
        // baseline's own table and churn.
        for other in [target, last] {
            let mut missing = 0;
            for n in (0..base.node_count() as u32).map(NodeIdx) {
                let Some(m) = other.find_by_id(id(base, n)) else {
                    missing += 1;
                    continue;
                };
                if id(base, n) % 2 == 1 {
                    // (Embedder nodes, after the leak section, keep their ids, not indexes.)
                    assert_eq!(m, n, "same index");
                }
                assert_eq!(base.node_type_name(n), other.node_type_name(m));
                assert_eq!(base.raw_name(n), other.raw_name(m));
                assert_eq!(base.edge_count_of(n), other.edge_count_of(m));
                if n != cache[0].1 {
                    // (The Map's loaded size includes its table's, which grows.)
                    assert_eq!(base.self_size(n), other.self_size(m));
                }
                for (e, f) in base.edges(n).zip(other.edges(m)) {
                    assert_eq!(base.edge_kind(e), other.edge_kind(f));
                    assert_eq!(base.edge_name(e), other.edge_name(f));
                    let to = id(base, base.edge_target(e));
                    if other.find_by_id(to).is_some() {
                        assert_eq!(to, id(other, other.edge_target(f)));
                    }
                }
            }
            let churn = (loaded_family()[1].1.leak_entries / 4).clamp(4, 1000);
            assert_eq!(missing, 1 + CHURN_NODES * churn, "the table and the churn");
        }
    }

    #[test]
    fn three_snapshot_method_finds_exactly_the_targets_entries() {
        let [
            (base, base_stats),
            (target, target_stats),
            (last, last_stats),
        ] = loaded_family();
        let leak = target_stats.leak_entries;
        assert_eq!(
            leak,
            Layout::for_target(FAMILY_BYTES, 1, Some(FamilyMember::Target)).units / 20
        );
        assert_eq!(
            (base_stats.leak_entries, last_stats.leak_entries),
            (0, 2 * leak)
        );

        let classes = crate::snapshot::leak_candidates(base, target, last);
        assert_eq!(classes[0].class_name, "LeakedSession");
        assert_eq!(classes[0].count as u64, leak);
        assert!(!classes[0].builtin);
        let members: u64 = classes.iter().map(|c| u64::from(c.count)).sum();
        // Exactly the target's entries: all their nodes but the items' `(array)`, whose size
        // the loader moves into its `Array` (as DevTools does), leaving it without a class.
        assert_eq!(
            members,
            (ENTRY_NODES - 1) * leak,
            "exactly the target's entries"
        );
        assert!(classes.iter().all(|c| c.class_name != "TempBuffer"));
        let path: Vec<&str> = classes[0].groups[0]
            .path
            .iter()
            .map(|h| h.edge.as_str())
            .collect();
        assert_eq!(classes[0].groups.len(), 1);
        assert_eq!(&path[..3], ["{#}", "{table}", "->leakyCache"]);

        // The tables: two internal edges per entry.
        for (s, entries) in [(base, 0), (target, leak), (last, 2 * leak)] {
            let (_, _, table) = leaky_cache(s);
            let slots = s
                .edges(table)
                .filter(|&e| s.edge_kind(e) == EdgeKind::Internal)
                .count() as u64;
            assert_eq!(slots, 2 * entries);
            let sessions = s
                .edges(table)
                .filter(|&e| s.class_name(s.edge_target(e)) == "LeakedSession")
                .count() as u64;
            assert_eq!(sessions, entries);
        }

        // Ids: new objects have odd ids above the previous snapshot's largest odd id.
        for m in &classes[0].members {
            assert!(last.node_id(*m) > base.max_js_node_id());
            assert!(last.node_id(*m) <= target.max_js_node_id());
        }
        let final_sessions: Vec<u32> = (0..last.node_count() as u32)
            .map(NodeIdx)
            .filter(|&n| last.class_name(n) == "LeakedSession")
            .map(|n| last.node_id(n))
            .collect();
        assert_eq!(final_sessions.len() as u64, 2 * leak);
        let fresh = final_sessions
            .iter()
            .filter(|&&i| target.find_by_id(i).is_none())
            .inspect(|&&i| assert!(i > target.max_js_node_id()))
            .count() as u64;
        assert_eq!(fresh, leak);

        // Summary totals.
        for (s, stats) in [
            (base, base_stats),
            (target, target_stats),
            (last, last_stats),
        ] {
            let totals = s.totals();
            assert_eq!(totals.node_count as u64, stats.nodes);
            assert_eq!(totals.edge_count as u64, stats.edges);
            assert_eq!(
                totals.reachable_node_count, totals.node_count,
                "all reachable"
            );
            assert_eq!(totals.reachable_shallow_size, totals.total_shallow_size);
        }
        let total = |s: &Snapshot| s.totals().total_shallow_size;
        assert!(total(base) < total(target) && total(target) < total(last));
        // The leak is a few percent of the final heap.
        let leaked = last
            .classes()
            .iter()
            .find(|c| c.name == "LeakedSession")
            .expect("row");
        let share = leaked.retained_size_bytes as f64 / last.totals().total_reachable_size as f64;
        assert!((0.03..0.15).contains(&share), "leak share {share}");
    }

    #[test]
    fn write_to_path_renames_and_leaves_nothing_on_error() {
        let dir = std::env::temp_dir().join(format!("heapsight-synth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let opts = SynthOptions {
            target_bytes: 50_000,
            seed: 1,
        };
        let path = dir.join(FamilyMember::Final.file_name());
        let stats = write_to_path(&opts, Some(FamilyMember::Final), &path).expect("write");
        assert_eq!(std::fs::metadata(&path).expect("file").len(), stats.bytes);
        assert_eq!(
            std::fs::read(&path).expect("read"),
            member(50_000, 1, FamilyMember::Final).0
        );
        let single = dir.join("single.heapsnapshot");
        write_to_path(&opts, None, &single).expect("write");
        assert_eq!(std::fs::read(&single).expect("read"), generate(50_000, 1).0);
        // Renaming onto a directory fails: the part file is removed, the directory stays.
        let blocked = dir.join("blocked.heapsnapshot");
        std::fs::create_dir_all(blocked.join("inside")).expect("dir");
        assert!(write_to_path(&opts, Some(FamilyMember::Target), &blocked).is_err());
        assert!(blocked.join("inside").is_dir());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "blocked.heapsnapshot",
                "final.heapsnapshot",
                "single.heapsnapshot"
            ]
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn framing_matches_v8() {
        let (bytes, _) = generate(20_000, 1);
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        assert!(
            text.starts_with("{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",")
        );
        assert!(text.contains(",\"trace_function_count\":0},\n\"nodes\":[9,1,1,0,4,0,0\n,9,"));
        assert!(text.contains("\n],\n\"edges\":[1,1,7\n,5,"));
        assert!(text.contains("\n],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":["));
        assert!(text.contains("\n],\n\"strings\":[\"<dummy>\",\n\"\",\n\"0\",\n"));
        assert!(text.ends_with("\"]}"));
        assert!(text.is_ascii());
    }
}
