//! Errors of the snapshot core.
//!
//! Every failure to load a file is an [`Error`]: the path of the file (when there is one) and
//! an [`ErrorKind`] saying what is wrong, with a byte offset for syntax problems. The message
//! names the problem first and the file last, e.g.
//! `unexpected end of input inside the "edges" array (at byte 1048576) in /tmp/a.heapsnapshot`.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong while loading or analyzing a snapshot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The file looks gzip-compressed but does not decompress.
    #[error("the gzip stream is corrupt: {0}")]
    Gzip(String),
    /// An output file could not be written.
    #[error("cannot write the file: {0}")]
    Write(std::io::Error),
    /// The file has no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The input ends before the snapshot is complete.
    #[error("unexpected end of input {context} (at byte {offset}); the file is truncated")]
    Truncated {
        /// Where in the document the input ended, e.g. `inside the "nodes" array`.
        context: String,
        /// Byte offset (in the decompressed stream) where input ended.
        offset: u64,
    },
    /// The bytes are not valid JSON.
    #[error("invalid JSON at byte {offset}: {message}")]
    Json {
        /// Byte offset (in the decompressed stream) of the offending byte.
        offset: u64,
        /// What was expected or found.
        message: String,
    },
    /// Valid JSON, but not a V8 heap snapshot (e.g. no `snapshot` header or no `nodes`).
    #[error("not a V8 heap snapshot: {0}")]
    NotASnapshot(String),
    /// The `snapshot.meta` header is missing fields or disagrees with the arrays.
    #[error("inconsistent snapshot metadata: {0}")]
    Meta(String),
    /// The node/edge arrays refer to things that do not exist (bad node or string index).
    #[error("inconsistent heap graph: {0}")]
    Graph(String),
    /// The allocation traces (`trace_function_infos`, `trace_tree`, the nodes'
    /// `trace_node_id`) are malformed or refer to things that do not exist.
    #[error("invalid allocation trace data: {0}")]
    Trace(String),
    /// A sampling heap profile (`.heapprofile`) that is not one: bad JSON or a wrong shape.
    #[error("not a sampling heap profile ({0})")]
    NotAProfile(String),
    /// The snapshot needs more memory than the machine has available (estimated from the
    /// header's node and edge counts before anything is allocated; see
    /// [`crate::snapshot::estimate_load_bytes`]).
    #[error(
        "too big for the memory available: needs about {} to open ({} nodes, {} edges) but only {} is available; close other programs or use a machine with more memory (--ignore-memory-check or HEAPSIGHT_IGNORE_MEMORY_CHECK=1 tries anyway)",
        super::memory::gib(*.needed_bytes),
        super::memory::short_count(*.node_count),
        super::memory::short_count(*.edge_count),
        super::memory::gib(*.available_bytes)
    )]
    TooBig {
        /// Estimated peak memory of the load, in bytes.
        needed_bytes: u64,
        /// Memory available to the process, in bytes.
        available_bytes: u64,
        /// The header's `node_count`.
        node_count: u64,
        /// The header's `edge_count`.
        edge_count: u64,
    },
    /// The load was cancelled through [`crate::snapshot::Progress::cancel`].
    #[error("loading was cancelled")]
    Cancelled,
}

/// A failure to load a heap snapshot: what went wrong and in which file.
#[derive(Debug)]
pub struct Error {
    path: Option<PathBuf>,
    kind: ErrorKind,
}

impl Error {
    /// An error without a file name (e.g. when parsing from memory).
    pub fn new(kind: ErrorKind) -> Self {
        Self { path: None, kind }
    }

    /// Attaches the file the error is about (keeps an already attached one).
    #[must_use]
    pub fn with_path(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file the error is about, if known.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True if the load was cancelled by the user rather than failing.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, ErrorKind::Cancelled)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{} in {}", self.kind, path.display()),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(err) | ErrorKind::Write(err) => Some(err),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

/// Result type of the snapshot core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for an [`ErrorKind::Graph`] error.
pub(crate) fn graph_err(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Graph(message.into()))
}

/// Shorthand for an [`ErrorKind::Meta`] error.
pub(crate) fn meta_err(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Meta(message.into()))
}
