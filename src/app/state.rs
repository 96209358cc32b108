//! The UI state that survives restarts (eframe persistence, `#[serde(default)]` so old or
//! partial saves still load). Window size and egui's own memory (panel sizes, column widths)
//! are persisted by eframe itself.

use std::path::{Path, PathBuf};

use super::command::{PaneId, View};
use super::widgets::SortKey;

/// Most recent files remembered.
pub const MAX_RECENT: usize = 10;

/// Persisted UI state.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AppState {
    /// Recently opened snapshot files, newest first.
    pub recent_files: Vec<PathBuf>,
    /// The main view.
    pub view: View,
    /// Summary sort order.
    pub summary_sort: SortKey,
    /// Summary class filter.
    pub summary_filter: String,
    /// The arrangement of the tiles as JSON (`None`: the default layout). Kept as text so a
    /// layout this version cannot read (an older or newer heapsight's) costs only the layout,
    /// never the rest of the state.
    pub layout: Option<String>,
    /// The pane that receives the navigation keys.
    pub focused: PaneId,
    /// Show the snapshot list on the left (View → Snapshot list).
    pub show_snapshot_list: bool,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            recent_files: Vec::new(),
            view: View::default(),
            summary_sort: SortKey::RETAINED_DESC,
            summary_filter: String::new(),
            layout: None,
            focused: PaneId::Summary,
            show_snapshot_list: true,
        }
    }
}

impl AppState {
    /// Puts `path` first in the recent files (absolute, without duplicates).
    pub fn add_recent(&mut self, path: &Path) {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent_files.retain(|p| *p != path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_deduplicated_and_capped() {
        let mut s = AppState::default();
        for i in 0..15 {
            s.add_recent(Path::new(&format!("/tmp/{i}.heapsnapshot")));
        }
        s.add_recent(Path::new("/tmp/3.heapsnapshot"));
        assert_eq!(s.recent_files.len(), MAX_RECENT);
        assert_eq!(s.recent_files[0], Path::new("/tmp/3.heapsnapshot"));
        assert_eq!(
            s.recent_files
                .iter()
                .filter(|p| p.ends_with("3.heapsnapshot"))
                .count(),
            1
        );
    }

    #[test]
    fn partial_state_deserializes_with_defaults() {
        let s: AppState = serde_json::from_str(r#"{"recent_files": ["/a.heapsnapshot"]}"#)
            .expect("partial state");
        assert_eq!(s.recent_files.len(), 1);
        assert_eq!(s.summary_sort, SortKey::RETAINED_DESC);
    }
}
