//! What a tile of the workspace shows (a leaf module: commands name it, the workspace draws
//! it).

use super::view::View;

/// The title of the "Where it was created" tile.
pub const WHERE_CREATED: &str = "Where it was created";

/// What a tile shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub enum PaneKind {
    /// The leak doctor's findings.
    Findings,
    /// Objects grouped by constructor.
    Summary,
    /// DevTools' Comparison.
    Comparison,
    /// Both Summaries aligned by class.
    SideBySide,
    /// Leak candidates.
    Leaks,
    /// The Containment tree.
    Containment,
    /// The dominator tree.
    Dominators,
    /// The Statistics chart.
    Statistics,
    /// Duplicated strings.
    Strings,
    /// The retainer graph of the selected object.
    RetainerGraph,
    /// Allocation functions over the Summary of their objects.
    Allocation,
    /// What retains the selected object.
    Retainers,
    /// Where the selected object was created.
    WhereCreated,
    /// A live process's memory and captures (the whole window while no snapshot is open).
    Live,
}

impl PaneKind {
    /// The views of the main tab group, in tab order.
    pub const MAIN: [Self; 10] = [
        Self::Findings,
        Self::Summary,
        Self::Comparison,
        Self::SideBySide,
        Self::Leaks,
        Self::Containment,
        Self::Dominators,
        Self::Statistics,
        Self::Strings,
        Self::Allocation,
    ];

    /// The tile that shows `view` (a sampling heap profile takes the whole window).
    pub fn of_view(view: View) -> Option<Self> {
        Some(match view {
            View::Summary => Self::Summary,
            View::Findings => Self::Findings,
            View::Comparison => Self::Comparison,
            View::SideBySide => Self::SideBySide,
            View::Leaks => Self::Leaks,
            View::Containment => Self::Containment,
            View::Dominators => Self::Dominators,
            View::Statistics => Self::Statistics,
            View::Strings => Self::Strings,
            View::RetainerGraph => Self::RetainerGraph,
            View::Allocation => Self::Allocation,
            View::Live => Self::Live,
            View::Profile => return None,
        })
    }

    /// The view this tile shows, for the perspective tabs.
    pub fn view(self) -> Option<View> {
        Some(match self {
            Self::Summary => View::Summary,
            Self::Findings => View::Findings,
            Self::Comparison => View::Comparison,
            Self::SideBySide => View::SideBySide,
            Self::Leaks => View::Leaks,
            Self::Containment => View::Containment,
            Self::Dominators => View::Dominators,
            Self::Statistics => View::Statistics,
            Self::Strings => View::Strings,
            Self::RetainerGraph => View::RetainerGraph,
            Self::Allocation => View::Allocation,
            Self::Live => View::Live,
            Self::Retainers | Self::WhereCreated => return None,
        })
    }

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Retainers => "Retainers",
            Self::WhereCreated => WHERE_CREATED,
            kind => kind.view().map_or("", View::label),
        }
    }

    /// True when a tile of this kind can be bound to one snapshot.
    pub fn bindable(self) -> bool {
        matches!(
            self,
            Self::Summary
                | Self::Retainers
                | Self::Containment
                | Self::Dominators
                | Self::Statistics
        )
    }
}
