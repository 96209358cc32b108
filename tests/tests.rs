//! The single integration-test binary (one link for all integration tests).

mod util;

mod allocation;
mod bad_input;
mod cache;
mod chrome;
mod cli;
mod comparison;
mod core;
mod doctor;
mod export;
mod fuzz;
mod golden;
mod live;
mod paths;
mod redact;

#[cfg(feature = "gui")]
mod ui;
#[cfg(feature = "gui")]
mod ui_allocation;
#[cfg(feature = "gui")]
mod ui_comparison;
#[cfg(feature = "gui")]
mod ui_desktop;
#[cfg(feature = "gui")]
mod ui_findings;
#[cfg(feature = "gui")]
mod ui_graph;
#[cfg(feature = "gui")]
mod ui_live;
#[cfg(feature = "gui")]
mod ui_redact;
#[cfg(feature = "gui")]
mod ui_tiles;
#[cfg(feature = "gui")]
mod ui_workspace;
