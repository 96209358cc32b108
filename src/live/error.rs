//! The errors of live capture: each says what went wrong in words a user can act on.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Result of the live-capture functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why attaching to, or capturing from, a running process failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address is not `HOST:PORT`, or the host does not resolve.
    #[error("bad inspector address {address:?}: {reason}")]
    BadAddress {
        /// What the user gave.
        address: String,
        /// Why it is not usable.
        reason: String,
    },
    /// The address is not a loopback address and remote attach was not allowed.
    #[error(
        "{address} is not a loopback address: the inspector protocol has no authentication, so heapsight only attaches to this machine unless remote attach is allowed explicitly (--allow-remote)"
    )]
    RemoteNotAllowed {
        /// The resolved address.
        address: SocketAddr,
    },
    /// Nothing listens on the address.
    #[error(
        "connection refused by {address}: no inspector listens there (start the process with --inspect, or attach with --pid)"
    )]
    ConnectionRefused {
        /// The inspector address.
        address: SocketAddr,
    },
    /// Another network error while connecting or talking to the inspector.
    #[error("{context} {address}: {source}")]
    Network {
        /// What was being done, e.g. "cannot connect to".
        context: &'static str,
        /// The inspector address.
        address: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The HTTP endpoint (`/json/list`) answered something unexpected.
    #[error("{address}{path} answered unexpectedly: {reason}")]
    Http {
        /// The inspector address.
        address: SocketAddr,
        /// The path asked for.
        path: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// `/json/list` lists no target heapsight can attach to.
    #[error("{address} lists no debuggable target (no Node process or page){listed}")]
    NoTargets {
        /// The inspector address.
        address: SocketAddr,
        /// What it did list, e.g. ` (it lists: 2 service_worker)`, or empty.
        listed: String,
    },
    /// No target matches the one asked for.
    #[error("no target of {address} matches {wanted:?}; it lists: {available}")]
    NoMatchingTarget {
        /// The inspector address.
        address: SocketAddr,
        /// The id, title or URL fragment asked for.
        wanted: String,
        /// The targets it lists, one `type id title` each.
        available: String,
    },
    /// The WebSocket handshake failed.
    #[error("WebSocket handshake with {url} failed: {reason}")]
    Handshake {
        /// The debugger URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The target closed the connection (the process exited or the page was closed).
    #[error("the target closed the connection{during} (did the process exit?)")]
    Closed {
        /// ` during HeapProfiler.takeHeapSnapshot`, or empty.
        during: String,
    },
    /// No answer within the time allowed.
    #[error("timed out after {secs:.1} s waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The time allowed.
        secs: f64,
    },
    /// The target answered a command with a protocol error.
    #[error("{method} failed: {message} (code {code})")]
    Protocol {
        /// The command.
        method: String,
        /// The protocol error code.
        code: i64,
        /// The protocol error message.
        message: String,
    },
    /// The target answered with something heapsight does not understand.
    #[error("unexpected answer to {what}: {reason}")]
    BadReply {
        /// The command or event.
        what: String,
        /// What was wrong.
        reason: String,
    },
    /// The streamed snapshot ended early or is not JSON-shaped.
    #[error("incomplete heap snapshot: {0}")]
    Incomplete(String),
    /// Writing the output failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing to the caller's sink failed.
    #[error("writing the snapshot failed: {0}")]
    Sink(std::io::Error),
    /// [`crate::snapshot::Progress::cancel`] was called.
    #[error("cancelled")]
    Cancelled,
    /// No process has this PID.
    #[error("no process with PID {pid}")]
    NoSuchProcess {
        /// The PID.
        pid: u32,
    },
    /// The PID is not a Node.js process, so SIGUSR1 would not open an inspector (and would
    /// likely kill it).
    #[error(
        "PID {pid} is not a Node process ({exe}): heapsight only signals node; for Chrome or Electron use --inspect with its --remote-debugging-port"
    )]
    NotNode {
        /// The PID.
        pid: u32,
        /// Its executable or command.
        exe: String,
    },
    /// Not allowed to signal or inspect the process.
    #[error(
        "no permission to signal PID {pid} (it belongs to another user): run heapsight as that user, or start the process with --inspect"
    )]
    PermissionDenied {
        /// The PID.
        pid: u32,
    },
    /// The port the inspector would open is held by another process.
    #[error(
        "port {port} is already in use by another process, so the inspector of PID {pid} cannot open there: stop that process, or restart the target with --inspect-port=OTHER"
    )]
    PortInUse {
        /// The PID to attach to.
        pid: u32,
        /// The busy port.
        port: u16,
    },
    /// The signal was sent but no inspector port opened in time.
    #[error(
        "sent SIGUSR1 to PID {pid}, but no inspector opened on port {port} within {secs:.0} s: activation by signal may be disabled (node --disable-sigusr1), or the process is stuck"
    )]
    InspectorNotOpened {
        /// The PID.
        pid: u32,
        /// The port waited for.
        port: u16,
        /// The time waited.
        secs: f64,
    },
    /// The process exited after the signal (it did not handle SIGUSR1).
    #[error("PID {pid} exited after SIGUSR1")]
    ProcessExited {
        /// The PID.
        pid: u32,
    },
    /// Attaching by PID is not available on this system.
    #[error(
        "attaching by PID is only supported on Linux; start the process with --inspect and use --inspect HOST:PORT"
    )]
    PidUnsupported,
}
