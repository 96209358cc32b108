//! heapsight: a fast native explorer for V8 heap snapshots.
//!
//! - [`snapshot`]: the GUI-free core (parser, graph, DevTools-exact analysis).
//! - [`live`]: attach to a running Node.js process or Chrome page (inspector protocol) to
//!   take snapshots and sample memory.
//! - [`cli`]: the headless commands (`summary`, `node`, `bench`, …) printing tables or JSON.
//! - `app` (feature `gui`): the eframe/egui desktop application.

pub mod alloc;
pub mod atomic_file;
pub mod cli;
pub mod format;
pub mod live;
pub mod snapshot;
pub mod synth;
pub mod version;

#[cfg(feature = "gui")]
pub mod app;
