//! Redacted copies of a snapshot: every string's text replaced by a token, every figure kept.
//!
//! [`redact`] reads a `.heapsnapshot` (plain or gzip) twice. The first pass is the loader's
//! parser ([`super::parse`]): node and edge columns plus the string table, which is what the
//! plan needs. The second pass streams the file to `OUT.part` (renamed to `OUT` when complete,
//! removed on any error or cancel): the `snapshot` header, `edges`, `locations`, the allocation
//! arrays and every other value are copied byte for byte; in `nodes` only the `name` field of
//! some string nodes changes; the `strings` array is rewritten. The plan comes in two parts:
//! the layout of the output's string table (which entries stay, become tokens or are
//! appended, and so the nodes' new names) before the second pass starts, and the tokens
//! themselves on a thread of their own while the second pass copies everything before
//! `strings` (V8 writes it last). Any top-level key order works: rewriting `strings` waits
//! for the tokens.
//!
//! # Speed
//! Redacting costs about what loading costs: a file read twice, planning mostly hidden behind
//! the copy. Most concatenated strings have unique names, so the segmentation (below) hashes
//! the names in parallel and builds only those whose hash repeats; without cuts, equal texts
//! are found by sorting hashes instead of a map of every text. The first pass records where
//! each top-level value lies, so the large ones that stay as they are (`edges`, `locations`,
//! `nodes` when no node is renamed) skip the scanner: from a plain input to a plain output the kernel copies them
//! (`copy_file_range`), for a gzip output they are read straight into the blocks to compress.
//! A gzip output is compressed in 4 MiB members on rayon's threads while the copy goes on.
//!
//! # What is replaced
//! - **String nodes** (type `string`: user data, keys, environment values, the `source` of
//!   every Script): the text becomes a token of the same UTF-16 length (see below). Equal
//!   texts get equal tokens; the empty string stays empty. Regexp nodes (their name is the
//!   pattern) are tokenized the same way.
//! - **Captured numbers** (`heap number` / `smi number` nodes with captureNumericValue):
//!   the string node behind their internal `value` edge becomes `""`.
//! - String-table entries that nothing refers to become `""`.
//!
//! Kept: class names, property and other edge names, function and script names, native (DOM)
//! names, `system / …` names, symbol descriptions, and the `int`/`bool` values V8 attaches to
//! strings it truncated in the snapshot (`truncated`, `length`, `hash`: DevTools groups
//! truncated strings by them). Node and edge counts, ids, sizes, and the order of everything
//! are unchanged, so every figure DevTools or heapsight computes is the same.
//!
//! # Hashed names
//! With [`RedactOptions::hash_names`], the program's own names (class names of objects,
//! function names of closures and code, property and context-variable names, allocation
//! functions) are replaced too, by keyed-hash tokens of the same length; V8's and the
//! runtime's names that the analysis compares are kept. Only the `strings` array changes
//! for this, so it costs no extra pass. See [`super::name_hash`] for the rules and the key.
//!
//! # Shared string-table entries
//! Node names and edge names share one table; the string `"name"` may be a string node's text
//! and a property name at once. Such an entry keeps its text (for the edge) and the string
//! nodes get a new entry, appended to the table, holding the token: only the `name` field of
//! those nodes changes in `nodes`.
//!
//! # Tokens and DevTools' string grouping
//! DevTools names a concatenated string by joining its parts (`first`, `second`, recursively)
//! until the name reaches 1024 UTF-16 units, and groups "Duplicated strings" by that name. So
//! the token of a part must compose: if `"ab" + "c"` and a flat `"abc"` are both in the
//! heap, the tokens must give `T(ab)T(c) == T(abc)`. The plan therefore cuts texts into
//! *atoms*, the coarsest pieces consistent with every such equality (a fixpoint over the cut
//! positions of equal names and of shared parts), and a token is the concatenation of its
//! atoms' tokens. Most texts are one atom. An atom of UTF-16 length k gets the next unused
//! k-unit code: one "start" character (`A`–`Z`, then CJK ideographs) and k−1 "continuation"
//! characters (`a`–`z`, `0`–`9`, then Hangul syllables), e.g. `Aaaaab`. Because a start
//! character begins each atom token, joined tokens decode uniquely, so different names stay
//! different; because lengths are kept, the 1024-unit cut-off takes the same parts. The
//! length of a string is no secret anyway: its shallow size (kept) already tells it.

use std::collections::{BTreeSet, VecDeque};

use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use rayon::prelude::*;
use std::hash::BuildHasher as _;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::edge_kinds::{KindsRead, with_kinds};
use super::error::{Error, ErrorKind, Result};
use super::memory::{LoadOptions, Need};
use super::meta::{Meta, NO_TYPE};
use super::name_hash::{self, NameKey, NameTokens};
use super::names::{ConsColumns, cons_string_parts, utf16_len};
use super::parse::{self, Parsed};
use super::progress::Progress;
use super::strings::StringTable;

/// Options of [`redact`].
#[derive(Clone, Debug, Default)]
pub struct RedactOptions {
    /// Gzip the output. `None`: when the output's name ends in `.gz`.
    pub gzip: Option<bool>,
    /// Also replace the program's class, property and function names by keyed-hash tokens
    /// (see the module docs, "Hashed names"). Off: every name is kept.
    pub hash_names: bool,
    /// The secret the name hash is keyed with, so that snapshots redacted separately get
    /// the same tokens (and still compare). `None`: a random key per run.
    pub hash_key: Option<String>,
}

/// What [`redact`] did, for a status line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedactStats {
    /// Nodes in the snapshot (unchanged).
    pub node_count: usize,
    /// Edges in the snapshot (unchanged).
    pub edge_count: usize,
    /// String and regexp nodes whose text was replaced by a token.
    pub redacted_nodes: usize,
    /// Distinct texts replaced by a token.
    pub redacted_texts: usize,
    /// Captured number values blanked.
    pub blanked_numbers: usize,
    /// String-table entries emptied because nothing refers to them.
    pub emptied_unused: usize,
    /// String-table entries appended (tokens of texts that are also names, and `""`).
    pub appended_strings: usize,
    /// Texts cut into more than one atom so concatenated strings still group as before.
    pub segmented_texts: usize,
    /// Distinct names replaced by a hash token ([`RedactOptions::hash_names`]).
    pub hashed_names: usize,
    /// Bytes written (compressed size for a gzip output).
    pub bytes_written: u64,
}

/// Writes a redacted copy of the snapshot `in_path` to `out_path` (see the module docs for
/// what changes). The output is written to `<out_path>.part` and renamed when complete; on
/// any error, and on [`Progress::cancel`], `out_path` is left as it was and no `.part` file
/// remains. Errors name the file they are about (input or output).
pub fn redact(
    in_path: &Path,
    out_path: &Path,
    options: &RedactOptions,
    progress: &Progress,
) -> Result<RedactStats> {
    if same_file(in_path, out_path) {
        return Err(Error::new(ErrorKind::Write(io::Error::other(
            "the redacted copy would overwrite its input",
        )))
        .with_path(out_path));
    }
    let parsed = read_input(in_path, progress).map_err(|e| e.with_path(in_path))?;
    if progress.is_cancelled() {
        return Err(ErrorKind::Cancelled.into());
    }
    let trace_names = if parsed.meta.trace_function_count > 0 {
        progress.set_phase("Reading allocation functions");
        trace_function_names(in_path, progress).map_err(|e| e.with_path(in_path))?
    } else {
        Vec::new()
    };
    progress.set_phase("Planning tokens");
    let name_key = options.hash_names.then(|| {
        options
            .hash_key
            .as_deref()
            .map_or_else(NameKey::random, NameKey::from_secret)
    });
    let mut layout = Layout::new(&parsed, &trace_names).map_err(|e| e.with_path(in_path))?;
    if progress.is_cancelled() {
        return Err(ErrorKind::Cancelled.into());
    }
    let gzip = options.gzip.unwrap_or_else(|| {
        out_path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    });
    progress.set_phase("Writing the redacted copy");
    let renames = std::mem::take(&mut layout.renames);
    std::thread::scope(|scope| {
        // The tokens are planned while the copy pass writes everything before `strings`.
        let (parsed, trace_names) = (&parsed, &trace_names);
        let planner = std::thread::Builder::new()
            .name("heapsight-redact-plan".into())
            .spawn_scoped(scope, move || {
                StringsPlan::new(parsed, trace_names, layout, name_key)
            })
            .map_err(|e| Error::new(ErrorKind::Io(e)).with_path(in_path))?;
        let mut plan = LatePlan {
            planner: Some(planner),
            plan: None,
        };
        // Errors of the writer closure travel through `io::Error`; the real one is kept here.
        let mut failure: Option<Error> = None;
        let written = crate::atomic_file::write_via_part(out_path, |file| {
            let result = copy_pass(in_path, file, gzip, parsed, &renames, &mut plan, progress);
            result.map_err(|e: Error| {
                let message = e.to_string();
                failure = Some(e);
                io::Error::other(message)
            })
        });
        match (written, failure) {
            (Ok(bytes), _) => {
                let mut stats = plan.get().map_err(|e| e.with_path(in_path))?.stats.clone();
                stats.node_count = parsed.cols.node_type.len();
                stats.edge_count = parsed.cols.edge_kinds.len();
                stats.bytes_written = bytes;
                Ok(stats)
            }
            (Err(_), Some(err)) if matches!(err.kind(), ErrorKind::Write(_)) => {
                Err(err.with_path(out_path))
            }
            (Err(_), Some(err)) => Err(err.with_path(in_path)),
            (Err(err), None) => Err(Error::new(ErrorKind::Write(err)).with_path(out_path)),
        }
    })
}

/// The [`StringsPlan`], computed on its own thread while the copy pass starts.
struct LatePlan<'s> {
    planner: Option<std::thread::ScopedJoinHandle<'s, Result<StringsPlan>>>,
    plan: Option<StringsPlan>,
}

impl LatePlan<'_> {
    /// The plan, once it is ready (or why it could not be made).
    fn get(&mut self) -> Result<&StringsPlan> {
        if let Some(planner) = self.planner.take() {
            let plan = planner.join().unwrap_or_else(|_| {
                Err(Error::new(ErrorKind::Graph(
                    "planning the tokens failed unexpectedly".into(),
                )))
            })?;
            self.plan = Some(plan);
        }
        self.plan
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Graph("planning the tokens failed".into())))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn write_err(err: io::Error) -> Error {
    Error::new(ErrorKind::Write(err))
}

/// Size of the output blocks handed to the writer thread.
const BLOCK_BYTES: usize = 4 << 20;

/// The second pass. This thread scans and rewrites the input; a gzip input is inflated on a
/// reader thread, a gzip output compressed on rayon's threads and written by a writer
/// thread. A plain input is read, and a plain output written, right here: one copy each way
/// and no hand-offs. Returns the bytes written.
fn copy_pass(
    in_path: &Path,
    file: &mut std::io::BufWriter<std::fs::File>,
    gzip: bool,
    parsed: &Parsed,
    renames: &[(u32, u32)],
    plan: &mut LatePlan<'_>,
    progress: &Progress,
) -> Result<u64> {
    let (reader, _, inflate) = super::open_reader(in_path, progress)?;
    std::thread::scope(|scope| {
        let mut reader_thread = None;
        let input = if inflate {
            let (in_tx, in_rx) = sync_channel::<io::Result<Vec<u8>>>(4);
            let (recycle, recycled) = sync_channel::<Vec<u8>>(4);
            reader_thread = Some(
                std::thread::Builder::new()
                    .name("heapsight-redact-reader".into())
                    .spawn_scoped(scope, move || parse::read_chunks(reader, &in_tx, &recycled))
                    .map_err(|e| Error::new(ErrorKind::Io(e)))?,
            );
            Input::Inflated(ChannelReader::new(in_rx, recycle))
        } else {
            drop(reader);
            let open = || std::fs::File::open(in_path).map_err(|e| Error::new(ErrorKind::Io(e)));
            let file = ProgressFile {
                file: open()?,
                progress,
            };
            Input::File(BufReader::with_capacity(BLOCK_BYTES, file))
        };
        // The large values that stay as they are skip the scanner: from file to file in the
        // kernel, or read straight into the blocks to compress.
        let mut verbatim = match &input {
            Input::File(_) => Some(Verbatim {
                src: std::fs::File::open(in_path).map_err(|e| Error::new(ErrorKind::Io(e)))?,
                sections: &parsed.sections,
                nodes_kept: renames.is_empty(),
            }),
            Input::Inflated(_) => None,
        };
        let mut input = Scanner::new(input, progress);
        let result = if gzip {
            compress_pass(
                scope,
                &mut input,
                file,
                parsed,
                renames,
                plan,
                verbatim.as_mut(),
            )
        } else {
            let mut out = CountingWriter {
                inner: file,
                bytes: 0,
            };
            rewrite(
                &mut input,
                &mut out,
                parsed,
                renames,
                plan,
                verbatim.as_mut(),
            )
            .map(|()| out.bytes)
        };
        // Hanging up stops the reader thread.
        drop(input);
        if let Some(reader_thread) = reader_thread {
            reader_thread.join().ok();
        }
        result
    })
}

/// [`rewrite`] into blocks that a writer thread compresses (see [`write_blocks`]) and writes
/// to `file`. Returns the bytes written.
fn compress_pass<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    input: &mut Scanner<'_, Input>,
    file: &'s mut std::io::BufWriter<std::fs::File>,
    parsed: &Parsed,
    renames: &[(u32, u32)],
    plan: &mut LatePlan<'_>,
    verbatim: Option<&mut Verbatim<'_>>,
) -> Result<u64> {
    let (out_tx, out_rx) = sync_channel::<Vec<u8>>(4);
    let (out_recycle, out_recycled) = sync_channel::<Vec<u8>>(4);
    let writer_thread = std::thread::Builder::new()
        .name("heapsight-redact-writer".into())
        .spawn_scoped(scope, move || write_blocks(&out_rx, &out_recycle, file))
        .map_err(write_err)?;
    let mut out = ChannelWriter {
        tx: out_tx,
        recycled: out_recycled,
        buf: Vec::with_capacity(BLOCK_BYTES),
    };
    let scanned = rewrite(input, &mut out, parsed, renames, plan, verbatim)
        .and_then(|()| out.send_rest().map_err(write_err));
    // Hanging up stops the writer thread.
    drop(out);
    let written = writer_thread
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
    match (scanned, written) {
        (Ok(()), Ok(bytes)) => Ok(bytes),
        // The writer's own error explains why handing it blocks failed.
        (Ok(()), Err(err)) => Err(write_err(err)),
        (Err(e), Err(err)) if matches!(e.kind(), ErrorKind::Write(_)) => Err(write_err(err)),
        (Err(e), _) => Err(e),
    }
}

/// The writer thread: compresses the blocks it receives until the sender hangs up and
/// writes them, handing the blocks back through `recycle`. Each block becomes a gzip member
/// of its own (as pigz writes), compressed on rayon's threads as soon as it arrives; members
/// are written in order (gzip readers decode concatenated members as one stream). Returns
/// the bytes written to `file`.
fn write_blocks(
    rx: &Receiver<Vec<u8>>,
    recycle: &SyncSender<Vec<u8>>,
    file: &mut std::io::BufWriter<std::fs::File>,
) -> io::Result<u64> {
    let mut counter = CountingWriter {
        inner: file,
        bytes: 0,
    };
    type Member = (io::Result<Vec<u8>>, Vec<u8>);
    let in_flight = rayon::current_num_threads().max(1) + 1;
    let mut pending: VecDeque<Receiver<Member>> = VecDeque::with_capacity(in_flight);
    let mut write_oldest = |pending: &mut VecDeque<Receiver<Member>>| -> io::Result<()> {
        let Some(member) = pending.pop_front() else {
            return Ok(());
        };
        let (member, block) = member
            .recv()
            .map_err(|_| io::Error::other("a compression task stopped"))?;
        counter.write_all(&member?)?;
        recycle.try_send(block).ok();
        Ok(())
    };
    for block in rx {
        let (tx, member) = sync_channel::<Member>(1);
        rayon::spawn(move || {
            tx.send((gzip_member(&block), block)).ok();
        });
        pending.push_back(member);
        while pending.len() >= in_flight {
            write_oldest(&mut pending)?;
        }
    }
    while !pending.is_empty() {
        write_oldest(&mut pending)?;
    }
    Ok(counter.bytes)
}

/// `block` as one gzip member.
fn gzip_member(block: &[u8]) -> io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(block.len() / 4),
        flate2::Compression::fast(),
    );
    gz.write_all(block)?;
    gz.finish()
}

/// The copy pass's input: a plain file, read directly, or the chunks of the thread that
/// inflates a gzip file.
enum Input<'p> {
    File(BufReader<ProgressFile<'p>>),
    Inflated(ChannelReader),
}

impl Read for Input<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(r) => r.read(out),
            Input::Inflated(r) => r.read(out),
        }
    }
}

impl BufRead for Input<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Input::File(r) => r.fill_buf(),
            Input::Inflated(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Input::File(r) => r.consume(n),
            Input::Inflated(r) => r.consume(n),
        }
    }
}

/// A file whose read position is the progress.
struct ProgressFile<'p> {
    file: std::fs::File,
    progress: &'p Progress,
}

impl Read for ProgressFile<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(out)?;
        let at = self.file.stream_position()?;
        self.progress.set_bytes_read(at);
        Ok(n)
    }
}

impl Seek for ProgressFile<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.file.seek(to)?;
        self.progress.set_bytes_read(at);
        Ok(at)
    }
}

/// Values smaller than this are copied through the scanner even when they could be copied
/// unread.
const VERBATIM_MIN_BYTES: u64 = 1 << 20;

/// Top-level values copied unread (all but `strings`, and `nodes` when a node is renamed):
/// the input file and where the first pass found them. Only for a plain input.
struct Verbatim<'a> {
    src: std::fs::File,
    sections: &'a [parse::Section],
    /// No node is renamed: `nodes` stays as it is too.
    nodes_kept: bool,
}

impl Verbatim<'_> {
    /// Copies the value of `key` that starts at `offset` (just after its `:`) to `out` when
    /// it is a large one that stays as it is; its length in bytes.
    fn copy(&mut self, offset: u64, key: &[u8], out: &mut impl Output) -> Result<Option<u64>> {
        let Some(section) = self.sections.iter().find(|s| s.start == offset) else {
            return Ok(None);
        };
        let len = section.end.saturating_sub(section.start);
        let changes = match key {
            b"nodes" => !self.nodes_kept,
            b"strings" => true,
            _ => false,
        };
        if section.key != key || changes || len < VERBATIM_MIN_BYTES {
            return Ok(None);
        }
        self.src
            .seek(SeekFrom::Start(section.start))
            .map_err(read_err)?;
        match out.copy_from(&mut self.src, len).map_err(write_err)? {
            None => Ok(None),
            Some(copied) if copied == len => Ok(Some(len)),
            Some(_) => Err(ErrorKind::Truncated {
                context: "in the second pass (did the file change?)".into(),
                offset: section.end,
            }
            .into()),
        }
    }
}

/// Where [`rewrite`] writes: bytes, and for a plain file also ranges of the input file that
/// the kernel copies (`copy_file_range`) without them passing through this process.
trait Output: Write {
    /// Copies up to `len` bytes of `src` from its position; the bytes copied, or `None`
    /// when this output cannot.
    fn copy_from(&mut self, _src: &mut std::fs::File, _len: u64) -> io::Result<Option<u64>> {
        Ok(None)
    }
}

impl Output for ChannelWriter {
    /// Reads the bytes straight into the blocks.
    fn copy_from(&mut self, src: &mut std::fs::File, len: u64) -> io::Result<Option<u64>> {
        let mut copied = 0;
        while copied < len {
            let room = BLOCK_BYTES.saturating_sub(self.buf.len()).max(1);
            let want = (room as u64).min(len - copied);
            let n = Read::take(&mut *src, want).read_to_end(&mut self.buf)?;
            copied += n as u64;
            if self.buf.len() >= BLOCK_BYTES {
                self.send_rest()?;
            }
            if (n as u64) < want {
                break;
            }
        }
        Ok(Some(copied))
    }
}

impl Output for CountingWriter<&mut std::io::BufWriter<std::fs::File>> {
    fn copy_from(&mut self, src: &mut std::fs::File, len: u64) -> io::Result<Option<u64>> {
        self.inner.flush()?;
        let copied = io::copy(&mut Read::take(src, len), self.inner.get_mut())?;
        self.bytes += copied;
        Ok(Some(copied))
    }
}

/// The scanner's side of the reader thread's channel.
struct ChannelReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    /// Exhausted chunks go back to the reader thread for reuse.
    recycle: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    fn new(rx: Receiver<io::Result<Vec<u8>>>, recycle: SyncSender<Vec<u8>>) -> Self {
        Self {
            rx,
            recycle,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChannelReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            self.pos = 0;
            let old = std::mem::take(&mut self.buf);
            if old.capacity() > 0 {
                self.recycle.try_send(old).ok();
            }
            self.buf = match self.rx.recv() {
                Ok(Ok(block)) => block,
                Ok(Err(err)) => return Err(err),
                // The reader thread is done: end of input.
                Err(_) => Vec::new(),
            };
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// The scanner's side of the writer thread's channel: collects output in blocks.
struct ChannelWriter {
    tx: SyncSender<Vec<u8>>,
    /// Blocks the writer thread is done with, for reuse (saves page faults).
    recycled: Receiver<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    /// Sends what is buffered.
    fn send_rest(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = match self.recycled.try_recv() {
            Ok(mut block) => {
                block.clear();
                block
            }
            Err(_) => Vec::with_capacity(BLOCK_BYTES),
        };
        let block = std::mem::replace(&mut self.buf, next);
        self.tx
            .send(block)
            .map_err(|_| io::Error::other("the writer thread stopped"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BLOCK_BYTES {
            self.send_rest()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A read error of the second pass, as the loader reports it (gzip problems named).
fn read_err(err: io::Error) -> Error {
    match err.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            ErrorKind::Gzip(err.to_string()).into()
        }
        io::ErrorKind::UnexpectedEof => {
            ErrorKind::Gzip(format!("{err}; the compressed file is truncated")).into()
        }
        _ => ErrorKind::Io(err).into(),
    }
}

fn read_input(path: &Path, progress: &Progress) -> Result<Parsed> {
    let (reader, file_bytes, gzip) = super::open_reader(path, progress)?;
    parse::parse(
        reader,
        (!gzip).then_some(file_bytes),
        &LoadOptions::default(),
        Need::ParseOnly,
        progress,
    )
}

/// Counts the bytes that reach the file.
struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What happens to one node's name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// Not a string: the name stays.
    Name,
    /// A string (or regexp) node: its text becomes a token.
    Token,
    /// A captured number's value: becomes `""`.
    Blank,
    /// A string V8 uses for truncation metadata (`int`/`bool` values): stays.
    Keep,
}

/// What the output's string table holds at one index of the input's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryOut {
    /// The input's text, copied byte for byte.
    Same,
    /// The token of the input's text.
    Token,
    /// `""`.
    Empty,
    /// A new text (a hashed name): `Plan::renamed`.
    Renamed,
}

/// How the output's string table is laid out: decided before the tokens, because the nodes'
/// new names depend on it and not on the tokens. The copy pass starts from this while
/// [`StringsPlan::new`] computes the tokens.
struct Layout {
    policy: Vec<Policy>,
    /// [`named_edge_types`].
    named: Vec<bool>,
    /// Per input string-table entry (hashed names not marked yet).
    entries: Vec<EntryOut>,
    /// Entries appended after the input's, as input entry indexes whose token to write
    /// (`None`: `""`).
    appended: Vec<Option<u32>>,
    /// Nodes whose `name` field changes: (node ordinal, new string index), by ordinal.
    renames: Vec<(u32, u32)>,
    stats: RedactStats,
}

/// Everything the copy pass writes for the `strings` array.
struct StringsPlan {
    /// Per input string-table entry.
    entries: Vec<EntryOut>,
    /// As [`Layout::appended`].
    appended: Vec<Option<u32>>,
    /// Token texts, by input entry (only for entries written as tokens).
    tokens: Tokens,
    /// New texts of the entries written as [`EntryOut::Renamed`].
    renamed: HashMap<u32, String>,
    stats: RedactStats,
}

impl Layout {
    fn new(parsed: &Parsed, trace_names: &[u32]) -> Result<Self> {
        let meta = &parsed.meta;
        let cols = &parsed.cols;
        let strings = &parsed.strings;
        let node_count = cols.node_type.len();
        let string_count = strings.len();
        let bad_string = |what: &str, index: u32| {
            Error::new(ErrorKind::Graph(format!(
                "{what} refers to string {index}, but there are only {string_count} strings"
            )))
        };
        // The nodes' edge counts must cover the edges exactly (as the loader checks), or
        // walking a node's edges would run past them.
        let edge_total = cols.first_edge.last().copied().unwrap_or(0) as usize;
        if edge_total != cols.edge_to.len() {
            return Err(Error::new(ErrorKind::Meta(format!(
                "the nodes' edge_count fields add up to {edge_total} but there are {} edges",
                cols.edge_to.len()
            ))));
        }
        if let Some(i) = first_bad(&cols.node_name, |_, &s| s as usize >= string_count) {
            return Err(bad_string(&format!("node {i}"), cols.node_name[i]));
        }
        if let Some(e) = first_bad(&cols.edge_to, |_, &to| to as usize >= node_count) {
            let to = cols.edge_to[e];
            return Err(Error::new(ErrorKind::Graph(format!(
                "an edge points to node {to}, but there are only {node_count} nodes"
            ))));
        }
        let named = named_edge_types(meta);
        let kinds = cols.edge_kinds.view();
        // `edge_to` has one entry per edge: it only gives the edge ordinals.
        if let Some(e) = with_kinds!(kinds, |k| first_bad(&cols.edge_to, |e, _| {
            named[k.ty(e) as usize] && k.name(e) as usize >= string_count
        })) {
            return Err(bad_string(&format!("edge {e}"), kinds.name(e)));
        }
        let nt = meta.nt;
        let mut policy: Vec<Policy> = cols
            .node_type
            .iter()
            .map(|&t| {
                if (t == nt.string || t == nt.regexp) && t != NO_TYPE {
                    Policy::Token
                } else {
                    Policy::Name
                }
            })
            .collect();
        let edge_name = |e: usize| -> Option<&str> {
            named[kinds.ty(e) as usize].then(|| strings.get(kinds.name(e)))
        };
        // Captured numbers and V8's truncation metadata hang off `number` nodes.
        if nt.number != NO_TYPE {
            for n in 0..node_count {
                if cols.node_type[n] != nt.number {
                    continue;
                }
                let keep = matches!(strings.get(cols.node_name[n]), "int" | "bool");
                for e in cols.first_edge[n] as usize..cols.first_edge[n + 1] as usize {
                    let to = cols.edge_to[e] as usize;
                    if kinds.ty(e) == meta.et.internal
                        && edge_name(e) == Some("value")
                        && cols.node_type[to] == nt.string
                    {
                        policy[to] = if keep { Policy::Keep } else { Policy::Blank };
                    }
                }
            }
        }

        // Who uses each entry: bit 0 other (a name), bit 1 a token, bit 2 a blanked number.
        // Nodes and two halves of the edges are counted in parallel.
        const OTHER: u8 = 1;
        const TOKEN: u8 = 2;
        const BLANK: u8 = 4;
        let node_uses = || {
            let mut uses = vec![0u8; string_count];
            for (p, &s) in policy.iter().zip(&cols.node_name) {
                uses[s as usize] |= match p {
                    Policy::Name | Policy::Keep => OTHER,
                    Policy::Token => TOKEN,
                    Policy::Blank => BLANK,
                };
            }
            uses
        };
        let edge_uses = |edges: std::ops::Range<usize>| {
            let mut uses = vec![0u8; string_count];
            with_kinds!(kinds, |k| for e in edges {
                if named[k.ty(e) as usize] {
                    uses[k.name(e) as usize] |= OTHER;
                }
            });
            uses
        };
        let (edge_count, half) = (cols.edge_to.len(), cols.edge_to.len() / 2);
        let (mut uses, (first_half, second_half)) = rayon::join(node_uses, || {
            rayon::join(|| edge_uses(0..half), || edge_uses(half..edge_count))
        });
        for ((u, a), b) in uses.iter_mut().zip(first_half).zip(second_half) {
            *u |= a | b;
        }
        for &s in trace_names {
            match uses.get_mut(s as usize) {
                Some(u) => *u |= OTHER,
                None => return Err(bad_string("trace_function_infos", s)),
            }
        }

        let mut stats = RedactStats::default();
        let mut entries = vec![EntryOut::Same; string_count];
        let mut appended: Vec<Option<u32>> = Vec::new();
        // New index of the token of a shared entry (`u32::MAX`: none), and of the one
        // appended `""`.
        let mut token_index = vec![u32::MAX; string_count];
        let mut blank_index: Option<u32> = None;
        for s in 0..string_count {
            let u = uses[s];
            let (o, t, b) = (u & OTHER != 0, u & TOKEN != 0, u & BLANK != 0);
            entries[s] = match (o, t, b) {
                (false, false, false) => {
                    if !strings.get(s as u32).is_empty() {
                        stats.emptied_unused += 1;
                    }
                    EntryOut::Empty
                }
                (false, true, false) => EntryOut::Token,
                (false, false, true) => EntryOut::Empty,
                (false, true, true) => EntryOut::Token,
                _ => EntryOut::Same,
            };
            if t && entries[s] != EntryOut::Token {
                token_index[s] = (string_count + appended.len()) as u32;
                appended.push(Some(s as u32));
            }
            if b && entries[s] != EntryOut::Empty && blank_index.is_none() {
                blank_index = Some((string_count + appended.len()) as u32);
                appended.push(None);
            }
        }
        stats.appended_strings = appended.len();
        let mut renames = Vec::new();
        for (i, p) in policy.iter().enumerate() {
            let s = cols.node_name[i];
            match p {
                Policy::Token => {
                    stats.redacted_nodes += 1;
                    let new = token_index[s as usize];
                    if new != u32::MAX {
                        renames.push((i as u32, new));
                    }
                }
                Policy::Blank => {
                    stats.blanked_numbers += 1;
                    if entries[s as usize] != EntryOut::Empty
                        && let Some(new) = blank_index
                    {
                        renames.push((i as u32, new));
                    }
                }
                Policy::Name | Policy::Keep => {}
            }
        }
        // `Empty` for an entry also used by tokens is only right when its text is empty.
        for s in 0..string_count {
            if entries[s] == EntryOut::Token && strings.get(s as u32).is_empty() {
                entries[s] = EntryOut::Empty;
            }
        }
        Ok(Self {
            policy,
            named,
            entries,
            appended,
            renames,
            stats,
        })
    }
}

impl StringsPlan {
    /// The tokens (and with `name_key`, the hashed names) of the entries `layout` decided.
    fn new(
        parsed: &Parsed,
        trace_names: &[u32],
        layout: Layout,
        name_key: Option<NameKey>,
    ) -> Result<Self> {
        let strings = &parsed.strings;
        let Layout {
            policy,
            named,
            mut entries,
            appended,
            renames: _,
            mut stats,
        } = layout;
        let segmentation = Segmentation::new(parsed, &policy, &named);
        stats.segmented_texts = segmentation.cuts.values().filter(|c| !c.is_empty()).count();
        let mut alphabet = Alphabet::new(&segmentation.forbidden);
        // Entries written as tokens, in the order codes are given (each once: the appended
        // ones are never written as tokens in place).
        let tokenized: Vec<u32> = (0..strings.len() as u32)
            .filter(|&s| entries[s as usize] == EntryOut::Token)
            .chain(appended.iter().flatten().copied())
            .collect();
        let texts: Vec<&str> = tokenized.iter().map(|&s| strings.get(s)).collect();
        let ids = if segmentation.cuts.values().all(BTreeSet::is_empty) {
            alphabet.whole_tokens(&texts)?
        } else {
            texts
                .iter()
                .map(|text| alphabet.token(text, segmentation.cuts.get(text)))
                .collect::<Result<Vec<u32>>>()?
        };
        let mut of_entry = vec![u32::MAX; strings.len()];
        for (&s, id) in tokenized.iter().zip(ids) {
            of_entry[s as usize] = id;
        }
        stats.redacted_texts = alphabet.text_count;
        let tokens = alphabet.into_tokens(of_entry);
        let renamed = match name_key {
            Some(key) => hashed_names(parsed, trace_names, &policy, &named, &mut entries, key)?,
            None => HashMap::new(),
        };
        stats.hashed_names = renamed.len();
        Ok(Self {
            entries,
            appended,
            tokens,
            renamed,
            stats,
        })
    }
}

/// The hashed names of `--hash-names` (see [`name_hash`]): marks the entries that change as
/// [`EntryOut::Renamed`] and returns their new texts.
fn hashed_names(
    parsed: &Parsed,
    trace_names: &[u32],
    policy: &[Policy],
    named: &[bool],
    entries: &mut [EntryOut],
    key: NameKey,
) -> Result<HashMap<u32, String>> {
    let (meta, cols, strings) = (&parsed.meta, &parsed.cols, &parsed.strings);
    let (nt, et) = (meta.nt, meta.et);
    let string_count = strings.len();
    // Who uses each entry as a name: in a program position (hashable), as a property, or
    // structurally (kept).
    let mut program = vec![false; string_count];
    let mut property = vec![false; string_count];
    let mut structural = vec![false; string_count];
    for (n, p) in policy.iter().enumerate() {
        let s = cols.node_name[n] as usize;
        match p {
            Policy::Name => {
                let t = cols.node_type[n];
                if t == nt.object || t == nt.closure || t == nt.code {
                    program[s] = true;
                } else {
                    structural[s] = true;
                }
            }
            Policy::Keep => structural[s] = true,
            Policy::Token | Policy::Blank => {}
        }
    }
    with_kinds!(cols.edge_kinds.view(), |k| for e in 0..cols.edge_to.len() {
        let t = k.ty(e);
        if !named[t as usize] {
            continue;
        }
        let s = k.name(e) as usize;
        if t == et.property || t == et.context {
            program[s] = true;
            property[s] |= t == et.property;
        } else {
            structural[s] = true;
        }
    });
    for &s in trace_names {
        program[s as usize] = true;
    }
    let hashed: Vec<bool> = (0..string_count)
        .map(|s| {
            program[s]
                && !structural[s]
                && entries[s] == EntryOut::Same
                && !name_hash::is_kept_name(strings.get(s as u32))
        })
        .collect();
    // Names to hash (text -> token length) and the texts kept as names.
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut kept: HashSet<&str> = HashSet::new();
    for s in 0..string_count {
        let text = strings.get(s as u32);
        if hashed[s] {
            names.insert(text.to_owned(), name_hash::token_len(text, property[s]));
        } else if (program[s] || structural[s]) && entries[s] == EntryOut::Same {
            kept.insert(text);
        }
    }
    // Names inside other names: WeakMap ephemeron edge names, and code named
    // `(code for f)`. Hashed unless kept.
    let mut wrapped: Vec<u32> = Vec::new();
    for s in 0..string_count {
        if entries[s] != EntryOut::Same || !(program[s] || structural[s]) || hashed[s] {
            continue;
        }
        let text = strings.get(s as u32);
        let parts = if structural[s] {
            name_hash::weak_map_edge_parts(text).map(Vec::from)
        } else {
            name_hash::code_for_part(text).map(|r| vec![r])
        };
        let Some(parts) = parts else { continue };
        wrapped.push(s as u32);
        for part in parts {
            let inner = &text[part];
            if !name_hash::is_kept_name(inner) && !kept.contains(inner) {
                names
                    .entry(inner.to_owned())
                    .or_insert_with(|| name_hash::token_len(inner, false));
            }
        }
    }
    let tokens = NameTokens::new(key, &names, &kept)?;
    let mut renamed: HashMap<u32, String> = HashMap::with_capacity(tokens.len());
    for s in 0..string_count {
        if hashed[s]
            && let Some(token) = tokens.get(strings.get(s as u32))
        {
            renamed.insert(s as u32, token.to_owned());
        }
    }
    for s in wrapped {
        let text = strings.get(s);
        let token = |inner: &str| tokens.get(inner).map(str::to_owned);
        let new = if structural[s as usize] {
            name_hash::rewrite_weak_map_edge_name(text, token)
        } else {
            name_hash::code_for_part(text).and_then(|r| {
                Some(format!(
                    "{}{}{}",
                    &text[..r.start],
                    token(&text[r.clone()])?,
                    &text[r.end..]
                ))
            })
        };
        if let Some(new) = new {
            renamed.insert(s, new);
        }
    }
    for &s in renamed.keys() {
        entries[s as usize] = EntryOut::Renamed;
    }
    Ok(renamed)
}

/// The index of the first element of `v` for which `bad` (given its index) holds, checked
/// in parallel blocks.
fn first_bad<T: Sync>(v: &[T], bad: impl Fn(usize, &T) -> bool + Sync) -> Option<usize> {
    const BLOCK: usize = 1 << 20;
    v.par_chunks(BLOCK)
        .enumerate()
        .find_map_first(|(b, block)| {
            let at = b * BLOCK;
            block
                .iter()
                .enumerate()
                .position(|(i, x)| bad(at + i, x))
                .map(|i| at + i)
        })
}

/// Edge types whose `name_or_index` is a string index (all but `element` and `hidden`).
fn named_edge_types(meta: &Meta) -> Vec<bool> {
    (0..meta.edge_types.len())
        .map(|t| {
            let t = t as u8;
            t != meta.et.element && t != meta.et.hidden
        })
        .collect()
}

/// The cut positions (UTF-16 offsets inside a text) that keep concatenated strings grouped
/// as before; see the module docs.
struct Segmentation<'a> {
    /// Cuts per token text (only texts that take part in a concatenation).
    cuts: HashMap<&'a str, BTreeSet<u32>>,
    /// Characters of fixed (non-token) parts of concatenated strings: tokens avoid them.
    forbidden: HashSet<char>,
}

/// One part of a concatenated string's DevTools name.
struct Part<'a> {
    /// The part's text; `None` when it is not tokenized (e.g. `(sliced string)`).
    token_text: Option<&'a str>,
    offset: u32,
    len: u32,
}

/// A set of characters, ASCII ones in a bit set.
#[derive(Default)]
struct CharSet {
    ascii: u128,
    other: HashSet<char>,
}

impl CharSet {
    fn extend(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_ascii() {
                self.ascii |= 1u128 << (c as u32);
            } else {
                self.other.insert(c);
            }
        }
    }

    fn union(mut self, other: Self) -> Self {
        self.ascii |= other.ascii;
        self.other.extend(other.other);
        self
    }

    fn into_set(self) -> HashSet<char> {
        let ascii = (0..128u8)
            .filter(|&c| self.ascii & (1 << c) != 0)
            .map(char::from);
        let mut set = self.other;
        set.extend(ascii);
        set
    }
}

/// Nodes per parallel task when walking concatenated strings.
const NODES_PER_TASK: usize = 1 << 16;

impl<'a> Segmentation<'a> {
    fn new(parsed: &'a Parsed, policy: &[Policy], named: &[bool]) -> Self {
        let meta = &parsed.meta;
        let cols = &parsed.cols;
        let strings: &'a StringTable = &parsed.strings;
        let (cons, string) = (meta.nt.cons_string, meta.nt.string);
        let mut cuts: HashMap<&'a str, BTreeSet<u32>> = HashMap::new();
        if cons == NO_TYPE {
            return Self {
                cuts,
                forbidden: HashSet::new(),
            };
        }
        let kinds = cols.edge_kinds.view();
        let internal_name = |e: usize| -> &'a str {
            if kinds.ty(e) == meta.et.internal && named[kinds.ty(e) as usize] {
                strings.get(kinds.name(e))
            } else {
                ""
            }
        };
        let columns = ConsColumns {
            node_type: &cols.node_type,
            node_name: &cols.node_name,
            first_edge: &cols.first_edge,
            edge_kinds: cols.edge_kinds.view(),
            edge_to: &cols.edge_to,
            strings,
            cons,
            internal: meta.et.internal,
        };
        // Counted names (as DevTools' "Duplicated strings" counts them: string and
        // concatenated-string nodes with a size, flat cons strings excepted).
        let counted_cons = |n: usize| {
            if cols.node_type[n] != cons || cols.node_self_size.get(n) == 0 {
                return false;
            }
            let edges = cols.first_edge[n] as usize..cols.first_edge[n + 1] as usize;
            let flat = edges.clone().any(|e| {
                matches!(internal_name(e), "first" | "second")
                    && cols.node_type[cols.edge_to[e] as usize] != cons
                    && strings
                        .get(cols.node_name[cols.edge_to[e] as usize])
                        .is_empty()
            });
            !flat
        };
        // Most names of concatenated strings are unique and constrain nothing, so a first
        // walk (in parallel) only hashes each name, and collects the characters of fixed
        // parts; only names whose hash occurs twice are built and grouped below.
        let hasher = foldhash::quality::RandomState::default();
        let node_count = cols.node_type.len();
        let (hashed, fixed) = (0..node_count.div_ceil(NODES_PER_TASK))
            .into_par_iter()
            .map(|task| {
                let mut hashed: Vec<(u64, u32)> = Vec::new();
                let mut fixed = CharSet::default();
                let mut name = String::new();
                let nodes = task * NODES_PER_TASK..((task + 1) * NODES_PER_TASK).min(node_count);
                for n in nodes.filter(|&n| counted_cons(n)) {
                    name.clear();
                    cons_string_parts(&columns, n as u32, |node, text| {
                        if policy[node] != Policy::Token {
                            fixed.extend(text);
                        }
                        name.push_str(text);
                    });
                    hashed.push((hasher.hash_one(name.as_str()), n as u32));
                }
                (hashed, fixed)
            })
            .reduce(
                || (Vec::new(), CharSet::default()),
                |(mut a, fa), (b, fb)| {
                    a.extend(b);
                    (a, fa.union(fb))
                },
            );
        let forbidden = fixed.into_set();
        if hashed.is_empty() {
            return Self { cuts, forbidden };
        }
        let mut sorted: Vec<u64> = hashed.iter().map(|&(h, _)| h).collect();
        sorted.par_sort_unstable();
        // Flat strings whose text may equal a concatenated string's name (same hash), each
        // entry once, in node order.
        let mut seen = vec![false; strings.len()];
        let mut flat: Vec<u32> = Vec::new();
        for n in 0..node_count {
            if cols.node_type[n] != string
                || cols.node_self_size.get(n) == 0
                || policy[n] != Policy::Token
            {
                continue;
            }
            let s = cols.node_name[n];
            if !std::mem::replace(&mut seen[s as usize], true) {
                flat.push(s);
            }
        }
        drop(seen);
        let flat: Vec<(u32, u64)> = flat
            .into_par_iter()
            .filter_map(|s| {
                let h = hasher.hash_one(strings.get(s));
                sorted.binary_search(&h).is_ok().then_some((s, h))
            })
            .collect();
        // Hashes of names that occur at least twice (or collide).
        let mut candidates: HashSet<u64> = sorted
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        candidates.extend(flat.iter().map(|&(_, h)| h));
        drop(sorted);
        // Groups of equal names that contain a concatenation: name -> the parts of each
        // member.
        let mut groups: HashMap<String, Vec<Vec<Part<'a>>>> = HashMap::new();
        for &(h, n) in &hashed {
            if !candidates.contains(&h) {
                continue;
            }
            let mut parts = Vec::new();
            let mut name = String::new();
            let mut name_len = 0u32;
            cons_string_parts(&columns, n, |node, text| {
                let len = utf16_len(text) as u32;
                if len > 0 {
                    parts.push(Part {
                        token_text: (policy[node] == Policy::Token).then_some(text),
                        offset: name_len,
                        len,
                    });
                }
                name.push_str(text);
                name_len += len;
            });
            groups.entry(name).or_default().push(parts);
        }
        // Flat strings whose text equals a concatenated string's name join its group.
        for &(s, _) in &flat {
            let text = strings.get(s);
            if let Some(members) = groups.get_mut(text) {
                members.push(vec![Part {
                    token_text: Some(text),
                    offset: 0,
                    len: utf16_len(text) as u32,
                }]);
            }
        }
        // Cuts of each group: every part boundary of every member, then the fixpoint with the
        // cuts of the parts' texts (a text cut in one place is cut everywhere it occurs).
        let mut groups: Vec<(BTreeSet<u32>, Vec<Vec<Part<'a>>>)> = groups
            .into_values()
            // A name that occurs once constrains nothing.
            .filter(|members| members.len() > 1)
            .map(|members| {
                let mut set = BTreeSet::new();
                for parts in &members {
                    for p in parts.iter().skip(1) {
                        set.insert(p.offset);
                    }
                }
                (set, members)
            })
            .collect();
        // Hand-made cycles aside, this ends after a few rounds: cuts only grow.
        let mut changed = true;
        let mut rounds = 0;
        while changed && rounds < 1000 {
            changed = false;
            rounds += 1;
            for (group_cuts, members) in &mut groups {
                for parts in members.iter() {
                    for p in parts {
                        let Some(text) = p.token_text else { continue };
                        let text_cuts = cuts.entry(text).or_default();
                        for &c in group_cuts.range(p.offset + 1..p.offset + p.len) {
                            changed |= text_cuts.insert(c - p.offset);
                        }
                        for &c in text_cuts.iter() {
                            changed |= group_cuts.insert(p.offset + c);
                        }
                    }
                }
            }
        }
        Self { cuts, forbidden }
    }
}

/// Token texts, each distinct one stored once in one buffer.
struct Tokens {
    /// Per input entry: its token's index in `ends`, or `u32::MAX` (none).
    of_entry: Vec<u32>,
    /// All tokens back to back (UTF-8).
    text: Vec<u8>,
    /// End offset of each token in `text`.
    ends: Vec<usize>,
}

impl Tokens {
    /// The token of input entry `s` (empty when it has none).
    fn get(&self, s: u32) -> &[u8] {
        match self.of_entry.get(s as usize) {
            Some(&t) if t != u32::MAX => {
                let t = t as usize;
                let start = if t == 0 { 0 } else { self.ends[t - 1] };
                &self.text[start..self.ends[t]]
            }
            _ => b"",
        }
    }
}

/// Allocates tokens: per UTF-16 length, codes in order of first use. The first
/// 26·36^(k−1) codes of length k are ASCII (`A`–`Z` then `a`–`z`, `0`–`9`); later ones start
/// with a CJK ideograph and continue with any continuation character, so the two ranges
/// never meet.
struct Alphabet<'a> {
    ascii_start: Vec<char>,
    ascii_rest: Vec<char>,
    wide_start: Vec<char>,
    wide_rest: Vec<char>,
    /// Text -> its token's index in `ends`.
    texts: HashMap<&'a str, u32>,
    /// Atom text -> its token's bytes in `text`.
    atoms: HashMap<&'a str, (usize, usize)>,
    /// Next code per length.
    next: HashMap<u32, u64>,
    /// The tokens of `texts`, back to back.
    text: Vec<u8>,
    ends: Vec<usize>,
    /// Number of distinct texts given a token.
    text_count: usize,
}

impl<'a> Alphabet<'a> {
    fn new(forbidden: &HashSet<char>) -> Self {
        let allowed = |c: &char| !forbidden.contains(c);
        let ascii_rest: Vec<char> = ('a'..='z').chain('0'..='9').filter(allowed).collect();
        Self {
            ascii_start: ('A'..='Z').filter(allowed).collect(),
            wide_start: ('\u{4E00}'..='\u{9FFF}').filter(allowed).collect(),
            wide_rest: ascii_rest
                .iter()
                .copied()
                .chain(('\u{AC00}'..='\u{D7A3}').filter(allowed))
                .collect(),
            ascii_rest,
            texts: HashMap::new(),
            atoms: HashMap::new(),
            next: HashMap::new(),
            text: Vec::new(),
            ends: Vec::new(),
            text_count: 0,
        }
    }

    /// The tokens of `texts` when no text is cut: what [`Alphabet::token`] gives each in
    /// turn, without its maps. Equal texts are found by sorting hashes (in parallel), so the
    /// only sequential work is giving each new text the next code of its length.
    fn whole_tokens(&mut self, texts: &[&'a str]) -> Result<Vec<u32>> {
        let hasher = foldhash::quality::RandomState::default();
        let hashes: Vec<u64> = texts.par_iter().map(|t| hasher.hash_one(t)).collect();
        let mut by_hash: Vec<u32> = (0..texts.len() as u32).collect();
        by_hash.par_sort_unstable_by_key(|&i| (hashes[i as usize], i));
        // The first occurrence of each text (runs of equal hashes are in text order).
        let mut first: Vec<u32> = (0..texts.len() as u32).collect();
        for run in by_hash.chunk_by(|&a, &b| hashes[a as usize] == hashes[b as usize]) {
            for (k, &i) in run.iter().enumerate().skip(1) {
                let earlier = run[..k]
                    .iter()
                    .find(|&&j| first[j as usize] == j && texts[j as usize] == texts[i as usize]);
                if let Some(&j) = earlier {
                    first[i as usize] = j;
                }
            }
        }
        let mut ids: Vec<u32> = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let f = first[i] as usize;
            let id = if f == i {
                self.new_atom(text)?;
                self.end_token()
            } else {
                ids[f]
            };
            ids.push(id);
        }
        Ok(ids)
    }

    /// Ends the current token (a new text's): its index.
    fn end_token(&mut self) -> u32 {
        let t = self.ends.len() as u32;
        self.ends.push(self.text.len());
        self.text_count += 1;
        t
    }

    /// The token of `text`, cut at `cuts` (UTF-16 offsets), as an index for
    /// [`Alphabet::into_tokens`]; equal texts get the same index.
    fn token(&mut self, text: &'a str, cuts: Option<&BTreeSet<u32>>) -> Result<u32> {
        if let Some(&t) = self.texts.get(text) {
            return Ok(t);
        }
        match cuts.filter(|c| !c.is_empty()) {
            None => self.atom(text)?,
            Some(cuts) => {
                let mut cuts = cuts.iter().copied().peekable();
                let (mut start, mut at) = (0usize, 0u32);
                for (i, c) in text.char_indices() {
                    if cuts.peek() == Some(&at) {
                        cuts.next();
                        self.atom(&text[start..i])?;
                        start = i;
                    }
                    at += c.len_utf16() as u32;
                }
                self.atom(&text[start..])?;
            }
        }
        let t = self.end_token();
        self.texts.insert(text, t);
        Ok(t)
    }

    /// Appends the token of `atom` to the current token.
    fn atom(&mut self, atom: &'a str) -> Result<()> {
        if atom.is_empty() {
            return Ok(());
        }
        if let Some(&(start, end)) = self.atoms.get(atom) {
            self.text.extend_from_within(start..end);
            return Ok(());
        }
        let start = self.text.len();
        self.new_atom(atom)?;
        self.atoms.insert(atom, (start, self.text.len()));
        Ok(())
    }

    /// Appends the next code of `atom`'s length to the current token.
    fn new_atom(&mut self, atom: &str) -> Result<()> {
        if atom.is_empty() {
            return Ok(());
        }
        let len = utf16_len(atom) as u32;
        let next = self.next.entry(len).or_insert(0);
        let code = *next;
        *next += 1;
        encode(
            code,
            len as usize,
            &self.ascii_start,
            &self.ascii_rest,
            &mut self.text,
        )
        .or_else(|code| {
            encode(
                code,
                len as usize,
                &self.wide_start,
                &self.wide_rest,
                &mut self.text,
            )
        })
        .map_err(|_| {
            Error::new(ErrorKind::Graph(format!(
                "too many distinct strings of length {len} to give each its own token"
            )))
        })
    }

    /// The tokens, with `of_entry` (per input entry, an index [`Alphabet::token`] returned).
    fn into_tokens(self, of_entry: Vec<u32>) -> Tokens {
        Tokens {
            of_entry,
            text: self.text,
            ends: self.ends,
        }
    }
}

/// Appends code `code` of length `len` over `start` (first character) and `rest` (the others)
/// to `out` as UTF-8, or, when there are fewer codes than that, returns `code` minus their
/// number.
fn encode(
    code: u64,
    len: usize,
    start: &[char],
    rest: &[char],
    out: &mut Vec<u8>,
) -> std::result::Result<(), u64> {
    let capacity = (1..len).try_fold(start.len() as u64, |c, _| c.checked_mul(rest.len() as u64));
    match capacity {
        Some(capacity) if code >= capacity => return Err(code - capacity),
        _ => {}
    }
    // The last characters are the digits of `code` in base `rest.len()`; the ones before
    // them (all of a long token but its end) are `rest[0]`.
    let mut low: Vec<char> = Vec::new();
    let mut rem = code;
    while low.len() + 1 < len && rem > 0 {
        low.push(rest[(rem % rest.len() as u64) as usize]);
        rem /= rest.len() as u64;
    }
    push_char(out, start[rem as usize]);
    let zeros = len - 1 - low.len();
    match rest.first() {
        Some(&zero) if zero.is_ascii() => out.resize(out.len() + zeros, zero as u8),
        Some(&zero) => (0..zeros).for_each(|_| push_char(out, zero)),
        None => {}
    }
    for &c in low.iter().rev() {
        push_char(out, c);
    }
    Ok(())
}

fn push_char(out: &mut Vec<u8>, c: char) {
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

impl Scanner<'_, Input<'_>> {
    /// Skips `n` bytes (copied by other means): a plain file seeks past them.
    fn skip(&mut self, n: u64) -> Result<()> {
        let Ok(by) = i64::try_from(n) else {
            return Err(self.truncated());
        };
        let Input::File(file) = &mut self.reader else {
            return self.skip_read(n);
        };
        file.seek_relative(by).map_err(read_err)?;
        self.offset += n;
        self.since_update += n;
        Ok(())
    }
}

/// A byte scanner over the (decompressed) input, for the copying pass.
struct Scanner<'p, R> {
    reader: R,
    offset: u64,
    progress: &'p Progress,
    /// Bytes consumed since the last progress update.
    since_update: u64,
}

impl<'p, R: BufRead> Scanner<'p, R> {
    fn new(reader: R, progress: &'p Progress) -> Self {
        Self {
            reader,
            offset: 0,
            progress,
            since_update: 0,
        }
    }

    /// The current buffer (empty at end of input).
    fn buf(&mut self) -> Result<&[u8]> {
        if self.since_update > 1 << 22 {
            self.since_update = 0;
            if self.progress.is_cancelled() {
                return Err(ErrorKind::Cancelled.into());
            }
            let (read, total) = self.progress.bytes();
            if total > 0 {
                self.progress.set_fraction(read as f64 / total as f64);
            }
        }
        while let Err(e) = self.reader.fill_buf() {
            if e.kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        self.reader.fill_buf().map_err(read_err)
    }

    fn consume(&mut self, n: usize) {
        self.reader.consume(n);
        self.offset += n as u64;
        self.since_update += n as u64;
    }

    fn truncated(&self) -> Error {
        ErrorKind::Truncated {
            context: "in the second pass (did the file change?)".into(),
            offset: self.offset,
        }
        .into()
    }

    fn unexpected(&self, what: &str) -> Error {
        ErrorKind::Json {
            offset: self.offset,
            message: format!("{what} in the second pass (did the file change?)"),
        }
        .into()
    }

    /// Skips `n` bytes (copied by other means), reading them.
    fn skip_read(&mut self, mut n: u64) -> Result<()> {
        while n > 0 {
            let available = self.buf()?.len();
            if available == 0 {
                return Err(self.truncated());
            }
            let k = (available as u64).min(n) as usize;
            self.consume(k);
            n -= k as u64;
        }
        Ok(())
    }

    /// Next byte, consumed.
    fn byte(&mut self) -> Result<u8> {
        let Some(&b) = self.buf()?.first() else {
            return Err(self.truncated());
        };
        self.consume(1);
        Ok(b)
    }

    /// Copies whitespace; returns the next non-whitespace byte (consumed, not copied).
    fn ws(&mut self, out: &mut impl Write) -> Result<u8> {
        loop {
            let b = self.byte()?;
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                out.write_all(&[b]).map_err(write_err)?;
            } else {
                return Ok(b);
            }
        }
    }

    /// After an opening `"`: the raw bytes of the string up to (without) the closing quote.
    fn raw_string(&mut self, into: &mut Vec<u8>) -> Result<()> {
        loop {
            let buf = self.buf()?;
            if buf.is_empty() {
                return Err(self.truncated());
            }
            match memchr::memchr2(b'"', b'\\', buf) {
                Some(i) => {
                    let quote = buf[i] == b'"';
                    into.extend_from_slice(&buf[..i]);
                    self.consume(i + 1);
                    if quote {
                        return Ok(());
                    }
                    into.push(b'\\');
                    let escaped = self.byte()?;
                    into.push(escaped);
                }
                None => {
                    let n = buf.len();
                    into.extend_from_slice(buf);
                    self.consume(n);
                }
            }
        }
    }

    /// Copies one JSON value whose first byte `first` was already consumed.
    fn copy_value(&mut self, first: u8, out: &mut impl Write) -> Result<()> {
        out.write_all(&[first]).map_err(write_err)?;
        let mut depth: u32 = match first {
            b'{' | b'[' => 1,
            b'"' => {
                let mut raw = Vec::new();
                self.raw_string(&mut raw)?;
                out.write_all(&raw).map_err(write_err)?;
                out.write_all(b"\"").map_err(write_err)?;
                return Ok(());
            }
            _ => 0,
        };
        if depth == 0 {
            // A number or literal: copy up to the next delimiter.
            loop {
                let buf = self.buf()?;
                if buf.is_empty() {
                    return Ok(());
                }
                let end = buf
                    .iter()
                    .position(|&b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'));
                let n = end.unwrap_or(buf.len());
                out.write_all(&buf[..n]).map_err(write_err)?;
                self.consume(n);
                if end.is_some() {
                    return Ok(());
                }
            }
        }
        if first == b'[' {
            return self.copy_array_rest(out);
        }
        let mut in_string = false;
        let mut escaped = false;
        while depth > 0 {
            let buf = self.buf()?;
            if buf.is_empty() {
                return Err(self.truncated());
            }
            let mut i = 0;
            while i < buf.len() && depth > 0 {
                let b = buf[i];
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' => depth -= 1,
                        _ => {}
                    }
                }
                i += 1;
            }
            out.write_all(&buf[..i]).map_err(write_err)?;
            self.consume(i);
        }
        Ok(())
    }

    /// Copies the rest of an array (its `[` consumed and copied) up to its matching `]`.
    /// Only brackets and strings matter here (braces nest properly inside), so the number
    /// arrays that make up most of a file are copied at `memchr` speed.
    fn copy_array_rest(&mut self, out: &mut impl Write) -> Result<()> {
        let mut depth = 1u32;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let buf = self.buf()?;
            if buf.is_empty() {
                return Err(self.truncated());
            }
            let mut i = 0;
            while i < buf.len() && depth > 0 {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                        Some(k) => {
                            i += k + 1;
                            if buf[i - 1] == b'"' {
                                in_string = false;
                            } else {
                                escaped = true;
                            }
                        }
                        None => i = buf.len(),
                    }
                } else {
                    match memchr::memchr3(b'"', b'[', b']', &buf[i..]) {
                        Some(k) => {
                            i += k + 1;
                            match buf[i - 1] {
                                b'"' => in_string = true,
                                b'[' => depth += 1,
                                _ => depth -= 1,
                            }
                        }
                        None => i = buf.len(),
                    }
                }
            }
            out.write_all(&buf[..i]).map_err(write_err)?;
            self.consume(i);
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Copies the `nodes` array (its `[` consumed), writing new values for the `name`
    /// field of the nodes in `renames`. Values are counted by their commas (`memchr`), so
    /// only the values that change are looked at.
    fn rewrite_nodes(
        &mut self,
        out: &mut impl Write,
        field_count: usize,
        name_offset: usize,
        renames: &[(u32, u32)],
    ) -> Result<()> {
        out.write_all(b"[").map_err(write_err)?;
        let field_count = field_count as u64;
        let target_of = |r: Option<&(u32, u32)>| {
            r.map_or(u64::MAX, |r| {
                u64::from(r.0) * field_count + name_offset as u64
            })
        };
        let mut renames = renames.iter();
        let mut rename = renames.next();
        let mut target = target_of(rename);
        // Index of the value after the last comma seen.
        let mut value: u64 = 0;
        // Dropping the digits of a replaced value.
        let mut dropping = false;
        loop {
            let buf = self.buf()?;
            if buf.is_empty() {
                return Err(self.truncated());
            }
            let end = memchr::memchr(b']', buf);
            let region = &buf[..end.unwrap_or(buf.len())];
            let (mut i, mut copy_from) = (0, 0);
            while i < region.len() {
                if dropping {
                    while i < region.len() && region[i].is_ascii_digit() {
                        i += 1;
                    }
                    copy_from = i;
                    if i < region.len() {
                        dropping = false;
                    }
                    continue;
                }
                if value == target {
                    // Leading whitespace is copied, then the new number replaces the digits.
                    while i < region.len() && !region[i].is_ascii_digit() {
                        i += 1;
                    }
                    if i == region.len() {
                        break;
                    }
                    out.write_all(&region[copy_from..i]).map_err(write_err)?;
                    if let Some(&(_, new)) = rename {
                        write!(out, "{new}").map_err(write_err)?;
                    }
                    copy_from = i;
                    dropping = true;
                    rename = renames.next();
                    target = target_of(rename);
                    continue;
                }
                match after_nth_comma(&region[i..], target - value) {
                    Ok(k) => {
                        i += k;
                        value = target;
                    }
                    Err(commas) => {
                        value += commas;
                        i = region.len();
                    }
                }
            }
            let closed = end.is_some();
            let n = region.len() + usize::from(closed);
            out.write_all(&buf[copy_from..n]).map_err(write_err)?;
            self.consume(n);
            if closed {
                break;
            }
        }
        if rename.is_some() {
            return Err(self.unexpected("fewer nodes than in the first pass"));
        }
        Ok(())
    }
}

/// The index after the `need`-th comma of `bytes` (`need` ≥ 1), or the number of commas in
/// `bytes` when there are fewer. Blocks short of the target are only counted, which is
/// faster than finding each comma.
fn after_nth_comma(bytes: &[u8], need: u64) -> std::result::Result<usize, u64> {
    const BLOCK: usize = 1 << 12;
    let mut seen = 0u64;
    let mut at = 0;
    while bytes.len() - at > BLOCK {
        let commas = memchr::memchr_iter(b',', &bytes[at..at + BLOCK]).count() as u64;
        if seen + commas >= need {
            break;
        }
        seen += commas;
        at += BLOCK;
    }
    for k in memchr::memchr_iter(b',', &bytes[at..]) {
        seen += 1;
        if seen == need {
            return Ok(at + k + 1);
        }
    }
    Err(seen)
}

/// Writes `text` (UTF-8) as a JSON string.
fn write_json_string(out: &mut impl Write, bytes: &[u8]) -> Result<()> {
    out.write_all(b"\"").map_err(write_err)?;
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            _ if b < 0x20 => None,
            _ => continue,
        };
        out.write_all(&bytes[from..i]).map_err(write_err)?;
        match escape {
            Some(e) => out.write_all(e).map_err(write_err)?,
            None => write!(out, "\\u{:04x}", b).map_err(write_err)?,
        }
        from = i + 1;
    }
    out.write_all(&bytes[from..]).map_err(write_err)?;
    out.write_all(b"\"").map_err(write_err)
}

/// The second pass: copies the document, rewriting `nodes` names and `strings`.
fn rewrite(
    input: &mut Scanner<'_, Input>,
    out: &mut impl Output,
    parsed: &Parsed,
    renames: &[(u32, u32)],
    plan: &mut LatePlan<'_>,
    mut verbatim: Option<&mut Verbatim<'_>>,
) -> Result<()> {
    let first = input.ws(out)?;
    if first != b'{' {
        return Err(input.unexpected("no '{' at the start"));
    }
    out.write_all(b"{").map_err(write_err)?;
    let mut key = Vec::new();
    loop {
        let b = input.ws(out)?;
        match b {
            b'}' => {
                out.write_all(b"}").map_err(write_err)?;
                break;
            }
            b',' => {
                out.write_all(b",").map_err(write_err)?;
                continue;
            }
            b'"' => {}
            _ => return Err(input.unexpected("a key was expected")),
        }
        key.clear();
        input.raw_string(&mut key)?;
        out.write_all(b"\"").map_err(write_err)?;
        out.write_all(&key).map_err(write_err)?;
        out.write_all(b"\"").map_err(write_err)?;
        if input.ws(out)? != b':' {
            return Err(input.unexpected("':' was expected"));
        }
        out.write_all(b":").map_err(write_err)?;
        if let Some(verbatim) = verbatim.as_deref_mut()
            && let Some(len) = verbatim.copy(input.offset, &key, out)?
        {
            input.skip(len)?;
            continue;
        }
        let first = input.ws(out)?;
        match (key.as_slice(), first) {
            (b"nodes", b'[') => input.rewrite_nodes(
                out,
                parsed.meta.node_field_count,
                parsed.meta.node_name_offset,
                renames,
            )?,
            (b"strings", b'[') => rewrite_strings(input, out, parsed, plan)?,
            _ => input.copy_value(first, out)?,
        }
    }
    // Trailing whitespace is copied; nothing else may follow.
    loop {
        let buf = input.buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        out.write_all(buf).map_err(write_err)?;
        input.consume(n);
    }
    // The plan's errors count even when there was no `strings` array to write.
    plan.get().map(|_| ())
}

/// Rewrites the `strings` array (its `[` consumed) entry by entry, then appends.
fn rewrite_strings<R: BufRead>(
    input: &mut Scanner<'_, R>,
    out: &mut impl Write,
    parsed: &Parsed,
    plan: &mut LatePlan<'_>,
) -> Result<()> {
    let plan = plan.get()?;
    out.write_all(b"[").map_err(write_err)?;
    let mut raw = Vec::new();
    let mut index = 0usize;
    let write_token = |out: &mut _, s: u32| write_json_string(out, plan.tokens.get(s));
    loop {
        let mut b = input.byte()?;
        while matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            b = input.byte()?;
        }
        match b {
            b']' => break,
            b',' => continue,
            b'"' => {}
            _ => return Err(input.unexpected("a string was expected in \"strings\"")),
        }
        raw.clear();
        input.raw_string(&mut raw)?;
        if index > 0 {
            out.write_all(b",\n").map_err(write_err)?;
        }
        match plan.entries.get(index) {
            Some(EntryOut::Same) => {
                out.write_all(b"\"").map_err(write_err)?;
                out.write_all(&raw).map_err(write_err)?;
                out.write_all(b"\"").map_err(write_err)?;
            }
            Some(EntryOut::Token) => write_token(out, index as u32)?,
            Some(EntryOut::Empty) => out.write_all(b"\"\"").map_err(write_err)?,
            Some(EntryOut::Renamed) => {
                let text = plan.renamed.get(&(index as u32)).map_or("", String::as_str);
                write_json_string(out, text.as_bytes())?;
            }
            None => return Err(input.unexpected("more strings than in the first pass")),
        }
        index += 1;
    }
    if index != parsed.strings.len() {
        return Err(input.unexpected("fewer strings than in the first pass"));
    }
    for (k, s) in plan.appended.iter().enumerate() {
        if index + k > 0 {
            out.write_all(b",\n").map_err(write_err)?;
        }
        match s {
            Some(s) => write_token(out, *s)?,
            None => out.write_all(b"\"\"").map_err(write_err)?,
        }
    }
    out.write_all(b"]").map_err(write_err)
}

/// String indexes used by `trace_function_infos` (function and script names), read in an
/// extra pass; only snapshots with allocation tracking have any.
fn trace_function_names(path: &Path, progress: &Progress) -> Result<Vec<u32>> {
    let (reader, _, _) = super::open_reader(path, progress)?;
    let mut input = Scanner::new(BufReader::with_capacity(1 << 20, reader), progress);
    let mut sink = io::sink();
    if input.ws(&mut sink)? != b'{' {
        return Err(input.unexpected("no '{' at the start"));
    }
    let mut fields: Vec<String> = [
        "function_id",
        "name",
        "script_name",
        "script_id",
        "line",
        "column",
    ]
    .map(String::from)
    .to_vec();
    let mut key = Vec::new();
    let mut names = Vec::new();
    loop {
        match input.ws(&mut sink)? {
            b'}' => break,
            b',' => continue,
            b'"' => {}
            _ => return Err(input.unexpected("a key was expected")),
        }
        key.clear();
        input.raw_string(&mut key)?;
        if input.ws(&mut sink)? != b':' {
            return Err(input.unexpected("':' was expected"));
        }
        let first = input.ws(&mut sink)?;
        let mut value = Vec::new();
        if matches!(key.as_slice(), b"snapshot" | b"trace_function_infos") {
            input.copy_value(first, &mut value)?;
        } else {
            input.copy_value(first, &mut sink)?;
        }
        match key.as_slice() {
            b"snapshot" => {
                // Only the field list: the rest of the header is skipped without recursion
                // (a `serde_json::Value` stops at 128 levels, which the loader accepts in
                // fields it does not read).
                #[derive(serde::Deserialize)]
                struct Header {
                    #[serde(default)]
                    meta: HeaderMeta,
                }
                #[derive(Default, serde::Deserialize)]
                struct HeaderMeta {
                    #[serde(default)]
                    trace_function_info_fields: Option<Vec<String>>,
                }
                let header: Header = serde_json::from_slice(&value)
                    .map_err(|e| input.unexpected(&format!("bad header ({e})")))?;
                if let Some(f) = header.meta.trace_function_info_fields {
                    fields = f;
                }
            }
            b"trace_function_infos" => {
                let values: Vec<u64> = serde_json::from_slice(&value)
                    .map_err(|e| input.unexpected(&format!("bad trace_function_infos ({e})")))?;
                let width = fields.len().max(1);
                for (i, v) in values.iter().enumerate() {
                    if matches!(
                        fields.get(i % width).map(String::as_str),
                        Some("name" | "script_name")
                    ) {
                        names.push(u32::try_from(*v).unwrap_or(u32::MAX));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token of `text` as a string.
    fn token_of<'a>(
        alphabet: &mut Alphabet<'a>,
        text: &'a str,
        cuts: Option<&BTreeSet<u32>>,
    ) -> Result<String> {
        let t = alphabet.token(text, cuts)? as usize;
        let start = if t == 0 { 0 } else { alphabet.ends[t - 1] };
        let bytes = alphabet.text[start..alphabet.ends[t]].to_vec();
        Ok(String::from_utf8(bytes).expect("tokens are UTF-8"))
    }

    #[test]
    fn codes_are_distinct_and_keep_the_length() {
        let mut alphabet = Alphabet::new(&HashSet::new());
        let texts: Vec<String> = (0..30_000)
            .map(|i| format!("{:x}", i % 5000 + 16))
            .collect();
        let mut by_token: HashMap<String, &str> = HashMap::new();
        for text in &texts {
            let token = token_of(&mut alphabet, text, None).expect("token");
            assert_eq!(utf16_len(&token), utf16_len(text), "{text:?} -> {token:?}");
            // Equal texts, equal tokens; different texts, different tokens.
            assert_eq!(*by_token.entry(token).or_insert(text), text.as_str());
        }
        // One-character texts: 26 ASCII codes, then CJK ideographs.
        let ones: Vec<String> = (0..100)
            .map(|i| char::from_u32(0x100 + i).expect("char").to_string())
            .collect();
        let tokens: Vec<String> = ones
            .iter()
            .map(|t| token_of(&mut alphabet, t, None).expect("token"))
            .collect();
        assert_eq!(tokens[0], "A");
        assert_eq!(tokens[25], "Z");
        assert_eq!(tokens[26], "\u{4E00}");
        assert_eq!(tokens.iter().collect::<HashSet<_>>().len(), 100);
        assert_eq!(token_of(&mut alphabet, "", None).expect("token"), "");
        // Astral characters count two UTF-16 units.
        assert_eq!(
            utf16_len(&token_of(&mut alphabet, "😀", None).expect("token")),
            2
        );
    }

    #[test]
    fn cuts_compose_tokens_and_forbidden_characters_are_avoided() {
        let forbidden: HashSet<char> = "(sliced string)ABC".chars().collect();
        let mut alphabet = Alphabet::new(&forbidden);
        let ab = token_of(&mut alphabet, "ab", None).expect("token");
        let c = token_of(&mut alphabet, "c", None).expect("token");
        let cuts: BTreeSet<u32> = [2].into();
        let abc = token_of(&mut alphabet, "abc", Some(&cuts)).expect("token");
        assert_eq!(abc, format!("{ab}{c}"));
        assert!(!abc.chars().any(|ch| forbidden.contains(&ch)), "{abc:?}");
        assert!(abc.starts_with('D'), "{abc:?}");
    }

    #[test]
    fn wide_codes_never_meet_ascii_codes() {
        let start: Vec<char> = ('A'..='B').collect();
        let rest: Vec<char> = ('a'..='b').collect();
        // 2 * 2 = 4 ASCII codes of length 2; the fifth is the first of the next range.
        let codes: Vec<_> = (0..5)
            .map(|c| {
                let mut out = Vec::new();
                encode(c, 2, &start, &rest, &mut out)
                    .map(|()| String::from_utf8(out).expect("UTF-8"))
            })
            .collect();
        assert_eq!(codes[0], Ok("Aa".to_owned()));
        assert_eq!(codes[3], Ok("Bb".to_owned()));
        assert_eq!(codes[4], Err(0));
    }
}
